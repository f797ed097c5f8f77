// Package world is the vocabulary scenarios use to drive a cluster under test: its
// topology, the faults that can be done to it, what can be observed of it, and the World
// interface that the simulator (sim) and the real backends (real) both implement, so that
// a scenario written once runs on both.
package world

import (
	"fmt"
	"sort"
	"strings"
)

// Kind is what a process is.
type Kind string

const (
	Redis    Kind = "redis"
	Sentinel Kind = "sentinel"
	Client   Kind = "client"
)

// Option is one configuration directive, "key value...": a line of redis.conf or
// sentinel.conf. Options are kept in order, as a file would hold them.
type Option struct {
	Key   string
	Value string
}

// Options is an ordered list of directives.
type Options []Option

// Get returns the last value given for key.
func (o Options) Get(key string) (string, bool) {
	for i := len(o) - 1; i >= 0; i-- {
		if strings.EqualFold(o[i].Key, key) {
			return o[i].Value, true
		}
	}
	return "", false
}

// With returns the options followed by more: later directives override earlier ones.
func (o Options) With(more Options) Options {
	return append(append(Options{}, o...), more...)
}

// Host is one machine: an address that network faults act on.
type Host struct {
	Name string // "n1"
	Addr string // "127.0.0.1"
}

// Node is one process of the topology.
type Node struct {
	// Name is unique in the topology: "n1/redis", "n1/sentinel", or with a port when a host
	// runs several of a kind, "local/redis:6382".
	Name   string
	Kind   Kind
	Host   string // the host's name
	Port   int    // the listening port (0 for clients)
	Config Options
}

// Topology is everything a world is built from.
type Topology struct {
	// MasterName is the name the sentinels monitor the master under ("mymaster").
	MasterName string
	Hosts      []Host
	// Nodes are the processes, in order; the first redis node is the initial master and
	// the others start as its replicas.
	Nodes []Node
	// Quorum is the quorum of `sentinel monitor`.
	Quorum int
	// Monitor holds the per-master sentinel options (down-after-milliseconds,
	// failover-timeout, parallel-syncs, master-reboot-down-after-period, ...), written
	// after `sentinel monitor` in every sentinel's configuration.
	Monitor Options
	// Speeds are how fast the simulated machine saves, sends and loads data (sim/redis
	// SpeedKeys: save-rate, transfer-rate, load-rate, load-per-key): settings of the
	// simulator, not of Redis. A real world runs on a real machine and ignores them.
	Speeds Options
}

// Host returns the host called name.
func (t Topology) Host(name string) (Host, bool) {
	for _, h := range t.Hosts {
		if h.Name == name {
			return h, true
		}
	}
	return Host{}, false
}

// Node returns the node called name.
func (t Topology) Node(name string) (Node, bool) {
	for _, n := range t.Nodes {
		if n.Name == name {
			return n, true
		}
	}
	return Node{}, false
}

// Addr returns a node's "ip:port".
func (t Topology) Addr(n Node) string {
	h, _ := t.Host(n.Host)
	return fmt.Sprintf("%s:%d", h.Addr, n.Port)
}

// NodeAt returns the node listening at "ip:port".
func (t Topology) NodeAt(addr string) (Node, bool) {
	for _, n := range t.Nodes {
		if n.Port != 0 && t.Addr(n) == addr {
			return n, true
		}
	}
	return Node{}, false
}

// OfKind returns the nodes of one kind, in order.
func (t Topology) OfKind(k Kind) []Node {
	var out []Node
	for _, n := range t.Nodes {
		if n.Kind == k {
			out = append(out, n)
		}
	}
	return out
}

// InitialMaster is the first redis node.
func (t Topology) InitialMaster() Node {
	return t.OfKind(Redis)[0]
}

// A TopologyError is a reason Validate rejects a topology, with what it is about: Host
// names the host at fault (a node's host, for a node), Setting a topology-wide setting
// ("master-name", "quorum", "nodes"), so that a scenario file can point at its line.
type TopologyError struct {
	Host, Setting string
	Msg           string
}

func (e *TopologyError) Error() string { return e.Msg }

func hostError(host, format string, args ...any) error {
	return &TopologyError{Host: host, Msg: fmt.Sprintf(format, args...)}
}

func settingError(setting, format string, args ...any) error {
	return &TopologyError{Setting: setting, Msg: fmt.Sprintf(format, args...)}
}

// Validate reports a topology no world can build, as a *TopologyError.
func (t Topology) Validate() error {
	if t.MasterName == "" || strings.ContainsAny(t.MasterName, " ,\t\r\n") {
		return settingError("master-name", "master name %q must be one word without commas", t.MasterName)
	}
	if len(t.OfKind(Redis)) == 0 {
		return settingError("nodes", "the topology has no redis node")
	}
	if len(t.OfKind(Sentinel)) > 0 && t.Quorum < 1 {
		return settingError("quorum", "quorum %d must be 1 or more", t.Quorum)
	}
	hosts := map[string]bool{}
	addrs := map[string]string{}
	for _, h := range t.Hosts {
		if hosts[h.Name] {
			return hostError(h.Name, "host %s is defined twice", h.Name)
		}
		if !isLoopback(h.Addr) {
			return hostError(h.Name, "host %s has address %q: only loopback addresses 127.0.0.N are allowed", h.Name, h.Addr)
		}
		if other, dup := addrs[h.Addr]; dup {
			return hostError(h.Name, "hosts %s and %s share the address %s", other, h.Name, h.Addr)
		}
		hosts[h.Name], addrs[h.Addr] = true, h.Name
	}
	names := map[string]bool{}
	listen := map[string]string{}
	for _, n := range t.Nodes {
		if names[n.Name] {
			return hostError(n.Host, "node %s is defined twice", n.Name)
		}
		names[n.Name] = true
		if !hosts[n.Host] {
			return settingError("nodes", "node %s runs on unknown host %s", n.Name, n.Host)
		}
		if n.Kind == Client {
			continue
		}
		if n.Port < 1 || n.Port > 65535 {
			return hostError(n.Host, "node %s has port %d", n.Name, n.Port)
		}
		if other, dup := listen[t.Addr(n)]; dup {
			return hostError(n.Host, "nodes %s and %s both listen on %s", other, n.Name, t.Addr(n))
		}
		listen[t.Addr(n)] = n.Name
	}
	return nil
}

func isLoopback(addr string) bool {
	var a, b, c, d int
	if n, err := fmt.Sscanf(addr, "%d.%d.%d.%d", &a, &b, &c, &d); err != nil || n != 4 {
		return false
	}
	return a == 127 && b >= 0 && b < 256 && c >= 0 && c < 256 && d > 0 && d < 255 &&
		fmt.Sprintf("%d.%d.%d.%d", a, b, c, d) == addr
}

// Names returns the names of nodes, sorted, for messages.
func Names(nodes []Node) []string {
	out := make([]string, len(nodes))
	for i, n := range nodes {
		out[i] = n.Name
	}
	sort.Strings(out)
	return out
}
