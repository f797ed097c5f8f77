package scenarios

import (
	"context"
	"sync"
)

// Sweep runs the scenario on each seed, workers at a time, and returns the results in
// seed order. done, if set, sees each result as soon as it is known, from one goroutine
// at a time. When ctx ends no new seed starts; the results finished so far are returned.
// A run that cannot be carried out at all gives a failing result with its Error.
func Sweep(ctx context.Context, s *Scenario, b Backend, opts Options, seeds []uint64, workers int,
	done func(*Result)) []*Result {
	jobs := make(chan uint64)
	out := make(chan *Result)
	var wg sync.WaitGroup
	for range max(workers, 1) {
		wg.Go(func() {
			for seed := range jobs {
				r := &Result{Scenario: s.Name, Seed: seed, Backend: b.Name(), Verdict: "fail",
					Replay: s.ReplayCommand(seed, b)}
				if run, err := Execute(s, b, seed, opts); err != nil {
					r.Error = err.Error()
				} else {
					r = run.Result
				}
				out <- r
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
	for r := range out {
		bySeed[r.Seed] = r
		if done != nil {
			done(r)
		}
	}
	var results []*Result
	for _, seed := range seeds {
		if r, ok := bySeed[seed]; ok {
			results = append(results, r)
		}
	}
	return results
}
