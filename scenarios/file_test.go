package scenarios

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/sentinelsim/sentinelsim/netmodel"
	"github.com/sentinelsim/sentinelsim/world"
)

const jepsen = `name: jepsen-2013-partition
about: Five hosts, each with a redis-server, a sentinel and a client; n1 starts as master.
hosts:
  n1: [redis, sentinel, client]     # the first redis is the initial master
  n2: [redis, sentinel, client]
  n3: [redis, sentinel, client]
  n4: [redis, sentinel, client]
  n5: [redis, sentinel, client]
sentinel: {quorum: 3, down-after-milliseconds: 5000, failover-timeout: 60000}
redis: {appendonly: "no", min-replicas-to-write: 0}
workload: {kind: set-add, think: 100ms}
faults:
  - {at: 10s, partition: [[n1, n2], [n3, n4, n5]]}
  - {at: 40s, heal: all}
duration: 60s
quiet: 30s
expect:
  always: [sentinel-safety, liveness]
  finds: [lost-writes, non-linearizable]
`

func TestParseTheDesignExample(t *testing.T) {
	s, err := Parse("jepsen.yaml", []byte(jepsen))
	if err != nil {
		t.Fatal(err)
	}
	top := s.Topology
	if len(top.Hosts) != 5 || top.Hosts[2].Addr != "127.0.0.3" {
		t.Fatalf("hosts %+v", top.Hosts)
	}
	if m := top.InitialMaster(); m.Name != "n1/redis" || m.Port != 6379 {
		t.Fatalf("initial master %+v", m)
	}
	if n := len(top.OfKind(world.Sentinel)); n != 5 {
		t.Fatalf("%d sentinels", n)
	}
	if v, _ := top.Monitor.Get("down-after-milliseconds"); v != "5000" || top.Quorum != 3 {
		t.Fatalf("monitor %v quorum %d", top.Monitor, top.Quorum)
	}
	if v, _ := top.InitialMaster().Config.Get("repl-diskless-sync-delay"); v != "0" {
		t.Fatalf("default redis options not applied: %v", top.InitialMaster().Config)
	}
	if len(s.Faults) != 2 || s.Faults[0].Kind != Partition || s.Faults[0].At != 10*time.Second ||
		strings.Join(s.Faults[0].Groups[1], ",") != "n3,n4,n5" || s.Faults[1].Kind != Heal || s.Faults[1].Hosts != nil {
		t.Fatalf("faults %v", s.Faults)
	}
	if s.Duration != time.Minute || s.Quiet != 30*time.Second || s.Workload.Think != 100*time.Millisecond {
		t.Fatalf("duration %v quiet %v think %v", s.Duration, s.Quiet, s.Workload.Think)
	}
	if strings.Join(s.Expect.Finds, ",") != "lost-writes,non-linearizable" {
		t.Fatalf("expect %+v", s.Expect)
	}
}

