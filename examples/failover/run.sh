#!/usr/bin/env bash
# The failover walkthrough of README.md, step by step: three redis-servers (6382 master,
# 6383 and 6384 replicas) and three sentinels (5000-5002) on 127.0.0.1; SIGKILL the master,
# watch the sentinels fail over, restart the old master and watch it become a replica.
#
#   ./run.sh [SENTINEL]    SENTINEL: redis-sentinel (the default) or a path to gosentinel
#
# Every process runs in a fresh folder under $WORK (default: a temporary folder, removed
# at the end); every process is killed on exit, whatever happened. Exit status 0 when each
# step saw what README.md says it should.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
sentinel=${1:-redis-sentinel}
for bin in redis-server redis-cli "$sentinel"; do
  command -v "$bin" >/dev/null || { echo "run.sh: $bin not found (apt-get install redis-server redis-sentinel)" >&2; exit 2; }
done
sentinel=$(command -v "$sentinel")

if [ -n "${WORK:-}" ]; then
  work=$WORK
else
  work=$(mktemp -d)
fi
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ -z "${WORK:-}" ]; then rm -rf "$work"; fi
}
trap cleanup EXIT

fail() { echo "FAILED: $*" >&2; exit 1; }
step() { echo; echo "== $*"; }

for port in 6382 6383 6384 5000 5001 5002; do
  if redis-cli -p "$port" ping >/dev/null 2>&1; then
    fail "something already listens on 127.0.0.1:$port; stop it first"
  fi
done

# start KIND PORT: copies KIND-PORT.conf into its own folder and starts it there.
start() {
  local kind=$1 port=$2 bin=redis-server
  [ "$kind" = sentinel ] && bin=$sentinel
  mkdir -p "$work/$port"
  [ -f "$work/$port/$kind.conf" ] || cp "$here/$kind-$port.conf" "$work/$port/$kind.conf"
  (cd "$work/$port" && exec "$bin" "$kind.conf") &
  pids+=($!)
  eval "pid_$port=$!"
}

# until SECONDS WHAT CMD...: runs CMD every 0.1 s until it succeeds.
until_ok() {
  local limit=$1 what=$2
  shift 2
  local deadline=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    [ $SECONDS -lt $deadline ] || fail "$what did not happen within $limit s"
    sleep 0.1
  done
}

field() { redis-cli -p "$1" "${@:3}" | tr -d '\r' | grep -A1 -x "$2" | tail -1; }
master_of() { redis-cli -p "$1" sentinel get-master-addr-by-name mymaster | tr '\n' ' ' | sed 's/ $//'; }
replica_up() { redis-cli -p "$1" info replication | tr -d '\r' | grep -qx master_link_status:up; }
sentinel_sees_all() {
  [ "$(field "$1" num-slaves sentinel master mymaster)" = 2 ] &&
    [ "$(field "$1" num-other-sentinels sentinel master mymaster)" = 2 ]
}
in_log() { grep -q -- "$2" "$work/$1/sentinel.log"; }
events() {
  grep -hE -- "$2" "$work/$1/sentinel.log" | sed 's/^[0-9]*:X [0-9]* [A-Za-z]* [0-9]* //'
}

step "1. Three redis-servers: 6382 is the master, 6383 and 6384 replicate it"
for port in 6382 6383 6384; do start redis "$port"; done
for port in 6382 6383 6384; do until_ok 10 "redis-server on $port answering" redis-cli -p "$port" ping; done
until_ok 15 "6383 in sync" replica_up 6383
until_ok 15 "6384 in sync" replica_up 6384
redis-cli -p 6382 info replication | tr -d '\r' | grep -E '^(role|connected_slaves):'

step "2. Three sentinels ($(basename "$sentinel")) on 5000, 5001, 5002"
for port in 5000 5001 5002; do start sentinel "$port"; done
for port in 5000 5001 5002; do
  until_ok 30 "sentinel $port seeing both replicas and both other sentinels" sentinel_sees_all "$port"
done
echo "redis-cli -p 5000 sentinel get-master-addr-by-name mymaster: $(master_of 5000)"
[ "$(master_of 5000)" = "127.0.0.1 6382" ] || fail "the master is not 127.0.0.1 6382 before the failover"
echo "num-slaves $(field 5000 num-slaves sentinel master mymaster), num-other-sentinels $(field 5000 num-other-sentinels sentinel master mymaster)"

step "3. kill -9 the master (6382)"
kill -9 "$pid_6382"
wait "$pid_6382" 2>/dev/null || true
killed_at=$SECONDS
for port in 5000 5001 5002; do
  until_ok 60 "+switch-master in sentinel $port's log" in_log "$port" +switch-master
done
echo "every sentinel switched within $((SECONDS - killed_at)) s"

step "4. What the sentinels logged (sentinel 5000; the leader's log also has +selected-slave, +promoted-slave)"
events 5000 '[+-](sdown|odown|new-epoch|vote-for-leader|try-failover|elected-leader|selected-slave|promoted-slave|failover-end|switch-master) '
for port in 5001 5002; do
  if in_log "$port" +elected-leader; then
    echo "(leader: sentinel $port)"
    events "$port" '\+(elected-leader|selected-slave|promoted-slave|failover-end) '
  fi
done

step "5. SENTINEL GET-MASTER-ADDR-BY-NAME on every sentinel"
new=$(master_of 5000)
for port in 5000 5001 5002; do
  echo "sentinel $port: $(master_of "$port")"
  [ "$(master_of "$port")" = "$new" ] || fail "sentinel $port disagrees: $(master_of "$port"), not $new"
done
case $new in
  "127.0.0.1 6383" | "127.0.0.1 6384") ;;
  *) fail "the new master is $new, not one of the replicas" ;;
esac
new_port=${new#127.0.0.1 }

step "6. Restart the old master: the sentinels turn it into a replica of $new_port"
start redis 6382
until_ok 60 "+convert-to-slave in a sentinel's log" \
  bash -c "grep -q -- +convert-to-slave '$work/5000/sentinel.log' '$work/5001/sentinel.log' '$work/5002/sentinel.log'"
for port in 5000 5001 5002; do
  if in_log "$port" +convert-to-slave; then events "$port" '[+-](sdown|convert-to-slave) slave 127.0.0.1:6382 '; fi
done
until_ok 30 "6382 replicating $new_port" bash -c \
  "redis-cli -p 6382 info replication | tr -d '\r' | grep -qx master_port:$new_port && redis-cli -p 6382 info replication | tr -d '\r' | grep -qx master_link_status:up"
redis-cli -p 6382 info replication | tr -d '\r' | grep -E '^(role|master_port|master_link_status):'

echo
echo "walkthrough passed with $(basename "$sentinel"): master 6382 -> $new_port"
