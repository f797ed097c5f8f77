package redis

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/sentinelsim/sentinelsim/resp"
)

var (
	// configIndex finds a config by its name or alias, lowercased: Redis's configs dict.
	configIndex = map[string]*configDef{}
	// configKeys are the keys of configIndex, sorted, for pattern matches.
	configKeys []string
)

func init() {
	for i := range configTable {
		e := &configTable[i]
		configIndex[e.name] = e
		configKeys = append(configKeys, e.name)
		if e.alias != "" {
			configIndex[e.alias] = e
			configKeys = append(configKeys, e.alias)
		}
	}
	sort.Strings(configKeys)
}

// configValue is the value CONFIG GET shows.
func (n *node) configValue(e *configDef) string {
	switch e.name {
	case "port":
		return strconv.Itoa(n.srv.port)
	case "replicaof":
		if n.masterHost == "" {
			return ""
		}
		return fmt.Sprintf("%s %d", n.masterHost, n.masterPort)
	}
	if v, ok := n.srv.options[e.name]; ok {
		return v
	}
	return e.def
}

// configGet is CONFIG GET parameter [parameter ...] of 7.0 (config.c configGetCommand):
// a name without glob characters is looked up case-insensitively and answered under the
// spelling it was asked with; a pattern matches every name and alias but hidden ones. A
// config is listed once, under the first key that matched it. Redis builds the reply in
// a dict, so its order is unspecified; here it is the order of the matches.
func (n *node) configGet(params []string) resp.Value {
	var kv []string
	seen := map[string]bool{} // lowercased keys already in the reply
	for _, p := range params {
		if !strings.ContainsAny(cstr(p), "[*?") {
			lk := asciiLower(p)
			if e := configIndex[lk]; e != nil && !seen[lk] {
				seen[lk] = true
				kv = append(kv, p, n.configValue(e))
			}
			continue
		}
		for _, k := range configKeys {
			e := configIndex[k]
			if e.flags&cfgHidden != 0 || seen[k] || !stringMatch(p, k, true) {
				continue
			}
			seen[k] = true
			kv = append(kv, k, n.configValue(e))
		}
	}
	return resp.BulkArray(kv...)
}

// configSet is CONFIG SET parameter value [parameter value ...] (configSetCommand): every
// name is looked up first, then every value parsed as its config's type; only if all are
// valid does any change, in the running config only (CONFIG REWRITE writes it to the
// file). The configs the simulation reads then take effect.
func (n *node) configSet(cl *client, pairs []string) resp.Value {
	if len(pairs)%2 != 0 {
		return errSyntax
	}
	// Every name first, the first error winning; then every value.
	var defs []*configDef
	for i := 0; i < len(pairs); i += 2 {
		e := configIndex[asciiLower(pairs[i])]
		switch {
		case e == nil:
			return resp.Err(errorLine(fmt.Sprintf("ERR Unknown option or number of arguments for CONFIG SET - '%s'", cstr(pairs[i]))))
		case e.flags&cfgImmutable != 0:
			return configSetError(pairs[i], "can't set immutable config")
		case e.flags&cfgProtected != 0 && !n.allowProtected(n.srv.options["enable-protected-configs"], cl):
			return configSetError(pairs[i], "can't set protected config")
		case e.flags&cfgDenyLoading != 0 && n.loading():
			return rejLoading.reply()
		case slices.Contains(defs, e):
			return configSetError(pairs[i], "duplicate parameter")
		}
		defs = append(defs, e)
	}
	values := make([]string, len(defs))
	for i, e := range defs {
		v, err := e.parse(pairs[2*i+1])
		if err != "" {
			// The error names the config as it was found: by its name or its alias.
			return configSetError(asciiLower(pairs[2*i]), err)
		}
		values[i] = v
	}
	for i, e := range defs {
		n.applyConfig(cl, e.name, values[i])
	}
	return resp.OK
}

// minBacklogSize is CONFIG_REPL_BACKLOG_MIN_SIZE.
const minBacklogSize = 16 * 1024

