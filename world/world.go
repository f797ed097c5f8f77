package world

import (
	"errors"
	"time"

	"github.com/sentinelsim/sentinelsim/netmodel"
	"github.com/sentinelsim/sentinelsim/resp"
)

// ErrUnsupported is wrapped by the error a backend returns for a fault it cannot do (the
// real world cannot jump a process's clock, nor add latency without netem).
var ErrUnsupported = errors.New("not supported by this backend")

// World is a running cluster that a scenario drives: the simulator's (sim.World) and the
// real backends' (real.Cluster). Time is measured from the world's start; in the simulator
// it is virtual and advances only in Advance, in the real world it is the monotonic clock.
//
// Node names are those of the Topology. Process faults act on one node; network faults on
// hosts, by address.
type World interface {
	Topology() Topology
	// Now is the time since the world started.
	Now() time.Duration
	// Advance lets d pass: the simulator runs its events, the real world sleeps while its
	// processes and clients run.
	Advance(d time.Duration)

	// Kill is SIGKILL; Restart starts a killed node again with what it persisted;
	// Pause and Resume are SIGSTOP and SIGCONT.
	Kill(node string) error
	Restart(node string) error
	Pause(node string) error
	Resume(node string) error
	// Network puts a network fault into force (netmodel's vocabulary, by host address).
	Network(f netmodel.Fault) error
	// JumpClock steps a node's wall clock by d; Drift makes it run fast or slow.
	JumpClock(node string, d time.Duration) error
	Drift(node string, ppm int64) error
	// Command sends one command to a redis or sentinel node and returns its reply (for
	// example SENTINEL SIMULATE-FAILURE crash-after-election, or DEBUG SLEEP).
	Command(node string, args ...string) (resp.Value, error)

	// Observe reports the state of every node now.
	Observe() Observation
	// Close stops everything the world started. It is safe to call twice.
	Close() error
}

// Observation is what can be seen of a world at one moment.
type Observation struct {
	At        time.Duration
	Redis     []RedisState
	Sentinels []SentinelState
}

// RedisState is one redis node as INFO replication shows it.
type RedisState struct {
	Node  string
	Alive bool
	// Role is "master" or "slave" ("" when the node does not answer).
	Role string
	// MasterAddr is "ip:port" of the master a replica follows.
	MasterAddr string
	LinkUp     bool
	Offset     int64
}

// SentinelState is one sentinel's view of the master.
type SentinelState struct {
	Node  string
	Alive bool
	// MasterAddr is its answer to SENTINEL GET-MASTER-ADDR-BY-NAME, "ip:port".
	MasterAddr string
	Epoch      uint64
	Tilt       bool
}

// Masters returns the live redis nodes that report role master.
func (o Observation) Masters() []RedisState {
	var out []RedisState
	for _, r := range o.Redis {
		if r.Alive && r.Role == "master" {
			out = append(out, r)
		}
	}
	return out
}
