package fidelity

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

// replicaBase are the options of the replica tests' nodes: syncs without delay, no PING
// in the stream unless a test asks, the test's client allowed DEBUG (it connects from
// 127.0.0.1), and protected mode off, as separate hosts need.
var replicaBase = [][2]string{{"repl-diskless-sync-delay", "0"}, {"repl-ping-replica-period", "60"},
	{"enable-debug-command", "local"}, {"protected-mode", "no"}}

func with(opts ...[2]string) [][2]string {
	return append(append([][2]string{}, replicaBase...), opts...)
}

// waitOnline waits until the master has n online replicas and each of them is up.
func waitOnline(t *testing.T, c cluster, master string, replicas ...string) {
	t.Helper()
	waitUntil(t, c, master+" serves "+strings.Join(replicas, ", "), func() bool {
		m, _ := parseInfo(c.Do(master, "INFO", "replication").Str)
		online := 0
		for k, v := range m {
			if strings.HasPrefix(k, "slave") && strings.Contains(v, "state=online") {
				online++
			}
		}
		if online != len(replicas) {
			return false
		}
		for _, r := range replicas {
			if f, _ := parseInfo(c.Do(r, "INFO", "replication").Str); f["master_link_status"] != "up" {
				return false
			}
		}
		return true
	})
}

// replicaLines are a master's slaveN lines, without their offset and lag, sorted.
func replicaLines(c cluster, master string) string {
	m, order := parseInfo(c.Do(master, "INFO", "replication").Str)
	var lines []string
	for _, k := range order {
		if strings.HasPrefix(k, "slave") && strings.Contains(m[k], "ip=") {
			lines = append(lines, dropAck(m[k]))
		}
	}
	sort.Strings(lines)
	return master + " replicas: " + strings.Join(lines, " | ")
}

// TestReplicaAnnouncesAsConfigured compares what a master shows of replicas that
// announce another address and port, and what replicas show of their priority and
// whether they are announced, before and after CONFIG SET, and after a reconnection.
func TestReplicaAnnouncesAsConfigured(t *testing.T) {
	port := FreePort(t, nodeA, nodeB, nodeC)
	of := [2]string{"replicaof", fmt.Sprintf("%s %d", nodeA, port)}
	differentialClusters(t, port, map[string][][2]string{
		nodeA: with(),
		nodeB: with(of, [2]string{"replica-announce-ip", "10.9.8.7"}, [2]string{"replica-announce-port", "1234"},
			[2]string{"replica-priority", "7"}),
		nodeC: with(of, [2]string{"replica-announced", "no"}, [2]string{"replica-priority", "0"}),
	}, func(c cluster) []string {
		waitOnline(t, c, nodeA, nodeB, nodeC)
		fields := []string{"role", "slave_priority", "slave_read_only", "replica_announced"}
		obs := []string{replicaLines(c, nodeA), "ROLE " + roleShape(c.Do(nodeA, "ROLE")),
			infoFields(c, nodeB, "replication", fields...), infoFields(c, nodeC, "replication", fields...)}
		c.Do(nodeB, "CONFIG", "SET", "replica-priority", "3")
		c.Do(nodeB, "CONFIG", "SET", "replica-announce-ip", "10.0.0.5")
		c.Do(nodeC, "CONFIG", "SET", "replica-announced", "yes")
		obs = append(obs, infoFields(c, nodeB, "replication", fields...), infoFields(c, nodeC, "replication", fields...),
			replicaLines(c, nodeA)) // the announced address is sent at the handshake only
		c.Do(nodeB, "CLIENT", "KILL", "TYPE", "master")
		c.Pause(100 * time.Millisecond)
		waitOnline(t, c, nodeA, nodeB, nodeC)
		obs = append(obs, replicaLines(c, nodeA), "ROLE "+roleShape(c.Do(nodeA, "ROLE")))
		// The master's replicas and the replica's master as clients, once both replicas
		// have acknowledged (the last command of a replica's client, REPLCONF).
		c.Do(nodeA, "SET", "k", "v")
		c.Pause(1500 * time.Millisecond)
		var s Session
		for _, q := range []struct{ addr, kind string }{{nodeA, "replica"}, {nodeB, "master"}} {
			args := []string{"CLIENT", "LIST", "TYPE", q.kind}
			lines := strings.Split(strings.TrimSpace(s.Canonical(args, c.Do(q.addr, args...)).Str), "\n")
			sort.Strings(lines)
			obs = append(obs, q.addr+" CLIENT LIST TYPE "+q.kind+": "+strings.Join(lines, " | "))
		}
		return obs
	})
}

