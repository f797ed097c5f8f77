package kernel

import (
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/sentinelsim/sentinelsim/resp"
)

// recKind is the kind of one trace record.
type recKind uint8

const (
	recStart recKind = iota + 1
	recKill
	recExit
	recPause
	recResume
	recClock
	recFault
	recTimer
	recConnect
	recRefused
	recConnTimeout
	recDeliver
	recFIN
	recReset
	recAbort
	recNote
)

var recNames = [...]string{
	recStart: "start", recKill: "kill", recExit: "exit", recPause: "pause", recResume: "resume",
	recClock: "clock", recFault: "fault", recTimer: "timer", recConnect: "connect",
	recRefused: "refused", recConnTimeout: "connect-timeout", recDeliver: "deliver",
	recFIN: "fin", recReset: "reset", recAbort: "abort", recNote: "note",
}

// Record is one line of a kept trace.
type Record struct {
	At   time.Duration
	Kind string
	Text string
}

func (r Record) String() string {
	return fmt.Sprintf("%12.6f %-8s %s", r.At.Seconds(), r.Kind, r.Text)
}

// Trace is the record of a run: every delivered message, timer, fault and process event.
// Its hash covers all of them, so two runs with the same hash did the same thing; the
// records themselves are kept only on request, since rendering them costs far more than
// hashing them.
type Trace struct {
	hash    uint64
	count   uint64
	keep    bool
	records []Record
}

func newTrace(keep bool) *Trace { return &Trace{hash: fnvOffset, keep: keep} }

// Hash is the trace hash so far.
func (t *Trace) Hash() uint64 { return t.hash }

// HashString is the hash as 16 hex digits, the form runs print.
func (t *Trace) HashString() string { return fmt.Sprintf("%016x", t.hash) }

// Len is the number of records so far.
func (t *Trace) Len() uint64 { return t.count }

// Records returns the kept records (nil unless the kernel keeps its trace).
func (t *Trace) Records() []Record { return t.records }

// WriteTo writes the kept records as text, one per line.
func (t *Trace) WriteTo(w io.Writer) (int64, error) {
	var n int64
	for _, r := range t.records {
		m, err := fmt.Fprintln(w, r.String())
		n += int64(m)
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// record adds a record: a, b and h are its identity for the hash (ids, a payload hash);
// text renders it, and is called only when records are kept.
func (t *Trace) record(at time.Duration, kind recKind, a, b, h uint64, text func() string) {
	t.count++
	x := t.hash
	x = mix(x, uint64(at))
	x = mix(x, uint64(kind))
	x = mix(x, a)
	x = mix(x, b)
	t.hash = mix(x, h)
	if t.keep {
		s := ""
		if text != nil {
			s = text()
		}
		t.records = append(t.records, Record{At: at, Kind: recNames[kind], Text: s})
	}
}

// Note adds an application-level record, such as a sentinel's event, to the trace.
func (t *Trace) Note(at time.Duration, text string) {
	t.record(at, recNote, 0, 0, hashString(text), func() string { return text })
}

// FNV-1a, 64 bits. Go's maphash is seeded at random per process, which would give every
// run a different trace hash; FNV is the same everywhere.
const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

// mix folds one 64-bit word into the hash with a multiply and a shift: records are mostly
// integers, and a byte-wise FNV over them would cost more than the event they describe.
func mix(h, v uint64) uint64 {
	h = (h ^ v) * 0x9e3779b97f4a7c15
	return h ^ (h >> 29)
}

func hashString(s string) uint64 { return mixString(fnvOffset, s) }

func mixString(h uint64, s string) uint64 {
	for ; len(s) >= 4; s = s[4:] { // unrolled: most strings are a few bytes long
		h = (h ^ uint64(s[0])) * fnvPrime
		h = (h ^ uint64(s[1])) * fnvPrime
		h = (h ^ uint64(s[2])) * fnvPrime
		h = (h ^ uint64(s[3])) * fnvPrime
	}
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * fnvPrime
	}
	return (h ^ 0xff) * fnvPrime // terminator: "ab","c" differs from "a","bc"
}

// Traceable is implemented by message types other than strings, commands and RESP values
// that processes send to each other, so that the trace hash covers their content.
type Traceable interface {
	TraceHash(h uint64) uint64
	String() string
}

// hashPayload hashes a message's content.
func hashPayload(msg any) uint64 {
	switch m := msg.(type) {
	case string:
		return hashString(m)
	case []string:
		h := uint64(fnvOffset)
		for _, s := range m {
			h = mixString(h, s)
		}
		return h
	case resp.Value:
		return hashValue(fnvOffset, m)
	case Traceable:
		return m.TraceHash(fnvOffset)
	}
	panic(fmt.Sprintf("kernel: message of type %T is not traceable: send strings, []string, resp.Value or a Traceable", msg))
}

func hashValue(h uint64, v resp.Value) uint64 {
	h = mix(h, uint64(v.Kind))
	h = mixString(h, v.Str)
	h = mix(h, uint64(v.Int))
	for i := range v.Array {
		if e := &v.Array[i]; len(e.Array) == 0 {
			// hashValue(h, *e) without the call, for arrays of tens of thousands of
			// members.
			h = mix(mix(mixString(mix(h, uint64(e.Kind)), e.Str), uint64(e.Int)), 0)
		} else {
			h = hashValue(h, *e)
		}
	}
	return mix(h, uint64(len(v.Array)))
}

// describe renders a message for a kept trace.
func describe(msg any) string {
	switch m := msg.(type) {
	case string:
		return strconv.Quote(m)
	case []string:
		return fmt.Sprintf("%q", m)
	case resp.Value:
		return m.String()
	case Traceable:
		return m.String()
	}
	return fmt.Sprintf("%T", msg)
}
