package linearize

import (
	"slices"
	"strconv"
	"testing"

	"pgregory.net/rapid"
)

// sortStrings sorts exactly as slices.Sort, on lists long enough for the radix sort:
// numbers as the workloads write them, prefixes of one another, empty strings, bytes
// past 127, duplicates.
func TestSortStringsSortsAsSlicesSort(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		s := rapid.OneOf(
			rapid.Map(rapid.IntRange(0, 1<<20), strconv.Itoa),
			rapid.Map(rapid.SliceOfN(rapid.Byte(), 0, 6), func(b []byte) string { return string(b) }),
			rapid.SampledFrom([]string{"", "a", "ab", "abc", "b"}),
		)
		ss := rapid.SliceOfN(s, radixMin, 4*radixMin).Draw(t, "strings")
		want := slices.Clone(ss)
		slices.Sort(want)
		sortStrings(ss)
		if !slices.Equal(ss, want) {
			t.Fatalf("sorted %q, want %q", ss, want)
		}
	})
}

// Lists of a few ascending runs are merged instead: SMEMBERS's integers in numeric
// order, and runs of any strings, up to past maxRuns of them.
func TestSortStringsMergesRuns(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var ss []string
		if rapid.Bool().Draw(t, "integers") {
			n := rapid.IntRange(radixMin, 20000).Draw(t, "n")
			for i := range n {
				ss = append(ss, strconv.Itoa(i))
			}
		} else {
			for range rapid.IntRange(1, maxRuns+8).Draw(t, "runs") {
				run := rapid.SliceOfN(rapid.StringN(0, 4, -1), 0, 64).Draw(t, "run")
				slices.Sort(run)
				ss = append(ss, run...)
			}
		}
		want := slices.Clone(ss)
		slices.Sort(want)
		sortStrings(ss)
		if !slices.Equal(ss, want) {
			t.Fatalf("sorted %q, want %q", ss, want)
		}
	})
}
