package scenarios

import (
	"fmt"
	"slices"
	"time"

	"github.com/sentinelsim/sentinelsim/linearize"
	"github.com/sentinelsim/sentinelsim/world"
)

// judge runs every checker on a finished run, fills in the result's figures and holds
// the outcome against the scenario's expectations.
func (s *Scenario) judge(run *Run, live linearize.Verdict, start, limit time.Duration) {
	r := run.Result
	ops, events := run.Ops, run.Events
	safety := linearize.SentinelSafety(events)
	lost := linearize.LostWrites(s.Workload.Kind, ops)
	lin := linearize.Linearizable(s.Workload.Kind, ops, limit)
	intervals := s.masterIntervals(run.World, ops)
	split := linearize.SplitBrain(intervals)
	stale := linearize.StaleReads(ops, masterTimeline(run.World, ops))
	r.Checks = []linearize.Verdict{safety, live, lost, lin, split, stale}

	r.Ops = len(ops)
	// One pass over the history for both the count and the times: it may hold hundreds
	// of thousands of operations.
	var acks []int64 // when the clients' acknowledged writes returned, final ones aside
	for i := range ops {
		if op := &ops[i]; op.IsWrite() && op.Status == linearize.Ok {
			r.AckedWrites++
			if !op.Final {
				acks = append(acks, op.Return)
			}
		}
	}
	if ev, ok := lost.Evidence.(linearize.LostWritesEvidence); ok {
		for _, k := range ev.Keys {
			r.LostWrites += k.LostCount
		}
	}
	r.Linearizable = map[linearize.Result]string{linearize.Pass: "ok", linearize.Violated: "illegal",
		linearize.Inconclusive: "unknown"}[lin.Result]
	if ev, ok := split.Evidence.(linearize.SplitBrainEvidence); ok {
		r.SplitBrainMs = float64(ev.Total) / float64(time.Millisecond)
	}
	r.Failovers, r.FailoverMs = failovers(events)
	r.UnavailableMs = longestGap(acks, start, start+s.Duration+s.Quiet)
	if ev, ok := live.Evidence.(linearize.LivenessEvidence); ok {
		if n, found := run.World.Topology().NodeAt(ev.Master); found {
			r.FinalMaster = n.Name
		}
	}
	r.Converged = live.Ok()

	tilt := slices.ContainsFunc(events, func(e linearize.SentinelEvent) bool { return e.Type == "+tilt" })
	facts := map[string]linearize.Verdict{
		"sentinel-safety":  safety,
		"liveness":         live,
		"no-lost-writes":   lost,
		"linearizable":     lin,
		"no-split-brain":   split,
		"failover":         fact(r.Failovers >= 1, "failovers: %d", r.Failovers),
		"no-failover":      fact(r.Failovers == 0, "failovers: %d", r.Failovers),
		"one-failover":     fact(r.Failovers == 1, "failovers: %d", r.Failovers),
		"second-failover":  fact(r.Failovers >= 2, "failovers: %d", r.Failovers),
		"retried-election": retriedElection(events),
		"lost-writes":      found(lost),
		"non-linearizable": found(lin),
		"split-brain":      found(split),
		"stale-reads":      found(stale),
		"tilt":             fact(tilt, "a sentinel entered TILT: %v", tilt),
	}
	r.Always = s.AlwaysFor(r.Seed)
	r.Violations = []string{}
	for _, p := range r.Always {
		v := facts[p]
		derived := !slices.Contains(s.Expect.Always, p)
		if !v.Ok() && (!derived || v.Result == linearize.Violated) {
			r.Violations = append(r.Violations, fmt.Sprintf("%s: %s", p, v.Summary))
		}
	}
	for _, f := range r.Faults {
		if f.Unsupported {
			r.Violations = append(r.Violations, fmt.Sprintf("fault-unsupported: %s (at %v)", f.Err, f.At))
		}
	}
	r.Finds = append([]string{}, s.Expect.Finds...)
	r.Found = []string{}
	for _, p := range s.Expect.Finds {
		if facts[p].Ok() {
			r.Found = append(r.Found, p)
		}
	}
	r.Verdict = "pass"
	if len(r.Violations) > 0 {
		r.Verdict = "fail"
	}
}

