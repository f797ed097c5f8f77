package resp

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

func TestEncodeExactBytes(t *testing.T) {
	for _, c := range []struct {
		v    Value
		wire string
	}{
		{OK, "+OK\r\n"},
		{Err("ERR syntax error"), "-ERR syntax error\r\n"},
		{Int(-42), ":-42\r\n"},
		{Bulk("foo"), "$3\r\nfoo\r\n"},
		{Bulk(""), "$0\r\n\r\n"},
		{Null(), "$-1\r\n"},
		{NullArray(), "*-1\r\n"},
		{Array(), "*0\r\n"},
		{Array(Int(0), Bulk("*"), Int(0)), "*3\r\n:0\r\n$1\r\n*\r\n:0\r\n"},
	} {
		if got := string(Append(nil, c.v)); got != c.wire {
			t.Errorf("Append(%v) = %q, want %q", c.v, got, c.wire)
		}
	}
	if got := string(AppendCommand(nil, "SET", "k", "v")); got != "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n" {
		t.Errorf("AppendCommand = %q", got)
	}
}

func genValue(depth int) *rapid.Generator[Value] {
	leaf := rapid.OneOf(
		rapid.Map(rapid.StringMatching(`[^\r\n]*`), Simple),
		rapid.Map(rapid.StringMatching(`[A-Z]+ [^\r\n]*`), Err),
		rapid.Map(rapid.Int64(), Int),
		rapid.Map(rapid.String(), Bulk),
		rapid.Just(Null()),
		rapid.Just(NullArray()),
	)
	if depth == 0 {
		return leaf
	}
	return rapid.OneOf(leaf, rapid.Map(rapid.SliceOfN(genValue(depth-1), 0, 4), func(vs []Value) Value { return Array(vs...) }))
}

func TestRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		vs := rapid.SliceOfN(genValue(3), 1, 5).Draw(t, "values")
		var buf []byte
		for _, v := range vs {
			buf = Append(buf, v)
		}
		r := NewReader(bytes.NewReader(buf))
		for i, want := range vs {
			got, err := r.ReadValue()
			if err != nil {
				t.Fatalf("value %d: %v", i, err)
			}
			if !got.Equal(want) {
				t.Fatalf("value %d: read %v, wrote %v", i, got, want)
			}
		}
		if _, err := r.ReadValue(); err != io.EOF {
			t.Fatalf("after the last value: %v, want EOF", err)
		}
	})
}

func TestReadCommandInlineAndMultibulk(t *testing.T) {
	in := "PING\r\n\n" + // the Tcl test client's inline PING with its extra newline
		"*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\n" +
		"set \"a b\" 'c\\'d'\r\n" +
		"echo \"\\x41\\n\"\r\n"
	r := NewReader(strings.NewReader(in))
	want := [][]string{{"PING"}, {"ECHO", "hi"}, {"set", "a b", "c'd"}, {"echo", "A\n"}}
	for _, w := range want {
		got, err := r.ReadCommand()
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(got, "|") != strings.Join(w, "|") {
			t.Fatalf("read %q, want %q", got, w)
		}
	}
}

func TestMalformedInputIsAProtocolError(t *testing.T) {
	values := []string{
		"$5\r\nab\r\n",      // short bulk: EOF inside it
		"$999999999999\r\n", // over the bulk limit
		"*abc\r\n",          // bad length
		"!x\r\n",            // unknown type byte
	}
	for _, in := range values {
		_, err := NewReader(strings.NewReader(in)).ReadValue()
		if !errors.Is(err, ErrProtocol) && err != io.ErrUnexpectedEOF {
			t.Errorf("ReadValue(%q): error %v, want a protocol error or an unexpected EOF", in, err)
		}
	}
	commands := []string{
		"*1\r\n:1\r\n",           // command array of a non-bulk
		"set \"unterminated\r\n", // inline quote
		"set \"a\"b\r\n",         // closing quote not followed by a space
		"*1\r\n$1\r\n",           // truncated array
	}
	for _, in := range commands {
		_, err := NewReader(strings.NewReader(in)).ReadCommand()
		if !errors.Is(err, ErrProtocol) && err != io.ErrUnexpectedEOF {
			t.Errorf("ReadCommand(%q): error %v, want a protocol error or an unexpected EOF", in, err)
		}
	}
}

func FuzzReadCommand(f *testing.F) {
	f.Add([]byte("*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\nPING\r\n"))
	f.Add([]byte("set \"a\\x41\" 'b'\r\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		r := NewReader(bytes.NewReader(in))
		for i := 0; i < 100; i++ {
			args, err := r.ReadCommand()
			if err != nil {
				return
			}
			if len(args) == 0 {
				t.Fatal("ReadCommand returned an empty command without an error")
			}
		}
	})
}

func TestStringRendersLikeRedisCli(t *testing.T) {
	v := Array(Bulk("a"), Int(1), Null(), Err("ERR x"), Simple("OK"))
	if got := v.String(); got != `["a" (integer) 1 (nil) (error) ERR x OK]` {
		t.Fatalf("String() = %s", got)
	}
}
