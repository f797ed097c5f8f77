package fidelity

import (
	"testing"

	"pgregory.net/rapid"
)

// TestGlobMatchesRealRedis checks the simulation's port of Redis's glob (stringmatchlen)
// through Pub/Sub: a client subscribes to a random pattern, another publishes to a random
// channel, and PUBLISH says whether the pattern matched. Patterns are drawn from the
// characters that mean something to the glob, unterminated classes and escapes included.
func TestGlobMatchesRealRedis(t *testing.T) {
	port := FreePort(t, realAddr)
	real := StartReal(t, realAddr, port)
	rsub, rpub := real.Dial(t), real.Dial(t)
	sim := NewSim(1)
	if _, err := sim.Spawn(realAddr, port, realOptions(real)...); err != nil {
		t.Fatal(err)
	}
	ssub, spub := sim.Dial(realAddr, port), sim.Dial(realAddr, port)
	patternChars := rapid.SampledFrom([]rune{'a', 'b', 'A', '*', '?', '[', ']', '^', '-', '\\', 0})
	channelChars := rapid.SampledFrom([]rune{'a', 'b', 'A', 'z', '*', '[', ']', '-', '^', '\\', 0})
	rapid.Check(t, func(rt *rapid.T) {
		pattern := rapid.StringOfN(patternChars, 0, 8, -1).Draw(rt, "pattern")
		channel := rapid.StringOfN(channelChars, 0, 6, -1).Draw(rt, "channel")
		var got [2]int64
		for i, side := range []struct{ sub, pub Client }{{rsub, rpub}, {ssub, spub}} {
			if _, err := side.sub.Do("PSUBSCRIBE", pattern); err != nil {
				rt.Fatal(err)
			}
			n, err := side.pub.Do("PUBLISH", channel, "m")
			if err != nil {
				rt.Fatal(err)
			}
			got[i] = n.Int
			if n.Int == 1 {
				// the pmessage the subscriber received, then PUNSUBSCRIBE's reply
				if i == 0 {
					if _, err := rsub.r.ReadValue(); err != nil {
						rt.Fatal(err)
					}
				} else if _, err := ssub.Next(); err != nil {
					rt.Fatal(err)
				}
			}
			if _, err := side.sub.Do("PUNSUBSCRIBE", pattern); err != nil {
				rt.Fatal(err)
			}
		}
		if got[0] != got[1] {
			rt.Fatalf("pattern %q, channel %q: the real server counts %d receivers, the simulation %d",
				pattern, channel, got[0], got[1])
		}
	})
}
