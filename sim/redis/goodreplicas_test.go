package redis

import (
	"testing"
	"time"

	"github.com/sentinelsim/sentinelsim/resp"
)

// goodReplicasPair is a master that wants one replica within 2 s of lag, and its replica,
// synced and acknowledging.
func goodReplicasPair(t *testing.T) *cluster {
	c := newCluster(t, map[string][][2]string{
		"127.0.0.1": {{"min-replicas-to-write", "1"}, {"min-replicas-max-lag", "2"}},
		"127.0.0.2": {{"replicaof", "127.0.0.1 6379"}},
	})
	c.run(3 * time.Second)
	if r := c.do("127.0.0.1", "SET", "k", "v"); !r.Equal(resp.OK) {
		t.Fatalf("SET with a good replica: %v", r)
	}
	return c
}

// TestGoodReplicasAreCountedByTheCron pauses the replica and writes every 50 ms: writes
// are refused only once the replica's lag, in whole seconds of the master's wall clock,
// exceeds min-replicas-max-lag at a run of the replication cron, and INFO's
// min_slaves_good_slaves shows the same cached count. Counted live to the nanosecond, as
// the simulation once did, writes were refused up to 2 s earlier.
func TestGoodReplicasAreCountedByTheCron(t *testing.T) {
	c := goodReplicasPair(t)
	m := c.servers["127.0.0.1"]
	c.procs["127.0.0.2"].Pause()
	ackTime := m.n.replicas[0].replica.ackTime
	// overSince is when the lag first exceeded 2 s by the wall clock, the moment from
	// which the next cron's count refuses writes.
	var overSince time.Duration
	for step := 0; step < 120; step++ {
		c.run(50 * time.Millisecond)
		now := c.procs["127.0.0.1"].Monotonic()
		lag := m.n.unixtime() - ackTime
		if lag > 2 && overSince == 0 {
			overSince = now
		}
		good := infoField(c.do("127.0.0.1", "INFO", "replication").Str, "min_slaves_good_slaves")
		r := c.do("127.0.0.1", "SET", "k", "v")
		refused := r.ErrorPrefix() == "NOREPLICAS"
		if refused != (good == "0") {
			t.Fatalf("lag %d s: SET -> %v but min_slaves_good_slaves:%s", lag, r, good)
		}
		switch {
		case lag <= 2 && refused:
			t.Fatalf("write refused with a lag of %d whole seconds, within min-replicas-max-lag 2", lag)
		case !refused && overSince != 0 && now-overSince > time.Second+60*time.Millisecond:
			t.Fatalf("write accepted %v after the lag exceeded 2 s: the cron (1 Hz) should have refreshed the count",
				now-overSince)
		case refused:
			if now-overSince > time.Second+60*time.Millisecond {
				t.Fatalf("first refusal %v after the lag exceeded 2 s", now-overSince)
			}
			return
		}
	}
	t.Fatal("writes never refused with the replica paused for 6 s")
}

// TestGoodReplicasAreRefreshedAtOnce checks the other moments Redis counts: a replica
// freed, a replica put online (after a partial resync here), and CONFIG SET of either
// option, each seen by the next write without waiting for the cron.
func TestGoodReplicasAreRefreshedAtOnce(t *testing.T) {
	c := goodReplicasPair(t)
	c.do("127.0.0.1", "CLIENT", "KILL", "TYPE", "replica")
	if r := c.do("127.0.0.1", "SET", "k", "v"); r.ErrorPrefix() != "NOREPLICAS" {
		t.Fatalf("SET right after the replica was freed: %v, want NOREPLICAS", r)
	}
	// The replica reconnects at its next cron and continues partially: the master counts
	// it as it accepts the PSYNC, before its own cron runs.
	for deadline := c.k.Now() + 2*time.Second; len(c.servers["127.0.0.1"].n.replicas) == 0; c.run(time.Millisecond) {
		if c.k.Now() > deadline {
			t.Fatal("the replica did not reconnect")
		}
	}
	if r := c.do("127.0.0.1", "SET", "k", "v"); !r.Equal(resp.OK) {
		t.Fatalf("SET right after the partial resync: %v", r)
	}
	if got := infoField(c.do("127.0.0.1", "INFO", "stats").Str, "sync_partial_ok"); got != "1" {
		t.Fatalf("sync_partial_ok:%s, want 1", got)
	}
	c.procs["127.0.0.2"].Pause()
	for r := c.do("127.0.0.1", "SET", "k", "v"); r.Equal(resp.OK); r = c.do("127.0.0.1", "SET", "k", "v") {
		c.run(100 * time.Millisecond)
	}
	c.do("127.0.0.1", "CONFIG", "SET", "min-replicas-max-lag", "100")
	if r := c.do("127.0.0.1", "SET", "k", "v"); !r.Equal(resp.OK) {
		t.Fatalf("SET after CONFIG SET min-replicas-max-lag 100: %v", r)
	}
	c.do("127.0.0.1", "CONFIG", "SET", "min-replicas-max-lag", "2")
	if r := c.do("127.0.0.1", "SET", "k", "v"); r.ErrorPrefix() != "NOREPLICAS" {
		t.Fatalf("SET after CONFIG SET min-replicas-max-lag 2: %v", r)
	}
}

