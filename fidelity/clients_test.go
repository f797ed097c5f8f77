package fidelity

import (
	"fmt"
	"strconv"
	"testing"
)

// TestClientCommandsMatchRealRedis compares CLIENT ID, LIST, INFO and KILL on one node,
// with a second connection to list and kill, in the states that change a client's line.
func TestClientCommandsMatchRealRedis(t *testing.T) {
	differentialLife(t, func(j *journal) {
		id := func() string { return strconv.FormatInt(j.do("CLIENT", "ID").Int, 10) }
		first := id()
		for _, c := range [][]string{
			{"CLIENT", "LIST"}, {"CLIENT", "INFO"}, {"CLIENT", "SETNAME", "alpha"}, {"CLIENT", "LIST", "TYPE", "normal"},
			{"CLIENT", "LIST", "ID", first, "12345"}, {"CLIENT", "LIST", "TYPE", "pubsub"}, {"MULTI"}, {"PING"},
			{"CLIENT", "INFO"}, {"EXEC"}, {"NOSUCH"}, {"CLIENT", "INFO"}, {"CLIENT", "KILL", "USER", "nosuch"},
			{"CLIENT", "KILL", "USER", "default"}, {"CLIENT", "KILL", "ID", first},
		} {
			j.do(c...)
		}
		j.n.Reconnect() // a second client; the first is gone
		second := id()
		for _, c := range [][]string{
			{"CLIENT", "LIST"}, {"SUBSCRIBE", "ch"},
		} {
			j.do(c...)
		}
		j.n.Reconnect()
		for _, c := range [][]string{
			{"CLIENT", "LIST", "ID", second}, {"CLIENT", "KILL", "ID", second, "SKIPME", "no"},
			{"CLIENT", "KILL", "USER", "default", "SKIPME", "no"},
		} {
			j.do(c...)
		}
		_, err := j.n.Do("PING")
		j.note(fmt.Sprintf("after killing itself, PING fails: %v", err != nil))
		j.n.Reconnect()
		killSubscribers(j)
	})
}

// killSubscribers kills a subscriber on another connection as Sentinel does at every
// failover, CLIENT KILL TYPE pubsub inside MULTI beside CLIENT KILL TYPE normal: only
// the subscriber goes, once EXEC has replied: it is no longer listed, and a message to its
// channel reaches no one.
func killSubscribers(j *journal) {
	sub := j.n.Open()
	v, err := sub.Do("SUBSCRIBE", "ch")
	j.note(fmt.Sprintf("another connection: SUBSCRIBE ch -> %v %v", v, err))
	for _, c := range [][]string{
		{"CLIENT", "LIST", "TYPE", "pubsub"}, {"PUBLISH", "ch", "hello"}, {"MULTI"}, {"CLIENT", "KILL", "TYPE", "normal"},
		{"CLIENT", "KILL", "TYPE", "pubsub"}, {"EXEC"}, {"PUBLISH", "ch", "again"}, {"CLIENT", "LIST", "TYPE", "pubsub"},
		{"CLIENT", "KILL", "TYPE", "pubsub"},
	} {
		j.do(c...)
	}
}
