package sentinel

import "github.com/sentinelsim/sentinelsim/resp"

// The interfaces below are the only way the state machine touches the world. The simulator
// implements them on its virtual clock and network; sentinel/server implements them with
// real time and sockets. Every callback the state machine receives (replies, disconnects,
// pub/sub messages, script exits) must be delivered on the owner's single loop, never
// concurrently with another call into the Sentinel.

// Clock is the sentinel's wall clock: Redis's mstime(), milliseconds since the Unix epoch.
// It may jump (an operator or NTP setting the clock); Sentinel's TILT mode exists for that.
type Clock interface {
	NowMs() int64
}

// Rand is the sentinel's private random source. Each sentinel process must have its own:
// Sentinel relies on different draws in different processes to desynchronise elections.
type Rand interface {
	// IntN returns a uniform integer in [0, n).
	IntN(n int) int
}

// Addr is a host (an IP, or a hostname when resolve-hostnames is on) and a port.
type Addr struct {
	Host string
	Port int
}

// Transport opens connections to Redis servers and to other Sentinels.
type Transport interface {
	// Dial starts connecting to addr and returns at once, like hiredis's
	// redisAsyncConnectBind: commands may be queued on the returned Conn before the
	// connection is established. An error is returned only when the attempt fails
	// immediately (a malformed address, no route). When a later attempt to connect
	// fails, or the connection drops, every reply callback still pending on that Conn
	// is called with ok == false and then onDisconnect, in that order, as hiredis does.
	Dial(addr Addr, onDisconnect func(err error)) (Conn, error)
}

// Conn is one connection to a Redis server or a Sentinel.
type Conn interface {
	// Send queues a command. onReply is called once with the reply, in the order the
	// commands were sent; ok is false when the connection was lost before the reply came.
	// An error means the command could not even be queued (the connection is closed).
	Send(args []string, onReply func(reply resp.Value, ok bool)) error
	// Subscribe sends SUBSCRIBE (or its renamed form, given as cmd) for channel and calls
	// onMessage for every push that arrives on this connection from then on, the
	// subscription confirmation included, as hiredis does.
	Subscribe(cmd, channel string, onMessage func(msg resp.Value)) error
	// LocalIP is the local address of this connection (getsockname), "" while unknown.
	LocalIP() string
	// Close closes the connection. Pending reply callbacks are called with ok == false;
	// onDisconnect is not called for a close the Sentinel asked for itself.
	Close()
}

// Level is the level of a log line or an event: Redis's LL_DEBUG .. LL_WARNING.
type Level int

// Log levels, in Redis's order.
const (
	Debug Level = iota
	Verbose
	Notice
	Warning
)

// Event is one Sentinel event: "+sdown master mymaster 127.0.0.1 6379" is Type "+sdown"
// and Text "master mymaster 127.0.0.1 6379". Master and Epoch are not part of the text;
// they are there for checkers that judge a run from its events.
type Event struct {
	Level Level
	Type  string
	Text  string
	// Master is the name of the master the event concerns ("" for +tilt and -tilt).
	Master string
	// Epoch is the epoch the event belongs to where one applies: the failover epoch for
	// +try-failover, +elected-leader, +selected-slave, +promoted-slave and
	// +failover-end; the vote's epoch for +vote-for-leader; the new epoch for +new-epoch;
	// the master's config epoch for +switch-master and +config-update-from; 0 otherwise.
	Epoch uint64
}

// Sink receives what the Sentinel tells the outside world.
type Sink interface {
	// Event is called for every event, whatever the log level. The driver logs it as
	// "<type> <text>" when Level is at or above its loglevel and publishes it to the
	// Sentinel's own Pub/Sub subscribers with Hub.PublishEvent.
	Event(e Event)
	// Log is a plain log line that is not an event ("Sentinel ID is ...").
	Log(level Level, line string)
}

// ConfigStore holds the Sentinel's configuration file. The state machine rewrites it in
// place, the way Redis does, so it reads the current content before every rewrite.
type ConfigStore interface {
	Load() ([]byte, error)
	// Save replaces the content durably (written and synced) before returning.
	Save(content []byte) error
}

// Scripts runs notification and client-reconfig scripts. The simulator has none.
type Scripts interface {
	// Start runs argv[0] with the remaining arguments and returns its pid. Its exit is
	// reported back through Sentinel.ScriptExited.
	Start(argv []string) (pid int, err error)
	// Kill sends SIGKILL to a running script.
	Kill(pid int)
	// Executable reports whether path exists and may be executed (access(X_OK)).
	Executable(path string) bool
}
