package sentinel

import (
	"fmt"
	"slices"
	"strings"
)

const unknownRule = "Unknown command or category name in ACL"

// addUser checks a user line as ACLAppendUserForLoading does when the file is read: a
// second line for the same name, or a rule that is wrong on a fresh user, is a fatal
// error of the line. An unknown command or category is let through here, since Redis
// checks rules before modules add their commands; loading the user fails on it later.
func (c *Config) addUser(d Directive) string {
	name := d.Args[1]
	if slices.ContainsFunc(c.users, func(u Directive) bool { return u.Args[0] == name }) {
		return fmt.Sprintf("Error in user declaration '%s': Duplicate user found. A user can only be defined once in config files", name)
	}
	fake := newUser()
	for j, rule := range d.Args[2:] {
		if reason := fake.apply(rule); reason != "" && reason != unknownRule {
			// Redis names the rule by its index among the rules but looks it up in the
			// whole line, so it quotes the word two places before the bad rule.
			return fmt.Sprintf("Error in user declaration '%s': %s", d.Args[j], reason)
		}
	}
	c.users = append(c.users, Directive{Line: d.Line, Text: d.Text, Args: d.Args[1:]})
	return ""
}

// ExitError is a fatal error found once the config file has been read: Redis logs its
// lines at warning level and exits with status 1, and writes nothing to stderr.
type ExitError struct {
	Log []string
}

func (e *ExitError) Error() string { return strings.Join(e.Log, "\n") }

// loadUsers builds the users at start as ACLLoadConfiguredUsers does: the default user
// with requirepass, then each user line in file order, a line for default resetting it
// first. A rule that fails now (an unknown command) stops the sentinel.
func (s *Sentinel) loadUsers(lines []Directive) error {
	s.users = newUsers(s.requirePass)
	fatal := func(line string) error {
		return &ExitError{Log: []string{line, "Critical error while loading ACLs. Exiting."}}
	}
	for _, d := range lines {
		name := d.Args[0]
		if strings.ContainsAny(name, " \t\n\v\f\r\x00") {
			return fatal("Spaces not allowed in ACL usernames")
		}
		u, ok := s.users[name]
		if ok {
			u.apply("reset")
		} else {
			u = newUser()
			s.users[name] = u
		}
		for _, rule := range d.Args[1:] {
			if reason := u.apply(rule); reason != "" {
				return fatal(fmt.Sprintf("Error loading ACL rule '%s' for the user named '%s': %s", rule, name, reason))
			}
		}
		if !u.on {
			s.log(Notice, fmt.Sprintf("The user '%s' is disabled (there is no 'on' modifier in the user description). "+
				"Make sure this is not a configuration error.", name))
		}
	}
	return nil
}
