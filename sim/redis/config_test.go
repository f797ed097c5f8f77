package redis

import (
	"slices"
	"testing"
	"time"

	"github.com/sentinelsim/sentinelsim/resp"
)

// These tests pin what fidelity/config_test.go measured against a real redis-server 7.0.15.

func TestConfigSetValidatesAsRedis(t *testing.T) {
	c := newCluster(t, map[string][][2]string{"127.0.0.1": {}})
	for _, tc := range []struct {
		name, value string
		reply       resp.Value
		get         string
	}{
		{"repl-timeout", "abc", resp.Err("ERR CONFIG SET failed (possibly related to argument 'repl-timeout') - argument couldn't be parsed into an integer"), "60"},
		{"repl-timeout", "0", resp.Err("ERR CONFIG SET failed (possibly related to argument 'repl-timeout') - argument must be between 1 and 2147483647 inclusive"), "60"},
		{"SLAVE-PRIORITY", "-1", resp.Err("ERR CONFIG SET failed (possibly related to argument 'slave-priority') - argument must be between 0 and 2147483647 inclusive"), "100"},
		{"appendfsync", "sometimes", resp.Err("ERR CONFIG SET failed (possibly related to argument 'appendfsync') - argument(s) must be one of the following: everysec, always, no"), "everysec"},
		{"replica-read-only", "maybe", resp.Err("ERR CONFIG SET failed (possibly related to argument 'replica-read-only') - argument must be 'yes' or 'no'"), "yes"},
		{"save", "1", resp.Err("ERR CONFIG SET failed (possibly related to argument 'save') - Invalid save parameters"), "3600 1 300 100 60 10000"},
		{"repl-backlog-size", "1x", resp.Err("ERR CONFIG SET failed (possibly related to argument 'repl-backlog-size') - argument must be a memory value"), "1048576"},
		{"repl-backlog-size", "1k", resp.OK, "16384"},
		{"appendfsync", "ALWAYS", resp.OK, "always"},
		{"hz", "1000", resp.OK, "500"},
		{"dbfilename", "x.rdb", resp.Err("ERR CONFIG SET failed (possibly related to argument 'dbfilename') - can't set protected config"), "dump.rdb"},
	} {
		if got := c.do("127.0.0.1", "CONFIG", "SET", tc.name, tc.value); !got.Equal(tc.reply) {
			t.Errorf("CONFIG SET %s %q: %v, want %v", tc.name, tc.value, got, tc.reply)
		}
		if got := c.do("127.0.0.1", "CONFIG", "GET", tc.name); len(got.Array) != 2 || got.Array[1].Str != tc.get {
			t.Errorf("after CONFIG SET %s %q: CONFIG GET says %v, want %q", tc.name, tc.value, got, tc.get)
		}
	}
	// All or nothing: the valid first pair is not set when the second is invalid.
	c.do("127.0.0.1", "CONFIG", "SET", "repl-timeout", "8", "replica-priority", "x")
	if got := c.do("127.0.0.1", "CONFIG", "GET", "repl-timeout"); got.Array[1].Str != "60" {
		t.Errorf("a CONFIG SET that failed changed repl-timeout to %v", got.Array[1])
	}
}

func TestConfigSetLastsUntilARestartUnlessRewritten(t *testing.T) {
	c := newCluster(t, map[string][][2]string{"127.0.0.1": {}})
	get := func() string { return c.do("127.0.0.1", "CONFIG", "GET", "replica-priority").Array[1].Str }
	c.do("127.0.0.1", "CONFIG", "SET", "replica-priority", "5")
	c.procs["127.0.0.1"].Restart()
	if got := get(); got != "100" {
		t.Errorf("CONFIG SET without CONFIG REWRITE survived a restart: replica-priority %s", got)
	}
	c.do("127.0.0.1", "CONFIG", "SET", "replica-priority", "5")
	c.do("127.0.0.1", "CONFIG", "REWRITE")
	c.procs["127.0.0.1"].Restart()
	if got := get(); got != "5" {
		t.Errorf("after CONFIG REWRITE and a restart replica-priority is %s, want 5", got)
	}
}

func TestConfigSetAppendonlyTurnsTheAOFOn(t *testing.T) {
	c := newCluster(t, map[string][][2]string{"127.0.0.1": {{"save", ""}}})
	c.do("127.0.0.1", "SET", "a", "1")
	c.do("127.0.0.1", "CONFIG", "SET", "appendonly", "yes")
	if info := c.do("127.0.0.1", "INFO", "persistence").Str; !containsLine(info, "aof_enabled:1") ||
		!containsLine(info, "aof_rewrite_in_progress:1") {
		t.Errorf("CONFIG SET appendonly yes should start a rewrite:\n%s", info)
	}
	c.run(time.Second)
	c.do("127.0.0.1", "SET", "b", "2")
	c.do("127.0.0.1", "CONFIG", "REWRITE")
	c.procs["127.0.0.1"].Restart()
	c.run(10 * time.Millisecond)
	if got := c.servers["127.0.0.1"].Snapshot(); !slices.Equal(got, []string{"a=1", "b=2"}) {
		t.Errorf("restarted with appendonly yes: %v, want the AOF's a=1 b=2", got)
	}
}
