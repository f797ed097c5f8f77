package scenarios

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/sentinelsim/sentinelsim/linearize"
)

// TraceWriter is what a world that keeps its whole trace (the simulator, when asked)
// offers: the trace as text, one event per line.
type TraceWriter interface {
	WriteTrace(w io.Writer) error
}

// WriteArtifacts writes what a person needs to understand a run into dir: result.json,
// history.json (every operation), events.log (every Sentinel event), trace.txt (when the
// world kept its trace) and timeline.html, porcupine's visualisation annotated with the
// faults and the +odown and +switch-master events.
// limit bounds porcupine's search for the visualisation.
func (run *Run) WriteArtifacts(dir string, s *Scenario, limit time.Duration) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	write := func(name string, fill func(io.Writer) error) error {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		if err := fill(f); err != nil {
			f.Close()
			return fmt.Errorf("write %s: %w", f.Name(), err)
		}
		return f.Close()
	}
	asJSON := func(v any) func(io.Writer) error {
		return func(w io.Writer) error {
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			return enc.Encode(v)
		}
	}
	if err := write("result.json", asJSON(run.Result)); err != nil {
		return err
	}
	if err := write("history.json", asJSON(struct {
		Ops []linearize.Op `json:"ops"`
	}{run.Ops})); err != nil {
		return err
	}
	if err := write("events.log", func(w io.Writer) error {
		for _, e := range run.Events {
			if _, err := fmt.Fprintf(w, "%-14v %s %s %s\n", time.Duration(e.At), e.Sentinel, e.Type, e.Text); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return err
	}
	if tw, ok := run.World.(TraceWriter); ok {
		if err := write("trace.txt", tw.WriteTrace); err != nil {
			return err
		}
	}
	notes := linearize.EventAnnotations(run.Events)
	for _, f := range run.Result.Faults {
		if !f.Undo {
			notes = append(notes, linearize.Annotation{At: int64(f.At), Until: int64(f.Ending), Label: f.Fault, Detail: f.Err})
		}
	}
	return linearize.WriteHTMLFile(filepath.Join(dir, "timeline.html"), s.Workload.Kind, run.Ops, notes, limit)
}
