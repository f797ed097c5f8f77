package linearize

import (
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"github.com/anishathalye/porcupine"
)

// Annotation marks a fault (a partition, a kill, a pause) or a Sentinel event on the
// HTML timeline, so that a reader can see why a write was lost.
type Annotation struct {
	At int64 `json:"at"`
	// Until is when it ended; 0 marks a point in time.
	Until  int64  `json:"until,omitempty"`
	Label  string `json:"label"`
	Detail string `json:"detail,omitempty"`
	// Row names the timeline row; "" puts it on the "faults" row.
	Row string `json:"row,omitempty"`
}

// DefaultEventTypes are the Sentinel events worth showing next to a history: a master
// judged down and a master switched.
var DefaultEventTypes = []string{"+odown", "+switch-master"}

// EventAnnotations turns the Sentinel events of the given types (DefaultEventTypes if
// none are given) into annotations, one row per sentinel.
func EventAnnotations(events []SentinelEvent, types ...string) []Annotation {
	if len(types) == 0 {
		types = DefaultEventTypes
	}
	var out []Annotation
	for _, e := range events {
		if slices.Contains(types, e.Type) {
			out = append(out, Annotation{At: e.At, Label: e.Type, Detail: e.Type + " " + e.Text, Row: "sentinel " + e.Sentinel})
		}
	}
	return out
}

// WriteHTML writes porcupine's visualisation of a history to w: the keys that are not
// linearizable (or undecided within limit), or every key if all are, with the faults and
// events in notes on rows of their own and the operations left out of the check (failed
// ones and reads with no reply) greyed out on their clients' rows.
func WriteHTML(w io.Writer, workload string, ops []Op, notes []Annotation, limit time.Duration) error {
	keys, rows, err := byKey(workload, ops)
	if err != nil {
		return err
	}
	results, _ := checkKeys(workload, keys, rows, limits{time: limit, memory: MemoryLimit})
	shown := map[string]bool{}
	var history []porcupine.Operation
	for i, k := range keys {
		if results[i] != Pass {
			shown[k.key] = true
			history = append(history, porcupineHistory(workload, k, rows)...)
		}
	}
	if len(history) == 0 {
		for _, k := range keys {
			shown[k.key] = true
			history = append(history, porcupineHistory(workload, k, rows)...)
		}
	}
	// porcupine searches again for the partial linearizations it draws, within bounds.
	b, stop := watch(MemoryLimit)
	defer stop()
	model, _ := b.model(models[workload])
	_, info := porcupine.CheckOperationsVerbose(model, history, limit)

	var anns []porcupine.Annotation
	for _, n := range notes {
		row, bg := n.Row, "#d6e4f5"
		if row == "" {
			row, bg = "faults", "#f8d7da"
		}
		anns = append(anns, porcupine.Annotation{Tag: row, Start: n.At, End: max(n.At, n.Until),
			Description: n.Label, Details: n.Detail, BackgroundColor: bg})
	}
	for _, op := range ops {
		if !shown[op.Key] || !(op.Status == Fail || (op.Status != Ok && !op.IsWrite())) {
			continue
		}
		desc := fmt.Sprintf("%s %s: %s", op.Kind, op.Arg, op.Status)
		anns = append(anns, porcupine.Annotation{ClientId: op.Client, Start: op.Call, End: max(op.Call, op.Return),
			Description: desc, Details: describeMetadata(&op), TextColor: "#666666", BackgroundColor: "#eeeeee"})
	}
	info.AddAnnotations(anns)
	return porcupine.Visualize(model, info, w)
}

// WriteHTMLFile is WriteHTML to a file.
func WriteHTMLFile(path, workload string, ops []Op, notes []Annotation, limit time.Duration) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := WriteHTML(f, workload, ops, notes, limit); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}
