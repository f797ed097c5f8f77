package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/sentinelsim/sentinelsim/scenarios"
	"github.com/sentinelsim/sentinelsim/sim"
)

func sweepCmd() *cobra.Command {
	var src source
	var seeds, workers int
	var first uint64
	var shard, out string
	var asJSON, quiet bool
	cmd := &cobra.Command{
		Use:   "sweep",
		Short: "Run many seeds of a scenario in parallel and summarise them",
		Long: "Run seeds first..first+seeds-1 of a scenario on parallel workers, with a progress bar\n" +
			"on stderr. Each result is written as one JSON line to --out as soon as it is known, so\n" +
			"that an interrupted sweep (Ctrl-C) keeps what it finished: the runs in flight stop, the\n" +
			"summary covers the finished seeds and the exit status is 130. --shard i/n runs only\n" +
			"every n-th seed, so that machines or CI jobs can split a sweep and `report` merge it.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := src.load()
			if err != nil {
				return err
			}
			list, err := shardSeeds(first, seeds, shard)
			if err != nil {
				return err
			}
			if workers < 1 {
				return usage("--workers %d: want 1 or more", workers)
			}
			b, err := src.backendFor(sim.Options{}, nil)
			if err != nil {
				return err
			}
			if b.Name() != "sim" && workers > 1 {
				fmt.Fprintf(cmd.ErrOrStderr(), "sweep: --backend %s runs one seed at a time, not %d: every run uses the scenario's addresses and ports\n", b.Name(), workers)
				workers = 1
			}
			var sink io.Writer = io.Discard
			if out != "" {
				f, err := os.Create(out)
				if err != nil {
					return usageError{err}
				}
				defer f.Close()
				sink = f
			} else if asJSON {
				sink = cmd.OutOrStdout()
			}
			var bar io.Writer = cmd.ErrOrStderr()
			if quiet {
				bar = io.Discard
			}
			ctx, stop := signalContext(cmd)
			defer stop()
			results, err := sweep(ctx, s, b, src.options(), list, workers, sink, bar)
			if err != nil {
				return err
			}
			sums := scenarios.Summarize(results)
			if asJSON {
				if err := writeJSONLine(cmd.OutOrStdout(), map[string]any{"summary": sums}); err != nil {
					return err
				}
			} else if err := scenarios.WriteTable(cmd.OutOrStdout(), sums); err != nil {
				return err
			}
			if ctx.Err() != nil {
				fmt.Fprintf(cmd.ErrOrStderr(), "interrupted: %d of %d seeds done\n", len(results), len(list))
				return context.Cause(ctx)
			}
			// One shard need not find what the whole sweep must: report judges the merge.
			return verdict(results, sums, cmd.ErrOrStderr(), shard == "")
		},
	}
	src.flags(cmd, "")
	cmd.Flags().IntVar(&seeds, "seeds", 100, "how many seeds")
	cmd.Flags().Uint64Var(&first, "first", 1, "the first seed")
	cmd.Flags().IntVar(&workers, "workers", runtime.NumCPU(), "runs at once")
	cmd.Flags().StringVar(&shard, "shard", "", "i/n: run only the i-th of n shards of the seeds (1-based)")
	cmd.Flags().StringVar(&out, "out", "", "write every result as a JSON line to this file")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the results as JSON lines (unless --out) and the summary as JSON")
	cmd.Flags().BoolVar(&quiet, "quiet", false, "no progress bar")
	return cmd
}

// verdict is the outcome of a sweep, or of the merged results of its shards: failed
// when a run broke an always-expectation or, with finds, when a find-expectation was
// observed on none of the runs, which warn is told.
func verdict(results []*scenarios.Result, sums []*scenarios.Summary, warn io.Writer, finds bool) error {
	failed := slices.ContainsFunc(results, func(r *scenarios.Result) bool { return !r.Passed() })
	for _, s := range sums {
		if finds && len(s.NotFound) > 0 {
			fmt.Fprintf(warn, "NOT FOUND %s in any of %d runs of %s: the scenario expects each on at least one seed\n",
				strings.Join(s.NotFound, ", "), s.Runs, strings.TrimSpace(s.Scenario+" "+s.Variant))
			failed = true
		}
	}
	if failed {
		return errFailed
	}
	return nil
}

