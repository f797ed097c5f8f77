package sentinel

import (
	"fmt"
	"strings"

	"github.com/sentinelsim/sentinelsim/resp"
)

// DefaultPort is the port a sentinel listens on unless its file says otherwise.
const DefaultPort = 26379

// Config is a parsed sentinel.conf. The sentinel directives are applied by New; every
// other directive is left to the driver (bind, dir, logfile, ...), in file order.
type Config struct {
	Port        int
	RequirePass string
	Server      []Directive
	sentinel    []Directive
	// users are the user lines, checked, without the word "user", for New to load.
	users []Directive
}

// Directive is one line of a config file, split into arguments as Redis splits it.
type Directive struct {
	Line int
	Text string
	Args []string
}

// ConfigError is a fatal error in the config file, worded as Redis prints it; File, when
// the driver knows it, is added to Redis's "Reading the configuration file" line. An
// error of the whole file (Line 0) has no such line, as in Redis.
type ConfigError struct {
	File   string
	Line   int
	Text   string
	Reason string
}

func (e *ConfigError) Error() string {
	head := fmt.Sprintf("\n*** FATAL CONFIG FILE ERROR (Redis %s) ***\n", Version)
	if e.Line == 0 {
		return head + e.Reason
	}
	file := ""
	if e.File != "" {
		file = " " + e.File
	}
	return fmt.Sprintf("%sReading the configuration file%s, at line %d\n>>> '%s'\n%s", head, file, e.Line, e.Text, e.Reason)
}

// ParseConfig splits a config file into directives. Only what the sentinel itself needs
// is interpreted here: port, requirepass and the user lines.
func ParseConfig(text []byte) (*Config, error) { return ParseConfigChecked(text, nil) }

// ParseConfigChecked is ParseConfig with the driver's check of every server directive
// (check gets the line's arguments), run in file order with the parser's own checks, as
// Redis runs them: the first reason either gives is the fatal error, at its line.
func ParseConfigChecked(text []byte, check func(args []string) string) (*Config, error) {
	c := &Config{Port: DefaultPort}
	for i, line := range strings.Split(string(text), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		args, err := resp.SplitArgs(line)
		if err != nil {
			return nil, &ConfigError{Line: i + 1, Text: line, Reason: "Unbalanced quotes in configuration line"}
		}
		if len(args) == 0 {
			continue
		}
		d := Directive{Line: i + 1, Text: line, Args: args}
		fail := func(reason string) (*Config, error) {
			return nil, &ConfigError{Line: d.Line, Text: line, Reason: reason}
		}
		switch strings.ToLower(args[0]) {
		case "sentinel":
			// A bare "sentinel" only says "sentinel mode", which we are in.
			if len(args) > 1 {
				d.Args = args[1:]
				c.sentinel = append(c.sentinel, d)
			}
			continue
		case "user":
			// Alone on its line it is a bad directive, as the server's check says.
			if len(args) > 1 {
				if reason := c.addUser(d); reason != "" {
					return fail(reason)
				}
				continue
			}
		case "port":
			if len(args) != 2 {
				return fail("wrong number of arguments")
			}
			p, ok := parseInt(args[1])
			if !ok {
				return fail("argument couldn't be parsed into an integer")
			}
			if p < 0 || p > 65535 {
				return fail("argument must be between 0 and 65535 inclusive")
			}
			c.Port = int(p)
		case "requirepass":
			if len(args) != 2 {
				return fail("wrong number of arguments")
			}
			c.RequirePass = args[1]
		}
		if check != nil {
			if reason := check(args); reason != "" {
				return nil, &ConfigError{Line: d.Line, Text: line, Reason: reason}
			}
		}
		c.Server = append(c.Server, d)
	}
	return c, nil
}

