// Package linearize records what clients did to a Redis deployment and judges it:
// linearizability per key with porcupine, lost acknowledged writes, split-brain, stale
// reads, Sentinel's own safety invariants and liveness after faults heal.
//
// Everything here is plain data so that the simulator and the real backend feed the same
// checkers: times are int64 nanoseconds (virtual in the simulator, monotonic in the real
// world), nodes are names or addresses, replies are plain Go values. The package imports
// nothing else from this module.
package linearize

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sync"
)

// Status says what a client knows about whether an operation took effect.
type Status string

const (
	// Ok: the server acknowledged the operation; its output is known.
	Ok Status = "ok"
	// Fail: the operation definitely did not take effect: an error reply such as READONLY
	// or NOREPLICAS, or a connection refused before anything was sent.
	Fail Status = "fail"
	// Unknown: the request may have reached the server but no reply came back (timeout,
	// connection lost after sending). The operation may or may not have taken effect, at
	// any time after it was invoked. An invoked operation is Unknown until completed.
	Unknown Status = "unknown"
)

// Operation kinds, one per Redis command the workloads send.
const (
	KindSAdd     = "sadd"     // SADD key member
	KindSMembers = "smembers" // SMEMBERS key
	KindGet      = "get"      // GET key
	KindSet      = "set"      // SET key value
	KindSetNX    = "setnx"    // SET key value NX: the register's compare-and-set against "absent"
	KindDel      = "del"      // DEL key
	KindIncr     = "incr"     // INCR key
	KindRPush    = "rpush"    // RPUSH key element
	KindLRange   = "lrange"   // LRANGE key 0 -1
)

// Output is what a completed operation returned.
type Output struct {
	// Value is a bulk string reply (GET).
	Value string `json:"value,omitempty"`
	// Nil is set for a nil reply: GET of a missing key, SET NX that did not set.
	Nil bool `json:"nil,omitempty"`
	// Int is an integer reply: SADD and DEL counts, INCR's new value, RPUSH's new length.
	Int int64 `json:"int,omitempty"`
	// Values is an array reply: SMEMBERS (sorted, as sets have no order) or LRANGE.
	Values []string `json:"values,omitempty"`
	// Error is the error reply or the client's error, for Fail and Unknown operations.
	Error string `json:"error,omitempty"`
}

// Op is one client operation: its invocation, its completion and who served it.
type Op struct {
	// ID is the operation's index in its History.
	ID     int    `json:"id"`
	Client int    `json:"client"`
	Kind   string `json:"kind"`
	Key    string `json:"key"`
	// Arg is the value written (SADD member, SET value, RPUSH element); empty for reads.
	Arg string `json:"arg,omitempty"`
	// Final marks the final reads that a workload issues after the faults heal; the
	// lost-writes checker compares acknowledged writes with them.
	Final  bool   `json:"final,omitempty"`
	Output Output `json:"output"`
	Status Status `json:"status"`
	// Call and Return are the invocation and completion times in nanoseconds. An
	// operation that never completed is Unknown with Return 0.
	Call   int64 `json:"call"`
	Return int64 `json:"return"`
	// Node is the server that served the operation ("" if none was reached) and Role the
	// role it reported or was believed to have then ("master", "slave" or "").
	Node string `json:"node,omitempty"`
	Role string `json:"role,omitempty"`
}

// IsWrite reports whether the operation can change the key.
func (o Op) IsWrite() bool {
	switch o.Kind {
	case KindSAdd, KindSet, KindSetNX, KindDel, KindIncr, KindRPush:
		return true
	}
	return false
}

func (o Op) String() string {
	s := fmt.Sprintf("#%d c%d %s %s", o.ID, o.Client, o.Kind, o.Key)
	if o.Arg != "" {
		s += " " + o.Arg
	}
	return s + " -> " + string(o.Status)
}

// History collects the operations of one run. The simulator calls it from its single
// loop, so there the order of IDs is deterministic and it takes no lock; once Share is
// called, as the real backend does for its client goroutines, it is safe for concurrent
// use.
type History struct {
	mu     sync.Mutex
	shared bool
	ops    []Op
	// done marks completed operations; Return cannot, since virtual time starts at 0.
	done []bool
	// firstWrite is FirstWriteAfter's answer so far, nil until it is asked.
	firstWrite *firstWrite
}

// firstWrite is FirstWriteAfter(t) over the operations before upTo, all completed, so
// that it need not be found again: a run that settles asks once a second, and a
// completed operation no longer changes.
type firstWrite struct {
	t     int64
	upTo  int
	at    int64
	found bool
}