// shardSeeds lists the seeds of a sweep, or of one shard of it.
func shardSeeds(first uint64, n int, shard string) ([]uint64, error) {
	if n < 1 {
		return nil, usage("--seeds %d: want 1 or more", n)
	}
	i, of := 1, 1
	if shard != "" {
		a, b, ok := strings.Cut(shard, "/")
		var err1, err2 error
		i, err1 = strconv.Atoi(a)
		of, err2 = strconv.Atoi(b)
		if !ok || err1 != nil || err2 != nil || of < 1 || i < 1 || i > of {
			return nil, usage("--shard %q: want i/n with 1 <= i <= n, e.g. 2/4", shard)
		}
	}
	var out []uint64
	for k := 0; k < n; k++ {
		if k%of == i-1 {
			out = append(out, first+uint64(k))
		}
	}
	return out, nil
}

// sweep runs the seeds on workers with a progress bar, writing each result to sink as a
// JSON line as soon as it is known.
func sweep(ctx context.Context, s *scenarios.Scenario, b scenarios.Backend, opts scenarios.Options,
	seeds []uint64, workers int, sink, barOut io.Writer) ([]*scenarios.Result, error) {
	bar := progressbar.NewOptions(len(seeds), progressbar.OptionSetWriter(barOut), progressbar.OptionShowCount(),
		progressbar.OptionSetDescription(s.Name), progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionSetPredictTime(true), progressbar.OptionClearOnFinish())
	w := bufio.NewWriter(sink)
	var werr error
	results := scenarios.Sweep(ctx, s, b, opts, seeds, workers, func(r *scenarios.Result) {
		line, err := json.Marshal(r)
		if err == nil {
			_, err = fmt.Fprintf(w, "%s\n", line)
		}
		if err == nil {
			err = w.Flush()
		}
		if err != nil && werr == nil {
			werr = err
		}
		bar.Add(1)
	})
	bar.Finish()
	return results, werr
}

func reportCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "report FILE...",
		Short: "Summarise the JSON lines of one or more sweeps (shards merge)",
		Args: func(_ *cobra.Command, files []string) error {
			if len(files) == 0 {
				return usage("report: name one or more files of sweep results (sweep --out)")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, files []string) error {
			results, err := readDistinct(files, cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			sums := scenarios.Summarize(results)
			if asJSON {
				err = writeJSONLine(cmd.OutOrStdout(), map[string]any{"summary": sums})
			} else {
				err = scenarios.WriteTable(cmd.OutOrStdout(), sums)
			}
			if err != nil {
				return err
			}
			return verdict(results, sums, cmd.ErrOrStderr(), true)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the summary as JSON")
	return cmd
}

// readDistinct reads the results of the files, each run once: a run found again, in
// another file or the same one, is left out with a warning on warn, so that a file named
// twice or overlapping sweeps do not count a seed twice.
func readDistinct(files []string, warn io.Writer) ([]*scenarios.Result, error) {
	type seen struct {
		file string
		r    *scenarios.Result
	}
	first := map[string]seen{}
	var out []*scenarios.Result
	for _, f := range files {
		rs, err := readResults(f)
		if err != nil {
			return nil, err
		}
		for _, r := range rs {
			key := runKey(r)
			if s, dup := first[key]; dup {
				fmt.Fprintf(warn, "report: %s: %s seed %d is already in %s; counted once%s\n",
					f, r.Scenario, r.Seed, s.file, conflict(s.r, r))
				continue
			}
			first[key] = seen{f, r}
			out = append(out, r)
		}
	}
	return out, nil
}

// runKey names a run: its replay command, which reruns it exactly in the simulator. A
// backend that keeps no trace (real processes) gives another run each time, so a rerun
// of the same seed is a run of its own, told apart by how long it took.
func runKey(r *scenarios.Result) string {
	if r.TraceHash != "" {
		return r.Replay
	}
	return fmt.Sprintf("%s\x00%v\x00%v", r.Replay, r.WallSeconds, r.ReadySeconds)
}

// conflict notes that two results of the same simulator run disagree, as the results of
// two versions of the simulator would.
func conflict(kept, dropped *scenarios.Result) string {
	if kept.TraceHash == dropped.TraceHash {
		return ""
	}
	return fmt.Sprintf(", though its trace there is %s and here %s (another version of the simulator?)", kept.TraceHash, dropped.TraceHash)
}

// readResults reads a sweep's JSON lines; a line that is not a result is an error naming
// the file and line.
func readResults(path string) ([]*scenarios.Result, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, usageError{err}
	}
	defer f.Close()
	var out []*scenarios.Result
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for line := 1; sc.Scan(); line++ {
		if strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		var r scenarios.Result
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil || r.Scenario == "" {
			return nil, usage("%s:%d: not a result line of sentinelsim sweep", path, line)
		}
		out = append(out, &r)
	}
	return out, sc.Err()
}