// CheckConfig reports the first error New would find in a config file, as a
// *ConfigError, without building a sentinel: for tools that check a configuration before
// they run it. Scripts count as missing, as in the simulator.
func CheckConfig(text []byte) error {
	c, err := ParseConfig(text)
	if err != nil {
		return err
	}
	s := &Sentinel{tun: defaultTunables(), conf: c, denyScriptsReconf: true}
	return s.apply(c)
}

// preMonitor are the directives applied before any monitor line, as Redis queues them.
var preMonitor = map[string]bool{
	"announce-ip": true, "announce-port": true, "deny-scripts-reconfig": true, "sentinel-user": true,
	"sentinel-pass": true, "current-epoch": true, "myid": true, "resolve-hostnames": true,
	"announce-hostnames": true,
}

// apply applies the sentinel directives in Redis's three passes: global options, then
// monitor lines, then everything else in file order.
func (s *Sentinel) apply(c *Config) error {
	for pass := 0; pass < 3; pass++ {
		for _, d := range c.sentinel {
			name := strings.ToLower(d.Args[0])
			p := 2
			if preMonitor[name] {
				p = 0
			} else if name == "monitor" {
				p = 1
			}
			if p != pass {
				continue
			}
			if reason := s.directive(d.Args); reason != "" {
				return &ConfigError{Line: d.Line, Text: d.Text, Reason: reason}
			}
		}
	}
	return nil
}

// directive applies one "sentinel ..." line and returns Redis's reason when it is wrong
// (C: sentinelHandleConfiguration).
func (s *Sentinel) directive(argv []string) string {
	name := strings.ToLower(argv[0])
	n := len(argv)
	var m *instance
	perMaster := map[string]int{"down-after-milliseconds": 3, "failover-timeout": 3, "parallel-syncs": 3,
		"notification-script": 3, "client-reconfig-script": 3, "auth-pass": 3, "auth-user": 3,
		"config-epoch": 3, "leader-epoch": 3, "known-slave": 4, "known-replica": 4, "known-sentinel": 5,
		"rename-command": 4, "master-reboot-down-after-period": 3}
	if want, ok := perMaster[name]; ok && (n == want || (name == "known-sentinel" && n == 4)) {
		if name == "known-sentinel" && n == 4 {
			return "" // the old form without a run id is ignored
		}
		if m = s.masterByName(argv[1]); m == nil {
			return "No such master with specified name."
		}
	}
	switch {
	case name == "monitor" && n == 5:
		quorum := atoi(argv[4])
		if quorum <= 0 {
			return "Quorum must be 1 or greater."
		}
		_, reason := s.addMaster(argv[1], argv[2], atoi(argv[3]), quorum)
		return reason
	case m != nil:
		return s.masterDirective(m, name, argv[2:])
	case name == "current-epoch" && n == 2:
		s.currentEpoch = max(s.currentEpoch, atou(argv[1]))
	case name == "myid" && n == 2:
		if len(argv[1]) != 40 {
			return "Malformed Sentinel id in myid option."
		}
		s.myid = argv[1]
	case name == "announce-ip" && n == 2:
		if argv[1] != "" {
			s.announceIP, s.announceIPSet = argv[1], true
		}
	case name == "announce-port" && n == 2:
		s.announcePort = atoi(argv[1])
	case name == "deny-scripts-reconfig" && n == 2:
		return yesNo(argv[1], &s.denyScriptsReconf, "Please specify yes or no for the deny-scripts-reconfig options.")
	case name == "sentinel-user" && n == 2:
		s.sentinelUser = argv[1]
	case name == "sentinel-pass" && n == 2:
		s.sentinelPass = argv[1]
	case name == "resolve-hostnames" && n == 2:
		return yesNo(argv[1], &s.resolveHostnames, "Please specify yes or no for the resolve-hostnames option.")
	case name == "announce-hostnames" && n == 2:
		return yesNo(argv[1], &s.announceHostnames, "Please specify yes or no for the announce-hostnames option.")
	default:
		return "Unrecognized sentinel configuration statement."
	}
	return ""
}

