package redis

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sentinelsim/sentinelsim/netmodel"
	"github.com/sentinelsim/sentinelsim/resp"
)

// These tests pin behaviours that fidelity/ measured against a real redis-server 7.0.15,
// so that they hold on machines without one.

func TestString2llIsRedisStrict(t *testing.T) {
	for s, want := range map[string]bool{
		"0": true, "-1": true, "42": true, "9223372036854775807": true, "-9223372036854775808": true,
		"": false, "-": false, "+1": false, "01": false, "-0": false, " 1": false, "1 ": false, "1.5": false,
		"9223372036854775808": false, "-9223372036854775809": false, "000000000000000000001": false,
	} {
		if _, ok := string2ll(s); ok != want {
			t.Errorf("string2ll(%q) ok=%v, want %v", s, ok, want)
		}
	}
}

func TestStringMatchQuirks(t *testing.T) {
	for _, tc := range []struct {
		pattern, s string
		nocase     bool
		want       bool
	}{
		{"*", "", false, false}, // the loop never runs on an empty string
		{"", "", false, true},
		{"a*", "a", false, true},
		{"a?c", "abc", false, true},
		{"[a-c]x", "bx", false, true},
		{"[c-a]x", "bx", false, true}, // reversed ranges work
		{"[^a]", "a", false, false},
		{"[^a]", "b", false, true},
		{"a\\*", "a*", false, true},
		{"[ab", "a", false, true}, // an unterminated class matches its last byte
		{"REPL*", "repl-timeout", true, true},
		{"REPL*", "repl-timeout", false, false},
	} {
		if got := stringMatch(tc.pattern, tc.s, tc.nocase); got != tc.want {
			t.Errorf("stringMatch(%q, %q, %v) = %v, want %v", tc.pattern, tc.s, tc.nocase, got, tc.want)
		}
	}
}

func TestReplyShapesOfRedis70(t *testing.T) {
	c := newCluster(t, map[string][][2]string{"127.0.0.1": {}})
	for _, tc := range []struct {
		args []string
		want resp.Value
	}{
		{[]string{"CLIENT", "NOSUCH"}, resp.Err("ERR unknown subcommand 'NOSUCH'. Try CLIENT HELP.")},
		{[]string{"CONFIG", "GET"}, resp.Err("ERR wrong number of arguments for 'config|get' command")},
		{[]string{"EXEC", "x"}, resp.Err("EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command")},
		{[]string{"NO\r\nSUCH", "a\x00b"}, resp.Err("ERR unknown command 'NO  SUCH', with args beginning with: 'a' ")},
		{[]string{"SET", "k", "v", "EX", "abc"}, resp.Err("ERR value is not an integer or out of range")},
		{[]string{"SET", "k", "v", "EX", "0", "NX", "XX"}, resp.Err("ERR syntax error")},
		{[]string{"SELECT", "9999999999"}, resp.Err("ERR value is out of range, value must between -2147483648 and 2147483647")},
		{[]string{"CONFIG", "GET", "SLAVE-READ-ONLY"}, resp.BulkArray("SLAVE-READ-ONLY", "yes")},
		{[]string{"CLIENT", "SETNAME", "a b"}, resp.Err("ERR Client names cannot contain spaces, newlines or special characters.")},
		{[]string{"FLUSHALL", "x"}, resp.Err("ERR syntax error")},
	} {
		if got := c.do("127.0.0.1", tc.args...); !got.Equal(tc.want) {
			t.Errorf("%q: %v, want %v", tc.args, got, tc.want)
		}
	}
	c.do("127.0.0.1", "SET", "n", "9223372036854775807")
	if got := c.do("127.0.0.1", "INCR", "n"); got.Str != "ERR increment or decrement would overflow" {
		t.Errorf("INCR past the maximum: %v", got)
	}
}

func TestMasterWithoutReplicasKeepsItsOffset(t *testing.T) {
	c := newCluster(t, map[string][][2]string{"127.0.0.1": {}, "127.0.0.2": {}})
	c.do("127.0.0.1", "SET", "k", "v")
	if off := c.servers["127.0.0.1"].Offset(); off != 0 {
		t.Fatalf("a master with neither replicas nor a backlog moved its offset to %d", off)
	}
	c.do("127.0.0.2", "REPLICAOF", "127.0.0.1", "6379")
	c.run(2 * time.Second)
	c.do("127.0.0.1", "SET", "k", "w")
	c.run(time.Second)
	// The first write after a full sync comes after a SELECT: 23 bytes, then the SET's 27.
	if a, b := c.servers["127.0.0.1"].Offset(), c.servers["127.0.0.2"].Offset(); a != 50 || b != 50 {
		t.Errorf("offsets after one write: master %d, replica %d; want 50 (SELECT 0 and SET k w)", a, b)
	}
}

func TestRestartedReplicaContinuesFromItsSyncRDB(t *testing.T) {
	c := newCluster(t, map[string][][2]string{
		"127.0.0.1": {},
		"127.0.0.2": {{"replicaof", "127.0.0.1 6379"}},
	})
	c.run(2 * time.Second)
	c.do("127.0.0.1", "SET", "a", "1")
	c.run(time.Second)
	c.procs["127.0.0.2"].Kill()
	c.do("127.0.0.1", "SET", "b", "2")
	c.procs["127.0.0.2"].Start()
	c.run(2 * time.Second)
	info := c.do("127.0.0.1", "INFO", "stats").Str
	if !containsLine(info, "sync_full:1") || !containsLine(info, "sync_partial_ok:1") {
		t.Errorf("the restarted replica should continue partially from its RDB; master's stats:\n%s", info)
	}
	if got := c.do("127.0.0.2", "GET", "b"); got.Str != "2" {
		t.Errorf("the restarted replica has b=%v", got)
	}
}