// fact is a verdict on a plain count or flag.
func fact(ok bool, format string, args ...any) linearize.Verdict {
	v := linearize.Verdict{Result: linearize.Violated, Summary: fmt.Sprintf(format, args...)}
	if ok {
		v.Result = linearize.Pass
	}
	return v
}

// found turns a checker's verdict around: an anomaly is found when its checker fails.
func found(v linearize.Verdict) linearize.Verdict {
	return fact(v.Result == linearize.Violated, "%s: %s", v.Name, v.Summary)
}

// masterIntervals are when each node acted as master: from inside the servers where
// the world can see it, otherwise from which node acknowledged each write.
func (s *Scenario) masterIntervals(w world.World, ops []linearize.Op) []linearize.MasterInterval {
	if a, ok := w.(Accepting); ok {
		return a.AcceptIntervals(s.acceptGap())
	}
	return linearize.AcceptIntervals(linearize.WriteAccepts(ops), s.acceptGap())
}

// masterTimeline is when each node was master: exactly, where the world can see its
// servers' roles, otherwise as the history's operations observed them.
func masterTimeline(w world.World, ops []linearize.Op) []linearize.MasterInterval {
	if t, ok := w.(Timelined); ok {
		return t.MasterTimeline()
	}
	return linearize.ObservedTimeline(ops)
}

// acceptGap joins a node's write acceptances into one interval of acting as master: a
// few of the clients' think times, and no less than half a second.
func (s *Scenario) acceptGap() time.Duration {
	return max(500*time.Millisecond, 5*s.Workload.Think)
}

// failovers counts the failovers in the event log, one per config epoch installed by a
// +switch-master, and times each from the first +sdown of the old master that preceded
// it to the first +switch-master.
func failovers(events []linearize.SentinelEvent) (int, []float64) {
	seen := map[uint64]bool{}
	times := []float64{}
	var downSince int64 = -1
	for _, e := range events {
		switch e.Type {
		case "+sdown":
			if downSince < 0 && len(e.Text) > 7 && e.Text[:7] == "master " {
				downSince = e.At
			}
		case "+switch-master":
			if seen[e.Epoch] {
				continue
			}
			seen[e.Epoch] = true
			ms := 0.0
			if downSince >= 0 {
				ms = float64(e.At-downSince) / float64(time.Millisecond)
			}
			times = append(times, ms)
			downSince = -1
		}
	}
	return len(seen), times
}

// retriedElection finds an election that failed and was tried again: a +try-failover in
// an epoch no +switch-master installed, then one in a later epoch. A failover is tried in
// the epoch it is to install, so an epoch without a +switch-master is an attempt that was
// not elected (a split vote, a lost race) or did not finish.
func retriedElection(events []linearize.SentinelEvent) linearize.Verdict {
	switched := map[uint64]bool{}
	for _, e := range events {
		if e.Type == "+switch-master" {
			switched[e.Epoch] = true
		}
	}
	var failed uint64 // the first epoch tried that installed nothing; 0 for none yet
	for _, e := range events {
		switch {
		case e.Type != "+try-failover":
		case failed != 0 && e.Epoch > failed:
			return fact(true, "the failover tried in epoch %d installed no master; retried in epoch %d", failed, e.Epoch)
		case failed == 0 && !switched[e.Epoch]:
			failed = e.Epoch
		}
	}
	return fact(false, "no failed election was retried (first failed epoch: %d)", failed)
}

// longestGap is the longest time from start to end in which no client write succeeded,
// acks being when writes did.
func longestGap(acks []int64, start, end time.Duration) float64 {
	slices.Sort(acks)
	last, gap := int64(start), int64(0)
	for _, at := range append(acks, int64(end)) {
		gap = max(gap, at-last)
		last = at
	}
	return float64(gap) / float64(time.Millisecond)
}
