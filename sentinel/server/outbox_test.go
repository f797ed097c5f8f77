package server

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sentinelsim/sentinelsim/resp"
)

// Redis's rule for a Pub/Sub client's output buffer: the hard limit at once, the soft one
// once the buffer has stayed above it for more than 60 s, an empty buffer never judged.
func TestPubSubOutputLimit(t *testing.T) {
	t0 := time.Unix(1000, 0)
	var since time.Time
	for _, step := range []struct {
		used  int
		at    time.Duration
		want  bool
		since time.Duration // -1: zero
	}{
		{1 << 20, 0, false, -1},
		{8 << 20, 0, false, 0},                 // over the soft limit: the clock starts
		{9 << 20, 60 * time.Second, false, 0},  // not for more than 60 s yet
		{9 << 20, 61 * time.Second, true, 0},   // now it has
		{0, 62 * time.Second, false, 0},        // an empty buffer is not judged
		{1 << 20, 63 * time.Second, false, -1}, // under the soft limit: the clock stops
		{8 << 20, 64 * time.Second, false, 64 * time.Second},
		{32 << 20, 64 * time.Second, true, 64 * time.Second}, // the hard limit, at once
	} {
		got := pubsubLimit.reached(step.used, t0.Add(step.at), &since)
		wantSince := time.Time{}
		if step.since >= 0 {
			wantSince = t0.Add(step.since)
		}
		if got != step.want || !since.Equal(wantSince) {
			t.Errorf("%d bytes at %v: reached %v since %v, want %v since %v", step.used, step.at, got, since, step.want, wantSince)
		}
	}
}

// An outbox takes whatever is written at once, whether the peer reads or not, and sends
// it in order; closeAfterSending closes the connection once all of it is out.
func TestOutboxNeverWaitsForThePeer(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	peer, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer peer.Close()
	nc, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	o := newOutbox(nc)
	chunk := strings.Repeat("x", 1<<20)
	for i := range 32 { // far more than the socket buffers take
		o.write([]byte(fmt.Sprintf("%02d", i) + chunk))
	}
	if o.pending() == 0 {
		t.Error("32 MB written to a peer that reads nothing, and none of it pending")
	}
	o.closeAfterSending()
	r := bufio.NewReader(peer)
	for i := range 32 {
		buf := make([]byte, 2+len(chunk))
		if _, err := io.ReadFull(r, buf); err != nil {
			t.Fatalf("chunk %d: %v", i, err)
		}
		if string(buf[:2]) != fmt.Sprintf("%02d", i) {
			t.Fatalf("chunk %d arrived as %q", i, buf[:2])
		}
	}
	if _, err := r.ReadByte(); err != io.EOF {
		t.Errorf("after everything was sent: %v, want EOF", err)
	}
}

// A client that subscribes and then stops reading (it sends PINGs with 1 MB payloads to
// pile up its replies quickly, where events alone would take hours) stalls only itself:
// the sentinel goes on answering others, and fails over when the master dies, the stuck
// client's pushes waiting in its outbox; once its output buffer passes the Pub/Sub hard
// limit (32 MB, past what the socket buffers took) it is disconnected and logged as
// Redis does.
func TestStuckSubscriberStallsOnlyItself(t *testing.T) {
	redis := requireBinary(t, "redis-server")
	const host = "127.0.0.5"
	mport, rport := freePort(t, host), freePort(t, host)
	opts := []string{`save ""`, "appendonly no", "repl-diskless-sync-delay 0", "bind-source-addr " + host}
	killMaster := startProcess(t, redis, host, mport, opts...)
	startProcess(t, redis, host, rport, append(opts, fmt.Sprintf("replicaof %s %d", host, mport))...)
	r := startServer(t, fmt.Sprintf("sentinel monitor m %s %d 1\nsentinel down-after-milliseconds m 1000\n"+
		"sentinel failover-timeout m 3000\n", host, mport))
	_, do := dial(t, r.addr)
	waitFor(t, 20*time.Second, "the replica discovered and in sync", func() bool {
		v, err := do("SENTINEL REPLICAS m")
		return err == nil && strings.Contains(v.String(), `"flags" "slave"`) &&
			strings.Contains(v.String(), `"master-link-status" "ok"`)
	})

	events := subscribeAll(t, r.addr)
	stuck, err := net.Dial("tcp", r.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer stuck.Close()
	stuck.(*net.TCPConn).SetReadBuffer(4096)
	pings := func(n int) {
		payload := strings.Repeat("p", 1<<20)
		for range n {
			// The writes fail once the sentinel has hung up, which is the point.
			stuck.Write(resp.AppendCommand(nil, "PING", payload))
		}
	}
	stuck.Write(resp.AppendCommand(nil, "PSUBSCRIBE", "*"))
	pings(20)
	omem := regexp.MustCompile(`addr=` + regexp.QuoteMeta(stuck.LocalAddr().String()) + ` .* omem=(\d+)`)
	waitFor(t, 10*time.Second, "the stuck client's replies piling up past 8 MB", func() bool {
		v, err := do("CLIENT LIST")
		m := omem.FindStringSubmatch(v.Str)
		if err != nil || m == nil {
			return false
		}
		n, _ := strconv.Atoi(m[1])
		return n > 8<<20
	})
	if v, err := do("PING"); err != nil || v.String() != "PONG" {
		t.Fatalf("another client's PING while a subscriber is stuck: %v %v", v, err)
	}

	killMaster()
	want := fmt.Sprintf(`"+switch-master" "m %s %d %s %d"`, host, mport, host, rport)
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(events(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within 30 s; the events:\n%s\nthe log:\n%s", want, events(), r.log(t))
		}
		time.Sleep(50 * time.Millisecond)
	}
	if v, err := do("CLIENT LIST"); err != nil || !omem.MatchString(v.Str) {
		t.Fatalf("the stuck client, under the hard limit, was disconnected: %v %v", v, err)
	}

	pings(30)
	waitFor(t, 10*time.Second, "the stuck client disconnected past 32 MB", func() bool {
		v, err := do("CLIENT LIST")
		return err == nil && !omem.MatchString(v.Str)
	})
	if log := r.log(t); !strings.Contains(log, " scheduled to be closed ASAP for overcoming of output buffer limits.") {
		t.Errorf("the log does not say why the client was disconnected:\n%s", log)
	}
}

// subscribeAll connects a client subscribed to every event; the function returned is
// everything it received so far.
func subscribeAll(t *testing.T, addr string) func() string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.Write(resp.AppendCommand(nil, "PSUBSCRIBE", "*"))
	got := make(chan string, 1000)
	go func() {
		r := resp.NewReader(c)
		for {
			v, err := r.ReadValue()
			if err != nil {
				close(got)
				return
			}
			got <- v.String()
		}
	}()
	var seen strings.Builder
	return func() string {
		for {
			select {
			case s, ok := <-got:
				if !ok {
					return seen.String()
				}
				seen.WriteString(s + "\n")
			default:
				return seen.String()
			}
		}
	}
}
