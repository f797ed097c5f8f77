package linearize

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/anishathalye/porcupine"
)

// LinearizabilityEvidence is the evidence of Linearizable: the result for each key.
type LinearizabilityEvidence struct {
	Workload string      `json:"workload"`
	Keys     []KeyResult `json:"keys"`
}

// KeyResult is the linearizability of one key's history.
type KeyResult struct {
	Key string `json:"key"`
	// Ops is how many operations were checked: failed operations and reads with no
	// reply are left out, as they cannot have changed or observed anything.
	Ops    int    `json:"ops"`
	Result Result `json:"result"`
}

// kindsOf lists the operation kinds each workload's model understands.
var kindsOf = map[string][]string{
	"set-add":     {KindSAdd, KindSMembers},
	"register":    {KindGet, KindSet, KindSetNX, KindDel},
	"counter":     {KindIncr, KindGet},
	"list-append": {KindRPush, KindLRange},
}

// Linearizable checks the history of the named workload with porcupine, key by key, all
// keys in parallel, each within limit (0 means no limit). A key whose check hits the
// limit is reported as such and makes the verdict Inconclusive unless another key is
// not linearizable.
//
// An indeterminate write (Unknown) may take effect at any time after its call, so it is
// given a return time of +infinity, porcupine's way of saying so.
func Linearizable(workload string, ops []Op, limit time.Duration) Verdict {
	v := Verdict{Name: "linearizable"}
	model, keys, err := prepare(workload, ops)
	if err != nil {
		v.Result, v.Summary = Inconclusive, err.Error()
		return v
	}
	results := checkKeys(model, keys, limit)
	ev := LinearizabilityEvidence{Workload: workload}
	var illegal, unknown []string
	for i, k := range keys {
		r := Pass
		switch results[i] {
		case porcupine.Illegal:
			r = Violated
			illegal = append(illegal, k.key)
		case porcupine.Unknown:
			r = Inconclusive
			unknown = append(unknown, k.key)
		}
		ev.Keys = append(ev.Keys, KeyResult{Key: k.key, Ops: k.size, Result: r})
	}
	v.Evidence = ev
	switch {
	case len(illegal) > 0:
		v.Result = Violated
		v.Summary = fmt.Sprintf("not linearizable on %d of %d keys: %s", len(illegal), len(keys), strings.Join(illegal, ", "))
		if len(unknown) > 0 {
			v.Summary += fmt.Sprintf(" (time limit %v reached on %s)", limit, strings.Join(unknown, ", "))
		}
	case len(unknown) > 0:
		v.Result = Inconclusive
		v.Summary = fmt.Sprintf("time limit %v reached on %d of %d keys before a decision: %s", limit, len(unknown), len(keys), strings.Join(unknown, ", "))
	default:
		v.Result = Pass
		v.Summary = fmt.Sprintf("linearizable: %d operations on %d keys", len(ops), len(keys))
	}
	return v
}

// checkKeys checks every key in parallel, each within limit.
func checkKeys(model porcupine.Model, keys []keyHistory, limit time.Duration) []porcupine.CheckResult {
	results := make([]porcupine.CheckResult, len(keys))
	var wg sync.WaitGroup
	for i, k := range keys {
		wg.Go(func() { results[i] = porcupine.CheckOperationsTimeout(model, k.ops, limit) })
	}
	wg.Wait()
	return results
}

// keyHistory is one key's operations, ready for porcupine.
type keyHistory struct {
	key  string
	ops  []porcupine.Operation
	size int // operations before any reduction
}

// prepare turns a history into per-key porcupine histories, sorted by key.
func prepare(workload string, ops []Op) (porcupine.Model, []keyHistory, error) {
	model, ok := models[workload]
	if !ok {
		return model, nil, fmt.Errorf("unknown workload %q (known: %v)", workload, WorkloadNames)
	}
	byKey := map[string][]porcupine.Operation{}
	rows := 0
	for i := range ops {
		op := &ops[i]
		if !slices.Contains(kindsOf[workload], op.Kind) {
			return model, nil, fmt.Errorf("operation %d is a %s, which the %s workload does not have", op.ID, op.Kind, workload)
		}
		rows = max(rows, op.Client+1)
		if op.Status == Fail || (op.Status != Ok && !op.IsWrite()) {
			continue
		}
		s := &step{kind: op.Kind, key: op.Key, arg: op.Arg, out: op.Output, unknown: op.Status != Ok, op: op}
		ret := op.Return
		if s.unknown {
			ret = math.MaxInt64
		}
		if op.Kind == KindLRange {
			s.hash = listHash(op.Output.Values)
		}
		byKey[op.Key] = append(byKey[op.Key], porcupine.Operation{ClientId: op.Client, Input: s, Output: s,
			Call: op.Call, Return: ret, Metadata: op})
	}
	keys := make([]keyHistory, 0, len(byKey))
	for k, h := range byKey { // sorted below
		keys = append(keys, keyHistory{key: k, ops: h, size: len(h)})
	}
	slices.SortFunc(keys, func(a, b keyHistory) int { return strings.Compare(a.key, b.key) })
	if workload == "set-add" {
		for i := range keys {
			keys[i].ops = reduceSetAdd(keys[i].ops, rows)
		}
	}
	return model, keys, nil
}
