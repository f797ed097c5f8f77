package server

import (
	"fmt"
	"net"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sentinelsim/sentinelsim/resp"
)

// TestSurfaceMatchesRedisSentinel sends the same command sequences to the real
// redis-sentinel 7.0.15 and to gosentinel, both on 127.0.0.6 and monitoring the same
// (absent) master, and wants the same replies, normalised (surfaceNorm) only where the
// two legitimately differ. A step "@2 CMD" runs on a second connection of the sequence.
// Steps marked "unordered" compare their array's elements as a set: Redis builds those
// replies walking a hash table seeded at random on every start.
func TestSurfaceMatchesRedisSentinel(t *testing.T) {
	const host = "127.0.0.6"
	bin := requireBinary(t, "redis-sentinel")
	dead := freePort(t, host) // nothing listens there: the master is down for both
	monitor := fmt.Sprintf("sentinel monitor m %s %d 1", host, dead)
	rport := freePort(t, host)
	startProcess(t, bin, host, rport, monitor)
	real := net.JoinHostPort(host, strconv.Itoa(rport))
	ours := startServerOn(t, host, monitor+"\n").addr

	for _, seq := range surfaceSequences {
		t.Run(seq.name, func(t *testing.T) {
			a, b := newSurfaceSession(t, real), newSurfaceSession(t, ours)
			for _, step := range seq.steps {
				want, got := a.do(t, step), b.do(t, step)
				if want != got {
					t.Errorf("%s\nredis-sentinel: %s\ngosentinel:     %s", step, want, got)
				}
			}
		})
	}
}

