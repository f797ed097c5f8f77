package redis

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// fill writes keys of 1000 bytes: about 1 MB of RDB per 1000 keys.
func fill(c *cluster, addr string, keys int) {
	for i := 0; i < keys; i++ {
		c.do(addr, "SET", fmt.Sprintf("key:%06d", i), strings.Repeat("v", 1000))
	}
}

// syncTimes runs a full sync and returns when the replica showed master_sync_in_progress
// first, and when its link came up.
func syncTimes(t *testing.T, c *cluster) (inProgress, up time.Duration) {
	t.Helper()
	start := c.k.Now()
	c.do("127.0.0.2", "REPLICAOF", "127.0.0.1", "6379")
	for c.k.Now()-start < 30*time.Second {
		info := c.do("127.0.0.2", "INFO", "replication").Str
		if inProgress == 0 && containsLine(info, "master_sync_in_progress:1") {
			inProgress = c.k.Now() - start
		}
		if containsLine(info, "master_link_status:up") {
			return inProgress, c.k.Now() - start
		}
		c.run(10 * time.Millisecond)
	}
	t.Fatalf("no sync within 30 s")
	return 0, 0
}

func TestFullSyncTakesTheDatasetsSizeAtTheTransferRate(t *testing.T) {
	speeds := Speeds{Transfer: 1e6, Save: 1e9, Load: 1e12, LoadPerKey: time.Nanosecond}
	for _, tc := range []struct {
		keys     int
		min, max time.Duration
	}{{1000, 950 * time.Millisecond, 1200 * time.Millisecond}, {3000, 2950 * time.Millisecond, 3200 * time.Millisecond}} {
		c := newClusterWith(t, map[string][][2]string{"127.0.0.1": {}, "127.0.0.2": {}}, speeds)
		fill(c, "127.0.0.1", tc.keys)
		inProgress, up := syncTimes(t, c)
		if inProgress == 0 || inProgress > 50*time.Millisecond {
			t.Errorf("%d keys: master_sync_in_progress:1 first seen after %v: +FULLRESYNC should come at once", tc.keys, inProgress)
		}
		if up < tc.min || up > tc.max {
			t.Errorf("%d keys (%d bytes of RDB) at 1 MB/s synced in %v, want %v to %v", tc.keys,
				c.servers["127.0.0.1"].n.data.rdbBytes(), up, tc.min, tc.max)
		}
	}
}

func TestDisklessSyncDelayAppliesToDisklessSyncsOnly(t *testing.T) {
	for _, tc := range []struct {
		diskless string
		min, max time.Duration
	}{{"yes", 3 * time.Second, 4100 * time.Millisecond}, {"no", 0, 200 * time.Millisecond}} {
		c := newCluster(t, map[string][][2]string{
			"127.0.0.1": {{"repl-diskless-sync", tc.diskless}, {"repl-diskless-sync-delay", "3"}}, "127.0.0.2": {}})
		c.do("127.0.0.1", "SET", "k", "v")
		if _, up := syncTimes(t, c); up < tc.min || up > tc.max {
			t.Errorf("repl-diskless-sync %s with a delay of 3 s: synced in %v, want %v to %v", tc.diskless, up, tc.min, tc.max)
		}
	}
}

func TestReplicaLoadsItsFullSyncAnsweringLoading(t *testing.T) {
	speeds := Speeds{Transfer: 1e9, Save: 1e9, Load: 1e12, LoadPerKey: time.Millisecond}
	c := newClusterWith(t, map[string][][2]string{"127.0.0.1": {}, "127.0.0.2": {}}, speeds)
	fill(c, "127.0.0.1", 500) // 0.5 s to load
	c.do("127.0.0.2", "REPLICAOF", "127.0.0.1", "6379")
	c.run(200 * time.Millisecond)
	if got := c.do("127.0.0.2", "GET", "key:000001"); got.ErrorPrefix() != "LOADING" {
		t.Errorf("GET during the load: %v, want LOADING", got)
	}
	info := c.do("127.0.0.2", "INFO", "persistence").Str
	if !containsLine(info, "loading:1") {
		t.Errorf("INFO persistence during the load:\n%s", info)
	}
	c.run(500 * time.Millisecond)
	if got := c.do("127.0.0.2", "GET", "key:000001"); got.IsError() {
		t.Errorf("GET after the load: %v", got)
	}
}

func TestBacklogBoundsPartialResyncInWholeBlocks(t *testing.T) {
	c := newCluster(t, map[string][][2]string{
		"127.0.0.1": {{"repl-backlog-size", "16kb"}},
		"127.0.0.2": {{"replicaof", "127.0.0.1 6379"}, {"enable-debug-command", "yes"}},
	})
	c.run(2 * time.Second)
	for _, tc := range []struct {
		bytes   int
		partial bool
	}{{4000, true}, {26000, true}, {60000, false}} { // a block is 20 KB: 16 KB + 26 KB still fit
		c.send("127.0.0.2", "DEBUG", "SLEEP", "1")
		c.run(100 * time.Millisecond)
		c.do("127.0.0.1", "CLIENT", "KILL", "TYPE", "replica")
		before := infoField(c.do("127.0.0.1", "INFO", "stats").Str, "sync_partial_ok")
		for i := 0; i < tc.bytes; i += 1000 {
			c.do("127.0.0.1", "SET", fmt.Sprintf("k%d", i), strings.Repeat("x", 1000))
		}
		c.run(2 * time.Second)
		after := infoField(c.do("127.0.0.1", "INFO", "stats").Str, "sync_partial_ok")
		if partial := after != before; partial != tc.partial {
			t.Errorf("after %d bytes the replica resynced partially %v, want %v", tc.bytes, partial, tc.partial)
		}
	}
}
