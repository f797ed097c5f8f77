package redis

import (
	"cmp"
	"math/bits"
	"slices"
	"strconv"
	"strings"

	"github.com/sentinelsim/sentinelsim/linearize"
)

// memberSet is a set's members. The workloads add the decimal integers 0, 1, 2, ...,
// and sets of tens of thousands of them are common, so a member written as
// strconv.Itoa writes a small non-negative integer (linearize.SmallDecimal) is a bit
// in a bitset indexed by that integer: adding it is setting a bit, not a hash-map
// insert, and the members come out sorted without sorting. Any other member goes to a
// map. Each member is in exactly one of the two. The zero value and nil are empty sets.
type memberSet struct {
	small []uint64 // bit x: the member strconv.Itoa(x)
	other map[string]bool
	n     int
}

// smallMemberSlack is how far past the current members an integer may be and still go
// to the bitset, so that one huge integer does not make a huge bitset.
const smallMemberSlack = 1 << 12

func (s *memberSet) len() int {
	if s == nil {
		return 0
	}
	return s.n
}

func (s *memberSet) has(m string) bool {
	if s == nil {
		return false
	}
	x, small := linearize.SmallDecimal(m)
	return s.holds(m, x, small)
}

// holds is has with m parsed: an integer is in the bitset or, if it was too large when
// it was added, in the map.
func (s *memberSet) holds(m string, x int, small bool) bool {
	return (small && s.hasSmall(x)) || (len(s.other) > 0 && s.other[m])
}

func (s *memberSet) hasSmall(x int) bool {
	return x/64 < len(s.small) && s.small[x/64]&(1<<(x%64)) != 0
}

// add adds m and reports whether it was new.
func (s *memberSet) add(m string) bool {
	x, small := linearize.SmallDecimal(m)
	if s.holds(m, x, small) {
		return false
	}
	if small && x < 2*s.n+smallMemberSlack {
		for len(s.small) <= x/64 {
			s.small = append(s.small, 0)
		}
		s.small[x/64] |= 1 << (x % 64)
	} else {
		if s.other == nil {
			s.other = map[string]bool{}
		}
		s.other[m] = true
	}
	s.n++
	return true
}

// remove removes m and reports whether it was there.
func (s *memberSet) remove(m string) bool {
	if s == nil {
		return false
	}
	switch x, ok := linearize.SmallDecimal(m); {
	case ok && s.hasSmall(x):
		s.small[x/64] &^= 1 << (x % 64)
	case s.other[m]:
		delete(s.other, m)
	default:
		return false
	}
	s.n--
	return true
}

// bytes is the length of every member plus one each: what they take in an RDB file.
func (s *memberSet) bytes() int64 {
	if s == nil {
		return 0
	}
	n := int64(0)
	for i, word := range s.small {
		for ; word != 0; word &= word - 1 {
			n += int64(decimalDigits(64*i+bits.TrailingZeros64(word)) + 1)
		}
	}
	for m := range s.other { //determinism:ok summing
		n += int64(len(m) + 1)
	}
	return n
}

func decimalDigits(x int) int {
	d := 1
	for ; x >= 10; x /= 10 {
		d++
	}
	return d
}

func (s *memberSet) clone() *memberSet {
	c := &memberSet{small: slices.Clone(s.small), n: s.n}
	if len(s.other) > 0 {
		c.other = make(map[string]bool, len(s.other))
		for m := range s.other { //determinism:ok copying
			c.other[m] = true
		}
	}
	return c
}

// smallMembers appends the bitset's members, ascending, to out. Their decimals are
// written into one string, of which each member is a piece: a set of tens of thousands
// of members costs a few allocations, not one per member. A member close to the one
// before is counted up to rather than formatted.
func (s *memberSet) smallMembers(out []string) []string {
	n := s.n - len(s.other)
	text := make([]byte, 0, n*decimalDigits(64*len(s.small))) // no member has more digits
	ends := make([]int, 0, n)
	var digits []byte // the decimal of last
	last := -1
	for i, word := range s.small {
		for ; word != 0; word &= word - 1 {
			x := 64*i + bits.TrailingZeros64(word)
			if last < 0 || x-last > 8 {
				digits, last = strconv.AppendInt(digits[:0], int64(x), 10), x
			}
			for ; last < x; last++ {
				digits = linearize.NextDecimal(digits)
			}
			text = append(text, digits...)
			ends = append(ends, len(text))
		}
	}
	all, start := string(text), 0
	for _, end := range ends {
		out = append(out, all[start:end])
		start = end
	}
	return out
}

// sorted returns the members in the order SMEMBERS and the snapshot give: integers
// (as strconv.ParseInt reads them) by value, as Redis keeps an intset, two spellings of
// one value ("7", "007") by their bytes; then anything else by its bytes. (Redis lists
// a set that is not an intset in its hash table's order, which the simulation cannot
// reproduce; it picks this one, the same in every run.)
func (s *memberSet) sorted() []string {
	out := make([]string, 0, s.len())
	if s == nil {
		return out
	}
	out = s.smallMembers(out)
	if len(s.other) == 0 {
		return out // distinct integers, ascending: what the sort below would give
	}
	type member struct {
		s     string
		n     int64
		isInt bool
	}
	ms := make([]member, 0, s.n)
	for _, m := range out {
		n, _ := strconv.ParseInt(m, 10, 64)
		ms = append(ms, member{m, n, true})
	}
	for m := range s.other { //determinism:ok sorted below
		n, err := strconv.ParseInt(m, 10, 64)
		ms = append(ms, member{m, n, err == nil})
	}
	slices.SortFunc(ms, func(a, b member) int {
		if a.isInt != b.isInt {
			if a.isInt {
				return -1
			}
			return 1
		}
		if a.isInt && a.n != b.n {
			return cmp.Compare(a.n, b.n)
		}
		return strings.Compare(a.s, b.s)
	})
	out = out[:0]
	for _, e := range ms {
		out = append(out, e.s)
	}
	return out
}
