package redis

import "math"

// configFlag marks how CONFIG GET and CONFIG SET treat a config (config.c's flags).
type configFlag uint8

const (
	// cfgHidden configs answer CONFIG GET only when named exactly, never to a pattern.
	cfgHidden configFlag = 1 << iota
	// cfgImmutable configs are set at startup only; CONFIG SET refuses them.
	cfgImmutable
	// cfgProtected configs are refused by CONFIG SET unless enable-protected-configs allows.
	cfgProtected
	// cfgDenyLoading configs are refused by CONFIG SET with -LOADING while the dataset loads.
	cfgDenyLoading
	// cfgMultiArg configs take several arguments, split on spaces.
	cfgMultiArg
	// cfgSensitive configs are redacted from logs.
	cfgSensitive
)

// configKind is how a config's value is parsed.
type configKind uint8

const (
	kindBool configKind = iota
	kindString
	kindNumber
	kindEnum
	kindSpecial
)

// numFlags are the ways a number may be written (INTEGER_CONFIG, MEMORY_CONFIG, ...), and
// whether its bounds are checked as unsigned.
type numFlags uint8

const (
	numMemory numFlags = 1 << iota
	numPercent
	numOctal
	numUnsigned
)

// configDef is one config of redis-server 7.0.15: its name, its alias (the old "slave"
// spelling, mostly), its default as CONFIG GET prints it, its flags, and how its value is
// checked: the type of config.c's standardConfig table, with its bounds, its enum values
// and its validation function.
type configDef struct {
	name, alias, def string
	flags            configFlag
	kind             configKind
	lo               int64
	hi               uint64
	num              numFlags
	// values are an enum's names ("relative=yes" is a second name of yes); with
	// cfgMultiArg, names of bit flags, the first one meaning none.
	values []string
	check  func(string) string                  // a value's error, or ""
	apply  func(string) string                  // the value CONFIG GET shows once set
	set    func(args []string) (string, string) // a special config's value, or its error
}

func yesno(name, alias, def string, flags configFlag) configDef {
	return configDef{name: name, alias: alias, def: def, flags: flags, kind: kindBool}
}

func text(name, alias, def string, flags configFlag, check func(string) string) configDef {
	return configDef{name: name, alias: alias, def: def, flags: flags, kind: kindString, check: check}
}

func number(name, alias, def string, flags configFlag, lo int64, hi uint64, num numFlags) configDef {
	return configDef{name: name, alias: alias, def: def, flags: flags, kind: kindNumber, lo: lo, hi: hi, num: num}
}

func choice(name, alias, def string, flags configFlag, values ...string) configDef {
	return configDef{name: name, alias: alias, def: def, flags: flags, kind: kindEnum, values: values}
}

// bitflags is an enum of bit flags, several names at once (the first name is none).
func bitflags(name, alias, def string, f configFlag, values ...string) configDef {
	return choice(name, alias, def, f, values...)
}

// special is a config with a parser of its own: set returns the value CONFIG GET shows,
// or an error.
func special(set func([]string) (string, string), name, alias, def string, flags configFlag) configDef {
	return configDef{name: name, alias: alias, def: def, flags: flags, kind: kindSpecial, set: set}
}

func (c configDef) withCheck(check func(string) string) configDef { c.check = check; return c }
func (c configDef) withApply(apply func(string) string) configDef { c.apply = apply; return c }

