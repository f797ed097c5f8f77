package world

import (
	"errors"
	"strconv"
	"strings"
	"testing"
)

func tutorial() Topology {
	t := Topology{MasterName: "mymaster", Quorum: 2, Hosts: []Host{{Name: "local", Addr: "127.0.0.1"}}}
	for _, p := range []int{6382, 6383, 6384} {
		t.Nodes = append(t.Nodes, Node{Name: "redis:" + strconv.Itoa(p), Kind: Redis, Host: "local", Port: p})
	}
	for _, p := range []int{5000, 5001, 5002} {
		t.Nodes = append(t.Nodes, Node{Name: "sentinel:" + strconv.Itoa(p), Kind: Sentinel, Host: "local", Port: p})
	}
	return t
}

func TestValidTopology(t *testing.T) {
	top := tutorial()
	if err := top.Validate(); err != nil {
		t.Fatal(err)
	}
	if m := top.InitialMaster(); m.Port != 6382 {
		t.Fatalf("initial master %v", m)
	}
	if n, ok := top.NodeAt("127.0.0.1:5001"); !ok || n.Kind != Sentinel {
		t.Fatalf("NodeAt 5001 = %v, %v", n, ok)
	}
}

// Every rejection says what is wrong and what it is about: the host (of the node) at
// fault, or the topology-wide setting.
func TestInvalidTopologies(t *testing.T) {
	for name, c := range map[string]struct {
		edit          func(*Topology)
		want          string
		host, setting string
	}{
		"non-loopback":  {func(t *Topology) { t.Hosts[0].Addr = "10.0.0.1" }, "only loopback", "local", ""},
		"bad address":   {func(t *Topology) { t.Hosts[0].Addr = "127.0.0.01" }, "only loopback", "local", ""},
		"same port":     {func(t *Topology) { t.Nodes[1].Port = 6382 }, "both listen", "local", ""},
		"no quorum":     {func(t *Topology) { t.Quorum = 0 }, "quorum", "", "quorum"},
		"unknown host":  {func(t *Topology) { t.Nodes[0].Host = "n9" }, "unknown host", "", "nodes"},
		"no redis":      {func(t *Topology) { t.Nodes = t.Nodes[3:] }, "no redis", "", "nodes"},
		"comma in name": {func(t *Topology) { t.MasterName = "a,b" }, "one word", "", "master-name"},
		"second host": {func(t *Topology) {
			t.Hosts = append(t.Hosts, Host{Name: "other", Addr: "127.0.0.1"})
		}, "share the address", "other", ""},
	} {
		top := tutorial()
		c.edit(&top)
		err := top.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: Validate() = %v, want an error containing %q", name, err, c.want)
			continue
		}
		var te *TopologyError
		if !errors.As(err, &te) || te.Host != c.host || te.Setting != c.setting {
			t.Errorf("%s: Validate() = %#v, want it about host %q, setting %q", name, err, c.host, c.setting)
		}
	}
}

func TestOptionsLaterOverrideEarlier(t *testing.T) {
	o := Options{{"appendonly", "no"}}.With(Options{{"APPENDONLY", "yes"}})
	if v, _ := o.Get("appendonly"); v != "yes" {
		t.Fatalf("appendonly = %q, want the later yes", v)
	}
}
