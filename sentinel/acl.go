package sentinel

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/sentinelsim/sentinelsim/resp"
)

// aclUser is one of the sentinel's own users, as ACL SETUSER defines them: whether it
// may log in and with what, and which commands and channels it may use. Sentinel mode's
// command table is the 15 commands of sentinelCommands, so a user's command bits range
// over those (and their subcommands) alone. Key patterns are kept and shown, but no
// sentinel command takes a key.
type aclUser struct {
	on, nopass bool
	// sanitize is "" or the payload flag set last: sanitize-payload, skip-sanitize-payload.
	sanitize  string
	passwords []string // SHA-256 hex digests
	// allowed holds a bit per aclCommands id; future is +@all's bit for commands to come,
	// which decides whether the rules start with +@all or -@all.
	allowed   []bool
	future    bool
	firstArgs map[int][]string // "+select|0": first arguments of a command otherwise denied
	allKeys   bool
	keys      []string // "~pat", "%R~pat", "%W~pat"
	allChans  bool
	channels  []string
}

// newUser is a user ACL SETUSER creates: off, no password, no commands, no keys, and
// no channels (acl-pubsub-default resetchannels).
func newUser() *aclUser {
	return &aclUser{allowed: make([]bool, len(aclCommands))}
}

// newUsers is Redis's initial ACL: the default user, on, with every command, key and
// channel, and requirepass as its password or nopass without one.
func newUsers(requirePass string) map[string]*aclUser {
	def := newUser()
	for _, rule := range []string{"on", "nopass", "+@all", "~*", "&*"} {
		def.apply(rule)
	}
	if requirePass != "" {
		def.apply(">" + requirePass)
	}
	return map[string]*aclUser{"default": def}
}

func (u *aclUser) clone() *aclUser {
	c := *u
	c.passwords, c.allowed, c.keys, c.channels = slices.Clone(u.passwords), slices.Clone(u.allowed),
		slices.Clone(u.keys), slices.Clone(u.channels)
	c.firstArgs = maps.Clone(u.firstArgs)
	return &c
}

// authenticates reports whether user may log in with pass.
func (h *Hub) authenticates(user, pass string) bool {
	u, ok := h.s.users[user]
	return ok && u.on && (u.nopass || slices.Contains(u.passwords, sha256hex(pass)))
}

// defaultAuth reports whether a new connection starts authenticated as default.
func (h *Hub) defaultAuth() bool {
	u := h.s.users["default"]
	return u.on && u.nopass
}

// aclDenied is why a user may not run a command: nothing, the command, or a channel.
type aclDenied int

const (
	aclOK aclDenied = iota
	aclDeniedCommand
	aclDeniedChannel
)

// check is ACLCheckAllUserCommandPerm for one command: its bit (or an allowed first
// argument), then the channels it publishes or subscribes to. pos is the denied channel's
// index in args.
func (u *aclUser) check(spec *commandSpec, args []string) (denied aclDenied, pos int) {
	if !u.allowed[spec.id] && !(len(args) > 1 && slices.ContainsFunc(u.firstArgs[spec.id],
		func(a string) bool { return strings.EqualFold(a, args[1]) })) {
		return aclDeniedCommand, 0
	}
	if u.allChans {
		return aclOK, 0
	}
	var chans []int
	switch spec.fullname {
	case "publish":
		chans = []int{1}
	case "subscribe", "psubscribe":
		for i := 1; i < len(args); i++ {
			chans = append(chans, i)
		}
	}
	for _, i := range chans {
		if !u.channelAllowed(args[i], spec.fullname == "psubscribe") {
			return aclDeniedChannel, i
		}
	}
	return aclOK, 0
}

// channelAllowed matches a channel against the user's patterns; a pattern the client
// subscribes to must be one of them, literally.
func (u *aclUser) channelAllowed(ch string, isPattern bool) bool {
	for _, p := range u.channels {
		if (isPattern && p == ch) || (!isPattern && globMatch(p, ch)) {
			return true
		}
	}
	return false
}

// checkPerm refuses a command the session's user may not run, with Redis's NOPERM error,
// and logs the denial in ACL LOG.
func (c *Session) checkPerm(spec *commandSpec, args []string) resp.Value {
	u := c.hub.s.users[c.user]
	if u == nil {
		return resp.Value{}
	}
	switch denied, pos := u.check(spec, args); denied {
	case aclDeniedCommand:
		c.hub.logDenial(c, "command", spec.fullname, c.user)
		return resp.Err(fmt.Sprintf("NOPERM this user has no permissions to run the '%s' command", spec.fullname))
	case aclDeniedChannel:
		c.hub.logDenial(c, "channel", args[pos], c.user)
		return resp.Err("NOPERM this user has no permissions to access one of the channels used as arguments")
	}
	return resp.Value{}
}

