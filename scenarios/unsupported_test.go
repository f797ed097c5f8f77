package scenarios

import (
	"context"
	"errors"
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

// A fault the world finds it cannot do only as it runs (this backend does not say
// up front) fails the run, naming the fault: it did not test what the scenario says.
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

// refusingBackend says up front, as the real backend does, that its worlds cannot jump
// clocks, with the error the world's method returns; it counts the worlds it builds.
type refusingBackend struct {
	clocklessBackend
	built *int
}

func (b refusingBackend) Refuses(kind string) error {
	if kind == string(ClockJump) {
		return (&clocklessWorld{}).JumpClock("", 0)
	}
	return nil
}

func (b refusingBackend) New(ctx context.Context, t world.Topology, seed uint64) (world.World, error) {
	*b.built++
	return b.clocklessBackend.New(ctx, t, seed)
}

// A schedule with a fault the backend refuses is refused before any world is built, the
// error naming the fault, its time and why, rather than run to its end to fail; one it
// does not refuse runs.
func TestARefusedFaultIsRefusedBeforeTheRun(t *testing.T) {
	s, err := Lookup("clock-jump-tilt")
	if err != nil {
		t.Fatal(err)
	}
	var built int
	run, err := Execute(context.Background(), s, refusingBackend{built: &built}, 1, Options{})
	if !errors.Is(err, world.ErrUnsupported) || run != nil || built != 0 {
		t.Fatalf("Execute: run %v, error %v, %d worlds built; want ErrUnsupported and no world", run, err, built)
	}
	want := `the clockless backend cannot do the fault "10s clock-jump n3/sentinel by -10s" of the schedule: clock jumps: not supported`
	if !strings.HasPrefix(err.Error(), want) {
		t.Errorf("error %q, want it to begin %q", err, want)
	}
	s.Faults = s.Faults[1:] // the kill alone
	if _, err = Execute(context.Background(), s, refusingBackend{built: &built}, 1, Options{}); err != nil || built != 1 {
		t.Fatalf("Execute without the clock jump: %v, %d worlds built; want the run", err, built)
	}
}
