package scenarios

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/mattn/go-shellwords"
)

// Summary merges the results of many runs of one scenario in one configuration on one
// backend: the numbers `sentinelsim sweep` and `sentinelsim report` print, and results/
// tabulates.
type Summary struct {
	Scenario string `json:"scenario"`
	Backend  string `json:"backend"`
	// Variant is what else the runs' replay commands give besides the scenario's name,
	// the seed and the backend: a scenario or fault file, --set settings, the backend's
	// own flags (--sentinel go). Runs that differ in it are summarised apart.
	Variant string `json:"variant,omitempty"`
	Runs    int    `json:"runs"`
	Passed  int    `json:"passed"`
	// FailedSeeds are the seeds that broke an always-expectation; Errors the runs that
	// could not be carried out.
	FailedSeeds []uint64 `json:"failed_seeds"`
	Errors      int      `json:"errors"`
	// Found counts, per find-expectation, the runs that observed it; NotFound lists the
	// runs' find-expectations that none of them observed, which a sweep must not leave.
	Found            map[string]int `json:"found"`
	NotFound         []string       `json:"not_found"`
	AckedWrites      int            `json:"acked_writes"`
	LostWrites       int            `json:"lost_writes"`
	LossRate         float64        `json:"loss_rate"`
	RunsWithLoss     int            `json:"runs_with_loss"`
	NonLinearizable  int            `json:"non_linearizable_runs"`
	Undecided        int            `json:"undecided_runs"`
	SplitBrainMs     float64        `json:"split_brain_ms"`
	Failovers        int            `json:"failovers"`
	FailoverMsMedian float64        `json:"failover_ms_median"`
	FailoverMsP99    float64        `json:"failover_ms_p99"`
	UnavailableMsMed float64        `json:"unavailable_ms_median"`
	UnavailableMsMax float64        `json:"unavailable_ms_max"`
	SimSeconds       float64        `json:"sim_seconds"`
	WallSeconds      float64        `json:"wall_seconds"`
}

// Summarize groups results by scenario, variant and backend, in order of first
// appearance.
func Summarize(results []*Result) []*Summary {
	var out []*Summary
	index := map[string]*Summary{}
	finds := map[*Summary][]string{}
	failover := map[*Summary][]float64{}
	unavailable := map[*Summary][]float64{}
	for _, r := range results {
		v := Variant(r.Replay)
		key := r.Scenario + "\x00" + r.Backend + "\x00" + v
		s, ok := index[key]
		if !ok {
			s = &Summary{Scenario: r.Scenario, Backend: r.Backend, Variant: v, Found: map[string]int{}, FailedSeeds: []uint64{}}
			index[key] = s
			out = append(out, s)
		}
		s.Runs++
		for _, f := range r.Finds {
			if !slices.Contains(finds[s], f) {
				finds[s] = append(finds[s], f)
			}
		}
		if r.Error != "" {
			s.Errors++
			continue
		}
		if r.Passed() {
			s.Passed++
		} else {
			s.FailedSeeds = append(s.FailedSeeds, r.Seed)
		}
		for _, f := range r.Found {
			s.Found[f]++
		}
		s.AckedWrites += r.AckedWrites
		s.LostWrites += r.LostWrites
		if r.LostWrites > 0 {
			s.RunsWithLoss++
		}
		switch r.Linearizable {
		case "illegal":
			s.NonLinearizable++
		case "unknown":
			s.Undecided++
		}
		s.SplitBrainMs += r.SplitBrainMs
		s.Failovers += r.Failovers
		failover[s] = append(failover[s], r.FailoverMs...)
		unavailable[s] = append(unavailable[s], r.UnavailableMs)
		s.SimSeconds += r.SimSeconds
		s.WallSeconds += r.WallSeconds
	}
	for _, s := range out {
		s.NotFound = []string{}
		for _, f := range finds[s] {
			if s.Found[f] == 0 {
				s.NotFound = append(s.NotFound, f)
			}
		}
		if s.AckedWrites > 0 {
			s.LossRate = float64(s.LostWrites) / float64(s.AckedWrites)
		}
		s.FailoverMsMedian, s.FailoverMsP99 = quantile(failover[s], 0.5), quantile(failover[s], 0.99)
		s.UnavailableMsMed = quantile(unavailable[s], 0.5)
		if u := unavailable[s]; len(u) > 0 {
			s.UnavailableMsMax = slices.Max(u)
		}
		slices.Sort(s.FailedSeeds)
	}
	return out
}

// Variant is a replay command (see Scenario.ReplayCommand) without the command, the
// catalogue name, the seed and the backend: what is left says how the run differed from
// the catalogued scenario.
func Variant(replay string) string {
	words, err := shellwords.Parse(strings.TrimPrefix(replay, ReplayPrefix))
	if err != nil {
		return replay
	}
	var rest []string
	for i := 0; i < len(words); i++ {
		switch words[i] {
		case "--scenario", "--seed", "--backend":
			i++ // and its value
		default:
			rest = append(rest, shellWord(words[i]))
		}
	}
	return strings.Join(rest, " ")
}

// quantile is the nearest-rank quantile q of xs (0 for none).
func quantile(xs []float64, q float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	i := int(q*float64(len(s))+0.999999) - 1
	return s[max(0, min(i, len(s)-1))]
}

// WriteTable prints summaries as an aligned table for people.
func WriteTable(w io.Writer, sums []*Summary) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "scenario\tbackend\truns\tpassed\tacked\tlost (rate)\tnon-lin\tsplit-brain\tfailover p50/p99\tunavailable p50/max\tfound\tfailed seeds")
	for _, s := range sums {
		var found []string
		counts := maps.Clone(s.Found)
		for _, k := range s.NotFound {
			counts[k] = 0 // shown as 0/runs: expected, and seen on none
		}
		for _, k := range sortedKeys(counts) {
			found = append(found, fmt.Sprintf("%s %d/%d", k, counts[k], s.Runs))
		}
		failed := "-"
		if len(s.FailedSeeds) > 0 {
			failed = strings.Trim(fmt.Sprint(s.FailedSeeds), "[]")
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\t%d (%.2f%%)\t%d\t%.1f s\t%.0f/%.0f ms\t%.0f/%.0f ms\t%s\t%s\n",
			strings.TrimSpace(s.Scenario+" "+s.Variant), s.Backend, s.Runs, s.Passed, s.AckedWrites, s.LostWrites, 100*s.LossRate,
			s.NonLinearizable, s.SplitBrainMs/1000, s.FailoverMsMedian, s.FailoverMsP99,
			s.UnavailableMsMed, s.UnavailableMsMax, orDash(strings.Join(found, ", ")), failed)
	}
	return tw.Flush()
}

func sortedKeys(m map[string]int) []string {
	keys := make([]string, 0, len(m))
	for k := range m { // sorted below
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
