package sentinel

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/sentinelsim/sentinelsim/resp"
)

// setCommand is SENTINEL SET <master> <option> <value> ...: options apply left to
// right; on an error the ones before it stay applied (and are flushed).
func (s *Sentinel) setCommand(m *instance, args []string) resp.Value {
	changes := 0
	fail := func(msg string) resp.Value {
		if changes > 0 {
			s.flushConfig()
		}
		return resp.Err(msg)
	}
	for j := 0; j < len(args); j++ {
		opt := args[j]
		more := len(args) - 1 - j
		name := strings.ToLower(opt)
		shown := ""
		positive := func(allowZero bool) (int64, bool) {
			j++
			v, ok := parseInt(args[j])
			return v, ok && (v > 0 || (allowZero && v == 0))
		}
		badArg := func() resp.Value {
			return fail(fmt.Sprintf("ERR Invalid argument '%s' for SENTINEL SET '%s'", args[j], opt))
		}
		switch {
		case more > 0 && (name == "down-after-milliseconds" || name == "failover-timeout" ||
			name == "parallel-syncs" || name == "quorum" || name == "master-reboot-down-after-period"):
			v, ok := positive(name == "master-reboot-down-after-period")
			if !ok {
				return badArg()
			}
			switch name {
			case "down-after-milliseconds":
				m.downAfter = v
				propagateDownAfter(m)
			case "failover-timeout":
				m.failoverTimeout = v
			case "parallel-syncs":
				m.parallelSyncs = int(v)
			case "quorum":
				m.quorum = int(v)
			default:
				m.rebootDownAfter = v
			}
			shown = args[j]
		case more > 0 && (name == "notification-script" || name == "client-reconfig-script"):
			j++
			v := args[j]
			if s.denyScriptsReconf {
				return fail("ERR Reconfiguration of scripts path is denied for security reasons. Check the deny-scripts-reconfig configuration directive in your Sentinel configuration")
			}
			if v != "" && !s.executable(v) {
				if name == "notification-script" {
					return fail("ERR Notification script seems non existing or non executable")
				}
				return fail("ERR Client reconfiguration script seems non existing or non executable")
			}
			if name == "notification-script" {
				m.notificationScript = v
			} else {
				m.clientReconfigScript = v
			}
			shown = v
		case more > 0 && (name == "auth-pass" || name == "auth-user"):
			j++
			if name == "auth-pass" {
				m.authPass = args[j]
				shown = "******"
			} else {
				m.authUser = args[j]
				shown = args[j]
			}
			s.dropInstanceConnections(m)
		case more > 1 && name == "rename-command":
			from, to := args[j+1], args[j+2]
			j += 2
			if from == "" || to == "" {
				if to != "" {
					j--
				}
				return badArg()
			}
			kept := m.renames[:0]
			for _, r := range m.renames {
				if !strings.EqualFold(r.from, from) {
					kept = append(kept, r)
				}
			}
			m.renames = kept
			if !strings.EqualFold(from, to) {
				m.renames = append(m.renames, rename{from: from, to: to})
			}
			s.event(Warning, "+set", m, fmt.Sprintf(" %s %s %s", opt, from, to))
			changes++
			continue
		default:
			return fail(fmt.Sprintf("ERR Unknown option or number of arguments for SENTINEL SET '%s'", opt))
		}
		changes++
		s.event(Warning, "+set", m, fmt.Sprintf(" %s %s", opt, shown))
	}
	return s.flushReply()
}

// dropInstanceConnections closes the links to a master and its replicas so that new
// credentials apply.
func (s *Sentinel) dropInstanceConnections(m *instance) {
	for _, ri := range append([]*instance{m}, m.slaves...) {
		ri.link.closeCC()
		ri.link.closePC()
	}
}