func configSetError(name, err string) resp.Value {
	return resp.Err(errorLine(fmt.Sprintf("ERR CONFIG SET failed (possibly related to argument '%s') - %s", cstr(name), err)))
}

// allowProtectedAction: yes, or local for a client on the loopback address.
func (n *node) allowProtected(setting string, cl *client) bool {
	return setting == "yes" || (setting == "local" && cl != nil && cl.c.RemoteAddr() == "127.0.0.1")
}

// applyConfig sets a config in the running config and does what Redis's apply function
// for it does.
func (n *node) applyConfig(cl *client, name, value string) {
	old := n.srv.options[name]
	n.srv.options[name] = value
	switch name {
	case "requirepass":
		n.users["default"].setPassword(value) // updateRequirePass
	case "appendonly":
		if value != old {
			n.setAppendonly(value == "yes", cl.inExec)
		}
	case "repl-backlog-size":
		if atoiOpt(value) < minBacklogSize { // resizeReplicationBacklog, at run time only
			n.srv.options[name] = strconv.Itoa(minBacklogSize)
		}
	}
	n.srv.hot = parseHot(n.srv.options)
	if name == "min-replicas-to-write" || name == "min-replicas-max-lag" {
		n.refreshGoodReplicas() // updateGoodSlaves
	}
}

// parse is performInterfaceSet for one value: the value CONFIG GET will show, or the
// error.
func (e *configDef) parse(v string) (string, string) {
	if e.flags&cfgMultiArg != 0 && e.kind == kindSpecial {
		return e.set(splitLen(v))
	}
	var out string
	switch e.kind {
	case kindBool:
		switch asciiLower(v) {
		case "yes", "no":
			out = asciiLower(v)
		default:
			return "", "argument must be 'yes' or 'no'"
		}
	case kindString:
		out = v
	case kindNumber:
		x, err := e.parseNumber(v)
		if err != "" {
			return "", err
		}
		out = e.formatNumber(x)
	case kindEnum:
		x, err := e.parseEnum(v)
		if err != "" {
			return "", err
		}
		out = x
	case kindSpecial:
		return e.set([]string{v})
	}
	if e.check != nil {
		if err := e.check(out); err != "" {
			return "", err
		}
	}
	if e.apply != nil {
		out = e.apply(out)
	}
	return out, ""
}

// splitLen is sdssplitlen on a space: every space separates, so two in a row make an
// empty argument, and an empty value none.
func splitLen(v string) []string {
	if v == "" {
		return nil
	}
	return strings.Split(v, " ")
}

// parseNumber is numericParseString and numericBoundaryCheck.
func (e *configDef) parseNumber(v string) (int64, string) {
	x, ok := int64(0), false
	if e.num&numMemory != 0 {
		var u uint64
		u, ok = memtoull(v)
		x = int64(u)
	}
	if !ok && e.num&numPercent != 0 && len(v) > 1 && v[len(v)-1] == '%' {
		if p, good := string2ll(v[:len(v)-1]); good && p >= 0 {
			x, ok = -p, true
		}
	}
	if !ok && e.num&numOctal != 0 {
		if o, err := strconv.ParseInt(v, 8, 64); err == nil {
			x, ok = o, true
		}
	}
	if !ok && e.num&^numUnsigned == 0 {
		x, ok = string2ll(v)
	}
	if !ok {
		switch {
		case e.num&numMemory != 0 && e.num&numPercent != 0:
			return 0, "argument must be a memory or percent value"
		case e.num&numMemory != 0:
			return 0, "argument must be a memory value"
		case e.num&numOctal != 0:
			return 0, "argument couldn't be parsed as an octal number"
		}
		return 0, "argument couldn't be parsed into an integer"
	}
	switch {
	case e.num&numUnsigned != 0:
		if uint64(x) > e.hi || uint64(x) < uint64(e.lo) {
			if e.num&numOctal != 0 {
				return 0, fmt.Sprintf("argument must be between %o and %o inclusive", e.lo, e.hi)
			}
			return 0, fmt.Sprintf("argument must be between %d and %d inclusive", uint64(e.lo), e.hi)
		}
	case e.num&numPercent != 0 && x < 0:
		if x < e.lo {
			return 0, fmt.Sprintf("percentage argument must be less or equal to %d", -e.lo)
		}
	case x < e.lo || (e.hi <= math.MaxInt64 && x > int64(e.hi)):
		return 0, fmt.Sprintf("argument must be between %d and %d inclusive", e.lo, e.hi)
	}
	return x, ""
}

