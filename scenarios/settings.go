package scenarios

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/sentinelsim/sentinelsim/world"
)

// SettingSections are the parts of a scenario a setting may change, and SettingKeys
// the top-level values.
var (
	SettingSections = []string{"redis", "sentinel", "workload", "speeds"}
	SettingKeys     = []string{"duration", "quiet"}
)

// WithSettings returns a copy of the scenario changed by settings, so that one scenario
// runs under the configurations operators compare without a file per configuration.
// A setting is SECTION.KEY=VALUE, read as the scenario file reads KEY: VALUE in that
// section:
//
//	redis.KEY=VALUE     a redis-server option of every redis node (redis.appendonly=yes)
//	sentinel.KEY=VALUE  quorum or a per-master sentinel option (sentinel.down-after-milliseconds=1000)
//	workload.KEY=VALUE  a workload field (workload.wait=1, workload.think=10ms)
//	speeds.KEY=VALUE    a speed of the simulated machine (speeds.transfer-rate=5mb)
//	duration=VALUE, quiet=VALUE
//
// The settings are kept, in order, so that the replay command repeats them.
func (s *Scenario) WithSettings(settings ...string) (*Scenario, error) {
	v := s.clone()
	for _, set := range settings {
		if err := v.apply(set); err != nil {
			return nil, fmt.Errorf("setting %q: %w", set, err)
		}
		v.Settings = append(v.Settings, set)
	}
	if err := v.Validate(); err != nil {
		return nil, fmt.Errorf("settings %v: %w", settings, err)
	}
	return v, nil
}

// apply reads one setting with the scenario file's loader, so that a setting is checked
// exactly as the same line in a file would be.
func (s *Scenario) apply(set string) error {
	path, value, ok := strings.Cut(set, "=")
	section, key, dotted := strings.Cut(path, ".")
	topLevel := !dotted && contains(SettingKeys, path)
	if !ok || !topLevel && (!dotted || key == "" || !contains(SettingSections, section)) {
		return fmt.Errorf("want SECTION.KEY=VALUE with SECTION one of %v, or KEY=VALUE with KEY one of %v",
			SettingSections, SettingKeys)
	}
	doc := fmt.Sprintf("%s:\n  %s: %s\n", section, strconv.Quote(key), strconv.Quote(value))
	if topLevel {
		doc = fmt.Sprintf("%s: %s\n", path, strconv.Quote(value))
	}
	root, err := parseDoc("setting", []byte(doc), "a setting")
	if err != nil {
		return err
	}
	fields, err := root.fields("a setting", append(SettingSections, SettingKeys...)...)
	if err != nil {
		return err
	}
	l := &loader{s: *s, lines: map[string]int{}}
	y := fields[section]
	switch section {
	case "duration":
		l.s.Duration, err = y.duration(section)
	case "quiet":
		l.s.Quiet, err = y.duration(section)
	case "redis":
		err = l.redisOptions(y)
		l.applyRedis()
	case "sentinel":
		err = l.sentinel(y)
	case "workload":
		err = l.workload(y)
	case "speeds":
		err = l.speeds(y)
	}
	var pe *posError
	if errors.As(err, &pe) {
		return errors.New(pe.Msg) // the line of a one-line document says nothing
	}
	if err != nil {
		return err
	}
	*s = l.s
	return nil
}

// applyRedis gives the loader's scenario-wide redis options to every redis node, after
// the options they have.
func (l *loader) applyRedis() {
	for i, n := range l.s.Topology.Nodes {
		if n.Kind == world.Redis {
			l.s.Topology.Nodes[i].Config = n.Config.With(l.redis)
		}
	}
}

// clone copies the scenario deeply enough that changing its configuration, nodes or
// faults leaves the original as it was.
func (s *Scenario) clone() *Scenario {
	c := *s
	c.Topology.Hosts = append([]world.Host(nil), s.Topology.Hosts...)
	c.Topology.Nodes = append([]world.Node(nil), s.Topology.Nodes...)
	c.Topology.Monitor = append(world.Options(nil), s.Topology.Monitor...)
	c.Topology.Speeds = append(world.Options(nil), s.Topology.Speeds...)
	c.Faults = append([]Fault(nil), s.Faults...)
	c.Expect.Always = append([]string(nil), s.Expect.Always...)
	c.Expect.Finds = append([]string(nil), s.Expect.Finds...)
	c.Settings = append([]string(nil), s.Settings...)
	return &c
}

// shellWord quotes a word for a POSIX shell when it needs it.
func shellWord(w string) string {
	if w != "" && strings.Trim(w, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.=/:,+@%") == "" {
		return w
	}
	return "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
}
