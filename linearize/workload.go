package linearize

import (
	"fmt"
	"strconv"
	"sync"
)

// Rand is the caller's random source; math/rand/v2's *Rand satisfies it, and so does the
// simulator's seeded stream, which keeps generated operations deterministic.
type Rand interface {
	IntN(n int) int
}

// Workload generates the operations clients send. One Workload serves all clients of a
// run: written values come from a shared counter so that every written value is unique,
// which is what makes lost writes attributable and the linearizability check fast.
// Generation is not safe for concurrent use: clients that generate from goroutines of
// their own share Shared(w).
type Workload interface {
	// Name is the workload's name, one of WorkloadNames.
	Name() string
	// Next returns the next operation (Kind, Key, Arg) for a client.
	Next(r Rand) Op
	// Final returns the reads to issue after the faults heal, marked Final.
	Final() []Op
}

// WorkloadNames lists the workloads NewWorkload knows.
var WorkloadNames = []string{"set-add", "register", "counter", "list-append"}

// NewWorkload returns the named workload spread over keys keys (set-add always uses one
// key, as in Jepsen's 2013 Redis analysis).
//
//   - set-add: SADD of unique integers to one set; final SMEMBERS.
//   - register: GET, SET, SET NX and DEL on a few keys; final GET of each. SET key v NX is
//     the compare-and-set: it sets only if the key is absent, and its reply (OK or nil)
//     says which. DEL makes keys absent again so that SET NX keeps deciding something.
//     Redis 7.0 has no conditional SET on a value without Lua or WATCH/MULTI, and a
//     client-side GET-then-SET is not atomic, so it would not be a fair register operation.
//   - counter: INCR (whose reply is the new value, a read too); final GET of each key.
//   - list-append: RPUSH of unique integers (whose reply is the new length) and LRANGE
//     0 -1; final LRANGE of each key. This is the shape of Elle's list-append.
func NewWorkload(name string, keys int) (Workload, error) {
	if keys < 1 {
		keys = 1
	}
	switch name {
	case "set-add":
		return &setAdd{key: "set"}, nil
	case "register":
		return &register{keys: keyNames("register", keys)}, nil
	case "counter":
		return &counter{keys: keyNames("counter", keys)}, nil
	case "list-append":
		return &listAppend{keys: keyNames("list", keys)}, nil
	}
	return nil, fmt.Errorf("unknown workload %q (known: %v)", name, WorkloadNames)
}

func keyNames(prefix string, n int) []string {
	keys := make([]string, n)
	for i := range keys {
		keys[i] = prefix + ":" + strconv.Itoa(i)
	}
	return keys
}

// Shared returns w made safe for concurrent use.
func Shared(w Workload) Workload { return &shared{w: w} }

type shared struct {
	mu sync.Mutex
	w  Workload
}

func (s *shared) Name() string { return s.w.Name() }

func (s *shared) Next(r Rand) Op {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Next(r)
}

func (s *shared) Final() []Op {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Final()
}

// values hands out unique values "0", "1", ... Their decimals are written a block at a
// time into one string, and each value is a piece of it: a value costs no allocation
// of its own, and a history holds hundreds of thousands.
type values struct {
	next  int64
	block *valueBlock
}

// valueBlockSize is how many values a block holds.
const valueBlockSize = 256

// valueBlock is the values from first on: value first+i is text[ends[i]:ends[i+1]].
type valueBlock struct {
	first int64
	text  string
	ends  [valueBlockSize + 1]uint16
}

func (v *values) take() string {
	n := v.next
	v.next++
	b := v.block
	if b == nil || n >= b.first+valueBlockSize {
		b = newValueBlock(n)
		v.block = b
	}
	i := n - b.first
	return b.text[b.ends[i]:b.ends[i+1]]
}

// newValueBlock writes the decimals of a block, counting up digit by digit rather than
// formatting each.
func newValueBlock(first int64) *valueBlock {
	b := &valueBlock{first: first}
	digits := strconv.AppendInt(nil, first, 10)
	text := make([]byte, 0, valueBlockSize*(len(digits)+1))
	for i := range valueBlockSize {
		text = append(text, digits...)
		b.ends[i+1] = uint16(len(text))
		digits = NextDecimal(digits)
	}
	b.text = string(text)
	return b
}

// NextDecimal adds one to the decimal number digits, in place where it can: counting up
// a list of integers this way costs far less than formatting each.
func NextDecimal(digits []byte) []byte {
	for i := len(digits) - 1; i >= 0; i-- {
		if digits[i] < '9' {
			digits[i]++
			return digits
		}
		digits[i] = '0'
	}
	return append([]byte{'1'}, digits...)
}

type setAdd struct {
	key string
	values
}

func (w *setAdd) Name() string { return "set-add" }
func (w *setAdd) Next(Rand) Op { return Op{Kind: KindSAdd, Key: w.key, Arg: w.take()} }
func (w *setAdd) Final() []Op  { return []Op{{Kind: KindSMembers, Key: w.key, Final: true}} }

type register struct {
	keys []string
	values
}

func (w *register) Name() string { return "register" }