// formatNumber is numericConfigGet.
func (e *configDef) formatNumber(x int64) string {
	switch {
	case e.num&numPercent != 0 && x < 0:
		return strconv.FormatInt(-x, 10) + "%"
	case e.num&numMemory != 0:
		return strconv.FormatUint(uint64(x), 10)
	case e.num&numOctal != 0:
		return strconv.FormatInt(x, 8)
	}
	return strconv.FormatInt(x, 10)
}

// memtoull is util.c's: digits and an optional unit (b, k, kb, m, mb, g, gb, any case);
// an empty number is 0 and a number too large saturates, as strtoull has it, and the
// product wraps.
func memtoull(v string) (uint64, bool) {
	if strings.HasPrefix(v, "-") {
		return 0, false
	}
	i := 0
	for i < len(v) && v[i] >= '0' && v[i] <= '9' {
		i++
	}
	mul, ok := map[string]uint64{"": 1, "b": 1, "k": 1000, "kb": 1024, "m": 1000 * 1000, "mb": 1024 * 1024,
		"g": 1000 * 1000 * 1000, "gb": 1024 * 1024 * 1024}[asciiLower(v[i:])]
	if !ok || i >= 128 {
		return 0, false
	}
	n, err := strconv.ParseUint(v[:i], 10, 64)
	if err != nil && i > 0 {
		n = math.MaxUint64 // ERANGE: strtoull saturates, and Redis does not check
	}
	return n * mul, true
}

// parseEnum is configEnumGetValue and configEnumGetName: a name, any case (several, for
// bit flags), shown as the first name of its value.
func (e *configDef) parseEnum(v string) (string, string) {
	args := []string{v}
	if e.flags&cfgMultiArg != 0 {
		args = splitLen(v)
	}
	bits := e.flags&cfgMultiArg != 0
	var chosen []string
	var mask int
	for _, a := range args {
		name := ""
		for i, c := range e.values {
			c, canonical, _ := strings.Cut(c, "=")
			if strings.EqualFold(a, c) {
				name = c
				if canonical != "" {
					name = canonical
				}
				if bits && i > 0 {
					mask |= 1 << (i - 1)
				}
			}
		}
		if name == "" || len(args) == 0 || (!bits && len(args) != 1) {
			return "", e.enumError()
		}
		chosen = append(chosen, name)
	}
	if len(args) == 0 {
		return "", e.enumError()
	}
	if !bits {
		return chosen[0], ""
	}
	var names []string
	for i, c := range e.values[1:] {
		if mask&(1<<i) != 0 {
			names = append(names, c)
		}
	}
	if len(names) == 0 {
		return e.values[0], ""
	}
	return strings.Join(names, " "), ""
}

func (e *configDef) enumError() string {
	names := make([]string, len(e.values))
	for i, v := range e.values {
		names[i], _, _ = strings.Cut(v, "=")
	}
	return "argument(s) must be one of the following: " + strings.Join(names, ", ")
}

// The validation functions of config.c.

func noDefrag(v string) string {
	if v == "yes" { // Debian's redis-server is built without HAVE_DEFRAG
		return "Active defragmentation cannot be enabled: it requires a Redis server compiled with a modified Jemalloc like the one shipped by default with the Redis source distribution"
	}
	return ""
}

