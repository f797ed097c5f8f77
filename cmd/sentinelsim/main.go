// Command sentinelsim runs Redis Sentinel scenarios in the deterministic simulator and
// judges what happened.
//
//	sentinelsim list                                   the scenario catalogue
//	sentinelsim run [--scenario NAME | --file F] [--seed N] [--json]
//	sentinelsim sweep --scenario NAME --seeds N [--workers K] [--shard i/n] [--out F]
//	sentinelsim replay --scenario NAME --seed N | --result result.json
//	sentinelsim shrink --scenario NAME --seed N        minimise a failing fault schedule
//	sentinelsim report sweep.jsonl...                  tables from sweep output
//	sentinelsim bench                                  the simulator's speed
//
// Exit status: 0 when every run passed, 1 when a run broke an expectation, 2 for bad
// input (flags, scenario names, files), 128 plus the signal's number when interrupted
// (130 for Ctrl-C), after writing every result finished before.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/sentinelsim/sentinelsim/linearize"
	"github.com/sentinelsim/sentinelsim/real"
	"github.com/sentinelsim/sentinelsim/real/containers"
	"github.com/sentinelsim/sentinelsim/scenarios"
	"github.com/sentinelsim/sentinelsim/sim"
)

// gcPercent trades memory for speed: a run allocates a great deal that lives briefly
// (messages, closures) next to what it keeps to the end (its history), and collecting
// less often makes runs about 40% faster for a few hundred MB per worker at most.
const gcPercent = 400

func main() {
	debug.SetGCPercent(gcPercent)
	err := root().Execute()
	if err != nil && !errors.Is(err, errFailed) {
		fmt.Fprintln(os.Stderr, "Error:", err)
	}
	os.Exit(exitCode(err))
}

// errFailed marks a run that broke an expectation; its verdict was printed already.
var errFailed = errors.New("a run broke an expectation")

// usageError is bad input: a flag, a scenario name, a file.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usage(format string, args ...any) error { return usageError{fmt.Errorf(format, args...)} }

// interrupted is the error of a command stopped by a signal.
type interrupted struct{ sig syscall.Signal }

func (e interrupted) Error() string { return "interrupted by " + e.sig.String() }

// quit ends the process at a second signal; tests replace it.
var quit = os.Exit

// signalContext is the command's context, ended with an interrupted cause by SIGINT or
// SIGTERM; stop releases the signals. A second signal while the command cleans up ends
// the process at once: real runs' processes die with it (Pdeathsig), and the next run
// removes the directory, nftables table and containers it leaves (real/leftovers.go).
func signalContext(cmd *cobra.Command) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancelCause(cmd.Context())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case sig := <-sigs:
			cancel(interrupted{sig.(syscall.Signal)})
		case <-done:
			return
		}
		// os.Stderr, not the command's: this goroutine must not share its writer.
		fmt.Fprintln(os.Stderr, "stopping; interrupt again to quit at once (the next run removes what this one leaves)")
		select {
		case sig := <-sigs:
			quit(exitCode(interrupted{sig.(syscall.Signal)}))
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(sigs)
		close(done)
		cancel(nil)
	}
}

// cause is err, or the signal that stopped the command if one did.
func cause(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	return err
}

func exitCode(err error) int {
	var u usageError
	var sig interrupted
	switch {
	case err == nil:
		return 0
	case errors.As(err, &sig):
		return 128 + int(sig.sig)
	case errors.Is(err, context.Canceled):
		return 128 + int(syscall.SIGINT)
	case errors.Is(err, errFailed):
		return 1
	case errors.As(err, &u), strings.HasPrefix(err.Error(), "unknown command"),
		strings.HasPrefix(err.Error(), "unknown flag"), strings.Contains(err.Error(), "accepts"):
		return 2
	}
	return 1
}

func root() *cobra.Command {
	cmd := &cobra.Command{
		Use:           "sentinelsim",
		Short:         "Deterministic simulation and chaos testing for Redis Sentinel",
		SilenceUsage:  true,
		SilenceErrors: true, // main prints them, except a failed run's, whose verdict says it all
	}
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	cmd.AddCommand(runCmd(), listCmd(), sweepCmd(), replayCmd(), shrinkCmd(), reportCmd(), benchCmd(), resultsCmd())
	return cmd
}

// source is how a command names the scenario it runs: a catalogue name or a file, and
// optionally a fault schedule replacing the scenario's own.
type source struct {
	scenario, file, faults string
	settings               []string
	backend, image         string
	pull                   bool
	sentinel               choice
	linLimit               time.Duration
	flagSet                *pflag.FlagSet
}

