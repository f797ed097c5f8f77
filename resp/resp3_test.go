package resp

import (
	"bytes"
	"testing"
)

// RESP3's encoding of what a Sentinel sends: maps, pushes and the null, as
// redis-sentinel 7.0.15 writes them after HELLO 3; RESP2 sends the same values as arrays.
func TestAppend3(t *testing.T) {
	for _, c := range []struct {
		v          Value
		resp3, re2 string
	}{
		{Map(Bulk("a"), Int(1)), "%1\r\n$1\r\na\r\n:1\r\n", "*2\r\n$1\r\na\r\n:1\r\n"},
		{Push(BulkArray("message", "c", "x")), ">3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$1\r\nx\r\n", "*3\r\n$7\r\nmessage\r\n$1\r\nc\r\n$1\r\nx\r\n"},
		{Null(), "_\r\n", "$-1\r\n"},
		{NullArray(), "_\r\n", "*-1\r\n"},
		{Array(Map(), Null()), "*2\r\n%0\r\n_\r\n", "*2\r\n*0\r\n$-1\r\n"},
		{Err("ERR a\r\nb"), "-ERR a  b\r\n", "-ERR a  b\r\n"},
	} {
		if got := string(Append3(nil, c.v)); got != c.resp3 {
			t.Errorf("Append3(%v) = %q, want %q", c.v, got, c.resp3)
		}
		if got := string(Append(nil, c.v)); got != c.re2 {
			t.Errorf("Append(%v) = %q, want %q", c.v, got, c.re2)
		}
		back, err := NewReader(bytes.NewReader([]byte(c.resp3))).ReadValue()
		if err != nil || !back.Equal(c.v) && !(back.IsNull() && c.v.IsNull()) || back.Agg != c.v.Agg {
			t.Errorf("%q reads back as %v (agg %q, %v), want %v", c.resp3, back, back.Agg, err, c.v)
		}
	}
}
