package resp

import (
	"strings"
	"testing"
)

func TestCommandLenIsTheEncodedLength(t *testing.T) {
	for _, args := range [][]string{{"PING"}, {"SET", "k", "v"}, {"SADD", "set", strings.Repeat("x", 12345)},
		{"A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K"}} {
		if got, want := CommandLen(args...), len(AppendCommand(nil, args...)); got != want {
			t.Errorf("CommandLen(%q...) = %d, want %d", args[0], got, want)
		}
	}
}
