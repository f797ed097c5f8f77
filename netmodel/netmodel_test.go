package netmodel

import (
	"math/rand/v2"
	"sort"
	"testing"
	"time"
)

func newNet(t *testing.T, d Dist, addrs ...string) (*Network, []HostID) {
	t.Helper()
	n, err := New(d)
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]HostID, len(addrs))
	for i, a := range addrs {
		ids[i] = n.AddHost(a)
	}
	return n, ids
}

var ms = time.Millisecond

func fixed(d time.Duration) Dist { return Dist{Kind: Fixed, Min: d} }

func rng() *rand.Rand { return rand.New(rand.NewPCG(1, 2)) }

func TestPartitionBlocksBothWaysBetweenGroupsOnly(t *testing.T) {
	n, h := newNet(t, fixed(ms), "a", "b", "c", "d")
	if err := n.Apply(Fault{Kind: Partition, Groups: [][]string{{"a", "b"}, {"c"}}}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		from, to HostID
		want     bool
	}{
		{h[0], h[1], true}, {h[0], h[2], false}, {h[2], h[0], false}, {h[1], h[2], false},
		{h[0], h[3], true}, {h[3], h[2], true}, {h[2], h[2], true},
	} {
		if got := n.Passable(c.from, c.to); got != c.want {
			t.Errorf("Passable(%s, %s) = %v, want %v", n.Addr(c.from), n.Addr(c.to), got, c.want)
		}
	}
	if err := n.Apply(Fault{Kind: Heal}); err != nil {
		t.Fatal(err)
	}
	if !n.Passable(h[0], h[2]) || !n.Passable(h[2], h[0]) {
		t.Error("heal all left a link blocked")
	}
}

func TestCutIsOneWay(t *testing.T) {
	n, h := newNet(t, fixed(ms), "a", "b")
	if err := n.Apply(Fault{Kind: Cut, From: []string{"a"}, To: []string{"b"}}); err != nil {
		t.Fatal(err)
	}
	if n.Passable(h[0], h[1]) {
		t.Error("a -> b passes through a cut from a to b")
	}
	if !n.Passable(h[1], h[0]) {
		t.Error("b -> a blocked by a cut from a to b")
	}
}

func TestHealOfOneHostKeepsOtherFaults(t *testing.T) {
	n, h := newNet(t, fixed(ms), "a", "b", "c")
	n.Apply(Fault{Kind: Partition, Groups: [][]string{{"a"}, {"b"}, {"c"}}})
	if err := n.Apply(Fault{Kind: Heal, Hosts: []string{"a"}}); err != nil {
		t.Fatal(err)
	}
	if !n.Passable(h[0], h[1]) || !n.Passable(h[2], h[0]) {
		t.Error("links of a still blocked after healing a")
	}
	if n.Passable(h[1], h[2]) {
		t.Error("healing a also healed b|c")
	}
}

func TestFaultValidation(t *testing.T) {
	n, _ := newNet(t, fixed(ms), "a", "b")
	for _, f := range []Fault{
		{Kind: Partition, Groups: [][]string{{"a"}}},
		{Kind: Partition, Groups: [][]string{{"a"}, {"a", "b"}}},
		{Kind: Partition, Groups: [][]string{{"a"}, {"zz"}}},
		{Kind: Cut, From: []string{"a"}},
		{Kind: Loss, Rate: 1},
		{Kind: Latency, Dist: Dist{Kind: Uniform, Min: 2 * ms, Max: ms}},
		{Kind: "flood"},
	} {
		if err := n.Apply(f); err == nil {
			t.Errorf("Apply(%v) accepted an invalid fault", f)
		}
	}
}

func TestStreamDeliversInOrderWithJitter(t *testing.T) {
	n, h := newNet(t, Dist{Kind: Uniform, Min: ms, Max: 50 * ms}, "a", "b")
	s := Stream{From: h[0], To: h[1]}
	r := rng()
	var last time.Duration
	for i := 0; i < 1000; i++ {
		now := time.Duration(i) * 100 * time.Microsecond
		step := s.Send(n, now, r)
		if step.Deliver != Head {
			t.Fatalf("segment %d not delivered on an open link", i)
		}
		if step.Arrive < last || step.Arrive < now+ms {
			t.Fatalf("segment %d arrives at %v, before %v or before its latency", i, step.Arrive, last)
		}
		last = step.Arrive
	}
}

// A write sent during a partition is delivered at the first retransmission after the heal.
func TestWriteDuringPartitionArrivesAtFirstRetransmissionAfterHeal(t *testing.T) {
	n, h := newNet(t, fixed(ms), "a", "b")
	n.Apply(Fault{Kind: Partition, Groups: [][]string{{"a"}, {"b"}}})
	s := Stream{From: h[0], To: h[1]}
	r := rng()
	step := s.Send(n, 0, r)
	if step.Deliver != None || step.Retry != InitialRTO {
		t.Fatalf("send during partition: %+v, want a retry at %v", step, InitialRTO)
	}
	// Retransmissions at 0.2, 0.6, 1.4, 3.0 s (RTO doubling); the heal comes at 2 s.
	var times []time.Duration
	for step.Deliver != All {
		if step.Retry == 0 || len(times) > 10 {
			t.Fatalf("never delivered; retransmissions at %v", times)
		}
		now := step.Retry
		times = append(times, now)
		if now >= 2*time.Second {
			n.Apply(Fault{Kind: Heal})
		}
		step = s.Retransmit(n, now, r)
	}
	want := []time.Duration{200 * ms, 600 * ms, 1400 * ms, 3000 * ms}
	if len(times) != len(want) || times[len(times)-1] != 3000*ms {
		t.Fatalf("retransmissions at %v, want %v: delivery at the first one after the heal", times, want)
	}
	if step.Arrive != 3000*ms+ms {
		t.Fatalf("arrives at %v, want 3.001s", step.Arrive)
	}
}

