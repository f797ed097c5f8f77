package scenarios

import (
	"time"

	"github.com/sentinelsim/sentinelsim/netmodel"
	"github.com/sentinelsim/sentinelsim/sim/kernel"
	"github.com/sentinelsim/sentinelsim/world"
)

// Draw turns the generator into an explicit schedule for one seed: one fault about every
// Interval until the run's duration, each undone after up to MaxFor. The schedule is drawn
// up front, from its own stream of the seed, so that a run can be replayed in any world
// and shrunk by removing faults from a plain list.
func (r *RandomFaults) Draw(seed uint64, t world.Topology, duration time.Duration) []Fault {
	rng := kernel.NewRand(seed, "faults")
	var out []Fault
	at := time.Duration(0)
	for {
		at += r.Interval/2 + time.Duration(rng.Int64N(int64(r.Interval)))
		if at >= duration {
			return out
		}
		f := r.draw(rng, t)
		f.At = at
		out = append(out, f)
	}
}

func (r *RandomFaults) draw(rng *kernel.Rand, t world.Topology) Fault {
	f := Fault{Kind: r.kind(rng)}
	f.For = time.Second + time.Duration(rng.Int64N(int64(r.MaxFor)))
	hosts := hostNames(t)
	if len(hosts) < 2 && (f.Kind == Partition || f.Kind == Cut) {
		f.Kind = Kill // one host: no link to cut
	}
	switch f.Kind {
	case Partition:
		if rng.IntN(2) == 0 {
			f.Groups = [][]string{{SelectMaster}, {SelectRest}}
		} else {
			perm := rng.Perm(len(hosts))
			cut := 1 + rng.IntN(len(hosts)-1)
			f.Groups = [][]string{pick(hosts, perm[:cut]), pick(hosts, perm[cut:])}
		}
	case Cut:
		from := SelectMaster
		if rng.IntN(2) == 0 {
			from = hosts[rng.IntN(len(hosts))]
		}
		f.From, f.To = []string{from}, []string{SelectRest}
	case Kill, Pause:
		f.Target = SelectMaster
		if rng.IntN(2) == 0 {
			nodes := append(t.OfKind(world.Redis), t.OfKind(world.Sentinel)...)
			f.Target = nodes[rng.IntN(len(nodes))].Name
		}
	case ClockJump:
		sentinels := t.OfKind(world.Sentinel)
		f.Target = sentinels[rng.IntN(len(sentinels))].Name
		f.By = time.Duration(1+rng.IntN(20)) * time.Second
		if rng.IntN(2) == 0 {
			f.By = -f.By
		}
	case Latency:
		f.Hosts = []string{hosts[rng.IntN(len(hosts))]}
		median := time.Duration(1+rng.IntN(20)) * time.Millisecond
		f.Dist = netmodel.Dist{Kind: netmodel.LongTail, Min: median, Max: median * time.Duration(2+rng.IntN(50))}
	case Loss:
		f.Hosts = []string{hosts[rng.IntN(len(hosts))]}
		f.Rate = 0.01 + rng.Float64()*0.3
	}
	return f
}

// kind draws a fault kind by weight. With every weight 1 it is one draw of IntN(len(Kinds)),
// as before there were weights, so a seed's schedule stays what it was.
func (r *RandomFaults) kind(rng *kernel.Rand) FaultKind {
	total := 0
	for _, k := range r.Kinds {
		total += r.weight(k)
	}
	n := rng.IntN(total)
	for _, k := range r.Kinds {
		if n -= r.weight(k); n < 0 {
			return k
		}
	}
	panic("unreachable: n < total")
}

func hostNames(t world.Topology) []string {
	out := make([]string, len(t.Hosts))
	for i, h := range t.Hosts {
		out[i] = h.Name
	}
	return out
}

func pick(list []string, idx []int) []string {
	out := make([]string, len(idx))
	for i, j := range idx {
		out[i] = list[j]
	}
	return out
}
