package kernel

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/sentinelsim/sentinelsim/netmodel"
)

const ms = time.Millisecond

// programFunc makes a Program of a function.
type programFunc func(p *Process)

func (f programFunc) Start(p *Process) { f(p) }

// echo is a server that answers every message with "echo:<msg>".
var echo = programFunc(func(p *Process) {
	if err := p.Listen(6379, func(c *Conn) {
		c.OnData = func(msg any) { c.Send("echo:" + msg.(string)) }
	}); err != nil {
		panic(err)
	}
})

// idle is a process that does nothing by itself; tests drive it.
var idle = programFunc(func(*Process) {})

// recorder collects what one client connection sees, with the time it saw it.
type recorder struct {
	k      *Kernel
	opened time.Duration
	data   []string
	at     []time.Duration
	closed error
	closAt time.Duration
}

func (r *recorder) attach(c *Conn) {
	c.OnOpen = func() { r.opened = r.k.Now() }
	c.OnData = func(msg any) {
		r.data = append(r.data, msg.(string))
		r.at = append(r.at, r.k.Now())
	}
	c.OnClose = func(err error) { r.closed, r.closAt = err, r.k.Now() }
}

func newKernel(t *testing.T, lat time.Duration) *Kernel {
	t.Helper()
	k, err := New(1, Options{Latency: netmodel.Dist{Kind: netmodel.Fixed, Min: lat}, KeepTrace: true})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// world is two hosts: a server running echo and a client process.
func world(t *testing.T) (*Kernel, *Process, *Process) {
	k := newKernel(t, ms)
	server := k.AddHost("127.0.0.1").Spawn("server", echo)
	client := k.AddHost("127.0.0.2").Spawn("client", idle)
	return k, server, client
}

func dial(k *Kernel, from *Process, addr string) (*Conn, *recorder) {
	c := from.Dial(addr, 6379)
	r := &recorder{k: k}
	r.attach(c)
	return c, r
}

func TestEventsAtTheSameTimeRunInSchedulingOrder(t *testing.T) {
	k := newKernel(t, ms)
	var got []int
	for i := 0; i < 5; i++ {
		k.At(time.Second, func() { got = append(got, i) })
	}
	k.At(500*ms, func() { got = append(got, -1) })
	k.RunUntilIdle(time.Hour)
	want := []int{-1, 0, 1, 2, 3, 4}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("ran %v, want %v", got, want)
	}
	if k.Now() != time.Second {
		t.Fatalf("clock at %v after the last event, want 1s", k.Now())
	}
}

func TestRunUntilStopsAtTheGivenTime(t *testing.T) {
	k := newKernel(t, ms)
	ran := 0
	k.At(time.Second, func() { ran++ })
	k.At(3*time.Second, func() { ran++ })
	k.RunUntil(2 * time.Second)
	if ran != 1 || k.Now() != 2*time.Second {
		t.Fatalf("ran %d events, clock %v; want 1 and 2s", ran, k.Now())
	}
	if !k.Step() || ran != 2 || k.Step() {
		t.Fatal("Step did not run exactly the remaining event")
	}
}

func TestRandStreamsDependOnlyOnSeedAndName(t *testing.T) {
	a := NewRand(7, "client/1").Uint64()
	if b := NewRand(7, "client/1").Uint64(); a != b {
		t.Fatal("same seed and name gave different draws")
	}
	if c := NewRand(7, "client/2").Uint64(); c == a {
		t.Fatal("different names gave the same draw")
	}
	if d := NewRand(8, "client/1").Uint64(); d == a {
		t.Fatal("different seeds gave the same draw")
	}
}

func TestEchoOverTheNetworkInOrderWithLatency(t *testing.T) {
	k, _, client := world(t)
	c, r := dial(k, client, "127.0.0.1")
	c.Send("a") // queued while connecting
	k.RunFor(10 * ms)
	c.Send("b")
	k.RunFor(10 * ms)
	if r.opened != 2*ms {
		t.Errorf("connected at %v, want 2ms (one round trip)", r.opened)
	}
	if fmt.Sprint(r.data) != "[echo:a echo:b]" {
		t.Fatalf("got %v", r.data)
	}
	if r.at[1] != 12*ms {
		t.Errorf("echo of b at %v, want 12ms (sent at 10ms, 1ms each way)", r.at[1])
	}
}