// lagClass is what a slaveN line's lag says: the replica acknowledged within the last
// second, or longer ago.
func lagClass(c cluster, master string) string {
	m, _ := parseInfo(c.Do(master, "INFO", "replication").Str)
	line := m["slave0"]
	i := strings.Index(line, "lag=")
	if i < 0 {
		return "no replica"
	}
	lag, _ := strconv.Atoi(line[i+4:])
	if lag <= 1 {
		return "lag<=1"
	}
	return "lag>=2"
}

// TestAcksMatchRealRedis checks that a replica acknowledges every second: the master's
// lag of it stays at most 1, its acknowledged offset catches up with the master's without
// a write to ask for it, and the lag grows while the replica is blocked.
func TestAcksMatchRealRedis(t *testing.T) {
	port := FreePort(t, nodeA, nodeB)
	differentialClusters(t, port, map[string][][2]string{
		nodeA: with(), nodeB: with([2]string{"replicaof", fmt.Sprintf("%s %d", nodeA, port)}),
	}, func(c cluster) []string {
		waitOnline(t, c, nodeA, nodeB)
		var obs []string
		for i := 0; i < 3; i++ {
			c.Pause(time.Second)
			obs = append(obs, lagClass(c, nodeA))
		}
		c.Do(nodeA, "SET", "k", "v")
		c.Pause(1500 * time.Millisecond)
		m, _ := parseInfo(c.Do(nodeA, "INFO", "replication").Str)
		obs = append(obs, fmt.Sprintf("acknowledged the whole stream: %v", ackOffset(m["slave0"]) == atoi(m["master_repl_offset"])))
		c.Send(nodeB, "DEBUG", "SLEEP", "3.5")
		c.Pause(3 * time.Second)
		obs = append(obs, "replica blocked: "+lagClass(c, nodeA))
		c.Receive(nodeB)
		c.Pause(1500 * time.Millisecond)
		return append(obs, "replica back: "+lagClass(c, nodeA))
	})
}

// TestReplicationTimeoutsMatchRealRedis blocks the replica, then the master, for longer
// than repl-timeout: the master drops the silent replica; the replica drops the silent
// master; either way the replica reconnects and continues partially.
func TestReplicationTimeoutsMatchRealRedis(t *testing.T) {
	port := FreePort(t, nodeA, nodeB)
	timeouts := [][2]string{{"repl-timeout", "2"}, {"repl-ping-replica-period", "1"}}
	differentialClusters(t, port, map[string][][2]string{
		nodeA: with(timeouts...), nodeB: with(append(timeouts, [2]string{"replicaof", fmt.Sprintf("%s %d", nodeA, port)})...),
	}, func(c cluster) []string {
		waitOnline(t, c, nodeA, nodeB)
		stats := func(what string) string {
			return what + ": " + infoFields(c, nodeA, "stats", "sync_full", "sync_partial_ok", "sync_partial_err") + "; " +
				infoFields(c, nodeA, "replication", "connected_slaves") + "; " +
				infoFields(c, nodeB, "replication", "master_link_status")
		}
		obs := []string{stats("synced")}
		c.Send(nodeB, "DEBUG", "SLEEP", "5")
		c.Pause(4500 * time.Millisecond)
		obs = append(obs, "replica blocked: "+infoFields(c, nodeA, "replication", "connected_slaves"))
		c.Receive(nodeB)
		c.Pause(2500 * time.Millisecond)
		obs = append(obs, stats("replica back"))
		c.Send(nodeA, "DEBUG", "SLEEP", "6")
		c.Pause(4500 * time.Millisecond)
		obs = append(obs, "master blocked: "+infoFields(c, nodeB, "replication", "master_link_status"))
		c.Receive(nodeA)
		c.Pause(3 * time.Second)
		return append(obs, stats("master back"))
	})
}

