package redis

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/sentinelsim/sentinelsim/resp"
)

// aclUser is an ACL user (acl.c): whether it may log in and with which passwords, and
// what it may run and touch. Redis keeps the allowed commands as a bitmap over every
// command; here a command is allowed when allowed says so, or else when allCommands
// does. Only the root selector exists: rules in parentheses are refused.
type aclUser struct {
	name      string
	on        bool
	nopass    bool
	sanitize  bool     // "sanitize-payload", which reset sets
	passwords []string // SHA-256 in hex, as Redis keeps them
	// allCommands is +@all's bit, allowed what rules set or cleared since, by full name
	// ("get", "client|kill"), firstArgs the first arguments allowed of a command
	// otherwise denied (+select|0). rules are the command rules since the last +@all or
	// -@all, for ACL LIST.
	allCommands bool
	allowed     map[string]bool
	firstArgs   map[string][]string
	rules       []string
	allKeys     bool
	keys        []keyPattern
	allChannels bool
	channels    []string
}

// keyPattern is a key pattern with the access it grants: %R~, %W~ or ~ for both.
type keyPattern struct {
	pattern     string
	read, write bool
}

// newUser is ACLCreateUser: off, no password, no command, key or channel, except the
// channels acl-pubsub-default grants.
func newUser(name, pubsubDefault string) *aclUser {
	return &aclUser{name: name, allowed: map[string]bool{}, allChannels: pubsubDefault == "allchannels"}
}

// defaultUser is ACLCreateDefaultUser, with requirepass as its password when set.
func defaultUser(requirepass string) *aclUser {
	u := &aclUser{name: "default", on: true, nopass: true, allCommands: true, allowed: map[string]bool{},
		allKeys: true, allChannels: true}
	if requirepass != "" {
		u.setPassword(requirepass)
	}
	return u
}

// setPassword is ACLUpdateDefaultUserPassword: requirepass replaces every password.
func (u *aclUser) setPassword(pass string) {
	u.nopass, u.passwords = pass == "", nil
	if pass != "" {
		u.passwords = []string{hashPassword(pass)}
	}
}

func hashPassword(p string) string {
	sum := sha256.Sum256([]byte(p))
	return hex.EncodeToString(sum[:])
}

func (u *aclUser) clone() *aclUser {
	c := *u
	c.passwords = slices.Clone(u.passwords)
	c.allowed = make(map[string]bool, len(u.allowed))
	for k, v := range u.allowed { //determinism:ok copying
		c.allowed[k] = v
	}
	c.firstArgs = make(map[string][]string, len(u.firstArgs))
	for k, v := range u.firstArgs { //determinism:ok copying
		c.firstArgs[k] = slices.Clone(v)
	}
	c.rules = slices.Clone(u.rules)
	c.keys = slices.Clone(u.keys)
	c.channels = slices.Clone(u.channels)
	return &c
}

// The errors of ACLSetUser, in ACLSetUserStringError's words.
var (
	errACLSyntax      = errors.New("Syntax error")
	errACLUnknown     = errors.New("Unknown command or category name in ACL")
	errACLAfterKeys   = errors.New("Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns")
	errACLAfterChans  = errors.New("Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels")
	errACLNoPassword  = errors.New("The password you are trying to remove from the user does not exist")
	errACLBadHash     = errors.New("The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters")
	errACLSubFirstArg = errors.New("Allowing first-arg of a subcommand is not supported")
)

// apply applies one rule of ACL SETUSER (ACLSetUser and ACLSetSelector).
func (u *aclUser) apply(op, pubsubDefault string) error {
	lower := asciiLower(op)
	switch {
	case op == "":
	case lower == "on":
		u.on = true
	case lower == "off":
		u.on = false
	case lower == "nopass":
		u.nopass, u.passwords = true, nil
	case lower == "resetpass":
		u.nopass, u.passwords = false, nil
	case lower == "sanitize-payload":
		u.sanitize = true
	case lower == "skip-sanitize-payload":
		u.sanitize = false
	case lower == "reset":
		*u = *newUser(u.name, pubsubDefault)
		u.sanitize = true
	case op[0] == '>' || op[0] == '#':
		h := hashPassword(op[1:])
		if op[0] == '#' {
			if !validHash(op[1:]) {
				return errACLBadHash
			}
			h = op[1:]
		}
		if !slices.Contains(u.passwords, h) {
			u.passwords = append(u.passwords, h)
		}
		u.nopass = false
	case op[0] == '<' || op[0] == '!':
		h := hashPassword(op[1:])
		if op[0] == '!' {
			if !validHash(op[1:]) {
				return errACLBadHash
			}
			h = op[1:]
		}
		i := slices.Index(u.passwords, h)
		if i < 0 {
			return errACLNoPassword
		}
		u.passwords = slices.Delete(u.passwords, i, i+1)
	case lower == "clearselectors":
	case op[0] == '(':
		return errACLSyntax // selectors are not simulated
	default:
		return u.applySelector(op, lower)
	}
	return nil
}

