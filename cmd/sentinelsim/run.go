package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/mattn/go-shellwords"
	"github.com/spf13/cobra"

	"github.com/sentinelsim/sentinelsim/linearize"
	"github.com/sentinelsim/sentinelsim/scenarios"
	"github.com/sentinelsim/sentinelsim/sentinel"
	"github.com/sentinelsim/sentinelsim/sim"
	"github.com/sentinelsim/sentinelsim/sim/kernel"
	"github.com/sentinelsim/sentinelsim/sim/sentineld"
)

func runCmd() *cobra.Command {
	var src source
	var seed uint64
	var asJSON, quiet, requireFinds bool
	var out string
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run one seed of a scenario, print the sentinels' log and the verdict",
		Long: "Run one seed of a scenario: the sentinels' log as it happens, then what the checkers\n" +
			"found. In the simulator the log is every line the sentinels log at notice level; with\n" +
			"--backend real or containers it is the events they publish on Pub/Sub (+sdown,\n" +
			"+odown, +switch-master, ...), as each arrives, not their log files. The simulator's\n" +
			"same seed always gives the same run and trace hash. With --json the last line is one\n" +
			"JSON object (see README: \"The run --json contract\").",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := src.load()
			if err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			var opts sim.Options
			var onEvent func(linearize.SentinelEvent)
			if !asJSON && !quiet {
				opts.OnRecord, onEvent = printRecord(w), printEvent(w)
			}
			opts.Kernel.KeepTrace = out != ""
			b, err := src.backendFor(opts, onEvent)
			if err != nil {
				return err
			}
			ctx, stop := signalContext(cmd)
			defer stop()
			run, err := scenarios.Execute(ctx, s, b, seed, src.options())
			if err != nil && ctx.Err() == nil && asJSON {
				// The contract's last line even so: a failing result saying why.
				if werr := writeJSONLine(w, s.ErrorResult(seed, b, err)); werr != nil {
					return werr
				}
			}
			if err != nil {
				return cause(ctx, err)
			}
			if out != "" {
				if err := run.WriteArtifacts(out, s, src.linLimit); err != nil {
					return err
				}
			}
			if asJSON {
				err = writeJSONLine(w, run.Result)
			} else {
				err = writeVerdict(w, run.Result, out)
			}
			if err != nil {
				return err
			}
			if !run.Result.Passed() {
				return errFailed
			}
			if missing := notFound(s, run.Result); requireFinds && len(missing) > 0 {
				fmt.Fprintf(cmd.ErrOrStderr(), "NOT FOUND %s: --require-finds wants this seed to find every one of %s\n",
					strings.Join(missing, ", "), strings.Join(s.Expect.Finds, ", "))
				return errFailed
			}
			return nil
		},
	}
	src.flags(cmd, "tutorial-kill-master")
	cmd.Flags().Uint64Var(&seed, "seed", 1, "the seed of the run")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print only the result, as one line of JSON")
	cmd.Flags().BoolVar(&quiet, "quiet", false, "print only the verdict")
	cmd.Flags().BoolVar(&requireFinds, "require-finds", false, "fail unless this seed finds every anomaly the scenario's expect.finds lists\n(a sweep needs them on some seed; a lone nightly run of a real backend, on its one seed)")
	cmd.Flags().StringVar(&out, "out", "", "write the run's artifacts (history, events, trace, HTML timeline) to this folder")
	return cmd
}

// notFound lists the scenario's find-expectations the run did not observe.
func notFound(s *scenarios.Scenario, r *scenarios.Result) []string {
	var missing []string
	for _, f := range s.Expect.Finds {
		if !slices.Contains(r.Found, f) {
			missing = append(missing, f)
		}
	}
	return missing
}

// printRecord prints the sentinels' log lines at notice level and above, each after the
// name of the node that wrote it.
func printRecord(w io.Writer) func(sentineld.Record) {
	return func(r sentineld.Record) {
		if r.Level >= sentinel.Notice {
			fmt.Fprintf(w, "%-14s %s\n", r.Node, r.Line)
		}
	}
}

// printEvent prints a real sentinel's events, each after the name of the node that
// published it, as printRecord prints the simulator's log: the real backends see only
// what the sentinels publish, not what they log.
func printEvent(w io.Writer) func(linearize.SentinelEvent) {
	return func(e linearize.SentinelEvent) {
		fmt.Fprintf(w, "%-14s %s %s\n", e.Sentinel, e.Type, e.Text)
	}
}

