package main

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sentinelsim/sentinelsim/scenarios"
)

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