func saveOrNosave(v string) string {
	f := strings.Fields(v)
	if slices.Contains(f, "save") && slices.Contains(f, "nosave") {
		return "shutdown options SAVE and NOSAVE can't be used simultaneously"
	}
	return ""
}

// clampHz is updateHZ: values out of range are capped, not refused.
func clampHz(v string) string {
	x, _ := strconv.ParseInt(v, 10, 64)
	return strconv.FormatInt(min(max(x, 1), 500), 10)
}

func baseName(what string) func(string) string {
	return func(v string) string {
		if strings.ContainsAny(v, "/\\") {
			return what + " can't be a path, just a filename"
		}
		return ""
	}
}

func announcedHostname(v string) string {
	if len(v) >= 256 {
		return "Hostnames must be less than 256 characters"
	}
	for i := 0; i < len(cstr(v)); i++ {
		if c := v[i]; !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return "Hostnames may only contain alphanumeric characters, hyphens or dots"
		}
	}
	return ""
}

// procTitleTemplate is validateProcTitleTemplate: the template must expand (sdstemplate:
// known {variables}, {{ for a brace) to something not empty, with an empty title.
func procTitleTemplate(v string) string {
	const bad = "template format is invalid or contains unknown variables"
	out := 0
	for p := cstr(v); p != ""; {
		i := strings.IndexByte(p, '{')
		if i < 0 {
			out += len(p)
			break
		}
		out += i
		p = p[i+1:]
		if p == "" {
			return bad
		}
		if p[0] == '{' {
			out++
			p = p[1:]
			continue
		}
		j := strings.IndexByte(p, '}')
		if j < 0 {
			return bad
		}
		switch p[:j] {
		case "title", "server-mode", "unixsocket":
		case "listen-addr", "config-file", "port", "tls-port":
			out++
		default:
			return bad
		}
		p = p[j+1:]
	}
	if out == 0 {
		return bad
	}
	return ""
}

// The special configs' parsers.

func setSave(args []string) (string, string) {
	if len(args) == 1 && args[0] == "" {
		args = nil
	}
	if len(args)%2 != 0 {
		return "", "Invalid save parameters"
	}
	out := make([]string, len(args))
	for j, a := range args {
		v, ok := strtoll(a)
		if !ok || (j%2 == 0 && v < 1) || (j%2 == 1 && v < 0) {
			return "", "Invalid save parameters"
		}
		out[j] = strconv.FormatInt(v, 10)
	}
	return strings.Join(out, " "), ""
}

// strtoll is strtoll(s, &end, 10) that must consume all of s: leading spaces and a sign
// are allowed, out of range saturates, and a string with no digits converts nothing, so
// only the empty string passes (as 0).
func strtoll(s string) (int64, bool) {
	body := strings.TrimLeft(s, " \t\n\v\f\r")
	neg := false
	if body != "" && (body[0] == '+' || body[0] == '-') {
		neg, body = body[0] == '-', body[1:]
	}
	if body == "" || body[0] < '0' || body[0] > '9' {
		return 0, s == ""
	}
	for i := 0; i < len(body); i++ {
		if body[i] < '0' || body[i] > '9' {
			return 0, false
		}
	}
	v, err := strconv.ParseInt(body, 10, 64)
	switch {
	case err != nil && neg:
		return math.MinInt64, true
	case err != nil:
		return math.MaxInt64, true
	case neg:
		return -v, true
	}
	return v, true
}

func setBind(args []string) (string, string) {
	if len(args) > 16 {
		return "", "Too many bind addresses specified."
	}
	if len(args) == 1 && args[0] == "" {
		args = nil
	}
	return strings.Join(args, " "), ""
}

func setDir(args []string) (string, string) {
	if len(args) != 1 {
		return "", "wrong number of arguments"
	}
	return args[0], ""
}

func setReplicaOf(args []string) (string, string) {
	if len(args) != 2 {
		return "", "wrong number of arguments"
	}
	if strings.EqualFold(args[0], "no") && strings.EqualFold(args[1], "one") {
		return "", ""
	}
	if p, err := strconv.Atoi(args[1]); err != nil || p < 0 || p > 65535 {
		return "", "Invalid master port"
	}
	return args[0] + " " + args[1], ""
}

