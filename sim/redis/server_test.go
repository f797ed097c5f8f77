package redis

import (
	"testing"
	"time"
)

// A scenario may set the options the simulation acts on, by name or alias, and users;
// an option it only accepts (as CONFIG GET and SET do) is not one of them.
func TestModelledOptions(t *testing.T) {
	for opt, want := range map[string]bool{
		"min-replicas-to-write": true, "min-slaves-to-write": true, "appendonly": true, "SAVE": true,
		"user": true, "slaveof": true, "maxmemory": false, "hz": false, "no-such-option": false,
	} {
		if got := Modelled(opt); got != want {
			t.Errorf("Modelled(%q) = %v, want %v", opt, got, want)
		}
	}
}

func TestParseSpeedsReadsRatesAndDurations(t *testing.T) {
	s, err := ParseSpeeds([][2]string{{"transfer-rate", "1k"}, {"TRANSFER-RATE", "5mb"}, {"load-per-key", "2us"}})
	if err != nil {
		t.Fatal(err)
	}
	want := DefaultSpeeds
	want.Transfer, want.LoadPerKey = 5<<20, 2*time.Microsecond
	if s != want {
		t.Errorf("got %+v, want %+v (the last value wins, the others default)", s, want)
	}
	for _, bad := range [][2]string{{"save-rate", "0"}, {"save-rate", "-1"}, {"load-rate", "fast"}, {"load-rate", ""},
		{"load-per-key", "-1ms"}, {"load-per-key", "7"}, {"disk-rate", "1mb"}} {
		if _, err := ParseSpeeds([][2]string{bad}); err == nil {
			t.Errorf("%v: accepted", bad)
		}
	}
}
