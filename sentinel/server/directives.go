package server

import (
	"fmt"
	"strings"
)

// A sentinel process is a redis-server in sentinel mode, so redis-sentinel accepts every
// redis-server directive and checks its value, even where a sentinel has no use for it.
// The tables below are Redis 7.0.15's: the names CONFIG GET * lists on its redis-server
// (aliases included), its hidden configs, and the types and enum values of its config table.

// otherDirectives take one argument whose value a sentinel never uses.
var otherDirectives = strings.Fields(`
	acl-pubsub-default aclfile acllog-max-len active-defrag-cycle-max active-defrag-cycle-min
	active-defrag-ignore-bytes active-defrag-max-scan-fields active-defrag-threshold-lower
	active-defrag-threshold-upper active-expire-effort aof_rewrite_cpulist appenddirname
	appendfilename auto-aof-rewrite-min-size auto-aof-rewrite-percentage bgsave_cpulist
	bind-source-addr bio_cpulist busy-reply-threshold client-query-buffer-limit
	cluster-announce-bus-port cluster-announce-hostname cluster-announce-ip cluster-announce-port
	cluster-announce-tls-port cluster-config-file cluster-link-sendbuf-limit
	cluster-migration-barrier cluster-node-timeout cluster-port cluster-replica-validity-factor
	cluster-slave-validity-factor databases dbfilename dir hash-max-listpack-entries
	hash-max-listpack-value hash-max-ziplist-entries hash-max-ziplist-value hll-sparse-max-bytes
	hz ignore-warnings io-threads latency-monitor-threshold lfu-decay-time lfu-log-factor
	list-compress-depth list-max-listpack-size list-max-ziplist-size logfile lua-time-limit
	masterauth masteruser maxclients maxmemory maxmemory-clients maxmemory-eviction-tenacity
	maxmemory-samples min-replicas-max-lag min-replicas-to-write min-slaves-max-lag
	min-slaves-to-write notify-keyspace-events pidfile port proc-title-template
	proto-max-bulk-len repl-backlog-size repl-backlog-ttl repl-diskless-sync-delay
	repl-diskless-sync-max-replicas repl-ping-replica-period repl-ping-slave-period repl-timeout
	replica-announce-ip replica-announce-port replica-priority requirepass server_cpulist
	set-max-intset-entries slave-announce-ip slave-announce-port slave-priority
	slowlog-log-slower-than slowlog-max-len socket-mark-id stream-node-max-bytes
	stream-node-max-entries syslog-ident tcp-backlog tcp-keepalive timeout tls-ca-cert-dir
	tls-ca-cert-file tls-cert-file tls-ciphers tls-ciphersuites tls-client-cert-file
	tls-client-key-file tls-client-key-file-pass tls-dh-params-file tls-key-file
	tls-key-file-pass tls-port tls-protocols tls-session-cache-size tls-session-cache-timeout
	tracking-table-max-keys unixsocket unixsocketperm zset-max-listpack-entries
	zset-max-listpack-value zset-max-ziplist-entries zset-max-ziplist-value
	rdb-key-save-delay key-load-delay watchdog-period loading-process-events-interval-bytes`)

// multiArgDirectives take any number of arguments.
var multiArgDirectives = strings.Fields(`bind save client-output-buffer-limit oom-score-adj-values
	replicaof slaveof latency-tracking-info-percentiles`)

// boolDirectives take yes or no.
var boolDirectives = strings.Fields(`
	rdbchecksum daemonize io-threads-do-reads always-show-logo protected-mode rdbcompression
	rdb-del-sync-files activerehashing stop-writes-on-bgsave-error set-proc-title dynamic-hz
	lazyfree-lazy-eviction lazyfree-lazy-expire lazyfree-lazy-server-del lazyfree-lazy-user-del
	lazyfree-lazy-user-flush repl-disable-tcp-nodelay repl-diskless-sync
	aof-rewrite-incremental-fsync no-appendfsync-on-rewrite cluster-require-full-coverage
	rdb-save-incremental-fsync aof-load-truncated aof-use-rdb-preamble aof-timestamp-enabled
	cluster-replica-no-failover cluster-slave-no-failover replica-lazy-flush slave-lazy-flush
	replica-serve-stale-data slave-serve-stale-data replica-read-only slave-read-only
	replica-ignore-maxmemory slave-ignore-maxmemory jemalloc-bg-thread activedefrag
	syslog-enabled cluster-enabled appendonly cluster-allow-reads-when-down
	cluster-allow-pubsubshard-when-down crash-log-enabled crash-memcheck-enabled
	use-exit-on-panic disable-thp cluster-allow-replica-migration replica-announced
	latency-tracking aof-disable-auto-gc replica-ignore-disk-write-errors tls-cluster
	tls-replication tls-prefer-server-ciphers tls-session-caching`)

