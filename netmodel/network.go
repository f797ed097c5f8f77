// Package netmodel is the network of the simulated world: hosts, the links between them
// with their latency and loss, partitions (two-way and one-way), and the TCP-like behaviour
// of connections over those links.
//
// It is a pure model. It has no clock and delivers nothing: given the fault state and a
// transmission at time t, it says when the data arrives, or when the sender will try again,
// or that the connection is aborted. The simulator's scheduler does the delivering and asks
// again at the times the model names.
package netmodel

import (
	"fmt"
	"math"
	"time"
)

// Rand is the random source the model samples latency and loss from; the simulator passes
// the network's own seeded stream.
type Rand interface {
	Float64() float64
}

// HostID is a host's index in the network, in the order hosts were added.
type HostID int32

// Network holds the hosts, the per-link latency and loss, and the faults in force.
type Network struct {
	addrs   []string
	ids     map[string]HostID
	blocked [][]bool    // blocked[from][to]: packets from -> to are dropped
	dist    [][]Dist    // per directed link
	loss    [][]float64 // per directed link
	def     Dist
	defLoss float64
}

// New returns an empty network whose links have latency distribution def until a fault
// changes them.
func New(def Dist) (*Network, error) {
	if err := def.Validate(); err != nil {
		return nil, err
	}
	return &Network{ids: map[string]HostID{}, def: def}, nil
}

// AddHost adds a host with the given address and returns its id; adding an address twice
// returns the existing id.
func (n *Network) AddHost(addr string) HostID {
	if id, ok := n.ids[addr]; ok {
		return id
	}
	id := HostID(len(n.addrs))
	n.addrs = append(n.addrs, addr)
	n.ids[addr] = id
	for i := range n.blocked {
		n.blocked[i] = append(n.blocked[i], false)
		n.dist[i] = append(n.dist[i], n.def)
		n.loss[i] = append(n.loss[i], n.defLoss)
	}
	size := len(n.addrs)
	n.blocked = append(n.blocked, make([]bool, size))
	row := make([]Dist, size)
	lrow := make([]float64, size)
	for i := range row {
		row[i], lrow[i] = n.def, n.defLoss
	}
	n.dist = append(n.dist, row)
	n.loss = append(n.loss, lrow)
	return id
}

// Host returns the id of the host with address addr.
func (n *Network) Host(addr string) (HostID, bool) {
	id, ok := n.ids[addr]
	return id, ok
}

// Addr returns the address of a host.
func (n *Network) Addr(id HostID) string { return n.addrs[id] }

// Passable reports whether packets from one host currently reach the other. A host always
// reaches itself: loopback traffic cannot be partitioned.
func (n *Network) Passable(from, to HostID) bool { return !n.blocked[from][to] }

// Apply puts a fault into force.
func (n *Network) Apply(f Fault) error {
	if err := f.Validate(); err != nil {
		return err
	}
	switch f.Kind {
	case Partition:
		groups := make([][]HostID, len(f.Groups))
		for i, g := range f.Groups {
			ids, err := n.lookup(g)
			if err != nil {
				return err
			}
			groups[i] = ids
		}
		for i, gi := range groups {
			for j, gj := range groups {
				if i != j {
					n.block(gi, gj)
				}
			}
		}
	case Cut:
		from, err := n.lookup(f.From)
		if err != nil {
			return err
		}
		to, err := n.lookup(f.To)
		if err != nil {
			return err
		}
		n.block(from, to)
	case Heal:
		return n.forLinks(f.Hosts, func(a, b HostID) { n.blocked[a][b] = false })
	case Latency:
		return n.forLinks(f.Hosts, func(a, b HostID) { n.dist[a][b] = f.Dist })
	case Loss:
		return n.forLinks(f.Hosts, func(a, b HostID) { n.loss[a][b] = f.Rate })
	}
	return nil
}

func (n *Network) lookup(addrs []string) ([]HostID, error) {
	ids := make([]HostID, len(addrs))
	for i, a := range addrs {
		id, ok := n.ids[a]
		if !ok {
			return nil, fmt.Errorf("no host with address %s", a)
		}
		ids[i] = id
	}
	return ids, nil
}

func (n *Network) block(from, to []HostID) {
	for _, a := range from {
		for _, b := range to {
			if a != b {
				n.blocked[a][b] = true
			}
		}
	}
}

// forLinks calls fn for every directed link between two different hosts that touches one
// of hosts, or for every link when hosts is empty.
func (n *Network) forLinks(hosts []string, fn func(a, b HostID)) error {
	touched := make([]bool, len(n.addrs))
	if len(hosts) == 0 {
		for i := range touched {
			touched[i] = true
		}
	} else {
		ids, err := n.lookup(hosts)
		if err != nil {
			return err
		}
		for _, id := range ids {
			touched[id] = true
		}
	}
	for a := range n.addrs {
		for b := range n.addrs {
			if a != b && (touched[a] || touched[b]) {
				fn(HostID(a), HostID(b))
			}
		}
	}
	return nil
}

// Latency draws the one-way latency of one packet from one host to another.
func (n *Network) Latency(from, to HostID, r Rand) time.Duration {
	if from == to {
		return loopback
	}
	return n.dist[from][to].Sample(r)
}

// lost draws whether one transmission from one host to another is lost.
func (n *Network) lost(from, to HostID, r Rand) bool {
	p := n.loss[from][to]
	return p > 0 && r.Float64() < p
}

// loopback is the latency between two processes of one host.
const loopback = 20 * time.Microsecond

// Sample draws one latency from the distribution.
func (d Dist) Sample(r Rand) time.Duration {
	switch d.Kind {
	case Uniform:
		return d.Min + time.Duration(r.Float64()*float64(d.Max-d.Min))
	case LongTail:
		// Log-normal with median Min and 99th percentile Max: sigma = ln(Max/Min) / z(0.99).
		sigma := 0.0
		if d.Max > d.Min {
			sigma = math.Log(float64(d.Max)/float64(d.Min)) / 2.326
		}
		return time.Duration(float64(d.Min) * math.Exp(sigma*normal(r)))
	}
	return d.Min
}

// normal draws a standard normal variate by the Box-Muller transform, from the caller's
// stream so that the draw is reproducible.
func normal(r Rand) float64 {
	u1 := r.Float64()
	for u1 == 0 {
		u1 = r.Float64()
	}
	u2 := r.Float64()
	return math.Sqrt(-2*math.Log(u1)) * math.Cos(2*math.Pi*u2)
}
