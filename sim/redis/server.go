// Package redis is a simulated redis-server 7.0: the commands, replies and INFO fields
// Sentinel and Sentinel-aware clients use, asynchronous replication with PSYNC2
// replication ids and offsets, and persistence across kills. It runs as a program of
// the simulation kernel; everything it does goes through the kernel's clock and network.
package redis

import (
	"fmt"
	"maps"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sentinelsim/sentinelsim/resp"
	"github.com/sentinelsim/sentinelsim/sim/kernel"
)

// Config is a node's redis.conf: its port and options, in file order, and the speeds of
// the simulated machine.
type Config struct {
	Port    int
	Options [][2]string
	Speeds  Speeds
}

// Server is a redis-server program. Its fields outside node are what outlives an
// incarnation: its disk (the config file, the RDB file, the append-only file) and, in
// options, the running config, which every start reads afresh from the file.
type Server struct {
	port int
	file map[string]string // the config file, as CONFIG REWRITE leaves it
	// fileUsers are the file's user directives: a name and its ACL rules.
	fileUsers []string
	options   map[string]string // the running config: the file's, then CONFIG SET's
	// hot is the part of options that every command reads, parsed.
	hot    hotOptions
	speeds Speeds
	// rdb is the RDB file, with the replication id and offset it was saved with ("" when
	// it holds no replication info). A save point, BGSAVE, SAVE, SHUTDOWN and a full sync
	// to disk write it; a replica writes the snapshot of its full sync to it before loading
	// it (repl-diskless-load disabled, the default) and keeps it (rdb-del-sync-files no).
	// Redis fsyncs it before renaming it into place, so a power loss keeps it.
	rdb       *dataset
	rdbReplID string
	rdbOffset int64
	// aofFile is the append-only file, nil when there is none. While an incarnation has
	// AOF on, every write goes to it: a process kill loses none of it (it is in the OS's
	// page cache), so the next incarnation finds its last dataset there; a power loss
	// keeps only aofSynced, the content as of the last fsync (see fsync).
	aofFile   *dataset
	aofSynced *dataset
	powerLost bool
	// aofBaseKeys are the keys of the AOF's base (its last rewrite), aofChanges the changes
	// its incremental file holds since: a load replays them and counts them as unsaved.
	aofBaseKeys, aofChanges int64
	// powerLosses counts the host's power losses: a child process (BGSAVE) that outlives
	// its parent's kill dies with the host.
	powerLosses int

	// OnWrite, if set, is called for every write a node accepts from a client while it is
	// a master: checkers find split-brain from it.
	OnWrite func(node string, key string)
	// OnRole, if set, is called whenever the node's role changes: "master" or "slave"
	// when an incarnation starts (as its config file says) and on REPLICAOF, and "" when
	// it shuts down. A kill is the caller's to record: the server is not told of it.
	// Checkers judge stale reads against the master timeline it gives.
	OnRole func(node string, role string)
	// role is the role last given to OnRole.
	role string

	n    *node
	proc *kernel.Process
}

// Speeds are how fast the simulated machine moves data: settings of the simulation, not
// Redis options. A zero field takes the default, measured with redis-server 7.0.15 on
// this project's machines over loopback (fidelity/README.md has the numbers). Sizes are
// the dataset's RDB size (dataset.rdbBytes).
type Speeds struct {
	// Save is the rate, in bytes per second, at which a child writes an RDB file (BGSAVE,
	// SAVE, a save point, SHUTDOWN, a full sync to disk) or rewrites the AOF.
	Save int64
	// Transfer is the rate at which a full sync's RDB reaches a replica (in a diskless
	// sync the master's child produces it as fast as it goes out).
	Transfer int64
	// LoadPerKey and Load are what loading an RDB or AOF costs: LoadPerKey for every key
	// and element, plus the bytes at Load bytes per second.
	LoadPerKey time.Duration
	Load       int64
}

// DefaultSpeeds are the speeds measured on loopback: 500,000 keys of 100-byte values
// (57 MB of RDB) were saved in 0.9 s, sent to a replica in 1.06 s and loaded in 0.39 s;
// 1,000,000 keys of 8-byte values (21 MB) in 0.49 s, 0.57 s and 0.76 s.
var DefaultSpeeds = Speeds{Save: 50e6, Transfer: 50e6, LoadPerKey: 700 * time.Nanosecond, Load: 500e6}

// infoCost is the CPU time redis-server 7.0.15 takes for INFO with no argument, the one
// Sentinel sends: usec_per_call of cmdstat_info is 56 us on this project's machines
// (PING 0.9 us, PUBLISH 1.9 us; fidelity/README.md). The simulated server charges it;
// other commands cost nothing next to the 20 us loopback latency. It matters to Sentinel:
// the replies of the PUBLISHes a sentinel sends to its peers in the tick of an INFO come
// back before that INFO's reply, as they do on real machines.
const infoCost = 56 * time.Microsecond

