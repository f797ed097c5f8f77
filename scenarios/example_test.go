package scenarios_test

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/sentinelsim/sentinelsim/scenarios"
	"github.com/sentinelsim/sentinelsim/sim"
	"github.com/sentinelsim/sentinelsim/world"
)

// A scenario written in Go rather than YAML: three hosts, each with a redis-server, a
// sentinel and a client; the master is killed five seconds in and restarted twenty
// seconds later. It runs in the simulator like any catalogued scenario, and the same
// seed gives the same run.
func Example() {
	top := world.Topology{MasterName: "mymaster", Quorum: 2, Monitor: world.Options{
		{Key: "down-after-milliseconds", Value: "3000"}, {Key: "failover-timeout", Value: "10000"}}}
	for i, h := range []string{"n1", "n2", "n3"} {
		top.Hosts = append(top.Hosts, world.Host{Name: h, Addr: fmt.Sprintf("127.0.0.%d", i+1)})
		top.Nodes = append(top.Nodes, // the first redis node is the initial master
			world.Node{Name: h + "/redis", Kind: world.Redis, Host: h, Port: 6379, Config: scenarios.DefaultRedis},
			world.Node{Name: h + "/sentinel", Kind: world.Sentinel, Host: h, Port: 26379},
			world.Node{Name: h + "/client", Kind: world.Client, Host: h})
	}
	s := &scenarios.Scenario{
		Name:     "kill-the-master-from-go",
		Topology: top,
		Workload: scenarios.DefaultWorkload, // set-add, 100 ms between operations
		Faults: []scenarios.Fault{
			{At: 5 * time.Second, Kind: scenarios.Kill, Target: scenarios.SelectMaster, For: 20 * time.Second},
		},
		Duration: 30 * time.Second,
		Quiet:    20 * time.Second,
		Expect:   scenarios.Expect{Always: []string{"sentinel-safety", "liveness", "one-failover"}},
	}
	if err := s.Validate(); err != nil {
		fmt.Println(err)
		return
	}
	run, err := scenarios.Execute(context.Background(), s, sim.Backend{}, 1, scenarios.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	r := run.Result
	fmt.Println("verdict:", r.Verdict)
	fmt.Println("failovers:", r.Failovers)
	fmt.Println("a replica took over:", r.FinalMaster == "n2/redis" || r.FinalMaster == "n3/redis")
	// Times in a result are the world's, which count the bring-up too (ReadySeconds).
	start := time.Duration(r.ReadySeconds * float64(time.Second))
	for _, f := range r.Faults {
		_, what, _ := strings.Cut(strings.TrimPrefix(f.Fault, "undo "), " ")
		fmt.Printf("at %v: %s on %v\n", (f.At - start).Round(time.Millisecond), what, f.Nodes)
	}
	// Output:
	// verdict: pass
	// failovers: 1
	// a replica took over: true
	// at 5s: kill master for 20s on [n1/redis]
	// at 25s: restart master on [n1/redis]
}
