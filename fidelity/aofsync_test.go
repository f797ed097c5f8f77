package fidelity

import (
	"fmt"
	"testing"
)

// TestReplicaAOFAfterFullSyncMatchesRealRedis gives a replica appendonly yes and a
// slow rewrite (rdb-key-save-delay, 0.1 s a key): a full sync stops its AOF for the load
// and starts it again with a rewrite of the synced dataset. Killed while that rewrite
// runs, the replica comes back with the AOF from before the sync; killed after it, with
// the synced dataset. REPLICAOF is not in its config file, so it comes back a master.
func TestReplicaAOFAfterFullSyncMatchesRealRedis(t *testing.T) {
	port := FreePort(t, nodeA, nodeB)
	differentialClusters(t, port, map[string][][2]string{
		nodeA: with(),
		nodeB: with([2]string{"appendonly", "yes"}, [2]string{"rdb-key-save-delay", "100000"}),
	}, func(c cluster) []string {
		aofFields := func(what string) string {
			return what + ": " + infoFields(c, nodeB, "persistence", "aof_enabled", "aof_rewrite_in_progress", "aof_rewrites")
		}
		restart := func(what string) string {
			c.Kill(nodeB)
			c.Start(nodeB)
			waitUntil(t, c, "the restarted replica loads", func() bool {
				return c.Do(nodeB, "PING").String() == "PONG"
			})
			return fmt.Sprintf("%s: k=%s mine=%s DBSIZE=%s", what, c.Do(nodeB, "GET", "k"), c.Do(nodeB, "GET", "mine"),
				c.Do(nodeB, "DBSIZE"))
		}
		follow := func() {
			c.Do(nodeB, "REPLICAOF", nodeA, fmt.Sprint(port))
			waitUntil(t, c, "the replica syncs", func() bool {
				m, _ := parseInfo(c.Do(nodeB, "INFO", "replication").Str)
				return m["master_link_status"] == "up"
			})
		}
		c.Do(nodeB, "SET", "k", "old")
		c.Do(nodeB, "SET", "mine", "1")
		for i := 0; i < 20; i++ {
			c.Do(nodeA, "SET", fmt.Sprintf("key%d", i), "v")
		}
		c.Do(nodeA, "SET", "k", "new")
		obs := []string{aofFields("before the sync")}
		follow()
		obs = append(obs, aofFields("synced"), restart("killed during the rewrite"))
		follow()
		waitUntil(t, c, "the rewrite ends", func() bool {
			m, _ := parseInfo(c.Do(nodeB, "INFO", "persistence").Str)
			return m["aof_rewrite_in_progress"] == "0"
		})
		return append(obs, aofFields("rewritten"), restart("killed after the rewrite"))
	})
}
