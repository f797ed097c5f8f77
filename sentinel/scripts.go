package sentinel

import (
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/sentinelsim/sentinelsim/resp"
)

const (
	scriptMaxQueue   = 256
	scriptMaxRunning = 16
	scriptMaxRetry   = 10
	scriptMaxArgs    = 16
)

var errNoScripts = errors.New("this sentinel cannot run scripts")

// scriptJob is one queued run of a notification or client-reconfig script.
type scriptJob struct {
	argv      []string
	retries   int
	startTime int64
	running   bool
	pid       int
}

type scriptQueue struct {
	jobs    []*scriptJob
	running int
	exited  []scriptExit // reported by ScriptExited, collected at the next tick
}

// scriptExit is how a script process ended: its exit code, or the signal that killed
// it (0 if none).
type scriptExit struct{ pid, code, signal int }

// scheduleScript queues a script run; past the queue limit the oldest job that is not
// running is dropped.
func (s *Sentinel) scheduleScript(path string, args ...string) {
	argv := append([]string{path}, args...)
	if len(argv) > scriptMaxArgs {
		argv = argv[:scriptMaxArgs]
	}
	q := &s.scripts
	q.jobs = append(q.jobs, &scriptJob{argv: argv})
	if len(q.jobs) > scriptMaxQueue {
		for i, j := range q.jobs {
			if !j.running {
				q.jobs = append(q.jobs[:i], q.jobs[i+1:]...)
				break
			}
		}
	}
}

// clientReconfigScript runs the master's client-reconfig-script, if any, with the
// arguments Redis gives it.
func (s *Sentinel) clientReconfigScript(m *instance, role string, from, to address) {
	if m.clientReconfigScript == "" {
		return
	}
	s.scheduleScript(m.clientReconfigScript, m.name, role, "start",
		s.announceHost(from), strconv.Itoa(from.port), s.announceHost(to), strconv.Itoa(to.port))
}

// runScripts is the scripts' share of a tick, in Redis's order: start the jobs that
// are due, collect the ones that ended, kill the ones running too long
// (C: sentinelRunPendingScripts, sentinelCollectTerminatedScripts,
// sentinelKillTimedoutScripts).
func (s *Sentinel) runScripts() {
	s.startPendingScripts()
	s.collectExitedScripts()
	s.killTimedOutScripts()
}

// startPendingScripts starts the jobs not running whose (retry) time has come, oldest
// first, up to the running limit. A job that cannot be started is tried again at the
// next tick.
func (s *Sentinel) startPendingScripts() {
	q := &s.scripts
	for _, j := range q.jobs {
		if q.running >= scriptMaxRunning {
			break
		}
		if j.running || j.startTime > s.now {
			continue
		}
		j.running = true
		j.startTime = s.now
		j.retries++
		pid := -1
		err := errNoScripts
		if s.env.Scripts != nil {
			pid, err = s.env.Scripts.Start(j.argv)
		}
		if err != nil {
			// Redis reports a failed fork as signal 99.
			s.eventText(Warning, "-script-error", nil, fmt.Sprintf("%s %d %d", j.argv[0], 99, 0))
			j.running = false
			continue
		}
		j.pid = pid
		q.running++
		s.eventText(Debug, "+script-child", nil, fmt.Sprintf("%d", pid))
	}
}

// ScriptExited reports that a script started through Env.Scripts ended, with its exit
// code or the signal that killed it (0 if none). Like Redis's waitpid in the timer, the
// sentinel takes note of it at its next tick.
func (s *Sentinel) ScriptExited(pid, code, signal int) {
	if !s.crashed {
		s.scripts.exited = append(s.scripts.exited, scriptExit{pid, code, signal})
	}
}

// collectExitedScripts ends or reschedules the jobs whose process ended: exit code 1
// and signals are retried with a doubling delay, up to scriptMaxRetry runs; anything
// else ends the job.
func (s *Sentinel) collectExitedScripts() {
	q := &s.scripts
	exited := q.exited
	q.exited = nil
	for _, e := range exited {
		s.eventText(Debug, "-script-child", nil, fmt.Sprintf("%d %d %d", e.pid, e.code, e.signal))
		i := slices.IndexFunc(q.jobs, func(j *scriptJob) bool { return j.running && j.pid == e.pid })
		if i < 0 {
			s.log(Warning, fmt.Sprintf("waitpid() returned a pid (%d) we can't find in our scripts execution queue!", e.pid))
			continue
		}
		j := q.jobs[i]
		q.running--
		if (e.signal != 0 || e.code == 1) && j.retries != scriptMaxRetry {
			j.running = false
			j.pid = 0
			j.startTime = s.now + s.tun.scriptRetryDelay<<(j.retries-1)
			continue
		}
		if e.signal != 0 || e.code != 0 {
			s.eventText(Warning, "-script-error", nil, fmt.Sprintf("%s %d %d", j.argv[0], e.signal, e.code))
		}
		q.jobs = slices.Delete(q.jobs, i, i+1)
	}
}

// killTimedOutScripts sends SIGKILL to the jobs running longer than the limit, at
// every tick until their exit is collected.
func (s *Sentinel) killTimedOutScripts() {
	for _, j := range s.scripts.jobs {
		if j.running && s.now-j.startTime > s.tun.scriptMaxRuntime {
			s.eventText(Warning, "-script-timeout", nil, fmt.Sprintf("%s %d", j.argv[0], j.pid))
			s.env.Scripts.Kill(j.pid)
		}
	}
}

// pendingScripts is SENTINEL PENDING-SCRIPTS.
func (s *Sentinel) pendingScripts() resp.Value {
	out := make([]resp.Value, 0, len(s.scripts.jobs))
	for _, j := range s.scripts.jobs {
		flags, timeKey, t := "scheduled", "run-delay", max(j.startTime-s.now, 0)
		if j.running {
			flags, timeKey, t = "running", "run-time", s.now-j.startTime
		}
		out = append(out, resp.Array(
			resp.Bulk("argv"), resp.BulkArray(j.argv...),
			resp.Bulk("flags"), resp.Bulk(flags),
			resp.Bulk("pid"), resp.Bulk(strconv.Itoa(j.pid)),
			resp.Bulk(timeKey), resp.Bulk(strconv.FormatInt(t, 10)),
			resp.Bulk("retry-num"), resp.Bulk(strconv.Itoa(j.retries)),
		))
	}
	return resp.Array(out...)
}
