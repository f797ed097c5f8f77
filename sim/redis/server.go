// Package redis is a simulated redis-server 7.0: the commands, replies and INFO fields
// Sentinel and Sentinel-aware clients use, asynchronous replication with PSYNC2
// replication ids and offsets, and persistence across kills. It runs as a program of
// the simulation kernel; everything it does goes through the kernel's clock and network.
package redis

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sentinelsim/sentinelsim/resp"
	"github.com/sentinelsim/sentinelsim/sim/kernel"
)

// Config is a node's redis.conf: its port and options, in file order.
type Config struct {
	Port    int
	Options [][2]string
}

// Server is a redis-server program. Its fields outside node are its disk: the rewritten
// config file and, with appendonly yes, the dataset; they survive kills.
type Server struct {
	port    int
	options map[string]string // the config file, as CONFIG REWRITE leaves it
	// With appendonly yes every write goes to the append-only file. A process kill
	// loses none of it (it is in the OS's page cache), so the next incarnation loads the
	// dataset the last one left; a power loss keeps only aofSynced, the content as of
	// the last fsync (every second with appendfsync everysec, every write with always).
	aof       bool
	aofSynced *dataset
	powerLost bool
	// rdb is the RDB file: a replica writes the snapshot of a full sync to it before loading
	// it (repl-diskless-load disabled, the default), with the master's replication id and
	// offset, and keeps it even without persistence (rdb-del-sync-files no, the default).
	// Save points are not simulated.
	rdb       *dataset
	rdbReplID string // "" when the file holds no replication info
	rdbOffset int64

	// OnWrite, if set, is called for every write a node accepts from a client while it is
	// a master: checkers find split-brain from it.
	OnWrite func(node string, key string)

	n    *node
	proc *kernel.Process
}

// defaults are the options whose values the simulation reads, with Redis's defaults.
var defaults = map[string]string{
	"replicaof": "", "appendonly": "no", "save": "3600 1 300 100 60 10000",
	"appendfsync": "everysec", "replica-priority": "100", "replica-read-only": "yes",
	"replica-serve-stale-data": "yes", "min-replicas-to-write": "0", "min-replicas-max-lag": "10",
	"replica-announce-ip": "", "replica-announce-port": "0", "replica-announced": "yes",
	"repl-diskless-sync-delay": "5", "repl-ping-replica-period": "10", "repl-backlog-ttl": "3600",
	"repl-diskless-load": "disabled", "rdb-del-sync-files": "no", "repl-backlog-size": "1048576", "repl-timeout": "60",
	"requirepass": "", "protected-mode": "yes", "bind": "* -::*", "bind-source-addr": "",
	"dir": "/var/lib/redis", "dbfilename": "dump.rdb", "loglevel": "notice", "daemonize": "no",
}

// New checks a config and returns the program.
func New(cfg Config) (*Server, error) {
	s := &Server{port: cfg.Port, options: map[string]string{}}
	for k, v := range defaults { //determinism:ok copying a map into a map
		s.options[k] = v
	}
	for _, o := range cfg.Options {
		key := canonicalOption(o[0])
		if _, ok := defaults[key]; !ok {
			return nil, fmt.Errorf("redis: unsupported option %q", o[0])
		}
		if key == "replicaof" && o[1] != "" {
			if _, _, err := parseHostPort(o[1]); err != nil {
				return nil, fmt.Errorf("redis: replicaof %q: %v", o[1], err)
			}
		}
		s.options[key] = o[1]
	}
	s.aof = s.options["appendonly"] == "yes"
	return s, nil
}

func parseHostPort(v string) (string, int, error) {
	f := strings.Fields(v)
	if len(f) != 2 {
		return "", 0, fmt.Errorf("want host and port")
	}
	p, err := strconv.Atoi(f[1])
	if err != nil || p <= 0 || p > 65535 {
		return "", 0, fmt.Errorf("bad port %q", f[1])
	}
	return f[0], p, nil
}

