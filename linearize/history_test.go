package linearize

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

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
