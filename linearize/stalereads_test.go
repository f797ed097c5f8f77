package linearize

import (
	"reflect"
	"testing"
)

func TestStaleReads(t *testing.T) {
	masters := []MasterInterval{{"n1", 0, 100}, {"n2", 120, 300}}
	get := func(node string, call, ret int64) Op {
		return Op{Kind: KindGet, Key: "r", Node: node, Role: "master", Output: Output{Value: "1"}, Call: call, Return: ret}
	}
	fresh := numbered(get("n1", 10, 20), get("n1", 95, 130), get("n2", 150, 160), Op{Kind: KindSet, Node: "n1", Call: 200, Return: 210})
	wantResult(t, StaleReads(fresh, masters), Pass)

	stale := numbered(get("n1", 10, 20), get("n1", 150, 160), get("", 150, 160))
	v := StaleReads(stale, masters)
	wantResult(t, v, Violated)
	want := []StaleRead{{Op: 1, Kind: KindGet, Key: "r", Node: "n1", Role: "master", Call: 150, Return: 160, Masters: []string{"n2"}}}
	if !reflect.DeepEqual(v.Evidence, want) {
		t.Fatalf("evidence %+v", v.Evidence)
	}
}
