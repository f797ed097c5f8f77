package sentinel

import (
	"errors"
	"fmt"
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
}

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

// runScripts starts due jobs and kills those running too long (C: sentinelRunPendingScripts
// and sentinelKillTimedoutScripts; reaping comes through ScriptExited).
func (s *Sentinel) runScripts() {
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
			s.eventText(Warning, "-script-error", nil, fmt.Sprintf("%s %d %d", j.argv[0], 99, 0))
			j.running = false
			continue
		}
		j.pid = pid
		q.running++
		s.eventText(Debug, "+script-child", nil, fmt.Sprintf("%d", pid))
	}
	for _, j := range q.jobs {
		if j.running && s.now-j.startTime > s.tun.scriptMaxRuntime {
			s.eventText(Warning, "-script-timeout", nil, fmt.Sprintf("%s %d", j.argv[0], j.pid))
			s.env.Scripts.Kill(j.pid)
		}
	}
}

// ScriptExited reports that a script started through Env.Scripts ended, with its exit
// code or the signal that killed it (0 if none). Exit code 1 and signals are retried
// with a doubling delay; anything else ends the job.
func (s *Sentinel) ScriptExited(pid, code, signal int) {
	if s.crashed {
		return
	}
	s.now = s.env.Clock.NowMs()
	q := &s.scripts
	for i, j := range q.jobs {
		if !j.running || j.pid != pid {
			continue
		}
		s.eventText(Debug, "-script-child", nil, fmt.Sprintf("%d %d %d", pid, code, signal))
		q.running--
		if (signal != 0 || code == 1) && j.retries != scriptMaxRetry {
			j.running = false
			j.pid = 0
			j.startTime = s.now + s.tun.scriptRetryDelay<<(j.retries-1)
			return
		}
		if signal != 0 || code != 0 {
			s.eventText(Warning, "-script-error", nil, fmt.Sprintf("%s %d %d", j.argv[0], signal, code))
		}
		q.jobs = append(q.jobs[:i], q.jobs[i+1:]...)
		return
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