func validHash(h string) bool {
	if len(h) != 64 {
		return false
	}
	for i := 0; i < len(h); i++ {
		if c := h[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// applySelector applies a key, channel or command rule.
func (u *aclUser) applySelector(op, lower string) error {
	switch {
	case lower == "allkeys" || op == "~*":
		u.allKeys, u.keys = true, nil
	case lower == "resetkeys":
		u.allKeys, u.keys = false, nil
	case lower == "allchannels" || op == "&*":
		u.allChannels, u.channels = true, nil
	case lower == "resetchannels":
		u.allChannels, u.channels = false, nil
	case lower == "allcommands" || lower == "+@all":
		u.allCommands, u.allowed, u.firstArgs, u.rules = true, map[string]bool{}, nil, nil
	case lower == "nocommands" || lower == "-@all":
		u.allCommands, u.allowed, u.firstArgs, u.rules = false, map[string]bool{}, nil, nil
	case op[0] == '~' || op[0] == '%':
		return u.addKeyPattern(op)
	case op[0] == '&':
		if u.allChannels {
			return errACLAfterChans
		}
		if strings.ContainsAny(op[1:], " \x00") {
			return errACLSyntax
		}
		if !slices.Contains(u.channels, op[1:]) {
			u.channels = append(u.channels, op[1:])
		}
	case (op[0] == '+' || op[0] == '-') && strings.HasPrefix(op[1:], "@"):
		cat := asciiLower(op[2:])
		if !categoryNames[cat] {
			return errACLUnknown
		}
		for _, name := range sortedKeys(aclCategories) {
			if slices.Contains(strings.Fields(aclCategories[name]), cat) {
				u.allowed[name] = op[0] == '+'
			}
		}
		u.rules = append(u.rules, op)
	case op[0] == '+' || op[0] == '-':
		if err := u.applyCommand(op[0] == '+', asciiLower(op[1:])); err != nil {
			return err
		}
		u.rules = append(u.rules, op)
	default:
		return errACLSyntax
	}
	return nil
}

func (u *aclUser) addKeyPattern(op string) error {
	if u.allKeys {
		return errACLAfterKeys
	}
	p := keyPattern{read: true, write: true}
	rest := op[1:]
	if op[0] == '%' {
		p = keyPattern{}
		i := 1
		for ; i < len(op); i++ {
			switch c := op[i]; {
			case (c == 'R' || c == 'r') && !p.read:
				p.read = true
			case (c == 'W' || c == 'w') && !p.write:
				p.write = true
			case c == '~':
				i++
				goto done
			default:
				return errACLSyntax
			}
		}
	done:
		rest = op[min(i, len(op)):]
	}
	if strings.ContainsAny(rest, " \x00") {
		return errACLSyntax
	}
	p.pattern = rest
	for i, q := range u.keys {
		if q.pattern == p.pattern {
			u.keys[i].read, u.keys[i].write = q.read || p.read, q.write || p.write
			return nil
		}
	}
	u.keys = append(u.keys, p)
	return nil
}

// applyCommand is +name or -name: a command with its subcommands, or a subcommand; or,
// to allow only, a first argument of a command that has no subcommands (+select|0).
func (u *aclUser) applyCommand(allow bool, name string) error {
	i := strings.LastIndexByte(name, '|')
	if !allow || i < 0 {
		if !redisCommands[name] {
			return errACLUnknown
		}
		u.allowed[name] = allow
		delete(u.firstArgs, name)
		for c := range redisCommands { //determinism:ok each is set alike
			if strings.HasPrefix(c, name+"|") {
				u.allowed[c] = allow
			}
		}
		return nil
	}
	parent, sub := name[:i], name[i+1:]
	switch {
	case !redisCommands[parent]:
		return errACLUnknown
	case strings.Contains(parent, "|"):
		return errACLSubFirstArg
	case sub == "":
		return errACLSyntax
	case hasSubcommands(parent):
		if !redisCommands[name] {
			return errACLUnknown
		}
		u.allowed[name] = true
	default:
		if u.firstArgs == nil {
			u.firstArgs = map[string][]string{}
		}
		u.firstArgs[parent] = append(u.firstArgs[parent], sub)
	}
	return nil
}

func hasSubcommands(name string) bool {
	for c := range redisCommands { //determinism:ok a yes/no answer
		if strings.HasPrefix(c, name+"|") {
			return true
		}
	}
	return false
}

// may reports whether the user may run cmd with args: ACL_OK, or the NOPERM error.
func (u *aclUser) may(cmd *command, args []string) *rejection {
	if cmd.flags&cmdNoAuth == 0 && !u.mayRun(cmd, args) {
		return &rejection{"NOPERM", fmt.Sprintf("this user has no permissions to run the '%s' command", cmd.name)}
	}
	if !u.allKeys {
		read, write := keyAccess(cmd, args)
		for _, k := range commandKeys(cmd, args) {
			if !u.mayTouch(k, read, write) {
				return &rejection{"NOPERM", "this user has no permissions to access one of the keys used as arguments"}
			}
		}
	}
	if !u.allChannels {
		pattern := cmd.name == "psubscribe"
		for _, ch := range commandChannels(cmd, args) {
			if !u.mayUse(ch, pattern) {
				return &rejection{"NOPERM", "this user has no permissions to access one of the channels used as arguments"}
			}
		}
	}
	return nil
}

func (u *aclUser) mayRun(cmd *command, args []string) bool {
	if allowed, ok := u.allowed[cmd.name]; ok && allowed || !ok && u.allCommands {
		return true
	}
	idx := 1
	if strings.Contains(cmd.name, "|") {
		idx = 2
	}
	for _, a := range u.firstArgs[cmd.name] {
		if len(args) > idx && strings.EqualFold(args[idx], a) {
			return true
		}
	}
	return false
}

func (u *aclUser) mayTouch(key string, read, write bool) bool {
	for _, p := range u.keys {
		if (!read || p.read) && (!write || p.write) && stringMatch(p.pattern, key, false) {
			return true
		}
	}
	return false
}

// mayUse is ACLCheckChannelAgainstList: a channel must match one of the user's
// patterns; a pattern (PSUBSCRIBE) must be one of them.
func (u *aclUser) mayUse(channel string, pattern bool) bool {
	for _, p := range u.channels {
		if (pattern && p == channel) || (!pattern && stringMatch(p, channel, false)) {
			return true
		}
	}
	return false
}

// commandKeys are the keys a command names, as its key specs find them.
func commandKeys(cmd *command, args []string) []string {
	switch cmd.name {
	case "del", "exists":
		return args[1:]
	case "get", "set", "incr", "incrby", "sadd", "srem", "smembers", "scard", "sismember", "rpush", "lrange", "llen":
		return args[1:2]
	}
	return nil
}

// keyAccess is the access a command's key specs ask for: read (ACCESS) and write
// (INSERT, DELETE, UPDATE). SET asks to read only with GET.
func keyAccess(cmd *command, args []string) (read, write bool) {
	switch cmd.name {
	case "incr", "incrby":
		return true, true
	case "set":
		for _, a := range args[3:] {
			if strings.EqualFold(a, "get") {
				return true, true
			}
		}
		return false, true
	}
	return cmd.flags&cmdWrite == 0, cmd.flags&cmdWrite != 0
}

// commandChannels are the channels a command publishes or subscribes to.
func commandChannels(cmd *command, args []string) []string {
	switch cmd.name {
	case "publish":
		return args[1:2]
	case "subscribe", "psubscribe":
		return args[1:]
	}
	return nil
}

// describe is the user's line of ACL LIST (ACLDescribeUser). Redis rebuilds the command
// rules as a best fit of categories and commands over its whole command table; here
// they are the rules given since the last +@all or -@all.
func (u *aclUser) describe() string {
	parts := []string{"user", u.name, map[bool]string{true: "on", false: "off"}[u.on]}
	if u.nopass {
		parts = append(parts, "nopass")
	}
	if u.sanitize {
		parts = append(parts, "sanitize-payload")
	}
	for _, p := range u.passwords {
		parts = append(parts, "#"+p)
	}
	if u.allKeys {
		parts = append(parts, "~*")
	}
	for _, k := range u.keys {
		switch {
		case k.read && k.write:
			parts = append(parts, "~"+k.pattern)
		case k.read:
			parts = append(parts, "%R~"+k.pattern)
		default:
			parts = append(parts, "%W~"+k.pattern)
		}
	}
	if u.allChannels {
		parts = append(parts, "&*")
	} else {
		parts = append(parts, "resetchannels")
		for _, c := range u.channels {
			parts = append(parts, "&"+c)
		}
	}
	parts = append(parts, map[bool]string{true: "+@all", false: "-@all"}[u.allCommands])
	return strings.Join(append(parts, u.rules...), " ")
}

// acl is ACL SETUSER, DELUSER, WHOAMI, USERS and LIST.
func (n *node) acl(cl *client, cmd *command, args []string) resp.Value {
	switch cmd.name {
	case "acl|whoami":
		return resp.Bulk(cl.user.name)
	case "acl|users":
		return resp.BulkArray(sortedKeys(n.users)...)
	case "acl|list":
		var lines []string
		for _, name := range sortedKeys(n.users) {
			lines = append(lines, n.users[name].describe())
		}
		return resp.BulkArray(lines...)
	case "acl|setuser":
		if strings.ContainsAny(args[2], " \x00") {
			return resp.Err("ERR Usernames can't contain spaces or null characters")
		}
		if err := n.setUser(args[2], args[3:]); err != nil {
			return resp.Err(errorLine("ERR " + err.Error()))
		}
		return resp.OK
	case "acl|deluser":
		if slices.Contains(args[2:], "default") {
			return resp.Err("ERR The 'default' user cannot be removed")
		}
		deleted := 0
		for _, name := range args[2:] {
			if u, ok := n.users[name]; ok {
				delete(n.users, name)
				deleted++
				n.logOut(cl, u)
			}
		}
		return resp.Int(int64(deleted))
	}
	return unknownCommand(args).reply()
}

// setUser is ACLStringSetUser: the rules apply to a copy, which replaces the user (or
// becomes a new one) only if every rule is valid.
func (n *node) setUser(name string, rules []string) error {
	pubsub := n.srv.options["acl-pubsub-default"]
	u := newUser(name, pubsub)
	if old, ok := n.users[name]; ok {
		u = old.clone()
	}
	for _, r := range rules {
		if err := u.apply(r, pubsub); err != nil {
			return fmt.Errorf("Error in ACL SETUSER modifier '%s': %v", cstr(r), err)
		}
	}
	n.users[name] = u
	return nil
}

// logOut is ACLFreeUserAndKillClients: the clients of a deleted user are disconnected,
// the one that deleted it once it has its reply.
func (n *node) logOut(caller *client, u *aclUser) {
	for _, c := range slices.Clone(n.clients) {
		if c.user != u {
			continue
		}
		c.user, c.authed = n.users["default"], false
		if c == caller {
			c.closeAfterReply = true
		} else {
			c.kill()
		}
	}
}

// authenticate is ACLAuthenticateUser: the user exists, is on, and takes the password.
func (n *node) authenticate(cl *client, name, pass string) bool {
	u, ok := n.users[name]
	if !ok || !u.on || (!u.nopass && !slices.Contains(u.passwords, hashPassword(pass))) {
		return false
	}
	cl.user, cl.authed = u, true
	return true
}

// defaultAuthenticated is what a new connection starts as: authenticated as default
// when default is on and takes no password.
func (n *node) defaultAuthenticated() bool {
	d := n.users["default"]
	return d.on && d.nopass
}

// auth is AUTH [username] password.
func (n *node) auth(cl *client, args []string) resp.Value {
	if len(args) > 3 {
		return errSyntax
	}
	name, pass := "default", args[len(args)-1]
	if len(args) == 3 {
		name = args[1]
	} else if n.users["default"].nopass {
		return resp.Err("ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?")
	}
	if !n.authenticate(cl, name, pass) {
		return resp.Err("WRONGPASS invalid username-password pair or user is disabled.")
	}
	return resp.OK
}

// loadUsers builds the ACL at start: the default user with requirepass, then the user
// directives of the config file.
func (n *node) loadUsers() error {
	n.users = map[string]*aclUser{"default": defaultUser(n.srv.options["requirepass"])}
	for _, line := range n.srv.fileUsers {
		f := strings.Fields(line)
		if len(f) == 0 {
			return fmt.Errorf("user directive without a name")
		}
		if err := n.setUser(f[0], f[1:]); err != nil {
			return err
		}
	}
	return nil
}

// rewriteUsers are the user directives CONFIG REWRITE writes: every user, as ACL LIST
// describes it.
func (n *node) rewriteUsers() []string {
	var out []string
	for _, name := range sortedKeys(n.users) {
		out = append(out, strings.TrimPrefix(n.users[name].describe(), "user "))
	}
	return out
}