func TestOneWayCutOfACKsStallsTheSender(t *testing.T) {
	n, h := newNet(t, fixed(ms), "a", "b")
	n.Apply(Fault{Kind: Cut, From: []string{"b"}, To: []string{"a"}})
	s := Stream{From: h[0], To: h[1]}
	r := rng()
	step := s.Send(n, 0, r)
	if step.Deliver != Head || step.Retry == 0 {
		t.Fatalf("first segment: %+v, want delivered with a retransmission armed (no ACK)", step)
	}
	if next := s.Send(n, 10*ms, r); next.Deliver != None {
		t.Fatalf("second segment delivered while the sender waits for an ACK: %+v", next)
	}
	if re := s.Retransmit(n, step.Retry, r); re.Deliver != None {
		t.Fatalf("retransmission delivered more data with the ACK path still cut: %+v", re)
	}
}

func TestRetransmissionLimitAbortsAfterAboutFifteenMinutes(t *testing.T) {
	n, h := newNet(t, fixed(ms), "a", "b")
	n.Apply(Fault{Kind: Partition, Groups: [][]string{{"a"}, {"b"}}})
	s := Stream{From: h[0], To: h[1]}
	r := rng()
	step := s.Send(n, 0, r)
	now := time.Duration(0)
	for !step.Abort {
		if step.Retry == 0 {
			t.Fatal("stalled stream stopped retransmitting without aborting")
		}
		now = step.Retry
		step = s.Retransmit(n, now, r)
	}
	if now != 924600*ms {
		t.Fatalf("aborted at %v, want 924.6s (tcp_retries2=15, RTO 200ms doubling to 120s)", now)
	}
}

func TestLossDelaysButNeverDrops(t *testing.T) {
	n, h := newNet(t, fixed(ms), "a", "b")
	n.Apply(Fault{Kind: Loss, Rate: 0.5})
	s := Stream{From: h[0], To: h[1]}
	r := rng()
	delivered, delayed := 0, 0
	for i := 0; i < 200; i++ {
		now := time.Duration(i) * time.Second
		step := s.Send(n, now, r)
		for step.Deliver == None {
			delayed++
			step = s.Retransmit(n, step.Retry, r)
		}
		delivered++
	}
	if delivered != 200 {
		t.Fatalf("delivered %d of 200 segments", delivered)
	}
	if delayed < 50 {
		t.Fatalf("only %d retransmissions at 50%% loss", delayed)
	}
}

func TestSYNRetrySchedule(t *testing.T) {
	var got []time.Duration
	for a := 1; ; a++ {
		at, ok := SYNRetry(0, a)
		if !ok {
			if at != 127*time.Second {
				t.Fatalf("connect timeout at %v, want 127s", at)
			}
			break
		}
		got = append(got, at)
	}
	want := []time.Duration{1, 3, 7, 15, 31, 63}
	for i := range want {
		if got[i] != want[i]*time.Second {
			t.Fatalf("SYN retransmissions at %v, want %v s", got, want)
		}
	}
}

func TestLatencyDistributions(t *testing.T) {
	r := rng()
	u := Dist{Kind: Uniform, Min: 10 * ms, Max: 20 * ms}
	lt := Dist{Kind: LongTail, Min: 10 * ms, Max: 100 * ms}
	var us, ls []time.Duration
	for i := 0; i < 20000; i++ {
		us = append(us, u.Sample(r))
		ls = append(ls, lt.Sample(r))
	}
	for _, d := range us {
		if d < 10*ms || d > 20*ms {
			t.Fatalf("uniform sample %v outside [10ms, 20ms]", d)
		}
	}
	sort.Slice(ls, func(i, j int) bool { return ls[i] < ls[j] })
	median, p99 := ls[len(ls)/2], ls[len(ls)*99/100]
	if median < 9*ms || median > 11*ms {
		t.Errorf("long-tail median %v, want about 10ms", median)
	}
	if p99 < 85*ms || p99 > 115*ms {
		t.Errorf("long-tail p99 %v, want about 100ms", p99)
	}
	if f := (Dist{Kind: Fixed, Min: 7 * ms}); f.Sample(r) != 7*ms {
		t.Error("fixed latency varies")
	}
}

func TestLinkLatencyFaultTouchesOnlyNamedHosts(t *testing.T) {
	n, h := newNet(t, fixed(ms), "a", "b", "c")
	n.Apply(Fault{Kind: Latency, Hosts: []string{"a"}, Dist: fixed(40 * ms)})
	r := rng()
	if got := n.Latency(h[0], h[1], r); got != 40*ms {
		t.Errorf("a->b latency %v, want 40ms", got)
	}
	if got := n.Latency(h[2], h[0], r); got != 40*ms {
		t.Errorf("c->a latency %v, want 40ms", got)
	}
	if got := n.Latency(h[1], h[2], r); got != ms {
		t.Errorf("b->c latency %v, want the default 1ms", got)
	}
}