func TestProtectedModeRefusesOtherHosts(t *testing.T) {
	c := newCluster(t, map[string][][2]string{"127.0.0.1": {{"protected-mode", "yes"}}})
	if got := c.do("127.0.0.1", "PING"); got.ErrorPrefix() != "DENIED" {
		t.Errorf("a client from 127.0.0.9 got %v, want DENIED", got)
	}
}

func TestReplicaOfAnUnsyncedReplicaRetries(t *testing.T) {
	c := newCluster(t, map[string][][2]string{
		"127.0.0.2": {{"replicaof", "127.0.0.1 6379"}}, // its master does not exist yet
		"127.0.0.3": {{"replicaof", "127.0.0.2 6379"}},
	})
	c.run(3 * time.Second) // .3 is told NOMASTERLINK, and tries again every second
	srv, err := New(Config{Port: 6379, Options: [][2]string{{"repl-diskless-sync-delay", "0"}, {"protected-mode", "no"}}})
	if err != nil {
		t.Fatal(err)
	}
	c.k.Host("127.0.0.1").Spawn("redis/127.0.0.1", srv)
	c.run(time.Millisecond)
	c.do("127.0.0.1", "SET", "k", "v")
	c.run(3 * time.Second)
	if got := c.do("127.0.0.3", "GET", "k"); got.Str != "v" {
		t.Errorf("the replica of the replica has k=%v", got)
	}
}

func TestDebugSleepRepliesAfterTheSleepAndBlocksEveryone(t *testing.T) {
	c := newCluster(t, map[string][][2]string{"127.0.0.1": {{"enable-debug-command", "yes"}}})
	start := c.k.Now()
	var sleptAt, pongAt time.Duration
	sleeper := c.client.Dial("127.0.0.1", 6379)
	sleeper.OnData = func(any) { sleptAt = c.k.Now() - start }
	sleeper.Send([]string{"DEBUG", "SLEEP", "0.5"})
	c.run(10 * time.Millisecond)
	other := c.client.Dial("127.0.0.1", 6379)
	other.OnData = func(any) { pongAt = c.k.Now() - start }
	other.Send([]string{"PING"})
	c.run(time.Second)
	if sleptAt < 500*time.Millisecond || sleptAt > 520*time.Millisecond {
		t.Errorf("DEBUG SLEEP 0.5 answered after %v", sleptAt)
	}
	if pongAt < 500*time.Millisecond {
		t.Errorf("another client's PING was answered after %v, during the sleep", pongAt)
	}
	if got := c.do("127.0.0.1", "DEBUG", "SLEEP", "-1"); !got.Equal(resp.OK) {
		t.Errorf("DEBUG SLEEP -1: %v", got)
	}
	d := newCluster(t, map[string][][2]string{"127.0.0.1": {}})
	if got := d.do("127.0.0.1", "DEBUG", "SLEEP", "0"); got.ErrorPrefix() != "ERR" || !strings.Contains(got.Str, "enable-debug-command") {
		t.Errorf("DEBUG without enable-debug-command: %v", got)
	}
}

func TestReplicaOfAPartitionedMasterKeepsTrying(t *testing.T) {
	c := newCluster(t, map[string][][2]string{
		"127.0.0.1": {{"repl-ping-replica-period", "1"}},
		"127.0.0.2": {{"replicaof", "127.0.0.1 6379"}, {"repl-timeout", "5"}},
	})
	c.run(2 * time.Second)
	if _, _, up := c.servers["127.0.0.2"].Master(); !up {
		t.Fatal("the replica did not sync")
	}
	cut := netmodel.Fault{Kind: netmodel.Partition, Groups: [][]string{{"127.0.0.1"}, {"127.0.0.2", "127.0.0.9"}}}
	if err := c.k.ApplyFault(cut); err != nil {
		t.Fatal(err)
	}
	c.run(8 * time.Second) // past repl-timeout: the link is down
	down := func() int {
		v, _ := strconv.Atoi(infoField(c.do("127.0.0.2", "INFO", "replication").Str, "master_link_down_since_seconds"))
		return v
	}
	first := down()
	c.run(10 * time.Second)
	if second := down(); first < 1 || second < first+9 {
		t.Errorf("master_link_down_since_seconds went from %d to %d in 10 s", first, second)
	}
	if role := c.do("127.0.0.2", "ROLE"); role.Array[3].Str != "connecting" && role.Array[3].Str != "connect" {
		t.Errorf("the replica's link is %v, want it trying to connect", role.Array[3])
	}
	if err := c.k.ApplyFault(netmodel.Fault{Kind: netmodel.Heal}); err != nil {
		t.Fatal(err)
	}
	c.run(20 * time.Second) // the connect attempt under way times out, the next one succeeds
	if _, _, up := c.servers["127.0.0.2"].Master(); !up {
		t.Errorf("the replica did not reconnect after the partition healed")
	}
}
