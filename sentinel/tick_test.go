package sentinel

import (
	"testing"
	"time"
)

// Tick re-draws the timer rate after every run as Redis re-draws hz (spec 5): 10 + a
// draw in [0, 10) Hz, so the next tick comes 1000/hz ms later, 100 ms at 10 Hz down to
// 52 ms at 19 Hz. The draw is the sentinel's own random source, which is what
// desynchronises peers' elections.
func TestTickDelayFollowsTheRandomDraw(t *testing.T) {
	h := newHarness(t)
	h.conf = []byte("port 26379\nsentinel monitor m 127.0.0.1 6379 2\n")
	conf, err := ParseConfig(h.conf)
	if err != nil {
		t.Fatal(err)
	}
	if h.s, err = New(h.env(), conf); err != nil {
		t.Fatal(err)
	}
	want := []time.Duration{100, 90, 83, 76, 71, 66, 62, 58, 55, 52}
	for draw, ms := range want {
		h.randV = draw
		h.now += 100
		if got := h.s.Tick(); got != ms*time.Millisecond {
			t.Errorf("draw %d (%d Hz): Tick() = %v, want %v", draw, 10+draw, got, ms*time.Millisecond)
		}
	}
}