// configCommand is SENTINEL CONFIG GET <pattern> | SET <option> <value>, one at a time
// as in 7.0.
func (s *Sentinel) configCommand(args []string) resp.Value {
	switch {
	case strings.EqualFold(args[2], "set") && len(args) == 5:
		return s.configSet(args[3], args[4])
	case strings.EqualFold(args[2], "get") && len(args) == 4:
		var kv []string
		for _, o := range []struct{ name, value string }{
			{"resolve-hostnames", yn(s.resolveHostnames)},
			{"announce-hostnames", yn(s.announceHostnames)},
			{"announce-ip", s.announceIP},
			{"announce-port", strconv.Itoa(s.announcePort)},
			{"sentinel-user", s.sentinelUser},
			{"sentinel-pass", s.sentinelPass},
		} {
			if globMatch(strings.ToLower(args[3]), o.name) {
				kv = append(kv, o.name, o.value)
			}
		}
		return bulkMap(kv...)
	}
	return resp.Err("ERR Only SENTINEL CONFIG GET <option> / SET <option> <value> are supported.")
}

func (s *Sentinel) configSet(opt, val string) resp.Value {
	bad := resp.Err(fmt.Sprintf("ERR Invalid value '%s' to SENTINEL CONFIG SET '%s'", val, opt))
	dropPeers := false
	switch strings.ToLower(opt) {
	case "resolve-hostnames":
		if yesNo(val, &s.resolveHostnames, "bad") != "" {
			return bad
		}
	case "announce-hostnames":
		if yesNo(val, &s.announceHostnames, "bad") != "" {
			return bad
		}
	case "announce-ip":
		s.announceIP, s.announceIPSet = val, true
	case "announce-port":
		p, ok := parseInt(val)
		if !ok || p < 0 || p > 65535 {
			return bad
		}
		s.announcePort = int(p)
	case "sentinel-user":
		s.sentinelUser = val
		dropPeers = true
	case "sentinel-pass":
		s.sentinelPass = val
		dropPeers = true
	default:
		return resp.Err(fmt.Sprintf("ERR Invalid argument '%s' to SENTINEL CONFIG SET", opt))
	}
	reply := s.flushReply()
	if dropPeers {
		for _, m := range s.masters {
			for _, si := range m.sentinels {
				if !si.link.disconnected {
					si.link.closeCC()
					si.link.closePC()
				}
			}
		}
	}
	return reply
}

// info is the INFO command in Sentinel mode: the server sections the driver provides,
// then the sentinel section.
func (s *Sentinel) info(sections []string) string {
	all := len(sections) == 0
	want := map[string]bool{}
	for _, sec := range sections {
		switch sec = strings.ToLower(sec); sec {
		case "all", "everything", "default":
			all = true
		default:
			want[sec] = true
		}
	}
	var parts []string
	for _, sec := range []string{"server", "clients", "cpu", "stats"} {
		if (all || want[sec]) && s.env.ServerInfo != nil {
			if text := s.env.ServerInfo(sec); text != "" {
				parts = append(parts, text)
			}
		}
	}
	if all || want["sentinel"] {
		parts = append(parts, s.sentinelInfo())
	}
	return strings.Join(parts, "\r\n")
}

func (s *Sentinel) sentinelInfo() string {
	var b strings.Builder
	tiltSince := int64(-1)
	tilt := 0
	if s.tilt {
		tilt = 1
		tiltSince = (s.now - s.tiltStart) / 1000
	}
	fmt.Fprintf(&b, "# Sentinel\r\nsentinel_masters:%d\r\nsentinel_tilt:%d\r\nsentinel_tilt_since_seconds:%d\r\n"+
		"sentinel_running_scripts:%d\r\nsentinel_scripts_queue_length:%d\r\nsentinel_simulate_failure_flags:%d\r\n",
		len(s.masters), tilt, tiltSince, s.scripts.running, len(s.scripts.jobs), s.simFailure)
	for i, m := range s.masters {
		status := "ok"
		if m.is(fODown) {
			status = "odown"
		} else if m.is(fSDown) {
			status = "sdown"
		}
		fmt.Fprintf(&b, "master%d:name=%s,status=%s,address=%s:%d,slaves=%d,sentinels=%d\r\n",
			i, m.name, status, s.announceHost(m.addr), m.addr.port, len(m.slaves), len(m.sentinels)+1)
	}
	return b.String()
}
