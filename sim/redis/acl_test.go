package redis

import (
	"testing"
	"time"

	"github.com/sentinelsim/sentinelsim/resp"
)

// These tests pin what fidelity/acl_test.go measured against a real redis-server 7.0.15.

func TestReplicaSendsAUTHBeforePSYNC(t *testing.T) {
	for _, tc := range []struct {
		name    string
		replica [][2]string
		up      bool
	}{
		{"masterauth", [][2]string{{"masterauth", "pw"}}, true},
		{"masteruser", [][2]string{{"masteruser", "repl"}, {"masterauth", "rp"}}, true},
		{"wrong password", [][2]string{{"masterauth", "nope"}}, false},
		{"no password", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCluster(t, map[string][][2]string{
				"127.0.0.1": {{"requirepass", "pw"}, {"user", "repl on >rp +psync +replconf +ping"}},
				"127.0.0.2": append(tc.replica, [2]string{"replicaof", "127.0.0.1 6379"}),
			})
			c.run(3 * time.Second)
			if _, _, up := c.servers["127.0.0.2"].Master(); up != tc.up {
				t.Errorf("link up %v, want %v", up, tc.up)
			}
		})
	}
}

func TestACLUserPermissions(t *testing.T) {
	c := newCluster(t, map[string][][2]string{"127.0.0.1": {{"user", "alice on >p ~k* &ch -@all +@read +publish"}}})
	conn := c.client.Dial("127.0.0.1", 6379)
	var replies []resp.Value
	conn.OnData = func(msg any) {
		if v, ok := msg.(resp.Value); ok {
			replies = append(replies, v)
		}
	}
	for _, args := range [][]string{{"AUTH", "alice", "p"}, {"GET", "k1"}, {"GET", "x"}, {"SET", "k1", "v"},
		{"PUBLISH", "ch", "m"}, {"PUBLISH", "other", "m"}, {"ACL", "WHOAMI"}} {
		conn.Send(args)
	}
	c.run(100 * time.Millisecond)
	want := []resp.Value{resp.OK, resp.Null(),
		resp.Err("NOPERM this user has no permissions to access one of the keys used as arguments"),
		resp.Err("NOPERM this user has no permissions to run the 'set' command"), resp.Int(0),
		resp.Err("NOPERM this user has no permissions to access one of the channels used as arguments"),
		resp.Err("NOPERM this user has no permissions to run the 'acl|whoami' command")}
	if len(replies) != len(want) {
		t.Fatalf("replies %v, want %v", replies, want)
	}
	for i := range want {
		if !replies[i].Equal(want[i]) {
			t.Errorf("reply %d: %v, want %v", i, replies[i], want[i])
		}
	}
	c.do("127.0.0.1", "ACL", "DELUSER", "alice")
	c.run(10 * time.Millisecond)
	if !conn.Closed() {
		t.Errorf("the connection of a deleted user stays open")
	}
}
