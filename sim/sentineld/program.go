package sentineld

import (
	"fmt"
	"time"

	"github.com/sentinelsim/sentinelsim/resp"
	"github.com/sentinelsim/sentinelsim/sentinel"
	"github.com/sentinelsim/sentinelsim/sim/kernel"
)

// Record is one event or log line of a simulated sentinel, with the true time of the
// run at which it happened.
type Record struct {
	At    time.Duration
	Node  string
	Event *sentinel.Event // nil for a plain log line
	Level sentinel.Level
	Line  string // the log file's line, in Redis's format
}

// Program is a sentinel process. Its config file is its disk: rewrites are durable, as
// Redis syncs them, so they survive kills and restarts.
type Program struct {
	// Name labels its records ("s1", "127.0.0.1:5000").
	Name string
	// Observe, if set, receives every event and log line.
	Observe func(Record)
	// LogLevel filters what Observe gets as log lines; events always arrive.
	LogLevel sentinel.Level

	config []byte
	s      *sentinel.Sentinel
	hub    *sentinel.Hub
	proc   *kernel.Process
}

// New returns a sentinel program whose config file initially holds config.
func New(name, config string) *Program {
	return &Program{Name: name, config: []byte(config), LogLevel: sentinel.Notice}
}

// Sentinel is the state machine of the running incarnation (nil while dead).
func (p *Program) Sentinel() *sentinel.Sentinel { return p.s }

// Config is the current content of the config file.
func (p *Program) Config() string { return string(p.config) }

// Start boots the sentinel: load the file, listen, start ticking.
func (p *Program) Start(proc *kernel.Process) {
	p.proc = proc
	p.s = nil
	conf, err := sentinel.ParseConfig(p.config)
	if err != nil {
		p.fatal(err)
		return
	}
	s, err := sentinel.New(sentinel.Env{
		Clock:     clock{proc},
		Rand:      proc.Rand(),
		Transport: transport{proc},
		Sink:      sink{p},
		Store:     store{p},
		Exit:      proc.Exit,
	}, conf)
	if err != nil {
		p.fatal(err)
		return
	}
	p.s = s
	hub := sentinel.NewHub(s)
	hub.Shutdown = func() { proc.Exit(0) }
	p.hub = hub
	if err := proc.Listen(s.Port(), p.accept); err != nil {
		p.fatal(err)
		return
	}
	proc.Defer(p.tick)
}

func (p *Program) fatal(err error) {
	p.record(nil, sentinel.Warning, err.Error())
	p.proc.Exit(1)
}

func (p *Program) tick() {
	if p.s.Crashed() {
		return
	}
	p.proc.After(p.s.Tick(), p.tick)
}

// accept serves one client connection through the sentinel's Hub.
func (p *Program) accept(c *kernel.Conn) {
	sess := p.hub.Open(fmt.Sprintf("%s:%d", c.RemoteAddr(), c.RemotePort()), func(v resp.Value) { c.Send(v) })
	sess.SetConn(sentinel.ConnInfo{LocalAddr: fmt.Sprintf("%s:%d", c.LocalAddr(), c.LocalPort())})
	c.OnData = func(msg any) {
		args, ok := msg.([]string)
		if !ok || sess.Closed() {
			return
		}
		if reply, ok := sess.Do(args); ok {
			c.Send(reply)
		}
		if sess.Closed() {
			c.Close()
		}
	}
	c.OnClose = func(error) { sess.Close() }
}

func (p *Program) record(e *sentinel.Event, level sentinel.Level, text string) {
	if p.Observe == nil || (e == nil && level < p.LogLevel) {
		return
	}
	p.Observe(Record{
		At: p.proc.Kernel().Now(), Node: p.Name, Event: e, Level: level,
		Line: sentinel.FormatLog(p.proc.PID(), p.proc.WallMs(), level, text),
	})
}

type clock struct{ p *kernel.Process }

func (c clock) NowMs() int64 { return c.p.WallMs() }

// sink traces every event (so the trace hash covers Sentinel's decisions), publishes it
// to subscribed clients and hands it to the observer.
type sink struct{ p *Program }

func (s sink) Event(e sentinel.Event) {
	text := e.Type + " " + e.Text
	k := s.p.proc.Kernel()
	k.Trace().Note(k.Now(), s.p.Name+" "+text)
	if s.p.hub != nil {
		s.p.hub.PublishEvent(e)
	}
	s.p.record(&e, e.Level, text)
}

func (s sink) Log(level sentinel.Level, line string) { s.p.record(nil, level, line) }

type store struct{ p *Program }

func (s store) Load() ([]byte, error) { return s.p.config, nil }

func (s store) Save(content []byte) error {
	s.p.config = append([]byte(nil), content...)
	return nil
}
