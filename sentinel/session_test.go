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
	s, err := New(h.env(), conf)
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

// The sentinel's own users, as Redis's suite sets them up (09-acl-support): a user with a
// password, the default user turned off, its clients killed, and AUTH as the new user.
func TestACLUsers(t *testing.T) {
	h := newHarness(t)
	conf, err := ParseConfig([]byte("port 26379\nsentinel monitor m 127.0.0.1 6379 1\n"))
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(h.env(), conf)
	if err != nil {
		t.Fatal(err)
	}
	hub := NewHub(s)
	admin := hub.Open("127.0.0.1:1", nil)
	other := hub.Open("127.0.0.1:2", nil)
	do := func(sess *Session, args ...string) string { v, _ := sess.Do(args); return v.String() }
	for _, step := range []struct {
		sess *Session
		args []string
		want string
	}{
		{admin, []string{"ACL", "SETUSER", "testuser", ">secret", "+@all", "on"}, "OK"},
		{admin, []string{"ACL", "SETUSER", "default", "off"}, "OK"},
		{admin, []string{"ACL", "SETUSER", "x", "bogus"}, `(error) ERR Error in ACL SETUSER modifier 'bogus': Syntax error`},
		{admin, []string{"CLIENT", "KILL", "USER", "default", "SKIPME", "yes"}, "(integer) 1"},
		{admin, []string{"AUTH", "testuser", "wrong"}, "(error) WRONGPASS invalid username-password pair or user is disabled."},
		{admin, []string{"AUTH", "testuser", "secret"}, "OK"},
		{admin, []string{"ACL", "WHOAMI"}, `"testuser"`},
	} {
		if got := do(step.sess, step.args...); got != step.want {
			t.Errorf("%v: %s, want %s", step.args, got, step.want)
		}
	}
	// With the default user off, a new connection must authenticate.
	if got := do(hub.Open("127.0.0.1:3", nil), "PING"); got != "(error) NOAUTH Authentication required." {
		t.Errorf("PING on a new connection: %s", got)
	}
	do(admin, "ACL", "SETUSER", "default", "on")
	if got := do(admin, "ACL", "DELUSER", "testuser"); got != "(integer) 1" {
		t.Errorf("ACL DELUSER: %s", got)
	}
	if !other.Closed() {
		t.Error("CLIENT KILL USER default left a default client connected")
	}
	if !admin.Closed() {
		t.Error("ACL DELUSER left the deleted user's client connected")
	}
}
