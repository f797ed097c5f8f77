package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/sentinelsim/sentinelsim/findings"
)

func resultsCmd() *cobra.Command {
	plan := findings.DefaultPlan
	var out string
	cmd := &cobra.Command{
		Use:   "results",
		Short: "Regenerate results/: tables, plots and the findings report, from sweeps in the simulator",
		Long: "Regenerate results/ from scratch: every scenario of the tables under every configuration,\n" +
			"the lost-writes-against-partition-length curve, failover times, simulator speed and one\n" +
			"failing run in full. The same seeds give the same numbers.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if plan.Seeds < 1 || plan.Workers < 1 {
				return usage("--seeds and --workers must be 1 or more")
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			start := time.Now()
			errw := cmd.ErrOrStderr()
			plan.Progress = func(what string) {
				fmt.Fprintf(errw, "%6.0fs  %s: %d seeds done\n", time.Since(start).Seconds(), what, plan.Seeds)
			}
			if err := findings.Generate(ctx, out, plan); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "results written to %s/ in %.0f s\n", out, time.Since(start).Seconds())
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "results", "the folder to write")
	cmd.Flags().IntVar(&plan.Seeds, "seeds", plan.Seeds, "seeds per cell of the tables and per point of the plots")
	cmd.Flags().IntVar(&plan.Workers, "workers", plan.Workers, "runs at once")
	return cmd
}
