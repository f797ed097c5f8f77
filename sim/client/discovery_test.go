package client

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sentinelsim/sentinelsim/linearize"
	"github.com/sentinelsim/sentinelsim/netmodel"
	"github.com/sentinelsim/sentinelsim/resp"
	"github.com/sentinelsim/sentinelsim/sim/kernel"
	"github.com/sentinelsim/sentinelsim/world"
)

// fakeSentinel names master to every SENTINEL GET-MASTER-ADDR-BY-NAME and counts them.
type fakeSentinel struct {
	master  Addr
	queries int
}

func (f *fakeSentinel) Start(p *kernel.Process) {
	p.Listen(26379, func(c *kernel.Conn) {
		c.OnData = func(msg any) {
			if args, _ := msg.([]string); len(args) == 3 && strings.EqualFold(args[1], "get-master-addr-by-name") {
				f.queries++
				c.Send(resp.BulkArray(f.master.Host, strconv.Itoa(f.master.Port)))
			}
		}
	})
}

// fakeRedis acknowledges every command as SADD acknowledges a new member.
type fakeRedis struct{}

func (fakeRedis) Start(p *kernel.Process) {
	p.Listen(6379, func(c *kernel.Conn) { c.OnData = func(any) { c.Send(resp.Int(1)) } })
}

// discovery is one client on 127.0.0.1, with a redis node beside it, and three fake
// sentinels on hosts of their own.
type discovery struct {
	k         *kernel.Kernel
	c         *Client
	h         *linearize.History
	redis     *kernel.Process
	sentinels map[Addr]*fakeSentinel
	procs     map[Addr]*kernel.Process
}

func newDiscovery(t *testing.T) *discovery {
	k, err := kernel.New(3, kernel.Options{})
	if err != nil {
		t.Fatal(err)
	}
	d := &discovery{k: k, h: new(linearize.History), sentinels: map[Addr]*fakeSentinel{}, procs: map[Addr]*kernel.Process{}}
	master := Addr{Host: "127.0.0.1", Port: 6379}
	k.AddHost(master.Host)
	d.redis = k.Host(master.Host).Spawn("redis", fakeRedis{})
	var addrs []Addr
	for _, host := range []string{"127.0.0.11", "127.0.0.12", "127.0.0.13"} {
		a := Addr{Host: host, Port: 26379}
		k.AddHost(host)
		d.sentinels[a] = &fakeSentinel{master: master}
		d.procs[a] = k.Host(host).Spawn("sentinel "+host, d.sentinels[a])
		addrs = append(addrs, a)
	}
	wl, _ := linearize.NewWorkload("set-add", 1)
	d.c = New(Config{MasterName: "mymaster", Sentinels: addrs, History: d.h, NodeName: Addr.String,
		Spec: world.ClientSpec{Workload: wl, Think: 10 * time.Millisecond, Timeout: time.Second}})
	k.Host(master.Host).Spawn("client", d.c)
	return d
}

// The client asks every sentinel at once and takes the first answer, so sentinels it
// cannot reach cost it nothing; the one that answered moves to the front of its list,
// and it is the only one asked again while it lives.
func TestTheSentinelThatAnsweredIsAskedFirst(t *testing.T) {
	d := newDiscovery(t)
	// Whatever order the client shuffled its list into, only the last one is reachable.
	d.k.RunFor(0)
	reachable := d.c.sentinels[2]
	var cut []string
	for _, a := range d.c.sentinels[:2] {
		cut = append(cut, a.Host)
	}
	if err := d.k.ApplyFault(netmodel.Fault{Kind: netmodel.Partition, Groups: [][]string{{"127.0.0.1", reachable.Host}, cut}}); err != nil {
		t.Fatal(err)
	}
	d.k.RunFor(100 * time.Millisecond)
	ops := d.h.Ops()
	if len(ops) == 0 || ops[0].Status != linearize.Ok || ops[0].Return > int64(20*time.Millisecond) {
		t.Fatalf("first operation %v: want it acknowledged within 20 ms, without waiting for unreachable sentinels", ops)
	}
	if d.c.sentinels[0] != reachable || d.c.sentinel == nil || d.c.sentinel.addr != reachable {
		t.Fatalf("sentinel list %v, asking %v: want %v, which answered, in front", d.c.sentinels, d.c.sentinel, reachable)
	}

	// The master goes away and comes back: every operation in between asks the sentinel
	// that answered, and no other.
	if err := d.k.ApplyFault(netmodel.Fault{Kind: netmodel.Heal}); err != nil {
		t.Fatal(err)
	}
	d.redis.Kill()
	d.k.RunFor(time.Second)
	d.redis.Restart()
	d.k.RunFor(time.Second)
	for a, s := range d.sentinels {
		if a != reachable && s.queries > 0 {
			t.Errorf("%v was asked %d times while %v answered", a, s.queries, reachable)
		}
	}
	if q := d.sentinels[reachable].queries; q < 3 {
		t.Errorf("%v was asked %d times, want once per operation while the master was away", reachable, q)
	}
	if last := d.h.Ops()[len(d.h.Ops())-1]; last.Status != linearize.Ok {
		t.Errorf("the last operation %v failed: the client did not come back to the master", last)
	}

	// When that sentinel dies, the others are asked, and the one that answers goes first.
	d.procs[reachable].Kill()
	d.redis.Kill()
	d.k.RunFor(100 * time.Millisecond)
	d.redis.Restart()
	d.k.RunFor(time.Second)
	if front := d.c.sentinels[0]; front == reachable || d.sentinels[front].queries == 0 {
		t.Errorf("after %v died the list is %v, want a sentinel that answered in front", reachable, d.c.sentinels)
	}
}
