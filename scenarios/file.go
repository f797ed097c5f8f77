package scenarios

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"

	"github.com/sentinelsim/sentinelsim/netmodel"
	"github.com/sentinelsim/sentinelsim/resp"
	"github.com/sentinelsim/sentinelsim/sentinel"
	"github.com/sentinelsim/sentinelsim/sim/redis"
	"github.com/sentinelsim/sentinelsim/world"
)

// LoadFile reads a scenario from a YAML file.
func LoadFile(path string) (*Scenario, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, src)
}

// Parse reads a scenario from YAML source; name is the file name errors carry. Every
// error names the line it is about.
func Parse(name string, src []byte) (*Scenario, error) {
	root, err := parseDoc(name, src, "a scenario file")
	if err != nil {
		return nil, err
	}
	l := &loader{lines: map[string]int{}}
	s, err := l.scenario(root)
	if err != nil {
		return nil, err
	}
	s.Source = name
	if err := s.Validate(); err != nil {
		return nil, l.placed(root, err)
	}
	return s, nil
}

// parseDoc parses YAML source holding exactly one document (what names the kind of file
// for the error) and returns its root node.
func parseDoc(name string, src []byte, what string) (ynode, error) {
	f, err := parser.ParseBytes(src, 0)
	if err != nil {
		return ynode{}, fmt.Errorf("%s: %w", name, err)
	}
	if len(f.Docs) != 1 || f.Docs[0].Body == nil {
		return ynode{}, &posError{File: name, Line: 1, Msg: what + " holds exactly one YAML document"}
	}
	root := newRoot(f.Docs[0].Body, name)
	return root.child(root.n), nil
}

// ParseFaults reads a fault schedule (a file holding only faults:, as `sentinelsim shrink`
// writes) and returns the base scenario with exactly those faults and no random ones.
func ParseFaults(name string, src []byte, base *Scenario) (*Scenario, error) {
	root, err := parseDoc(name, src, "a fault schedule")
	if err != nil {
		return nil, err
	}
	fields, err := root.fields("a fault schedule", "faults")
	if err != nil {
		return nil, err
	}
	y, ok := fields["faults"]
	if !ok {
		return nil, &posError{File: name, Line: root.line(), Msg: "a fault schedule needs faults:"}
	}
	l := &loader{s: *base.WithFaults(nil), lines: map[string]int{}}
	if err := l.faults(y); err != nil {
		return nil, err
	}
	s := &l.s
	s.FaultsFile = name
	if err := s.Validate(); err != nil {
		return nil, l.placed(root, err)
	}
	return s, nil
}

// loader turns the syntax tree into a Scenario, section by section.
type loader struct {
	s     Scenario
	redis world.Options // the scenario-wide redis options
	// lines are where the parts of the scenario were read, by the names of fieldError.
	lines map[string]int
}

// placed is an error of Scenario.Validate at the line of what it is about: that part, or
// the section holding it ("hosts" for "hosts.n1"), or the document.
func (l *loader) placed(root ynode, err error) error {
	line := root.line()
	var fe *fieldError
	if errors.As(err, &fe) {
		section, _, _ := strings.Cut(fe.field, ".")
		if n, ok := l.lines[fe.field]; ok {
			line = n
		} else if n, ok := l.lines[section]; ok {
			line = n
		}
	}
	return &posError{File: root.file, Line: line, Msg: err.Error()}
}

