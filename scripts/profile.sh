#!/usr/bin/env bash
# scripts/profile.sh — where a request's time goes, oxidis beside Debian's
# redis-server 7.0 (issue #6; not part of CI: figures, never pass/fail).
#
# Two figures per redis-benchmark test, each for both servers, as markdown rows
# with the ratio oxidis/redis:
#   instructions  user-space instructions per request at -P 16, from valgrind's
#                 callgrind: the server runs a fresh -n N1 and a fresh -n N2
#                 benchmark, and (I(N2) - I(N1)) / (N2 - N1) cancels startup,
#                 shutdown and everything else that is not per request.
#   syscalls      system calls per request of the event-loop thread at -P 1 and
#                 -P 16, from `strace -c` attached for one benchmark run; each
#                 syscall making up at least 1% of the calls, and the total.
#
# Usage: bash scripts/profile.sh            (prints the tables on stdout)
# Knobs (environment): TESTS [get,set,zadd,spop,ping_mbulk]  N1 [100000]
#   N2 [300000]  STRACE_TESTS [get,set]  STRACE_N [100000]  CLIENTS [50]
#   RANDOM_KEYS [100000]  OXIDIS_SERVER_BIN [target/release/oxidis-server, built]
#   REDIS_SERVER_BIN [/usr/bin/redis-server]
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ROOT=$OXIDIS_ROOT

TESTS=${TESTS:-get,set,zadd,spop,ping_mbulk}
N1=${N1:-100000}
N2=${N2:-300000}
STRACE_TESTS=${STRACE_TESTS:-get,set}
STRACE_N=${STRACE_N:-100000}
CLIENTS=${CLIENTS:-50}
RANDOM_KEYS=${RANDOM_KEYS:-100000}
OXIDIS_BIN=${OXIDIS_SERVER_BIN:-$ROOT/target/release/oxidis-server}
REDIS_BIN=${REDIS_SERVER_BIN:-/usr/bin/redis-server}
((N2 > N1)) || die "N2 ($N2) must be larger than N1 ($N1)"

ensure_cmds redis-benchmark:redis-tools redis-cli:redis-tools valgrind:valgrind \
    callgrind_annotate:valgrind strace:strace
[[ -x $REDIS_BIN ]] || apt_install redis-server
if [[ -z ${OXIDIS_SERVER_BIN:-} ]]; then
    log "building oxidis-server (cargo build --release)"
    (cd "$ROOT" && cargo build --release --bin oxidis-server >&2)
fi
[[ $OXIDIS_BIN == /* ]] || OXIDIS_BIN="$PWD/$OXIDIS_BIN"
[[ $REDIS_BIN == /* ]] || REDIS_BIN="$PWD/$REDIS_BIN"
declare -A BIN=([oxidis]=$OXIDIS_BIN [redis]=$REDIS_BIN)
SIDES=(oxidis redis)

TMP=$(mktemp -d /tmp/oxidis-profile.XXXXXX)
SERVER_PID=''
cleanup() {
    [[ -z $SERVER_PID ]] || kill -KILL "$SERVER_PID" 2>/dev/null || true
    rm -rf "$TMP"
}
trap cleanup EXIT

# start_server SIDE [WRAPPER...] — starts SIDE's server (under WRAPPER, e.g.
# valgrind) on a fresh port in $TMP; sets PORT and SERVER_PID once it answers.
start_server() {
    local s=$1 i
    shift
    PORT=$(pick_port)
    (cd "$TMP" && exec "$@" "${BIN[$s]}" --port "$PORT" --bind 127.0.0.1 --save '' \
        --appendonly no >>"$TMP/$s.log" 2>&1) &
    SERVER_PID=$!
    for ((i = 0; i < 600; i++)); do
        [[ $(redis-cli -p "$PORT" ping 2>/dev/null) == PONG ]] && return 0
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.1
    done
    tail -n 20 "$TMP/$s.log" >&2
    die "$s did not start"
}

# stop_server — SHUTDOWN NOSAVE and wait for the process (callgrind writes its
# profile on exit).
stop_server() {
    redis-cli -p "$PORT" shutdown nosave >/dev/null 2>&1 || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=''
}

benchmark() { # benchmark TEST REQUESTS PIPELINE
    redis-benchmark -p "$PORT" -c "$CLIENTS" -r "$RANDOM_KEYS" -t "$1" -n "$2" -P "$3" -q \
        >/dev/null 2>>"$TMP/benchmark.err"
}

# instructions SIDE TEST N — total instructions of a server life serving N
# requests of TEST at -P 16.
instructions() {
    rm -f "$TMP"/callgrind.out.*
    start_server "$1" valgrind --tool=callgrind "--callgrind-out-file=$TMP/callgrind.out.%p"
    benchmark "$2" "$3" 16
    stop_server
    callgrind_annotate "$TMP"/callgrind.out.* 2>/dev/null |
        awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }'
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

echo "## Instructions per request (callgrind, -P 16)"
echo
echo "| test | oxidis | redis | ratio |"
echo "| --- | ---: | ---: | ---: |"
IFS=, read -r -a tests <<<"$TESTS"
for t in "${tests[@]}"; do
    declare -A per=()
    for s in "${SIDES[@]}"; do
        log "callgrind: $s: $t"
        a=$(instructions "$s" "$t" "$N1")
        b=$(instructions "$s" "$t" "$N2")
        per[$s]=$(((b - a) / (N2 - N1)))
    done
    echo "| ${t^^} | ${per[oxidis]} | ${per[redis]} | $(ratio "${per[oxidis]}" "${per[redis]}") |"
done

# syscalls SIDE TEST PIPELINE — "name=calls/request ..." for the main thread over
# one run, the syscalls of at least 1% of the calls, then total=.
syscalls() {
    local out=$TMP/strace.out tracer
    start_server "$1"
    strace -c -o "$out" -p "$SERVER_PID" 2>/dev/null &
    tracer=$!
    sleep 1
    benchmark "$2" "$STRACE_N" "$3"
    kill -INT "$tracer"
    wait "$tracer" 2>/dev/null || true
    stop_server
    # strace -c rows: % time, seconds, usecs/call, calls, [errors,] syscall.
    awk -v n="$STRACE_N" '
        $1 ~ /^[0-9.]+$/ && NF >= 5 {
            if ($NF == "total") { total = $4; next }
            calls[$NF] = $4
        }
        END {
            line = ""
            # Most frequent first.
            while (1) {
                best = ""
                for (c in calls) if (best == "" || calls[c] > calls[best]) best = c
                if (best == "" || calls[best] < total / 100) break
                line = line sprintf("%s %.2f, ", best, calls[best] / n)
                delete calls[best]
            }
            printf "%stotal %.2f\n", line, total / n
        }' "$out"
}

echo
echo "## System calls per request of the event-loop thread (strace -c)"
echo
echo "| test | -P | oxidis | redis |"
echo "| --- | ---: | --- | --- |"
IFS=, read -r -a stests <<<"$STRACE_TESTS"
for t in "${stests[@]}"; do
    for p in 1 16; do
        declare -A sc=()
        for s in "${SIDES[@]}"; do
            log "strace: $s: $t -P $p"
            sc[$s]=$(syscalls "$s" "$t" "$p")
        done
        echo "| ${t^^} | $p | ${sc[oxidis]} | ${sc[redis]} |"
    done
done