func (s *Sentinel) masterDirective(m *instance, name string, args []string) string {
	switch name {
	case "down-after-milliseconds":
		m.downAfter = int64(atoi(args[0]))
		if m.downAfter <= 0 {
			return "negative or zero time parameter."
		}
		propagateDownAfter(m)
	case "failover-timeout":
		m.failoverTimeout = int64(atoi(args[0]))
		if m.failoverTimeout <= 0 {
			return "negative or zero time parameter."
		}
	case "parallel-syncs":
		m.parallelSyncs = atoi(args[0])
	case "notification-script":
		if !s.executable(args[0]) {
			return "Notification script seems non existing or non executable."
		}
		m.notificationScript = args[0]
	case "client-reconfig-script":
		if !s.executable(args[0]) {
			return "Client reconfiguration script seems non existing or non executable."
		}
		m.clientReconfigScript = args[0]
	case "auth-pass":
		m.authPass = args[0]
	case "auth-user":
		m.authUser = args[0]
	case "config-epoch":
		m.configEpoch = atou(args[0])
		s.currentEpoch = max(s.currentEpoch, m.configEpoch)
	case "leader-epoch":
		m.leaderEpoch = atou(args[0])
	case "known-slave", "known-replica":
		a, err := s.lenientAddress(args[0], atoi(args[1]))
		if err != nil {
			return createError(err)
		}
		if s.addSlave(m, a) == nil {
			return "Duplicate hostname and port for replica."
		}
	case "known-sentinel":
		a, err := s.lenientAddress(args[0], atoi(args[1]))
		if err != nil {
			return createError(err)
		}
		si := s.addSentinel(m, args[2], a)
		if si == nil {
			return "Duplicate runid for sentinel."
		}
		s.shareLink(si)
	case "rename-command":
		for _, r := range m.renames {
			if strings.EqualFold(r.from, args[0]) {
				return "Same command renamed multiple times with rename-command."
			}
		}
		m.renames = append(m.renames, rename{from: args[0], to: args[1]})
	case "master-reboot-down-after-period":
		m.rebootDownAfter = int64(atoi(args[0]))
		if m.rebootDownAfter < 0 {
			return "negative time parameter."
		}
	}
	return ""
}

func createError(err error) string {
	if err == errBadPort {
		return "Invalid port number."
	}
	return "Can't resolve instance hostname."
}

func yesNo(v string, dst *bool, reason string) string {
	switch strings.ToLower(v) {
	case "yes":
		*dst = true
	case "no":
		*dst = false
	default:
		return reason
	}
	return ""
}

func (s *Sentinel) executable(path string) bool {
	return s.env.Scripts != nil && s.env.Scripts.Executable(path)
}

// addMaster creates a monitored master; the reason is Redis's wording when it cannot.
// The address is checked first, as createSentinelRedisInstance does.
func (s *Sentinel) addMaster(name, host string, port, quorum int) (*instance, string) {
	a, err := s.lenientAddress(host, port)
	if err != nil {
		return nil, createError(err)
	}
	if s.masterByName(name) != nil {
		return nil, "Duplicate master name."
	}
	m := s.newInstance(name, fMaster, a, nil)
	m.quorum = quorum
	s.masters = append(s.masters, m)
	return m, ""
}

func propagateDownAfter(m *instance) {
	for _, r := range m.slaves {
		r.downAfter = m.downAfter
	}
	for _, si := range m.sentinels {
		si.downAfter = m.downAfter
	}
}

// quote renders a string as Redis's sdscatrepr does, for announce-ip.
func quote(v string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch c {
		case '\\', '"':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\a':
			b.WriteString(`\a`)
		case '\b':
			b.WriteString(`\b`)
		default:
			if c < 0x20 || c > 0x7e {
				fmt.Fprintf(&b, `\x%02x`, c)
			} else {
				b.WriteByte(c)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}
