package scenarios

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sentinelsim/sentinelsim/sim"
)

// TestSpeedsSlowTheSimulatedFullSync writes about 100 KB to the master and makes its
// replica sync in full again (REPLICAOF NO ONE, then back: its new replication id is
// unknown to the master). At the default 50 MB/s the RDB arrives in about 2 ms; at a
// transfer-rate of 10kb, from the file's speeds: section or from a setting, it is still
// on its way 3 s later.
func TestSpeedsSlowTheSimulatedFullSync(t *testing.T) {
	const src = "name: speeds\nhosts:\n  n1: [redis]\n  n2: [redis]\nduration: 10s\n"
	for _, tc := range []struct {
		name, file string
		settings   []string
		syncing    bool
	}{
		{"default speeds", src, nil, false},
		{"speeds: section", src + "speeds: {transfer-rate: 10kb}\n", nil, true},
		{"speeds. setting", src, []string{"speeds.transfer-rate=10kb"}, true},
		{"setting over the section", src + "speeds: {transfer-rate: 10kb}\n", []string{"speeds.transfer-rate=50mb"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Parse("speeds.yaml", []byte(tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if s, err = s.WithSettings(tc.settings...); err != nil {
				t.Fatal(err)
			}
			w, err := sim.Backend{}.New(t.Context(), s.Topology, 1)
			if err != nil {
				t.Fatal(err)
			}
			do := func(node string, args ...string) string {
				v, err := w.Command(node, args...)
				if err != nil {
					t.Fatalf("%s %v: %v", node, args, err)
				}
				return v.String()
			}
			for i := 0; i < 100; i++ {
				do("n1/redis", "SET", fmt.Sprintf("key%d", i), strings.Repeat("x", 1000))
			}
			do("n2/redis", "REPLICAOF", "NO", "ONE")
			do("n2/redis", "REPLICAOF", "127.0.0.1", "6379")
			w.Advance(3 * time.Second)
			info := do("n2/redis", "INFO", "replication")
			if got := strings.Contains(info, "master_sync_in_progress:1"); got != tc.syncing {
				t.Errorf("3 s into the full sync, syncing=%v, want %v:\n%s", got, tc.syncing, info)
			}
		})
	}
}
