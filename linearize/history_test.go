package linearize

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"sync"
	"testing"

	"pgregory.net/rapid"
)

// TestSharedHistory has goroutines record at once, as the real backend's clients do,
// while another reads: every operation gets its own ID and its completion (the race
// detector, when on, checks the locking).
func TestSharedHistory(t *testing.T) {
	var h History
	h.Share()
	const clients, each = 4, 200
	var wg sync.WaitGroup
	for c := range clients {
		wg.Go(func() {
			for i := range each {
				id := h.Invoke(c, Op{Kind: KindSAdd, Key: "set", Arg: "x"}, int64(i))
				h.Complete(id, Output{Int: 1}, Ok, "n1", "master", int64(i+1))
			}
		})
	}
	wg.Go(func() {
		for range each {
			h.FirstWriteAfter(0)
		}
	})
	wg.Wait()
	ops := h.Ops()
	if len(ops) != clients*each {
		t.Fatalf("%d operations recorded, want %d", len(ops), clients*each)
	}
	for i, op := range ops {
		if op.ID != i || op.Status != Ok {
			t.Fatalf("operation %d: id %d, status %s", i, op.ID, op.Status)
		}
	}
}

func TestHistoryRecordsAndRoundTrips(t *testing.T) {
	var h History
	h.Grow(2) // less room than it takes: the third operation grows it again
	a := h.Invoke(0, Op{Kind: KindSAdd, Key: "set", Arg: "1", Output: Output{Int: 9}, Status: Ok}, 0)
	b := h.Invoke(1, Op{Kind: KindSAdd, Key: "set", Arg: "2"}, 5)
	c := h.Invoke(1, Op{Kind: KindSMembers, Key: "set", Final: true}, 30)
	h.Complete(b, Output{Error: "READONLY You can't write against a read only replica."}, Fail, "n2", "slave", 7)
	h.Complete(a, Output{Int: 1}, Ok, "n1", "master", 10)
	_ = c // never completed: stays Unknown

	want := []Op{
		{ID: 0, Client: 0, Kind: KindSAdd, Key: "set", Arg: "1", Output: Output{Int: 1}, Status: Ok, Call: 0, Return: 10, Node: "n1", Role: "master"},
		{ID: 1, Client: 1, Kind: KindSAdd, Key: "set", Arg: "2", Output: Output{Error: "READONLY You can't write against a read only replica."},
			Status: Fail, Call: 5, Return: 7, Node: "n2", Role: "slave"},
		{ID: 2, Client: 1, Kind: KindSMembers, Key: "set", Final: true, Status: Unknown, Call: 30},
	}
	if got := h.Ops(); !reflect.DeepEqual(got, want) {
		t.Fatalf("ops:\n got %+v\nwant %+v", got, want)
	}
	if got := h.Finished(); !reflect.DeepEqual(got, want) {
		t.Fatalf("finished:\n got %+v\nwant %+v", got, want)
	}
	if copied := h.Ops(); &copied[0] == &h.Finished()[0] {
		t.Fatal("Ops shares the history's array; the real backend's clients could still write to it")
	}

	b1, err := json.Marshal(&h)
	if err != nil {
		t.Fatal(err)
	}
	h2, err := ReadHistory(bytes.NewReader(b1))
	if err != nil {
		t.Fatal(err)
	}
	if got := h2.Ops(); !reflect.DeepEqual(got, want) {
		t.Fatalf("after a round trip:\n got %+v\nwant %+v", got, want)
	}
	b2, _ := json.Marshal(h2)
	if !bytes.Equal(b1, b2) {
		t.Fatalf("JSON differs after a round trip:\n%s\n%s", b1, b2)
	}
}

func TestHistoryRejectsBadInput(t *testing.T) {
	if _, err := ReadHistory(strings.NewReader(`{"ops":[{"id":3}]}`)); err == nil {
		t.Fatal("accepted an id out of order")
	}
	var h History
	id := h.Invoke(0, Op{Kind: KindGet, Key: "k"}, 0)
	h.Complete(id, Output{Nil: true}, Ok, "n1", "master", 0)
	defer func() {
		if recover() == nil {
			t.Fatal("completing twice did not panic")
		}
	}()
	h.Complete(id, Output{}, Ok, "n1", "master", 1)
}

// History.FirstWriteAfter remembers what it found among completed operations; asked as
// a history grows, with operations completing out of order, it answers as the plain
// function over a copy does.
func TestHistoryFirstWriteAfterFollowsTheHistory(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var h History
		var open []int
		now := int64(0)
		for range rapid.IntRange(1, 60).Draw(t, "steps") {
			now += rapid.Int64Range(0, 3).Draw(t, "tick")
			switch {
			case len(open) > 0 && rapid.Bool().Draw(t, "complete"):
				i := rapid.IntRange(0, len(open)-1).Draw(t, "which")
				status := rapid.SampledFrom([]Status{Ok, Fail, Unknown}).Draw(t, "status")
				h.Complete(open[i], Output{}, status, "n1", "master", now)
				open = append(open[:i], open[i+1:]...)
			default:
				kind := rapid.SampledFrom([]string{KindSAdd, KindSMembers}).Draw(t, "kind")
				open = append(open, h.Invoke(0, Op{Kind: kind, Key: "set", Arg: "1"}, now))
			}
			since := rapid.Int64Range(0, now+1).Draw(t, "since")
			if rapid.Bool().Draw(t, "same") {
				since = 5 // as a run that settles asks: the same time again and again
			}
			at, ok := h.FirstWriteAfter(since)
			wantAt, wantOK := FirstWriteAfter(h.Ops(), since)
			if at != wantAt || ok != wantOK {
				t.Fatalf("FirstWriteAfter(%d) = %d, %v; over a copy %d, %v", since, at, ok, wantAt, wantOK)
			}
		}
	})
}
