package redis

import "testing"

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
