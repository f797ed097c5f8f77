package scenarios

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/sentinelsim/sentinelsim/netmodel"
	"github.com/sentinelsim/sentinelsim/sim/kernel"
	"github.com/sentinelsim/sentinelsim/world"
)

// Applied is one fault as it was carried out: with its selectors resolved to nodes and
// hosts, or with the reason it could not be.
type Applied struct {
	At     time.Duration `json:"at_ns"`
	Fault  string        `json:"fault"`
	Nodes  []string      `json:"nodes,omitempty"`
	Hosts  []string      `json:"hosts,omitempty"`
	Undo   bool          `json:"undo,omitempty"`
	Err    string        `json:"error,omitempty"`
	Ending time.Duration `json:"until_ns,omitempty"` // when a fault with for: is undone

	// Unsupported says the world cannot do this kind of fault at all (the real world's
	// clock jumps and latency): the run did not test what the scenario says, and fails.
	Unsupported bool `json:"unsupported,omitempty"`
}

// timeline carries out a fault schedule on a world, undoing faults whose For has passed,
// and records what it did.
type timeline struct {
	ctx     context.Context
	w       world.World
	t       world.Topology
	pending []Fault // sorted by At; undo entries are added as faults are applied
	log     []Applied
}

// newTimeline schedules faults whose times count from now; the timeline stops running
// when ctx ends.
func newTimeline(ctx context.Context, w world.World, faults []Fault) *timeline {
	tl := &timeline{ctx: ctx, w: w, t: w.Topology()}
	for _, f := range faults {
		f.At += w.Now()
		tl.add(f)
	}
	return tl
}

// add inserts a fault after every fault due at the same time or earlier, so that equal
// times keep their order.
func (tl *timeline) add(f Fault) {
	i := sort.Search(len(tl.pending), func(i int) bool { return tl.pending[i].At > f.At })
	tl.pending = append(tl.pending, Fault{})
	copy(tl.pending[i+1:], tl.pending[i:])
	tl.pending[i] = f
}

// runUntil advances the world to end (world time), applying every fault due before then,
// unless ctx ends first.
func (tl *timeline) runUntil(end time.Duration) error {
	for len(tl.pending) > 0 && tl.pending[0].At < end {
		f := tl.pending[0]
		tl.pending = tl.pending[1:]
		if err := advance(tl.ctx, tl.w, f.At-tl.w.Now()); err != nil {
			return err
		}
		tl.apply(f)
	}
	return advance(tl.ctx, tl.w, end-tl.w.Now())
}

// healAll ends the faults still in force: every pending undo is carried out now, and
// faults not yet due are dropped. A kill without a For stays: the node is gone for good.
func (tl *timeline) healAll() {
	pending := tl.pending
	tl.pending = nil
	for _, f := range pending {
		if f.undo {
			f.At = tl.w.Now()
			tl.apply(f)
		}
	}
}

func (tl *timeline) apply(f Fault) {
	rec := Applied{At: tl.w.Now(), Fault: f.String(), Undo: f.undo}
	if f.undo {
		rec.Fault = "undo " + f.String()
	}
	reverse, err := tl.do(f, &rec)
	if err != nil {
		rec.Err = err.Error()
		rec.Unsupported = errors.Is(err, world.ErrUnsupported)
	}
	if err == nil && f.For > 0 && reverse != nil {
		reverse.At = f.At + f.For
		reverse.undo = true
		rec.Ending = reverse.At
		tl.add(*reverse)
	}
	tl.log = append(tl.log, rec)
}

// do carries out one fault and returns the fault that undoes it.
func (tl *timeline) do(f Fault, rec *Applied) (*Fault, error) {
	if f.Network() {
		return tl.network(f, rec)
	}
	nodes := f.nodes
	if nodes == nil {
		var err error
		if nodes, err = tl.nodes(f.Target); err != nil {
			return nil, err
		}
	}
	rec.Nodes = nodes
	// The undo acts on exactly the nodes the fault acted on, even if the master has
	// changed since.
	reverse := Fault{Kind: f.Kind, Target: f.Target, nodes: nodes}
	var err error
	for _, n := range nodes {
		switch f.Kind {
		case Kill:
			err = tl.w.Kill(n)
			reverse.Kind = Restart
		case PowerLoss:
			err = tl.w.PowerLoss(n)
			reverse.Kind = Restart
		case Restart:
			err = tl.w.Restart(n)
		case Pause:
			err = tl.w.Pause(n)
			reverse.Kind = Resume
		case Resume:
			err = tl.w.Resume(n)
		case ClockJump:
			err = tl.w.JumpClock(n, f.By)
			reverse.By = -f.By
		case Drift:
			err = tl.w.Drift(n, f.PPM)
		case Command:
			_, err = tl.w.Command(n, f.Args...)
		}
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", f.Kind, n, err)
		}
	}
	return &reverse, nil
}

