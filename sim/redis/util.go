package redis

import "strings"

// string2ll is Redis's strict integer parser (util.c): an optional '-', no '+', no
// leading zeros, no spaces, at most 20 characters, within int64.
func string2ll(s string) (int64, bool) {
	if len(s) == 0 || len(s) >= 21 {
		return 0, false
	}
	if s == "0" {
		return 0, true
	}
	p := 0
	negative := false
	if s[0] == '-' {
		negative = true
		p++
		if p == len(s) {
			return 0, false
		}
	}
	if s[p] < '1' || s[p] > '9' {
		return 0, false
	}
	var v uint64
	for ; p < len(s); p++ {
		c := s[p]
		if c < '0' || c > '9' {
			return 0, false
		}
		if v > ^uint64(0)/10 {
			return 0, false
		}
		v *= 10
		if v > ^uint64(0)-uint64(c-'0') {
			return 0, false
		}
		v += uint64(c - '0')
	}
	if negative {
		if v > 1<<63 {
			return 0, false
		}
		return -int64(v), true // -(1<<63) wraps to itself, which is right
	}
	if v > 1<<63-1 {
		return 0, false
	}
	return int64(v), true
}

// stringMatch is Redis's glob (util.c stringmatchlen): * ? [...] with ranges and ^,
// backslash escapes; nocase folds ASCII letters only. It follows the C code step by step,
// including what it does with an unterminated [ class.
func stringMatch(pattern, s string, nocase bool) bool {
	skip := false
	return matchFrom(pattern, 0, s, 0, nocase, &skip)
}

// matchFrom matches pattern[pi:] against s[si:]. Reading past the end yields 0, as C
// reads the terminating NUL.
func matchFrom(pat string, pi int, str string, si int, nocase bool, skipLonger *bool) bool {
	pc := func(i int) int {
		if i >= 0 && i < len(pat) {
			return int(int8(pat[i])) // char is signed on the platforms Redis runs on
		}
		return 0
	}
	sc := func(i int) int {
		if i < len(str) {
			return int(int8(str[i]))
		}
		return 0
	}
	fold := func(c int) int {
		if nocase && c >= 'A' && c <= 'Z' {
			return c + 'a' - 'A'
		}
		return c
	}
	plen, slen := len(pat)-pi, len(str)-si
	for plen > 0 && slen > 0 {
		switch pc(pi) {
		case '*':
			for plen > 0 && pc(pi+1) == '*' {
				pi++
				plen--
			}
			if plen == 1 {
				return true
			}
			for slen > 0 {
				if matchFrom(pat, pi+1, str, si, nocase, skipLonger) {
					return true
				}
				if *skipLonger {
					return false
				}
				si++
				slen--
			}
			*skipLonger = true
			return false
		case '?':
			si++
			slen--
		case '[':
			pi++
			plen--
			not := pc(pi) == '^'
			if not {
				pi++
				plen--
			}
			match := false
		class:
			for {
				switch {
				case pc(pi) == '\\' && plen >= 2:
					pi++
					plen--
					if pc(pi) == sc(si) {
						match = true
					}
				case pc(pi) == ']':
					break class
				case plen == 0:
					pi--
					plen++
					break class
				case plen >= 3 && pc(pi+1) == '-':
					start, end, c := pc(pi), pc(pi+2), sc(si)
					if start > end {
						start, end = end, start
					}
					start, end, c = fold(start), fold(end), fold(c)
					pi += 2
					plen -= 2
					if c >= start && c <= end {
						match = true
					}
				default:
					if fold(pc(pi)) == fold(sc(si)) {
						match = true
					}
				}
				pi++
				plen--
			}
			if not {
				match = !match
			}
			if !match {
				return false
			}
			si++
			slen--
		case '\\':
			if plen >= 2 {
				pi++
				plen--
			}
			fallthrough
		default:
			if fold(pc(pi)) != fold(sc(si)) {
				return false
			}
			si++
			slen--
		}
		pi++
		plen--
		if slen == 0 {
			for pc(pi) == '*' {
				pi++
				plen--
			}
			break
		}
	}
	return plen == 0 && slen == 0
}

// asciiLower lowers ASCII letters only, as strcasecmp and Redis's case-insensitive
// dictionaries do; strings.ToLower would also fold non-ASCII letters (the Kelvin sign
// into 'k').
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= 'A' && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

func asciiUpper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'a' && c <= 'z' {
			b[i] = c - ('a' - 'A')
		}
	}
	return string(b)
}

// cstr is what C's %s prints of a binary-safe string: up to the first NUL.
func cstr(s string) string {
	if i := strings.IndexByte(s, 0); i >= 0 {
		return s[:i]
	}
	return s
}

// cstrN is C's %.*s: at most n bytes, up to the first NUL.
func cstrN(s string, n int) string {
	s = cstr(s)
	if n < 0 {
		return s
	}
	if len(s) > n {
		return s[:n]
	}
	return s
}

// errorLine is what Redis does to an error it formats from user input: "\r" and "\n"
// become spaces so the reply stays one protocol line.
func errorLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' {
			return ' '
		}
		return r
	}, s)
}
