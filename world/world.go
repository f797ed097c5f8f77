package world

import (
	"errors"
	"time"

	"github.com/sentinelsim/sentinelsim/linearize"
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
	// Pause and Resume are SIGSTOP and SIGCONT. PowerLoss is what a power loss of its
	// machine does to a node: it dies and loses what its disk had not synced (a kill
	// loses nothing the node had written, which the page cache keeps).
	Kill(node string) error
	PowerLoss(node string) error
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

	// StartClients starts every client node of the topology on the workload, recording
	// into h; StopClients makes them stop after the operation each has in flight.
	StartClients(spec ClientSpec, h *linearize.History) error
	StopClients()
	// FinalReads issues the workload's final reads through a client once the cluster has
	// settled, retrying each until it succeeds or until limit has passed.
	FinalReads(ops []linearize.Op, limit time.Duration)
	// Events are the sentinels' events so far, in order of time.
	Events() []linearize.SentinelEvent

	// Observe reports the state of every node now.
	Observe() Observation
	// Close stops everything the world started. It is safe to call twice.
	Close() error
}

// ClientSpec says how clients behave: what they send and how they find the master.
type ClientSpec struct {
	Workload linearize.Workload
	// Think is the pause after each operation; Timeout an operation's deadline, after
	// which its outcome is unknown and the client drops its connection.
	Think, Timeout time.Duration
	// Wait, when above zero, follows every write with WAIT Wait WaitTimeout; a write that
	// fewer replicas confirmed is not acknowledged (its outcome is unknown).
	Wait        int
	WaitTimeout time.Duration
	// RoleCheck confirms a master named by a sentinel with ROLE before using it;
	// FollowSwitch subscribes to +switch-master and drops the connection to a master
	// that is no longer one. go-redis v9's FailoverClient does the second, not the first.
	RoleCheck    bool
	FollowSwitch bool
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