func (l *loader) scenario(root ynode) (*Scenario, error) {
	entries, err := root.checked("the scenario", "name", "about", "master-name", "hosts", "sentinel", "redis",
		"nodes", "workload", "faults", "random", "duration", "quiet", "expect", "seeds", "speeds")
	if err != nil {
		return nil, err
	}
	f := map[string]ynode{}
	for _, e := range entries {
		f[e.key] = e.val
		l.lines[e.key] = e.keyAt.line()
	}
	s := &l.s
	s.Topology.MasterName = "mymaster"
	s.Workload = DefaultWorkload
	s.Quiet = 30 * time.Second
	s.Seeds = 3
	s.Expect.Always = []string{"sentinel-safety"}
	for _, req := range []string{"name", "hosts", "duration"} {
		if _, ok := f[req]; !ok {
			return nil, root.errorf("the scenario has no %q", req)
		}
	}
	steps := []struct {
		key string
		fn  func(ynode) error
	}{
		{"name", func(y ynode) (err error) { s.Name, err = y.str("name"); return }},
		{"about", func(y ynode) (err error) { s.About, err = y.str("about"); return }},
		{"master-name", func(y ynode) (err error) { s.Topology.MasterName, err = y.str("master-name"); return }},
		{"redis", l.redisOptions},
		{"speeds", l.speeds},
		{"hosts", l.hosts},
		{"sentinel", l.sentinel},
		{"nodes", l.nodes},
		{"workload", l.workload},
		{"duration", func(y ynode) (err error) { s.Duration, err = y.duration("duration"); return }},
		{"quiet", func(y ynode) (err error) { s.Quiet, err = y.duration("quiet"); return }},
		{"faults", l.faults},
		{"random", l.random},
		{"expect", l.expect},
		{"seeds", func(y ynode) error {
			n, err := y.integer("seeds")
			if err == nil && n < 1 {
				err = y.errorf("seeds must be 1 or more")
			}
			s.Seeds = int(n)
			return err
		}},
	}
	for _, st := range steps {
		if y, ok := f[st.key]; ok {
			if err := st.fn(y); err != nil {
				return nil, err
			}
		}
	}
	return s, nil
}

func (l *loader) redisOptions(y ynode) error {
	opts, err := options(y, "redis", checkRedisOption)
	l.redis = opts
	return err
}

// speeds reads the simulated machine's speeds (redis.SpeedKeys), after those the
// scenario has: `speeds: {transfer-rate: 5mb, load-per-key: 2us}`.
func (l *loader) speeds(y ynode) error {
	opts, err := options(y, "speeds", func(o world.Option) error {
		_, err := redis.ParseSpeeds([][2]string{{o.Key, o.Value}})
		return err
	})
	l.s.Topology.Speeds = l.s.Topology.Speeds.With(opts)
	return err
}

// options reads a mapping of directive to value; check, if set, vets each directive,
// whose error is then reported at its line.
func options(y ynode, what string, check func(world.Option) error) (world.Options, error) {
	entries, err := y.mapping(what)
	if err != nil {
		return nil, err
	}
	var out world.Options
	for _, e := range entries {
		v, err := e.val.str(e.key)
		if err != nil {
			return nil, err
		}
		if v == "" {
			v = `""`
		}
		o := world.Option{Key: e.key, Value: v}
		if err := check(o); err != nil {
			return nil, e.keyAt.errorf("%s: %v", what, err)
		}
		out = append(out, o)
	}
	return out, nil
}

// checkRedisOption asks the simulated redis-server whether it takes a directive: a
// scenario runs in the simulator as well as on real servers, so it may use only the
// options the simulator models.
func checkRedisOption(o world.Option) error {
	args, err := resp.SplitArgs(o.Value)
	if err == nil {
		_, err = redis.New(redis.Config{Port: 6379, Options: [][2]string{{o.Key, strings.Join(args, " ")}}})
	}
	if err == nil && !redis.Modelled(o.Key) {
		err = fmt.Errorf("unsupported option %q", o.Key)
	}
	if err != nil {
		return fmt.Errorf("%s (the simulated redis-server models only the options sentinels and clients depend on)",
			strings.TrimPrefix(err.Error(), "redis: "))
	}
	return nil
}

// sentinelCheck vets a sentinel directive as a sentinel reading its file would: after
// the monitor line, which the scenario's other keys make. perMaster directives are
// written as the options of sentinel: are, "sentinel <option> <master> <value>".
func (l *loader) sentinelCheck(perMaster bool) func(world.Option) error {
	return func(o world.Option) error {
		name := l.s.Topology.MasterName
		line := o.Key + " " + o.Value
		if perMaster {
			line = fmt.Sprintf("sentinel %s %s %s", o.Key, name, o.Value)
		}
		err := sentinel.CheckConfig([]byte(fmt.Sprintf("sentinel monitor %s 127.0.0.1 6379 1\n%s\n", name, line)))
		var ce *sentinel.ConfigError
		if errors.As(err, &ce) {
			return fmt.Errorf("%q: %s", ce.Text, ce.Reason)
		}
		return err
	}
}

