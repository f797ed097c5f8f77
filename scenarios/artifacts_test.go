package scenarios_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sentinelsim/sentinelsim/scenarios"
	"github.com/sentinelsim/sentinelsim/sim"
)

// A failing run's artifacts include porcupine's visualisation of its history, with the
// faults and the sentinels' +odown and +switch-master on rows of their own, so that a
// reader can see the write that was lost next to the partition that lost it.
func TestFailingRunWritesAnAnnotatedTimeline(t *testing.T) {
	s, err := scenarios.Lookup("jepsen-2013-partition")
	if err != nil {
		t.Fatal(err)
	}
	var run *scenarios.Run
	for seed := uint64(1); seed <= 5 && run == nil; seed++ {
		r, err := scenarios.Execute(t.Context(), s, sim.Backend{}, seed, scenarios.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if r.Result.Linearizable == "illegal" {
			run = r
		}
	}
	if run == nil {
		t.Fatal("no seed of 1-5 gave a non-linearizable history: the partition no longer loses writes")
	}
	dir := t.TempDir()
	if err := run.WriteArtifacts(dir, s, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "timeline.html"))
	if err != nil {
		t.Fatal(err)
	}
	html := string(b)
	if len(run.Result.Faults) == 0 || !strings.Contains(run.Result.Faults[0].Fault, "partition n1,n2 | n3,n4,n5") {
		t.Fatalf("faults applied: %+v, want the partition first", run.Result.Faults)
	}
	for _, want := range []string{
		run.Result.Faults[0].Fault, // the partition
		`"faults"`, "+odown", "+switch-master", "sentinel n3/sentinel",
		"sadd", "smembers", // the history itself
	} {
		if !strings.Contains(html, want) {
			t.Errorf("timeline.html lacks %q", want)
		}
	}
	for _, f := range []string{"result.json", "history.json", "events.log"} {
		if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
}
