package linearize

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The Jepsen 2013 story in four operations: a write acknowledged by the isolated old
// master is gone after the partition heals.
func jepsenRegister() ([]Op, []Annotation, []SentinelEvent) {
	ops := numbered(
		Op{Client: 0, Kind: KindSet, Key: "register:0", Arg: "1", Call: 0, Return: 10, Node: "n1", Role: "master"},
		Op{Client: 0, Kind: KindSet, Key: "register:0", Arg: "2", Call: 200, Return: 210, Node: "n1", Role: "master"},
		Op{Client: 1, Kind: KindSet, Key: "register:0", Arg: "3", Call: 220, Return: 230, Status: Fail,
			Node: "n2", Role: "slave", Output: Output{Error: "READONLY You can't write against a read only replica."}},
		Op{Client: 1, Kind: KindGet, Key: "register:0", Output: Output{Value: "1"}, Call: 500, Return: 510, Node: "n3", Role: "master"},
		Op{Client: 2, Kind: KindGet, Key: "register:1", Output: Output{Nil: true}, Call: 500, Return: 510, Node: "n3", Role: "master"},
	)
	notes := []Annotation{{At: 100, Until: 400, Label: "partition n1,n2 | n3,n4,n5", Detail: "two-way partition"}}
	events := []SentinelEvent{
		{At: 150, Sentinel: "s3", Type: "+odown", Text: "master mymaster 127.0.0.1 6379 #quorum 3/2"},
		{At: 160, Sentinel: "s3", Type: "+vote-for-leader", Text: "run-s3 1"},
		{At: 180, Sentinel: "s3", Type: "+switch-master", Text: "mymaster 127.0.0.1 6379 127.0.0.3 6379"},
	}
	return ops, notes, events
}

func TestWriteHTML(t *testing.T) {
	ops, notes, events := jepsenRegister()
	notes = append(notes, EventAnnotations(events)...)
	if len(notes) != 3 {
		t.Fatalf("annotations: %+v", notes)
	}
	var b bytes.Buffer
	if err := WriteHTML(&b, "register", ops, notes, limit); err != nil {
		t.Fatal(err)
	}
	html := b.String()
	for _, want := range []string{"partition n1,n2 | n3,n4,n5", "sentinel s3", "+switch-master", "set register:0 2", "READONLY", "served by n1 (master)"} {
		if !strings.Contains(html, want) {
			t.Errorf("the HTML lacks %q", want)
		}
	}
	// Only the key that is not linearizable is drawn.
	if strings.Contains(html, "register:1") {
		t.Error("the HTML shows the linearizable key register:1")
	}

	path := filepath.Join(t.TempDir(), "history.html")
	if err := WriteHTMLFile(path, "register", ops, notes, limit); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Size() == 0 {
		t.Fatalf("file: %v %v", fi, err)
	}
}

func TestWriteHTMLSetAdd(t *testing.T) {
	ops := concurrentHistory("set-add", 1, 5, 200, 3)
	last := &ops[len(ops)-1]
	last.Output.Values = last.Output.Values[1:] // lose a write
	var b bytes.Buffer
	if err := WriteHTML(&b, "set-add", ops, nil, limit); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "smembers") {
		t.Error("the HTML lacks the final read")
	}
}
