package main

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/sentinelsim/sentinelsim/scenarios"
	"github.com/sentinelsim/sentinelsim/sim"
)

func shrinkCmd() *cobra.Command {
	var src source
	var seed uint64
	var out string
	cmd := &cobra.Command{
		Use:   "shrink",
		Short: "Minimise the fault schedule of a failing seed",
		Long: "Shrink a failing run: remove faults from its schedule, in halves and then one by\n" +
			"one, as long as the same seed still breaks the same expectation and no other; a heal,\n" +
			"restart or resume stays while the fault it ends does. The minimal schedule is written\n" +
			"as a fault file that `run --faults` replays, with the replay command in its header.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := src.load()
			if err != nil {
				return err
			}
			b, err := src.backendFor(sim.Options{}, nil)
			if err != nil {
				return err
			}
			errw := cmd.ErrOrStderr()
			ctx, stop := signalContext(cmd)
			defer stop()
			sh, err := scenarios.Shrink(ctx, s, b, seed, src.options(), func(tried, kept int) {
				fmt.Fprintf(errw, "\rshrinking: %d runs, trying %d faults   ", tried, kept)
			})
			fmt.Fprintln(errw)
			if ctx.Err() != nil {
				return context.Cause(ctx)
			}
			if err != nil {
				return usageError{err}
			}
			yaml := sh.YAML(out)
			if out != "" {
				if err := os.WriteFile(out, []byte(yaml), 0o644); err != nil {
					return err
				}
			}
			fmt.Fprint(cmd.OutOrStdout(), yaml)
			return nil
		},
	}
	src.flags(cmd, "")
	cmd.Flags().Uint64Var(&seed, "seed", 1, "the failing seed")
	cmd.Flags().StringVar(&out, "out", "", "write the minimal fault schedule to this file")
	return cmd
}