// Start boots an incarnation: load what persistence kept, listen, and connect to the
// master if the config file says so.
func (s *Server) Start(p *kernel.Process) {
	s.proc = p
	prev := s.n
	n := &node{srv: s, p: p, started: p.Monotonic(), data: newDataset(), clientID: 0}
	s.n = n
	n.runID = randomHex(p)
	n.replID = randomHex(p)
	n.replID2 = nullReplID
	n.secondOffset = -1
	n.selDB = -1
	host, port, err := parseHostPort(s.options["replicaof"])
	replica := err == nil
	switch {
	case s.aof && s.powerLost && s.aofSynced != nil:
		n.data = s.aofSynced.clone()
	case s.aof && !s.powerLost && prev != nil:
		n.data = prev.data // the dead incarnation no longer touches it
	case s.rdb != nil:
		// loadDataFromDisk: the RDB's replication info gives a replica a history to
		// continue, and a master its previous id.
		n.data = s.rdb.clone()
		if s.rdbReplID != "" {
			if replica {
				n.replID, n.offset, n.cached = s.rdbReplID, s.rdbOffset, true
			} else {
				n.replID2, n.secondOffset, n.offset = s.rdbReplID, s.rdbOffset+1, s.rdbOffset
				n.createBacklog()
			}
		}
	}
	s.powerLost = false
	n.loadingUntil = p.Monotonic() + loadTime(n.data)
	if err := p.Listen(s.port, n.accept); err != nil {
		p.Exit(1)
		return
	}
	if replica {
		// Loading blocks a real server; its first replicationCron, right after, connects.
		n.masterHost, n.masterPort = host, port
		p.After(loadTime(n.data)+time.Millisecond, func() {
			if n.masterHost != "" && n.link == linkNone {
				n.connectToMaster()
			}
		})
	}
	n.cron()
}

// PowerLoss drops what the disk had not synced: with appendfsync everysec or no, the
// writes since the last fsync.
func (s *Server) PowerLoss() {
	s.powerLost = s.aof && s.options["appendfsync"] != "always"
}

// Alive reports whether an incarnation is running.
func (s *Server) Alive() bool { return s.proc != nil && s.proc.Alive() && s.n != nil }

// Role is "master" or "slave".
func (s *Server) Role() string {
	if s.n == nil || s.n.masterHost == "" {
		return "master"
	}
	return "slave"
}

// Master is the address the node replicates from ("" for a master) and whether its
// link is up.
func (s *Server) Master() (host string, port int, linkUp bool) {
	if s.n == nil {
		return "", 0, false
	}
	return s.n.masterHost, s.n.masterPort, s.n.link == linkConnected
}

// Offset is the node's replication offset.
func (s *Server) Offset() int64 {
	if s.n == nil {
		return 0
	}
	return s.n.offset
}

// Snapshot returns the dataset as sorted "key=value" strings, for tests and checkers.
func (s *Server) Snapshot() []string {
	if s.n == nil {
		return nil
	}
	return s.n.data.describe()
}

func randomHex(p *kernel.Process) string {
	const digits = "0123456789abcdef"
	var b [40]byte
	for i := range b {
		b[i] = digits[p.Rand().IntN(16)]
	}
	return string(b[:])
}

// dataset is the keyspace: strings, sets and lists.
type dataset struct {
	strs  map[string]string
	sets  map[string]*memberSet
	lists map[string][]string
}

func newDataset() *dataset {
	return &dataset{strs: map[string]string{}, sets: map[string]*memberSet{}, lists: map[string][]string{}}
}

func (d *dataset) clone() *dataset {
	c := newDataset()
	for k, v := range d.strs { //determinism:ok copying
		c.strs[k] = v
	}
	for k, v := range d.sets { //determinism:ok copying
		c.sets[k] = v.clone()
	}
	for k, v := range d.lists { //determinism:ok copying
		c.lists[k] = append([]string(nil), v...)
	}
	return c
}

func (d *dataset) size() int { return len(d.strs) + len(d.sets) + len(d.lists) }

// elements counts what a load or a transfer has to read: strings, set members, list
// elements.
func (d *dataset) elements() int {
	n := len(d.strs)
	for _, m := range d.sets { //determinism:ok summing
		n += m.len()
	}
	for _, l := range d.lists { //determinism:ok summing
		n += len(l)
	}
	return n
}

func (d *dataset) describe() []string {
	var out []string
	for k, v := range d.strs { //determinism:ok sorted below
		out = append(out, k+"="+v)
	}
	for k, v := range d.sets { //determinism:ok sorted below
		out = append(out, k+"="+strings.Join(v.sorted(), ","))
	}
	for k, v := range d.lists { //determinism:ok sorted below
		out = append(out, k+"=["+strings.Join(v, ",")+"]")
	}
	sort.Strings(out)
	return out
}

// snapshot encodes a dataset for a full sync.
func (d *dataset) snapshot() resp.Value {
	var cmds []resp.Value
	for _, k := range sortedKeys(d.strs) {
		cmds = append(cmds, resp.BulkArray("SET", k, d.strs[k]))
	}
	for _, k := range sortedKeys(d.sets) {
		cmds = append(cmds, resp.BulkArray(append([]string{"SADD", k}, d.sets[k].sorted()...)...))
	}
	for _, k := range sortedKeys(d.lists) {
		cmds = append(cmds, resp.BulkArray(append([]string{"RPUSH", k}, d.lists[k]...)...))
	}
	return resp.Array(cmds...)
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m { //determinism:ok sorted below
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
