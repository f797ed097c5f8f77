package linearize

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// SentinelView is what one sentinel says at the end of a run.
type SentinelView struct {
	Name  string `json:"name"`
	Alive bool   `json:"alive"`
	// Master is the address ("ip:port") the sentinel gives for the master, as
	// SENTINEL GET-MASTER-ADDR-BY-NAME answers.
	Master string `json:"master"`
}

// RedisView is what one redis-server says about itself (ROLE or INFO replication).
type RedisView struct {
	Addr  string `json:"addr"`
	Alive bool   `json:"alive"`
	Role  string `json:"role"` // "master" or "slave"
	// MasterAddr is the master a replica replicates from, and LinkUp whether its link to
	// it is up (master_link_status:up).
	MasterAddr string `json:"master_addr,omitempty"`
	LinkUp     bool   `json:"link_up,omitempty"`
}

// LivenessInput is a final observation of the cluster with what liveness is judged by.
type LivenessInput struct {
	// At is when the observation was made.
	At        int64          `json:"at"`
	Sentinels []SentinelView `json:"sentinels"`
	Redis     []RedisView    `json:"redis"`
	// LastHeal is when the last fault healed; Bound how long the cluster then has to
	// recover (see LivenessBound).
	LastHeal int64         `json:"last_heal"`
	Bound    time.Duration `json:"bound"`
	// WriteOK says a client write invoked after LastHeal succeeded, at WriteAt (see
	// FirstWriteAfter).
	WriteOK bool  `json:"write_ok"`
	WriteAt int64 `json:"write_at,omitempty"`
}

// LivenessEvidence is the evidence of Liveness.
type LivenessEvidence struct {
	// Master is the address the live sentinels agree on, "" if they do not.
	Master   string   `json:"master,omitempty"`
	Deadline int64    `json:"deadline"`
	Problems []string `json:"problems,omitempty"`
}

// LivenessBound is how long after the last fault heals a Sentinel deployment may take
// to settle, given its down-after-milliseconds and failover-timeout:
//
//   - down-after, to notice a master that is still unreachable (+sdown, +odown);
//   - twice the failover timeout, since a sentinel that already tried to fail over this
//     master waits that long before trying again (Redis's failover_start_time check);
//   - one failover timeout more for that failover to reconfigure the replicas;
//   - 20 s of fixed Sentinel periods: INFO every 10 s to see a returning old master, 8 s
//     (four publish periods) before reconfiguring it as a replica, and up to 1 s of
//     random election delay plus a hello period.
//
// A sentinel in TILT mode (after a pause or a clock jump) stays passive for 30 s more;
// scenarios with such faults should add that.
func LivenessBound(downAfter, failoverTimeout time.Duration) time.Duration {
	return downAfter + 3*failoverTimeout + 20*time.Second
}

// FirstWriteAfter returns the return time of the first acknowledged write invoked at or
// after t, and whether there was one.
func FirstWriteAfter(ops []Op, t int64) (int64, bool) {
	var at int64
	found := false
	for i := range ops {
		at, found = earlierWrite(&ops[i], t, at, found)
	}
	return at, found
}

// earlierWrite is FirstWriteAfter's step: the earlier of at (if found) and op's return,
// if op is an acknowledged write invoked at or after t.
func earlierWrite(op *Op, t, at int64, found bool) (int64, bool) {
	if op.IsWrite() && op.Status == Ok && op.Call >= t && (!found || op.Return < at) {
		return op.Return, true
	}
	return at, found
}

// Liveness judges whether the cluster recovered once the faults healed: all live
// sentinels name one master, that node is alive and a master, every other live redis
// replicates from it with its link up, and a client write succeeded, all by
// LastHeal+Bound.
//
// An observation only tells the state at its own time, so observe at the deadline (or
// poll and judge the first observation that passes): a settled cluster observed after the
// deadline, or an unsettled one observed before it, is Inconclusive.
func Liveness(in LivenessInput) Verdict {
	ev := LivenessEvidence{Deadline: in.LastHeal + int64(in.Bound)}
	problem := func(format string, args ...any) { ev.Problems = append(ev.Problems, fmt.Sprintf(format, args...)) }

	named := map[string][]string{} // master address -> live sentinels naming it
	var addrs []string
	for _, s := range in.Sentinels {
		if !s.Alive {
			continue
		}
		if _, ok := named[s.Master]; !ok {
			addrs = append(addrs, s.Master)
		}
		named[s.Master] = append(named[s.Master], s.Name)
	}
	slices.Sort(addrs)
	switch len(addrs) {
	case 0:
		problem("no sentinel is alive")
	case 1:
		ev.Master = addrs[0]
	default:
		var views []string
		for _, a := range addrs {
			views = append(views, fmt.Sprintf("%s by %s", orNone([]string{a}), strings.Join(named[a], ", ")))
		}
		problem("the sentinels disagree on the master: %s", strings.Join(views, "; "))
	}

	if ev.Master != "" {
		i := slices.IndexFunc(in.Redis, func(r RedisView) bool { return r.Addr == ev.Master })
		switch {
		case i < 0:
			problem("the sentinels name %s, which is not a known redis", ev.Master)
		case !in.Redis[i].Alive:
			problem("the sentinels name %s, which is down", ev.Master)
		case in.Redis[i].Role != "master":
			problem("the sentinels name %s, which is a %s", ev.Master, in.Redis[i].Role)
		}
		for _, r := range in.Redis {
			switch {
			case !r.Alive || r.Addr == ev.Master:
			case r.Role != "slave":
				problem("%s is a %s, not a replica of %s", r.Addr, r.Role, ev.Master)
			case r.MasterAddr != ev.Master:
				problem("%s replicates from %s, not %s", r.Addr, orNone([]string{r.MasterAddr}), ev.Master)
			case !r.LinkUp:
				problem("%s replicates from %s but its link is down", r.Addr, ev.Master)
			}
		}
	}

	switch {
	case !in.WriteOK:
		problem("no client write succeeded after the last heal")
	case in.WriteAt > ev.Deadline:
		problem("the first client write after the last heal succeeded only at %v, after the deadline %v",
			time.Duration(in.WriteAt), time.Duration(ev.Deadline))
	}

	v := Verdict{Name: "liveness", Evidence: ev}
	observed := fmt.Sprintf("observed at %v, deadline %v", time.Duration(in.At), time.Duration(ev.Deadline))
	switch {
	case len(ev.Problems) == 0 && in.At <= ev.Deadline:
		v.Result = Pass
		v.Summary = fmt.Sprintf("settled on master %s and a write succeeded (%s)", ev.Master, observed)
	case len(ev.Problems) == 0:
		v.Result = Inconclusive
		v.Summary = fmt.Sprintf("settled on master %s, but only known to be settled after the deadline (%s)", ev.Master, observed)
	case in.At < ev.Deadline:
		v.Result = Inconclusive
		v.Summary = fmt.Sprintf("not settled yet (%s): %s", observed, strings.Join(ev.Problems, "; "))
	default:
		v.Result = Violated
		v.Summary = fmt.Sprintf("not settled by the deadline (%s): %s", observed, strings.Join(ev.Problems, "; "))
	}
	return v
}