// hosts reads the hosts: either the short form `n1: [redis, sentinel, client]`, one of
// each on the default ports, or the long form with an address, port lists and a client
// count.
func (l *loader) hosts(y ynode) error {
	entries, err := y.mapping("hosts")
	if err != nil {
		return err
	}
	t := &l.s.Topology
	for i, e := range entries {
		l.lines["hosts."+e.key] = e.keyAt.line()
		h := world.Host{Name: e.key, Addr: "127.0.0." + strconv.Itoa(i+1)}
		var redis, sentinels []int
		clients := 0
		if !e.val.isMapping() {
			kinds, err := e.val.strs("host " + e.key)
			if err != nil {
				return err
			}
			for _, k := range kinds {
				switch world.Kind(k) {
				case world.Redis:
					redis = append(redis, 6379)
				case world.Sentinel:
					sentinels = append(sentinels, 26379)
				case world.Client:
					clients++
				default:
					return e.val.errorf("host %s: unknown process %q (redis, sentinel or client)", e.key, k)
				}
			}
		} else {
			f, err := e.val.fields("host "+e.key, "addr", "redis", "sentinel", "clients")
			if err != nil {
				return err
			}
			if a, ok := f["addr"]; ok {
				if h.Addr, err = a.str("addr"); err != nil {
					return err
				}
			}
			if redis, err = ports(f, "redis"); err != nil {
				return err
			}
			if sentinels, err = ports(f, "sentinel"); err != nil {
				return err
			}
			if c, ok := f["clients"]; ok {
				n, err := c.integer("clients")
				if err != nil {
					return err
				}
				clients = int(n)
			}
		}
		t.Hosts = append(t.Hosts, h)
		l.addNodes(h.Name, world.Redis, redis, l.redis)
		l.addNodes(h.Name, world.Sentinel, sentinels, nil)
		for c := 1; c <= clients; c++ {
			name := h.Name + "/client"
			if clients > 1 {
				name += ":" + strconv.Itoa(c)
			}
			t.Nodes = append(t.Nodes, world.Node{Name: name, Kind: world.Client, Host: h.Name})
		}
	}
	return nil
}

func ports(f map[string]ynode, key string) ([]int, error) {
	y, ok := f[key]
	if !ok {
		return nil, nil
	}
	ss, err := y.strs(key + " ports")
	if err != nil {
		return nil, err
	}
	out := make([]int, len(ss))
	for i, s := range ss {
		p, err := strconv.Atoi(s)
		if err != nil || p < 1 || p > 65535 {
			return nil, y.errorf("%s: %q is not a port", key, s)
		}
		out[i] = p
	}
	return out, nil
}

func (l *loader) addNodes(host string, kind world.Kind, ports []int, config world.Options) {
	for _, p := range ports {
		name := host + "/" + string(kind)
		if len(ports) > 1 {
			name += ":" + strconv.Itoa(p)
		}
		var cfg world.Options
		if kind == world.Redis {
			cfg = DefaultRedis.With(config)
		}
		l.s.Topology.Nodes = append(l.s.Topology.Nodes, world.Node{Name: name, Kind: kind, Host: host, Port: p, Config: cfg})
	}
}

// monitorOptions are the per-master sentinel options a scenario may set.
var monitorOptions = []string{"down-after-milliseconds", "failover-timeout", "parallel-syncs",
	"master-reboot-down-after-period", "auth-pass", "auth-user"}

// millisecondOptions are the monitor options that count milliseconds. A sentinel reads
// them with atoi, so "5s" would be 5 ms, with no warning: a scenario wants the number
// alone, and says so, rather than run a failover two hundred times too eager.
var millisecondOptions = []string{"down-after-milliseconds", "failover-timeout", "master-reboot-down-after-period"}