func (s Speeds) withDefaults() Speeds {
	if s.Save == 0 {
		s.Save = DefaultSpeeds.Save
	}
	if s.Transfer == 0 {
		s.Transfer = DefaultSpeeds.Transfer
	}
	if s.LoadPerKey == 0 {
		s.LoadPerKey = DefaultSpeeds.LoadPerKey
	}
	if s.Load == 0 {
		s.Load = DefaultSpeeds.Load
	}
	return s
}

// SpeedKeys name the fields of Speeds in a scenario (its speeds: section): three rates
// in bytes per second, with Redis's memory units (50mb is 50 MiB a second), and the
// cost of loading a key as a duration (700ns).
var SpeedKeys = []string{"save-rate", "transfer-rate", "load-rate", "load-per-key"}

// ParseSpeeds reads speeds given by SpeedKeys, later ones overriding earlier ones; a
// field not given takes the default. A speed must be positive.
func ParseSpeeds(settings [][2]string) (Speeds, error) {
	var s Speeds
	for _, kv := range settings {
		key, v := asciiLower(kv[0]), kv[1]
		if key == "load-per-key" {
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				return Speeds{}, fmt.Errorf("load-per-key %q: want a positive duration (700ns)", v)
			}
			s.LoadPerKey = d
			continue
		}
		rate := map[string]*int64{"save-rate": &s.Save, "transfer-rate": &s.Transfer, "load-rate": &s.Load}[key]
		if rate == nil {
			return Speeds{}, fmt.Errorf("unknown speed %q (known: %s)", kv[0], strings.Join(SpeedKeys, ", "))
		}
		n, ok := memtoull(v)
		if !ok || n == 0 || n > 1<<50 {
			return Speeds{}, fmt.Errorf("%s %q: want bytes per second, above 0, with an optional unit (50mb)", key, v)
		}
		*rate = int64(n)
	}
	return s.withDefaults(), nil
}

func atRate(bytes, perSecond int64) time.Duration {
	return time.Duration(float64(bytes) / float64(perSecond) * float64(time.Second))
}

func (s Speeds) save(d *dataset) time.Duration     { return atRate(d.rdbBytes(), s.Save) }
func (s Speeds) transfer(d *dataset) time.Duration { return atRate(d.rdbBytes(), s.Transfer) }
func (s Speeds) load(d *dataset) time.Duration {
	return time.Duration(d.elements())*s.LoadPerKey + atRate(d.rdbBytes(), s.Load)
}

// defaults are the options whose values the simulation reads, with Redis's defaults.
var defaults = map[string]string{
	"replicaof": "", "appendonly": "no", "save": "3600 1 300 100 60 10000",
	"appendfsync": "everysec", "replica-priority": "100", "replica-read-only": "yes",
	"replica-serve-stale-data": "yes", "min-replicas-to-write": "0", "min-replicas-max-lag": "10",
	"replica-announce-ip": "", "replica-announce-port": "0", "replica-announced": "yes",
	"repl-diskless-sync": "yes", "repl-diskless-sync-delay": "5", "repl-ping-replica-period": "10",
	"repl-backlog-ttl": "3600", "repl-diskless-load": "disabled", "rdb-del-sync-files": "no",
	"repl-backlog-size": "1048576", "repl-timeout": "60", "shutdown-timeout": "10", "rdb-key-save-delay": "0", "key-load-delay": "0",
	"requirepass": "", "masterauth": "", "masteruser": "", "acl-pubsub-default": "resetchannels",
	"enable-debug-command": "no", "protected-mode": "yes", "bind": "* -::*", "bind-source-addr": "",
	"dir": "/var/lib/redis", "dbfilename": "dump.rdb", "loglevel": "notice", "daemonize": "no",
}

// New checks a config as Redis checks its config file, and returns the program. Options
// are every config of redis-server 7.0.15 and user directives; several save lines add
// up, as in a config file.
func New(cfg Config) (*Server, error) {
	s := &Server{port: cfg.Port, file: map[string]string{}, speeds: cfg.Speeds.withDefaults()}
	for k, v := range defaults { //determinism:ok copying a map into a map
		s.file[k] = v
	}
	saves := 0
	for _, o := range cfg.Options {
		if o[0] == "user" {
			s.fileUsers = append(s.fileUsers, o[1])
			continue
		}
		e := configIndex[asciiLower(o[0])]
		if e == nil {
			return nil, fmt.Errorf("redis: unknown option %q (Bad directive or wrong number of arguments)", o[0])
		}
		v, err := e.parse(o[1])
		if err != "" {
			return nil, fmt.Errorf("redis: option %s %q: %s", o[0], o[1], err)
		}
		if e.name == "save" {
			if saves++; saves > 1 && v != "" && s.file["save"] != "" {
				v = s.file["save"] + " " + v
			}
		}
		s.file[e.name] = v
	}
	return s, nil
}

