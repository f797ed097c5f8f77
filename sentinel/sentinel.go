// Package sentinel is Redis Sentinel 7.0 as a deterministic state machine.
//
// A Sentinel owns all the state of one sentinel process. Its owner drives it from one
// loop: Tick at the delay each tick returns (10 to 19 Hz, drawn at random as Redis does
// to desynchronise elections), Command for client commands, and the callbacks the
// Transport and Scripts deliver. It touches the world only through Env, so the same code
// runs in the simulator and in gosentinel. ../shared/docs/sentinel-spec.md is the
// behaviour it implements; the few places where it departs from Redis are listed in
// DEVIATIONS.md with the reason.
package sentinel

import (
	"fmt"
	"time"
)

// Version is the Redis version this Sentinel behaves as.
const Version = "7.0.15"

// Env is everything a Sentinel uses of the world.
type Env struct {
	Clock     Clock
	Rand      Rand
	Transport Transport
	Sink      Sink
	Store     ConfigStore
	// Scripts runs notification and reconfiguration scripts; nil refuses scripts.
	Scripts Scripts
	// Resolve looks a hostname up when resolve-hostnames is on; nil resolves nothing.
	Resolve func(host string) (ip string, err error)
	// Exit ends the process (SENTINEL SIMULATE-FAILURE crashes with code 99).
	Exit func(code int)
	// ServerInfo renders INFO's server, clients, cpu and stats sections, which describe
	// the process rather than the algorithm; nil leaves them out.
	ServerInfo func(section string) string
}

// tunables are the timing constants SENTINEL DEBUG can change (milliseconds).
type tunables struct {
	infoPeriod, pingPeriod, askPeriod, publishPeriod    int64
	defaultDownAfter, defaultFailoverTimeout            int64
	tiltTrigger, tiltPeriod                             int64
	slaveReconfTimeout, minLinkReconnectPeriod          int64
	electionTimeout, scriptMaxRuntime, scriptRetryDelay int64
}

func defaultTunables() tunables {
	return tunables{
		infoPeriod: 10000, pingPeriod: 1000, askPeriod: 1000, publishPeriod: 2000,
		defaultDownAfter: 30000, defaultFailoverTimeout: 180000,
		tiltTrigger: 2000, tiltPeriod: 30000,
		slaveReconfTimeout: 10000, minLinkReconnectPeriod: 15000,
		electionTimeout: 10000, scriptMaxRuntime: 60000, scriptRetryDelay: 30000,
	}
}

const (
	maxPendingCommands     = 100
	maxDesync              = 1000
	simCrashAfterElection  = 1
	simCrashAfterPromotion = 2
)

// Sentinel is one sentinel process's state.
type Sentinel struct {
	env  Env
	tun  tunables
	now  int64 // the clock, read once per entry point
	conf *Config

	myid              string
	serverRunID       string
	startTime         int64
	currentEpoch      uint64
	masters           []*instance // in the order they were added
	tilt              bool
	tiltStart         int64
	previousTime      int64
	simFailure        int
	crashed           bool
	announceIP        string
	announceIPSet     bool
	announcePort      int
	denyScriptsReconf bool
	sentinelUser      string
	sentinelPass      string
	requirePass       string
	// users are the sentinel's own ACL users, by name: requirepass and the file's user
	// lines at start, then ACL SETUSER and DELUSER; the config rewrite writes them.
	users             map[string]*aclUser
	resolveHostnames  bool
	announceHostnames bool
	scripts           scriptQueue
}

// New builds a Sentinel from its parsed configuration file, as Redis does at startup:
// apply the file, generate and persist an id if it has none, announce the id and emit
// +monitor for every master.
func New(env Env, conf *Config) (*Sentinel, error) {
	s := &Sentinel{env: env, tun: defaultTunables(), conf: conf, denyScriptsReconf: true}
	s.now = env.Clock.NowMs()
	s.previousTime = s.now
	s.startTime = s.now
	s.requirePass = conf.RequirePass
	if err := s.apply(conf); err != nil {
		return nil, err
	}
	if err := s.loadUsers(conf.users); err != nil {
		return nil, err
	}
	s.serverRunID = s.randomHex()
	if s.myid == "" {
		s.myid = s.randomHex()
		s.flushConfig()
	}
	s.log(Warning, "Sentinel ID is "+s.myid)
	for _, m := range s.masters {
		s.event(Warning, "+monitor", m, fmt.Sprintf(" quorum %d", m.quorum))
	}
	return s, nil
}

// ID is the sentinel's run id (myid).
func (s *Sentinel) ID() string { return s.myid }

// Port is the port the sentinel listens on.
func (s *Sentinel) Port() int { return s.conf.Port }