var surfaceSequences = []struct {
	name  string
	steps []string
}{
	{"command", []string{
		"unordered COMMAND", "COMMAND COUNT", "unordered COMMAND LIST", "COMMAND HELP", "COMMAND NOSUCH",
		"COMMAND INFO ping", "unordered COMMAND INFO sentinel", "COMMAND INFO sentinel|masters",
		"unordered COMMAND INFO client nosuch acl|cat", "unordered COMMAND INFO command",
		"COMMAND GETKEYS", "COMMAND GETKEYS ping x", "COMMAND GETKEYS sentinel masters", "COMMAND GETKEYS nosuch a b",
		"COMMAND GETKEYSANDFLAGS ping x", "unordered COMMAND LIST FILTERBY ACLCAT admin",
		"unordered COMMAND LIST FILTERBY PATTERN s*", "COMMAND LIST FILTERBY MODULE x", "COMMAND LIST FILTERBY x y",
		"docs COMMAND DOCS", "docs COMMAND DOCS ping acl nosuch", "COMMAND DOCS nosuch",
	}},
	{"client", []string{
		"CLIENT HELP", "CLIENT INFO", "CLIENT SETNAME me", "CLIENT GETNAME", "CLIENT INFO", "CLIENT LIST",
		"@2 PSUBSCRIBE *", "CLIENT LIST", "CLIENT LIST TYPE normal", "CLIENT LIST TYPE pubsub", "CLIENT LIST TYPE master",
		"CLIENT LIST TYPE bogus", "CLIENT LIST ID 999999", "CLIENT LIST ID x", "CLIENT LIST x", "CLIENT NOSUCH",
		"CLIENT", "CLIENT KILL", "CLIENT GETREDIR", "CLIENT TRACKINGINFO", "CLIENT CACHING yes", "CLIENT UNBLOCK 999999",
		"CLIENT PAUSE 10", "CLIENT UNPAUSE", "CLIENT NO-EVICT on",
	}},
	{"acl", []string{
		"ACL HELP", "ACL CAT", "unordered ACL CAT admin", "unordered ACL CAT connection", "unordered ACL CAT pubsub",
		"unordered ACL CAT fast", "unordered ACL CAT slow", "unordered ACL CAT dangerous", "ACL CAT keyspace",
		"ACL CAT sentinel", "ACL LOAD", "ACL SAVE", "ACL LOG", "ACL LOG x", "ACL LOG RESET",
		"genpass ACL GENPASS", "genpass ACL GENPASS 1", "genpass ACL GENPASS 5", "genpass ACL GENPASS 4096",
		"ACL GENPASS 0", "ACL GENPASS 4097", "ACL GENPASS x",
		"ACL GETUSER default", "ACL GETUSER nosuch", "ACL LIST", "ACL USERS",
		"ACL SETUSER u1 on >p ~* &* -@all +ping +sentinel|masters", "ACL GETUSER u1",
		"ACL SETUSER u2 on nopass +@all -sentinel|debug -info", "ACL GETUSER u2",
		"ACL SETUSER u3 on nopass +@all -@dangerous", "ACL GETUSER u3",
		"ACL SETUSER u4 on nopass resetkeys ~a* %R~b* resetchannels &x +@admin", "ACL GETUSER u4",
		"ACL SETUSER u5 reset", "ACL GETUSER u5", "ACL SETUSER u6 +@pubsub -publish +acl|whoami +client", "ACL GETUSER u6",
		"ACL SETUSER x +nosuch", "ACL SETUSER x +@nosuch", "ACL SETUSER x -get", "ACL SETUSER x +client|nosuch",
		"ACL SETUSER x bogus", "ACL SETUSER x ~* ~a", "ACL SETUSER x &* &a", "ACL SETUSER x <nope", "ACL SETUSER x #abc",
		"ACL LIST",
		"ACL DRYRUN default ping", "ACL DRYRUN default get x", "ACL DRYRUN nosuch ping", "ACL DRYRUN default sentinel masters",
		"ACL DRYRUN default sentinel nosuch", "ACL DRYRUN u1 ping", "ACL DRYRUN u1 info", "ACL DRYRUN u1 sentinel master m",
		"ACL DRYRUN u1 client list", "ACL DRYRUN u1 ping a b", "ACL DRYRUN u4 publish y m", "ACL DRYRUN u4 publish x m",
	}},
	{"permissions", []string{
		"ACL SETUSER lo on >p ~* resetchannels &ch* -@all +ping +subscribe +psubscribe +publish +auth",
		"ACL SETUSER hi on >q +@all -sentinel|debug -info -@dangerous",
		"@2 AUTH lo bad", "@2 AUTH lo p", "@2 PING", "@2 INFO", "@2 SENTINEL MASTERS", "@2 PUBLISH other x",
		"@2 PUBLISH chan x", "@2 PUBLISH other x", "@2 SUBSCRIBE other", "@2 PSUBSCRIBE ch", "@2 ACL WHOAMI",
		"@3 AUTH hi q", "@3 SENTINEL DEBUG", "@3 INFO", "@3 CLIENT LIST", "@3 SENTINEL MYID x", "@3 CLIENT GETNAME",
		"@3 ROLE", "@3 SENTINEL CKQUORUM m",
		"ACL LOG", "ACL LOG 2", "ACL LOG -1", "ACL LOG RESET", "ACL LOG",
	}},
}

// surfaceSession is one sequence's connections to one sentinel.
type surfaceSession struct {
	addr  string
	conns map[string]*surfaceConn
	norm  *surfaceNorm
}

type surfaceConn struct {
	nc net.Conn
	r  *resp.Reader
}

func newSurfaceSession(t *testing.T, addr string) *surfaceSession {
	return &surfaceSession{addr: addr, conns: map[string]*surfaceConn{}, norm: &surfaceNorm{names: map[string]string{}}}
}

// do runs a step, "[unordered|docs|genpass] [@N] command args...", and returns the
// normalised reply.
func (s *surfaceSession) do(t *testing.T, step string) string {
	t.Helper()
	mode, conn := "", "@1"
	words := strings.Fields(step)
	if slices.Contains([]string{"unordered", "docs", "genpass"}, words[0]) {
		mode, words = words[0], words[1:]
	}
	if strings.HasPrefix(words[0], "@") {
		conn, words = words[0], words[1:]
	}
	c := s.conns[conn]
	if c == nil {
		nc, err := net.Dial("tcp", s.addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { nc.Close() })
		c = &surfaceConn{nc: nc, r: resp.NewReader(nc)}
		s.conns[conn] = c
	}
	c.nc.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.nc.Write(resp.AppendCommand(nil, words...)); err != nil {
		t.Fatalf("%s on %s: %v", step, s.addr, err)
	}
	v, err := c.r.ReadValue()
	if err != nil {
		t.Fatalf("%s on %s: %v", step, s.addr, err)
	}
	switch mode {
	case "unordered":
		v = sortedDeep(v)
	case "docs":
		return strings.Join(docNames(v, ""), " ")
	case "genpass":
		// A random password: its length and its alphabet are what must match.
		return fmt.Sprintf("%d hex digits: %v", len(v.Str), strings.Trim(v.Str, "0123456789abcdef") == "")
	}
	return s.norm.apply(v.String())
}