// Modelled reports whether the simulation acts on an option (by its name or alias): the
// others are accepted, shown and set as Redis does, and change nothing. A scenario runs
// on real servers too, so it may set only options that both worlds act on.
func Modelled(option string) bool {
	if asciiLower(option) == "user" {
		return true // ACL users, read by New
	}
	e := configIndex[asciiLower(option)]
	if e == nil {
		return false
	}
	_, ok := defaults[e.name]
	return ok
}

// hotOptions are the options read on every command or write, parsed once whenever the
// running config changes (at start and by CONFIG SET), since a map lookup and a parse
// for each would cost about as much as the command.
type hotOptions struct {
	backlogSize                    int64
	minReplicas, minReplicasMaxLag int
	replicaReadOnly, staleData     bool
}

func parseHot(options map[string]string) hotOptions {
	return hotOptions{
		backlogSize:       int64(atoiOpt(options["repl-backlog-size"])),
		minReplicas:       atoiOpt(options["min-replicas-to-write"]),
		minReplicasMaxLag: atoiOpt(options["min-replicas-max-lag"]),
		replicaReadOnly:   options["replica-read-only"] == "yes",
		staleData:         options["replica-serve-stale-data"] != "no",
	}
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

// Start boots an incarnation: read the config file, load what persistence kept, listen,
// and connect to the master if the config file says so.
func (s *Server) Start(p *kernel.Process) {
	s.proc = p
	if prev := s.n; prev != nil && prev.aofState == aofOn {
		prev.closeAOF(s.powerLost)
	}
	s.powerLost = false
	s.options = maps.Clone(s.file)
	s.hot = parseHot(s.options)
	// Two clients without a connection come first (the Lua and functions engines'), so
	// the first connection gets id 3.
	n := &node{srv: s, p: p, started: p.Monotonic(), data: newDataset(), clientID: 2}
	s.n = n
	n.runID = randomHex(p)
	n.replID = randomHex(p)
	n.replID2 = nullReplID
	n.secondOffset = -1
	n.selDB = -1
	n.lastSave = n.unixtime() // at startup the dataset counts as saved
	n.noReplicasSince = n.unixtime()
	n.lastBgsaveOK = true
	n.rdbLastTime, n.aofLastRewriteTime = -1, -1
	if err := n.loadUsers(); err != nil {
		p.Exit(1) // Redis refuses a config file with a bad user directive
		return
	}
	host, port, err := parseHostPort(s.options["replicaof"])
	replica := err == nil
	n.loadFromDisk(replica)
	n.startLoading(n.data)
	if err := p.Listen(s.port, n.accept); err != nil {
		p.Exit(1)
		return
	}
	if replica {
		n.masterHost, n.masterPort = host, port
	}
	s.role = "" // a process starts only after its previous incarnation has died
	n.roleChanged()
	// Loading blocks a real server: its cron first runs once it is done, and connects to
	// the master.
	p.After(n.loadingUntil-p.Monotonic(), n.cron)
}

// startLoading marks the dataset as loading for the time it takes: Speeds.load, plus
// key-load-delay microseconds per key.
func (n *node) startLoading(data *dataset) {
	d := n.srv.speeds.load(data) + time.Duration(data.size()*max(atoiOpt(n.srv.options["key-load-delay"]), 0))*time.Microsecond
	n.loadingStart, n.loadingUntil = n.p.Monotonic(), n.p.Monotonic()+d
	n.loadingStartUnix, n.loadingBytes = n.unixtime(), data.rdbBytes()
}

// PowerLoss drops what the disk had not synced: the AOF's writes since its last fsync
// (see fsync), and whatever a child was writing.
func (s *Server) PowerLoss() {
	s.powerLost = true
	s.powerLosses++
}

// roleChanged tells OnRole the node's role, if it is not what it last told.
func (n *node) roleChanged() {
	role := n.srv.Role()
	if !n.p.Alive() {
		role = ""
	}
	if s := n.srv; s.OnRole != nil && role != s.role {
		s.role = role
		s.OnRole(n.p.Name(), role)
	}
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
	// lastSet is the set looked up last and lastSetKey its key: the workloads add to one
	// set over and over, and comparing the key costs less than a lookup.
	lastSetKey string
	lastSet    *memberSet
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

// rdbBytes estimates the size of the dataset's RDB file: every key costs its length and
// three bytes (its type and two length prefixes), every value, member or element its
// length and a byte. For the datasets DefaultSpeeds was measured with it is within 5 % of
// the real file.
func (d *dataset) rdbBytes() int64 {
	n := int64(0)
	for k, v := range d.strs { //determinism:ok summing
		n += int64(len(k) + len(v) + 3)
	}
	for k, m := range d.sets { //determinism:ok summing
		n += int64(len(k)+3) + m.bytes()
	}
	for k, l := range d.lists { //determinism:ok summing
		n += int64(len(k) + 3)
		for _, e := range l {
			n += int64(len(e) + 1)
		}
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
