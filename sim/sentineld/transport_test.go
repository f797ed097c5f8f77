package sentineld

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/sentinelsim/sentinelsim/resp"
	"github.com/sentinelsim/sentinelsim/sentinel"
	"github.com/sentinelsim/sentinelsim/sim/kernel"
)

type programFunc func(p *kernel.Process)

func (f programFunc) Start(p *kernel.Process) { f(p) }

// fakeRedis answers PING with PONG, anything else with OK, and after SUBSCRIBE pushes the
// confirmation and one message.
var fakeRedis = programFunc(func(p *kernel.Process) {
	p.Listen(6379, func(c *kernel.Conn) {
		c.OnData = func(msg any) {
			args := msg.([]string)
			switch args[0] {
			case "PING":
				c.Send(resp.Simple("PONG"))
			case "SUBSCRIBE":
				c.Send(resp.Array(resp.Bulk("subscribe"), resp.Bulk(args[1]), resp.Int(1)))
				c.Send(resp.Array(resp.Bulk("message"), resp.Bulk(args[1]), resp.Bulk("hello")))
			default:
				c.Send(resp.OK)
			}
		}
	})
})

func setup(t *testing.T) (*kernel.Kernel, *kernel.Process, sentinel.Transport) {
	k, err := kernel.New(1, kernel.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := k.AddHost("127.0.0.1").Spawn("redis", fakeRedis)
	me := k.AddHost("127.0.0.2").Spawn("sentinel", programFunc(func(*kernel.Process) {}))
	return k, srv, transport{p: me}
}

func TestRepliesInOrderThenSubscription(t *testing.T) {
	k, _, tr := setup(t)
	c, err := tr.Dial(sentinel.Addr{Host: "127.0.0.1", Port: 6379}, func(error) { t.Error("disconnected") })
	if err != nil {
		t.Fatal(err)
	}
	if ip := c.LocalIP(); ip != "" {
		t.Errorf("LocalIP %q before the connection is up", ip)
	}
	var got []string
	c.Send([]string{"CLIENT", "SETNAME", "x"}, func(v resp.Value, ok bool) { got = append(got, fmt.Sprint(v, ok)) })
	c.Send([]string{"PING"}, func(v resp.Value, ok bool) { got = append(got, fmt.Sprint(v, ok)) })
	c.Subscribe("SUBSCRIBE", "__sentinel__:hello", func(v resp.Value) { got = append(got, "push "+v.String()) })
	k.RunFor(100 * time.Millisecond)
	want := `[OK true PONG true push ["subscribe" "__sentinel__:hello" (integer) 1] push ["message" "__sentinel__:hello" "hello"]]`
	if fmt.Sprint(got) != want {
		t.Fatalf("got %v\nwant %s", got, want)
	}
	if ip := c.LocalIP(); ip != "127.0.0.2" {
		t.Errorf("LocalIP %q, want 127.0.0.2", ip)
	}
}

func TestLostConnectionFailsPendingThenReports(t *testing.T) {
	k, srv, tr := setup(t)
	var events []string
	c, _ := tr.Dial(sentinel.Addr{Host: "127.0.0.1", Port: 6379}, func(err error) {
		events = append(events, "disconnect "+err.Error())
	})
	k.RunFor(10 * time.Millisecond)
	srv.Pause()
	c.Send([]string{"PING"}, func(v resp.Value, ok bool) { events = append(events, fmt.Sprint("reply ", ok)) })
	srv.Kill()
	k.RunFor(10 * time.Millisecond)
	if fmt.Sprint(events) != "[reply false disconnect EOF]" {
		t.Fatalf("events %v", events)
	}
	if err := c.Send([]string{"PING"}, nil); !errors.Is(err, kernel.ErrClosed) {
		t.Fatalf("send after loss: %v", err)
	}
}

func TestCloseFailsPendingSilently(t *testing.T) {
	k, _, tr := setup(t)
	disconnected := false
	c, _ := tr.Dial(sentinel.Addr{Host: "127.0.0.1", Port: 6379}, func(error) { disconnected = true })
	ok := true
	c.Send([]string{"PING"}, func(_ resp.Value, o bool) { ok = o })
	c.Close()
	k.RunFor(time.Second)
	if ok || disconnected {
		t.Fatalf("after Close: reply ok=%v, onDisconnect called=%v", ok, disconnected)
	}
}
