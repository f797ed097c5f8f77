package scenarios

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sentinelsim/sentinelsim/netmodel"
	"github.com/sentinelsim/sentinelsim/world"
)

// FaultKind names a fault of a scenario's timeline.
type FaultKind string

// Process faults act on a target (a node, every node of a host, or a selector); network
// faults act on hosts.
const (
	Kill      FaultKind = "kill"
	PowerLoss FaultKind = "power-loss"
	Restart   FaultKind = "restart"
	Pause     FaultKind = "pause"
	Resume    FaultKind = "resume"
	ClockJump FaultKind = "clock-jump"
	Drift     FaultKind = "drift"
	Command   FaultKind = "command"
	Partition FaultKind = "partition"
	Cut       FaultKind = "cut"
	Heal      FaultKind = "heal"
	Latency   FaultKind = "latency"
	Loss      FaultKind = "loss"
)

// Selectors name nodes and hosts by their role at the moment the fault happens.
const (
	// SelectMaster is the redis node that is master now (in a partition: its host).
	SelectMaster = "master"
	// SelectReplica is the first live replica, in topology order.
	SelectReplica = "replica"
	// SelectRest, in a partition group, is every host not named in another group.
	SelectRest = "rest"
)

// Fault is one entry of a fault timeline.
type Fault struct {
	At   time.Duration
	Kind FaultKind
	// Target is what a process fault acts on: a node name, a host name (every redis and
	// sentinel of that host), or a selector.
	Target string
	// Groups are a partition's sides; From and To a cut's; Hosts limit heal, latency and
	// loss. All name hosts (or selectors).
	Groups   [][]string
	From, To []string
	Hosts    []string
	Dist     netmodel.Dist
	Rate     float64
	By       time.Duration // clock-jump
	PPM      int64         // drift
	Args     []string      // command
	// For, when set, undoes the fault after this long: resume after pause, restart after
	// kill or power loss, heal after a partition or cut, the opposite jump after a clock
	// jump.
	For time.Duration

	// An undo entry of a running timeline: it acts on the nodes its fault resolved.
	undo  bool
	nodes []string
}

// Network reports whether the fault acts on the network rather than on processes.
func (f Fault) Network() bool {
	switch f.Kind {
	case Partition, Cut, Heal, Latency, Loss:
		return true
	}
	return false
}

// touchesMaster reports whether the fault may act on the initial master or on a link of
// its host. It may when it names the master (by name, host or selector) or a partition
// side that holds it ("rest" may), and always for latency and loss, which degrade the
// master's links to the hosts they name, and for commands, which may move the master
// (SENTINEL FAILOVER, REPLICAOF). A fault on a replica or a sentinel does not; nor does a
// partition between hosts that are not the master's.
func (f Fault) touchesMaster(t world.Topology) bool {
	m := t.InitialMaster()
	names := func(hosts []string) bool {
		return slices.ContainsFunc(hosts, func(h string) bool { return h == m.Host || h == SelectMaster || h == SelectRest })
	}
	switch f.Kind {
	case Heal:
		return false
	case Latency, Loss, Command:
		return true
	case Partition:
		return names(slices.Concat(f.Groups...))
	case Cut:
		return names(f.From) || names(f.To)
	}
	return f.Target == SelectMaster || f.Target == m.Name || f.Target == m.Host
}

// Validate checks the names the fault uses against the topology.
func (f Fault) Validate(t world.Topology) error {
	if f.For < 0 {
		return fmt.Errorf("negative duration %v", f.For)
	}
	switch f.Kind {
	case Kill, PowerLoss, Restart, Pause, Resume, ClockJump, Drift, Command:
		if err := checkTarget(t, f.Target); err != nil {
			return err
		}
		if f.Kind == Command && len(f.Args) == 0 {
			return fmt.Errorf("command fault without a command")
		}
		if f.For > 0 && (f.Kind == Restart || f.Kind == Resume || f.Kind == Command || f.Kind == Drift) {
			return fmt.Errorf("%s cannot be undone with for:", f.Kind)
		}
		return nil
	case Partition:
		if len(f.Groups) < 2 {
			return fmt.Errorf("a partition needs at least two groups")
		}
		for _, g := range f.Groups {
			if err := checkHosts(t, g, true); err != nil {
				return err
			}
		}
		return nil
	case Cut:
		if len(f.From) == 0 || len(f.To) == 0 {
			return fmt.Errorf("a cut needs from and to")
		}
		if err := checkHosts(t, f.From, true); err != nil {
			return err
		}
		return checkHosts(t, f.To, true)
	case Heal, Latency, Loss:
		if f.For > 0 && f.Kind == Heal {
			return fmt.Errorf("heal cannot be undone with for:")
		}
		if err := checkHosts(t, f.Hosts, false); err != nil {
			return err
		}
		return f.netFault(f.Hosts, nil, nil, nil).Validate()
	}
	return fmt.Errorf("unknown fault %q", f.Kind)
}

func checkTarget(t world.Topology, target string) error {
	if target == SelectMaster || target == SelectReplica {
		return nil
	}
	if _, ok := t.Node(target); ok {
		return nil
	}
	if _, ok := t.Host(target); ok {
		return nil
	}
	return fmt.Errorf("no node or host called %q (nodes: %s)", target, strings.Join(world.Names(t.Nodes), ", "))
}

func checkHosts(t world.Topology, hosts []string, selectors bool) error {
	for _, h := range hosts {
		if selectors && (h == SelectMaster || h == SelectRest) {
			continue
		}
		if _, ok := t.Host(h); !ok {
			names := make([]string, len(t.Hosts))
			for i, x := range t.Hosts {
				names[i] = x.Name
			}
			return fmt.Errorf("no host called %q (hosts: %s)", h, strings.Join(names, ", "))
		}
	}
	return nil
}