func TestWriteDuringPartitionArrivesAfterHeal(t *testing.T) {
	k, _, client := world(t)
	c, r := dial(k, client, "127.0.0.1")
	k.RunFor(10 * ms)
	k.ApplyFault(netmodel.Fault{Kind: netmodel.Partition, Groups: [][]string{{"127.0.0.1"}, {"127.0.0.2"}}})
	c.Send("zombie") // at 10ms; retransmissions at 210, 610, 1410, 3010 ms ...
	k.RunUntil(2 * time.Second)
	if len(r.data) != 0 {
		t.Fatalf("data crossed the partition: %v", r.data)
	}
	k.ApplyFault(netmodel.Fault{Kind: netmodel.Heal})
	k.RunUntil(5 * time.Second)
	if len(r.data) != 1 {
		t.Fatalf("after the heal got %v, want the zombie write's echo", r.data)
	}
	if r.at[0] != 3012*ms {
		t.Fatalf("echo at %v, want 3.012s: the retransmission at 3.01s, 1ms there and 1ms back", r.at[0])
	}
}

func TestOneWayCutDeliversOnlyTheOtherDirection(t *testing.T) {
	k := newKernel(t, ms)
	a := k.AddHost("127.0.0.1").Spawn("a", idle)
	b := k.AddHost("127.0.0.2").Spawn("b", idle)
	var atB, atA []string
	var bEnd *Conn
	b.Listen(1, func(c *Conn) {
		bEnd = c
		c.OnData = func(m any) { atB = append(atB, m.(string)) }
	})
	aEnd := a.Dial("127.0.0.2", 1)
	aEnd.OnData = func(m any) { atA = append(atA, m.(string)) }
	k.RunFor(10 * ms)
	k.ApplyFault(netmodel.Fault{Kind: netmodel.Cut, From: []string{"127.0.0.1"}, To: []string{"127.0.0.2"}})
	aEnd.Send("a->b")
	bEnd.Send("b->a")
	k.RunFor(5 * time.Second)
	if len(atB) != 0 {
		t.Errorf("a->b crossed a cut from a to b: %v", atB)
	}
	if fmt.Sprint(atA) != "[b->a]" {
		t.Errorf("b->a not delivered across a cut from a to b: %v", atA)
	}
}

func TestConnectToKilledProcessIsRefused(t *testing.T) {
	k, server, client := world(t)
	server.Kill()
	_, r := dial(k, client, "127.0.0.1")
	k.RunFor(time.Second)
	if !errors.Is(r.closed, ErrRefused) || r.closAt != 2*ms {
		t.Fatalf("closed with %v at %v, want refused after one round trip", r.closed, r.closAt)
	}
}

func TestConnectToUnreachableHostTimesOut(t *testing.T) {
	k, _, client := world(t)
	k.ApplyFault(netmodel.Fault{Kind: netmodel.Partition, Groups: [][]string{{"127.0.0.1"}, {"127.0.0.2"}}})
	_, r := dial(k, client, "127.0.0.1")
	k.RunFor(200 * time.Second)
	if !errors.Is(r.closed, ErrTimeout) || r.closAt != 127*time.Second {
		t.Fatalf("closed with %v at %v, want a timeout at 127s", r.closed, r.closAt)
	}
}

func TestConnectCompletesAtTheSYNRetryAfterHeal(t *testing.T) {
	k, _, client := world(t)
	k.ApplyFault(netmodel.Fault{Kind: netmodel.Partition, Groups: [][]string{{"127.0.0.1"}, {"127.0.0.2"}}})
	_, r := dial(k, client, "127.0.0.1")
	k.RunUntil(5 * time.Second)
	k.ApplyFault(netmodel.Fault{Kind: netmodel.Heal})
	k.RunUntil(20 * time.Second)
	if r.closed != nil || r.opened != 7*time.Second+2*ms {
		t.Fatalf("opened at %v (closed %v), want 7.002s: the SYN retry at 7s", r.opened, r.closed)
	}
}

func TestPeersOfAKilledProcessSeeFIN(t *testing.T) {
	k, server, client := world(t)
	_, r := dial(k, client, "127.0.0.1")
	k.RunFor(10 * ms)
	server.Kill()
	k.RunFor(10 * ms)
	if !errors.Is(r.closed, ErrEOF) || r.closAt != 11*ms {
		t.Fatalf("closed with %v at %v, want EOF one latency after the kill", r.closed, r.closAt)
	}
}

