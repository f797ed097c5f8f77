package kernel

import (
	"fmt"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/sentinelsim/sentinelsim/netmodel"
)

// chatter is a stress program: it listens, echoes, and keeps dialling random peers,
// sending them bursts and sometimes closing, all driven by its own random stream.
type chatter struct {
	peers []string
}

func (ch *chatter) Start(p *Process) {
	r := p.Rand()
	p.Listen(7000, func(c *Conn) {
		c.OnData = func(msg any) { c.Send(msg.(string) + "'") }
	})
	var round func()
	round = func() {
		c := p.Dial(ch.peers[r.IntN(len(ch.peers))], 7000)
		c.OnData = func(any) {
			if r.IntN(8) == 0 {
				c.Close()
			}
		}
		for i := 0; i < 1+r.IntN(4); i++ {
			c.Send(p.Name() + "/" + strconv.Itoa(r.IntN(1000)))
		}
		p.After(time.Duration(1+r.IntN(500))*ms, round)
	}
	p.After(time.Duration(r.IntN(100))*ms, round)
}

// stressRun builds a world of hosts running chatter, injects random faults of every kind
// for a minute of virtual time, and returns the trace hash and the number of events.
func stressRun(seed uint64, hosts int) (string, uint64) {
	k, err := New(seed, Options{Latency: netmodel.Dist{Kind: netmodel.LongTail, Min: ms, Max: 20 * ms}})
	if err != nil {
		panic(err)
	}
	addrs := make([]string, hosts)
	for i := range addrs {
		addrs[i] = fmt.Sprintf("127.0.0.%d", i+1)
	}
	var procs []*Process
	for _, a := range addrs {
		procs = append(procs, k.AddHost(a).Spawn("chatter/"+a, &chatter{peers: addrs}))
	}
	r := k.Rand("faults")
	var fault func()
	fault = func() {
		p := procs[r.IntN(len(procs))]
		switch r.IntN(9) {
		case 0:
			cut := 1 + r.IntN(len(addrs)-1)
			k.ApplyFault(netmodel.Fault{Kind: netmodel.Partition, Groups: [][]string{addrs[:cut], addrs[cut:]}})
		case 1:
			a, b := addrs[r.IntN(len(addrs))], addrs[r.IntN(len(addrs))]
			k.ApplyFault(netmodel.Fault{Kind: netmodel.Cut, From: []string{a}, To: []string{b}})
		case 2:
			k.ApplyFault(netmodel.Fault{Kind: netmodel.Heal})
		case 3:
			k.ApplyFault(netmodel.Fault{Kind: netmodel.Loss, Rate: r.Float64() / 3})
		case 4:
			k.ApplyFault(netmodel.Fault{Kind: netmodel.Latency, Hosts: []string{p.Addr()},
				Dist: netmodel.Dist{Kind: netmodel.Uniform, Min: ms, Max: time.Duration(1+r.IntN(200)) * ms}})
		case 5:
			if p.Alive() {
				p.Kill()
			} else {
				p.Start()
			}
		case 6:
			if p.Paused() {
				p.Resume()
			} else {
				p.Pause()
			}
		case 7:
			p.JumpClock(time.Duration(r.IntN(20)-10) * time.Second)
		case 8:
			p.SetDrift(int64(r.IntN(2000) - 1000))
		}
		k.At(k.Now()+time.Duration(r.IntN(3000))*ms, fault)
	}
	k.At(time.Second, fault)
	k.RunUntil(time.Minute)
	return k.Trace().HashString(), k.Events()
}

func TestSameSeedSameTraceHash(t *testing.T) {
	seeds := 200
	if testing.Short() {
		seeds = 20
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	seen := map[string]uint64{}
	for seed := uint64(1); seed <= uint64(seeds); seed++ {
		var hashes []string
		for _, procs := range []int{1, 2} {
			runtime.GOMAXPROCS(procs)
			for range 2 {
				h, events := stressRun(seed, 6)
				if events < 1000 {
					t.Fatalf("seed %d ran only %d events: the stress world is not stressing", seed, events)
				}
				hashes = append(hashes, h)
			}
		}
		for _, h := range hashes[1:] {
			if h != hashes[0] {
				t.Fatalf("seed %d gave different trace hashes: %v", seed, hashes)
			}
		}
		if other, dup := seen[hashes[0]]; dup {
			t.Fatalf("seeds %d and %d gave the same trace hash %s", other, seed, hashes[0])
		}
		seen[hashes[0]] = seed
	}
}

// BenchmarkEventQueue is the floor under everything: scheduling and running bare events.
func BenchmarkEventQueue(b *testing.B) {
	k, _ := New(1, Options{})
	fn := func() {}
	// Keep about a thousand events queued, as a busy world does.
	for i := 0; i < 1000; i++ {
		k.At(time.Duration(i), fn)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		k.At(k.Now()+time.Microsecond*time.Duration(i%1000), fn)
		k.Step()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N), "ns/event")
}

// BenchmarkMessage is one message over a connection: transmit, arrive, deliver.
func BenchmarkMessage(b *testing.B) {
	k, _ := New(1, Options{})
	var srv *Conn
	k.AddHost("127.0.0.1").Spawn("s", programFunc(func(p *Process) {
		p.Listen(1, func(c *Conn) { srv = c })
	}))
	c := k.AddHost("127.0.0.2").Spawn("c", idle).Dial("127.0.0.1", 1)
	k.RunFor(10 * ms)
	got := 0
	srv.OnData = func(any) { got++ }
	msg := []string{"SET", "key", "value"}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c.Send(msg)
		k.RunFor(2 * ms)
	}
	if got != b.N {
		b.Fatalf("delivered %d of %d", got, b.N)
	}
}

// BenchmarkStress is the stress world: events per wall second with every fault kind.
func BenchmarkStress(b *testing.B) {
	var events uint64
	for i := 0; i < b.N; i++ {
		_, n := stressRun(uint64(i+1), 6)
		events += n
	}
	b.ReportMetric(float64(events)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(events), "ns/event")
}
