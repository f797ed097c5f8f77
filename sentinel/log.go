package sentinel

import (
	"fmt"
	"time"
)

// FormatLog renders a log line as a Redis Sentinel writes it to its log file:
// "<pid>:X 25 Nov 2026 10:00:00.123 # +sdown master mymaster 127.0.0.1 6379", where the
// marker is . - * # for debug, verbose, notice and warning.
func FormatLog(pid int, ms int64, level Level, line string) string {
	t := time.UnixMilli(ms).UTC()
	return fmt.Sprintf("%d:X %s.%03d %c %s", pid, t.Format("02 Jan 2006 15:04:05"), ms%1000, ".-*#"[level], line)
}

// ParseLevel reads a loglevel directive's value.
func ParseLevel(s string) (Level, bool) {
	switch s {
	case "debug":
		return Debug, true
	case "verbose":
		return Verbose, true
	case "notice":
		return Notice, true
	case "warning":
		return Warning, true
	}
	return 0, false
}
