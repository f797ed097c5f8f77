package fidelity

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sentinelsim/sentinelsim/resp"
)

// Fuzz inputs are command sequences: commands separated by 0xFF, arguments by 0xFE
// (bytes that never occur in UTF-8, so every other byte, NUL and CR LF included, can be
// part of an argument).
const (
	cmdSep = 0xFF
	argSep = 0xFE
)

func encodeCommands(cmds ...[]string) []byte {
	var b []byte
	for i, c := range cmds {
		if i > 0 {
			b = append(b, cmdSep)
		}
		for j, a := range c {
			if j > 0 {
				b = append(b, argSep)
			}
			b = append(b, a...)
		}
	}
	return b
}

func decodeCommands(data []byte) [][]string {
	var cmds [][]string
	for _, c := range bytes.Split(data, []byte{cmdSep}) {
		var args []string
		for _, a := range bytes.Split(c, []byte{argSep}) {
			args = append(args, string(a))
		}
		cmds = append(cmds, args)
	}
	return cmds
}

// fuzzPort is the fuzzed node's port.
const fuzzPort = 6379

// FuzzCommand sends arbitrary argument vectors to a simulated node and wants, for each,
// no panic and well-formed replies: exactly one for an ordinary command, as Redis gives.
// A command that blocks, streams or closes the connection does not end the sequence: it
// goes on on a new connection.
func FuzzCommand(f *testing.F) {
	for _, seed := range [][][]string{
		{{"PING"}},
		{{"SET", "k", "v", "NX", "GET", "EX", "100"}, {"GET", "k"}, {"INCR", "k"}},
		{{"MULTI"}, {"SADD", "s", "a"}, {"NOSUCH"}, {"EXEC"}},
		{{"CONFIG", "GET", "repl*", "SLAVE-READ-ONLY"}, {"CONFIG", "SET", "slave-read-only", "no"}},
		{{"CLIENT", "SETNAME", "a b"}, {"CLIENT", "GETNAME"}, {"CLIENT", "KILL", "ID", "1"}},
		{{"RPUSH", "l", "a", "b"}, {"LRANGE", "l", "-9223372036854775808", "9223372036854775807"}},
		{{"SUBSCRIBE", "c1", "c2"}, {"PING", "x"}, {"GET", "k"}, {"UNSUBSCRIBE"}},
		{{"REPLICAOF", "127.0.0.3", "6379"}, {"SET", "k", "v"}, {"REPLICAOF", "NO", "ONE"}, {"WAIT", "0", "0"}},
		{{"HELLO", "2", "SETNAME", "x"}, {"AUTH", "default", "p"}, {"SELECT", "9999999999"}},
		{{"SUBSCRIBE", "c"}, {"PUBLISH", "c", "m"}, {"WAIT", "1", "0"}, {"SET", "k", "v"}, {"QUIT"}, {"GET", "k"},
			{"PSYNC", "?", "-1"}, {"DBSIZE"}, {"DEBUG", "SLEEP", "0.5"}, {"PING"}},
	} {
		f.Add(encodeCommands(seed...))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cmds := decodeCommands(data)
		if len(cmds) > 20 {
			cmds = cmds[:20]
		}
		sim := NewSim(1)
		if _, err := sim.Spawn(realAddr, fuzzPort, [2]string{"repl-diskless-sync-delay", "0"}); err != nil {
			t.Fatal(err)
		}
		c := sim.Dial(realAddr, fuzzPort)
		for i, args := range cmds {
			if c.closed != nil {
				// QUIT, CLIENT KILL: the rest goes on on a new connection, unless the
				// node is gone (SHUTDOWN).
				if !sim.Procs[realAddr].Alive() {
					return
				}
				c = sim.Dial(realAddr, fuzzPort)
			}
			c.Send(args...)
			// Every ordinary command is answered within a few network round trips.
			sim.K.RunFor(20 * time.Millisecond)
			replies := c.Pending()
			for _, v := range replies {
				if err := wellFormed(v); err != nil {
					t.Fatalf("command %d %s: malformed reply %s: %v", i, quoteArgs(args), v, err)
				}
			}
			if !ordinary(args) {
				// The rest of this conversation has no fixed shape: after a moment for the
				// command to finish, the rest goes on on a new connection, unless the node
				// is gone or still blocked (a long DEBUG SLEEP).
				if c = drain(t, sim, c, i, args); c == nil {
					return
				}
				continue
			}
			if len(replies) != 1 {
				t.Fatalf("command %d %s: %d replies %v, want 1", i, quoteArgs(args), len(replies), replies)
			}
		}
		if p := sim.Procs[realAddr]; !p.Alive() {
			t.Fatalf("the node died")
		}
	})
}

// drain lets a command that blocks or streams run for a second, checks what arrives
// meanwhile (the blocked reply, messages, the replication stream), then closes the
// connection and returns a new one, or nil when the node has exited or is still blocked.
func drain(t *testing.T, sim *Sim, c *SimConn, i int, args []string) *SimConn {
	t.Helper()
	sim.K.RunFor(time.Second)
	for _, v := range c.Pending() {
		if err := wellFormed(v); err != nil {
			t.Fatalf("command %d %s: malformed reply %s: %v", i, quoteArgs(args), v, err)
		}
	}
	c.Close()
	if p := sim.Procs[realAddr]; !p.Alive() || p.Paused() {
		return nil
	}
	return sim.Dial(realAddr, fuzzPort)
}

// ordinary reports whether a command gets exactly one reply within a moment, whatever
// its arguments: every command but those that may block (WAIT, DEBUG SLEEP), stream
// (PSYNC, SYNC, SUBSCRIBE and friends) or end the process (SHUTDOWN).
func ordinary(args []string) bool {
	if len(args) == 0 {
		return false
	}
	switch strings.ToLower(args[0]) {
	case "wait", "debug", "psync", "sync", "subscribe", "psubscribe", "unsubscribe", "punsubscribe", "shutdown":
		return false
	}
	return true
}

// wellFormed checks that a value is one RESP2 can carry and survives the codec unchanged.
func wellFormed(v resp.Value) error {
	switch v.Kind {
	case resp.KindSimple, resp.KindError:
		if strings.ContainsAny(v.Str, "\r\n") {
			return fmt.Errorf("a line reply containing CR or LF: %q", v.Str)
		}
		if v.Kind == resp.KindError && v.ErrorPrefix() == "" {
			return fmt.Errorf("an error without a code")
		}
	case resp.KindInt, resp.KindBulk, resp.KindNull, resp.KindNullArray:
	case resp.KindArray:
		for _, e := range v.Array {
			if err := wellFormed(e); err != nil {
				return err
			}
		}
	default:
		return fmt.Errorf("invalid kind %d", v.Kind)
	}
	back, err := resp.NewReader(bytes.NewReader(resp.Append(nil, v))).ReadValue()
	if err != nil {
		return fmt.Errorf("does not decode: %v", err)
	}
	if !back.Equal(v) {
		return fmt.Errorf("decodes as %s", back)
	}
	return nil
}