// surfaceNorm replaces what differs between two processes by nature:
//   - client ids (id=): a process long in use has handed out more; each distinct id is
//     named by its first appearance (client1, client2...), so equalities still count;
//   - the client's port in addr= and the sentinel's port in laddr=: chosen by the kernel
//     and by the test;
//   - fd, age, idle, qbuf, qbuf-free, argv-mem, multi-mem, rbs, rbp, obl, oll, omem and
//     tot-mem of CLIENT LIST lines: the process's descriptors, the clock and Redis's
//     allocator;
//   - ACL LOG's age-seconds: the clock;
//   - the order of the single-command rules after the categories in ACL LIST and ACL
//     GETUSER: Redis emits them walking its command table, a hash table.
type surfaceNorm struct {
	names map[string]string
}

var (
	clientID    = regexp.MustCompile(`(?:^|[" ]|\\n)id=\d+`)
	clientPorts = regexp.MustCompile(`\b(addr|laddr)=([0-9.]+):\d+`)
	clientStats = regexp.MustCompile(`\b(fd|age|idle|qbuf|qbuf-free|argv-mem|multi-mem|rbs|rbp|obl|oll|omem|tot-mem)=\d+`)
	ageSeconds  = regexp.MustCompile(`"age-seconds" "[0-9.e-]+"`)
	cmdRules    = regexp.MustCompile(`([+-]@all(?: [+-]@[a-z]+)*)((?: [+-][a-z|-]+)+)`)
)

func (n *surfaceNorm) apply(s string) string {
	s = clientID.ReplaceAllStringFunc(s, func(m string) string {
		i := strings.Index(m, "id=")
		id := m[i:]
		if _, ok := n.names[id]; !ok {
			n.names[id] = fmt.Sprintf("id=client%d", len(n.names)+1)
		}
		return m[:i] + n.names[id]
	})
	s = clientPorts.ReplaceAllString(s, "$1=$2:PORT")
	s = clientStats.ReplaceAllString(s, "$1=N")
	s = ageSeconds.ReplaceAllString(s, `"age-seconds" "AGE"`)
	return cmdRules.ReplaceAllStringFunc(s, func(m string) string {
		parts := cmdRules.FindStringSubmatch(m)
		singles := strings.Fields(parts[2])
		slices.Sort(singles)
		return parts[1] + " " + strings.Join(singles, " ")
	})
}

// sortedDeep sorts every array in v by the elements' text, innermost first.
func sortedDeep(v resp.Value) resp.Value {
	if v.Kind != resp.KindArray {
		return v
	}
	out := make([]resp.Value, len(v.Array))
	for i, e := range v.Array {
		out[i] = sortedDeep(e)
	}
	slices.SortFunc(out, func(a, b resp.Value) int { return strings.Compare(a.String(), b.String()) })
	return resp.Array(out...)
}

// docNames is the shape of a COMMAND DOCS reply: the documented names, with their
// subcommands' after them, sorted.
func docNames(v resp.Value, prefix string) []string {
	var names []string
	for i := 0; i+1 < len(v.Array); i += 2 {
		names = append(names, prefix+v.Array[i].Str)
		doc := v.Array[i+1].Array
		for j := 0; j+1 < len(doc); j += 2 {
			if doc[j].Str == "subcommands" {
				names = append(names, docNames(doc[j+1], v.Array[i].Str+">")...)
			}
		}
	}
	slices.Sort(names)
	return names
}
