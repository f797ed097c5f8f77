package scenarios

import (
	"testing"

	"github.com/sentinelsim/sentinelsim/linearize"
)

// An election counts as retried only when an epoch tried installed no master and a later
// epoch was tried: two candidates in one epoch, or two failovers that both succeed, are
// not retries.
func TestRetriedElection(t *testing.T) {
	try := func(epoch uint64) linearize.SentinelEvent {
		return linearize.SentinelEvent{Type: "+try-failover", Epoch: epoch}
	}
	sw := func(epoch uint64) linearize.SentinelEvent {
		return linearize.SentinelEvent{Type: "+switch-master", Epoch: epoch}
	}
	for _, tc := range []struct {
		name   string
		events []linearize.SentinelEvent
		want   bool
	}{
		{"one failover", []linearize.SentinelEvent{try(1), sw(1)}, false},
		{"two candidates in one epoch", []linearize.SentinelEvent{try(1), try(1), sw(1)}, false},
		{"two failovers", []linearize.SentinelEvent{try(1), sw(1), try(2), sw(2)}, false},
		{"a split vote retried", []linearize.SentinelEvent{try(1), try(1), try(2), sw(2)}, true},
		{"retried twice", []linearize.SentinelEvent{try(1), try(2), try(3), sw(3)}, true},
		{"failed, never retried", []linearize.SentinelEvent{try(1)}, false},
		{"a failover after one that succeeded fails", []linearize.SentinelEvent{try(1), sw(1), try(2)}, false},
	} {
		if got := retriedElection(tc.events).Ok(); got != tc.want {
			t.Errorf("%s: retried %v, want %v", tc.name, got, tc.want)
		}
	}
}
