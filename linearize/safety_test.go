package linearize

import (
	"reflect"
	"testing"
)

// failover is the event stream of a clean failover of mymaster in epoch 1, led by s1,
// with s2 and s3 voting for it and then following the new configuration.
func failover() []SentinelEvent {
	m := "master mymaster 127.0.0.1 6379"
	return []SentinelEvent{
		{At: 100, Sentinel: "s1", Type: "+odown", Text: m + " #quorum 2/2"},
		{At: 110, Sentinel: "s1", Type: "+new-epoch", Text: "1"},
		{At: 111, Sentinel: "s1", Type: "+try-failover", Text: m},
		{At: 112, Sentinel: "s1", Type: "+vote-for-leader", Text: "run-s1 1", Master: "mymaster"},
		{At: 120, Sentinel: "s2", Type: "+new-epoch", Text: "1"},
		{At: 121, Sentinel: "s2", Type: "+vote-for-leader", Text: "run-s1 1", Master: "mymaster"},
		{At: 122, Sentinel: "s3", Type: "+vote-for-leader", Text: "run-s1 1", Master: "mymaster"},
		{At: 130, Sentinel: "s1", Type: "+elected-leader", Text: m},
		{At: 140, Sentinel: "s1", Type: "+promoted-slave", Text: "slave 127.0.0.1:6380 127.0.0.1 6380 @ mymaster 127.0.0.1 6379"},
		{At: 150, Sentinel: "s1", Type: "+switch-master", Text: "mymaster 127.0.0.1 6379 127.0.0.1 6380", Epoch: 1},
		{At: 160, Sentinel: "s2", Type: "+config-update-from", Text: "sentinel run-s1 127.0.0.1 26379 @ mymaster 127.0.0.1 6379", Epoch: 1},
		{At: 160, Sentinel: "s2", Type: "+switch-master", Text: "mymaster 127.0.0.1 6379 127.0.0.1 6380", Epoch: 1},
	}
}

func TestSentinelSafetyPasses(t *testing.T) {
	wantResult(t, SentinelSafety(failover()), Pass)
	wantResult(t, SentinelSafety(nil), Pass)
	// A second failover in a later epoch, by another leader promoting another replica.
	events := append(failover(),
		SentinelEvent{At: 300, Sentinel: "s2", Type: "+new-epoch", Text: "2"},
		SentinelEvent{At: 301, Sentinel: "s2", Type: "+vote-for-leader", Text: "run-s2 2", Master: "mymaster"},
		SentinelEvent{At: 310, Sentinel: "s2", Type: "+elected-leader", Text: "master mymaster 127.0.0.1 6380"},
		SentinelEvent{At: 320, Sentinel: "s2", Type: "+promoted-slave", Text: "slave 127.0.0.1:6381 127.0.0.1 6381 @ mymaster 127.0.0.1 6380"},
		SentinelEvent{At: 330, Sentinel: "s2", Type: "+switch-master", Text: "mymaster 127.0.0.1 6380 127.0.0.1 6381", Epoch: 2},
	)
	wantResult(t, SentinelSafety(events), Pass)
}

func TestSentinelSafetyViolations(t *testing.T) {
	cases := []struct {
		name  string
		extra []SentinelEvent
		want  SafetyViolation
	}{
		{"two leaders in one epoch",
			[]SentinelEvent{{At: 135, Sentinel: "s2", Type: "+elected-leader", Text: "master mymaster 127.0.0.1 6379"}},
			SafetyViolation{Rule: "one-leader-per-epoch", Master: "mymaster", Epoch: 1, At: 135,
				Sentinels: []string{"s1", "s2"}, Values: []string{"s1", "s2"}}},
		{"a double vote",
			[]SentinelEvent{{At: 125, Sentinel: "s3", Type: "+vote-for-leader", Text: "run-s2 1", Master: "mymaster"}},
			SafetyViolation{Rule: "one-vote-per-epoch", Master: "mymaster", Epoch: 1, At: 125,
				Sentinels: []string{"s3"}, Values: []string{"run-s1", "run-s2"}}},
		{"a second promotion in one epoch",
			[]SentinelEvent{{At: 145, Sentinel: "s2", Type: "+promoted-slave", Epoch: 1,
				Text: "slave 127.0.0.1:6381 127.0.0.1 6381 @ mymaster 127.0.0.1 6379"}},
			SafetyViolation{Rule: "one-promotion-per-epoch", Master: "mymaster", Epoch: 1, At: 145,
				Sentinels: []string{"s1", "s2"}, Values: []string{"127.0.0.1:6380", "127.0.0.1:6381"}}},
		{"a config epoch going backwards", // s2 installed epoch 1, then 3, then 2
			[]SentinelEvent{
				{At: 190, Sentinel: "s2", Type: "+switch-master", Text: "mymaster 127.0.0.1 6380 127.0.0.1 6382", Epoch: 3},
				{At: 200, Sentinel: "s2", Type: "+switch-master", Text: "mymaster 127.0.0.1 6382 127.0.0.1 6379", Epoch: 2}},
			SafetyViolation{Rule: "config-epoch-monotonic", Master: "mymaster", Epoch: 2, At: 200,
				Sentinels: []string{"s2"}, Values: []string{"1", "1", "3", "2"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			events := append(failover(), c.extra...)
			v := SentinelSafety(events)
			wantResult(t, v, Violated)
			if got := v.Evidence.([]SafetyViolation); !reflect.DeepEqual(got, []SafetyViolation{c.want}) {
				t.Fatalf("violations:\n got %+v\nwant %+v", got, c.want)
			}
		})
	}
}