// aclLogEntry is one line of ACL LOG.
type aclLogEntry struct {
	count                    int64
	reason, object, username string
	at                       int64 // ms
	client                   string
}

// logDenial adds a denial to ACL LOG, newest first, as addACLLogEntry does: an entry
// among the 10 newest with the same reason, object and user, at most 60 s older, is
// counted again and moved to the front; the log keeps 128 entries (acllog-max-len).
func (h *Hub) logDenial(c *Session, reason, object, username string) {
	now := h.now()
	for i, e := range h.aclLog[:min(10, len(h.aclLog))] {
		if e.reason == reason && e.object == object && e.username == username && now-e.at <= 60000 {
			e.count++
			e.at, e.client = now, c.Describe()
			h.aclLog = append(append([]*aclLogEntry{e}, h.aclLog[:i]...), h.aclLog[i+1:]...)
			return
		}
	}
	e := &aclLogEntry{count: 1, reason: reason, object: object, username: username, at: now, client: c.Describe()}
	h.aclLog = append([]*aclLogEntry{e}, h.aclLog...)
	if len(h.aclLog) > 128 {
		h.aclLog = h.aclLog[:128]
	}
}

// acl is the ACL command.
func (c *Session) acl(args []string) resp.Value {
	h := c.hub
	switch sub := strings.ToLower(args[1]); sub {
	case "whoami":
		return resp.Bulk(c.user)
	case "users":
		return resp.BulkArray(h.s.userNames()...)
	case "list":
		var out []string
		for _, name := range h.s.userNames() {
			out = append(out, "user "+name+" "+h.s.users[name].describe())
		}
		return resp.BulkArray(out...)
	case "getuser":
		if u, ok := h.s.users[args[2]]; ok {
			return u.getuser()
		}
		return resp.Null()
	case "setuser":
		return h.setUser(args[2], args[3:])
	case "deluser":
		return h.delUsers(args[2:])
	case "cat":
		return aclCat(args)
	case "genpass":
		return h.genpass(args)
	case "log":
		return h.aclLogReply(args)
	case "dryrun":
		return h.dryrun(args[2], args[3:])
	case "load", "save":
		return resp.Err("ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the " +
			"ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order " +
			"to store users in the Redis configuration.")
	}
	return statusArray(aclHelp) // help
}

func (h *Hub) setUser(name string, rules []string) resp.Value {
	if strings.ContainsAny(name, " \t\r\n") {
		return resp.Err("ERR Usernames can't contain spaces or null characters")
	}
	u, ok := h.s.users[name]
	if !ok {
		u = newUser()
	}
	next := u.clone()
	for _, rule := range rules {
		if err := next.apply(rule); err != "" {
			return resp.Err(fmt.Sprintf("ERR Error in ACL SETUSER modifier '%s': %s", rule, err))
		}
	}
	h.s.users[name] = next
	return resp.OK
}

func (h *Hub) delUsers(names []string) resp.Value {
	deleted := int64(0)
	for _, name := range names {
		if name == "default" {
			return resp.Err("ERR The 'default' user cannot be removed")
		}
		if _, ok := h.s.users[name]; ok {
			delete(h.s.users, name)
			deleted++
			// Redis disconnects the clients of a deleted user.
			for _, x := range slices.Clone(h.sessions) {
				if x.user == name {
					x.Close()
				}
			}
		}
	}
	return resp.Int(deleted)
}

// userNames are the users in name order, as Redis walks its radix tree of users.
func (s *Sentinel) userNames() []string {
	return slices.Sorted(maps.Keys(s.users))
}

// aclCat is ACL CAT: the categories, or the commands and subcommands in one.
func aclCat(args []string) resp.Value {
	if len(args) == 2 {
		return resp.BulkArray(aclCategories...)
	}
	cat := strings.ToLower(args[2])
	if !slices.Contains(aclCategories, cat) {
		return resp.Err(fmt.Sprintf("ERR Unknown category '%s'", args[2]))
	}
	var names []string
	for _, c := range aclCommands {
		if c.inCategory(cat) {
			names = append(names, c.fullname)
		}
	}
	return resp.BulkArray(names...)
}

