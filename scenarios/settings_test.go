package scenarios

import (
	"strings"
	"testing"
	"time"

	"github.com/sentinelsim/sentinelsim/world"
)

func TestSettingsChangeEachSectionAndLeaveTheOriginal(t *testing.T) {
	base, err := Parse("jepsen.yaml", []byte(jepsen))
	if err != nil {
		t.Fatal(err)
	}
	v, err := base.WithSettings("redis.min-replicas-to-write=1", "sentinel.down-after-milliseconds=1000",
		"sentinel.quorum=2", "workload.wait=1", "workload.wait-timeout=250ms", "redis.save=900 1", "duration=75s", "quiet=5s")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range v.Topology.OfKind(world.Redis) {
		if got, _ := n.Config.Get("min-replicas-to-write"); got != "1" {
			t.Errorf("%s: min-replicas-to-write %q, want 1", n.Name, got)
		}
		if got, _ := n.Config.Get("save"); got != "900 1" {
			t.Errorf("%s: save %q, want the value with its blank", n.Name, got)
		}
	}
	if got, _ := v.Topology.Monitor.Get("down-after-milliseconds"); got != "1000" {
		t.Errorf("down-after-milliseconds %q, want 1000", got)
	}
	if v.Topology.Quorum != 2 || v.Workload.Wait != 1 || v.Workload.WaitTimeout != 250*time.Millisecond {
		t.Errorf("quorum %d, wait %d, wait-timeout %v", v.Topology.Quorum, v.Workload.Wait, v.Workload.WaitTimeout)
	}
	if v.Duration != 75*time.Second || v.Quiet != 5*time.Second {
		t.Errorf("duration %v, quiet %v", v.Duration, v.Quiet)
	}
	// The original is untouched.
	if got, _ := base.Topology.Nodes[0].Config.Get("min-replicas-to-write"); got != "0" {
		t.Errorf("the original's min-replicas-to-write became %q", got)
	}
	if got, _ := base.Topology.Monitor.Get("down-after-milliseconds"); got != "5000" || base.Topology.Quorum != 3 || base.Workload.Wait != 0 {
		t.Errorf("the original changed: down-after %q, quorum %d, wait %d", got, base.Topology.Quorum, base.Workload.Wait)
	}
	if len(base.Settings) != 0 {
		t.Errorf("the original has settings %v", base.Settings)
	}
}

func TestSettingsAreRepeatedByTheReplayCommand(t *testing.T) {
	base, err := Lookup("partition-master-minority")
	if err != nil {
		t.Fatal(err)
	}
	v, err := base.WithSettings("redis.min-replicas-max-lag=10", "redis.save=900 1")
	if err != nil {
		t.Fatal(err)
	}
	got := v.ReplayCommand(7, fakeBackend{})
	want := "go run ./cmd/sentinelsim run --scenario partition-master-minority --set redis.min-replicas-max-lag=10 --set 'redis.save=900 1' --seed 7 --backend fake"
	if got != want {
		t.Errorf("replay command\n got %s\nwant %s", got, want)
	}
}

func TestBadSettingsSayWhatIsWrong(t *testing.T) {
	base, err := Lookup("tutorial-kill-master")
	if err != nil {
		t.Fatal(err)
	}
	for set, want := range map[string]string{
		"appendonly=yes":                              "want SECTION.KEY=VALUE",
		"redis.appendonly":                            "want SECTION.KEY=VALUE",
		"disk.appendonly=yes":                         "want SECTION.KEY=VALUE",
		"redis.maxmemory=1mb":                         `unsupported option "maxmemory"`,
		"sentinel.down-after=5":                       `unknown sentinel option "down-after"`,
		"sentinel.failover-timeout=soon":              "failover-timeout",
		"sentinel.down-after-milliseconds=5s":         "not a whole number of milliseconds",
		"sentinel.master-reboot-down-after-period=2s": "not a whole number of milliseconds",
		"workload.think=10":                           `"10" is not a duration`,
		"workload.kind=queue":                         `unknown workload "queue"`,
		"workload.speed=9":                            "speed",
		"duration=long":                               `"long" is not a duration`,
		"faults=none":                                 "want SECTION.KEY=VALUE",
		"duration=5s":                                 "duration",
		"sentinel.quorum=0":                           "quorum",
		"speeds.transfer-rate=0":                      "bytes per second",
		"speeds.warp=9":                               `unknown speed "warp"`,
	} {
		_, err := base.WithSettings(set)
		if err == nil {
			t.Errorf("%s: accepted", set)
			continue
		}
		if !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), set) {
			t.Errorf("%s: error %q, want it to name the setting and say %q", set, err, want)
		}
	}
}
