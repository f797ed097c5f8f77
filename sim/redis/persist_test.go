package redis

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/sentinelsim/sentinelsim/resp"
)

// These tests pin what fidelity/persistence_test.go measured against a real redis-server
// 7.0.15, for machines without one.

func TestBackgroundSaveKeepsTheSnapshotOfTheFork(t *testing.T) {
	for _, tc := range []struct {
		name   string
		killAt time.Duration // after BGSAVE
		want   []string
	}{
		// The child reports after its first key (0.2 s): a parent dead by then takes it along.
		{"killed before the child's first report", 100 * time.Millisecond, nil},
		{"killed after it", 500 * time.Millisecond, []string{"k1=v", "k2=v", "k3=v", "k4=v", "k5=v"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCluster(t, map[string][][2]string{"127.0.0.1": {{"save", ""}, {"rdb-key-save-delay", "200000"}}})
			for _, k := range []string{"k1", "k2", "k3", "k4", "k5"} {
				c.do("127.0.0.1", "SET", k, "v")
			}
			if r := c.do("127.0.0.1", "BGSAVE"); r.Str != "Background saving started" {
				t.Fatalf("BGSAVE: %v", r)
			}
			c.do("127.0.0.1", "SET", "after-fork", "v")
			c.run(tc.killAt)
			c.procs["127.0.0.1"].Kill()
			c.run(2 * time.Second)
			c.procs["127.0.0.1"].Start()
			c.run(10 * time.Millisecond)
			if got := c.servers["127.0.0.1"].Snapshot(); !slices.Equal(got, tc.want) {
				t.Errorf("after the restart the node holds %v, want %v", got, tc.want)
			}
		})
	}
}

func TestSavePointSavesInTheBackground(t *testing.T) {
	c := newCluster(t, map[string][][2]string{"127.0.0.1": {{"save", "1 1"}}})
	c.do("127.0.0.1", "SET", "a", "1")
	if info := c.do("127.0.0.1", "INFO", "persistence").Str; !containsLine(info, "rdb_changes_since_last_save:1") {
		t.Fatalf("after one write:\n%s", info)
	}
	c.run(2100 * time.Millisecond) // more than a second after the start, at the next cron
	info := c.do("127.0.0.1", "INFO", "persistence").Str
	if !containsLine(info, "rdb_changes_since_last_save:0") || !containsLine(info, "rdb_saves:1") {
		t.Fatalf("the save point 1 1 did not save:\n%s", info)
	}
	c.do("127.0.0.1", "SET", "b", "2")
	c.procs["127.0.0.1"].Kill()
	c.procs["127.0.0.1"].Start()
	c.run(10 * time.Millisecond)
	if got := c.servers["127.0.0.1"].Snapshot(); !slices.Equal(got, []string{"a=1"}) {
		t.Errorf("after the restart: %v, want the saved a=1 alone", got)
	}
}

func TestShutdownSavesWhenToldOrConfigured(t *testing.T) {
	for _, tc := range []struct {
		save string
		args []string
		kept bool
	}{
		{"3600 1", []string{"SHUTDOWN"}, true},
		{"3600 1", []string{"SHUTDOWN", "NOSAVE"}, false},
		{"", []string{"SHUTDOWN"}, false},
		{"", []string{"SHUTDOWN", "SAVE"}, true},
	} {
		c := newCluster(t, map[string][][2]string{"127.0.0.1": {{"save", tc.save}}})
		c.do("127.0.0.1", "SET", "a", "1")
		c.send("127.0.0.1", tc.args...)
		c.run(100 * time.Millisecond)
		if p := c.procs["127.0.0.1"]; p.Alive() || p.ExitCode() != 0 {
			t.Fatalf("save %q, %v: alive %v, exit code %d", tc.save, tc.args, p.Alive(), p.ExitCode())
		}
		c.procs["127.0.0.1"].Start()
		c.run(10 * time.Millisecond)
		if got := len(c.servers["127.0.0.1"].Snapshot()) == 1; got != tc.kept {
			t.Errorf("save %q, %v: the write survived %v, want %v", tc.save, tc.args, got, tc.kept)
		}
	}
	c := newCluster(t, map[string][][2]string{"127.0.0.1": {}})
	for _, args := range [][]string{{"SHUTDOWN", "x"}, {"SHUTDOWN", "SAVE", "NOSAVE"}, {"SHUTDOWN", "ABORT", "NOW"}} {
		if got := c.do("127.0.0.1", args...); !got.Equal(resp.Err("ERR syntax error")) {
			t.Errorf("%v: %v, want ERR syntax error", args, got)
		}
	}
}

