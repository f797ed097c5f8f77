package linearize

import "slices"

// sortStrings sorts as slices.Sort does, faster on the long lists final reads return:
// a most-significant-byte-first radix sort, which reads each byte about once instead of
// comparing strings n log n times. Short lists, and the buckets it splits into once they
// are short, go to slices.Sort.
func sortStrings(ss []string) {
	if len(ss) < radixMin {
		slices.Sort(ss)
		return
	}
	radixSort(ss, make([]string, len(ss)), 0)
}

const radixMin = 256

// radixSort sorts ss, whose strings share their first depth bytes, using buf (as long
// as ss) as scratch space.
func radixSort(ss, buf []string, depth int) {
	if len(ss) < radixMin {
		slices.Sort(ss) // comparing the shared prefix again costs little here
		return
	}
	// Bucket 0 holds the strings that end at depth, which come first; bucket b+1 those
	// whose byte at depth is b.
	var count [257]int
	for _, s := range ss {
		count[bucket(s, depth)]++
	}
	var start [257]int
	for b := 1; b < len(start); b++ {
		start[b] = start[b-1] + count[b-1]
	}
	next := start
	for _, s := range ss {
		b := bucket(s, depth)
		buf[next[b]] = s
		next[b]++
	}
	copy(ss, buf)
	for b := 1; b < len(count); b++ {
		if count[b] > 1 {
			lo, hi := start[b], start[b]+count[b]
			radixSort(ss[lo:hi], buf[lo:hi], depth+1)
		}
	}
}

func bucket(s string, depth int) int {
	if depth >= len(s) {
		return 0
	}
	return int(s[depth]) + 1
}
