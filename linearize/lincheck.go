package linearize

import (
	"fmt"
	"math"
	"runtime/metrics"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
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

// Linearizable checks the history of the named workload key by key, all keys in
// parallel, each within limit (0 means no limit). A key whose check hits the limit, or
// the memory bound (MemoryLimit for all keys together), is reported as such and makes
// the verdict Inconclusive unless another key is not linearizable.
//
// Counter and list-append histories are decided exactly in O(n log n) (see chain.go);
// set-add histories are reduced to a few operations first (see setreduce.go); register
// histories, and whatever a reduction does not apply to, go to porcupine. An
// indeterminate write (Unknown) may take effect at any time after its call, so
// porcupine is given a return time of +infinity for it.
func Linearizable(workload string, ops []Op, limit time.Duration) Verdict {
	return linearizable(workload, ops, limits{time: limit, memory: MemoryLimit})
}

// MemoryLimit bounds, in bytes, how much the heap may grow while porcupine searches, in
// one Linearizable call (see budget).
const MemoryLimit = 4 << 30

// limits bound one check: time per key, memory for all keys together.
type limits struct {
	time   time.Duration
	memory int64
}

func linearizable(workload string, ops []Op, lim limits) Verdict {
	v := Verdict{Name: "linearizable"}
	keys, rows, err := byKey(workload, ops)
	if err != nil {
		v.Result, v.Summary = Inconclusive, err.Error()
		return v
	}
	results, outOfMemory := checkKeys(workload, keys, rows, lim)
	ev := LinearizabilityEvidence{Workload: workload}
	var illegal, unknown []string
	for i, k := range keys {
		switch results[i] {
		case Violated:
			illegal = append(illegal, k.key)
		case Inconclusive:
			unknown = append(unknown, k.key)
		}
		ev.Keys = append(ev.Keys, KeyResult{Key: k.key, Ops: len(k.ops), Result: results[i]})
	}
	v.Evidence = ev
	bound := fmt.Sprintf("time limit %v", lim.time)
	if outOfMemory {
		bound = "memory bound of " + byteSize(lim.memory)
		if lim.time > 0 {
			bound = fmt.Sprintf("time limit %v or %s", lim.time, bound)
		}
	}
	switch {
	case len(illegal) > 0:
		v.Result = Violated
		v.Summary = fmt.Sprintf("not linearizable on %d of %d keys: %s", len(illegal), len(keys), strings.Join(illegal, ", "))
		if len(unknown) > 0 {
			v.Summary += fmt.Sprintf(" (%s reached on %s)", bound, strings.Join(unknown, ", "))
		}
	case len(unknown) > 0:
		v.Result = Inconclusive
		v.Summary = fmt.Sprintf("%s reached on %d of %d keys before a decision: %s", bound, len(unknown), len(keys), strings.Join(unknown, ", "))
	default:
		v.Result = Pass
		v.Summary = fmt.Sprintf("linearizable: %d operations on %d keys", len(ops), len(keys))
	}
	return v
}

// byteSize writes a size in the largest unit that keeps it whole: 2 GiB, 1 KiB.
func byteSize(n int64) string {
	unit := 0
	for n >= 1024 && n%1024 == 0 && unit < 3 {
		n /= 1024
		unit++
	}
	return fmt.Sprintf("%d %s", n, []string{"bytes", "KiB", "MiB", "GiB"}[unit])
}

// byKey splits a history by key, sorted by key, keeping the operations the check
// judges (failed operations and reads with no reply are left out, as they cannot have
// changed or observed anything), and counts the clients' rows.
func byKey(workload string, ops []Op) ([]keyOps, int, error) {
	kinds, ok := kindsOf[workload]
	if !ok {
		return nil, 0, fmt.Errorf("unknown workload %q (known: %v)", workload, WorkloadNames)
	}
	keys := keyGroups{first: len(ops)}
	rows := 0
	for i := range ops {
		op := &ops[i]
		if !slices.Contains(kinds, op.Kind) {
			return nil, 0, fmt.Errorf("operation %d is a %s, which the %s workload does not have", op.ID, op.Kind, workload)
		}
		rows = max(rows, op.Client+1)
		if op.Status == Fail || (op.Status != Ok && !op.IsWrite()) {
			continue
		}
		keys.add(op)
	}
	return keys.sorted(), rows, nil
}

// keyOps is one key's operations.
type keyOps struct {
	key string
	ops []*Op
}

// keyGroups collects pointers to operations by key (pointers, not copies: histories run
// to hundreds of thousands of operations). Runs of one key, the common case, cost no
// map lookup.
type keyGroups struct {
	index map[string]int
	last  int // index of the key added last, if any
	keys  []keyOps
	// first is the room made at once for the first key's operations: most histories
	// have one key, whose list would otherwise be copied at every doubling.
	first int
}

func (g *keyGroups) add(op *Op) {
	if len(g.keys) == 0 || g.keys[g.last].key != op.Key {
		j, seen := g.index[op.Key]
		if !seen {
			if g.index == nil {
				g.index = map[string]int{}
			}
			j = len(g.keys)
			g.index[op.Key] = j
			g.keys = append(g.keys, keyOps{key: op.Key, ops: make([]*Op, 0, g.first)})
			g.first = 0
		}
		g.last = j
	}
	g.keys[g.last].ops = append(g.keys[g.last].ops, op)
}

// sorted returns the groups sorted by key.
func (g *keyGroups) sorted() []keyOps {
	slices.SortFunc(g.keys, func(a, b keyOps) int { return strings.Compare(a.key, b.key) })
	return g.keys
}

// checkKeys checks every key in parallel, porcupine's searches within the limits; it
// reports whether the memory bound was reached.
func checkKeys(workload string, keys []keyOps, rows int, lim limits) ([]Result, bool) {
	results := make([]Result, len(keys))
	b, stop := watch(lim.memory)
	defer stop()
	var wg sync.WaitGroup
	for i, k := range keys {
		wg.Go(func() { results[i] = checkKey(workload, k, rows, lim.time, b) })
	}
	wg.Wait()
	return results, b.spent.Load()
}

func checkKey(workload string, k keyOps, rows int, limit time.Duration, b *budget) Result {
	switch workload {
	case "counter":
		return passIf(linearizableCounter(k.ops))
	case "list-append":
		if ok, decided := linearizableList(k.ops); decided {
			return passIf(ok)
		}
	}
	h := porcupineHistory(workload, k, rows)
	model, refused := b.model(models[workload])
	switch porcupine.CheckOperationsTimeout(model, h, limit) {
	case porcupine.Ok:
		return Pass
	case porcupine.Illegal:
		if !refused.Load() {
			return Violated
		}
	}
	return Inconclusive
}

func passIf(ok bool) Result {
	if ok {
		return Pass
	}
	return Violated
}

// porcupineHistory is one key's history as porcupine checks it: reduced for set-add.
func porcupineHistory(workload string, k keyOps, rows int) []porcupine.Operation {
	if workload == "set-add" {
		return reduceSetAdd(k.ops, rows)
	}
	return steps(k.ops)
}

// steps turns operations into porcupine's, one step each.
func steps(ops []*Op) []porcupine.Operation {
	out := make([]porcupine.Operation, len(ops))
	for i, op := range ops {
		s := &step{kind: op.Kind, key: op.Key, arg: op.Arg, out: op.Output, unknown: op.Status != Ok, op: op}
		if op.Kind == KindLRange {
			s.hash = listHash(op.Output.Values)
		}
		out[i] = porcupine.Operation{ClientId: op.Client, Input: s, Output: s, Call: op.Call, Return: returnOf(op), Metadata: op}
	}
	return out
}

// returnOf is an operation's return time for porcupine: +infinity when it may take
// effect at any time after its call.
func returnOf(op *Op) int64 {
	if op.Status != Ok {
		return math.MaxInt64
	}
	return op.Return
}

// budget bounds the memory porcupine's searches may take: its cache keeps a bitset of
// all operations per state it visits, which exhausts memory on long histories that no
// reduction shrinks. A watchdog samples the heap every few milliseconds; once it has
// grown by more than the bound since the check began, every step fails, which unwinds
// the searches at once, and their verdicts of illegal are not to be believed. The heap
// is the process's, so whatever else runs meanwhile counts too: the bound errs on the
// side of giving up.
type budget struct {
	limit, base uint64
	spent       atomic.Bool
}

// watch starts the watchdog of a budget of bytes; stop ends it.
func watch(bytes int64) (b *budget, stop func()) {
	b = &budget{limit: uint64(bytes), base: heapBytes()}
	done := make(chan struct{})
	go func() {
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				if heapBytes() > b.base+b.limit {
					b.spent.Store(true)
					return
				}
			}
		}
	}()
	return b, func() { close(done) }
}

// heapBytes is the memory held by heap objects, live or not yet swept.
func heapBytes() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// model is m drawing on the budget; refused reports whether it failed a step because
// the budget was spent. (It is atomic: porcupine steps partitions in goroutines of its
// own, and may still be stepping when it returns after its time limit.)
func (b *budget) model(m porcupine.Model) (_ porcupine.Model, refused *atomic.Bool) {
	refused = new(atomic.Bool)
	step := m.Step
	m.Step = func(state, input, output any) (bool, any) {
		if b.spent.Load() {
			refused.Store(true)
			return false, state
		}
		return step(state, input, output)
	}
	return m, refused
}
