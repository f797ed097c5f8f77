package main

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/sentinelsim/sentinelsim/findings"
)

func resultsCmd() *cobra.Command {
	plan := findings.DefaultPlan
	realPlan := *plan.Real
	var out string
	withReal := true
	cmd := &cobra.Command{
		Use:   "results",
		Short: "Regenerate results/: tables, plots and the findings report, from sweeps in the simulator and runs of real processes",
		Long: "Regenerate results/ from scratch: every scenario of the tables under every configuration,\n" +
			"the lost-writes-against-partition-length curve, failover times, simulator speed, one\n" +
			"failing run in full, and the same scenarios on real redis-server, redis-sentinel and\n" +
			"gosentinel processes (as root, for nftables; --real=false leaves them out). The same\n" +
			"seeds give the same simulator numbers.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if plan.Seeds < 1 || plan.Workers < 1 {
				return usage("--seeds and --workers must be 1 or more")
			}
			plan.Real = nil
			if withReal {
				if os.Geteuid() != 0 {
					return usage("the runs of real processes need root (their partitions are nftables rules); run as root, or with --real=false")
				}
				bin, err := filepath.Abs(realPlan.GoSentinel) // the nodes run in directories of their own
				if err == nil {
					_, err = os.Stat(bin)
				}
				if err != nil {
					return usage("--gosentinel %s: %v (build it: go build -o bin/gosentinel ./cmd/gosentinel)", realPlan.GoSentinel, err)
				}
				realPlan.GoSentinel = bin
				if cmd.Flags().Changed("real-runs") {
					realPlan.RunsFor = nil // the flag's count is every scenario's
				}
				plan.Real = &realPlan
			}
			ctx, stop := signalContext(cmd)
			defer stop()
			start := time.Now()
			errw := cmd.ErrOrStderr()
			plan.Progress = func(what string) {
				fmt.Fprintf(errw, "%6.0fs  %s done\n", time.Since(start).Seconds(), what)
			}
			if err := findings.Generate(ctx, out, plan); err != nil {
				return cause(ctx, err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "results written to %s/ in %.0f s\n", out, time.Since(start).Seconds())
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "results", "the folder to write")
	cmd.Flags().IntVar(&plan.Seeds, "seeds", plan.Seeds, "seeds per cell of the tables and per point of the plots")
	cmd.Flags().IntVar(&plan.Workers, "workers", plan.Workers, "simulator runs at once")
	cmd.Flags().BoolVar(&withReal, "real", withReal, "also run the scenarios on real processes (needs root)")
	cmd.Flags().StringVar(&realPlan.GoSentinel, "gosentinel", realPlan.GoSentinel, "the gosentinel binary the real runs use")
	cmd.Flags().IntVar(&realPlan.Runs, "real-runs", realPlan.Runs, "runs of each scenario with each kind of sentinel on real processes (by default tutorial-kill-master has more, for the failover plot)")
	return cmd
}
