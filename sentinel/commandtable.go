package sentinel

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/sentinelsim/sentinelsim/resp"
)

// sentinelCommands is Redis 7.0.15's command table in Sentinel mode, as COMMAND INFO
// reports it: each command's arity (negative meaning "at least"), its flags, its ACL
// categories, its tips and its subcommands. Sentinel mode serves these 15 commands and
// nothing else, so ACL categories and COMMAND's answers range over them alone. The order
// is one fixed order; Redis walks a hash table.
var sentinelCommands = []commandSpec{
	{name: "subscribe", arity: -2, flags: "pubsub noscript loading stale", acl: "pubsub slow"},
	{name: "client", arity: -2, flags: "", acl: "slow", subs: []commandSpec{
		{name: "reply", arity: 3, flags: "noscript loading stale", acl: "slow connection"},
		{name: "setname", arity: 3, flags: "noscript loading stale", acl: "slow connection"},
		{name: "pause", arity: -3, flags: "admin noscript loading stale", acl: "admin slow dangerous connection"},
		{name: "unpause", arity: 2, flags: "admin noscript loading stale", acl: "admin slow dangerous connection"},
		{name: "list", arity: -2, flags: "admin noscript loading stale", acl: "admin slow dangerous connection", tips: "nondeterministic_output"},
		{name: "tracking", arity: -3, flags: "noscript loading stale", acl: "slow connection"},
		{name: "getredir", arity: 2, flags: "noscript loading stale", acl: "slow connection"},
		{name: "kill", arity: -3, flags: "admin noscript loading stale", acl: "admin slow dangerous connection"},
		{name: "no-evict", arity: 3, flags: "admin noscript loading stale", acl: "admin slow dangerous connection"},
		{name: "info", arity: 2, flags: "noscript loading stale", acl: "slow connection", tips: "nondeterministic_output"},
		{name: "help", arity: 2, flags: "loading stale", acl: "slow connection"},
		{name: "id", arity: 2, flags: "noscript loading stale", acl: "slow connection"},
		{name: "unblock", arity: -3, flags: "admin noscript loading stale", acl: "admin slow dangerous connection"},
		{name: "caching", arity: 3, flags: "noscript loading stale", acl: "slow connection"},
		{name: "trackinginfo", arity: 2, flags: "noscript loading stale", acl: "slow connection"},
		{name: "getname", arity: 2, flags: "noscript loading stale", acl: "slow connection"},
	}},
	{name: "auth", arity: -2, flags: "noscript loading stale fast no_auth allow_busy", acl: "fast connection"},
	{name: "command", arity: -1, flags: "loading stale", acl: "slow connection", tips: "nondeterministic_output_order", subs: []commandSpec{
		{name: "docs", arity: -2, flags: "loading stale", acl: "slow connection", tips: "nondeterministic_output_order"},
		{name: "count", arity: 2, flags: "loading stale", acl: "slow connection"},
		{name: "info", arity: -2, flags: "loading stale", acl: "slow connection", tips: "nondeterministic_output_order"},
		{name: "help", arity: 2, flags: "loading stale", acl: "slow connection"},
		{name: "list", arity: -2, flags: "loading stale", acl: "slow connection", tips: "nondeterministic_output_order"},
		{name: "getkeys", arity: -4, flags: "loading stale", acl: "slow connection"},
		{name: "getkeysandflags", arity: -4, flags: "loading stale", acl: "slow connection"},
	}},
	{name: "unsubscribe", arity: -1, flags: "pubsub noscript loading stale", acl: "pubsub slow"},
	{name: "role", arity: 1, flags: "noscript loading stale fast", acl: "admin fast dangerous"},
	{name: "sentinel", arity: -2, flags: "admin", acl: "admin slow dangerous", subs: sentinelSubcommands()},
	{name: "punsubscribe", arity: -1, flags: "pubsub noscript loading stale", acl: "pubsub slow"},
	{name: "hello", arity: -1, flags: "noscript loading stale fast no_auth allow_busy", acl: "fast connection"},
	{name: "info", arity: -1, flags: "loading stale", acl: "slow dangerous", tips: "nondeterministic_output request_policy:all_shards response_policy:special"},
	{name: "publish", arity: 3, flags: "pubsub loading stale fast", acl: "pubsub fast"},
	{name: "ping", arity: -1, flags: "fast", acl: "fast connection", tips: "request_policy:all_shards response_policy:all_succeeded"},
	{name: "shutdown", arity: -1, flags: "admin noscript loading stale no_multi allow_busy", acl: "admin slow dangerous"},
	{name: "acl", arity: -2, flags: "", acl: "slow", subs: []commandSpec{
		{name: "genpass", arity: -2, flags: "noscript loading stale", acl: "slow"},
		{name: "users", arity: 2, flags: "admin noscript loading stale", acl: "admin slow dangerous"},
		{name: "dryrun", arity: -4, flags: "admin noscript loading stale", acl: "admin slow dangerous"},
		{name: "list", arity: 2, flags: "admin noscript loading stale", acl: "admin slow dangerous"},
		{name: "whoami", arity: 2, flags: "noscript loading stale", acl: "slow"},
		{name: "load", arity: 2, flags: "admin noscript loading stale", acl: "admin slow dangerous"},
		{name: "help", arity: 2, flags: "loading stale", acl: "slow"},
		{name: "save", arity: 2, flags: "admin noscript loading stale", acl: "admin slow dangerous"},
		{name: "log", arity: -2, flags: "admin noscript loading stale", acl: "admin slow dangerous"},
		{name: "deluser", arity: -3, flags: "admin noscript loading stale", acl: "admin slow dangerous"},
		{name: "cat", arity: -2, flags: "noscript loading stale", acl: "slow"},
		{name: "setuser", arity: -3, flags: "admin noscript loading stale", acl: "admin slow dangerous"},
		{name: "getuser", arity: 3, flags: "admin noscript loading stale", acl: "admin slow dangerous"},
	}},
	{name: "psubscribe", arity: -2, flags: "pubsub noscript loading stale", acl: "pubsub slow"},
}