func TestFINOfAProcessKilledDuringAPartitionArrivesAfterHeal(t *testing.T) {
	k, server, client := world(t)
	_, r := dial(k, client, "127.0.0.1")
	k.RunFor(10 * ms)
	k.ApplyFault(netmodel.Fault{Kind: netmodel.Partition, Groups: [][]string{{"127.0.0.1"}, {"127.0.0.2"}}})
	server.Kill()
	k.RunFor(30 * time.Second)
	if r.closed != nil {
		t.Fatalf("peer learnt of the kill through a partition: %v", r.closed)
	}
	k.ApplyFault(netmodel.Fault{Kind: netmodel.Heal})
	k.RunFor(200 * time.Second)
	if !errors.Is(r.closed, ErrEOF) {
		t.Fatalf("after the heal the peer saw %v, want EOF", r.closed)
	}
}

func TestDataToAClosedSocketIsReset(t *testing.T) {
	k, server, client := world(t)
	c, r := dial(k, client, "127.0.0.1")
	k.RunFor(10 * ms)
	k.ApplyFault(netmodel.Fault{Kind: netmodel.Cut, From: []string{"127.0.0.1"}, To: []string{"127.0.0.2"}})
	server.Kill() // its FIN cannot reach the client
	c.Send("hello?")
	k.RunFor(10 * ms)
	k.ApplyFault(netmodel.Fault{Kind: netmodel.Heal})
	k.RunFor(200 * time.Second)
	if r.closed == nil {
		t.Fatal("client never learnt the server died")
	}
	if len(r.data) != 0 {
		t.Fatalf("a dead server answered: %v", r.data)
	}
}

func TestRetransmissionLimitAbortsTheSender(t *testing.T) {
	k, _, client := world(t)
	c, r := dial(k, client, "127.0.0.1")
	k.RunFor(10 * ms)
	k.ApplyFault(netmodel.Fault{Kind: netmodel.Partition, Groups: [][]string{{"127.0.0.1"}, {"127.0.0.2"}}})
	c.Send("lost")
	k.RunFor(20 * time.Minute)
	if !errors.Is(r.closed, ErrTimeout) || r.closAt != 10*ms+924600*ms {
		t.Fatalf("closed with %v at %v, want a timeout 924.6s after the send", r.closed, r.closAt)
	}
}

func TestCloseByEitherSide(t *testing.T) {
	k, _, client := world(t)
	var serverEnd *Conn
	var serverSaw error
	k.AddHost("127.0.0.3").Spawn("s2", programFunc(func(p *Process) {
		p.Listen(1, func(c *Conn) {
			serverEnd = c
			c.OnClose = func(err error) { serverSaw = err }
		})
	}))
	c := client.Dial("127.0.0.3", 1)
	k.RunFor(10 * ms)
	c.Close()
	k.RunFor(10 * ms)
	if !errors.Is(serverSaw, ErrEOF) {
		t.Fatalf("server saw %v after the client's close, want EOF", serverSaw)
	}
	r := &recorder{k: k}
	r.attach(client.Dial("127.0.0.3", 1))
	k.RunFor(10 * ms)
	serverEnd.Close() // now the server end of the second connection
	k.RunFor(10 * ms)
	if !errors.Is(r.closed, ErrEOF) {
		t.Fatalf("client saw %v after the server's close, want EOF", r.closed)
	}
	if err := c.Send("x"); !errors.Is(err, ErrClosed) {
		t.Fatalf("send on a closed connection: %v, want ErrClosed", err)
	}
}

func TestPausedProcessAnswersAfterResume(t *testing.T) {
	k, server, client := world(t)
	c, r := dial(k, client, "127.0.0.1")
	k.RunFor(10 * ms)
	server.Pause()
	c.Send("1")
	_, r2 := dial(k, client, "127.0.0.1") // the kernel still accepts connections
	k.RunFor(5 * time.Second)
	if len(r.data) != 0 {
		t.Fatalf("paused server answered: %v", r.data)
	}
	if r2.closed != nil || r2.opened == 0 {
		t.Fatalf("connect to a paused process: opened %v, closed %v; want established", r2.opened, r2.closed)
	}
	server.Resume()
	k.RunFor(10 * ms)
	if fmt.Sprint(r.data) != "[echo:1]" || r.at[0] != 5*time.Second+10*ms+ms {
		t.Fatalf("after resume got %v at %v, want the echo one latency after the resume", r.data, r.at)
	}
}

