package sentinel

import "testing"

// COMMAND in Sentinel mode, as redis-sentinel 7.0.15 answers it: COUNT counts the 15
// top-level commands, LIST names them and their 57 subcommands ("sentinel|myid", ...).
// Redis's own suite checks the 72.
func TestCommandCountAndList(t *testing.T) {
	h := newHarness(t)
	h.conf = []byte("port 26379\nsentinel monitor m 127.0.0.1 6379 1\n")
	conf, err := ParseConfig(h.conf)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Env{Clock: h, Rand: h, Transport: h, Sink: h, Store: h}, conf)
	if err != nil {
		t.Fatal(err)
	}
	sess := NewHub(s).Open("127.0.0.1:5555", nil)
	if v, _ := sess.Do([]string{"COMMAND", "COUNT"}); v.Int != 15 {
		t.Errorf("COMMAND COUNT = %v, want 15", v)
	}
	v, _ := sess.Do([]string{"COMMAND", "LIST"})
	names, _ := v.Strings()
	if len(names) != 72 {
		t.Errorf("COMMAND LIST has %d names, want 72", len(names))
	}
	seen := map[string]bool{}
	for _, n := range names {
		seen[n] = true
	}
	for _, n := range []string{"sentinel", "sentinel|is-master-down-by-addr", "client|kill", "acl|whoami", "command|docs"} {
		if !seen[n] {
			t.Errorf("COMMAND LIST lacks %s", n)
		}
	}
}