// TestWaitMatchesRealRedis compares WAIT with replicas to wait for: enough of them at
// once, more than there are until the timeout, a blocked replica, and no timeout. How
// long each took is recorded as "at once" (under 0.15 s), "at its timeout" (within 0.5 s
// after it) or "later".
func TestWaitMatchesRealRedis(t *testing.T) {
	port := FreePort(t, nodeA, nodeB)
	differentialClusters(t, port, map[string][][2]string{
		nodeA: with(), nodeB: with([2]string{"replicaof", fmt.Sprintf("%s %d", nodeA, port)}),
	}, func(c cluster) []string {
		waitOnline(t, c, nodeA, nodeB)
		// Until its first ACK after the sync has reached the master once the master knows
		// the sync's child has exited, which may take until the next ACK a second later,
		// the replica gets no stream: wait for that.
		c.Do(nodeA, "SET", "started", "1")
		waitUntil(t, c, "the stream starts", func() bool { return c.Do(nodeB, "GET", "started").Str == "1" })
		var obs []string
		wait := func(args ...string) {
			start := c.Clock()
			v := c.Do(nodeA, append([]string{"WAIT"}, args...)...)
			took, timeout := c.Clock()-start, time.Duration(atoi(args[1]))*time.Millisecond
			when := "later"
			switch {
			case took < 150*time.Millisecond:
				when = "at once"
			case timeout > 0 && took >= timeout && took < timeout+500*time.Millisecond:
				when = "at its timeout"
			}
			obs = append(obs, fmt.Sprintf("WAIT %s -> %s %s", strings.Join(args, " "), v, when))
		}
		wait("1", "1000") // nothing written: already acknowledged
		c.Do(nodeA, "SET", "k", "v")
		wait("1", "1000") // the replica answers the GETACK WAIT sends
		c.Do(nodeA, "SET", "k", "w")
		wait("2", "500") // one replica only
		c.Send(nodeB, "DEBUG", "SLEEP", "2")
		c.Pause(100 * time.Millisecond)
		c.Do(nodeA, "SET", "k", "x")
		wait("1", "300") // the replica is blocked
		c.Do(nodeA, "SET", "k", "y")
		wait("1", "0") // until the replica wakes
		c.Receive(nodeB)
		return obs
	})
}

// TestBacklogBoundsPartialResync cuts a blocked replica's link from the master, writes
// less than repl-backlog-size, then more but less than a block more, then much more, and
// lets the replica reconnect each time: it continues partially from the backlog twice,
// then has to sync in full.
func TestBacklogBoundsPartialResync(t *testing.T) {
	port := FreePort(t, nodeA, nodeB)
	differentialClusters(t, port, map[string][][2]string{
		nodeA: with([2]string{"repl-backlog-size", "16kb"}),
		nodeB: with([2]string{"replicaof", fmt.Sprintf("%s %d", nodeA, port)}),
	}, func(c cluster) []string {
		waitOnline(t, c, nodeA, nodeB)
		var obs []string
		// Redis keeps the backlog in blocks of about 20 KB and frees only whole ones, so it
		// holds up to one block more than repl-backlog-size: 26 KB more still fit.
		for _, size := range []int{4000, 26000, 60000} {
			c.Send(nodeB, "DEBUG", "SLEEP", "1")
			c.Pause(100 * time.Millisecond)
			obs = append(obs, "CLIENT KILL TYPE replica: "+c.Do(nodeA, "CLIENT", "KILL", "TYPE", "replica").String())
			for written := 0; written < size; written += 1000 {
				c.Do(nodeA, "SET", fmt.Sprintf("k%d", written), strings.Repeat("x", 1000))
			}
			c.Receive(nodeB)
			waitOnline(t, c, nodeA, nodeB)
			obs = append(obs, fmt.Sprintf("after %d bytes: %s; %s", size,
				infoFields(c, nodeA, "stats", "sync_full", "sync_partial_ok", "sync_partial_err"),
				infoFields(c, nodeA, "replication", "repl_backlog_size", "repl_backlog_first_byte_offset", "repl_backlog_histlen")))
		}
		return obs
	})
}