func TestClockJumpIsSeenByThatProcessOnly(t *testing.T) {
	k := newKernel(t, ms)
	h := k.AddHost("127.0.0.1")
	a := h.Spawn("a", idle)
	b := h.Spawn("b", idle)
	fired := time.Duration(0)
	a.After(time.Second, func() { fired = k.Now() })
	a.JumpClock(-time.Hour)
	if got := b.WallMs() - a.WallMs(); got != int64(time.Hour/ms) {
		t.Fatalf("b - a = %dms after a's jump, want one hour", got)
	}
	if b.WallMs() != Epoch {
		t.Fatalf("b's clock moved: %d", b.WallMs())
	}
	k.RunFor(2 * time.Second)
	if fired != time.Second {
		t.Fatalf("a's timer fired at %v, want 1s: timers run on the monotonic clock", fired)
	}
}

func TestDriftScalesTheLocalClock(t *testing.T) {
	k := newKernel(t, ms)
	p := k.AddHost("127.0.0.1").Spawn("p", idle)
	p.SetDrift(100_000) // 10% fast
	k.RunFor(10 * time.Second)
	if got := p.WallMs() - Epoch; got != 11000 {
		t.Fatalf("local clock advanced %dms in 10s at +10%%, want 11000", got)
	}
}

// disk is a program whose "disk" survives kills while its memory does not.
type disk struct {
	persisted int
	memory    *int
	ticks     int
}

func (d *disk) Start(p *Process) {
	mem := d.persisted
	d.memory = &mem
	var tick func()
	tick = func() {
		d.ticks++
		*d.memory++
		p.After(time.Second, tick)
	}
	p.After(time.Second, tick)
}

func TestKillCancelsTimersAndRestartKeepsOnlyPersistedState(t *testing.T) {
	k := newKernel(t, ms)
	d := &disk{persisted: 100}
	p := k.AddHost("127.0.0.1").Spawn("d", d)
	k.RunFor(3500 * ms)
	if *d.memory != 103 {
		t.Fatalf("memory %d after 3 ticks, want 103", *d.memory)
	}
	p.Kill()
	k.RunFor(5 * time.Second)
	if d.ticks != 3 {
		t.Fatalf("%d ticks: a killed process's timers kept firing", d.ticks)
	}
	p.Start()
	if *d.memory != 100 || p.Incarnation() != 2 {
		t.Fatalf("restart came back with memory %d, incarnation %d; want the persisted 100 and 2", *d.memory, p.Incarnation())
	}
	k.RunFor(1500 * ms)
	if d.ticks != 4 {
		t.Fatalf("%d ticks after restart, want the new incarnation's timer only", d.ticks)
	}
}

func TestExitLooksLikeAKillAndKeepsTheCode(t *testing.T) {
	k, server, client := world(t)
	_, r := dial(k, client, "127.0.0.1")
	k.RunFor(10 * ms)
	server.Exit(99)
	k.RunFor(10 * ms)
	if server.Alive() || server.ExitCode() != 99 || !errors.Is(r.closed, ErrEOF) {
		t.Fatalf("alive %v, code %d, peer saw %v", server.Alive(), server.ExitCode(), r.closed)
	}
}

func TestStoppedTimerDoesNotFire(t *testing.T) {
	k := newKernel(t, ms)
	p := k.AddHost("127.0.0.1").Spawn("p", idle)
	fired := false
	tm := p.After(time.Second, func() { fired = true })
	if !tm.Stop() {
		t.Fatal("Stop of a pending timer reported it had fired")
	}
	k.RunFor(2 * time.Second)
	if fired || tm.Stop() {
		t.Fatal("a stopped timer fired")
	}
}

