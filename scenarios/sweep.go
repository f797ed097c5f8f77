package scenarios

import (
	"context"
	"sync"

	"github.com/sentinelsim/sentinelsim/linearize"
)

// Sweep runs the scenario on each seed, workers at a time, and returns the results in
// seed order. done, if set, sees each result as soon as it is known, from one goroutine
// at a time. When ctx ends no new seed starts, the runs in flight stop without a result,
// and Sweep returns at once the results finished before. A run that cannot be carried out
// at all gives a failing result with its Error.
func Sweep(ctx context.Context, s *Scenario, b Backend, opts Options, seeds []uint64, workers int,
	done func(*Result)) []*Result {
	jobs := make(chan uint64)
	out := make(chan *Result)
	var wg sync.WaitGroup
	for range max(workers, 1) {
		wg.Go(func() {
			for seed := range jobs {
				run, err := Execute(ctx, s, b, seed, opts)
				var r *Result
				switch {
				case err != nil && ctx.Err() != nil:
					continue // stopped by ctx: not a result
				case err != nil:
					r = s.ErrorResult(seed, b, err)
				default:
					r = run.Result
				}
				select {
				case out <- r:
				case <-ctx.Done():
					return
				}
			}
		})
	}
	go func() {
		defer close(jobs)
		for _, seed := range seeds {
			select {
			case jobs <- seed:
			case <-ctx.Done():
				return
			}
		}
	}()
	go func() {
		wg.Wait()
		close(out)
	}()
	bySeed := map[uint64]*Result{}
	keep := func(r *Result) {
		bySeed[r.Seed] = r
		if done != nil {
			done(r)
		}
	}
	collect(ctx, out, keep)
	var results []*Result
	for _, seed := range seeds {
		if r, ok := bySeed[seed]; ok {
			results = append(results, r)
		}
	}
	return results
}

// collect passes each result from out to keep until out is closed or ctx ends. Then it
// takes the results already waiting and no more: a run stopped by ctx in its checkers
// (porcupine's search cannot be interrupted; LinearizabilityLimit bounds it) finishes
// on its own, and its result is dropped.
func collect(ctx context.Context, out <-chan *Result, keep func(*Result)) {
	for {
		select {
		case r, ok := <-out:
			if !ok {
				return
			}
			keep(r)
		case <-ctx.Done():
			for {
				select {
				case r, ok := <-out:
					if !ok {
						return
					}
					keep(r)
				default:
					return
				}
			}
		}
	}
}

// ErrorResult is the failing result of a run that could not be carried out at all: the
// error, what was to run and how to run it again, every list empty.
func (s *Scenario) ErrorResult(seed uint64, b Backend, err error) *Result {
	return &Result{Scenario: s.Name, Seed: seed, Backend: b.Name(), Verdict: "fail",
		Replay: s.ReplayCommand(seed, b), FailoverMs: []float64{}, Always: []string{}, Violations: []string{},
		Finds: append([]string{}, s.Expect.Finds...), Found: []string{}, Faults: []Applied{}, Checks: []linearize.Verdict{}, Error: err.Error()}
}
