package scenarios

import (
	"strings"
	"testing"
	"time"
)

// Removing a chunk of a schedule keeps the undo entries in it that a fault left outside
// it may need, and drops those whose faults go too.
func TestShrinkingKeepsTheUndoOfAFaultThatStays(t *testing.T) {
	s, err := Lookup("partition-master-minority")
	if err != nil {
		t.Fatal(err)
	}
	sec := func(n int) time.Duration { return time.Duration(n) * time.Second }
	schedule := []Fault{
		{At: sec(1), Kind: Partition, Groups: [][]string{{"n1"}, {SelectRest}}},
		{At: sec(2), Kind: Kill, Target: "n2/redis"},
		{At: sec(3), Kind: Pause, Target: SelectMaster},
		{At: sec(4), Kind: Heal, Hosts: []string{"n3"}}, // n3 is in the rest: it ends the partition
		{At: sec(5), Kind: Restart, Target: "n2"},       // the host of the killed node
		{At: sec(6), Kind: Resume, Target: "n3/redis"},  // the master may be n3/redis
		{At: sec(7), Kind: Restart, Target: "n3/redis"}, // nothing killed n3/redis
	}
	for _, c := range []struct {
		start, end int
		want       string
	}{
		{3, 7, "1s partition n1 | rest, 2s kill n2/redis, 3s pause master, 4s heal n3, 5s restart n2, 6s resume n3/redis"},
		{0, 4, "5s restart n2, 6s resume n3/redis, 7s restart n3/redis"},
		{1, 5, "1s partition n1 | rest, 4s heal n3, 6s resume n3/redis, 7s restart n3/redis"},
		{6, 7, "1s partition n1 | rest, 2s kill n2/redis, 3s pause master, 4s heal n3, 5s restart n2, 6s resume n3/redis"},
	} {
		var got []string
		for _, f := range withoutChunk(s.Topology, schedule, c.start, c.end) {
			got = append(got, f.String())
		}
		if strings.Join(got, ", ") != c.want {
			t.Errorf("without faults %d..%d:\n got %s\nwant %s", c.start+1, c.end, strings.Join(got, ", "), c.want)
		}
	}
	heal := Fault{Kind: Heal, Hosts: []string{"n2"}}
	if undoes(s.Topology, heal, Fault{Kind: Cut, From: []string{"n1"}, To: []string{"n3"}}) {
		t.Error("a heal of n2 counted as ending a cut between n1 and n3")
	}
	if undoes(s.Topology, Fault{Kind: Restart, Target: "n1/redis"}, Fault{Kind: Kill, Target: "n2"}) {
		t.Error("a restart of n1/redis counted as ending a kill of host n2")
	}
}