func (s *source) flags(cmd *cobra.Command, defaultScenario string) {
	f := cmd.Flags()
	f.StringVar(&s.scenario, "scenario", defaultScenario, "the `NAME` of a catalogue scenario (see sentinelsim list)")
	f.StringVar(&s.file, "file", "", "a scenario `FILE` (YAML) instead of a catalogue name")
	f.StringVar(&s.faults, "faults", "", "a fault schedule `FILE`, as sentinelsim shrink writes, replacing the scenario's faults")
	f.StringArrayVar(&s.settings, "set", nil, "change the scenario: `SECTION.KEY=VALUE` with SECTION redis, sentinel, workload or speeds\n(redis.min-replicas-to-write=1, sentinel.down-after-milliseconds=1000, workload.wait=1, speeds.transfer-rate=5mb); repeatable")
	f.StringVar(&s.backend, "backend", "sim", "where to run: sim, real (processes on loopback; needs root for nftables) or containers (the same in Docker containers)")
	image := os.Getenv("SENTINELSIM_IMAGE")
	if image == "" {
		image = containers.DefaultImage
	}
	f.StringVar(&s.image, "image", image, "with --backend containers: the image of redis-server and redis-sentinel ($SENTINELSIM_IMAGE; scripts/with-docker builds the default)")
	f.BoolVar(&s.pull, "pull", false, "with --backend containers: let the engine pull the image if it lacks it")
	s.sentinel = choice{value: "redis", allowed: []string{"redis", "go", "mixed", "mixed-redis"}}
	f.Var(&s.sentinel, "sentinel", "with --backend real or containers: redis (redis-sentinel), go (gosentinel, from PATH), mixed or mixed-redis")
	s.flagSet = f
	f.DurationVar(&s.linLimit, "lin-limit", scenarios.DefaultLinearizabilityLimit, "porcupine's time limit per run")
}

func (s *source) load() (*scenarios.Scenario, error) {
	var sc *scenarios.Scenario
	var err error
	if s.file != "" && s.flagSet.Changed("scenario") {
		return nil, usage("--scenario and --file both name the scenario: give one")
	}
	if s.file == "" && s.scenario == "" {
		return nil, usage("name the scenario: --scenario NAME (see sentinelsim list) or --file FILE")
	}
	// Zero would mean porcupine's default and a negative limit none at all: neither is
	// what someone typing it means, so both are refused rather than read.
	if s.linLimit <= 0 {
		return nil, usage("--lin-limit %s: want a positive duration, like 20s", s.linLimit)
	}
	if s.file != "" {
		sc, err = scenarios.LoadFile(s.file)
	} else {
		sc, err = scenarios.Lookup(s.scenario)
	}
	if err != nil {
		return nil, usageError{err}
	}
	if s.faults != "" {
		src, err := os.ReadFile(s.faults)
		if err != nil {
			return nil, usageError{err}
		}
		if sc, err = scenarios.ParseFaults(s.faults, src, sc); err != nil {
			return nil, usageError{err}
		}
	}
	if len(s.settings) > 0 {
		if sc, err = sc.WithSettings(s.settings...); err != nil {
			return nil, usageError{err}
		}
	}
	return sc, nil
}

// backendFor builds the backend the flags name: the simulator with simOpts, or a real
// one whose sentinels' events go to onEvent (nil for none) as they are recorded.
func (s *source) backendFor(simOpts sim.Options, onEvent func(linearize.SentinelEvent)) (scenarios.Backend, error) {
	if s.backend == "sim" && s.flagSet.Changed("sentinel") {
		return nil, usage("--sentinel %s: the simulator runs its own sentinels; --sentinel applies to --backend real or containers", s.sentinel.value)
	}
	if s.backend != "containers" && (s.flagSet.Changed("image") || s.pull) {
		return nil, usage("--image and --pull apply to --backend containers")
	}
	opts := real.DefaultOptions
	opts.Sentinel = s.sentinel.value
	opts.OnEvent = onEvent
	switch s.backend {
	case "sim":
		return sim.Backend{Options: simOpts}, nil
	case "real":
		return real.Backend{Options: opts}, nil
	case "containers":
		return containers.Backend{Options: containers.Options{Options: opts, Image: s.image, Pull: s.pull}}, nil
	}
	return nil, usage("unknown backend %q (sim, real, containers)", s.backend)
}

// choice is a flag that takes one of a few values, checked as it is parsed.
type choice struct {
	value   string
	allowed []string
}

func (c *choice) String() string { return c.value }
func (c *choice) Type() string   { return "string" }

func (c *choice) Set(v string) error {
	if !slices.Contains(c.allowed, v) {
		return fmt.Errorf("want one of %s", strings.Join(c.allowed, ", "))
	}
	c.value = v
	return nil
}

func (s *source) options() scenarios.Options {
	return scenarios.Options{LinearizabilityLimit: s.linLimit}
}
