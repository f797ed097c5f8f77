package linearize

import (
	"strconv"
	"testing"

	"pgregory.net/rapid"
)

// valueIDs behaves as a map from value to the order of first sight, whatever the mix
// of small integers, large ones and other strings.
func TestValueIDsActAsAMap(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var ids valueIDs
		want := map[string]int32{}
		value := rapid.OneOf(
			rapid.Map(rapid.IntRange(0, 3000), strconv.Itoa),
			rapid.Map(rapid.IntRange(0, 1<<40), strconv.Itoa),
			rapid.SampledFrom([]string{"", "007", "7", "-1", "+3", "x", "0", "00", "999999999", "1000000000"}),
		)
		for range rapid.IntRange(0, 200).Draw(t, "n") {
			s := value.Draw(t, "value")
			got, found := ids.lookup(s)
			w, known := want[s]
			if found != known || (known && got != w) {
				t.Fatalf("lookup(%q) = %d, %v; want %d, %v", s, got, found, w, known)
			}
			if rapid.Bool().Draw(t, "add") {
				if !known {
					want[s] = int32(len(want))
				}
				if got, isNew := ids.id(s); got != want[s] || isNew == known {
					t.Fatalf("id(%q) = %d, %v; want %d, %v", s, got, isNew, want[s], !known)
				}
			}
		}
	})
}