// Crashed reports whether SIMULATE-FAILURE made the sentinel exit; nothing more happens
// after that.
func (s *Sentinel) Crashed() bool { return s.crashed }

func (s *Sentinel) randomHex() string {
	const digits = "0123456789abcdef"
	var b [40]byte
	for i := range b {
		b[i] = digits[s.env.Rand.IntN(16)]
	}
	return string(b[:])
}

// Tick runs the sentinel timer once and returns the delay until the next tick
// (C: sentinelTimer, then the hz re-draw).
func (s *Sentinel) Tick() time.Duration {
	if s.crashed {
		return time.Second
	}
	s.now = s.env.Clock.NowMs()
	s.checkTilt()
	var switchTo *instance
	for _, m := range s.masters {
		s.handleInstance(m)
		for _, r := range m.slaves {
			s.handleInstance(r)
		}
		for _, si := range m.sentinels {
			s.handleInstance(si)
		}
		if m.failoverState == stateUpdateConfig {
			switchTo = m
		}
		if s.crashed {
			return time.Second
		}
	}
	if switchTo != nil {
		s.switchToPromoted(switchTo)
	}
	s.runScripts()
	hz := 10 + s.env.Rand.IntN(10)
	return time.Duration(1000/hz) * time.Millisecond
}

// checkTilt enters TILT when the clock went backwards or the timer was late by more than
// the tilt trigger: the sentinel cannot trust its own measurements of time then.
func (s *Sentinel) checkTilt() {
	delta := s.now - s.previousTime
	if delta < 0 || delta > s.tun.tiltTrigger {
		s.tilt = true
		s.tiltStart = s.now
		s.eventText(Warning, "+tilt", nil, "#tilt mode entered")
	}
	s.previousTime = s.now
}

// handleInstance is one instance's share of a tick: monitoring always, acting unless in
// TILT (C: sentinelHandleRedisInstance).
func (s *Sentinel) handleInstance(ri *instance) {
	if ri.destroyed || s.crashed {
		return
	}
	s.reconnect(ri)
	s.sendPeriodicCommands(ri)
	if s.tilt {
		if s.now-s.tiltStart < s.tun.tiltPeriod {
			return
		}
		s.tilt = false
		s.eventText(Warning, "-tilt", nil, "#tilt mode exited")
	}
	s.checkSubjectivelyDown(ri)
	if ri.is(fMaster) {
		s.checkObjectivelyDown(ri)
		if s.startFailoverIfNeeded(ri) {
			s.askMasterState(ri, true)
		}
		s.failoverStateMachine(ri)
		s.askMasterState(ri, false)
	}
}

// event emits an event about an instance: its description ("%@" in Redis) followed by
// extra.
func (s *Sentinel) event(level Level, typ string, ri *instance, extra string) {
	s.eventText(level, typ, ri, s.describe(ri)+extra)
}

// eventText emits an event whose text is given whole; ri, when not nil, binds it to a
// master (for the notification script and for checkers).
func (s *Sentinel) eventText(level Level, typ string, ri *instance, text string) {
	if s.crashed {
		return
	}
	var m *instance
	var epoch uint64
	if ri != nil {
		m = ri.owner()
		epoch = eventEpoch(typ, m)
	}
	s.emit(Event{Level: level, Type: typ, Text: text, Epoch: epoch}, m)
}

// emit hands an event to the sink; WARNING events bound to a master also run its
// notification script.
func (s *Sentinel) emit(e Event, m *instance) {
	if m != nil {
		e.Master = m.name
		if e.Level == Warning && m.notificationScript != "" {
			s.scheduleScript(m.notificationScript, e.Type, e.Text)
		}
	}
	s.env.Sink.Event(e)
}

// eventEpoch is the epoch checkers read from an event (see Event.Epoch).
func eventEpoch(typ string, m *instance) uint64 {
	switch typ {
	case "+try-failover", "+elected-leader", "+selected-slave", "+promoted-slave", "+failover-end":
		return m.failoverEpoch
	case "+switch-master", "+config-update-from":
		return m.configEpoch
	}
	return 0
}

// epochEvent emits the events whose text is an epoch (+new-epoch) or a vote.
func (s *Sentinel) epochEvent(typ string, m *instance, text string, epoch uint64) {
	if !s.crashed {
		s.emit(Event{Level: Warning, Type: typ, Text: text, Epoch: epoch}, m)
	}
}

func (s *Sentinel) log(level Level, line string) {
	if !s.crashed {
		s.env.Sink.Log(level, line)
	}
}

// crash is SIMULATE-FAILURE's exit(99).
func (s *Sentinel) crash() {
	s.log(Warning, "Sentinel CRASH because of SENTINEL simulate-failure")
	s.crashed = true
	if s.env.Exit != nil {
		s.env.Exit(99)
	}
}