// commandSpec is one command or subcommand. flags, acl and tips are space-separated.
type commandSpec struct {
	name             string
	arity            int
	flags, acl, tips string
	subs             []commandSpec
	// fullname is "container|sub" for a subcommand, and id its place in aclCommands.
	fullname string
	id       int
}

// sentinelSubcommands lists SENTINEL's subcommands from the arities its handler checks:
// all are admin commands but HELP.
func sentinelSubcommands() []commandSpec {
	subs := make([]commandSpec, 0, len(sentinelArity))
	for name, arity := range sentinelArity { //determinism:ok sorted right after
		spec := commandSpec{name: name, arity: arity, flags: "admin", acl: "admin slow dangerous"}
		if name == "help" {
			spec.flags, spec.acl = "loading stale", "slow"
		}
		subs = append(subs, spec)
	}
	sort.Slice(subs, func(i, j int) bool { return subs[i].name < subs[j].name })
	return subs
}

// aclCommands is every command and subcommand, indexed by id: what an ACL user's
// command bits range over.
var aclCommands = numberCommands()

func numberCommands() []*commandSpec {
	var all []*commandSpec
	for i := range sentinelCommands {
		c := &sentinelCommands[i]
		c.fullname, c.id = c.name, len(all)
		all = append(all, c)
		for j := range c.subs {
			s := &c.subs[j]
			s.fullname, s.id = c.name+"|"+s.name, len(all)
			all = append(all, s)
		}
	}
	return all
}

func (c *commandSpec) has(flag string) bool { return slices.Contains(strings.Fields(c.flags), flag) }

func (c *commandSpec) inCategory(cat string) bool { return slices.Contains(strings.Fields(c.acl), cat) }

