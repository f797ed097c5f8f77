// Command sentinelsim runs Redis Sentinel scenarios in the deterministic simulator.
//
//	sentinelsim run                  the tutorial walkthrough on seed 1, with its event log
//	sentinelsim run --seed 42 --json the same run as JSON
//	sentinelsim list                 the scenario catalogue
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/sentinelsim/sentinelsim/scenarios"
	"github.com/sentinelsim/sentinelsim/sentinel"
	"github.com/sentinelsim/sentinelsim/sim"
	"github.com/sentinelsim/sentinelsim/sim/sentineld"
)

func main() {
	if err := root().Execute(); err != nil {
		os.Exit(1)
	}
}

func root() *cobra.Command {
	cmd := &cobra.Command{
		Use:           "sentinelsim",
		Short:         "Deterministic simulation and chaos testing for Redis Sentinel",
		SilenceUsage:  true,
		SilenceErrors: false,
	}
	cmd.AddCommand(runCmd(), listCmd())
	return cmd
}

// errFailed marks a run whose verdict is FAIL: the verdict was printed already.
var errFailed = fmt.Errorf("the run broke an expectation")

func runCmd() *cobra.Command {
	var seed uint64
	var asJSON, quiet bool
	var scenario string
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run a scenario in the simulator and print the sentinels' log and a verdict",
		Long: "Run a scenario in the simulator. The simulator runs the tutorial walkthrough so far:\n" +
			"a master on 6382, replicas on 6383 and 6384, sentinels on 5000-5002 (quorum 2,\n" +
			"down-after 3000 ms, failover-timeout 3000 ms); the master is killed at 20 s and\n" +
			"restarted at 40 s. The same seed always gives the same run and trace hash.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if scenario != "tutorial-kill-master" {
				if _, err := scenarios.Lookup(scenario); err != nil {
					return err
				}
				return fmt.Errorf("scenario %q: the simulator runs only tutorial-kill-master so far (the scenario runner is issue 7)", scenario)
			}
			out := cmd.OutOrStdout()
			var print func(sentineld.Record)
			if !asJSON && !quiet {
				print = func(r sentineld.Record) {
					if r.Level >= sentinel.Notice {
						fmt.Fprintf(out, "%-13s %s\n", r.Node, r.Line)
					}
				}
			}
			w, err := sim.RunWalkthrough(seed, print)
			if err != nil {
				return err
			}
			if asJSON {
				if err := writeJSON(out, w); err != nil {
					return err
				}
			} else {
				fmt.Fprintln(out, w.Verdict())
			}
			if !w.Ok() {
				cmd.SilenceErrors = true
				return errFailed
			}
			return nil
		},
	}
	cmd.Flags().Uint64Var(&seed, "seed", 1, "the seed of the run")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	cmd.Flags().BoolVar(&quiet, "quiet", false, "print only the verdict")
	cmd.Flags().StringVar(&scenario, "scenario", "tutorial-kill-master", "the scenario to run")
	return cmd
}

type jsonEvent struct {
	AtMs  int64  `json:"at_ms"`
	Node  string `json:"node"`
	Type  string `json:"type"`
	Text  string `json:"text"`
	Epoch uint64 `json:"epoch,omitempty"`
}

func writeJSON(out io.Writer, w *sim.Walkthrough) error {
	events := []jsonEvent{}
	for _, r := range w.Log {
		if r.Event != nil {
			events = append(events, jsonEvent{AtMs: int64(r.At / time.Millisecond), Node: r.Node,
				Type: r.Event.Type, Text: r.Event.Text, Epoch: r.Event.Epoch})
		}
	}
	problems := w.Problems
	if problems == nil {
		problems = []string{}
	}
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	return enc.Encode(map[string]any{
		"scenario": "tutorial-kill-master", "backend": "sim", "seed": w.Seed, "trace_hash": w.TraceHash,
		"ok": w.Ok(), "verdict": w.Verdict(), "new_master_port": w.NewMaster, "problems": problems,
		"events": events,
	})
}

func listCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the scenario catalogue",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cat, err := scenarios.Catalogue()
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if asJSON {
				type entry struct {
					Name  string `json:"name"`
					About string `json:"about"`
				}
				var list []entry
				for _, s := range cat {
					list = append(list, entry{s.Name, s.About})
				}
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				return enc.Encode(list)
			}
			for _, s := range cat {
				fmt.Fprintf(out, "%-34s %s\n", s.Name, firstLine(s.About))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the catalogue as JSON")
	return cmd
}

// firstLine is the first sentence of an about text.
func firstLine(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if i := strings.Index(s, ". "); i >= 0 {
		return s[:i+1]
	}
	return s
}