// TestGoodReplicasFollowTheMastersWallClock jumps the master's clock forward: its
// replica, acknowledging every second, looks as late as the jump until its next ACK, so
// writes are refused for up to two cron runs, as in Redis, whose lag is server.unixtime
// minus the unix time of the last ACK.
func TestGoodReplicasFollowTheMastersWallClock(t *testing.T) {
	c := goodReplicasPair(t)
	jumpAfterAck(t, c, "127.0.0.1", 30*time.Second)
	refused := 0
	for step := 0; step < 40; step++ {
		c.run(50 * time.Millisecond)
		if r := c.do("127.0.0.1", "SET", "k", "v"); r.ErrorPrefix() == "NOREPLICAS" {
			refused++
		}
	}
	if refused == 0 {
		t.Fatal("no write refused after a 30 s jump of the master's clock")
	}
	if r := c.do("127.0.0.1", "SET", "k", "v"); !r.Equal(resp.OK) {
		t.Fatalf("SET 2 s after the jump, the replica acknowledging again: %v", r)
	}
	if got := c.do("127.0.0.1", "INFO", "replication").Str; !containsLine(got, "connected_slaves:1") {
		t.Fatalf("the replica was dropped: a 30 s jump is within repl-timeout 60\n%s", got)
	}
}

// TestReplicationTimeoutsFollowTheWallClock jumps the wall clock 2 minutes forward, past
// repl-timeout (60 s): on the replica, its master looks silent for that long and it drops
// the link (master->lastinteraction); on the master, the replica looks as late
// (repl_ack_time) and is dropped. Either way the replica reconnects and continues
// partially, as a real pair does after such a jump.
func TestReplicationTimeoutsFollowTheWallClock(t *testing.T) {
	for i, jumped := range []string{"127.0.0.2", "127.0.0.1"} {
		c := newCluster(t, map[string][][2]string{
			"127.0.0.1": {},
			"127.0.0.2": {{"replicaof", "127.0.0.1 6379"}},
		})
		c.run(3 * time.Second)
		jumpAfterAck(t, c, jumped, 2*time.Minute)
		c.run(2500 * time.Millisecond)
		if got := syncStats(c, "127.0.0.1"); got != "sync_full:1 sync_partial_ok:1 sync_partial_err:0" {
			t.Errorf("case %d, %s's clock jumped: %s, want the link dropped and continued partially", i, jumped, got)
		}
		if !c.linkUp("127.0.0.2") {
			t.Errorf("case %d: the replica's link is down", i)
		}
	}
}

// jumpAfterAck jumps a node's clock by d just after the master (127.0.0.1) has taken in
// its replica's ACK of a fresh write: the crons of both then run once before the
// replica's next ACK, a second later, and see the whole jump.
func jumpAfterAck(t *testing.T, c *cluster, node string, d time.Duration) {
	t.Helper()
	m := c.servers["127.0.0.1"].n
	c.do("127.0.0.1", "SET", "jump", "now")
	for deadline := c.k.Now() + 2*time.Second; m.replicas[0].replica.ack != m.offset; c.run(100 * time.Microsecond) {
		if c.k.Now() > deadline {
			t.Fatal("the replica did not acknowledge the write")
		}
	}
	c.procs[node].JumpClock(d)
}
