package fidelity

import "testing"

// configCases are CONFIG SET calls at the edges of each kind of config: booleans,
// integers with bounds, memory values, percentages, enums, bit flags, strings with
// validation, the special configs, and the order in which Redis checks several pairs.
var configCases = [][]string{
	{"repl-timeout", "abc"}, {"repl-timeout", "-1"}, {"repl-timeout", "0"}, {"repl-timeout", "7"},
	{"repl-timeout", "+7"}, {"repl-timeout", "07"}, {"repl-timeout", "9999999999"},
	{"SLAVE-PRIORITY", "x"}, {"slave-priority", "-1"}, {"replica-priority", "0"},
	{"appendfsync", "sometimes"}, {"appendfsync", "ALWAYS"}, {"appendfsync", "everysec"},
	{"replica-read-only", "maybe"}, {"replica-read-only", "YES"}, {"replica-serve-stale-data", "no"},
	{"save", "abc"}, {"save", "1"}, {"save", "1 2 3"}, {"save", "0 5"}, {"save", "10 -1"}, {"save", "10 0x5"},
	{"save", " 10 5"}, {"save", "10  5"}, {"save", "+10 5"}, {"save", "10 5 20 6"}, {"save", ""},
	{"repl-backlog-size", "1k"}, {"repl-backlog-size", "1KB"}, {"repl-backlog-size", "1x"}, {"repl-backlog-size", "k"},
	{"repl-backlog-size", "-5"}, {"repl-backlog-size", "99999999999999999999"}, {"repl-backlog-size", "1gb"},
	{"repl-backlog-size", "2mb"},
	{"maxmemory", "1gb"}, {"maxmemory", "0"}, {"maxmemory-clients", "10%"}, {"maxmemory-clients", "101%"},
	{"maxmemory-clients", "-5"}, {"maxmemory-clients", "0"},
	{"min-replicas-to-write", "999999999999"}, {"min-replicas-max-lag", "5"}, {"repl-diskless-sync-delay", "-5"},
	{"replica-announce-port", "70000"}, {"replica-announce-port", "0"}, {"replica-announce-ip", "10.0.0.1"},
	{"replica-announce-ip", ""}, {"maxclients", "0"}, {"port", "70000"},
	{"oom-score-adj", "relative"}, {"oom-score-adj", "no"}, {"repl-diskless-load", "foo"}, {"repl-diskless-load", "swapdb"},
	{"repl-diskless-load", "disabled"},
	{"shutdown-on-sigterm", "nosave now"}, {"shutdown-on-sigterm", "save nosave"}, {"shutdown-on-sigterm", "default"},
	{"shutdown-on-sigterm", ""},
	{"notify-keyspace-events", "KEA"}, {"notify-keyspace-events", "Kx$"}, {"notify-keyspace-events", "q"},
	{"notify-keyspace-events", ""},
	{"oom-score-adj-values", "1 2"}, {"oom-score-adj-values", "1 2 3000"}, {"oom-score-adj-values", "0 200 800"},
	{"client-output-buffer-limit", "normal 1 2 3"}, {"client-output-buffer-limit", "master 1 2 3"},
	{"client-output-buffer-limit", "normal 1 2"}, {"client-output-buffer-limit", "replica 1mb 2kb x"},
	{"latency-tracking-info-percentiles", "50 99.5"}, {"latency-tracking-info-percentiles", "101"},
	{"latency-tracking-info-percentiles", "abc"},
	{"bind", "1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17"},
	{"hz", "1000"}, {"hz", "0"}, {"hz", "10"},
	{"proc-title-template", "x"}, {"proc-title-template", "{title}"}, {"proc-title-template", "{nosuch}"},
	{"proc-title-template", "{title} {listen-addr} {server-mode}"},
	{"cluster-announce-hostname", "a_b"}, {"activedefrag", "yes"}, {"activedefrag", "no"},
	{"dbfilename", "a/b"}, {"dir", "/tmp"}, {"daemonize", "no"}, {"io-threads", "2"}, {"unixsocketperm", "777"},
	{"replicaof", "127.0.0.9 1"}, {"slaveof", "no one"}, {"nosuch", "1"},
	{"repl-timeout", "5", "repl-timeout", "6"}, {"repl-timeout", "5", "nosuch", "6"},
	{"repl-timeout", "x", "daemonize", "no"}, {"daemonize", "no", "repl-timeout", "x"},
	{"repl-timeout", "8", "replica-priority", "x"}, {"repl-timeout", "8", "replica-priority", "9"},
	{"daemonize", "no", "nosuch", "1"}, {"nosuch", "1", "daemonize", "no"}, {"repl-timeout", "x", "nosuch", "1"},
	{"repl-timeout", "5", "repl-timeout", "6", "nosuch", "1"},
	{"repl-timeout"}, {"repl-timeout", "1", "x"},
}

// TestConfigSetMatchesRealRedis sends every case of configCases, then CONFIG GET of what
// it touched: values are validated, shown normalised, and set all or nothing.
func TestConfigSetMatchesRealRedis(t *testing.T) {
	differentialLife(t, func(j *journal) {
		for _, c := range configCases {
			j.do(append([]string{"CONFIG", "SET"}, c...)...)
			for i := 0; i < len(c); i += 2 {
				j.do("CONFIG", "GET", c[i])
			}
		}
	})
}

// TestConfigSetIsNotPersistedWithoutRewrite changes configs, kills the node and restarts
// it: it is back to its config file. Then again with CONFIG REWRITE: every change is in
// the file, appendonly yes included, so the restart loads the AOF.
func TestConfigSetIsNotPersistedWithoutRewrite(t *testing.T) {
	changed := [][2]string{{"repl-timeout", "7"}, {"replica-priority", "5"}, {"save", "100 5"},
		{"replica-announce-ip", "10.1.2.3"}, {"min-replicas-max-lag", "3"}, {"appendfsync", "always"}}
	get := func(j *journal) {
		for _, c := range changed {
			j.do("CONFIG", "GET", c[0])
		}
		j.do("CONFIG", "GET", "appendonly")
		j.info("persistence", persistenceFields...)
	}
	differentialLife(t, func(j *journal) {
		for _, c := range changed {
			j.do("CONFIG", "SET", c[0], c[1])
		}
		j.do("SET", "k", "v")
		j.do("SAVE")
		j.do("CONFIG", "SET", "appendonly", "yes") // rewrites the AOF in the background
		j.info("persistence", "aof_enabled")
		j.waitFor("persistence", "aof_rewrite_in_progress", "0")
		j.do("SET", "k2", "v2") // in the AOF only
		get(j)
		j.n.Kill()
		j.start()
		get(j)                // the file's values
		dataset(j, "k", "k2") // the RDB's dataset: appendonly is no again
		for _, c := range changed {
			j.do("CONFIG", "SET", c[0], c[1])
		}
		j.do("CONFIG", "SET", "appendonly", "yes")
		j.waitFor("persistence", "aof_rewrite_in_progress", "0")
		j.do("SET", "k3", "v3")
		j.do("CONFIG", "REWRITE")
		j.n.Kill()
		j.start()
		get(j)
		dataset(j, "k", "k2", "k3")               // the AOF's
		j.do("CONFIG", "SET", "appendonly", "no") // fsynced and closed: k4 is not in it
		j.do("SET", "k4", "v4")
		j.n.Kill()
		j.start()
		dataset(j, "k", "k3", "k4")
	})
}