// genpass is ACL GENPASS [bits]: bits rounded up to hex digits, from the sentinel's
// random source.
func (h *Hub) genpass(args []string) resp.Value {
	bits := int64(256)
	if len(args) == 3 {
		n, err := strconv.ParseInt(args[2], 10, 64)
		if err != nil {
			return resp.Err("ERR value is not an integer or out of range")
		}
		bits = n
	}
	if bits <= 0 || bits > 4096 {
		return resp.Err("ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096")
	}
	const hexDigits = "0123456789abcdef"
	out := make([]byte, (bits+3)/4)
	for i := range out {
		out[i] = hexDigits[h.s.env.Rand.IntN(16)]
	}
	return resp.Bulk(string(out))
}

// aclLogReply is ACL LOG [count | RESET].
func (h *Hub) aclLogReply(args []string) resp.Value {
	count := int64(10)
	if len(args) == 3 {
		if strings.EqualFold(args[2], "reset") {
			h.aclLog = nil
			return resp.OK
		}
		n, err := strconv.ParseInt(args[2], 10, 64)
		if err != nil {
			return resp.Err("ERR value is not an integer or out of range")
		}
		count = max(n, 0)
	}
	now := h.now()
	out := []resp.Value{}
	for _, e := range h.aclLog[:min(int(count), len(h.aclLog))] {
		age := strconv.FormatFloat(float64(now-e.at)/1000, 'g', 17, 64)
		out = append(out, resp.Map(resp.Bulk("count"), resp.Int(e.count), resp.Bulk("reason"), resp.Bulk(e.reason),
			resp.Bulk("context"), resp.Bulk("toplevel"), resp.Bulk("object"), resp.Bulk(e.object),
			resp.Bulk("username"), resp.Bulk(e.username), resp.Bulk("age-seconds"), resp.Bulk(age),
			resp.Bulk("client-info"), resp.Bulk(e.client)))
	}
	return resp.Array(out...)
}

// dryrun is ACL DRYRUN user command [arg ...].
func (h *Hub) dryrun(name string, args []string) resp.Value {
	u, ok := h.s.users[name]
	if !ok {
		return resp.Err(fmt.Sprintf("ERR User '%s' not found", name))
	}
	spec := resolveCommand(args)
	if spec == nil {
		return resp.Err(fmt.Sprintf("ERR Command '%s' not found", args[0]))
	}
	if !spec.arityOK(len(args)) {
		return arityError(spec.fullname)
	}
	switch denied, pos := u.check(spec, args); denied {
	case aclDeniedCommand:
		return resp.Bulk(fmt.Sprintf("This user has no permissions to run the '%s' command", spec.fullname))
	case aclDeniedChannel:
		return resp.Bulk(fmt.Sprintf("This user has no permissions to access the '%s' channel", args[pos]))
	}
	return resp.OK
}

// apply applies one ACL SETUSER rule; the error is Redis's wording of what is wrong.
func (u *aclUser) apply(rule string) string {
	lower := strings.ToLower(rule)
	switch {
	case lower == "on" || lower == "off":
		u.on = lower == "on"
	case lower == "sanitize-payload" || lower == "skip-sanitize-payload":
		u.sanitize = lower
	case lower == "nopass":
		u.nopass, u.passwords = true, nil
	case lower == "resetpass":
		u.nopass, u.passwords = false, nil
	case lower == "reset":
		*u = aclUser{allowed: make([]bool, len(aclCommands)), sanitize: "sanitize-payload"}
	case lower == "clearselectors":
	case rule == "" || rule[0] == '(':
		return "Syntax error" // selectors are not supported; DEVIATIONS.md
	case rule[0] == '>' || rule[0] == '#':
		return u.addPassword(rule)
	case rule[0] == '<' || rule[0] == '!':
		return u.removePassword(rule)
	default:
		return u.applySelector(rule, lower)
	}
	return ""
}

func (u *aclUser) addPassword(rule string) string {
	hash := rule[1:]
	if rule[0] == '>' {
		hash = sha256hex(rule[1:])
	} else if !validHash(hash) {
		return "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters"
	}
	if !slices.Contains(u.passwords, hash) {
		u.passwords = append(u.passwords, hash)
	}
	u.nopass = false
	return ""
}

