package linearize

import "slices"

// sortStrings sorts as slices.Sort does, faster on the long lists final reads return.
// A list made of a few ascending runs is merged: SMEMBERS of a set of integers lists
// them by value, which for decimal numbers is one run per number of digits. Any other
// long list gets a most-significant-byte-first radix sort, which reads each byte about
// once instead of comparing strings n log n times. Short lists, and the buckets it
// splits into once they are short, go to slices.Sort.
func sortStrings(ss []string) {
	if len(ss) < radixMin {
		slices.Sort(ss)
		return
	}
	buf := make([]string, len(ss))
	if ends := ascendingRuns(ss, maxRuns); ends != nil {
		mergeRuns(ss, buf, ends)
		return
	}
	radixSort(ss, buf, 0)
}

// maxRuns is the most ascending runs a list may have to be merged rather than sorted.
const maxRuns = 32

// ascendingRuns returns where each ascending run of ss ends, or nil if it has more than
// max of them.
func ascendingRuns(ss []string, max int) []int {
	var ends []int
	for i := 1; i < len(ss); i++ {
		if ss[i] < ss[i-1] {
			if len(ends) == max-1 {
				return nil
			}
			ends = append(ends, i)
		}
	}
	return append(ends, len(ss))
}

// mergeRuns sorts ss, whose ascending runs end at ends, by merging neighbouring runs
// until one is left, using buf (as long as ss) as scratch space.
func mergeRuns(ss, buf []string, ends []int) {
	for len(ends) > 1 {
		merged := ends[:0]
		start := 0
		for i := 0; i < len(ends); i += 2 {
			if i+1 == len(ends) {
				merged = append(merged, ends[i])
				break
			}
			mid, end := ends[i], ends[i+1]
			merge(buf[start:end], ss[start:mid], ss[mid:end])
			copy(ss[start:end], buf[start:end])
			merged = append(merged, end)
			start = end
		}
		ends = merged
	}
}

// merge writes the sorted lists a and b, merged, to out.
func merge(out, a, b []string) {
	i, j, k := 0, 0, 0
	for i < len(a) && j < len(b) {
		if b[j] < a[i] {
			out[k], j = b[j], j+1
		} else {
			out[k], i = a[i], i+1
		}
		k++
	}
	k += copy(out[k:], a[i:])
	copy(out[k:], b[j:])
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