// configTable is every config of redis-server 7.0.15 (config.c's static_configs) with its
// type, bounds and flags, and the default CONFIG GET printed on a real 7.0.15 started
// without a config file, except bind, dir and port, which depend on how a server is
// started. The simulation reads only some of them (defaults, server.go); the rest are
// here so that CONFIG GET and CONFIG SET answer what a real server answers.
var configTable = []configDef{
	choice("acl-pubsub-default", "", "resetchannels", 0, "allchannels", "resetchannels"),
	text("aclfile", "", "", cfgImmutable, nil),
	number("acllog-max-len", "", "128", 0, 0, math.MaxInt64, 0),
	number("active-defrag-cycle-max", "", "25", 0, 1, 99, 0),
	number("active-defrag-cycle-min", "", "1", 0, 1, 99, 0),
	number("active-defrag-ignore-bytes", "", "104857600", 0, 1, math.MaxInt64, numMemory|numUnsigned),
	number("active-defrag-max-scan-fields", "", "1000", 0, 1, math.MaxInt64, 0),
	number("active-defrag-threshold-lower", "", "10", 0, 0, 1000, 0),
	number("active-defrag-threshold-upper", "", "100", 0, 0, 1000, 0),
	number("active-expire-effort", "", "1", 0, 1, 10, 0),
	yesno("activedefrag", "", "no", 0).withCheck(noDefrag),
	yesno("activerehashing", "", "yes", 0),
	yesno("always-show-logo", "", "no", cfgImmutable),
	yesno("aof-disable-auto-gc", "", "no", 0),
	yesno("aof-load-truncated", "", "yes", 0),
	yesno("aof-rewrite-incremental-fsync", "", "yes", 0),
	yesno("aof-timestamp-enabled", "", "no", 0),
	yesno("aof-use-rdb-preamble", "", "yes", 0),
	text("aof_rewrite_cpulist", "", "", cfgImmutable, nil),
	text("appenddirname", "", "appendonlydir", cfgImmutable, nil),
	text("appendfilename", "", "appendonly.aof", cfgImmutable, nil),
	choice("appendfsync", "", "everysec", 0, "everysec", "always", "no"),
	yesno("appendonly", "", "no", cfgDenyLoading),
	number("auto-aof-rewrite-min-size", "", "67108864", 0, 0, math.MaxInt64, numMemory),
	number("auto-aof-rewrite-percentage", "", "100", 0, 0, math.MaxInt32, 0),
	text("bgsave_cpulist", "", "", cfgImmutable, nil),
	special(setBind, "bind", "", "* -::*", cfgMultiArg),
	text("bind-source-addr", "", "", 0, nil),
	text("bio_cpulist", "", "", cfgImmutable, nil),
	number("busy-reply-threshold", "lua-time-limit", "5000", 0, 0, math.MaxInt64, 0),
	special(setOutputBufferLimit, "client-output-buffer-limit", "", "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60", cfgMultiArg),
	number("client-query-buffer-limit", "", "1073741824", 0, 1<<20, math.MaxInt64, numMemory|numUnsigned),
	yesno("cluster-allow-pubsubshard-when-down", "", "yes", 0),
	yesno("cluster-allow-reads-when-down", "", "no", 0),
	yesno("cluster-allow-replica-migration", "", "yes", 0),
	number("cluster-announce-bus-port", "", "0", 0, 0, 65535, 0),
	text("cluster-announce-hostname", "", "", 0, announcedHostname),
	text("cluster-announce-ip", "", "", 0, nil),
	number("cluster-announce-port", "", "0", 0, 0, 65535, 0),
	number("cluster-announce-tls-port", "", "0", 0, 0, 65535, 0),
	text("cluster-config-file", "", "nodes.conf", cfgImmutable, nil),
	yesno("cluster-enabled", "", "no", cfgImmutable),
	number("cluster-link-sendbuf-limit", "", "0", 0, 0, math.MaxUint64, numMemory|numUnsigned),
	number("cluster-migration-barrier", "", "1", 0, 0, math.MaxInt32, 0),
	number("cluster-node-timeout", "", "15000", 0, 0, math.MaxInt64, 0),
	number("cluster-port", "", "0", cfgImmutable, 0, 65535, 0),
	choice("cluster-preferred-endpoint-type", "", "ip", 0, "ip", "hostname", "unknown-endpoint"),
	yesno("cluster-replica-no-failover", "cluster-slave-no-failover", "no", 0),
	number("cluster-replica-validity-factor", "cluster-slave-validity-factor", "10", 0, 0, math.MaxInt32, 0),
	yesno("cluster-require-full-coverage", "", "yes", 0),
	yesno("crash-log-enabled", "", "yes", 0),
	yesno("crash-memcheck-enabled", "", "yes", 0),
	yesno("daemonize", "", "no", cfgImmutable),
	number("databases", "", "16", cfgImmutable, 1, math.MaxInt32, 0),
	text("dbfilename", "", "dump.rdb", cfgProtected, baseName("dbfilename")),
	special(setDir, "dir", "", "", cfgProtected|cfgDenyLoading),
	yesno("disable-thp", "", "yes", cfgImmutable),
	yesno("dynamic-hz", "", "yes", 0),
	choice("enable-debug-command", "", "no", cfgImmutable, "no", "yes", "local"),
	choice("enable-module-command", "", "no", cfgImmutable, "no", "yes", "local"),
	choice("enable-protected-configs", "", "no", cfgImmutable, "no", "yes", "local"),
	number("hash-max-listpack-entries", "hash-max-ziplist-entries", "512", 0, 0, math.MaxInt64, numUnsigned),
	number("hash-max-listpack-value", "hash-max-ziplist-value", "64", 0, 0, math.MaxInt64, numMemory|numUnsigned),
	number("hll-sparse-max-bytes", "", "3000", 0, 0, math.MaxInt64, numMemory|numUnsigned),
	number("hz", "", "10", 0, 0, math.MaxInt32, 0).withApply(clampHz),
	text("ignore-warnings", "", "", 0, nil),
	number("io-threads", "", "1", cfgImmutable, 1, 128, 0),
	yesno("io-threads-do-reads", "", "no", cfgImmutable),
	yesno("jemalloc-bg-thread", "", "yes", 0),
	number("key-load-delay", "", "0", cfgHidden, math.MinInt32, math.MaxInt32, 0),
	number("latency-monitor-threshold", "", "0", 0, 0, math.MaxInt64, 0),
	yesno("latency-tracking", "", "yes", 0),
	special(setPercentiles, "latency-tracking-info-percentiles", "", "50 99 99.9", cfgMultiArg),
	yesno("lazyfree-lazy-eviction", "", "no", 0),
	yesno("lazyfree-lazy-expire", "", "no", 0),
	yesno("lazyfree-lazy-server-del", "", "no", 0),
	yesno("lazyfree-lazy-user-del", "", "no", 0),
	yesno("lazyfree-lazy-user-flush", "", "no", 0),
	number("lfu-decay-time", "", "1", 0, 0, math.MaxInt32, 0),
	number("lfu-log-factor", "", "10", 0, 0, math.MaxInt32, 0),
	number("list-compress-depth", "", "0", 0, 0, math.MaxInt32, 0),
	number("list-max-listpack-size", "list-max-ziplist-size", "-2", 0, math.MinInt32, math.MaxInt32, 0),
	number("loading-process-events-interval-bytes", "", "2097152", cfgHidden, 1024, math.MaxInt32, 0),
	text("logfile", "", "", cfgImmutable, nil),
	choice("loglevel", "", "notice", 0, "debug", "verbose", "notice", "warning"),
	text("masterauth", "", "", cfgSensitive, nil),
	text("masteruser", "", "", cfgSensitive, nil),
	number("maxclients", "", "10000", 0, 1, math.MaxUint32, numUnsigned),
	number("maxmemory", "", "0", 0, 0, math.MaxUint64, numMemory|numUnsigned),
	number("maxmemory-clients", "", "0", 0, -100, math.MaxInt64, numMemory|numPercent),
	number("maxmemory-eviction-tenacity", "", "10", 0, 0, 100, 0),
	choice("maxmemory-policy", "", "noeviction", 0, "volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl", "allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction"),
	number("maxmemory-samples", "", "5", 0, 1, math.MaxInt32, 0),
	number("min-replicas-max-lag", "min-slaves-max-lag", "10", 0, 0, math.MaxInt32, 0),
	number("min-replicas-to-write", "min-slaves-to-write", "0", 0, 0, math.MaxInt32, 0),
	yesno("no-appendfsync-on-rewrite", "", "no", 0),
	special(setKeyspaceEvents, "notify-keyspace-events", "", "", 0),
	choice("oom-score-adj", "", "no", 0, "no", "yes", "relative=yes", "absolute"),
	special(setOOMScoreAdjValues, "oom-score-adj-values", "", "0 200 800", cfgMultiArg),
	text("pidfile", "", "", cfgImmutable, nil),
	number("port", "", "6379", 0, 0, 65535, 0),
	text("proc-title-template", "", "{title} {listen-addr} {server-mode}", 0, procTitleTemplate),
	choice("propagation-error-behavior", "", "ignore", 0, "ignore", "panic", "panic-on-replicas"),
	yesno("protected-mode", "", "yes", 0),
	number("proto-max-bulk-len", "", "536870912", 0, 1<<20, math.MaxInt64, numMemory),
	yesno("rdb-del-sync-files", "", "no", 0),
	number("rdb-key-save-delay", "", "0", cfgHidden, math.MinInt32, math.MaxInt32, 0),
	yesno("rdb-save-incremental-fsync", "", "yes", 0),
	yesno("rdbchecksum", "", "yes", cfgImmutable),
	yesno("rdbcompression", "", "yes", 0),
	number("repl-backlog-size", "", "1048576", 0, 1, math.MaxInt64, numMemory),
	number("repl-backlog-ttl", "", "3600", 0, 0, math.MaxInt64, 0),
	yesno("repl-disable-tcp-nodelay", "", "no", 0),
	choice("repl-diskless-load", "", "disabled", cfgDenyLoading, "disabled", "on-empty-db", "swapdb"),
	yesno("repl-diskless-sync", "", "yes", 0),
	number("repl-diskless-sync-delay", "", "5", 0, 0, math.MaxInt32, 0),
	number("repl-diskless-sync-max-replicas", "", "0", 0, 0, math.MaxInt32, 0),
	number("repl-ping-replica-period", "repl-ping-slave-period", "10", 0, 1, math.MaxInt32, 0),
	number("repl-timeout", "", "60", 0, 1, math.MaxInt32, 0),
	text("replica-announce-ip", "slave-announce-ip", "", 0, nil),
	number("replica-announce-port", "slave-announce-port", "0", 0, 0, 65535, 0),
	yesno("replica-announced", "", "yes", 0),
	yesno("replica-ignore-disk-write-errors", "", "no", 0),
	yesno("replica-ignore-maxmemory", "slave-ignore-maxmemory", "yes", 0),
	yesno("replica-lazy-flush", "slave-lazy-flush", "no", 0),
	number("replica-priority", "slave-priority", "100", 0, 0, math.MaxInt32, 0),
	yesno("replica-read-only", "slave-read-only", "yes", 0),
	yesno("replica-serve-stale-data", "slave-serve-stale-data", "yes", 0),
	special(setReplicaOf, "replicaof", "slaveof", "", cfgImmutable|cfgMultiArg),
	text("requirepass", "", "", cfgSensitive, nil),
	choice("sanitize-dump-payload", "", "no", 0, "no", "yes", "clients"),
	special(setSave, "save", "", "3600 1 300 100 60 10000", cfgMultiArg),
	text("server_cpulist", "", "", cfgImmutable, nil),
	number("set-max-intset-entries", "", "512", 0, 0, math.MaxInt64, numUnsigned),
	yesno("set-proc-title", "", "yes", cfgImmutable),
	bitflags("shutdown-on-sigint", "", "default", cfgMultiArg, "default", "save", "nosave", "now", "force").withCheck(saveOrNosave),
	bitflags("shutdown-on-sigterm", "", "default", cfgMultiArg, "default", "save", "nosave", "now", "force").withCheck(saveOrNosave),
	number("shutdown-timeout", "", "10", 0, 0, math.MaxInt32, 0),
	number("slowlog-log-slower-than", "", "10000", 0, -1, math.MaxInt64, 0),
	number("slowlog-max-len", "", "128", 0, 0, math.MaxInt64, 0),
	number("socket-mark-id", "", "0", cfgImmutable, 0, math.MaxUint32, numUnsigned),
	yesno("stop-writes-on-bgsave-error", "", "yes", 0),
	number("stream-node-max-bytes", "", "4096", 0, 0, math.MaxInt64, numMemory|numUnsigned),
	number("stream-node-max-entries", "", "100", 0, 0, math.MaxInt64, 0),
	choice("supervised", "", "no", cfgImmutable, "upstart", "systemd", "auto", "no"),
	yesno("syslog-enabled", "", "no", cfgImmutable),
	choice("syslog-facility", "", "local0", cfgImmutable, "user", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"),
	text("syslog-ident", "", "redis", cfgImmutable, nil),
	number("tcp-backlog", "", "511", cfgImmutable, 0, math.MaxInt32, 0),
	number("tcp-keepalive", "", "300", 0, 0, math.MaxInt32, 0),
	number("timeout", "", "0", 0, 0, math.MaxInt32, 0),
	choice("tls-auth-clients", "", "yes", 0, "no", "yes", "optional"),
	text("tls-ca-cert-dir", "", "", 0, nil),
	text("tls-ca-cert-file", "", "", 0, nil),
	text("tls-cert-file", "", "", 0, nil),
	text("tls-ciphers", "", "", 0, nil),
	text("tls-ciphersuites", "", "", 0, nil),
	text("tls-client-cert-file", "", "", 0, nil),
	text("tls-client-key-file", "", "", 0, nil),
	text("tls-client-key-file-pass", "", "", 0, nil),
	yesno("tls-cluster", "", "no", 0),
	text("tls-dh-params-file", "", "", 0, nil),
	text("tls-key-file", "", "", 0, nil),
	text("tls-key-file-pass", "", "", 0, nil),
	number("tls-port", "", "0", 0, 0, 65535, 0),
	yesno("tls-prefer-server-ciphers", "", "no", 0),
	text("tls-protocols", "", "", 0, nil),
	yesno("tls-replication", "", "no", 0),
	number("tls-session-cache-size", "", "20480", 0, 0, math.MaxInt32, 0),
	number("tls-session-cache-timeout", "", "300", 0, 0, math.MaxInt32, 0),
	yesno("tls-session-caching", "", "yes", 0),
	number("tracking-table-max-keys", "", "1000000", 0, 0, math.MaxInt64, numUnsigned),
	text("unixsocket", "", "", cfgImmutable, nil),
	number("unixsocketperm", "", "0", cfgImmutable, 0, 0o777, numOctal|numUnsigned),
	yesno("use-exit-on-panic", "", "no", cfgHidden),
	number("watchdog-period", "", "0", cfgHidden, 0, math.MaxInt32, 0),
	number("zset-max-listpack-entries", "zset-max-ziplist-entries", "128", 0, 0, math.MaxInt64, numUnsigned),
	number("zset-max-listpack-value", "zset-max-ziplist-value", "64", 0, 0, math.MaxInt64, numMemory|numUnsigned),
}
