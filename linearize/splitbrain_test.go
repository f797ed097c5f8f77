package linearize

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"pgregory.net/rapid"
)

func TestSplitBrain(t *testing.T) {
	clean := []MasterInterval{{"n1", 0, 100}, {"n2", 150, 300}, {"n1", 400, 500}}
	wantResult(t, SplitBrain(clean), Pass)
	wantResult(t, SplitBrain(nil), Pass)

	// The Jepsen 2013 shape: n1 keeps accepting writes on the minority side while n3 is
	// promoted on the majority side; n5 briefly joins in.
	split := []MasterInterval{{"n1", 0, 400}, {"n3", 200, 600}, {"n5", 250, 260}, {"n1", 380, 450}, {"n3", 900, 950}}
	v := SplitBrain(split)
	wantResult(t, v, Violated)
	want := SplitBrainEvidence{Overlaps: []Overlap{{200, 450, []string{"n1", "n3", "n5"}}}, Total: 250}
	if ev := v.Evidence.(SplitBrainEvidence); !reflect.DeepEqual(ev, want) {
		t.Fatalf("evidence %+v, want %+v", ev, want)
	}

	// Closed intervals: taking over at the very instant the old master stops is an
	// overlap of length zero.
	v = SplitBrain([]MasterInterval{{"n1", 0, 100}, {"n2", 100, 200}})
	wantResult(t, v, Violated)
	if ev := v.Evidence.(SplitBrainEvidence); ev.Total != 0 || len(ev.Overlaps) != 1 {
		t.Fatalf("evidence %+v", ev)
	}
}

func TestSplitBrainFromHistory(t *testing.T) {
	w := func(node string, at int64) Op {
		return Op{Kind: KindSAdd, Key: "set", Node: node, Role: "master", Call: at - 5, Return: at, Status: Ok}
	}
	// n1 serves writes, fails over to n2, and later n1 is master again: no overlap.
	clean := numbered(w("n1", 10), w("n1", 20), w("n1", 30), w("n2", 50), w("n2", 60), w("n1", 100), w("n1", 110))
	iv := AcceptIntervals(WriteAccepts(clean), 15)
	wantIv := []MasterInterval{{"n1", 10, 30}, {"n2", 50, 60}, {"n1", 100, 110}}
	if !reflect.DeepEqual(iv, wantIv) {
		t.Fatalf("intervals %+v, want %+v", iv, wantIv)
	}
	wantResult(t, SplitBrain(iv), Pass)

	// Interleaved acknowledgements from two nodes: both were accepting writes.
	split := numbered(w("n1", 10), w("n2", 15), w("n1", 20), w("n2", 25), w("n1", 30))
	split = append(split, Op{ID: 5, Kind: KindSAdd, Node: "n3", Status: Fail, Return: 22}) // failed: not an accept
	v := SplitBrain(AcceptIntervals(WriteAccepts(split), 15))
	wantResult(t, v, Violated)
	if ev := v.Evidence.(SplitBrainEvidence); ev.Total != 10 {
		t.Fatalf("evidence %+v (total %v)", ev, time.Duration(ev.Total))
	}
}

// On small integer timelines, the sweep agrees with counting unit by unit.
func TestSplitBrainAgreesWithBruteForce(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var ivs []MasterInterval
		for i := range rapid.IntRange(0, 6).Draw(t, "n") {
			from := rapid.Int64Range(0, 20).Draw(t, fmt.Sprint("from", i))
			ivs = append(ivs, MasterInterval{
				Node: rapid.SampledFrom([]string{"n1", "n2", "n3"}).Draw(t, fmt.Sprint("node", i)),
				From: from, To: from + rapid.Int64Range(0, 8).Draw(t, fmt.Sprint("len", i)),
			})
		}
		masters := func(covers func(MasterInterval) bool) int {
			nodes := map[string]bool{}
			for _, iv := range ivs {
				if covers(iv) {
					nodes[iv.Node] = true
				}
			}
			return len(nodes)
		}
		var total int64
		split := false
		for u := int64(0); u <= 28; u++ {
			if masters(func(iv MasterInterval) bool { return iv.From <= u && u+1 <= iv.To }) >= 2 {
				total++
			}
			split = split || masters(func(iv MasterInterval) bool { return iv.From <= u && u <= iv.To }) >= 2
		}
		v := SplitBrain(ivs)
		if ev := v.Evidence.(SplitBrainEvidence); ev.Total != total || (v.Result == Violated) != split {
			t.Fatalf("sweep: %s, total %d; brute force: split %v, total %d", v.Result, ev.Total, split, total)
		}
	})
}
