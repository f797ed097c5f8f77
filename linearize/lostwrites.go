package linearize

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// LostWritesEvidence is the evidence of LostWrites: one account per key.
type LostWritesEvidence struct {
	Workload string      `json:"workload"`
	Keys     []KeyLosses `json:"keys"`
}

// KeyLosses compares one key's writes with its final read, as Jepsen's 2013 Redis
// analysis reports set-add: of the acknowledged writes, which survived and which were
// lost; of the writes with no reply, which took effect anyway.
type KeyLosses struct {
	Key string `json:"key"`
	// FinalRead is the ID of the final read judged against, -1 if there was none.
	FinalRead    int `json:"final_read"`
	Attempted    int `json:"attempted"`
	Acknowledged int `json:"acknowledged"`
	// Survivors are acknowledged writes present in the final read.
	Survivors int `json:"survivors"`
	// Lost lists acknowledged writes absent from the final read (set-add, list-append);
	// LostCount counts them (for the counter, the only thing knowable).
	Lost      []string `json:"lost,omitempty"`
	LostCount int      `json:"lost_count"`
	LossRate  float64  `json:"loss_rate"`
	// Recovered lists writes with no reply that are present: unacknowledged but applied.
	Recovered []string `json:"recovered,omitempty"`
	// FailedButPresent lists writes that failed by the client's account yet are present:
	// the failure was not definite after all.
	FailedButPresent []string `json:"failed_but_present,omitempty"`
	// Unexpected lists values present that no client wrote; Duplicated values present
	// twice in a list; Excess is how far a counter exceeds every write that could have
	// applied.
	Unexpected []string `json:"unexpected,omitempty"`
	Duplicated []string `json:"duplicated,omitempty"`
	Excess     int64    `json:"excess,omitempty"`
}

func (k KeyLosses) violated() bool {
	return k.LostCount > 0 || len(k.FailedButPresent) > 0 || len(k.Unexpected) > 0 || len(k.Duplicated) > 0 || k.Excess > 0
}

// LostWrites compares acknowledged writes with the final reads (the operations marked
// Final; the latest successful one per key). It applies to set-add, list-append and
// counter; a register overwrites by design, so there it is Inconclusive and the
// linearizability checker is the judge.
func LostWrites(workload string, ops []Op) Verdict {
	v := Verdict{Name: "lost-writes"}
	var write, read string
	switch workload {
	case "set-add":
		write, read = KindSAdd, KindSMembers
	case "list-append":
		write, read = KindRPush, KindLRange
	case "counter":
		write, read = KindIncr, KindGet
	default:
		v.Result = Inconclusive
		v.Summary = fmt.Sprintf("no lost-write check for the %s workload: overwrites are allowed there; the linearizability checker judges it", workload)
		return v
	}

	groups := keyGroups{first: len(ops)}
	for i := range ops {
		if op := &ops[i]; op.Kind == write || (op.Kind == read && op.Final) {
			groups.add(op)
		}
	}
	keys := groups.sorted()

	ev := LostWritesEvidence{Workload: workload}
	var noRead []string
	var violated, lines []string
	for _, k := range keys {
		key := k.key
		kl := keyLosses(key, k.ops, write, read)
		ev.Keys = append(ev.Keys, kl)
		if kl.FinalRead < 0 {
			noRead = append(noRead, key)
			continue
		}
		if kl.violated() {
			violated = append(violated, key)
		}
		lines = append(lines, describeLosses(kl))
	}
	v.Evidence = ev
	switch {
	case len(violated) > 0:
		v.Result = Violated
	case len(noRead) > 0 || len(keys) == 0:
		v.Result = Inconclusive
		lines = append(lines, "no successful final read of "+strings.Join(noRead, ", "))
	default:
		v.Result = Pass
	}
	v.Summary = strings.Join(lines, "; ")
	return v
}