// findCommand finds a top-level command by name, case-insensitively.
func findCommand(name string) *commandSpec {
	for i := range sentinelCommands {
		if strings.EqualFold(sentinelCommands[i].name, name) {
			return &sentinelCommands[i]
		}
	}
	return nil
}

// findSub finds a subcommand of c by name.
func (c *commandSpec) findSub(name string) *commandSpec {
	for i := range c.subs {
		if strings.EqualFold(c.subs[i].name, name) {
			return &c.subs[i]
		}
	}
	return nil
}

// resolveCommand is the command or subcommand args name, as Redis's lookupCommand
// finds it: nil when there is none.
func resolveCommand(args []string) *commandSpec {
	c := findCommand(args[0])
	if c == nil || len(c.subs) == 0 || len(args) < 2 {
		return c
	}
	return c.findSub(args[1])
}

// lookupCommand finds a command and checks its arity, as processCommand does before
// anything else (authentication included): the reply is Redis's error when the command or
// subcommand does not exist or has the wrong number of arguments.
func lookupCommand(args []string) (spec *commandSpec, reply resp.Value) {
	c := findCommand(args[0])
	if c == nil {
		return nil, UnknownCommand(args)
	}
	if len(c.subs) > 0 && len(args) > 1 {
		sub := c.findSub(args[1])
		if sub == nil {
			return nil, resp.Err(noNewlines.Replace(fmt.Sprintf("ERR unknown subcommand '%s'. Try %s HELP.",
				cut(args[1], 128), strings.ToUpper(c.name))))
		}
		c = sub
	}
	if !c.arityOK(len(args)) {
		return nil, arityError(c.fullname)
	}
	return c, resp.Value{}
}

func (c *commandSpec) arityOK(n int) bool {
	return (c.arity > 0 && n == c.arity) || (c.arity < 0 && n >= -c.arity)
}

// info is the command's entry in COMMAND INFO: name, arity, flags, first key, last key,
// step (a sentinel's commands take no keys), ACL categories, tips, key specs, subcommands.
func (c *commandSpec) info() resp.Value {
	cats := strings.Fields(c.acl)
	for i := range cats {
		cats[i] = "@" + cats[i]
	}
	subs := make([]resp.Value, len(c.subs))
	for i := range c.subs {
		subs[i] = c.subs[i].info()
	}
	return resp.Array(resp.Bulk(c.fullname), resp.Int(int64(c.arity)), statusArray(strings.Fields(c.flags)),
		resp.Int(0), resp.Int(0), resp.Int(0), statusArray(cats), resp.BulkArray(strings.Fields(c.tips)...),
		resp.Array(), resp.Array(subs...))
}

func statusArray(ss []string) resp.Value {
	out := make([]resp.Value, len(ss))
	for i, s := range ss {
		out[i] = resp.Simple(s)
	}
	return resp.Array(out...)
}

// aclCategories are Redis 7.0's ACL categories, in Redis's order (ACL CAT's answer).
var aclCategories = strings.Fields("keyspace read write set sortedset list hash string bitmap hyperloglog geo " +
	"stream pubsub admin fast slow blocking dangerous connection transaction scripting")

// command is the COMMAND command; lookupCommand has checked the subcommand and arity.
func (c *Session) command(args []string) resp.Value {
	if len(args) == 1 {
		out := make([]resp.Value, len(sentinelCommands))
		for i := range sentinelCommands {
			out[i] = sentinelCommands[i].info()
		}
		return resp.Array(out...)
	}
	switch strings.ToLower(args[1]) {
	case "count":
		return resp.Int(int64(len(sentinelCommands)))
	case "list":
		return commandList(args[2:])
	case "info":
		if len(args) == 2 {
			return c.command(args[:1])
		}
		out := make([]resp.Value, len(args)-2)
		for i, name := range args[2:] {
			out[i] = resp.Null()
			if spec := findFullname(name); spec != nil {
				out[i] = spec.info()
			}
		}
		return resp.Array(out...)
	case "docs":
		return commandDocs(args[2:])
	case "getkeys", "getkeysandflags":
		if resolveCommand(args[2:]) == nil {
			return resp.Err("ERR Invalid command specified")
		}
		// Arity is checked first in Redis too, but no sentinel command takes keys.
		if spec := resolveCommand(args[2:]); !spec.arityOK(len(args) - 2) {
			return resp.Err("ERR Invalid number of arguments specified for command")
		}
		return resp.Err("ERR The command has no key arguments")
	}
	return statusArray(commandHelp)
}

