package linearize

import (
	"strings"
	"testing"
	"time"
)

func settled() LivenessInput {
	return LivenessInput{
		At: int64(40 * time.Second),
		Sentinels: []SentinelView{
			{Name: "s1", Alive: true, Master: "127.0.0.1:6380"},
			{Name: "s2", Alive: true, Master: "127.0.0.1:6380"},
			{Name: "s3", Alive: false, Master: "127.0.0.1:6379"}, // dead sentinels do not count
		},
		Redis: []RedisView{
			{Addr: "127.0.0.1:6379", Alive: true, Role: "slave", MasterAddr: "127.0.0.1:6380", LinkUp: true},
			{Addr: "127.0.0.1:6380", Alive: true, Role: "master"},
			{Addr: "127.0.0.1:6381", Alive: false, Role: "master"}, // nor dead replicas
		},
		LastHeal: int64(10 * time.Second),
		Bound:    LivenessBound(3*time.Second, 3*time.Second),
		WriteOK:  true,
		WriteAt:  int64(12 * time.Second),
	}
}

func TestLivenessBound(t *testing.T) {
	if got := LivenessBound(3*time.Second, 3*time.Second); got != 32*time.Second {
		t.Fatalf("bound %v", got)
	}
}

func TestLivenessPasses(t *testing.T) {
	wantResult(t, Liveness(settled()), Pass)
}

func TestLivenessFailures(t *testing.T) {
	cases := []struct {
		name    string
		change  func(*LivenessInput)
		problem string
	}{
		{"sentinels disagree", func(in *LivenessInput) { in.Sentinels[1].Master = "127.0.0.1:6379" },
			"the sentinels disagree on the master: 127.0.0.1:6379 by s2; 127.0.0.1:6380 by s1"},
		{"named master is down", func(in *LivenessInput) { in.Redis[1].Alive = false }, "which is down"},
		{"named master is a replica", func(in *LivenessInput) { in.Redis[1].Role = "slave" }, "which is a slave"},
		{"old master still a master", func(in *LivenessInput) { in.Redis[0].Role = "master" }, "127.0.0.1:6379 is a master"},
		{"replica follows another", func(in *LivenessInput) { in.Redis[0].MasterAddr = "127.0.0.1:6381" }, "replicates from 127.0.0.1:6381"},
		{"replication link down", func(in *LivenessInput) { in.Redis[0].LinkUp = false }, "link is down"},
		{"no write", func(in *LivenessInput) { in.WriteOK = false }, "no client write"},
		{"late write", func(in *LivenessInput) { in.WriteAt = int64(43 * time.Second) }, "after the deadline"},
		{"no sentinel", func(in *LivenessInput) { in.Sentinels = nil }, "no sentinel is alive"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := settled()
			in.At = in.LastHeal + int64(in.Bound)
			c.change(&in)
			v := Liveness(in)
			wantResult(t, v, Violated)
			if !strings.Contains(v.Summary, c.problem) {
				t.Fatalf("summary %q lacks %q", v.Summary, c.problem)
			}
		})
	}
}

func TestLivenessObservedAtTheWrongTime(t *testing.T) {
	early := settled()
	early.Redis[0].LinkUp = false
	wantResult(t, Liveness(early), Inconclusive) // it may still settle
	late := settled()
	late.At = int64(time.Minute)
	wantResult(t, Liveness(late), Inconclusive) // it may have settled too late
}

func TestFirstWriteAfter(t *testing.T) {
	ops := numbered(
		Op{Kind: KindSet, Call: 5, Return: 9},
		Op{Kind: KindGet, Call: 10, Return: 11},
		Op{Kind: KindSet, Call: 12, Return: 30, Status: Fail},
		Op{Kind: KindSet, Call: 13, Return: 25},
		Op{Kind: KindSet, Call: 14, Return: 20},
	)
	if at, ok := FirstWriteAfter(ops, 10); !ok || at != 20 {
		t.Fatalf("got %d %v", at, ok)
	}
	if _, ok := FirstWriteAfter(ops, 15); ok {
		t.Fatal("found a write after 15")
	}
}
