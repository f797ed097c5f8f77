// Package sim assembles simulated worlds from the kernel, the simulated redis-server and
// simulated sentinels.
package sim

import (
	"fmt"
	"strings"
	"time"

	"github.com/sentinelsim/sentinelsim/sim/kernel"
	"github.com/sentinelsim/sentinelsim/sim/redis"
	"github.com/sentinelsim/sentinelsim/sim/sentineld"
)

// The walkthrough is Redis's own Sentinel tutorial: a master on 6382, replicas on 6383
// and 6384, three sentinels on 5000-5002 monitoring it with quorum 2, down-after 3000
// and failover-timeout 3000, everything on 127.0.0.1. The master is killed with
// SIGKILL, and restarted later.
const (
	walkHost     = "127.0.0.1"
	walkMaster   = 6382
	walkKillAt   = 20 * time.Second
	walkReturnAt = 40 * time.Second
	walkEnd      = 80 * time.Second
)

var walkReplicas = []int{6383, 6384}

// Walkthrough is the outcome of one run of the walkthrough.
type Walkthrough struct {
	Seed      uint64
	TraceHash string
	Log       []sentineld.Record
	NewMaster int // the port of the promoted replica, 0 if none
	Problems  []string
}

// Ok reports whether the run did what Sentinel promises.
func (w *Walkthrough) Ok() bool { return len(w.Problems) == 0 }

// Verdict is a one-line summary.
func (w *Walkthrough) Verdict() string {
	if w.Ok() {
		return fmt.Sprintf("PASS seed=%d trace=%s: one failover, %d promoted, the other replica and the old master follow it",
			w.Seed, w.TraceHash, w.NewMaster)
	}
	return fmt.Sprintf("FAIL seed=%d trace=%s: %s", w.Seed, w.TraceHash, strings.Join(w.Problems, "; "))
}

// RunWalkthrough runs the walkthrough on one seed. observe, if not nil, sees every
// sentinel event and log line as it happens.
func RunWalkthrough(seed uint64, observe func(sentineld.Record)) (*Walkthrough, error) {
	k, err := kernel.New(seed, kernel.Options{})
	if err != nil {
		return nil, err
	}
	w := &Walkthrough{Seed: seed}
	host := k.AddHost(walkHost)
	servers := map[int]*redis.Server{}
	procs := map[int]*kernel.Process{}
	for _, port := range append([]int{walkMaster}, walkReplicas...) {
		opts := [][2]string{{"save", ""}, {"appendonly", "no"}, {"repl-diskless-sync-delay", "0"}}
		if port != walkMaster {
			opts = append(opts, [2]string{"replicaof", fmt.Sprintf("%s %d", walkHost, walkMaster)})
		}
		srv, err := redis.New(redis.Config{Port: port, Options: opts})
		if err != nil {
			return nil, err
		}
		servers[port] = srv
		procs[port] = host.Spawn(fmt.Sprintf("redis/%s:%d", walkHost, port), srv)
	}
	var sentinels []*sentineld.Program
	for i := 0; i < 3; i++ {
		port := 5000 + i
		conf := fmt.Sprintf("port %d\nsentinel monitor mymaster %s %d 2\n"+
			"sentinel down-after-milliseconds mymaster 3000\nsentinel failover-timeout mymaster 3000\n",
			port, walkHost, walkMaster)
		prog := sentineld.New(fmt.Sprintf("%s:%d", walkHost, port), conf)
		prog.Observe = func(r sentineld.Record) {
			w.Log = append(w.Log, r)
			if observe != nil {
				observe(r)
			}
		}
		sentinels = append(sentinels, prog)
		host.Spawn(fmt.Sprintf("sentinel/%s:%d", walkHost, port), prog)
	}
	k.At(walkKillAt, procs[walkMaster].Kill)
	k.At(walkReturnAt, procs[walkMaster].Start)
	k.RunUntil(walkEnd)
	w.TraceHash = k.Trace().HashString()
	w.judge(servers, sentinels)
	return w, nil
}

// judge checks the promises: exactly one failover, led by one sentinel; a replica
// promoted; every sentinel names it; the other replica and the returned old master
// replicate from it.
func (w *Walkthrough) judge(servers map[int]*redis.Server, sentinels []*sentineld.Program) {
	problem := func(format string, args ...any) { w.Problems = append(w.Problems, fmt.Sprintf(format, args...)) }
	leaders := 0
	switches := map[string]string{}
	for _, r := range w.Log {
		if r.Event == nil {
			continue
		}
		switch r.Event.Type {
		case "+elected-leader":
			leaders++
		case "+switch-master":
			if prev, ok := switches[r.Node]; ok {
				problem("%s switched master twice (%s, then %s)", r.Node, prev, r.Event.Text)
			}
			switches[r.Node] = r.Event.Text
		}
	}
	if leaders != 1 {
		problem("%d sentinels were elected leader, want exactly 1", leaders)
	}
	for _, port := range walkReplicas {
		if servers[port].Role() == "master" {
			if w.NewMaster != 0 {
				problem("two replicas are masters: %d and %d", w.NewMaster, port)
			}
			w.NewMaster = port
		}
	}
	if w.NewMaster == 0 {
		problem("no replica was promoted")
		return
	}
	want := fmt.Sprintf("mymaster %s %d %s %d", walkHost, walkMaster, walkHost, w.NewMaster)
	for _, s := range sentinels {
		if got := switches[s.Name]; got != want {
			problem("%s: +switch-master %q, want %q", s.Name, got, want)
		}
		st := s.Sentinel()
		if st == nil {
			problem("%s is not running", s.Name)
			continue
		}
		addr := st.Command([]string{"SENTINEL", "get-master-addr-by-name", "mymaster"})
		if got := addr.String(); got != fmt.Sprintf("[%q %q]", walkHost, fmt.Sprint(w.NewMaster)) {
			problem("%s answers GET-MASTER-ADDR-BY-NAME with %s, want %s:%d", s.Name, got, walkHost, w.NewMaster)
		}
	}
	for _, port := range append([]int{walkMaster}, walkReplicas...) {
		if port == w.NewMaster {
			continue
		}
		host, mport, up := servers[port].Master()
		if host != walkHost || mport != w.NewMaster || !up {
			problem("%d replicates from %s:%d (link up: %v), want %s:%d", port, host, mport, up, walkHost, w.NewMaster)
		}
	}
}
