package linearize

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// SentinelEvent is one line of a sentinel's event stream, as Redis logs and publishes
// it: Type is the event ("+elected-leader") and Text the rest in Redis's exact format
// ("master mymaster 127.0.0.1 6379").
//
// Master and Epoch are read from the text where Redis puts them there (most events name
// their master; +vote-for-leader and +new-epoch carry an epoch). Where it does not, the
// caller should fill them in: +vote-for-leader does not name its master, and
// +switch-master and +config-update-from need the config epoch they install. For
// +elected-leader and +promoted-slave without an Epoch, the sentinel's current epoch (from
// its latest +new-epoch or +vote-for-leader) is taken, which is the failover's epoch.
type SentinelEvent struct {
	At       int64  `json:"at"`
	Sentinel string `json:"sentinel"`
	Type     string `json:"type"`
	Text     string `json:"text"`
	Master   string `json:"master,omitempty"`
	Epoch    uint64 `json:"epoch,omitempty"`
}

// master returns the master's name, from the text if the caller left it empty.
func (e SentinelEvent) master() string {
	if e.Master != "" {
		return e.Master
	}
	f := strings.Fields(e.Text)
	if i := slices.Index(f, "@"); i >= 0 && i+1 < len(f) { // "slave ... @ mymaster ip port"
		return f[i+1]
	}
	if len(f) >= 2 && f[0] == "master" { // "master mymaster ip port"
		return f[1]
	}
	if e.Type == "+switch-master" && len(f) > 0 { // "mymaster oldip oldport newip newport"
		return f[0]
	}
	return ""
}

// epoch returns the event's epoch, from the text if the caller left it 0.
func (e SentinelEvent) epoch() uint64 {
	if e.Epoch != 0 {
		return e.Epoch
	}
	f := strings.Fields(e.Text)
	i := -1
	switch e.Type {
	case "+new-epoch": // "<epoch>"
		i = 0
	case "+vote-for-leader": // "<leader run id> <epoch>"
		i = 1
	}
	if i >= 0 && i < len(f) {
		if n, err := strconv.ParseUint(f[i], 10, 64); err == nil {
			return n
		}
	}
	return 0
}

// SafetyViolation is one breach of Sentinel's safety invariants.
type SafetyViolation struct {
	// Rule is one of one-leader-per-epoch, one-vote-per-epoch, one-promotion-per-epoch,
	// config-epoch-monotonic.
	Rule   string `json:"rule"`
	Master string `json:"master"`
	Epoch  uint64 `json:"epoch"`
	// At is when the invariant first broke.
	At int64 `json:"at"`
	// Sentinels are the sentinels involved; Values what they disagreed on (leaders voted
	// for, replicas promoted, or the epochs in the order seen).
	Sentinels []string `json:"sentinels"`
	Values    []string `json:"values,omitempty"`
}