func TestRestartLoadsTheAOFNotTheRDB(t *testing.T) {
	c := newCluster(t, map[string][][2]string{"127.0.0.1": {{"save", ""}, {"appendonly", "yes"}}})
	c.do("127.0.0.1", "SET", "x", "1")
	c.do("127.0.0.1", "SAVE")
	c.do("127.0.0.1", "FLUSHALL")
	c.do("127.0.0.1", "SET", "y", "2")
	c.procs["127.0.0.1"].Kill()
	c.procs["127.0.0.1"].Start()
	c.run(10 * time.Millisecond)
	if got := c.servers["127.0.0.1"].Snapshot(); !slices.Equal(got, []string{"y=2"}) {
		t.Errorf("after the restart: %v, want the AOF's y=2, not the RDB's x=1", got)
	}
}

func TestAOFOnPowerLossLosesWhatItsFsyncPolicyLoses(t *testing.T) {
	for _, tc := range []struct {
		fsync string
		wait  time.Duration // between the two writes
		want  []string
	}{
		{"always", 2500 * time.Millisecond, []string{"a=1", "b=2"}},
		{"everysec", 2500 * time.Millisecond, []string{"a=1"}}, // b had no fsync yet
		{"no", 2500 * time.Millisecond, nil},                   // the page cache holds both
		{"no", 36 * time.Second, []string{"a=1"}},              // written back after 30 s
	} {
		c := newCluster(t, map[string][][2]string{"127.0.0.1": {{"save", ""}, {"appendonly", "yes"}, {"appendfsync", tc.fsync}}})
		c.do("127.0.0.1", "SET", "a", "1")
		c.run(tc.wait)
		c.do("127.0.0.1", "SET", "b", "2")
		c.k.Host("127.0.0.1").PowerLoss()
		c.procs["127.0.0.1"].Start()
		c.run(10 * time.Millisecond)
		if got := c.servers["127.0.0.1"].Snapshot(); !slices.Equal(got, tc.want) {
			t.Errorf("appendfsync %s, power lost %v after the first write: %v survived, want %v", tc.fsync, tc.wait, got, tc.want)
		}
	}
	// A kill loses nothing, whatever the policy: the writes are in the page cache.
	c := newCluster(t, map[string][][2]string{"127.0.0.1": {{"save", ""}, {"appendonly", "yes"}, {"appendfsync", "no"}}})
	c.do("127.0.0.1", "SET", "a", "1")
	c.procs["127.0.0.1"].Kill()
	c.procs["127.0.0.1"].Start()
	c.run(10 * time.Millisecond)
	if got := c.servers["127.0.0.1"].Snapshot(); !slices.Equal(got, []string{"a=1"}) {
		t.Errorf("after a kill with appendfsync no: %v, want a=1", got)
	}
}

// rdb_changes_since_last_save counts as server.dirty does: every key and element a
// command changed (t_set.c, t_list.c, t_string.c, db.c), on the master and on a replica
// that applies its stream alike.
func TestChangesCountKeysAndElements(t *testing.T) {
	c := newCluster(t, map[string][][2]string{
		"127.0.0.1": {{"save", ""}},
		"127.0.0.2": {{"save", ""}, {"replicaof", "127.0.0.1 6379"}},
	})
	c.run(2 * time.Second)
	changes := func(addr string) string {
		return infoField(c.do(addr, "INFO", "persistence").Str, "rdb_changes_since_last_save")
	}
	base := map[string]int{}
	for _, addr := range []string{"127.0.0.1", "127.0.0.2"} {
		base[addr] = atoiOpt(changes(addr)) // the replica's full sync may count one
	}
	steps := []struct {
		args []string
		add  int
	}{
		{[]string{"SADD", "s", "a", "b", "c"}, 3},
		{[]string{"SADD", "s", "a", "d"}, 1}, // a is there already
		{[]string{"SADD", "s", "a"}, 0},
		{[]string{"SREM", "s", "a", "b", "x"}, 2},
		{[]string{"RPUSH", "l", "1", "2", "3", "4"}, 4},
		{[]string{"SET", "k", "v"}, 1},
		{[]string{"SET", "k", "w", "NX"}, 0}, // not set
		{[]string{"INCR", "n"}, 1},
		{[]string{"INCRBY", "n", "5"}, 1},
		{[]string{"DEL", "k", "n", "missing"}, 2},
		{[]string{"GET", "k"}, 0},
		{[]string{"FLUSHALL"}, 2}, // the keys s and l, not their elements
		{[]string{"FLUSHALL"}, 0},
	}
	want := base["127.0.0.1"]
	for _, s := range steps {
		c.do("127.0.0.1", s.args...)
		want += s.add
		if got := changes("127.0.0.1"); got != fmt.Sprint(want) {
			t.Fatalf("after %q: rdb_changes_since_last_save %s, want %d", s.args, got, want)
		}
	}
	c.run(time.Second)
	if got, want := changes("127.0.0.2"), base["127.0.0.2"]+want-base["127.0.0.1"]; got != fmt.Sprint(want) {
		t.Errorf("replica: rdb_changes_since_last_save %s, want %d", got, want)
	}
}