// goodAndLag are what a master's INFO replication says of min-replicas: its cached count
// of good replicas, and its replica's lag in seconds (-1 without one).
func goodAndLag(c cluster, master string) (good string, lag int64) {
	m, _ := parseInfo(c.Do(master, "INFO", "replication").Str)
	lag = -1
	if i := strings.Index(m["slave0"], "lag="); i >= 0 {
		lag = atoi(m["slave0"][i+4:])
	}
	return m["min_slaves_good_slaves"], lag
}

// TestMinReplicasMaxLagMatchesRealRedis blocks the replica of a master with
// min-replicas-to-write 1 and min-replicas-max-lag 2, and writes every 100 ms. Redis
// refuses writes from a count of good replicas that its cron refreshes once a second,
// with lags in whole seconds of the wall clock: the first NOREPLICAS comes at a lag of 3
// (4 if the cron ran just before the poll crossed a second), never at 2, and at every
// write the reply agrees with the min_slaves_good_slaves INFO shows around it. CONFIG SET
// of the lag refreshes the count at once, and so does nothing else while the replica
// sleeps.
func TestMinReplicasMaxLagMatchesRealRedis(t *testing.T) {
	port := FreePort(t, nodeA, nodeB)
	differentialClusters(t, port, map[string][][2]string{
		nodeA: with([2]string{"min-replicas-to-write", "1"}, [2]string{"min-replicas-max-lag", "2"}),
		nodeB: with([2]string{"replicaof", fmt.Sprintf("%s %d", nodeA, port)}),
	}, func(c cluster) []string {
		waitOnline(t, c, nodeA, nodeB)
		waitUntil(t, c, "a good replica", func() bool { return c.Do(nodeA, "SET", "k", "v").String() == "OK" })
		good, _ := goodAndLag(c, nodeA)
		obs := []string{"synced: min_slaves_good_slaves=" + good}
		c.Send(nodeB, "DEBUG", "SLEEP", "7")
		first := "no NOREPLICAS within 6 s"
		for start := c.Clock(); c.Clock()-start < 6*time.Second; c.Pause(100 * time.Millisecond) {
			before, lag := goodAndLag(c, nodeA)
			v := c.Do(nodeA, "SET", "k", "v")
			after, lagAfter := goodAndLag(c, nodeA)
			if v.String() == "OK" {
				if before != "1" {
					obs = append(obs, fmt.Sprintf("SET accepted with min_slaves_good_slaves=%s before it", before))
				}
				continue
			}
			if after != "0" || lag <= 2 {
				obs = append(obs, fmt.Sprintf("SET -> %s at lag %d, min_slaves_good_slaves=%s after it", v, lag, after))
			}
			first = fmt.Sprintf("first refusal: %s; at a lag of 3 or 4 s: %v", v, lagAfter == 3 || lagAfter == 4)
			break
		}
		obs = append(obs, first)
		for _, maxLag := range []string{"100", "2"} {
			c.Do(nodeA, "CONFIG", "SET", "min-replicas-max-lag", maxLag)
			v := c.Do(nodeA, "SET", "k", "v")
			good, _ := goodAndLag(c, nodeA)
			obs = append(obs, fmt.Sprintf("max-lag %s: SET -> %s, min_slaves_good_slaves=%s", maxLag, v, good))
		}
		c.Receive(nodeB)
		waitUntil(t, c, "writes accepted again", func() bool { return c.Do(nodeA, "SET", "k", "v").String() == "OK" })
		good, _ = goodAndLag(c, nodeA)
		return append(obs, "replica back: min_slaves_good_slaves="+good)
	})
}