func (u *aclUser) removePassword(rule string) string {
	hash := rule[1:]
	if rule[0] == '<' {
		hash = sha256hex(rule[1:])
	} else if !validHash(hash) {
		return "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters"
	}
	i := slices.Index(u.passwords, hash)
	if i < 0 {
		return "The password you are trying to remove from the user does not exist"
	}
	u.passwords = slices.Delete(u.passwords, i, i+1)
	return ""
}

func validHash(h string) bool {
	return len(h) == 64 && strings.Trim(h, "0123456789abcdef") == ""
}

// applySelector applies a key, channel or command rule (ACLSetSelector).
func (u *aclUser) applySelector(rule, lower string) string {
	switch {
	case lower == "allkeys" || rule == "~*":
		u.allKeys, u.keys = true, nil
	case lower == "resetkeys":
		u.allKeys, u.keys = false, nil
	case lower == "allchannels" || rule == "&*":
		u.allChans, u.channels = true, nil
	case lower == "resetchannels":
		u.allChans, u.channels = false, nil
	case lower == "allcommands" || lower == "+@all":
		u.setAll(true)
	case lower == "nocommands" || lower == "-@all":
		u.setAll(false)
	case rule[0] == '~' || rule[0] == '%':
		return u.addKeyPattern(rule)
	case rule[0] == '&':
		if u.allChans {
			return "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels"
		}
		if !slices.Contains(u.channels, rule[1:]) {
			u.channels = append(u.channels, rule[1:])
		}
	case len(rule) > 1 && (rule[0] == '+' || rule[0] == '-') && rule[1] == '@':
		cat := lower[2:]
		if !slices.Contains(aclCategories, cat) {
			return "Unknown command or category name in ACL"
		}
		for _, c := range aclCommands {
			if c.inCategory(cat) {
				u.change(c, rule[0] == '+')
			}
		}
	case rule[0] == '+' || rule[0] == '-':
		return u.applyCommand(rule[1:], rule[0] == '+')
	default:
		return "Syntax error"
	}
	return ""
}

func (u *aclUser) addKeyPattern(rule string) string {
	if u.allKeys {
		return "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns"
	}
	pattern, perms := rule[1:], "RW"
	if rule[0] == '%' {
		flags, rest, ok := strings.Cut(rule[1:], "~")
		flags = strings.ToUpper(flags)
		if !ok || flags == "" || strings.Trim(flags, "RW") != "" || strings.Count(flags, "R") > 1 || strings.Count(flags, "W") > 1 {
			return "Syntax error"
		}
		pattern, perms = rest, flags
	}
	if strings.ContainsAny(pattern, " \t\r\n") {
		return "Syntax error"
	}
	prefix := map[string]string{"RW": "~", "WR": "~", "R": "%R~", "W": "%W~"}[perms]
	u.keys = append(u.keys, prefix+pattern)
	return ""
}

// applyCommand is +cmd, -cmd, +cmd|sub, -cmd|sub, and +cmd|firstarg for a command
// without subcommands.
func (u *aclUser) applyCommand(name string, allow bool) string {
	base, sub, hasSub := strings.Cut(name, "|")
	c := findCommand(base)
	if c == nil {
		return "Unknown command or category name in ACL"
	}
	if !hasSub {
		u.change(c, allow)
		return ""
	}
	if s := c.findSub(sub); s != nil {
		u.change(s, allow)
		return ""
	}
	if !allow || len(c.subs) > 0 || strings.Contains(sub, "|") {
		return "Unknown command or category name in ACL"
	}
	if sub == "" {
		return "Syntax error"
	}
	if u.firstArgs == nil {
		u.firstArgs = map[int][]string{}
	}
	u.firstArgs[c.id] = append(u.firstArgs[c.id], strings.ToLower(sub))
	return ""
}

// change sets a command's bit and its subcommands' (ACLChangeSelectorPerm).
func (u *aclUser) change(c *commandSpec, allow bool) {
	u.allowed[c.id] = allow
	delete(u.firstArgs, c.id)
	for i := range c.subs {
		u.allowed[c.subs[i].id] = allow
	}
}

func (u *aclUser) setAll(allow bool) {
	for i := range u.allowed {
		u.allowed[i] = allow
	}
	u.future, u.firstArgs = allow, nil
}

// describe is the user's rules after its name in ACL LIST (ACLDescribeUser).
func (u *aclUser) describe() string {
	parts := u.flags()
	for _, p := range u.passwords {
		parts = append(parts, "#"+p)
	}
	keys, chans := u.keysText(), u.channelsText()
	if keys != "" {
		parts = append(parts, keys)
	}
	if !u.allChans {
		parts = append(parts, "resetchannels")
	}
	if chans != "" {
		parts = append(parts, chans)
	}
	return strings.Join(append(parts, u.commandRules()), " ")
}

