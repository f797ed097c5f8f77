package fidelity

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sentinelsim/sentinelsim/sim/sentineld"
)

// TestACLMatchesRealRedis compares ACL users, AUTH, HELLO AUTH and what a user may run,
// on one connection to a real server and one to a simulated node.
func TestACLMatchesRealRedis(t *testing.T) {
	differentialLife(t, func(j *journal) {
		for _, c := range [][]string{
			{"ACL", "WHOAMI"}, {"ACL", "USERS"}, {"ACL", "LIST"},
			{"AUTH", "x"}, // no password for the default user
			{"ACL", "SETUSER", "alice", "on", ">p1", "~k*", "&ch", "+get", "-@all", "+@read"},
			{"ACL", "SETUSER", "bob"},
			{"ACL", "SETUSER", "carol", "on", "nopass", "allkeys", "allchannels", "allcommands", "-debug"},
			{"ACL", "SETUSER", "dave", "on", ">d", "~*", "resetchannels", "&news.*", "-@all", "+publish", "+subscribe",
				"+psubscribe", "+set", "+select|0"},
			{"ACL", "SETUSER", "x", "+nosuch"}, {"ACL", "SETUSER", "x", "bogus"}, {"ACL", "SETUSER", "x", "<nope"},
			{"ACL", "SETUSER", "x", "~*", "~a"}, {"ACL", "SETUSER", "x", "&*", "&a"}, {"ACL", "SETUSER", "x", "+@nosuch"},
			{"ACL", "SETUSER", "x", "+client|nosuch"}, {"ACL", "SETUSER", "x", "+client|kill|x"}, {"ACL", "SETUSER", "x", "#abc"},
			{"ACL", "SETUSER", "a b"},
			{"ACL", "USERS"}, {"ACL", "LIST"},
			{"AUTH", "alice", "bad"}, {"AUTH", "nosuch", "p"}, {"AUTH", "bob", "x"}, {"AUTH", "a", "b", "c"},
			{"AUTH", "alice", "p1"}, {"ACL", "WHOAMI"},
			{"GET", "kx"}, {"GET", "other"}, {"SET", "kx", "1"}, {"EXISTS", "kx", "other"}, {"PUBLISH", "ch", "m"},
			{"AUTH", "dave", "d"}, {"ACL", "WHOAMI"},
			{"PUBLISH", "news.a", "m"}, {"PUBLISH", "sports", "m"}, {"SUBSCRIBE", "news.x"},
		} {
			j.do(c...)
		}
		// The connection subscribed: a new one for the rest.
		j.n.Reconnect()
		for _, c := range [][]string{
			{"AUTH", "dave", "d"}, {"PSUBSCRIBE", "news.*"}, {"PSUBSCRIBE", "news.a*"},
		} {
			j.do(c...)
		}
		j.n.Kill()
		j.n.Start() // no dataset to load; and INFO would need AUTH
		for _, c := range [][]string{
			{"ACL", "USERS"}, // the users ACL SETUSER made are gone with the kill
			{"ACL", "SETUSER", "dave", "on", ">d", "~*", "-@all", "+select|0", "+set"},
			{"AUTH", "dave", "d"}, {"SELECT", "0"}, {"SELECT", "1"}, {"SET", "a", "1"}, {"GET", "a"},
			{"HELLO", "2", "AUTH", "carol", "x"}, {"HELLO", "2", "AUTH", "dave", "bad"},
			{"ACL", "DELUSER", "default"}, {"ACL", "DELUSER", "nosuch", "bob"},
			{"ACL"}, {"ACL", "foo"}, {"ACL", "SETUSER"}, {"ACL", "WHOAMI", "x"},
			{"CONFIG", "SET", "requirepass", "secret"},
			{"ACL", "LIST"},
			{"AUTH", "secret"}, {"AUTH", "default", "secret"}, {"AUTH", "wrong"}, {"ACL", "WHOAMI"},
			{"CONFIG", "REWRITE"}, // requirepass and the users go to the config file
		} {
			j.do(c...)
		}
		// Restarted, with requirepass set, a new connection must authenticate first.
		j.n.Kill()
		j.n.Start() // no dataset to load; and INFO would need AUTH
		for _, c := range [][]string{
			{"PING"}, {"GET", "a"}, {"ACL", "WHOAMI"}, {"HELLO", "2"}, {"HELLO", "2", "AUTH", "default", "bad"},
			{"AUTH", "secret"}, {"PING"}, {"ACL", "USERS"}, {"AUTH", "dave", "d"}, {"SET", "a", "1"},
		} {
			j.do(c...)
		}
	}, [2]string{"user", "carol on nopass ~* &* +@all"}, [2]string{"requirepass", ""})
}

// TestRequirepassFromTheConfigFile compares a server started with requirepass and a user
// directive.
func TestRequirepassFromTheConfigFile(t *testing.T) {
	differentialLife(t, func(j *journal) {
		for _, c := range [][]string{
			{"PING"}, {"SET", "a", "1"}, {"HELLO", "2", "SETNAME", "x"}, {"AUTH", "nope"}, {"AUTH", "pw"}, {"ACL", "WHOAMI"},
			{"ACL", "LIST"}, {"AUTH", "ops", "o"}, {"ACL", "WHOAMI"}, {"CONFIG", "GET", "requirepass"}, {"INFO", "nosuch"},
			{"CONFIG", "SET", "requirepass", ""}, {"ACL", "LIST"},
		} {
			j.do(c...)
		}
	}, [2]string{"requirepass", "pw"}, [2]string{"user", "ops on >o ~* &* -@all +@connection +info +acl|whoami"})
}