// netFault converts a network fault to netmodel's vocabulary, with hosts already resolved
// to addresses.
func (f Fault) netFault(hosts []string, groups [][]string, from, to []string) netmodel.Fault {
	kinds := map[FaultKind]netmodel.FaultKind{Partition: netmodel.Partition, Cut: netmodel.Cut,
		Heal: netmodel.Heal, Latency: netmodel.Latency, Loss: netmodel.Loss}
	return netmodel.Fault{Kind: kinds[f.Kind], Groups: groups, From: from, To: to, Hosts: hosts, Dist: f.Dist, Rate: f.Rate}
}

// String renders the fault as a timeline line: "10s partition n1,n2 | n3,n4,n5".
func (f Fault) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%v %s", f.At, f.Kind)
	switch f.Kind {
	case Partition:
		sides := make([]string, len(f.Groups))
		for i, g := range f.Groups {
			sides[i] = strings.Join(g, ",")
		}
		b.WriteString(" " + strings.Join(sides, " | "))
	case Cut:
		fmt.Fprintf(&b, " %s -> %s", strings.Join(f.From, ","), strings.Join(f.To, ","))
	case Heal, Latency, Loss:
		if len(f.Hosts) > 0 {
			b.WriteString(" " + strings.Join(f.Hosts, ","))
		}
		if f.Kind == Latency {
			b.WriteString(" " + f.Dist.String())
		}
		if f.Kind == Loss {
			fmt.Fprintf(&b, " %g", f.Rate)
		}
	default:
		b.WriteString(" " + f.Target)
		switch f.Kind {
		case ClockJump:
			fmt.Fprintf(&b, " by %v", f.By)
		case Drift:
			fmt.Fprintf(&b, " %dppm", f.PPM)
		case Command:
			b.WriteString(" " + strings.Join(f.Args, " "))
		}
	}
	if f.For > 0 {
		fmt.Fprintf(&b, " for %v", f.For)
	}
	return b.String()
}

// RandomFaults draws a fault schedule from the seed: on average one fault every Interval,
// of the given kinds, each undone after up to MaxFor. Weights make some kinds more
// frequent than others: a kind of weight 3 is drawn three times as often as one of
// weight 1, so that each kind has a rate of its own, weight/total per Interval.
type RandomFaults struct {
	Interval time.Duration
	Kinds    []FaultKind
	// Weights are the kinds' relative frequencies; a kind not in it (every kind, when it
	// is nil) weighs 1.
	Weights map[FaultKind]int
	MaxFor  time.Duration
}

// RandomKinds are the kinds a random schedule may draw.
var RandomKinds = []FaultKind{Partition, Cut, Kill, Pause, ClockJump, Latency, Loss}

// Validate reports a generator that cannot draw.
func (r *RandomFaults) Validate() error {
	if r.Interval <= 0 || r.MaxFor <= 0 {
		return fmt.Errorf("random faults need a positive interval and max-for")
	}
	if len(r.Kinds) == 0 {
		return fmt.Errorf("random faults need at least one kind")
	}
	for _, k := range r.Kinds {
		if !containsKind(RandomKinds, k) {
			return fmt.Errorf("random faults cannot draw %q (they can draw %v)", k, RandomKinds)
		}
	}
	for _, k := range sortedKinds(r.Weights) {
		if !containsKind(r.Kinds, k) {
			return fmt.Errorf("random faults weigh %s, which is not one of their kinds %v", k, r.Kinds)
		}
		if r.Weights[k] < 1 {
			return fmt.Errorf("random faults: %s has weight %d; weights are 1 or more (leave a kind out not to draw it)", k, r.Weights[k])
		}
	}
	return nil
}

// weight is how often the generator draws kind k, relative to the others.
func (r *RandomFaults) weight(k FaultKind) int {
	if w, ok := r.Weights[k]; ok {
		return w
	}
	return 1
}

func sortedKinds(m map[FaultKind]int) []FaultKind {
	out := make([]FaultKind, 0, len(m))
	for k := range m { // sorted below
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// YAML writes the fault as one entry of a scenario file's faults: list, in flow style:
// {at: 10s, kill: master, for: 20s}. Reading it back gives the same fault.
func (f Fault) YAML() string {
	list := func(ss []string) string { return "[" + strings.Join(ss, ", ") + "]" }
	var body string
	switch f.Kind {
	case Partition:
		sides := make([]string, len(f.Groups))
		for i, g := range f.Groups {
			sides[i] = list(g)
		}
		body = list(sides)
	case Cut:
		body = fmt.Sprintf("{from: %s, to: %s}", list(f.From), list(f.To))
	case Heal:
		body = "all"
		if len(f.Hosts) > 0 {
			body = list(f.Hosts)
		}
	case Latency:
		switch f.Dist.Kind {
		case netmodel.Fixed:
			body = f.Dist.Min.String()
		default:
			body = fmt.Sprintf("{%s: [%v, %v]}", f.Dist.Kind, f.Dist.Min, f.Dist.Max)
		}
	case Loss:
		body = fmt.Sprintf("%g", f.Rate)
	default:
		body = f.Target
	}
	out := fmt.Sprintf("{at: %v, %s: %s", f.At, f.Kind, body)
	if (f.Kind == Latency || f.Kind == Loss) && len(f.Hosts) > 0 {
		out += ", hosts: " + list(f.Hosts)
	}
	switch f.Kind {
	case ClockJump:
		out += fmt.Sprintf(", by: %v", f.By)
	case Drift:
		out += fmt.Sprintf(", ppm: %d", f.PPM)
	case Command:
		out += ", args: " + list(f.Args)
	}
	if f.For > 0 {
		out += fmt.Sprintf(", for: %v", f.For)
	}
	return out + "}"
}