func (l *loader) sentinel(y ynode) error {
	entries, err := y.mapping("sentinel")
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.key == "quorum" {
			l.lines["quorum"] = e.keyAt.line()
			q, err := e.val.integer("quorum")
			if err != nil {
				return err
			}
			l.s.Topology.Quorum = int(q)
			continue
		}
		if !contains(monitorOptions, e.key) {
			return e.keyAt.errorf("unknown sentinel option %q (quorum, or one of: %v); per-node sentinel directives go under nodes:", e.key, monitorOptions)
		}
		v, err := e.val.str(e.key)
		if err != nil {
			return err
		}
		if _, err := strconv.ParseInt(v, 10, 64); err != nil && contains(millisecondOptions, e.key) {
			return e.val.errorf("sentinel: %s: %q is not a whole number of milliseconds, like 5000 (a sentinel would read its leading digits)", e.key, v)
		}
		o := world.Option{Key: e.key, Value: v}
		if err := l.sentinelCheck(true)(o); err != nil {
			return e.keyAt.errorf("sentinel: %v", err)
		}
		l.s.Topology.Monitor = append(l.s.Topology.Monitor, o)
	}
	return nil
}

// nodes reads per-node option overrides, as a mapping (`n1/redis: {replica-priority: 0}`)
// or as a list of configuration lines, for directives that repeat
// (`n1/sentinel: ["sentinel known-sentinel mymaster 127.0.0.9 26379 <id>"]`).
func (l *loader) nodes(y ynode) error {
	entries, err := y.mapping("nodes")
	if err != nil {
		return err
	}
	t := &l.s.Topology
	for _, e := range entries {
		idx := -1
		for i, n := range t.Nodes {
			if n.Name == e.key {
				idx = i
			}
		}
		if idx < 0 {
			return e.keyAt.errorf("no node called %q (nodes: %v)", e.key, world.Names(t.Nodes))
		}
		check := checkRedisOption
		switch t.Nodes[idx].Kind {
		case world.Sentinel:
			check = l.sentinelCheck(false)
		case world.Client:
			return e.keyAt.errorf("%s is a client: it takes no options", e.key)
		}
		opts, err := nodeOptions(e.val, "node "+e.key, check)
		if err != nil {
			return err
		}
		t.Nodes[idx].Config = t.Nodes[idx].Config.With(opts)
	}
	return nil
}

func nodeOptions(y ynode, what string, check func(world.Option) error) (world.Options, error) {
	if y.isMapping() {
		return options(y, what, check)
	}
	items := []ynode{y}
	if _, isList := y.n.(*ast.SequenceNode); isList {
		items, _ = y.list(what)
	}
	var out world.Options
	for _, it := range items {
		line, err := it.str(what + " item")
		if err != nil {
			return nil, err
		}
		key, value, ok := strings.Cut(strings.TrimSpace(line), " ")
		if !ok {
			return nil, it.errorf("%s: %q is not a directive with a value", what, line)
		}
		o := world.Option{Key: key, Value: strings.TrimSpace(value)}
		if err := check(o); err != nil {
			return nil, it.errorf("%s: %v", what, err)
		}
		out = append(out, o)
	}
	return out, nil
}