func (u *aclUser) flags() []string {
	flags := []string{map[bool]string{true: "on", false: "off"}[u.on]}
	if u.nopass {
		flags = append(flags, "nopass")
	}
	if u.sanitize != "" {
		flags = append(flags, u.sanitize)
	}
	return flags
}

func (u *aclUser) keysText() string {
	if u.allKeys {
		return "~*"
	}
	return strings.Join(u.keys, " ")
}

func (u *aclUser) channelsText() string {
	if u.allChans {
		return "&*"
	}
	out := make([]string, len(u.channels))
	for i, ch := range u.channels {
		out[i] = "&" + ch
	}
	return strings.Join(out, " ")
}

// commandRules rebuilds the user's command rules as ACLDescribeSelectorCommandRules
// does: +@all or -@all, then the categories that fit best, one at a time, then the
// single commands that still differ, in command table order, then allowed first
// arguments.
func (u *aclUser) commandRules() string {
	additive := !u.future
	rules := []string{map[bool]string{true: "-@all", false: "+@all"}[additive]}
	fake := make([]bool, len(aclCommands))
	for i := range fake {
		fake[i] = !additive
	}
	temp := slices.Clone(u.allowed)
	applied := map[string]bool{}
	for {
		best, minDiff, maxSame := "", len(aclCommands)+1, 0
		for _, cat := range aclCategories {
			if applied[cat] {
				continue
			}
			on, off := 0, 0
			for _, c := range aclCommands {
				if c.inCategory(cat) {
					if temp[c.id] {
						on++
					} else {
						off++
					}
				}
			}
			diff, same := off, on
			if !additive {
				diff, same = on, off
			}
			if same > diff && (diff < minDiff || (diff == minDiff && same > maxSame)) {
				best, minDiff, maxSame = cat, diff, same
			}
		}
		if best == "" {
			break
		}
		applied[best] = true
		rules = append(rules, map[bool]string{true: "+@", false: "-@"}[additive]+best)
		for _, c := range aclCommands {
			if c.inCategory(best) {
				setBits(fake, c, additive)
				setBits(temp, c, !additive)
			}
		}
	}
	for _, c := range aclCommands {
		if u.allowed[c.id] != fake[c.id] {
			rules = append(rules, map[bool]string{true: "+", false: "-"}[u.allowed[c.id]]+c.fullname)
			setBits(fake, c, u.allowed[c.id])
		}
		if !u.allowed[c.id] {
			for _, a := range u.firstArgs[c.id] {
				rules = append(rules, "+"+c.fullname+"|"+a)
			}
		}
	}
	return strings.Join(rules, " ")
}

func setBits(bits []bool, c *commandSpec, v bool) {
	bits[c.id] = v
	for i := range c.subs {
		bits[c.subs[i].id] = v
	}
}

// getuser is ACL GETUSER's map.
func (u *aclUser) getuser() resp.Value {
	return resp.Map(resp.Bulk("flags"), resp.BulkArray(u.flags()...), resp.Bulk("passwords"), resp.BulkArray(u.passwords...),
		resp.Bulk("commands"), resp.Bulk(u.commandRules()), resp.Bulk("keys"), resp.Bulk(u.keysText()),
		resp.Bulk("channels"), resp.Bulk(u.channelsText()), resp.Bulk("selectors"), resp.Array())
}

func sha256hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

var aclHelp = strings.Split(`ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:
CAT [<category>]
    List all commands that belong to <category>, or all command categories
    when no category is specified.
DELUSER <username> [<username> ...]
    Delete a list of users.
DRYRUN <username> <command> [<arg> ...]
    Returns whether the user can execute the given command without executing the command.
GETUSER <username>
    Get the user's details.
GENPASS [<bits>]
    Generate a secure 256-bit user password. The optional `+"`bits`"+` argument can
    be used to specify a different size.
LIST
    Show users details in config file format.
LOAD
    Reload users from the ACL file.
LOG [<count> | RESET]
    Show the ACL log entries.
SAVE
    Save the current config to the ACL file.
SETUSER <username> <attribute> [<attribute> ...]
    Create or modify a user with the specified attributes.
USERS
    List all the registered usernames.
WHOAMI
    Return the current connection username.
HELP
    Prints this help.`, "\n")