// TestReplicaRestartsItsAOFAfterAFullSync follows readSyncBulkPayload: a replica with
// appendonly yes stops its AOF to load a full sync and starts it again afterwards with a
// rewrite (slowed here to 0.1 s a key). Killed before the rewrite is done, it comes back
// with the AOF from before the sync; killed after, with the synced dataset.
func TestReplicaRestartsItsAOFAfterAFullSync(t *testing.T) {
	for _, tc := range []struct {
		name string
		wait time.Duration // after the sync, before the kill
		want []string
	}{
		{"killed during the rewrite", 0, []string{"k=old", "mine=1"}},
		{"killed after it", 3 * time.Second, []string{"a=1", "b=2", "c=3", "k=new"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCluster(t, map[string][][2]string{
				"127.0.0.1": {{"save", ""}},
				"127.0.0.2": {{"save", ""}, {"appendonly", "yes"}, {"rdb-key-save-delay", "100000"}},
			})
			c.run(100 * time.Millisecond)
			c.do("127.0.0.2", "SET", "k", "old")
			c.do("127.0.0.2", "SET", "mine", "1")
			for _, kv := range [][2]string{{"a", "1"}, {"b", "2"}, {"c", "3"}, {"k", "new"}} {
				c.do("127.0.0.1", "SET", kv[0], kv[1])
			}
			c.do("127.0.0.2", "REPLICAOF", "127.0.0.1", "6379")
			for deadline := c.k.Now() + 5*time.Second; !c.linkUp("127.0.0.2"); c.run(10 * time.Millisecond) {
				if c.k.Now() > deadline {
					t.Fatal("the replica did not sync")
				}
			}
			info := c.do("127.0.0.2", "INFO", "persistence").Str
			if !containsLine(info, "aof_enabled:1") || !containsLine(info, "aof_rewrite_in_progress:1") ||
				!containsLine(info, "aof_rewrites:1") {
				t.Fatalf("right after the sync, want the AOF on and its rewrite under way:\n%s", info)
			}
			c.run(tc.wait)
			c.procs["127.0.0.2"].Kill()
			c.procs["127.0.0.2"].Start() // its config file has no replicaof: a master
			c.run(100 * time.Millisecond)
			if got := c.servers["127.0.0.2"].Snapshot(); !slices.Equal(got, tc.want) {
				t.Errorf("after the restart the node holds %v, want %v", got, tc.want)
			}
		})
	}
}

// linkUp reports whether a replica's link with its master is up.
func (c *cluster) linkUp(addr string) bool {
	_, _, up := c.servers[addr].Master()
	return up
}

// TestLoadingAtStartupGrowsWithTheDataset restarts a node on RDB files of 0, 10,000 and
// 100,000 keys of 8-byte values at the default speeds: it answers -LOADING for a time
// that grows with the keys, about a tenth of the 0.76 s measured for a million such keys
// (DefaultSpeeds) for the largest.
func TestLoadingAtStartupGrowsWithTheDataset(t *testing.T) {
	var took []time.Duration
	for _, keys := range []int{0, 10_000, 100_000} {
		c := newCluster(t, map[string][][2]string{"127.0.0.1": {{"save", ""}}})
		srv := c.servers["127.0.0.1"]
		c.procs["127.0.0.1"].Kill()
		srv.rdb = newDataset()
		for i := range keys {
			srv.rdb.strs[fmt.Sprintf("key:%07d", i)] = "12345678"
		}
		c.procs["127.0.0.1"].Start()
		start := c.k.Now()
		if keys > 0 {
			if r := c.do("127.0.0.1", "GET", "key:0000000"); r.ErrorPrefix() != "LOADING" {
				t.Fatalf("%d keys: GET right after the start: %v, want LOADING", keys, r)
			}
		}
		for srv.n.loading() {
			c.run(time.Millisecond)
		}
		took = append(took, c.k.Now()-start)
		if r := c.do("127.0.0.1", "DBSIZE"); r.Int != int64(keys) {
			t.Fatalf("%d keys: DBSIZE after the load: %v", keys, r)
		}
	}
	t.Logf("loading took %v", took)
	if took[0] > time.Millisecond || took[1] <= took[0] || took[2] < 8*took[1] {
		t.Errorf("loading took %v for 0, 10,000 and 100,000 keys: want it to grow with the keys", took)
	}
	if took[2] < 50*time.Millisecond || took[2] > 110*time.Millisecond {
		t.Errorf("100,000 keys loaded in %v, want about 76 ms", took[2])
	}
}
