package fidelity

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestFullSyncMatchesRealRedis follows a full sync on a real master and replica and on
// simulated ones: what INFO says on both sides, sampled every 50 ms, as a sequence of
// states. The child is slowed to 50 ms a key (rdb-key-save-delay) and the replica's load
// likewise (key-load-delay), so that every phase lasts long enough to be seen on both
// sides, and the replica serves clients between every kilobyte it loads
// (loading-process-events-interval-bytes), so that INFO shows it loading. States seen
// less than three times in a row are dropped: the master learns that its child exited at
// its next cron, up to 100 ms later, a window that the samples, slower on a loading real
// server, may or may not catch.
func TestFullSyncMatchesRealRedis(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts [][2]string
	}{
		{"diskless", [][2]string{{"repl-diskless-sync", "yes"}, {"repl-diskless-sync-delay", "0"}}},
		{"diskless-delay", [][2]string{{"repl-diskless-sync", "yes"}, {"repl-diskless-sync-delay", "2"}}},
		// The delay applies to diskless syncs only.
		{"disk", [][2]string{{"repl-diskless-sync", "no"}, {"repl-diskless-sync-delay", "2"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			port := FreePort(t, nodeA, nodeB)
			opts := append([][2]string{{"protected-mode", "no"}, {"rdb-key-save-delay", "50000"},
				{"key-load-delay", "50000"}, {"loading-process-events-interval-bytes", "1024"}}, tc.opts...)
			run := func(start func(addr string) node) []string {
				m, r := start(nodeA), start(nodeB)
				for i := 0; i < 20; i++ {
					m.Do("SET", fmt.Sprintf("k%d", i), incompressible(i, 2000))
				}
				r.Do("REPLICAOF", nodeA, strconv.Itoa(port))
				var states []string
				for i := 0; i < 200 && !synced(states); i++ {
					states = append(states, syncState(t, m, r))
					m.Pause(50 * time.Millisecond)
				}
				return steady(states)
			}
			realSide := run(func(addr string) node {
				n := &realNode{t: t, r: StartReal(t, addr, port, append(opts, [2]string{"bind-source-addr", addr})...)}
				n.conn = n.r.Dial(t)
				return n
			})
			sim := NewSim(1)
			simSide := run(func(addr string) node {
				if _, err := sim.Spawn(addr, port, append([][2]string{{"save", ""}}, opts...)...); err != nil {
					t.Fatal(err)
				}
				return &simNode{t: t, sim: sim, addr: addr, port: port, conn: sim.Dial(addr, port)}
			})
			if strings.Join(realSide, "\n") != strings.Join(simSide, "\n") {
				t.Errorf("the full sync went through other states\nreal:\n%s\nsim:\n%s",
					strings.Join(realSide, "\n"), strings.Join(simSide, "\n"))
			}
			t.Logf("real:\n%s", strings.Join(realSide, "\n"))
		})
	}
}

// incompressible is n bytes that LZF does not compress (an RDB would otherwise hold a
// few bytes of each value), from a seed.
func incompressible(seed, n int) string {
	b := make([]byte, n)
	x := uint32(seed*7919 + 1)
	for i := range b {
		x = x*1664525 + 1013904223
		b[i] = 'a' + byte(x>>24)%26
	}
	return string(b)
}

// syncState is what the master and the replica say of a full sync in progress.
func syncState(t *testing.T, m, r node) string {
	t.Helper()
	get := func(n node, section string) map[string]string {
		v, err := n.Do("INFO", section)
		if err != nil {
			t.Fatalf("%s: INFO %s: %v", n.Name(), section, err)
		}
		f, _ := parseInfo(v.Str)
		return f
	}
	mr, mp := get(m, "replication"), get(m, "persistence")
	rr, rp := get(r, "replication"), get(r, "persistence")
	total := rr["master_sync_total_bytes"]
	if n, err := strconv.Atoi(total); err == nil && n > 0 {
		total = "<size>" // the RDB file's size: the simulation estimates it
	}
	state := ""
	if s := mr["slave0"]; s != "" {
		state = s[strings.Index(s, "state="):]
		state = strings.Split(state, ",")[0]
	}
	getReply, _ := r.Do("GET", "k0")
	got := getReply.String()
	if !getReply.IsError() {
		got = fmt.Sprintf("%d bytes", len(getReply.Str))
	}
	return fmt.Sprintf("master: %s bgsave=%s | replica: link=%s sync=%s total=%s loading=%s GET=%s", state,
		mp["rdb_bgsave_in_progress"], rr["master_link_status"], rr["master_sync_in_progress"], total,
		rp["loading"], got)
}

// steady keeps the states seen at least three times in a row, once each.
func steady(states []string) []string {
	var out []string
	for i := 2; i < len(states); i++ {
		if states[i] == states[i-1] && states[i] == states[i-2] && (len(out) == 0 || out[len(out)-1] != states[i]) {
			out = append(out, states[i])
		}
	}
	return out
}

// synced reports whether the last ten states are the same one, with the link up.
func synced(states []string) bool {
	if len(states) < 10 || !strings.Contains(states[len(states)-1], "link=up") {
		return false
	}
	for _, s := range states[len(states)-10:] {
		if s != states[len(states)-1] {
			return false
		}
	}
	return true
}
