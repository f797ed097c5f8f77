// Package resp holds RESP values: the replies Redis servers and Sentinels send, and the
// encoding and decoding of the wire protocol, RESP2 and the parts of RESP3 that a
// Sentinel sends (maps, pushes, the null).
//
// The simulator carries Values between simulated processes as they are, without encoding
// them, so a reply built here is exactly what a real server would have put on the wire;
// the real backends encode and decode the same Values on sockets.
package resp

import (
	"strconv"
	"strings"
)

// Kind is the RESP2 type of a Value.
type Kind uint8

const (
	// KindSimple is a status reply: +OK.
	KindSimple Kind = iota + 1
	// KindError is an error reply: -ERR message. Str holds the text without the dash.
	KindError
	// KindInt is an integer reply: :42.
	KindInt
	// KindBulk is a bulk string: $3 foo.
	KindBulk
	// KindNull is the null bulk string: $-1.
	KindNull
	// KindArray is an array: *2 ...
	KindArray
	// KindNullArray is the null array: *-1.
	KindNullArray
)

// Value is one RESP2 value. The zero Value is invalid; build values with the constructors.
type Value struct {
	Kind  Kind
	Str   string
	Int   int64
	Array []Value
	// Agg is how RESP3 sends an array: 0 as an array, '%' as a map of Array's pairs,
	// '>' as a push. RESP2 sends them all as arrays, so Equal ignores it.
	Agg byte
}

// Simple returns a status reply. Line breaks become spaces, as Redis makes them, so that
// a reply echoing a client's input stays one line on the wire.
func Simple(s string) Value { return Value{Kind: KindSimple, Str: oneLine(s)} }

// Err returns an error reply; s is the text after the dash, e.g. "ERR syntax error".
// Line breaks become spaces, as in Simple.
func Err(s string) Value { return Value{Kind: KindError, Str: oneLine(s)} }

func oneLine(s string) string {
	if strings.ContainsAny(s, "\r\n") {
		s = strings.NewReplacer("\r", " ", "\n", " ").Replace(s)
	}
	return s
}

// Int returns an integer reply.
func Int(n int64) Value { return Value{Kind: KindInt, Int: n} }

// Bulk returns a bulk string.
func Bulk(s string) Value { return Value{Kind: KindBulk, Str: s} }

// Null returns the null bulk string ($-1).
func Null() Value { return Value{Kind: KindNull} }

// NullArray returns the null array (*-1).
func NullArray() Value { return Value{Kind: KindNullArray} }

// Array returns an array of values.
func Array(vs ...Value) Value {
	if vs == nil {
		vs = []Value{}
	}
	return Value{Kind: KindArray, Array: vs}
}

// BulkArray returns an array of bulk strings, the shape of a command and of most list replies.
func BulkArray(ss ...string) Value {
	vs := make([]Value, len(ss))
	for i, s := range ss {
		vs[i] = Bulk(s)
	}
	return Value{Kind: KindArray, Array: vs}
}

// Map returns the pairs key, value, key, value... as RESP3 sends a map (an array of the
// pairs in RESP2).
func Map(pairs ...Value) Value {
	v := Array(pairs...)
	v.Agg = '%'
	return v
}

// Push marks an array as a RESP3 push message (Pub/Sub's messages and confirmations).
func Push(v Value) Value {
	v.Agg = '>'
	return v
}

// OK is the +OK status reply.
var OK = Simple("OK")

// IsError reports whether v is an error reply.
func (v Value) IsError() bool { return v.Kind == KindError }

// IsNull reports whether v is a null bulk string or a null array.
func (v Value) IsNull() bool { return v.Kind == KindNull || v.Kind == KindNullArray }

// ErrorPrefix returns the first word of an error reply ("ERR", "READONLY", "LOADING"), or ""
// for any other value.
func (v Value) ErrorPrefix() string {
	if v.Kind != KindError {
		return ""
	}
	if i := strings.IndexByte(v.Str, ' '); i >= 0 {
		return v.Str[:i]
	}
	return v.Str
}

// Strings returns the elements of an array of bulk or simple strings; ok is false for any
// other shape.
func (v Value) Strings() (ss []string, ok bool) {
	if v.Kind != KindArray {
		return nil, false
	}
	ss = make([]string, len(v.Array))
	for i, e := range v.Array {
		if e.Kind != KindBulk && e.Kind != KindSimple {
			return nil, false
		}
		ss[i] = e.Str
	}
	return ss, true
}

// Equal reports whether two values are identical, including their kinds.
func (v Value) Equal(w Value) bool {
	if v.Kind != w.Kind || v.Str != w.Str || v.Int != w.Int || len(v.Array) != len(w.Array) {
		return false
	}
	for i := range v.Array {
		if !v.Array[i].Equal(w.Array[i]) {
			return false
		}
	}
	return true
}

// String renders v the way redis-cli does, on one line, for logs, traces and test failures:
// "OK", "(error) ERR x", "(integer) 3", "\"foo\"", "(nil)", "[\"a\" \"b\"]".
func (v Value) String() string {
	var b strings.Builder
	v.format(&b)
	return b.String()
}

func (v Value) format(b *strings.Builder) {
	switch v.Kind {
	case KindSimple:
		b.WriteString(v.Str)
	case KindError:
		b.WriteString("(error) ")
		b.WriteString(v.Str)
	case KindInt:
		b.WriteString("(integer) ")
		b.WriteString(strconv.FormatInt(v.Int, 10))
	case KindBulk:
		b.WriteString(strconv.Quote(v.Str))
	case KindNull, KindNullArray:
		b.WriteString("(nil)")
	case KindArray:
		b.WriteByte('[')
		for i, e := range v.Array {
			if i > 0 {
				b.WriteByte(' ')
			}
			e.format(b)
		}
		b.WriteByte(']')
	default:
		b.WriteString("(invalid)")
	}
}
