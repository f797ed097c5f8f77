package sentinel

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
)

var (
	errUnresolvable = errors.New("can't resolve instance hostname")
	errBadPort      = errors.New("invalid port number")
)

// resolve turns a host into an ip: literal IPs as they are; names only when
// resolve-hostnames is on and the environment can look them up.
func (s *Sentinel) resolve(host string) (string, error) {
	if ip := net.ParseIP(host); ip != nil {
		return ip.String(), nil
	}
	if !s.resolveHostnames || s.env.Resolve == nil {
		return "", errUnresolvable
	}
	return s.env.Resolve(host)
}

// makeAddress resolves host (C: createSentinelAddr, which refuses unresolvable names
// and logs each failure).
func (s *Sentinel) makeAddress(host string, port int) (address, error) {
	if port < 0 || port > 65535 {
		return address{}, errBadPort
	}
	ip, err := s.resolve(host)
	if err != nil {
		s.log(Warning, fmt.Sprintf("Failed to resolve hostname '%s'", host))
		return address{}, err
	}
	return address{hostname: host, ip: ip, port: port}, nil
}

// lenientAddress is makeAddress for records created from the config file, INFO or hello:
// with resolve-hostnames on, an unresolvable name is kept with an empty ip.
func (s *Sentinel) lenientAddress(host string, port int) (address, error) {
	a, err := s.makeAddress(host, port)
	if errors.Is(err, errUnresolvable) && s.resolveHostnames {
		return address{hostname: host, port: port}, nil
	}
	return a, err
}

// addrEqual: same port and the same ip or, failing that, the same hostname
// (C: sentinelAddrOrHostnameEqual).
func addrEqual(a, b address) bool {
	return a.port == b.port && (strings.EqualFold(a.ip, b.ip) || strings.EqualFold(a.hostname, b.hostname))
}

// addrEqualsHostname compares an address with a host a replica reported
// (C: sentinelAddrEqualsHostname).
func (s *Sentinel) addrEqualsHostname(a address, host string) bool {
	ip, err := s.resolve(host)
	if err != nil {
		if s.resolveHostnames {
			return strings.EqualFold(host, a.hostname)
		}
		return strings.EqualFold(host, a.ip)
	}
	return strings.EqualFold(ip, a.ip)
}

// parseInt reads a decimal integer the strict way Redis reads numeric command
// arguments (string2ll): no '+', no leading zeros or blanks, nothing after the digits.
func parseInt(s string) (int64, bool) {
	if s == "0" {
		return 0, true
	}
	digits := strings.TrimPrefix(s, "-")
	if digits == "" || digits[0] < '1' || digits[0] > '9' ||
		strings.IndexFunc(digits, func(c rune) bool { return c < '0' || c > '9' }) >= 0 {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// atoi parses a leading decimal integer as C's atoi does: garbage reads as 0.
func atoi(s string) int {
	n, _ := strconv.Atoi(leadingInt(s))
	return n
}

// atou parses a leading unsigned decimal as C's strtoull does.
func atou(s string) uint64 {
	n, _ := strconv.ParseUint(strings.TrimPrefix(leadingInt(s), "+"), 10, 64)
	return n
}

func leadingInt(s string) string {
	s = strings.TrimLeft(s, " \t")
	end := 0
	if end < len(s) && (s[end] == '-' || s[end] == '+') {
		end++
	}
	for end < len(s) && s[end] >= '0' && s[end] <= '9' {
		end++
	}
	return s[:end]
}
