package scenarios

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sentinelsim/sentinelsim/world"
)

// clocklessWorld is the fake world of the timeline tests, unable to jump clocks as the
// real world is.
type clocklessWorld struct{ fakeWorld }

func (*clocklessWorld) JumpClock(string, time.Duration) error {
	return fmt.Errorf("clock jumps: %w", world.ErrUnsupported)
}

type clocklessBackend struct{}

func (clocklessBackend) Name() string { return "clockless" }
func (clocklessBackend) New(_ context.Context, t world.Topology, _ uint64) (world.World, error) {
	return &clocklessWorld{fakeWorld{top: t}}, nil
}

// A fault the world cannot do fails the run, naming the fault: it did not test what the
// scenario says.
func TestAnUnsupportedFaultFailsTheRun(t *testing.T) {
	s, err := Lookup("clock-jump-tilt")
	if err != nil {
		t.Fatal(err)
	}
	run, err := Execute(context.Background(), s, clocklessBackend{}, 1, Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := run.Result
	var named bool
	for _, v := range r.Violations {
		named = named || strings.HasPrefix(v, "fault-unsupported: clock-jump n3/sentinel") && strings.Contains(v, "not supported")
	}
	if r.Passed() || !named {
		t.Errorf("verdict %s, violations %q: want a fault-unsupported violation naming the clock jump", r.Verdict, r.Violations)
	}
	if len(r.Faults) == 0 || !r.Faults[0].Unsupported {
		t.Errorf("faults as carried out %+v: want the jump marked unsupported", r.Faults)
	}
}