// Share makes the history safe for concurrent use from now on. Call it before any
// other goroutine can reach the history: the simulator's, never shared, takes no lock
// for each of the hundreds of thousands of operations it records.
func (h *History) Share() { h.shared = true }

// lock and unlock take and release the lock of a shared history.
func (h *History) lock() {
	if h.shared {
		h.mu.Lock()
	}
}

func (h *History) unlock() {
	if h.shared {
		h.mu.Unlock()
	}
}

// Grow makes room for n more operations, so that a history whose length the caller can
// foresee grows without copying what it holds.
func (h *History) Grow(n int) {
	h.lock()
	defer h.unlock()
	h.ops = slices.Grow(h.ops, n)
	h.done = slices.Grow(h.done, n)
}

// Invoke records the start of an operation at time at and returns its ID. Only the
// operation's Kind, Key, Arg and Final are kept from op.
func (h *History) Invoke(client int, op Op, at int64) int {
	h.lock()
	defer h.unlock()
	id := len(h.ops)
	// Written in place, field by field: past its length a slice's array is zero, and
	// copying a whole Op in would cost a write barrier for each of its strings.
	if id < cap(h.ops) {
		h.ops = h.ops[:id+1]
	} else {
		h.ops = append(h.ops, Op{})
	}
	o := &h.ops[id]
	o.ID, o.Client, o.Kind, o.Key, o.Arg, o.Final, o.Status, o.Call = id, client, op.Kind, op.Key, op.Arg, op.Final, Unknown, at
	h.done = append(h.done, false)
	return id
}

// Complete records the end of operation id at time at. Completing an operation twice
// is a bug in the client and panics, since it would silently rewrite history.
func (h *History) Complete(id int, out Output, status Status, node, role string, at int64) {
	h.lock()
	defer h.unlock()
	if h.done[id] {
		panic(fmt.Sprintf("linearize: operation %d completed twice", id))
	}
	h.done[id] = true
	op := &h.ops[id]
	op.Output, op.Status, op.Node, op.Role, op.Return = out, status, node, role, at
}

// Ops returns a copy of the operations in invocation order.
func (h *History) Ops() []Op {
	h.lock()
	defer h.unlock()
	return slices.Clone(h.ops)
}

// Finished returns the operations in invocation order without copying them, for a
// caller that knows no operation will be invoked or completed any more (the
// simulator's, once its clients have stopped): the history must not change afterwards.
func (h *History) Finished() []Op {
	h.lock()
	defer h.unlock()
	return h.ops
}

// FirstWriteAfter is FirstWriteAfter(h.Ops(), t) without copying the history, for
// callers that ask often while a run goes on.
func (h *History) FirstWriteAfter(t int64) (int64, bool) {
	h.lock()
	defer h.unlock()
	if h.firstWrite == nil || h.firstWrite.t != t {
		h.firstWrite = &firstWrite{t: t}
	}
	fw := h.firstWrite
	for fw.upTo < len(h.ops) && h.done[fw.upTo] {
		fw.at, fw.found = earlierWrite(&h.ops[fw.upTo], t, fw.at, fw.found)
		fw.upTo++
	}
	at, found := fw.at, fw.found
	for i := fw.upTo; i < len(h.ops); i++ { // from the first operation still in flight
		at, found = earlierWrite(&h.ops[i], t, at, found)
	}
	return at, found
}

// MarshalJSON writes the history as {"ops": [...]}.
func (h *History) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Ops []Op `json:"ops"`
	}{h.Ops()})
}

// UnmarshalJSON reads what MarshalJSON wrote.
func (h *History) UnmarshalJSON(b []byte) error {
	var v struct {
		Ops []Op `json:"ops"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	for i, op := range v.Ops {
		if op.ID != i {
			return fmt.Errorf("history: operation %d has id %d; ids must count up from 0", i, op.ID)
		}
	}
	h.lock()
	defer h.unlock()
	h.ops, h.firstWrite = v.Ops, nil
	// A stored history is finished: nothing in it may be completed again.
	h.done = make([]bool, len(v.Ops))
	for i := range h.done {
		h.done[i] = true
	}
	return nil
}

// ReadHistory decodes a history written by json.Marshal.
func ReadHistory(r io.Reader) (*History, error) {
	h := new(History)
	if err := json.NewDecoder(r).Decode(h); err != nil {
		return nil, fmt.Errorf("read history: %w", err)
	}
	return h, nil
}
