package world

import (
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

func TestInvalidTopologies(t *testing.T) {
	for name, c := range map[string]struct {
		edit func(*Topology)
		want string
	}{
		"non-loopback":  {func(t *Topology) { t.Hosts[0].Addr = "10.0.0.1" }, "only loopback"},
		"bad address":   {func(t *Topology) { t.Hosts[0].Addr = "127.0.0.01" }, "only loopback"},
		"same port":     {func(t *Topology) { t.Nodes[1].Port = 6382 }, "both listen"},
		"no quorum":     {func(t *Topology) { t.Quorum = 0 }, "quorum"},
		"unknown host":  {func(t *Topology) { t.Nodes[0].Host = "n9" }, "unknown host"},
		"no redis":      {func(t *Topology) { t.Nodes = t.Nodes[3:] }, "no redis"},
		"comma in name": {func(t *Topology) { t.MasterName = "a,b" }, "one word"},
	} {
		top := tutorial()
		c.edit(&top)
		err := top.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: Validate() = %v, want an error containing %q", name, err, c.want)
		}
	}
}

func TestOptionsLaterOverrideEarlier(t *testing.T) {
	o := Options{{"appendonly", "no"}}.With(Options{{"APPENDONLY", "yes"}})
	if v, _ := o.Get("appendonly"); v != "yes" {
		t.Fatalf("appendonly = %q, want the later yes", v)
	}
}
