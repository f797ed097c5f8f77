package fidelity

import (
	"sort"
	"strings"
	"testing"
)

// startClusters starts the same nodes twice, as real servers and as simulated ones, with
// the options given per address, and connects to each. Real servers bind their outgoing
// connections to their own address, as separate hosts would.
func startClusters(t *testing.T, port int, nodes map[string][][2]string) (*realCluster, *simCluster) {
	t.Helper()
	var addrs []string
	for a := range nodes {
		addrs = append(addrs, a)
	}
	sort.Strings(addrs)
	rc := &realCluster{t: t, servers: map[string]*Real{}, conns: map[string]*RealConn{}}
	sc := &simCluster{t: t, sim: NewSim(1), port: port, conns: map[string]*SimConn{}}
	for _, addr := range addrs {
		opts := nodes[addr]
		r := StartReal(t, addr, port, append(opts, [2]string{"bind-source-addr", addr})...)
		rc.servers[addr], rc.conns[addr] = r, r.Dial(t)
		if _, err := sc.sim.Spawn(addr, port, append([][2]string{{"save", ""}, {"appendonly", "no"}}, opts...)...); err != nil {
			t.Fatal(err)
		}
		sc.conns[addr] = sc.sim.Dial(addr, port)
	}
	return rc, sc
}

// differentialClusters runs a scenario on real and simulated nodes and wants the same
// observations, line by line.
func differentialClusters(t *testing.T, port int, nodes map[string][][2]string, scenario func(c cluster) []string) {
	t.Helper()
	rc, sc := startClusters(t, port, nodes)
	real, sim := scenario(rc), scenario(sc)
	if strings.Join(real, "\n") != strings.Join(sim, "\n") {
		t.Errorf("observations differ\nreal:\n%s\nsim:\n%s", strings.Join(real, "\n"), strings.Join(sim, "\n"))
	} else if testing.Verbose() {
		t.Logf("observations:\n%s", strings.Join(real, "\n"))
	}
}

// infoFields returns some fields of an INFO section, as "name=value" in the order given.
func infoFields(c cluster, addr, section string, names ...string) string {
	m, _ := parseInfo(c.Do(addr, "INFO", section).Str)
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = n + "=" + m[n]
	}
	return addr + " " + strings.Join(out, " ")
}
