package redis

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

// memberSet behaves as a set, whatever the mix of small integers, large integers and
// other strings, and lists its members in one order: integers by value (spellings of one
// value by their bytes), then the rest by their bytes.
func TestMemberSetActsAsASet(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		ints := rapid.Bool().Draw(t, "ints only")
		member := rapid.OneOf(
			rapid.Map(rapid.IntRange(0, 20000), strconv.Itoa),
			rapid.Map(rapid.IntRange(-5, 1<<40), strconv.Itoa),
			rapid.SampledFrom([]string{"007", "-1", "+3", "999999999", "1000000000"}),
		)
		if !ints {
			member = rapid.OneOf(member, rapid.SampledFrom([]string{"", "a", "b10", "x y"}))
		}
		var s *memberSet
		want := map[string]bool{}
		for range rapid.IntRange(0, 300).Draw(t, "ops") {
			m := member.Draw(t, "member")
			switch rapid.IntRange(0, 2).Draw(t, "op") {
			case 0:
				if s == nil {
					s = &memberSet{}
				}
				if got := s.add(m); got != !want[m] {
					t.Fatalf("add(%q) = %v with %v in the set", m, got, want[m])
				}
				want[m] = true
			case 1:
				if got := s.remove(m); got != want[m] {
					t.Fatalf("remove(%q) = %v with %v in the set", m, got, want[m])
				}
				delete(want, m)
			case 2:
				if s.has(m) != want[m] {
					t.Fatalf("has(%q) = %v, want %v", m, s.has(m), want[m])
				}
			}
			if s.len() != len(want) {
				t.Fatalf("len %d, want %d", s.len(), len(want))
			}
		}
		got := s.sorted()
		var members []string
		for m := range want {
			members = append(members, m)
		}
		slices.SortFunc(members, func(a, b string) int {
			x, errA := strconv.ParseInt(a, 10, 64)
			y, errB := strconv.ParseInt(b, 10, 64)
			switch {
			case errA == nil && errB != nil:
				return -1
			case errA != nil && errB == nil:
				return 1
			case errA == nil && x != y:
				return cmp.Compare(x, y)
			}
			return strings.Compare(a, b)
		})
		if !slices.Equal(got, members) {
			t.Fatalf("sorted lists %v, want %v", got, members)
		}
		if s != nil && !slices.Equal(s.clone().sorted(), got) {
			t.Fatal("a clone differs")
		}
	})
}

// A set that SREM emptied, DEL removed or SET overwrote is gone, although the dataset
// remembers the set it looked up last.
func TestDatasetForgetsRemovedSets(t *testing.T) {
	d := newDataset()
	do := func(args ...string) string { v, _ := d.apply(nil, strings.ToLower(args[0]), args); return v.String() }
	steps := [][2]string{
		{"SADD k a", "(integer) 1"},
		{"SADD k a", "(integer) 0"}, // the set is remembered from here on
		{"SREM k a", "(integer) 1"},
		{"SADD k b", "(integer) 1"},
		{"SADD k b", "(integer) 0"},
		{"SMEMBERS k", `["b"]`},
		{"DEL k", "(integer) 1"},
		{"SADD k c", "(integer) 1"},
		{"SADD k c", "(integer) 0"},
		{"SMEMBERS k", `["c"]`},
		{"SET k v", "OK"},
		{"SADD k d", "(error) WRONGTYPE Operation against a key holding the wrong kind of value"},
	}
	for _, s := range steps {
		if got := do(strings.Fields(s[0])...); got != s[1] {
			t.Fatalf("%s: %q, want %q", s[0], got, s[1])
		}
	}
}
