#!/usr/bin/env bash
# Runs Redis 7.0.15's own Sentinel suite (tests/sentinel) against gosentinel and against
# Debian's redis-sentinel, and writes the per-unit results and times of both to
# results/sentinel-suite.md. Needs tcl, redis-server, redis-sentinel and a clone of
# github.com/redis/redis with the tag 7.0.15 (REDIS_GIT_DIR, default the tool library's
# mirror). The suite itself is extracted to a temporary folder by
# ../shared/tools/redis-sentinel-suite and never copied into the project.
set -euo pipefail
cd "$(dirname "$0")/.."
suite=${SUITE:-../shared/tools/redis-sentinel-suite}
gitdir=${REDIS_GIT_DIR:-/work/.mirror/redis+redis/repo}
out=results/sentinel-suite.md
[ -x "$suite" ] || { echo "sentinel-suite.sh: no suite runner at $suite (set SUITE=.../shared/tools/redis-sentinel-suite)" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/bin/gosentinel" ./cmd/gosentinel

# run NAME BINARY: the suite's log, kept in $work/NAME.
run() {
  "$suite" "$gitdir" "$2" --keep "$work/$1" > "$work/$1.out" 2>&1 || true
  sed 's/\x1b\[[0-9;]*m//g' "$work/$1/suite.log" > "$work/$1.log"
}

# units NAME: one table row per unit: passed, failed, seconds. The log stamps each test
# line with the time (HH:MM:SS); a unit runs from its "Testing unit" line to the next
# one, so it starts at the last stamp before its line (the first unit: at its first
# stamp) and ends where the next unit starts, or at the log's last stamp.
units() {
  awk '
    function secs(t, a) { split(t, a, ":"); return a[1] * 3600 + a[2] * 60 + a[3] }
    function took(d) { return d < 0 ? d + 86400 : d }  # past midnight
    /^[0-9][0-9]:[0-9][0-9]:[0-9][0-9]> / {
      last = secs(substr($0, 1, 8)); stamped = 1
      if (u && !started) { start = last; started = 1 }
    }
    /^Testing unit: / {
      if (u) print u, ok, bad, took(last - start)
      u = $3; ok = 0; bad = 0; start = last; started = stamped; next
    }
    /^[0-9:]+> .*: OK$/ { ok++ }
    /^OK$/ { ok++ }  # a test whose output (a "Waiting for process" line) came before its OK
    /FAILED|\[err\]|exception/ { if (u) bad++ }
    END { if (u) print u, ok, bad, took(last - start) }' "$work/$1.log"
}

run gosentinel "$work/bin/gosentinel"
run redis-sentinel "$(command -v redis-sentinel)"
{
  echo "# Redis's own Sentinel suite: gosentinel and redis-sentinel"
  echo
  echo "Redis 7.0.15's tests/sentinel, run by \`scripts/sentinel-suite.sh\` (which calls"
  echo "\`../shared/tools/redis-sentinel-suite\`) against gosentinel built from this tree and"
  echo "against Debian's redis-sentinel 7.0.15; the data nodes are Debian's redis-server."
  echo "Generated $(date -u +%Y-%m-%d)."
  echo
  echo "| unit | gosentinel passed | gosentinel failed | gosentinel s | redis-sentinel passed | redis-sentinel failed | redis-sentinel s |"
  echo "|---|---|---|---|---|---|---|"
  join <(units gosentinel | sort) <(units redis-sentinel | sort) | sort -V |
    awk '{ printf "| %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7 }'
  echo
  for b in gosentinel redis-sentinel; do
    echo "- $b: $(grep '^suite:' "$work/$b.out" | sed 's/, log .*)/)/')"
  done
  echo
  echo "Seconds are wall time per unit, from the suite log's stamps (1 s resolution): from"
  echo "the unit's \"Testing unit\" line to the next one's."
  echo
  echo "(The runner's own count misses a test whose OK comes on a line of its own, after a"
  echo "\"Waiting for process to exit\" line; the table counts those.)"
  echo
  echo "Failures of gosentinel, as the suite reports them:"
  echo
  grep -E 'FAILED' "$work/gosentinel.log" | grep -v 'caught an error' | sed 's/^/    /' || echo "    (none)"
} > "$out"
echo "wrote $out"
