package netmodel

import (
	"fmt"
	"strings"
	"time"
)

// FaultKind names a network fault. The same vocabulary is applied by the simulator (to its
// model) and by the real backend (to nftables rules), so that a scenario means the same
// thing in both worlds.
type FaultKind string

const (
	// Partition splits hosts into groups that cannot reach each other in either direction.
	// Hosts not named in any group keep all their links.
	Partition FaultKind = "partition"
	// Cut blocks traffic in one direction only: from every host in From to every host in
	// To. Replies and ACKs in the other direction still flow.
	Cut FaultKind = "cut"
	// Heal removes every partition and cut (Hosts empty), or only those that involve one
	// of Hosts.
	Heal FaultKind = "heal"
	// Latency sets the one-way latency of the links between the hosts of Hosts (every link
	// when Hosts is empty) to Dist.
	Latency FaultKind = "latency"
	// Loss sets the probability that one transmission of a segment on those links is lost
	// (TCP retransmits it, so loss delays data; it never drops it).
	Loss FaultKind = "loss"
)

// Fault is one network fault, as a scenario states it.
type Fault struct {
	Kind FaultKind
	// Groups are the sides of a Partition, by host address.
	Groups [][]string
	// From and To are the two sides of a Cut, by host address.
	From, To []string
	// Hosts limits Heal, Latency and Loss to links that touch these hosts.
	Hosts []string
	// Dist is the latency distribution for Latency.
	Dist Dist
	// Rate is the loss probability for Loss, in [0, 1).
	Rate float64
}

// Validate reports a fault that cannot be applied.
func (f Fault) Validate() error {
	switch f.Kind {
	case Partition:
		if len(f.Groups) < 2 {
			return fmt.Errorf("partition needs at least two groups, got %d", len(f.Groups))
		}
		seen := map[string]bool{}
		for _, g := range f.Groups {
			if len(g) == 0 {
				return fmt.Errorf("partition has an empty group")
			}
			for _, h := range g {
				if seen[h] {
					return fmt.Errorf("partition names host %s in two groups", h)
				}
				seen[h] = true
			}
		}
	case Cut:
		if len(f.From) == 0 || len(f.To) == 0 {
			return fmt.Errorf("cut needs hosts on both sides")
		}
	case Heal:
	case Latency:
		if err := f.Dist.Validate(); err != nil {
			return err
		}
	case Loss:
		if f.Rate < 0 || f.Rate >= 1 {
			return fmt.Errorf("loss rate %v is outside [0, 1)", f.Rate)
		}
	default:
		return fmt.Errorf("unknown network fault %q", f.Kind)
	}
	return nil
}

// String renders the fault for traces and reports: "partition 127.0.0.1,127.0.0.2 | 127.0.0.3".
func (f Fault) String() string {
	switch f.Kind {
	case Partition:
		sides := make([]string, len(f.Groups))
		for i, g := range f.Groups {
			sides[i] = strings.Join(g, ",")
		}
		return "partition " + strings.Join(sides, " | ")
	case Cut:
		return "cut " + strings.Join(f.From, ",") + " -> " + strings.Join(f.To, ",")
	case Heal:
		if len(f.Hosts) == 0 {
			return "heal all"
		}
		return "heal " + strings.Join(f.Hosts, ",")
	case Latency:
		return "latency " + f.Dist.String() + hostsSuffix(f.Hosts)
	case Loss:
		return fmt.Sprintf("loss %g%s", f.Rate, hostsSuffix(f.Hosts))
	}
	return string(f.Kind)
}

func hostsSuffix(hosts []string) string {
	if len(hosts) == 0 {
		return ""
	}
	return " on " + strings.Join(hosts, ",")
}

// DistKind names a latency distribution.
type DistKind string

const (
	// Fixed is a constant latency: Min.
	Fixed DistKind = "fixed"
	// Uniform is uniform in [Min, Max].
	Uniform DistKind = "uniform"
	// LongTail is log-normal with median Min, so that one sample in a hundred exceeds
	// Max: the shape of real networks, where a few packets take far longer than most.
	LongTail DistKind = "long-tail"
)

// Dist is a one-way latency distribution.
type Dist struct {
	Kind     DistKind
	Min, Max time.Duration
}

// Validate reports a distribution that cannot be sampled.
func (d Dist) Validate() error {
	switch d.Kind {
	case Fixed:
		if d.Min < 0 {
			return fmt.Errorf("negative latency %v", d.Min)
		}
	case Uniform, LongTail:
		if d.Min < 0 || d.Max < d.Min {
			return fmt.Errorf("latency range %v..%v is invalid", d.Min, d.Max)
		}
		if d.Kind == LongTail && d.Min == 0 {
			return fmt.Errorf("long-tail latency needs a positive median")
		}
	default:
		return fmt.Errorf("unknown latency distribution %q", d.Kind)
	}
	return nil
}

func (d Dist) String() string {
	switch d.Kind {
	case Fixed:
		return d.Min.String()
	case Uniform:
		return fmt.Sprintf("uniform(%v..%v)", d.Min, d.Max)
	case LongTail:
		return fmt.Sprintf("long-tail(median %v, p99 %v)", d.Min, d.Max)
	}
	return string(d.Kind)
}
