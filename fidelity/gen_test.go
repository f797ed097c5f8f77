package fidelity

import (
	"strings"

	"pgregory.net/rapid"
)

// Pools the generators draw from. Few keys, so that commands collide on them (and hit the
// wrong type); values at the edges of Redis's integer parsing.
var (
	keys    = []string{"k1", "k2", "s1", "l1"}
	members = []string{"a", "b", "1", "2", "-3", "10", "007", ""}
	values  = []string{"v", "", "0", "1", "-1", "42", "007", "+3", " 5", "3.5", "-0", "abc def",
		"9223372036854775807", "-9223372036854775808", "9223372036854775808", "99999999999999999999",
		"a\x00b", "a\r\nb", "é"}
	integers = []string{"0", "1", "-1", "2", "-2", "10", "-100", "abc", "", "1.5", "+1", "01", "-0", " 1",
		"9223372036854775807", "-9223372036854775808", "9223372036854775808", "-9223372036854775809",
		"4611686018427387904", "-4611686018427387904"}
	// expiries never come due while a test runs: a key set with a small TTL would expire in
	// the real server and not in the simulated one, whose clock hardly moves.
	expiries = []string{"100000", "99999999999", "0", "-5", "abc", "1.5", "+100", "",
		"9223372036854775", "9223372036854776", "9223372036854775807"}
	names       = []string{"conn-1", "x", "", "a b", "a\nb", "tab\there", "é", "~!"}
	configNames = []string{
		"replica-read-only", "slave-read-only", "replica-serve-stale-data", "replica-priority",
		"slave-priority", "min-replicas-to-write", "min-slaves-to-write", "min-replicas-max-lag",
		"repl-backlog-size", "repl-timeout", "repl-diskless-sync-delay", "repl-diskless-sync",
		"replica-announce-ip", "replica-announce-port", "replica-announced", "replicaof", "slaveof",
		"masterauth", "appendonly", "appendfsync", "save", "dbfilename", "appendfilename",
		"requirepass", "APPENDONLY", "Save", "no-such-config",
		"repl*", "replica-*", "slave*", "min-*", "append*", "*-read-only", "repl-?iskless*",
		"repl-[bt]*", "sav[e]", "*aof*", "rdb*",
	}
	// configSetPool are configs CONFIG SET may change in the command differential, with
	// values valid and not. None changes what a connection needs (requirepass) or starts a
	// child (appendonly, short save points); the real server gets their first values back
	// before every sequence.
	configSetPool = [][]string{
		{"repl-timeout", "7", "0", "abc", "60"}, {"replica-priority", "5", "-1", "100"}, {"slave-priority", "3", "x"},
		{"replica-read-only", "no", "yes", "maybe"}, {"replica-serve-stale-data", "no", "yes"},
		{"min-replicas-to-write", "1", "0", "x"}, {"min-replicas-max-lag", "5", "10"},
		{"appendfsync", "always", "everysec", "sometimes"}, {"maxmemory", "1gb", "0", "1x"}, {"hz", "1000", "10", "0"},
		{"repl-backlog-size", "1k", "1mb", "1x"}, {"replica-announced", "no", "yes"},
		{"notify-keyspace-events", "KEA", "", "q"}, {"save", "3600 1", "", "1", "abc"}, {"daemonize", "no"},
		{"nosuch", "1"}, {"dir", "/tmp"},
	}
	unknownNames = []string{"nosuch", "GETT", "foo", "x\r\ny", "a\x00b", "", strings.Repeat("z", 140)}
	junk         = []string{"x", "", "'q'", "a b", "\r\n", "nul\x00nul", strings.Repeat("y", 130), "é"}
)

// pick draws one element of a pool.
func pick[V any](t *rapid.T, pool []V, label string) V {
	return rapid.SampledFrom(pool).Draw(t, label)
}

func picks(t *rapid.T, pool []string, min, max int, label string) []string {
	n := rapid.IntRange(min, max).Draw(t, label+"#")
	out := make([]string, n)
	for i := range out {
		out[i] = pick(t, pool, label)
	}
	return out
}

// casing writes a command name as clients do: lower, upper or mixed case.
func casing(t *rapid.T, name string) string {
	switch rapid.IntRange(0, 3).Draw(t, "case") {
	case 0:
		return strings.ToUpper(name)
	case 1:
		if name != "" {
			return strings.ToUpper(name[:1]) + name[1:]
		}
	}
	return name
}

