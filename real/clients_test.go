package real

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/sentinelsim/sentinelsim/linearize"
	"github.com/sentinelsim/sentinelsim/resp"
	"github.com/sentinelsim/sentinelsim/world"
)

// fakeSentinelMaster is one listener that answers as a sentinel naming itself the master,
// and as that master swallows every INCR without a reply, counting them.
type fakeSentinelMaster struct {
	l     net.Listener
	incrs atomic.Int64
}

func newFakeSentinelMaster(t *testing.T) *fakeSentinelMaster {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeSentinelMaster{l: l}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			go f.serve(conn)
		}
	}()
	return f
}

func (f *fakeSentinelMaster) serve(conn net.Conn) {
	defer conn.Close()
	host, port, _ := net.SplitHostPort(f.l.Addr().String())
	r := resp.NewReader(conn)
	for {
		args, err := r.ReadCommand()
		if err != nil {
			return
		}
		var reply resp.Value
		switch cmd := strings.ToUpper(strings.Join(args[:min(2, len(args))], " ")); {
		case cmd == "SENTINEL GET-MASTER-ADDR-BY-NAME":
			reply = resp.BulkArray(host, port)
		case strings.HasPrefix(cmd, "SENTINEL"):
			reply = resp.Array()
		case strings.HasPrefix(cmd, "INCR"):
			f.incrs.Add(1)
			continue // the reply that never comes: the client times out
		default:
			reply = resp.Err("ERR the fake knows only SENTINEL and INCR")
		}
		if _, err := conn.Write(resp.Append(nil, reply)); err != nil {
			return
		}
	}
}

// A client's operation that timed out is sent once: go-redis's retries would apply an
// INCR or RPUSH again while the history records it once.
func TestClientsDoNotRetryATimedOutWrite(t *testing.T) {
	f := newFakeSentinelMaster(t)
	rdb := redis.NewFailoverClient(failoverOptions("m", []string{f.l.Addr().String()}, "127.0.0.1",
		200*time.Millisecond, func(string) {}))
	defer rdb.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := rdb.Do(ctx, "INCR", "k").Result()
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("INCR answered %v, want a read timeout", err)
	}
	if n := f.incrs.Load(); n != 1 {
		t.Errorf("the server received the INCR %d times, want once", n)
	}
}

// What go-redis's FailoverClient cannot do is refused, naming the option, before any
// client starts: a ROLE check of the master it is given, and going without the
// +switch-master subscription.
func TestClientsRefuseWhatTheFailoverClientCannotDo(t *testing.T) {
	wl, _ := linearize.NewWorkload("counter", 1)
	for _, c := range []struct {
		spec world.ClientSpec
		want string
	}{
		{world.ClientSpec{Workload: wl, RoleCheck: true, FollowSwitch: true}, "role-check"},
		{world.ClientSpec{Workload: wl}, "follow-switch false"},
	} {
		var cl Cluster // nothing started: the refusal comes first
		err := cl.StartClients(c.spec, new(linearize.History))
		if !errors.Is(err, world.ErrUnsupported) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want ErrUnsupported naming %s", c.spec, err, c.want)
		}
		if len(cl.clients) != 0 {
			t.Errorf("%+v: %d clients started", c.spec, len(cl.clients))
		}
	}
	if err := clientSpecError(world.ClientSpec{FollowSwitch: true}); err != nil {
		t.Errorf("go-redis's own behaviour refused: %v", err)
	}
}
