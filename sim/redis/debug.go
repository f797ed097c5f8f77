package redis

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/sentinelsim/sentinelsim/resp"
)

// debugSubcommands are DEBUG's subcommands in 7.0.15 (debug.c); the simulation has SLEEP
// only, and answers the others that they are not simulated.
var debugSubcommands = map[string]bool{}

func init() {
	for _, s := range strings.Fields("aof-flush-sleep assert change-repl-id client-eviction config-rewrite-force-all " +
		"crash-and-recover digest digest-value drop-cluster-packet-filter error help " +
		"htstats htstats-key leak listpack loadaof log mallctl mallctl-str object oom " +
		"panic pause-cron populate protocol quicklist quicklist-packed-threshold reload " +
		"replicate replybuffer restart sdslen segfault set-active-expire " +
		"set-disable-deny-scripts set-skip-checksum-validation sleep stringmatch-test " +
		"structsize") {
		debugSubcommands[s] = true
	}
}

// debug is DEBUG SLEEP seconds: the server is blocked for that long, the caller's OK
// comes after. The seconds are read as strtod reads them, so what is not a number sleeps
// 0, and a negative time (or one out of range) makes nanosleep fail at once.
func (n *node) debug(cl *client, args []string) []resp.Value {
	sub := asciiLower(args[1])
	switch {
	case sub == "sleep" && len(args) == 3:
		usec := microseconds(strtod(args[2]))
		if usec <= 0 {
			return []resp.Value{resp.OK}
		}
		n.block(time.Duration(usec)*time.Microsecond, func() { cl.reply(resp.OK) })
		return nil
	case debugSubcommands[sub] && sub != "sleep":
		return []resp.Value{resp.Err("ERR DEBUG " + asciiUpper(sub) + " is not simulated")}
	}
	return []resp.Value{resp.Err(errorLine("ERR unknown subcommand or wrong number of arguments for '" +
		cstr(args[1]) + "'. Try DEBUG HELP."))}
}

// microseconds is C's (long long)(seconds*1000000) on x86-64: NaN and values out of
// range become the minimum.
func microseconds(seconds float64) int64 {
	us := seconds * 1e6
	if math.IsNaN(us) || us >= math.MaxInt64 || us < math.MinInt64 {
		return math.MinInt64
	}
	return int64(us)
}

// strtod is C's strtod: after leading spaces, the longest prefix that is a number
// (decimal with an optional exponent, hexadecimal, inf, infinity, nan), 0 if none.
func strtod(s string) float64 {
	s = strings.TrimLeft(cstr(s), " \t\n\v\f\r")
	for end := min(len(s), 64); end > 0; end-- {
		p := s[:end]
		if strings.ContainsRune(p, '_') {
			continue // Go's digit separators; C has none
		}
		v, err := strconv.ParseFloat(p, 64)
		if err == nil || errors.Is(err, strconv.ErrRange) {
			return v
		}
		if l := strings.ToLower(strings.TrimLeft(p, "+-")); strings.HasPrefix(l, "0x") && !strings.Contains(l, "p") {
			if v, err := strconv.ParseFloat(p+"p0", 64); err == nil {
				return v
			}
		}
	}
	return 0
}