func setOutputBufferLimit(args []string) (string, string) {
	if len(args)%4 != 0 {
		return "", "Wrong number of arguments in buffer limit configuration."
	}
	classes := map[string]int{"normal": 0, "slave": 1, "replica": 1, "pubsub": 2}
	limits := [3]string{"0 0 0", "268435456 67108864 60", "33554432 8388608 60"}
	for j := 0; j < len(args); j += 4 {
		class, ok := classes[asciiLower(args[j])]
		if !ok {
			return "", "Invalid client class specified in buffer limit configuration."
		}
		hard, ok1 := memtoull(args[j+1])
		soft, ok2 := memtoull(args[j+2])
		secs, ok3 := strtoll(args[j+3])
		if !ok1 || !ok2 || !ok3 || secs < 0 {
			return "", "Error in hard, soft or soft_seconds setting in buffer limit configuration."
		}
		limits[class] = fmt.Sprintf("%d %d %d", hard, soft, int32(secs))
	}
	return fmt.Sprintf("normal %s slave %s pubsub %s", limits[0], limits[1], limits[2]), ""
}

func setOOMScoreAdjValues(args []string) (string, string) {
	if len(args) != 3 {
		return "", "wrong number of arguments"
	}
	out := make([]string, 3)
	for i, a := range args {
		v, ok := strtoll(a)
		if !ok || v < -2000 || v > 2000 {
			return "", "Invalid oom-score-adj-values, elements must be between -2000 and 2000."
		}
		out[i] = strconv.FormatInt(v, 10)
	}
	return strings.Join(out, " "), ""
}

// setKeyspaceEvents is keyspaceEventsStringToFlags, shown as keyspaceEventsFlagsToString.
func setKeyspaceEvents(args []string) (string, string) {
	if len(args) != 1 {
		return "", "wrong number of arguments"
	}
	const classes = "g$lshzxetdn" // the order they are shown in; A is all of them but m, K, E
	set := map[byte]bool{}
	for i := 0; i < len(cstr(args[0])); i++ {
		c := args[0][i]
		switch {
		case c == 'A':
			for j := 0; j < len(classes); j++ {
				set[classes[j]] = true
			}
		case strings.IndexByte(classes+"KEm", c) >= 0:
			set[c] = true
		default:
			return "", "Invalid event class character. Use 'Ag$lshzxeKEtmdn'."
		}
	}
	var b strings.Builder
	all := true
	for j := 0; j < len(classes); j++ {
		all = all && set[classes[j]]
	}
	if all {
		b.WriteByte('A')
	} else {
		for _, c := range []byte("g$lshzxetdn") {
			if set[c] {
				b.WriteByte(c)
			}
		}
	}
	for _, c := range []byte("KEm") {
		if set[c] {
			b.WriteByte(c)
		}
	}
	return b.String(), ""
}

func setPercentiles(args []string) (string, string) {
	if len(args) == 1 && args[0] == "" {
		args = nil
	}
	out := make([]string, len(args))
	for i, a := range args {
		p, err := strconv.ParseFloat(a, 64)
		if err != nil || strings.ContainsAny(a, " \t\n") || a == "" {
			return "", "Invalid latency-tracking-info-percentiles parameters"
		}
		if p > 100 || p < 0 {
			return "", "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]"
		}
		out[i] = strconv.FormatFloat(p, 'f', -1, 64)
	}
	return strings.Join(out, " "), ""
}

// configRewrite is CONFIG REWRITE: the config file gets the running config, every option
// CONFIG SET changed, the master the node replicates from, and the ACL's users.
func (n *node) configRewrite() resp.Value {
	file := maps.Clone(n.srv.options)
	file["replicaof"] = n.configValue(configIndex["replicaof"])
	n.srv.file, n.srv.fileUsers = file, n.rewriteUsers()
	return resp.OK
}