// findFullname finds a command or subcommand by its full name ("client|list").
func findFullname(name string) *commandSpec {
	for _, c := range aclCommands {
		if strings.EqualFold(c.fullname, name) {
			return c
		}
	}
	return nil
}

// commandList is COMMAND LIST [FILTERBY MODULE name | ACLCAT category | PATTERN pattern].
func commandList(args []string) resp.Value {
	keep := func(*commandSpec) bool { return true }
	if len(args) > 0 {
		if len(args) != 3 || !strings.EqualFold(args[0], "filterby") {
			return resp.Err("ERR syntax error")
		}
		switch arg := args[2]; strings.ToLower(args[1]) {
		case "module":
			keep = func(*commandSpec) bool { return false }
		case "aclcat":
			keep = func(c *commandSpec) bool { return c.inCategory(strings.ToLower(arg)) }
		case "pattern":
			keep = func(c *commandSpec) bool { return globMatchFold(arg, c.fullname) }
		default:
			return resp.Err("ERR syntax error")
		}
	}
	var names []string
	for _, c := range aclCommands {
		if keep(c) {
			names = append(names, c.fullname)
		}
	}
	return resp.BulkArray(names...)
}

// globMatchFold is stringmatchlen with nocase, as COMMAND LIST's PATTERN uses.
func globMatchFold(pattern, s string) bool {
	return globMatch(strings.ToLower(pattern), strings.ToLower(s))
}

// commandDocs is COMMAND DOCS [name ...]: a map from each command's name to its doc,
// for the names that exist. The doc gives the command's group and, for a container, its
// subcommands'; Redis's summaries, versions, complexities and argument lists are not
// reproduced (DEVIATIONS.md).
func commandDocs(names []string) resp.Value {
	var out []resp.Value
	add := func(c *commandSpec) { out = append(out, resp.Bulk(c.fullname), c.doc()) }
	if len(names) == 0 {
		for i := range sentinelCommands {
			add(&sentinelCommands[i])
		}
	}
	for _, name := range names {
		if c := findFullname(name); c != nil {
			add(c)
		}
	}
	return resp.Map(out...)
}

func (c *commandSpec) doc() resp.Value {
	group := "server"
	switch {
	case c.inCategory("pubsub"):
		group = "pubsub"
	case c.inCategory("connection") || c.fullname == "client":
		group = "connection"
	case strings.HasPrefix(c.fullname, "sentinel"):
		group = "sentinel"
	}
	fields := []resp.Value{resp.Bulk("group"), resp.Bulk(group)}
	if len(c.subs) > 0 {
		var subs []resp.Value
		for i := range c.subs {
			subs = append(subs, resp.Bulk(c.subs[i].fullname), c.subs[i].doc())
		}
		fields = append(fields, resp.Bulk("subcommands"), resp.Map(subs...))
	}
	return resp.Map(fields...)
}

var commandHelp = strings.Split(`COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:
(no subcommand)
    Return details about all Redis commands.
COUNT
    Return the total number of commands in this Redis server.
LIST
    Return a list of all commands in this Redis server.
INFO [<command-name> ...]
    Return details about multiple Redis commands.
    If no command names are given, documentation details for all
    commands are returned.
DOCS [<command-name> ...]
    Return documentation details about multiple Redis commands.
    If no command names are given, documentation details for all
    commands are returned.
GETKEYS <full-command>
    Return the keys from a full Redis command.
GETKEYSANDFLAGS <full-command>
    Return the keys and the access flags from a full Redis command.
HELP
    Prints this help.`, "\n")
