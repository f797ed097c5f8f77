package findings

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A small plan writes every part of results/, with numbers in the report that come from
// the tables, and the same numbers when run again.
func TestGenerateWritesEveryPartDeterministically(t *testing.T) {
	plan := Plan{Seeds: 2, Workers: 2, LinLimit: time.Second,
		Scenarios: []string{"partition-master-minority", "jepsen-2013-partition", "master-reboot-no-persistence"},
		Configs:   Configs[:3], PartitionLengths: []time.Duration{10 * time.Second, 30 * time.Second},
		Sentinels: []int{3}, Command: "test"}
	var reports [2]string
	for i := range reports {
		dir := t.TempDir()
		if err := Generate(context.Background(), dir, plan); err != nil {
			t.Fatal(err)
		}
		for _, f := range []string{"README.md", "configurations.md", "configurations.json",
			"plots/lost-writes-vs-partition.svg", "plots/lost-writes-vs-partition.png", "plots/failover-time.svg",
			"plots/speed-vs-sentinels.svg", "failing-run/README.md", "failing-run/timeline.html", "failing-run/events.log"} {
			if st, err := os.Stat(filepath.Join(dir, f)); err != nil || st.Size() == 0 {
				t.Errorf("%s: %v", f, err)
			}
		}
		readme, _ := os.ReadFile(filepath.Join(dir, "README.md"))
		reports[i] = string(readme)
		tables, _ := os.ReadFile(filepath.Join(dir, "configurations.md"))
		if n := strings.Count(string(tables), "\n| min-replicas-to-write 1, max-lag 10 |"); n != 3 {
			t.Errorf("configurations.md has %d min-replicas rows, want one per scenario:\n%s", n, tables)
		}
		run, _ := os.ReadFile(filepath.Join(dir, "failing-run/README.md"))
		if !strings.Contains(string(run), "the sentinels disagree on the master") {
			t.Errorf("the failing run no longer fails as recorded:\n%s", run)
		}
	}
	if reports[0] != reports[1] {
		t.Error("two generations from the same seeds gave different reports")
	}
	if strings.Contains(reports[0], "%!") {
		t.Errorf("the report has a formatting error:\n%s", reports[0])
	}
}
