package fidelity

import (
	"fmt"
	"testing"
	"time"
)

// The persistence tests run one node's life on a real redis-server and on a simulated
// node, and compare what they answered step by step: replies, the INFO persistence
// fields clients read, and what survives kills, exits and restarts.

// persistenceFields are the INFO persistence fields compared: the others are timing
// (rdb_last_save_time, the *_time_sec fields), the machine (copy-on-write sizes) or the
// file format (aof_current_size), as fidelity/README.md lists.
var persistenceFields = []string{"loading", "rdb_changes_since_last_save", "rdb_bgsave_in_progress",
	"rdb_last_bgsave_status", "rdb_saves", "rdb_last_load_keys_loaded", "aof_enabled", "aof_rewrite_in_progress",
	"aof_rewrite_scheduled", "aof_last_bgrewrite_status", "aof_last_write_status"}

// dataset records the dataset: a few keys' values and the key count.
func dataset(j *journal, names ...string) {
	j.t.Helper()
	for _, k := range names {
		j.do("GET", k)
	}
	j.do("DBSIZE")
}

func TestSavePointsMatchRealRedis(t *testing.T) {
	differentialLife(t, func(j *journal) {
		j.info("persistence", persistenceFields...)
		j.do("SET", "a", "1")
		j.info("persistence", persistenceFields...)
		// save 1 1: a background save once a change is more than a second old.
		j.waitFor("persistence", "rdb_changes_since_last_save", "0")
		j.waitFor("persistence", "rdb_bgsave_in_progress", "0")
		j.info("persistence", persistenceFields...)
		j.do("SET", "b", "2") // not saved: killed before its save point is due
		j.runID()
		j.n.Kill()
		j.start()
		j.runID() // a new one
		dataset(j, "a", "b")
		j.info("persistence", persistenceFields...)
		// CONFIG SET changes the running config only: without save points the change stays
		// unsaved however long it waits, and the restart is back to save 1 1.
		j.do("CONFIG", "SET", "save", "")
		j.do("SET", "c", "3")
		j.n.Pause(2500 * time.Millisecond)
		j.info("persistence", persistenceFields...)
		j.n.Kill()
		j.start()
		j.do("CONFIG", "GET", "save")
		dataset(j, "a", "c")
	}, [2]string{"save", "1 1"})
}

// server.dirty counts the keys and elements a command changed, not the commands.
func TestChangesMatchRealRedis(t *testing.T) {
	differentialLife(t, func(j *journal) {
		for _, cmd := range [][]string{
			{"SADD", "s", "a", "b", "c"}, {"SADD", "s", "a", "d"}, {"SADD", "s", "a"}, {"SREM", "s", "a", "b", "x"},
			{"RPUSH", "l", "1", "2", "3", "4"}, {"SET", "k", "v"}, {"SET", "k", "w", "NX"}, {"INCR", "n"},
			{"INCRBY", "n", "5"}, {"DEL", "k", "n", "missing"}, {"GET", "k"}, {"FLUSHALL"}, {"FLUSHALL"},
		} {
			j.do(cmd...)
			j.info("persistence", "rdb_changes_since_last_save")
		}
	}, [2]string{"save", ""})
}

func TestShutdownMatchesRealRedis(t *testing.T) {
	t.Run("save-points", func(t *testing.T) {
		differentialLife(t, func(j *journal) {
			for _, bad := range [][]string{{"SHUTDOWN", "foo"}, {"SHUTDOWN", "SAVE", "NOSAVE"}, {"SHUTDOWN", "NOW", "x"},
				{"SHUTDOWN", "ABORT", "NOW"}, {"SHUTDOWN", "ABORT"}} {
				j.do(bad...)
			}
			j.do("SET", "a", "1")
			j.doClosing("SHUTDOWN", "NOSAVE") // with save points, but told not to save
			j.start()
			dataset(j, "a")
			j.do("SET", "b", "2")
			j.doClosing("SHUTDOWN") // save points configured: it saves
			j.start()
			dataset(j, "b")
			j.info("persistence", persistenceFields...)
		}, [2]string{"save", "3600 1"})
	})
	t.Run("no-save-points", func(t *testing.T) {
		differentialLife(t, func(j *journal) {
			j.do("SET", "a", "1")
			j.doClosing("SHUTDOWN") // no save points: nothing saved
			j.start()
			dataset(j, "a")
			j.do("SET", "b", "2")
			j.doClosing("SHUTDOWN", "SAVE") // told to save
			j.start()
			dataset(j, "b")
		})
	})
}

func TestBackgroundSaveMatchesRealRedis(t *testing.T) {
	// rdb-key-save-delay slows the child down to 0.2 s a key, on both sides.
	differentialLife(t, func(j *journal) {
		for _, k := range []string{"k1", "k2", "k3", "k4", "k5"} {
			j.do("SET", k, "v")
		}
		j.do("BGSAVE", "x")
		j.do("BGSAVE")
		j.do("BGSAVE")
		j.do("BGSAVE", "SCHEDULE")
		j.do("SAVE")
		j.info("persistence", persistenceFields...)
		j.do("SET", "after-fork", "v")
		// The child reports to its parent after its first key: killed before that, it
		// dies too and the RDB file is not written.
		j.n.Kill()
		j.n.Pause(1500 * time.Millisecond)
		j.start()
		dataset(j, "k1", "after-fork")
		for _, k := range []string{"k1", "k2", "k3", "k4", "k5"} {
			j.do("SET", k, "v")
		}
		j.do("BGSAVE")
		j.do("SET", "after-fork", "v")
		// Killed after that report, the child has none left to make: it saves the
		// dataset as of the fork, without the later write, and the restart loads it.
		j.n.Pause(500 * time.Millisecond)
		j.n.Kill()
		j.n.Pause(1500 * time.Millisecond)
		j.start()
		dataset(j, "k1", "after-fork")
		j.info("persistence", persistenceFields...)
	}, [2]string{"rdb-key-save-delay", "200000"})
}

func TestRestartPrefersTheAOF(t *testing.T) {
	differentialLife(t, func(j *journal) {
		j.do("SET", "x", "1")
		j.do("SAVE") // the RDB holds x
		j.do("FLUSHALL")
		j.do("SET", "y", "2")
		j.info("persistence", persistenceFields...)
		j.n.Kill()
		j.start()
		dataset(j, "x", "y") // the AOF's dataset, not the RDB's
		j.info("persistence", persistenceFields...)
	}, [2]string{"appendonly", "yes"})
}

// TestLoadingAtStartupMatchesRealRedis restarts a node with keys to load slowly
// (key-load-delay), serving clients between every kilobyte (loading-process-events-
// interval-bytes): meanwhile INFO says loading:1 and data commands get -LOADING.
func TestLoadingAtStartupMatchesRealRedis(t *testing.T) {
	differentialLife(t, func(j *journal) {
		for i := 0; i < 10; i++ {
			j.do("SET", fmt.Sprintf("k%d", i), incompressible(i, 2000))
		}
		j.do("SAVE")
		j.n.Kill()
		j.n.Start()
		j.info("persistence", "loading")
		j.do("PING")
		j.do("GET", "k1")
		j.waitFor("persistence", "loading", "0")
		dataset(j, "k9")
		j.info("persistence", "loading", "rdb_last_load_keys_loaded")
	}, [2]string{"key-load-delay", "100000"}, [2]string{"loading-process-events-interval-bytes", "1024"})
}
