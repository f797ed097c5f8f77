package main

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/sentinelsim/sentinelsim/findings"
	"github.com/sentinelsim/sentinelsim/scenarios"
	"github.com/sentinelsim/sentinelsim/sim"
	"github.com/sentinelsim/sentinelsim/world"
)

// benchRow is one measurement of `sentinelsim bench`.
type benchRow struct {
	Name            string  `json:"name"`
	Sentinels       int     `json:"sentinels"`
	Clients         int     `json:"clients"`
	Workers         int     `json:"workers"`
	Procs           int     `json:"gomaxprocs"` // the Go scheduler's processors, the garbage collector's among them
	Seeds           int     `json:"seeds"`
	SimPerWall      float64 `json:"sim_seconds_per_wall_second"`
	NsPerEvent      float64 `json:"ns_per_event"`
	SeedsPerSecond  float64 `json:"seeds_per_second"`
	OpsPerSimSecond float64 `json:"ops_per_sim_second"`
}

func benchCmd() *cobra.Command {
	var seeds int
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Measure the simulator: simulated seconds per wall second, ns per event, seeds per second",
		Long: "Run tutorial-kill-master as catalogued (five clients, 10 ms think time, checkers\n" +
			"included) on one core, then as a sweep on every core, then with more sentinels and\n" +
			"clients, and report simulated seconds per wall second, wall nanoseconds per\n" +
			"simulated event and seeds per second.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if seeds < 1 {
				return usage("--seeds %d: want 1 or more", seeds)
			}
			base, err := scenarios.Lookup("tutorial-kill-master")
			if err != nil {
				return err
			}
			var rows []benchRow
			measure := func(name string, s *scenarios.Scenario, workers int) error {
				row, err := benchmark(cmd.Context(), name, s, seeds, workers)
				rows = append(rows, row)
				return err
			}
			if err := onOneCore(func() error { return measure("one core", base, 1) }); err != nil {
				return err
			}
			if err := measure("sweep, every core", base, runtime.NumCPU()); err != nil {
				return err
			}
			for _, n := range []int{5, 9, 17} {
				if err := measure("sentinels "+strconv.Itoa(n), findings.WithSentinels(base, n), 1); err != nil {
					return err
				}
			}
			for _, n := range []int{1, 20} {
				if err := measure("clients "+strconv.Itoa(n), findings.WithClients(base, n), 1); err != nil {
					return err
				}
			}
			if asJSON {
				return writeJSONLine(cmd.OutOrStdout(), map[string]any{"bench": rows})
			}
			return writeBench(cmd.OutOrStdout(), rows)
		},
	}
	cmd.Flags().IntVar(&seeds, "seeds", 4, "seeds per measurement")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the measurements as JSON")
	return cmd
}

// onOneCore runs f with the Go scheduler held to one processor, so that a single worker
// really measures one core: with more, the garbage collector's background marking runs
// on the others and the figure flatters a run that has one core to itself.
func onOneCore(f func() error) error {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	return f()
}

func benchmark(ctx context.Context, name string, s *scenarios.Scenario, seeds, workers int) (benchRow, error) {
	list, _ := shardSeeds(1, seeds, "")
	start := time.Now()
	results, err := sweep(ctx, s, sim.Backend{}, scenarios.Options{}, list, workers, io.Discard, io.Discard)
	wall := time.Since(start).Seconds()
	row := benchRow{Name: name, Sentinels: len(s.Topology.OfKind(world.Sentinel)),
		Clients: len(s.Topology.OfKind(world.Client)), Workers: workers, Procs: runtime.GOMAXPROCS(0), Seeds: len(results)}
	var sim, busy float64
	var events uint64
	ops := 0
	for _, r := range results {
		if r.Error != "" {
			return row, fmt.Errorf("%s seed %d: %s", s.Name, r.Seed, r.Error)
		}
		sim += r.SimSeconds
		busy += r.WallSeconds
		events += r.Events
		ops += r.Ops
	}
	row.SimPerWall = sim / wall
	row.NsPerEvent = busy * 1e9 / float64(events)
	row.SeedsPerSecond = float64(len(results)) / wall
	row.OpsPerSimSecond = float64(ops) / sim
	return row, err
}

func writeBench(w io.Writer, rows []benchRow) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "measurement\tsentinels\tclients\tworkers\tseeds\tsim s / wall s\tns / event\tseeds / s\tops / sim s")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%.0f\t%.0f\t%.2f\t%.0f\n", r.Name, r.Sentinels, r.Clients, r.Workers,
			r.Seeds, r.SimPerWall, r.NsPerEvent, r.SeedsPerSecond, r.OpsPerSimSecond)
	}
	return tw.Flush()
}
