package main

import (
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
			"one, as long as the same seed still breaks the same expectation. The minimal\n" +
			"schedule is written as a fault file that `run --faults` replays.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := src.load()
			if err != nil {
				return err
			}
			b, err := src.backendFor(sim.Options{})
			if err != nil {
				return err
			}
			errw := cmd.ErrOrStderr()
			b, done := closeOnSignal(b, errw)
			sh, err := scenarios.Shrink(s, b, seed, src.options(), func(tried, kept int) {
				fmt.Fprintf(errw, "\rshrinking: %d runs, trying %d faults   ", tried, kept)
			})
			done()
			fmt.Fprintln(errw)
			if err != nil {
				return usageError{err}
			}
			yaml := sh.YAML()
			if out != "" {
				if err := os.WriteFile(out, []byte(yaml), 0o644); err != nil {
					return err
				}
			}
			w := cmd.OutOrStdout()
			fmt.Fprint(w, yaml)
			if out != "" {
				fmt.Fprintf(w, "# replay: go run ./cmd/sentinelsim run --scenario %s --faults %s --seed %d\n", s.Name, out, seed)
			}
			return nil
		},
	}
	src.flags(cmd, "")
	cmd.Flags().Uint64Var(&seed, "seed", 1, "the failing seed")
	cmd.Flags().StringVar(&out, "out", "", "write the minimal fault schedule to this file")
	return cmd
}