func TestTraceRecordsAndHash(t *testing.T) {
	k, server, client := world(t)
	c, _ := dial(k, client, "127.0.0.1")
	c.Send("x")
	k.RunFor(10 * ms)
	server.Kill()
	k.RunFor(10 * ms)
	kinds := map[string]bool{}
	for _, r := range k.Trace().Records() {
		kinds[r.Kind] = true
	}
	for _, want := range []string{"start", "connect", "deliver", "kill", "fin"} {
		if !kinds[want] {
			t.Errorf("no %q record in the trace", want)
		}
	}
	if k.Trace().Len() != uint64(len(k.Trace().Records())) {
		t.Error("kept records and count disagree")
	}
}

type syncing struct {
	synced, written int
}

func (s *syncing) Start(p *Process) {}
func (s *syncing) PowerLoss()       { s.written = s.synced }

func TestPowerLossKillsEveryProcessAndDropsUnsyncedData(t *testing.T) {
	k := newKernel(t, ms)
	h := k.AddHost("127.0.0.1")
	d := &syncing{synced: 1, written: 5}
	a, b := h.Spawn("a", d), h.Spawn("b", idle)
	other := k.AddHost("127.0.0.2").Spawn("c", idle)
	h.PowerLoss()
	if a.Alive() || b.Alive() || !other.Alive() {
		t.Fatal("power loss must kill every process of the host and only those")
	}
	if d.written != 1 {
		t.Fatalf("after power loss the disk holds %d, want the synced 1", d.written)
	}
	// A process killed before the power loss loses what it had not synced too.
	e := &syncing{synced: 2, written: 7}
	h.Spawn("e", e).Kill()
	h.PowerLoss()
	if e.written != 2 {
		t.Fatalf("a dead process's disk holds %d after power loss, want the synced 2", e.written)
	}
}

// slowFirst answers "slow" after 5 ms on its CPU and anything else at once.
var slowFirst = programFunc(func(p *Process) {
	if err := p.Listen(6379, func(c *Conn) {
		c.OnData = func(msg any) {
			if msg == "slow" {
				p.Busy(5*ms, func() { c.Send("done:slow") })
				return
			}
			c.Send("echo:" + msg.(string))
		}
	}); err != nil {
		panic(err)
	}
})

// A busy process answers once its work is done, and what arrives meanwhile, on any
// connection, waits for it; it is running all along, not paused.
func TestBusyProcessServesTheRestAfterwards(t *testing.T) {
	k := newKernel(t, ms)
	server := k.AddHost("127.0.0.1").Spawn("server", slowFirst)
	client := k.AddHost("127.0.0.2").Spawn("client", idle)
	c1, r1 := dial(k, client, "127.0.0.1")
	c2, r2 := dial(k, client, "127.0.0.1")
	k.RunFor(10 * ms)
	start := k.Now()
	c1.Send("slow")
	k.RunFor(2 * ms) // arrived at +1 ms; busy until +6 ms
	if server.Paused() || !server.Alive() {
		t.Fatalf("a busy process looks paused or dead")
	}
	c2.Send("quick") // arrives at +3 ms, while busy
	k.RunFor(20 * ms)
	if fmt.Sprint(r1.data) != "[done:slow]" || r1.at[0] != start+7*ms {
		t.Fatalf("slow reply %v at %v, want done:slow at +7 ms", r1.data, r1.at)
	}
	if fmt.Sprint(r2.data) != "[echo:quick]" || r2.at[0] != start+7*ms {
		t.Fatalf("quick reply %v at %v, want it served after the slow one, at +7 ms", r2.data, r2.at)
	}
}

// A SIGSTOP while busy holds the rest of the work back until SIGCONT.
func TestBusyProcessPausedFinishesAfterResume(t *testing.T) {
	k := newKernel(t, ms)
	server := k.AddHost("127.0.0.1").Spawn("server", slowFirst)
	client := k.AddHost("127.0.0.2").Spawn("client", idle)
	c, r := dial(k, client, "127.0.0.1")
	k.RunFor(10 * ms)
	c.Send("slow")
	c.Send("next")
	k.RunFor(2 * ms)
	server.Pause()
	k.RunFor(time.Second)
	if len(r.data) != 0 {
		t.Fatalf("paused busy server answered: %v", r.data)
	}
	server.Resume()
	k.RunFor(10 * ms)
	if fmt.Sprint(r.data) != "[done:slow echo:next]" {
		t.Fatalf("after resume got %v, want the slow reply, then the next", r.data)
	}
}