// TestReplicaAuthenticatesToItsMaster has a replica sync from a master that wants a
// password (requirepass, then an ACL user for replication), with the right credentials
// and the wrong ones.
func TestReplicaAuthenticatesToItsMaster(t *testing.T) {
	for _, tc := range []struct {
		name            string
		master, replica [][2]string
	}{
		{"requirepass", [][2]string{{"requirepass", "pw"}}, [][2]string{{"masterauth", "pw"}}},
		{"requirepass-wrong", [][2]string{{"requirepass", "pw"}}, [][2]string{{"masterauth", "nope"}}},
		{"requirepass-none", [][2]string{{"requirepass", "pw"}}, nil},
		{"masteruser", [][2]string{{"requirepass", "pw"}, {"user", "repl on >rp +psync +replconf +ping"}},
			[][2]string{{"masteruser", "repl"}, {"masterauth", "rp"}}},
		{"masteruser-without-psync", [][2]string{{"requirepass", "pw"}, {"user", "repl on >rp +replconf +ping"}},
			[][2]string{{"masteruser", "repl"}, {"masterauth", "rp"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			port := FreePort(t, nodeA, nodeB)
			base := [][2]string{{"repl-diskless-sync-delay", "0"}, {"protected-mode", "no"}}
			masterOpts := append(base, tc.master...)
			replicaOpts := append(append(append([][2]string{}, base...), tc.replica...),
				[2]string{"replicaof", fmt.Sprintf("%s %d", nodeA, port)})
			run := func(start func(addr string, opts [][2]string) node) []string {
				m := start(nodeA, masterOpts)
				if v, err := m.Do("AUTH", "pw"); err != nil || v.IsError() {
					t.Fatalf("%s: AUTH on the master: %v %v", m.Name(), v, err)
				}
				m.Do("SET", "k", "v")
				r := start(nodeB, replicaOpts)
				r.Pause(2 * time.Second)
				info, _ := r.Do("INFO", "replication")
				fields, _ := parseInfo(info.Str)
				got, _ := r.Do("GET", "k")
				mi, _ := m.Do("INFO", "replication")
				mf, _ := parseInfo(mi.Str)
				return []string{"master_link_status=" + fields["master_link_status"], "GET k=" + got.String(),
					"master connected_slaves=" + mf["connected_slaves"]}
			}
			realSide := run(func(addr string, opts [][2]string) node {
				rn := &realNode{t: t, r: StartReal(t, addr, port, append(opts, [2]string{"bind-source-addr", addr})...)}
				rn.conn = rn.r.Dial(t)
				return rn
			})
			sim := NewSim(1)
			simSide := run(func(addr string, opts [][2]string) node {
				if _, err := sim.Spawn(addr, port, append([][2]string{{"save", ""}}, opts...)...); err != nil {
					t.Fatal(err)
				}
				return &simNode{t: t, sim: sim, port: port, conn: sim.Dial(addr, port), addr: addr}
			})
			if strings.Join(realSide, " ") != strings.Join(simSide, " ") {
				t.Errorf("real: %v\nsim:  %v", realSide, simSide)
			}
			t.Logf("real: %v", realSide)
		})
	}
}

// TestSentinelMonitorsWithAnACLUser runs a simulated sentinel whose auth-user has only
// the commands Sentinel's documentation lists, against simulated nodes that define that
// user: it must discover the replica and, once the master dies, promote it.
func TestSentinelMonitorsWithAnACLUser(t *testing.T) {
	const sentinelUser = "sentinel-user on >spw allchannels -@all +multi +slaveof +ping +exec +subscribe " +
		"+config|rewrite +role +publish +info +client|setname +client|kill +script|kill"
	sim := NewSim(1)
	port := 6379
	for _, addr := range []string{nodeA, nodeB} {
		opts := [][2]string{{"save", ""}, {"repl-diskless-sync-delay", "0"}, {"protected-mode", "no"},
			{"requirepass", "pw"}, {"masterauth", "pw"}, {"user", sentinelUser}}
		if addr == nodeB {
			opts = append(opts, [2]string{"replicaof", nodeA + " " + strconv.Itoa(port)})
		}
		if _, err := sim.Spawn(addr, port, opts...); err != nil {
			t.Fatal(err)
		}
	}
	var events []string
	var sentinels []*sentineld.Program
	for i, addr := range []string{"127.0.0.5", "127.0.0.6", "127.0.0.7"} {
		conf := fmt.Sprintf("port 26379\nsentinel monitor m %s %d 2\nsentinel down-after-milliseconds m 2000\n"+
			"sentinel failover-timeout m 10000\nsentinel auth-user m sentinel-user\nsentinel auth-pass m spw\n", nodeA, port)
		prog := sentineld.New(fmt.Sprintf("sentinel%d", i), conf)
		prog.Observe = func(r sentineld.Record) { events = append(events, r.Node+" "+r.Line) }
		sentinels = append(sentinels, prog)
		sim.K.AddHost(addr).Spawn("sentinel/"+addr, prog)
	}
	sim.K.RunFor(15 * time.Second)
	for i, s := range sentinels {
		m, _ := s.Sentinel().Command([]string{"SENTINEL", "MASTER", "m"}).Strings()
		if f := fieldOf(m, "num-slaves"); f != "1" {
			t.Fatalf("sentinel%d knows %s replicas with an ACL user, want 1: %v\nevents:\n%s", i, f, m, strings.Join(events, "\n"))
		}
	}
	sim.Procs[nodeA].Kill()
	sim.K.RunFor(30 * time.Second)
	if role := sim.Servers[nodeB].Role(); role != "master" {
		t.Errorf("after the master died the replica is %s, want master: the sentinels could not fail over with "+
			"their ACL user\nevents:\n%s", role, strings.Join(events, "\n"))
	}
}

func fieldOf(kv []string, name string) string {
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i] == name {
			return kv[i+1]
		}
	}
	return ""
}
