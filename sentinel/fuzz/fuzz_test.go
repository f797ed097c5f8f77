// Package fuzz holds the fuzz targets of the sentinel package's config file and command
// surface, on a world where time stands still and no instance ever answers.
package fuzz

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/sentinelsim/sentinelsim/resp"
	"github.com/sentinelsim/sentinelsim/sentinel"
)

// world is a Sentinel's environment: a fixed clock, fixed draws, links that stay silent,
// and the config file in memory.
type world struct{ conf []byte }

func (*world) NowMs() int64                                           { return 1_000_000 }
func (*world) IntN(int) int                                           { return 0 }
func (*world) Event(sentinel.Event)                                   {}
func (*world) Log(sentinel.Level, string)                             {}
func (w *world) Load() ([]byte, error)                                { return w.conf, nil }
func (w *world) Save(b []byte) error                                  { w.conf = append([]byte(nil), b...); return nil }
func (*world) Dial(sentinel.Addr, func(error)) (sentinel.Conn, error) { return silent{}, nil }

type silent struct{}

func (silent) Send([]string, func(resp.Value, bool)) error      { return nil }
func (silent) Subscribe(string, string, func(resp.Value)) error { return nil }
func (silent) LocalIP() string                                  { return "127.0.0.1" }
func (silent) Close()                                           {}

// newSentinel builds a Sentinel from a config file.
func newSentinel(text string) (*world, *sentinel.Sentinel, error) {
	w := &world{conf: []byte(text)}
	conf, err := sentinel.ParseConfig(w.conf)
	if err != nil {
		return w, nil, err
	}
	s, err := sentinel.New(sentinel.Env{Clock: w, Rand: w, Transport: w, Sink: w, Store: w}, conf)
	return w, s, err
}

func masters(s *sentinel.Sentinel) int { return len(s.Command([]string{"SENTINEL", "MASTERS"}).Array) }

// Any config file either loads, or is refused with a ConfigError that names one of its
// lines; a file that loads is rewritten into one that loads again with the same masters.
func FuzzParseConfig(f *testing.F) {
	f.Add("port 26379\nsentinel monitor m 127.0.0.1 6379 2\nsentinel down-after-milliseconds m 3000\n")
	f.Add("sentinel monitor m 127.0.0.1 6379 2\nsentinel known-replica m 127.0.0.1 6380\n" +
		"sentinel known-sentinel m 127.0.0.1 26380 0123456789012345678901234567890123456789\nsentinel config-epoch m 3\n")
	f.Add("sentinel myid 0123456789012345678901234567890123456789\nsentinel announce-ip \"a\\x00b\"\nsentinel current-epoch 7\n")
	f.Add("sentinel monitor \"m x\" host 6379 1\nsentinel rename-command \"m x\" CONFIG GUESS\nsentinel resolve-hostnames maybe\n")
	f.Fuzz(func(t *testing.T, text string) {
		w, s, err := newSentinel(text)
		if err != nil {
			var ce *sentinel.ConfigError
			if !errors.As(err, &ce) {
				t.Fatalf("refused with %T %v, not a ConfigError", err, err)
			}
			if lines := strings.Count(text, "\n") + 1; ce.Line < 1 || ce.Line > lines {
				t.Fatalf("the error names line %d of %d: %v", ce.Line, lines, err)
			}
			return
		}
		rewritten := string(w.conf)
		_, s2, err := newSentinel(rewritten)
		if err != nil {
			t.Fatalf("the rewritten file does not load: %v\n%s", err, rewritten)
		}
		if masters(s2) != masters(s) {
			t.Fatalf("%d masters before the rewrite, %d after:\n%s", masters(s), masters(s2), rewritten)
		}
	})
}

// Every command, in any session state (authenticated or not, subscribed, RESP2 or 3),
// gets exactly one reply, and every reply and push is well-formed RESP that reads back
// as itself; nothing panics.
func FuzzCommands(f *testing.F) {
	for _, script := range []string{
		"PING\nSENTINEL MASTERS\nSENTINEL MASTER m\nSENTINEL GET-MASTER-ADDR-BY-NAME m",
		"HELLO 3\nSUBSCRIBE a b\nPSUBSCRIBE *\nSENTINEL SET m quorum 1\nPING\nUNSUBSCRIBE\nPUNSUBSCRIBE",
		"SUBSCRIBE +sdown\nSENTINEL MASTERS\nPING x\nUNSUBSCRIBE +sdown",
		"AUTH x\nACL SETUSER u >p on +@all\nAUTH u p\nCLIENT KILL TYPE normal SKIPME no",
		"SENTINEL MONITOR n 127.0.0.1 6390 1\nSENTINEL REMOVE n\nSENTINEL RESET *\nSENTINEL FAILOVER m",
		"SENTINEL DEBUG\nSENTINEL DEBUG ping-period 1\nSENTINEL CONFIG GET *\nSENTINEL CONFIG SET resolve-hostnames yes",
		"SENTINEL IS-MASTER-DOWN-BY-ADDR 127.0.0.1 6379 0 *\nSENTINEL INFO-CACHE m\nINFO\nROLE\nCOMMAND\nCOMMAND LIST",
		"CLIENT SETNAME \"a\\r\\nb\"\nfoo \"\\r\\n\"\nSENTINEL \"x\\ny\"\nHELLO 3 SETNAME x\nCLIENT LIST",
		"SENTINEL SIMULATE-FAILURE crash-after-election\nSENTINEL PENDING-SCRIPTS\nSENTINEL CKQUORUM m\nSHUTDOWN",
	} {
		f.Add(script)
	}
	f.Fuzz(func(t *testing.T, script string) {
		_, s, err := newSentinel("sentinel monitor m 127.0.0.1 6379 2\nsentinel known-replica m 127.0.0.1 6380\n")
		if err != nil {
			t.Fatal(err)
		}
		hub := sentinel.NewHub(s)
		var pushed []resp.Value
		sess := hub.Open("127.0.0.1:5555", func(v resp.Value) { pushed = append(pushed, v) })
		for _, line := range strings.Split(script, "\n") {
			args, err := resp.SplitArgs(line)
			if err != nil || len(args) == 0 || s.Crashed() || sess.Closed() {
				continue
			}
			pushed = nil
			proto := sess.Proto()
			reply, ok := sess.Do(args)
			name := strings.ToLower(args[0])
			switch {
			case ok:
				wellFormed(t, args, reply, proto)
			case name == "shutdown":
			case len(pushed) == 0:
				t.Fatalf("%q got no reply and no push", args)
			}
			for _, p := range pushed {
				wellFormed(t, args, p, proto)
			}
		}
	})
}

// wellFormed checks that v encodes to RESP that decodes to exactly v, in the session's
// protocol.
func wellFormed(t *testing.T, args []string, v resp.Value, proto int) {
	t.Helper()
	wire := resp.Append(nil, v)
	if proto == 3 {
		wire = resp.Append3(nil, v)
	}
	r := resp.NewReader(bytes.NewReader(wire))
	back, err := r.ReadValue()
	if err != nil {
		t.Fatalf("%q: the reply %v is not RESP%d: %v\n%q", args, v, proto, err, wire)
	}
	if !back.Equal(v) && !(proto == 3 && v.IsNull() && back.IsNull()) {
		t.Fatalf("%q: the reply %v reads back as %v\n%q", args, v, back, wire)
	}
	if _, err := r.ReadValue(); err == nil || r.Buffered() > 0 {
		t.Fatalf("%q: the reply %v encodes to more than one value: %q", args, v, wire)
	}
}