// command draws one command of the differential test's vocabulary.
func command(t *rapid.T) []string {
	kind := rapid.IntRange(0, 39).Draw(t, "kind")
	c := func(name string, args ...string) []string { return append([]string{casing(t, name)}, args...) }
	key := func() string { return pick(t, keys, "key") }
	switch kind {
	case 0, 1:
		return c("get", key())
	case 2, 3, 4:
		args := []string{key(), pick(t, values, "value")}
		for range rapid.IntRange(0, 3).Draw(t, "nopts") {
			switch rapid.IntRange(0, 6).Draw(t, "opt") {
			case 0:
				args = append(args, casing(t, "nx"))
			case 1:
				args = append(args, casing(t, "xx"))
			case 2:
				args = append(args, casing(t, "get"))
			case 3:
				args = append(args, casing(t, "ex"), pick(t, expiries, "ttl"))
			case 4:
				args = append(args, casing(t, "px"), pick(t, expiries, "ttl"))
			case 5:
				args = append(args, casing(t, "keepttl"))
			case 6:
				args = append(args, pick(t, append([]string{"ex", "PX", "nxx"}, junk...), "junk"))
			}
		}
		return c("set", args...)
	case 5:
		return c("del", picks(t, keys, 1, 3, "key")...)
	case 6:
		return c("exists", picks(t, keys, 1, 3, "key")...)
	case 7:
		return c("incr", key())
	case 8:
		return c("incrby", key(), pick(t, integers, "by"))
	case 9, 10:
		return c("sadd", append([]string{key()}, picks(t, members, 1, 3, "member")...)...)
	case 11:
		return c("srem", append([]string{key()}, picks(t, members, 1, 3, "member")...)...)
	case 12:
		return c("smembers", key())
	case 13:
		return c("scard", key())
	case 14:
		return c("sismember", key(), pick(t, members, "member"))
	case 15, 16:
		return c("rpush", append([]string{key()}, picks(t, values, 1, 3, "value")...)...)
	case 17:
		return c("lrange", key(), pick(t, integers, "start"), pick(t, integers, "stop"))
	case 18:
		return c("llen", key())
	case 19:
		switch rapid.IntRange(0, 3).Draw(t, "what") {
		case 0:
			return c("dbsize")
		case 1:
			return c("flushall", picks(t, []string{"async", "SYNC", "x"}, 0, 2, "mode")...)
		case 2:
			return c("select", pick(t, []string{"0", "00", "-1", "16", "abc", "9999999999", ""}, "db"))
		}
		return c("echo", pick(t, values, "msg"))
	case 20:
		return c("ping", picks(t, values, 0, 2, "msg")...)
	case 21, 22:
		return c(pick(t, []string{"multi", "exec", "discard"}, "tx"))
	case 23:
		switch rapid.IntRange(0, 3).Draw(t, "sub") {
		case 0:
			return c("client", casing(t, "setname"), pick(t, names, "name"))
		case 1:
			return c("client", casing(t, "getname"))
		case 2:
			return c("client", append([]string{pick(t, []string{"setname", "getname", "nosuch", "Junk"}, "sub")},
				picks(t, junk, 0, 2, "arg")...)...)
		}
		return c("client")
	case 24, 25:
		args := []string{casing(t, "get")}
		args = append(args, picks(t, configNames, 1, 3, "param")...)
		return c("config", args...)
	case 26:
		return c("config", append([]string{pick(t, []string{"get", "nosuch", "HELPX"}, "sub")},
			picks(t, junk, 0, 1, "arg")...)...)
	case 27:
		return append([]string{pick(t, unknownNames, "unknown")}, picks(t, junk, 0, 4, "arg")...)
	case 28:
		// One channel at a time, so that every command gets one reply; in the Pub/Sub
		// context the other commands are refused.
		sub := pick(t, []string{"subscribe", "unsubscribe", "psubscribe", "punsubscribe"}, "sub")
		return c(sub, pick(t, []string{"ch", "ch2", "c*"}, "channel"))
	case 29:
		switch rapid.IntRange(0, 3).Draw(t, "what") {
		case 3:
			// The replication section only: the simulation keeps few of the other fields.
			return c("info", casing(t, "replication"))
		case 0:
			return c("role")
		case 1:
			// WAIT 0: no replica to wait for, so it never blocks.
			return c("wait", pick(t, []string{"0", "-1", "abc"}, "replicas"), pick(t, []string{"0", "100", "-1", "x"}, "timeout"))
		}
		return c("publish", pick(t, []string{"ch", "c1"}, "channel"), pick(t, values, "msg"))
	case 32:
		return c("auth", pick(t, [][]string{{}, {"x"}, {"default", "x"}, {"nosuch", "x"}, {"a", "b", "c"}}, "auth")...)
	case 33:
		return c("hello", pick(t, [][]string{{}, {"2"}, {"1"}, {"4"}, {"x"}, {"-1"}, {"2", casing(t, "setname"), pick(t, names, "name")},
			{"2", "AUTH", "default", "x"}, {"2", "auth", "nosuch", "x"}, {"2", "AUTH", "default"}, {"2", "nosuch"},
			{"2", "SETNAME"}}, "hello")...)
	case 34:
		// Named sections only: by default INFO has sections the simulation does not keep.
		return c("info", picks(t, []string{"server", "persistence", "replication", "SERVER", "Persistence", "nosuch"}, 1, 2, "section")...)
	case 35:
		cfg := pick(t, configSetPool, "config")
		switch rapid.IntRange(0, 3).Draw(t, "what") {
		case 0:
			return c("config", casing(t, "get"), cfg[0])
		case 1:
			return c("config", casing(t, "rewrite"))
		}
		return c("config", casing(t, "set"), cfg[0], pick(t, cfg[1:], "value"))
	case 36:
		return c("client", pick(t, [][]string{{"id"}, {"ID", "x"}, {"info"}, {"list"}, {"list", "type", "normal"},
			{"LIST", "TYPE", "replica"}, {"list", "type", "master"}, {"list", "type", "pubsub"}, {"list", "type", "foo"},
			{"list", "id", "$ID"}, {"list", "id", "$ID", "99999"}, {"list", "id", "x"}, {"list", "foo"},
			{"kill", "type", "normal"}, {"kill", "TYPE", "master"}, {"kill", "type", "slave"}, {"kill", "type", "pubsub"},
			{"KILL", "TYPE", "PUBSUB", "skipme", "no"}, {"kill", "type", "foo"},
			{"kill", "user", "default"}, {"kill", "user", "nosuch"}, {"kill", "id", "$ID"}, {"kill", "id", "0"},
			{"kill", "id", "x"}, {"kill", "skipme", "maybe"}, {"kill", "type"}, {"kill", "127.0.0.1:1"},
			{"kill", "laddr", "1.2.3.4:5"}, {"kill", "id", "$ID", "skipme", "no"}, {"kill", "user", "default", "skipme", "no"}},
			"client")...)
	case 37:
		return c(pick(t, []string{"slaveof", "replicaof"}, "name"), pick(t, [][]string{{"no", "one"}, {"NO", "ONE"},
			{"$MASTERHOST", "$MASTERPORT"}, {"x", "y"}, {"x", "-1"}, {"x", "70000"}, {"no"}}, "args")...)
	case 38:
		return c("wait", pick(t, [][]string{{"0", "0"}, {"1", "10"}, {"2", "30"}, {"-1", "0"}, {"abc", "10"}, {"1", "x"},
			{"1", "-1"}, {"0", "abc"}}, "wait")...)
	case 39:
		return c("shutdown", pick(t, [][]string{{"foo"}, {"SAVE", "NOSAVE"}, {"abort", "now"}, {"ABORT"}, {"nosave", "bogus"},
			{"now", "x"}}, "shutdown")...)
	}
	// Any command of the vocabulary with any number of arguments: wrong arities, and
	// arguments of the wrong shape.
	name := pick(t, []string{"get", "set", "del", "exists", "incr", "incrby", "sadd", "srem", "smembers",
		"scard", "sismember", "rpush", "lrange", "llen", "dbsize", "flushall", "ping", "echo", "select",
		"multi", "exec", "discard", "client", "config", "role", "publish"}, "name")
	return c(name, picks(t, append(append([]string{}, keys...), junk...), 0, 4, "arg")...)
}
