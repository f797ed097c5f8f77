package real_test

import (
	"net"
	"testing"
	"time"

	"github.com/sentinelsim/sentinelsim/netmodel"
)

// probes is how many datagrams delivered sends; loss at rate 0.5 lets through between
// a quarter and three quarters of them but for odds of about 1e-23.
const probes = 400

// delivered sends probes UDP datagrams from the address from to the address to and
// counts those that arrive: the firewall's rules name addresses, not protocols, so
// datagrams show what it does to each direction, where TCP would need both.
func delivered(t *testing.T, from, to string) int {
	t.Helper()
	in, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.ParseIP(to)})
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	// Room for every probe, read after the last is sent.
	if err := in.SetReadBuffer(1 << 20); err != nil {
		t.Fatal(err)
	}
	out, err := net.DialUDP("udp", &net.UDPAddr{IP: net.ParseIP(from)}, in.LocalAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	for range probes {
		// A datagram dropped on the output hook is an EPERM for its sender: count it lost.
		out.Write([]byte("probe"))
	}
	n := 0
	buf := make([]byte, 16)
	for {
		in.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		if _, _, err := in.ReadFromUDP(buf); err != nil {
			return n
		}
		n++
	}
}

// wantDelivered fails the test unless between lo and hi of the probes from one address
// to another arrive.
func wantDelivered(t *testing.T, what, from, to string, lo, hi int) {
	t.Helper()
	if n := delivered(t, from, to); n < lo || n > hi {
		t.Errorf("%s: %d of %d datagrams from %s to %s arrived, want %d-%d", what, n, probes, from, to, lo, hi)
	}
}

// A one-way cut drops what goes one way and lets the other way through; loss drops a
// share of the packets both ways on the links that touch its hosts, every link between
// hosts when it names none, and never the observer's: as the simulator's network does.
func TestOneWayCutAndLoss(t *testing.T) {
	need(t)
	const a, b, c = "127.0.0.51", "127.0.0.52", "127.0.0.53"
	cl := startCluster(t, `name: three
about: Three hosts, for the network faults.
hosts:
  n1: {addr: 127.0.0.51, redis: [6379], sentinel: [26379]}
  n2: {addr: 127.0.0.52, redis: [6379]}
  n3: {addr: 127.0.0.53, redis: [6379]}
sentinel: {quorum: 1}
duration: 1s
`)
	all, none := probes, 0
	wantDelivered(t, "no fault", a, b, all, all)

	if err := cl.Network(netmodel.Fault{Kind: netmodel.Cut, From: []string{a}, To: []string{b}}); err != nil {
		t.Fatal(err)
	}
	wantDelivered(t, "cut a>b", a, b, none, none)
	wantDelivered(t, "cut a>b, the other way", b, a, all, all)
	wantDelivered(t, "cut a>b, another link", a, c, all, all)
	// Its effect on the cluster: the master on a takes a write its replica on b never
	// gets, while the one on c does; after the heal, TCP brings it to b.
	if v, err := cl.Command("n1/redis", "SET", "k", "cut"); err != nil || v.Str != "OK" {
		t.Fatalf("SET on the master: %v %v", v, err)
	}
	replicated := func(node string) bool {
		v, err := cl.Command(node, "GET", "k")
		return err == nil && v.Str == "cut"
	}
	waitFor(t, "the write to reach the replica on c", func() bool { return replicated("n3/redis") })
	if replicated("n2/redis") {
		t.Error("the write reached the replica on b through the cut")
	}
	if err := cl.Network(netmodel.Fault{Kind: netmodel.Heal}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the write to reach the replica on b after the heal", func() bool { return replicated("n2/redis") })
	wantDelivered(t, "healed", a, b, all, all)

	if err := cl.Network(netmodel.Fault{Kind: netmodel.Loss, Hosts: []string{a}, Rate: 0.5}); err != nil {
		t.Fatal(err)
	}
	wantDelivered(t, "loss on a, from a", a, b, all/4, 3*all/4)
	wantDelivered(t, "loss on a, to a", c, a, all/4, 3*all/4)
	wantDelivered(t, "loss on a, a link without a", b, c, all, all)
	wantDelivered(t, "loss on a, the observer's link", "127.0.0.254", a, all, all)
	// A heal lifts blocks, not loss, in the simulator too.
	if err := cl.Network(netmodel.Fault{Kind: netmodel.Heal}); err != nil {
		t.Fatal(err)
	}
	wantDelivered(t, "loss on a after a heal", a, c, all/4, 3*all/4)

	if err := cl.Network(netmodel.Fault{Kind: netmodel.Loss, Rate: 0.5}); err != nil {
		t.Fatal(err)
	}
	wantDelivered(t, "loss everywhere", b, c, all/4, 3*all/4)
	if err := cl.Network(netmodel.Fault{Kind: netmodel.Loss, Rate: 0}); err != nil {
		t.Fatal(err)
	}
	wantDelivered(t, "loss lifted", a, b, all, all)
	if err := cl.Network(netmodel.Fault{Kind: netmodel.Loss, Rate: 1}); err == nil {
		t.Error("loss at rate 1 was accepted: the network model's faults take rates in [0, 1)")
	}
}

// waitFor polls cond for up to 20 s, failing the test if it never holds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !cond(); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}