// Next draws reads half the time, so that most writes are observed, and DEL rarely, so
// that keys are mostly present and SET NX mostly fails but sometimes succeeds.
func (w *register) Next(r Rand) Op {
	key := w.keys[r.IntN(len(w.keys))]
	switch n := r.IntN(20); {
	case n < 10:
		return Op{Kind: KindGet, Key: key}
	case n < 15:
		return Op{Kind: KindSet, Key: key, Arg: w.take()}
	case n < 18:
		return Op{Kind: KindSetNX, Key: key, Arg: w.take()}
	default:
		return Op{Kind: KindDel, Key: key}
	}
}

func (w *register) Final() []Op { return finalReads(w.keys, KindGet) }

type counter struct{ keys []string }

func (w *counter) Name() string   { return "counter" }
func (w *counter) Next(r Rand) Op { return Op{Kind: KindIncr, Key: w.keys[r.IntN(len(w.keys))]} }
func (w *counter) Final() []Op    { return finalReads(w.keys, KindGet) }

type listAppend struct {
	keys []string
	values
}

func (w *listAppend) Name() string { return "list-append" }

func (w *listAppend) Next(r Rand) Op {
	key := w.keys[r.IntN(len(w.keys))]
	if r.IntN(5) == 0 {
		return Op{Kind: KindLRange, Key: key}
	}
	return Op{Kind: KindRPush, Key: key, Arg: w.take()}
}

func (w *listAppend) Final() []Op { return finalReads(w.keys, KindLRange) }

func finalReads(keys []string, kind string) []Op {
	ops := make([]Op, len(keys))
	for i, k := range keys {
		ops[i] = Op{Kind: kind, Key: k, Final: true}
	}
	return ops
}

// Command returns the Redis command for an operation.
func Command(op Op) []string { return AppendCommand(nil, op) }

// MaxCommandLen is the most arguments Command returns.
const MaxCommandLen = 4

// AppendCommand appends the Redis command for an operation to dst, so that a caller can
// cut many commands from one array.
func AppendCommand(dst []string, op Op) []string {
	switch op.Kind {
	case KindSAdd:
		return append(dst, "SADD", op.Key, op.Arg)
	case KindSMembers:
		return append(dst, "SMEMBERS", op.Key)
	case KindGet:
		return append(dst, "GET", op.Key)
	case KindSet:
		return append(dst, "SET", op.Key, op.Arg)
	case KindSetNX:
		return append(dst, "SET", op.Key, op.Arg, "NX")
	case KindDel:
		return append(dst, "DEL", op.Key)
	case KindIncr:
		return append(dst, "INCR", op.Key)
	case KindRPush:
		return append(dst, "RPUSH", op.Key, op.Arg)
	case KindLRange:
		return append(dst, "LRANGE", op.Key, "0", "-1")
	}
	panic(fmt.Sprintf("linearize: no command for operation kind %q", op.Kind))
}

// ParseReply turns a reply to Command(op), for an op of the given kind, into the
// operation's output and status. Replies are plain values: string (status or bulk),
// int64, []string or []any of strings (arrays), nil (nil bulk or array), or error (an
// error reply such as "READONLY ..."). An error reply means the command was rejected
// before it ran, so the operation failed. Network errors are not replies: the client
// records them itself, as Fail if nothing was sent and Unknown otherwise. A []string
// reply is handed over: it becomes the output's Values (sorted in place for SMEMBERS),
// as a final read's may hold hundreds of thousands.
//
// A reply of an unexpected shape yields Unknown, the conservative status: the history
// stays sound and the Error field says what arrived.
func ParseReply(kind string, reply any) (Output, Status) {
	if err, ok := reply.(error); ok {
		return Output{Error: err.Error()}, Fail
	}
	unexpected := func() (Output, Status) {
		return Output{Error: fmt.Sprintf("unexpected reply %T %v to %s", reply, reply, kind)}, Unknown
	}
	switch kind {
	case KindSAdd, KindDel, KindIncr, KindRPush:
		if n, ok := reply.(int64); ok {
			return Output{Int: n}, Ok
		}
	case KindSet:
		if reply == "OK" {
			return Output{}, Ok
		}
	case KindSetNX:
		if reply == nil {
			return Output{Nil: true}, Ok
		}
		if reply == "OK" {
			return Output{}, Ok
		}
	case KindGet:
		if reply == nil {
			return Output{Nil: true}, Ok
		}
		if s, ok := reply.(string); ok {
			return Output{Value: s}, Ok
		}
	case KindSMembers, KindLRange:
		vals, ok := stringArray(reply)
		if !ok {
			return unexpected()
		}
		if kind == KindSMembers {
			sortStrings(vals) // sets have no order; sorting makes histories comparable
		}
		return Output{Values: vals}, Ok
	}
	return unexpected()
}

func stringArray(reply any) ([]string, bool) {
	switch r := reply.(type) {
	case nil:
		return []string{}, true
	case []string:
		return r, true
	case []any:
		vals := make([]string, len(r))
		for i, v := range r {
			s, ok := v.(string)
			if !ok {
				return nil, false
			}
			vals[i] = s
		}
		return vals, true
	}
	return nil, false
}
