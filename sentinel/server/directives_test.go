package server

import (
	"errors"
	"strings"
	"testing"

	"github.com/sentinelsim/sentinelsim/sentinel"
)

// checkOnly is loadConfig's check of a server directive without what it acts on (dir,
// logfile), which a fuzzer must not do to the machine.
func checkOnly(args []string) string {
	return checkDirective(append([]string{strings.ToLower(args[0])}, args[1:]...))
}

// The directives Redis's own Sentinel suite writes into a sentinel's file are accepted.
func TestSuiteDirectivesAccepted(t *testing.T) {
	for _, line := range []string{"port 26379", "dir ./sentinel_0", "logfile log.txt", "loglevel debug",
		"repl-diskless-sync-delay 0", "tls-port 0", "tls-replication yes", "tls-cluster yes", "tls-cert-file a",
		"tls-key-file a", "tls-client-cert-file a", "tls-client-key-file a", "tls-dh-params-file a",
		"tls-ca-cert-file a", "daemonize no", "bind 127.0.0.1", "requirepass x", "protected-mode no",
		"bind-source-addr 127.0.0.1", "pidfile x.pid", "save \"\"", "appendonly no"} {
		if _, err := sentinel.ParseConfigChecked([]byte(line+"\n"), checkOnly); err != nil {
			t.Errorf("%q refused: %v", line, err)
		}
	}
}

// Any file is either accepted or refused with a ConfigError at one of its lines; nothing
// panics.
func FuzzServerDirectives(f *testing.F) {
	for _, seed := range []string{"port 5000\nbind 127.0.0.1 -::1\n", "prot 5000\n", "daemonize maybe\n",
		"loglevel bogus\n", "shutdown-on-sigterm nosave now\n", "foo.bar\n", "save 900 1 300 10\n",
		"list-max-ziplist-entries 1 2\n", "sentinel\nSENTINEL monitor m h 1 1\n", "include x\n", "\"unbalanced\n"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		_, err := sentinel.ParseConfigChecked([]byte(text), checkOnly)
		var ce *sentinel.ConfigError
		if err != nil && (!errors.As(err, &ce) || ce.Line < 1 || ce.Line > strings.Count(text, "\n")+1 || ce.Reason == "") {
			t.Fatalf("refused without a line and a reason: %v", err)
		}
	})
}
