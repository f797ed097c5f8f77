package fidelity

import (
	"fmt"
	"testing"
	"time"
)

// TestDebugSleepMatchesRealRedis sends DEBUG SLEEP with odd values and records how long
// the reply took, in tenths of a second, rounded down: the caller's OK comes after the
// sleep, and what strtod makes of the value decides the sleep.
func TestDebugSleepMatchesRealRedis(t *testing.T) {
	differentialLife(t, func(j *journal) {
		for _, secs := range []string{"0.3", "abc", "-1", "1e-1", " 0.2", "0.2abc", "0x0.4", "inf", "nan", "-0.5", "0", ""} {
			start := j.n.Clock()
			j.do("DEBUG", "SLEEP", secs)
			j.note(fmt.Sprintf("DEBUG SLEEP %q took %.1f s", secs, float64((j.n.Clock()-start)/(100*time.Millisecond))/10))
		}
		for _, c := range [][]string{{"DEBUG", "SLEEP"}, {"DEBUG", "SLEEP", "1", "2"}, {"DEBUG", "nosuch"}, {"DEBUG"}} {
			j.do(c...)
		}
	}, [2]string{"enable-debug-command", "local"}) // the test's client connects from 127.0.0.1

	differentialLife(t, func(j *journal) {
		j.do("DEBUG", "SLEEP", "0")
		j.do("AUTH", "x") // DEBUG is refused before authentication is even asked for
		j.n.Reconnect()
		j.do("DEBUG", "SLEEP", "0")
	}, [2]string{"requirepass", "pw"})
}