func TestParseLongFormHostsAndEveryFaultKind(t *testing.T) {
	src := `name: walkthrough
hosts:
  local:
    addr: 127.0.0.1
    redis: [6382, 6383, 6384]
    sentinel: [5000, 5001, 5002]
    clients: 2
sentinel: {quorum: 2, down-after-milliseconds: 3000, failover-timeout: 3000}
nodes:
  local/redis:6384: {replica-priority: 0}
faults:
  - {at: 1s, kill: master, for: 10s}
  - {at: 2s, pause: local/redis:6383}
  - {at: 3s, resume: local/redis:6383}
  - {at: 4s, clock-jump: local/sentinel:5000, by: -5s}
  - {at: 5s, drift: local/sentinel:5001, ppm: 500}
  - {at: 6s, command: local/sentinel:5002, args: [SENTINEL, SIMULATE-FAILURE, crash-after-election]}
  - {at: 7s, latency: {uniform: [1ms, 20ms]}}
  - {at: 8s, loss: 0.1, hosts: [local]}
  - {at: 9s, latency: 5ms}
random: {interval: 3s, kinds: [kill, pause], max-for: 5s}
duration: 20s
`
	s, err := Parse("w.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	top := s.Topology
	if len(top.OfKind(world.Redis)) != 3 || top.OfKind(world.Redis)[2].Name != "local/redis:6384" {
		t.Fatalf("redis nodes %v", world.Names(top.OfKind(world.Redis)))
	}
	if v, _ := top.OfKind(world.Redis)[2].Config.Get("replica-priority"); v != "0" {
		t.Fatal("node override lost")
	}
	if len(top.OfKind(world.Client)) != 2 {
		t.Fatal("clients")
	}
	want := []string{
		"1s kill master for 10s",
		"2s pause local/redis:6383",
		"3s resume local/redis:6383",
		"4s clock-jump local/sentinel:5000 by -5s",
		"5s drift local/sentinel:5001 500ppm",
		"6s command local/sentinel:5002 SENTINEL SIMULATE-FAILURE crash-after-election",
		"7s latency uniform(1ms..20ms)",
		"8s loss local 0.1",
		"9s latency 5ms",
	}
	for i, f := range s.Faults {
		if f.String() != want[i] {
			t.Errorf("fault %d = %q, want %q", i, f.String(), want[i])
		}
	}
	if s.Faults[6].Dist.Kind != netmodel.Uniform || s.Random == nil || s.Random.Interval != 3*time.Second {
		t.Fatalf("latency %v random %+v", s.Faults[6].Dist, s.Random)
	}
}

func TestMalformedFilesNameTheLine(t *testing.T) {
	base := "name: x\nhosts:\n  n1: [redis, sentinel]\nsentinel: {quorum: 1}\nduration: 10s\n"
	for _, c := range []struct {
		name, src string
		line      int
		want      string
	}{
		{"syntax", "name: x\nhosts: [\n", 0, "x.yaml"},
		{"unknown top key", base + "colour: red\n", 6, `unknown key "colour"`},
		{"no duration", "name: x\nhosts:\n  n1: [redis]\n", 1, `no "duration"`},
		{"bad duration", strings.Replace(base, "10s", "10", 1), 5, "with a unit"},
		{"unknown process", "name: x\nhosts:\n  n1: [redis, memcached]\nduration: 1s\n", 3, `unknown process "memcached"`},
		{"unknown fault kind", base + "faults:\n  - {at: 1s, explode: n1}\n", 7, `unknown key "explode"`},
		{"unknown target", base + "faults:\n  - {at: 1s, kill: n9}\n", 7, `no node or host called "n9"`},
		{"fault after duration", base + "faults:\n  - {at: 5s, kill: n1}\n  - {at: 1m, kill: n1}\n", 8, "outside the run's duration"},
		{"faults out of order", base + "faults:\n  - {at: 5s, kill: n1}\n  - {at: 1s, restart: n1}\n", 8, "time order"},
		{"two kinds", base + "faults:\n  - {at: 1s, kill: n1, pause: n1}\n", 7, "one kind"},
		{"unknown expectation", base + "expect:\n  always: [happiness]\n", 7, `unknown expectation "happiness"`},
		{"unknown workload", base + "workload: {kind: queue}\n", 6, `unknown workload "queue"`},
		{"duplicate key", base + "sentinel: {quorum: 2}\n", 0, "[6:1] mapping key \"sentinel\" already defined at [4:1]"},
		{"unknown sentinel option", "name: x\nhosts:\n  n1: [redis, sentinel]\nsentinel: {quorum: 1, down-after: 5}\nduration: 10s\n", 4, `unknown sentinel option "down-after"`},
		{"non-loopback", "name: x\nhosts:\n  n0: [redis]\n  n1: {addr: 10.1.1.1, redis: 6379}\nduration: 10s\n", 4, "only loopback"},
		{"shared address", "name: x\nhosts:\n  n1: [redis]\n  n2: {addr: 127.0.0.1, redis: 6380}\nduration: 10s\n", 4, "share the address"},
		{"no quorum", "name: x\nhosts:\n  n1: [redis, sentinel]\nsentinel: {quorum: 0}\nduration: 10s\n", 4, "quorum 0"},
		{"no redis", "name: x\nabout: y\nhosts:\n  n1: [sentinel]\nsentinel: {quorum: 1}\nduration: 10s\n", 3, "no redis node"},
		{"zero duration", "name: x\nhosts:\n  n1: [redis]\n\nduration: 0s\n", 5, "duration must be positive"},
		{"register loses no writes", base + "workload: {kind: register}\nexpect:\n  always: [no-lost-writes]\n", 7, "not register"},
		{"clock jump without by", base + "faults:\n  - {at: 1s, clock-jump: n1}\n", 7, "needs by:"},
		{"random kind", base + "random: {kinds: [meteor]}\n", 6, `cannot draw "meteor"`},
		{"unsupported redis option", "name: x\nhosts:\n  n1: [redis]\nredis:\n  appendonly: \"yes\"\n  maxmemory: 100mb\nduration: 10s\n", 6, `unsupported option "maxmemory"`},
		{"unsupported node option", base + "nodes:\n  n1/redis:\n    - replica-priority 10\n    - maxmemory-policy noeviction\n", 9, `unsupported option "maxmemory-policy"`},
		{"bad sentinel value", "name: x\nhosts:\n  n1: [redis, sentinel]\nsentinel:\n  quorum: 1\n  down-after-milliseconds: -5\nduration: 10s\n", 6, "negative or zero time parameter"},
		{"seconds for milliseconds", "name: x\nhosts:\n  n1: [redis, sentinel]\nsentinel:\n  quorum: 1\n  down-after-milliseconds: 5s\nduration: 10s\n", 6, `down-after-milliseconds: "5s" is not a whole number of milliseconds`},
		{"bad sentinel directive", base + "nodes:\n  n1/sentinel: [\"sentinel known-sentinel mymaster 127.0.0.2 99999 x\"]\n", 7, "Invalid port number"},
		{"unknown sentinel directive", base + "nodes:\n  n1/sentinel: {sentinel: \"bogus mymaster 1\"}\n", 7, "Unrecognized sentinel configuration statement"},
		{"unknown speed", base + "speeds: {disk-rate: 5mb}\n", 6, `unknown speed "disk-rate"`},
		{"bad rate", base + "speeds:\n  transfer-rate: fast\n", 7, "bytes per second"},
		{"bad load-per-key", base + "speeds:\n  load-per-key: 0s\n", 7, "positive duration"},
		{"client options", "name: x\nhosts:\n  n1: [redis, client]\nduration: 10s\nnodes:\n  n1/client: {maxmemory: 1}\n", 6, "takes no options"},
	} {
		_, err := Parse("x.yaml", []byte(c.src))
		if err == nil {
			t.Errorf("%s: accepted", c.name)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %q does not say %q", c.name, err, c.want)
		}
		var pe *posError
		if c.line > 0 && (!errors.As(err, &pe) || pe.Line != c.line || pe.File != "x.yaml") {
			t.Errorf("%s: error %q is not at x.yaml:%d", c.name, err, c.line)
		}
	}
}

// A fault schedule's errors name its own lines.
func TestFaultScheduleErrorsNameTheLine(t *testing.T) {
	base, err := Lookup("tutorial-kill-master")
	if err != nil {
		t.Fatal(err)
	}
	src := "# shrunk\nfaults:\n  - {at: 1s, kill: master}\n  - {at: 1h, restart: master}\n"
	_, err = ParseFaults("min.yaml", []byte(src), base)
	var pe *posError
	if !errors.As(err, &pe) || pe.File != "min.yaml" || pe.Line != 4 || !strings.Contains(pe.Msg, "outside the run's duration") {
		t.Fatalf("ParseFaults: %v, want min.yaml:4 saying the fault is outside the run", err)
	}
}