func (tl *timeline) network(f Fault, rec *Applied) (*Fault, error) {
	groups, err := tl.hostGroups(f)
	if err != nil {
		return nil, err
	}
	addrs := func(hosts []string) []string {
		out := make([]string, len(hosts))
		for i, h := range hosts {
			host, _ := tl.t.Host(h)
			out[i] = host.Addr
		}
		return out
	}
	var nf netmodel.Fault
	reverse := Fault{Kind: Heal}
	switch f.Kind {
	case Partition:
		ag := make([][]string, len(groups))
		for i, g := range groups {
			ag[i] = addrs(g)
			reverse.Hosts = append(reverse.Hosts, g...)
		}
		nf = f.netFault(nil, ag, nil, nil)
	case Cut:
		nf = f.netFault(nil, nil, addrs(groups[0]), addrs(groups[1]))
		reverse.Hosts = append(append([]string{}, groups[0]...), groups[1]...)
	case Heal, Latency, Loss:
		nf = f.netFault(addrs(groups[0]), nil, nil, nil)
		reverse = Fault{Kind: f.Kind, Hosts: groups[0], Dist: kernel.DefaultLatency}
	}
	for _, g := range groups {
		rec.Hosts = append(rec.Hosts, g...)
	}
	if err := tl.w.Network(nf); err != nil {
		return nil, err
	}
	return &reverse, nil
}

// hostGroups resolves the hosts a network fault names, selectors included: the sides of a
// partition, from and to of a cut, or the one list of heal, latency and loss.
func (tl *timeline) hostGroups(f Fault) ([][]string, error) {
	var groups [][]string
	switch f.Kind {
	case Partition:
		groups = f.Groups
	case Cut:
		groups = [][]string{f.From, f.To}
	default:
		return [][]string{f.Hosts}, nil
	}
	named := map[string]bool{}
	out := make([][]string, len(groups))
	for i, g := range groups {
		for _, h := range g {
			switch h {
			case SelectRest:
				continue
			case SelectMaster:
				m, err := tl.master()
				if err != nil {
					return nil, err
				}
				n, _ := tl.t.Node(m)
				h = n.Host
			}
			if !named[h] {
				named[h] = true
				out[i] = append(out[i], h)
			}
		}
	}
	for i, g := range groups {
		for _, h := range g {
			if h == SelectRest {
				for _, host := range tl.t.Hosts {
					if !named[host.Name] {
						out[i] = append(out[i], host.Name)
					}
				}
			}
		}
	}
	for _, g := range out {
		if len(g) == 0 {
			return nil, fmt.Errorf("a side of the fault is empty once resolved (the master's host is the only host?)")
		}
	}
	return out, nil
}

// nodes resolves a process fault's target: a node, every redis and sentinel of a host, a
// or a selector.
func (tl *timeline) nodes(target string) ([]string, error) {
	switch target {
	case SelectMaster:
		m, err := tl.master()
		return []string{m}, err
	case SelectReplica:
		obs := tl.w.Observe()
		for _, r := range obs.Redis {
			if r.Alive && r.Role == "slave" {
				return []string{r.Node}, nil
			}
		}
		return nil, fmt.Errorf("no live replica to target")
	}
	if _, ok := tl.t.Node(target); ok {
		return []string{target}, nil
	}
	if _, ok := tl.t.Host(target); ok {
		var out []string
		for _, n := range tl.t.Nodes {
			if n.Host == target && n.Kind != world.Client {
				out = append(out, n.Name)
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("no node or host called %q", target)
}

// master resolves the master selector: the node most live sentinels name as master, if it
// is up and says it is one; otherwise the first live redis node that says it is a master.
func (tl *timeline) master() (string, error) {
	obs := tl.w.Observe()
	votes := map[string]int{}
	best := ""
	for _, s := range obs.Sentinels {
		if !s.Alive || s.MasterAddr == "" {
			continue
		}
		votes[s.MasterAddr]++
		if votes[s.MasterAddr] > votes[best] {
			best = s.MasterAddr
		}
	}
	masters := obs.Masters()
	if n, ok := tl.t.NodeAt(best); ok {
		for _, m := range masters {
			if m.Node == n.Name {
				return n.Name, nil
			}
		}
	}
	if len(masters) > 0 {
		return masters[0].Node, nil
	}
	return "", fmt.Errorf("no live master to target")
}