func writeJSONLine(w io.Writer, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

// writeVerdict prints a result for people.
func writeVerdict(w io.Writer, r *scenarios.Result, artifacts string) error {
	verdict := "PASS"
	if !r.Passed() {
		verdict = "FAIL"
	}
	if r.Backend == "sim" {
		fmt.Fprintf(w, "\n%s %s seed=%d trace=%s: %.0f simulated s in %.2f s, %d events, %d operations\n",
			verdict, r.Scenario, r.Seed, r.TraceHash, r.SimSeconds, r.WallSeconds, r.Events, r.Ops)
	} else {
		fmt.Fprintf(w, "\n%s %s seed=%d on %s: %.0f s, %d operations\n", verdict, r.Scenario, r.Seed, r.Backend, r.WallSeconds, r.Ops)
	}
	fmt.Fprintf(w, "  writes      %d acknowledged, %d lost; linearizable: %s; split-brain %.0f ms\n",
		r.AckedWrites, r.LostWrites, r.Linearizable, r.SplitBrainMs)
	master := r.FinalMaster
	if master == "" {
		master = "none agreed"
	}
	fmt.Fprintf(w, "  failovers   %d %v ms; final master %s; converged %v; longest write outage %.0f ms\n",
		r.Failovers, r.FailoverMs, master, r.Converged, r.UnavailableMs)
	for _, c := range r.Checks {
		fmt.Fprintf(w, "  %-16s %-7s %s\n", c.Name, c.Result, c.Summary)
	}
	if len(r.Found) > 0 {
		fmt.Fprintf(w, "  found       %s\n", strings.Join(r.Found, ", "))
	}
	for _, v := range r.Violations {
		fmt.Fprintf(w, "  VIOLATED    %s\n", v)
	}
	if artifacts != "" {
		fmt.Fprintf(w, "  artifacts   %s\n", artifacts)
	}
	_, err := fmt.Fprintf(w, "  replay      %s\n", r.Replay)
	return err
}

func replayCmd() *cobra.Command {
	var src source
	var seed uint64
	var resultFile, trace string
	cmd := &cobra.Command{
		Use:   "replay",
		Short: "Run a seed again with its whole trace kept, and check it is the same run",
		Long: "Replay a run: from a scenario and seed, or from a result a run or sweep saved\n" +
			"(--result), whose replay command says what ran (scenario or file, faults, settings,\n" +
			"seed) and whose trace hash the replay must reproduce. The trace, every event the\n" +
			"simulator ran, goes to --trace (stdout by default).",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var want *scenarios.Result
			if resultFile != "" {
				r, saved, savedSeed, err := loadResult(cmd, resultFile)
				if err != nil {
					return err
				}
				saved.linLimit = src.linLimit // porcupine's limit never changes the trace
				want, src, seed = r, saved, savedSeed
			}
			s, err := src.load()
			if err != nil {
				return err
			}
			if want != nil && s.Name != want.Scenario {
				return usage("%s: its replay command runs %s, not %s", resultFile, s.Name, want.Scenario)
			}
			b, err := src.backendFor(sim.Options{Kernel: kernel.Options{KeepTrace: true}}, nil)
			if err != nil {
				return err
			}
			if b.Name() != "sim" {
				return usage("--backend %s: only the simulator's runs replay; run the seed again with sentinelsim run", b.Name())
			}
			ctx, stop := signalContext(cmd)
			defer stop()
			run, err := scenarios.Execute(ctx, s, b, seed, src.options())
			if err != nil {
				return cause(ctx, err)
			}
			w := cmd.OutOrStdout()
			if trace != "" {
				f, err := os.Create(trace)
				if err != nil {
					return err
				}
				defer f.Close()
				w = f
			}
			if err := run.World.(scenarios.TraceWriter).WriteTrace(w); err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "replayed %s seed %d: trace %s, verdict %s\n", s.Name, seed, run.Result.TraceHash, run.Result.Verdict)
			if want != nil && want.TraceHash != run.Result.TraceHash {
				return fmt.Errorf("the replay diverged: trace %s, the saved result has %s", run.Result.TraceHash, want.TraceHash)
			}
			return nil
		},
	}
	src.flags(cmd, "tutorial-kill-master")
	cmd.Flags().Uint64Var(&seed, "seed", 1, "the seed to replay")
	cmd.Flags().StringVar(&resultFile, "result", "", "a result saved by run --json or sweep (one JSON object)")
	cmd.Flags().StringVar(&trace, "trace", "", "write the trace to this file instead of stdout")
	return cmd
}

// loadResult reads a saved result and the run it names: its replay command parsed with
// run's own flags, so that a scenario file, a fault file and --set settings come back
// as they were. Flags that would change that run are refused beside --result.
func loadResult(cmd *cobra.Command, path string) (*scenarios.Result, source, uint64, error) {
	for _, name := range []string{"scenario", "file", "faults", "set", "seed", "backend", "sentinel", "image", "pull"} {
		if cmd.Flags().Changed(name) {
			return nil, source{}, 0, usage("--%s with --result: the result's replay command says what ran", name)
		}
	}
	r, err := readResult(path)
	if err != nil {
		return nil, source{}, 0, err
	}
	src, seed, err := parseReplay(r.Replay)
	if err != nil {
		return nil, source{}, 0, usage("%s: %v", path, err)
	}
	if seed != r.Seed {
		return nil, source{}, 0, usage("%s: the replay command %q does not run seed %d", path, r.Replay, r.Seed)
	}
	return r, src, seed, nil
}

// parseReplay reads a replay command with the flags run defines for its scenario and
// seed.
func parseReplay(replay string) (source, uint64, error) {
	args, ok := strings.CutPrefix(replay, scenarios.ReplayPrefix)
	words, err := shellwords.Parse(args)
	if !ok || err != nil {
		return source{}, 0, fmt.Errorf("replay command %q: want %s...", replay, scenarios.ReplayPrefix)
	}
	var src source
	var seed uint64
	cmd := &cobra.Command{}
	src.flags(cmd, "tutorial-kill-master")
	cmd.Flags().Uint64Var(&seed, "seed", 1, "")
	if err := cmd.Flags().Parse(words); err != nil {
		return source{}, 0, fmt.Errorf("replay command %q: %v", replay, err)
	}
	if cmd.Flags().NArg() > 0 {
		return source{}, 0, fmt.Errorf("replay command %q: unexpected %q", replay, cmd.Flags().Arg(0))
	}
	return src, seed, nil
}

func readResult(path string) (*scenarios.Result, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, usageError{err}
	}
	var r scenarios.Result
	if err := json.Unmarshal(b, &r); err != nil || r.Scenario == "" {
		return nil, usage("%s: not a result of sentinelsim run --json: %v", path, err)
	}
	return &r, nil
}
