package linearize

import "slices"

// valueIDs numbers the distinct values of a history 0, 1, 2, ... in the order they are
// first seen. The workloads write the decimal integers 0, 1, 2, ..., so those are kept
// in a slice indexed by the integer, which is many times faster than a map of strings
// on histories of a hundred thousand values; any other value goes to a map.
type valueIDs struct {
	small []int32 // by integer value: its id + 1, or 0 if not seen
	other map[string]int32
	n     int32
}

// smallLimit bounds the integers kept in the slice, relative to the values seen, so
// that one huge integer does not make a huge slice.
const smallLimit = 1 << 10

// grow makes room for n small integers at once: the workloads' values are the integers
// 0, 1, 2, ..., and a slice that grows one at a time is copied at every doubling.
func (v *valueIDs) grow(n int) { v.small = slices.Grow(v.small, n) }

// id returns the value's id, numbering it if it is new, and whether it was new.
func (v *valueIDs) id(s string) (int32, bool) {
	x, small := SmallDecimal(s)
	if i, ok := v.find(s, x, small); ok {
		return i, false
	}
	if small && x < 4*int(v.n)+smallLimit {
		for len(v.small) <= x {
			v.small = append(v.small, 0)
		}
		v.small[x] = v.n + 1
	} else {
		if v.other == nil {
			v.other = map[string]int32{}
		}
		v.other[s] = v.n
	}
	v.n++
	return v.n - 1, true
}

// lookup returns the value's id, if it has one.
func (v *valueIDs) lookup(s string) (int32, bool) {
	x, small := SmallDecimal(s)
	return v.find(s, x, small)
}

// find is lookup with s parsed: an integer is in the slice or, if it was too large when
// first seen, in the map.
func (v *valueIDs) find(s string, x int, small bool) (int32, bool) {
	if small && x < len(v.small) && v.small[x] > 0 {
		return v.small[x] - 1, true
	}
	if len(v.other) == 0 {
		return 0, false
	}
	i, ok := v.other[s]
	return i, ok
}

// SmallDecimal parses s if it is a non-negative integer as strconv.Itoa writes it (no
// sign, no leading zeros, so that each integer has one spelling) of at most nine
// digits: the values the workloads write, for which the checkers here and the simulated
// server's sets keep arrays indexed by the integer instead of maps of strings.
func SmallDecimal(s string) (int, bool) {
	if len(s) == 0 || len(s) > 9 || (s[0] == '0' && len(s) > 1) {
		return 0, false
	}
	x := 0
	for i := 0; i < len(s); i++ {
		d := s[i] - '0' // wraps around below '0': one comparison
		if d > 9 {
			return 0, false
		}
		x = 10*x + int(d)
	}
	return x, true
}