// SentinelSafety checks the event log of all sentinels of a run:
//   - at most one leader per (master, epoch): two sentinels logging +elected-leader in one
//     epoch is a violation;
//   - each sentinel votes at most once per (master, epoch): two +vote-for-leader from one
//     sentinel naming different leaders is a double vote;
//   - at most one replica promoted per (master, epoch) (+promoted-slave);
//   - each sentinel's config epoch for a master, as installed by +switch-master and
//     +config-update-from, never goes backwards.
func SentinelSafety(events []SentinelEvent) Verdict {
	sorted := slices.Clone(events)
	slices.SortStableFunc(sorted, func(a, b SentinelEvent) int { return cmp.Compare(a.At, b.At) })

	type me struct {
		master string
		epoch  uint64
	}
	type sm struct{ sentinel, master string }
	// A tally collects, per key, the distinct values seen and who saw them.
	type tally struct {
		rule      string
		key       me
		values    []string
		sentinels []string
		brokeAt   int64
	}
	var tallies []*tally
	byKey := map[string]*tally{}
	note := func(rule string, key me, value, sentinel string, at int64) {
		id := fmt.Sprintf("%s\x00%s\x00%d\x00%s", rule, key.master, key.epoch, sentinelIfVote(rule, sentinel))
		t := byKey[id]
		if t == nil {
			t = &tally{rule: rule, key: key}
			byKey[id] = t
			tallies = append(tallies, t)
		}
		if !slices.Contains(t.sentinels, sentinel) {
			t.sentinels = append(t.sentinels, sentinel)
		}
		if !slices.Contains(t.values, value) {
			t.values = append(t.values, value)
			if len(t.values) == 2 {
				t.brokeAt = at
			}
		}
	}

	var violations []SafetyViolation
	current := map[string]uint64{} // each sentinel's current epoch
	config := map[sm][]uint64{}    // epochs installed, per sentinel and master
	for _, e := range sorted {
		master, epoch := e.master(), e.epoch()
		switch e.Type {
		case "+new-epoch":
			current[e.Sentinel] = max(current[e.Sentinel], epoch)
		case "+vote-for-leader":
			current[e.Sentinel] = max(current[e.Sentinel], epoch)
			leader, _, _ := strings.Cut(e.Text, " ")
			note("one-vote-per-epoch", me{master, epoch}, leader, e.Sentinel, e.At)
		case "+elected-leader":
			if epoch == 0 {
				epoch = current[e.Sentinel]
			}
			note("one-leader-per-epoch", me{master, epoch}, e.Sentinel, e.Sentinel, e.At)
		case "+promoted-slave":
			if epoch == 0 {
				epoch = current[e.Sentinel]
			}
			note("one-promotion-per-epoch", me{master, epoch}, promotedReplica(e.Text), e.Sentinel, e.At)
		case "+switch-master", "+config-update-from":
			if epoch == 0 {
				continue // the caller did not say which config epoch was installed
			}
			k := sm{e.Sentinel, master}
			seen := config[k]
			if n := len(seen); n > 0 && epoch < seen[n-1] {
				values := make([]string, 0, n+1)
				for _, s := range append(seen, epoch) {
					values = append(values, strconv.FormatUint(s, 10))
				}
				violations = append(violations, SafetyViolation{Rule: "config-epoch-monotonic", Master: master, Epoch: epoch,
					At: e.At, Sentinels: []string{e.Sentinel}, Values: values})
			}
			config[k] = append(seen, epoch)
		}
	}
	for _, t := range tallies {
		if len(t.values) > 1 {
			slices.Sort(t.sentinels)
			violations = append(violations, SafetyViolation{Rule: t.rule, Master: t.key.master, Epoch: t.key.epoch,
				At: t.brokeAt, Sentinels: t.sentinels, Values: t.values})
		}
	}
	slices.SortStableFunc(violations, func(a, b SafetyViolation) int {
		return cmp.Or(cmp.Compare(a.At, b.At), strings.Compare(a.Rule, b.Rule))
	})

	v := Verdict{Name: "sentinel-safety", Result: Pass, Evidence: violations,
		Summary: fmt.Sprintf("%d events: one leader, one vote and one promotion per epoch; config epochs never went backwards", len(events))}
	if len(violations) > 0 {
		v.Result = Violated
		var parts []string
		for _, x := range violations {
			parts = append(parts, fmt.Sprintf("%s broken for %s epoch %d by %s (%s)", x.Rule, x.Master, x.Epoch,
				strings.Join(x.Sentinels, ", "), strings.Join(x.Values, " then ")))
		}
		v.Summary = strings.Join(parts, "; ")
	}
	return v
}

// sentinelIfVote makes votes tally per voter; the other rules tally across sentinels.
func sentinelIfVote(rule, sentinel string) string {
	if rule == "one-vote-per-epoch" {
		return sentinel
	}
	return ""
}

// promotedReplica reads the replica's address from "slave 127.0.0.1:6380 127.0.0.1 6380
// @ mymaster 127.0.0.1 6379".
func promotedReplica(text string) string {
	if f := strings.Fields(text); len(f) >= 2 {
		return f[1]
	}
	return text
}