func (l *loader) workload(y ynode) error {
	entries, err := y.checked("workload", "kind", "think", "timeout", "keys", "wait", "wait-timeout", "role-check", "follow-switch")
	if err != nil {
		return err
	}
	w := &l.s.Workload
	for _, e := range entries {
		key, v := e.key, e.val
		switch key {
		case "kind":
			w.Kind, err = v.str(key)
			if err == nil && !contains(Workloads, w.Kind) {
				err = v.errorf("unknown workload %q (known: %v)", w.Kind, Workloads)
			}
		case "think":
			w.Think, err = v.duration(key)
		case "timeout":
			w.Timeout, err = v.duration(key)
		case "wait-timeout":
			w.WaitTimeout, err = v.duration(key)
		case "keys", "wait":
			var n int64
			n, err = v.integer(key)
			if key == "keys" {
				w.Keys = int(n)
			} else {
				w.Wait = int(n)
			}
		case "role-check":
			w.RoleCheck, err = v.boolean(key)
		case "follow-switch":
			w.FollowSwitch, err = v.boolean(key)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// faultKeys are the keys a fault entry may hold besides its kind.
var faultKeys = []string{"at", "for", "by", "ppm", "args", "hosts"}

func (l *loader) faults(y ynode) error {
	items, err := y.list("faults")
	if err != nil {
		return err
	}
	for i, it := range items {
		l.lines["faults."+strconv.Itoa(i+1)] = it.line()
		f, err := l.fault(it)
		if err != nil {
			return err
		}
		if err := f.Validate(l.s.Topology); err != nil {
			return it.errorf("fault %d: %v", i+1, err)
		}
		if n := len(l.s.Faults); n > 0 && f.At < l.s.Faults[n-1].At {
			return it.errorf("fault %d at %v comes before the previous one at %v: list faults in time order", i+1, f.At, l.s.Faults[n-1].At)
		}
		l.s.Faults = append(l.s.Faults, f)
	}
	return nil
}

var faultKinds = []FaultKind{Kill, PowerLoss, Restart, Pause, Resume, ClockJump, Drift, Command, Partition, Cut, Heal, Latency, Loss}

func (l *loader) fault(y ynode) (Fault, error) {
	entries, err := y.mapping("a fault")
	if err != nil {
		return Fault{}, err
	}
	var f Fault
	var kindAt ynode
	extra := map[string]ynode{}
	for _, e := range entries {
		if k := FaultKind(e.key); containsKind(faultKinds, k) {
			if f.Kind != "" {
				return f, e.keyAt.errorf("a fault has one kind; this one has %s and %s", f.Kind, k)
			}
			f.Kind, kindAt = k, e.val
			continue
		}
		if !contains(faultKeys, e.key) {
			return f, e.keyAt.errorf("unknown key %q in a fault (a kind: %v; or: %v)", e.key, faultKinds, faultKeys)
		}
		extra[e.key] = e.val
	}
	if f.Kind == "" {
		return f, y.errorf("the fault names no kind (one of %v)", faultKinds)
	}
	at, ok := extra["at"]
	if !ok {
		return f, y.errorf("the fault has no at:")
	}
	if f.At, err = at.duration("at"); err != nil {
		return f, err
	}
	if v, ok := extra["for"]; ok {
		if f.For, err = v.duration("for"); err != nil {
			return f, err
		}
	}
	if v, ok := extra["hosts"]; ok {
		if f.Hosts, err = v.strs("hosts"); err != nil {
			return f, err
		}
	}
	return f, l.faultBody(&f, kindAt, extra)
}

func containsKind(list []FaultKind, k FaultKind) bool {
	for _, x := range list {
		if x == k {
			return true
		}
	}
	return false
}

// faultBody reads the value of the fault's kind key and the extras that kind uses.
func (l *loader) faultBody(f *Fault, v ynode, extra map[string]ynode) error {
	var err error
	switch f.Kind {
	case Kill, PowerLoss, Restart, Pause, Resume:
		f.Target, err = v.str(string(f.Kind) + " target")
	case ClockJump:
		if f.Target, err = v.str("clock-jump target"); err != nil {
			return err
		}
		by, ok := extra["by"]
		if !ok {
			return v.errorf("clock-jump needs by: (a duration, negative to go back)")
		}
		f.By, err = by.duration("by")
	case Drift:
		if f.Target, err = v.str("drift target"); err != nil {
			return err
		}
		ppm, ok := extra["ppm"]
		if !ok {
			return v.errorf("drift needs ppm:")
		}
		f.PPM, err = ppm.integer("ppm")
	case Command:
		if f.Target, err = v.str("command target"); err != nil {
			return err
		}
		args, ok := extra["args"]
		if !ok {
			return v.errorf("command needs args: (the command and its arguments)")
		}
		f.Args, err = args.strs("args")
	case Partition:
		groups, err := v.list("partition")
		if err != nil {
			return err
		}
		for _, g := range groups {
			hosts, err := g.strs("a partition group")
			if err != nil {
				return err
			}
			f.Groups = append(f.Groups, hosts)
		}
	case Cut:
		sides, err := v.fields("cut", "from", "to")
		if err != nil {
			return err
		}
		from, okF := sides["from"]
		to, okT := sides["to"]
		if !okF || !okT {
			return v.errorf("cut needs from: and to:")
		}
		if f.From, err = from.strs("from"); err != nil {
			return err
		}
		f.To, err = to.strs("to")
		return err
	case Heal:
		hosts, err := v.strs("heal")
		if err != nil {
			return err
		}
		if len(hosts) != 1 || hosts[0] != "all" {
			f.Hosts = hosts
		}
	case Latency:
		f.Dist, err = dist(v)
	case Loss:
		f.Rate, err = v.float("loss")
	}
	return err
}

// dist reads a latency: a plain duration (fixed), or {uniform: [min, max]} or
// {long-tail: [median, p99]}.
func dist(v ynode) (netmodel.Dist, error) {
	if d, err := v.duration("latency"); err == nil {
		return netmodel.Dist{Kind: netmodel.Fixed, Min: d}, nil
	}
	entries, err := v.checked("latency", string(netmodel.Uniform), string(netmodel.LongTail))
	if err != nil || len(entries) != 1 {
		return netmodel.Dist{}, v.errorf("latency is a duration, {uniform: [min, max]} or {long-tail: [median, p99]}")
	}
	kind, bounds := entries[0].key, entries[0].val
	items, err := bounds.list(kind)
	if err != nil || len(items) != 2 {
		return netmodel.Dist{}, bounds.errorf("%s takes two durations", kind)
	}
	lo, err := items[0].duration(kind)
	if err != nil {
		return netmodel.Dist{}, err
	}
	hi, err := items[1].duration(kind)
	if err != nil {
		return netmodel.Dist{}, err
	}
	return netmodel.Dist{Kind: netmodel.DistKind(kind), Min: lo, Max: hi}, nil
}

func (l *loader) random(y ynode) error {
	f, err := y.fields("random", "interval", "kinds", "max-for")
	if err != nil {
		return err
	}
	r := &RandomFaults{Interval: 5 * time.Second, MaxFor: 20 * time.Second, Kinds: RandomKinds}
	if v, ok := f["interval"]; ok {
		if r.Interval, err = v.duration("interval"); err != nil {
			return err
		}
	}
	if v, ok := f["max-for"]; ok {
		if r.MaxFor, err = v.duration("max-for"); err != nil {
			return err
		}
	}
	if v, ok := f["kinds"]; ok {
		if r.Kinds, r.Weights, err = weightedKinds(v); err != nil {
			return err
		}
	}
	if err := r.Validate(); err != nil {
		return y.errorf("%v", err)
	}
	l.s.Random = r
	return nil
}

// weightedKinds reads the kinds of random faults: a list, every kind weighing 1, or a
// mapping of kind to weight, {partition: 3, kill: 1}.
func weightedKinds(v ynode) ([]FaultKind, map[FaultKind]int, error) {
	if !v.isMapping() {
		kinds, err := v.strs("kinds")
		out := make([]FaultKind, len(kinds))
		for i, k := range kinds {
			out[i] = FaultKind(k)
		}
		return out, nil, err
	}
	entries, err := v.mapping("kinds")
	if err != nil {
		return nil, nil, err
	}
	var kinds []FaultKind
	weights := map[FaultKind]int{}
	for _, e := range entries {
		w, err := e.val.integer("the weight of " + e.key)
		if err != nil {
			return nil, nil, err
		}
		kinds = append(kinds, FaultKind(e.key))
		weights[FaultKind(e.key)] = int(w)
	}
	return kinds, weights, nil
}

func (l *loader) expect(y ynode) error {
	entries, err := y.checked("expect", "always", "finds")
	if err != nil {
		return err
	}
	e := Expect{}
	for _, en := range entries {
		props, err := en.val.strs(en.key)
		if err != nil {
			return err
		}
		if err := (Expect{Always: props}).Validate(); err != nil {
			return en.val.errorf("%v", err)
		}
		if en.key == "always" {
			e.Always = props
		} else {
			e.Finds = props
		}
	}
	l.s.Expect = e
	return nil
}