// enumDirectives take one of their values; a flags enum (shutdown-on-sig*) takes several.
var enumDirectives = map[string][]string{
	"supervised":                      {"upstart", "systemd", "auto", "no"},
	"syslog-facility":                 {"user", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"},
	"repl-diskless-load":              {"disabled", "on-empty-db", "swapdb"},
	"loglevel":                        {"debug", "verbose", "notice", "warning"},
	"maxmemory-policy":                {"volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl", "allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction"},
	"appendfsync":                     {"everysec", "always", "no"},
	"oom-score-adj":                   {"no", "yes", "relative", "absolute"},
	"acl-pubsub-default":              {"allchannels", "resetchannels"},
	"sanitize-dump-payload":           {"no", "yes", "clients"},
	"enable-protected-configs":        {"no", "yes", "local"},
	"enable-debug-command":            {"no", "yes", "local"},
	"enable-module-command":           {"no", "yes", "local"},
	"cluster-preferred-endpoint-type": {"ip", "hostname", "unknown-endpoint"},
	"propagation-error-behavior":      {"ignore", "panic", "panic-on-replicas"},
	"shutdown-on-sigint":              {"default", "save", "nosave", "now", "force"},
	"shutdown-on-sigterm":             {"default", "save", "nosave", "now", "force"},
	"tls-auth-clients":                {"no", "yes", "optional"},
}

// deprecatedDirectives are accepted with one argument and ignored.
var deprecatedDirectives = strings.Fields(`list-max-ziplist-entries list-max-ziplist-value lua-replicate-commands`)

type directiveKind int

const (
	kindOne directiveKind = iota + 1
	kindMulti
	kindBool
	kindEnum
	kindDeprecated
)

var directiveKinds = func() map[string]directiveKind {
	m := map[string]directiveKind{}
	for kind, names := range map[directiveKind][]string{kindOne: otherDirectives, kindMulti: multiArgDirectives,
		kindBool: boolDirectives, kindDeprecated: deprecatedDirectives} {
		for _, n := range names {
			m[n] = kind
		}
	}
	for n := range enumDirectives {
		m[n] = kindEnum
	}
	return m
}()

// checkDirective returns Redis's reason for refusing a server directive, or "" when
// redis-sentinel accepts it (C: loadServerConfigFromString). args[0] is lower case.
func checkDirective(args []string) string {
	name, n := args[0], len(args)
	kind, known := directiveKinds[name]
	switch {
	case known && kind == kindDeprecated:
		if n == 2 {
			return ""
		}
	case known && kind == kindMulti:
		return ""
	case strings.HasPrefix(name, "shutdown-on-sig") && n >= 2:
		return checkEnum(name, strings.Join(args[1:], " "))
	case known && n != 2:
		return "wrong number of arguments"
	case kind == kindBool:
		if !strings.EqualFold(args[1], "yes") && !strings.EqualFold(args[1], "no") {
			return "argument must be 'yes' or 'no'"
		}
		return ""
	case kind == kindEnum:
		return checkEnum(name, args[1])
	case known:
		return ""
	case strings.Contains(name, "."):
		if n < 2 {
			return "Module config specified without value"
		}
		return ""
	case name == "sentinel":
		return "" // handled by the sentinel package; alone on its line, Redis ignores it
	case name == "include" && n == 2, name == "rename-command" && n == 3, name == "loadmodule" && n >= 2:
		return fmt.Sprintf("'%s' is not supported by gosentinel (see sentinel/DEVIATIONS.md)", name)
	}
	return "Bad directive or wrong number of arguments"
}

// checkEnum checks an enum value; shutdown-on-sig* take several, space-separated.
func checkEnum(name, value string) string {
	allowed := enumDirectives[name]
	words := []string{value}
	if strings.HasPrefix(name, "shutdown-on-sig") {
		words = strings.Fields(value)
	}
	for _, w := range words {
		ok := false
		for _, a := range allowed {
			ok = ok || strings.EqualFold(w, a)
		}
		if !ok {
			return "argument(s) must be one of the following: " + strings.Join(allowed, ", ")
		}
	}
	return ""
}