func keyLosses(key string, ops []*Op, write, read string) KeyLosses {
	kl := KeyLosses{Key: key, FinalRead: -1}
	// One pass over the operations, which may be hundreds of thousands: the final read,
	// and the writes by status, each value numbered (ids) in the order first written.
	var final *Op
	// Most writes are acknowledged: room for all of them at once. The others are few.
	acked, unknown, failed := make([]value, 0, len(ops)), []value(nil), []value(nil)
	var ids valueIDs
	ids.grow(len(ops))
	written := make([]bool, 0, len(ops))
	for _, op := range ops {
		switch {
		case op.Kind == read:
			if op.Status == Ok && (final == nil || op.Return > final.Return) {
				final = op
			}
			continue
		case op.Kind != write:
			continue
		}
		kl.Attempted++
		w := value{s: op.Arg}
		if write != KindIncr {
			var isNew bool
			if w.id, isNew = ids.id(op.Arg); isNew {
				written = append(written, true)
			}
		}
		switch op.Status {
		case Ok:
			acked = append(acked, w)
		case Unknown:
			unknown = append(unknown, w)
		case Fail:
			failed = append(failed, w)
		}
	}
	if final == nil {
		return KeyLosses{Key: key, FinalRead: -1}
	}
	kl.FinalRead = final.ID
	kl.Acknowledged = len(acked)

	if write == KindIncr {
		// A counter's increments are indistinguishable: only the totals can be compared.
		var n int64
		if !final.Output.Nil {
			var err error
			if n, err = strconv.ParseInt(final.Output.Value, 10, 64); err != nil {
				kl.Unexpected = []string{final.Output.Value}
			}
		}
		kl.LostCount = max(0, len(acked)-int(n))
		kl.Survivors = len(acked) - kl.LostCount
		kl.Excess = max(0, n-int64(len(acked)+len(unknown)))
	} else {
		// Values by id: written by some write, and how often the final read holds it.
		present := make([]int, len(written), len(written)+len(final.Output.Values))
		for _, v := range final.Output.Values {
			i, isNew := ids.id(v)
			if isNew {
				written, present = append(written, false), append(present, 0)
			}
			present[i]++
			switch {
			case present[i] == 2:
				kl.Duplicated = append(kl.Duplicated, v)
			case present[i] == 1 && !written[i]:
				kl.Unexpected = append(kl.Unexpected, v)
			}
		}
		for _, w := range acked {
			if present[w.id] > 0 {
				kl.Survivors++
			} else {
				kl.Lost = append(kl.Lost, w.s)
			}
		}
		// None of the lists is nil, as the evidence has them.
		kl.Recovered, kl.FailedButPresent = []string{}, []string{}
		for _, w := range unknown {
			if present[w.id] > 0 {
				kl.Recovered = append(kl.Recovered, w.s)
			}
		}
		for _, w := range failed {
			if present[w.id] > 0 {
				kl.FailedButPresent = append(kl.FailedButPresent, w.s)
			}
		}
		kl.LostCount = len(kl.Lost)
		for _, l := range [][]string{kl.Lost, kl.Recovered, kl.FailedButPresent, kl.Unexpected, kl.Duplicated} {
			sortValues(l)
		}
	}
	if kl.Acknowledged > 0 {
		kl.LossRate = float64(kl.LostCount) / float64(kl.Acknowledged)
	}
	return kl
}

// value is a written value and its id in a valueIDs.
type value struct {
	s  string
	id int32
}

// sortValues sorts numerically where values are integers, as the workloads write them.
func sortValues(vals []string) {
	slices.SortFunc(vals, func(a, b string) int {
		x, errA := strconv.ParseInt(a, 10, 64)
		y, errB := strconv.ParseInt(b, 10, 64)
		if errA == nil && errB == nil {
			return cmp.Compare(x, y)
		}
		return cmp.Or(cmp.Compare(len(a), len(b)), strings.Compare(a, b))
	})
}

func describeLosses(k KeyLosses) string {
	s := fmt.Sprintf("%s: %d attempted, %d acknowledged, %d survivors, %d lost (%.1f%%)",
		k.Key, k.Attempted, k.Acknowledged, k.Survivors, k.LostCount, 100*k.LossRate)
	if n := len(k.Recovered); n > 0 {
		s += fmt.Sprintf(", %d unacknowledged but present", n)
	}
	if n := len(k.FailedButPresent); n > 0 {
		s += fmt.Sprintf(", %d failed but present", n)
	}
	if n := len(k.Unexpected); n > 0 {
		s += fmt.Sprintf(", %d never written but present", n)
	}
	if n := len(k.Duplicated); n > 0 {
		s += fmt.Sprintf(", %d duplicated", n)
	}
	if k.Excess > 0 {
		s += fmt.Sprintf(", %d more than were ever written", k.Excess)
	}
	return s
}
