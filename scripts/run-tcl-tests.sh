#!/usr/bin/env bash
# scripts/run-tcl-tests.sh — run the upstream Redis 7.0 TCL test suite against a
# server binary (default: target/release/oxidis-server).
#
# It builds target/tcl-run/ as a miniature Redis source tree: a fresh copy of
# the suite's tests/ and runtest, plus src/redis-server -> the server under
# test and src/redis-{cli,benchmark,check-aof} -> Debian's /usr/bin tools.
# Units come from tests/tcl/units.txt (one per line, e.g. unit/type/string;
# '#' comments and blank lines ignored). Skipped tests come from
# tests/tcl/skips.txt, one per line as '<exact test name> ## <reason>' (a
# missing reason is an error; a name starting with '/' is a Tcl regexp, as in
# runtest's --skipfile). The harness output is shown and saved to
# target/tcl-run/output.log; the last line printed is 'N passed, N failed,
# N skipped'. Exit status is non-zero if any test failed, a unit did not
# finish (harness exception/crash/timeout), or no test ran and no unit
# completed (a list of test-less units such as unit/printver alone passes
# with '0 passed, 0 failed'). If the harness dies early (an [exception] ends
# runtest), the units it had not started are run again in a new harness.
# Before the harness, a preflight starts the server once with the suite's
# default.conf and checks the start-up contract, so a broken server fails in
# seconds rather than after runtest's 2-minute-per-server waits.
#
# Usage: bash scripts/run-tcl-tests.sh [extra runtest args, e.g. --only 'SET and GET an item']
# Environment:
#   OXIDIS_SERVER_BIN       server binary (default target/release/oxidis-server);
#                           /usr/bin/redis-server checks real Redis passes the lists
#   OXIDIS_TCL_UNITS        units file (default tests/tcl/units.txt)
#   OXIDIS_TCL_SKIPS        skips file (default tests/tcl/skips.txt)
#   OXIDIS_TCL_CLIENTS      parallel test clients (default 8)
#   OXIDIS_TCL_TEST_TIMEOUT harness --timeout: seconds without progress (default 600)
#   OXIDIS_TCL_TIMEOUT      wall-clock limit for the whole run in seconds (default 3000)
#   OXIDIS_TCL_WORKDIR      work dir (default target/tcl-run); two runs at once need
#                           different ones (and e.g. --baseport 31111 for one of them)
#   OXIDIS_TCL_PREFLIGHT    0 disables the quick server start/PING/SIGTERM check (default 1)
#   REDIS_SRC               Redis 7.0 source tree to take the suite from (see fetch-redis-tests.sh)
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ROOT=$OXIDIS_ROOT

SERVER_BIN=${OXIDIS_SERVER_BIN:-$ROOT/target/release/oxidis-server}
UNITS_FILE=${OXIDIS_TCL_UNITS:-$ROOT/tests/tcl/units.txt}
SKIPS_FILE=${OXIDIS_TCL_SKIPS:-$ROOT/tests/tcl/skips.txt}
CLIENTS=${OXIDIS_TCL_CLIENTS:-8}
TEST_TIMEOUT=${OXIDIS_TCL_TEST_TIMEOUT:-600}
RUN_TIMEOUT=${OXIDIS_TCL_TIMEOUT:-3000}
WORK=${OXIDIS_TCL_WORKDIR:-$ROOT/target/tcl-run}
LOG=$WORK/output.log

# ---------------------------------------------------------------- prerequisites
ensure_cmds tclsh:tcl redis-cli:redis-tools redis-benchmark:redis-tools \
    redis-check-aof:redis-tools timeout:coreutils flock:util-linux

[[ $SERVER_BIN == /* ]] || SERVER_BIN="$PWD/$SERVER_BIN"
[[ -x $SERVER_BIN ]] || die "server binary $SERVER_BIN not found or not executable (cargo build --release?)"

SUITE=$(bash "$ROOT/scripts/fetch-redis-tests.sh")
[[ -f $SUITE/tests/test_helper.tcl ]] || die "fetch-redis-tests.sh returned '$SUITE' without tests/test_helper.tcl"

# ---------------------------------------------------------------- units
[[ -f $UNITS_FILE ]] || die "units file $UNITS_FILE not found"
units=()
while IFS= read -r line || [[ -n $line ]]; do
    line=${line%%#*}                    # strip comments
    line=${line//$'\r'/}
    read -r unit rest <<<"$line" || true # trim whitespace
    [[ -n ${unit:-} ]] || continue
    [[ -z ${rest:-} ]] || die "$UNITS_FILE: one unit per line, got '$line'"
    unit=${unit%.tcl}
    unit=${unit#tests/}
    [[ -f $SUITE/tests/$unit.tcl ]] || die "$UNITS_FILE: no such unit '$unit' (expected $SUITE/tests/$unit.tcl)"
    for u in "${units[@]}"; do
        [[ $u != "$unit" ]] || die "$UNITS_FILE: unit '$unit' listed twice"
    done
    units+=("$unit")
done <"$UNITS_FILE"
[[ ${#units[@]} -gt 0 ]] || die "$UNITS_FILE lists no units"

# ---------------------------------------------------------------- lock
mkdir -p "$WORK"
exec 9>"$WORK/.lock"
flock -n 9 || die "another run is using $WORK; wait for it, or set OXIDIS_TCL_WORKDIR (and pass --baseport N so the ports differ)"

# ---------------------------------------------------------------- skips
SKIPFILE=$WORK/skipfile.txt
: >"$SKIPFILE"
skip_names=()
if [[ -f $SKIPS_FILE ]]; then
    lineno=0
    while IFS= read -r line || [[ -n $line ]]; do
        lineno=$((lineno + 1))
        line=${line//$'\r'/}
        [[ $line =~ ^[[:space:]]*$ ]] && continue
        [[ $line =~ ^[[:space:]]*# ]] && continue
        if [[ $line != *" ## "* ]]; then
            die "$SKIPS_FILE:$lineno: skip line without ' ## <reason>': $line"
        fi
        name=${line%% ## *}
        reason=${line#* ## }
        [[ $reason =~ [^[:space:]] ]] || die "$SKIPS_FILE:$lineno: empty reason: $line"
        [[ -n $name ]] || die "$SKIPS_FILE:$lineno: empty test name: $line"
        # runtest compares whole lines with [string equal] (or regexp for '/...'),
        # so the name must be exact: no trailing blanks.
        name=${name%"${name##*[![:space:]]}"}
        printf '%s\n' "$name" >>"$SKIPFILE"
        skip_names+=("$name")
    done <"$SKIPS_FILE"
else
    log "no skips file $SKIPS_FILE; running without skips"
fi

# ---------------------------------------------------------------- work dir
rm -rf "$WORK/tests" "$WORK/src" "$WORK/runtest"
cp -a "$SUITE/tests" "$WORK/tests"
cp -a "$SUITE/runtest" "$WORK/runtest"
mkdir -p "$WORK/tests/tmp" "$WORK/src"
ln -s "$SERVER_BIN" "$WORK/src/redis-server"
for tool in redis-cli redis-benchmark redis-check-aof; do
    if [[ -x /usr/bin/$tool ]]; then
        ln -s "/usr/bin/$tool" "$WORK/src/$tool"
    else
        ln -s "$(command -v "$tool")" "$WORK/src/$tool"
    fi
done
: >"$LOG"

# ---------------------------------------------------------------- preflight
# The harness waits 2 minutes for a server that never logs " PID: <pid>", and
# forever for "Ready to accept", per start_server. Check that contract once,
# quickly, with the suite's own default.conf, so a broken server fails fast.
preflight() {
    local dir=$WORK/preflight port pid i why="" reply=""
    rm -rf "$dir"
    mkdir -p "$dir"
    local attempt
    # Ports below the kernel's ephemeral range (32768+), so no client socket can
    # hold the one we pick; a port lost to a race anyway is retried, as the
    # harness itself retries on "Failed listening".
    for ((attempt = 0; attempt < 5; attempt++)); do
        for ((i = 0; i < 100; i++)); do
            port=$((22000 + RANDOM % 8000))
            (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || break
        done
        sed -e '/^port /d' -e '/^dir /d' -e '/^pidfile /d' "$WORK/tests/assets/default.conf" >"$dir/redis.conf"
        # (default.conf has no final newline)
        printf '\nport %s\ndir %s\nunixsocket %s\n' "$port" "$dir" "$dir/socket" >>"$dir/redis.conf"
        : >"$dir/stdout"
        (cd "$WORK" && exec src/redis-server "$dir/redis.conf") >"$dir/stdout" 2>"$dir/stderr" </dev/null 9>&- &
        pid=$!
        for ((i = 0; i < 20; i++)); do
            grep -qs "Failed listening on port" "$dir/stdout" && break
            grep -qs "Ready to accept" "$dir/stdout" && break
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.05
        done
        if grep -qs "Failed listening on port" "$dir/stdout"; then
            wait "$pid" 2>/dev/null || true
            continue
        fi
        break
    done
    for ((i = 0; i < 150; i++)); do
        why=""
        grep -qs " PID: $pid" "$dir/stdout" || why="no ' PID: $pid' line in its stdout"
        [[ -n $why ]] || grep -qs "Ready to accept" "$dir/stdout" || why="no 'Ready to accept' line in its stdout"
        if [[ -z $why ]]; then
            # the harness's own probe: inline PING, expects a +/- reply
            reply=$( (exec 3<>"/dev/tcp/127.0.0.1/$port" && printf 'PING\r\n' >&3 \
                && IFS= read -r -t 2 line <&3 && printf '%s' "$line") 2>/dev/null || true)
            [[ $reply == [+-]* ]] || why="no reply to an inline PING on port $port"
        fi
        if [[ -z $why ]]; then
            reply=$(timeout 5 redis-cli -p "$port" -n 9 ping 2>&1 || true)
            [[ $reply == PONG ]] || why="SELECT 9 + PING via redis-cli answered '$reply'"
        fi
        [[ -n $why ]] || break
        if ! kill -0 "$pid" 2>/dev/null; then
            why="$why; the server exited"
            break
        fi
        sleep 0.1
    done
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        kill -KILL "$pid" 2>/dev/null || true
        why=${why:-"did not exit within 10s of SIGTERM (the harness escalates to SIGSEGV/SIGKILL after 10s/20s)"}
    fi
    wait "$pid" 2>/dev/null || true
    if [[ -n $why ]]; then
        echo "preflight FAILED: $SERVER_BIN $dir/redis.conf: $why"
        echo "--- stdout (last 30 lines) ---"
        tail -n 30 "$dir/stdout" || true
        echo "--- stderr (last 30 lines) ---"
        tail -n 30 "$dir/stderr" || true
        echo "TCL suite FAILED"
        echo "0 passed, 1 failed, 0 skipped"
        exit 1
    fi
    log "preflight ok: server starts, logs PID/Ready lines, answers PING and SELECT 9, exits on SIGTERM"
}
if [[ ${OXIDIS_TCL_PREFLIGHT:-1} != 0 ]]; then
    preflight
fi

# ---------------------------------------------------------------- run
strip_ansi() { sed -e 's/\x1b\[[0-9;]*m//g' -e 's/\r$//'; }

harness_pid=
tail_pid=
# shellcheck disable=SC2317 # invoked from the INT/TERM traps
cleanup() {
    # `timeout` leads its own process group (harness, test clients and every
    # server they spawned): signalling the group stops all of them.
    if [[ -n $harness_pid ]]; then
        kill -TERM -- "-$harness_pid" 2>/dev/null || true
        sleep 1
        kill -KILL -- "-$harness_pid" 2>/dev/null || true
    fi
    if [[ -n $tail_pid ]]; then kill "$tail_pid" 2>/dev/null || true; fi
}
trap 'cleanup; exit 130' INT
trap 'cleanup; exit 143' TERM

start_time=$(date +%s)
deadline=$((start_time + RUN_TIMEOUT))
remaining=("${units[@]}")
declare -A started=() done_units=() unit_secs=()
harness_failures=()
batch=0

log "server: $SERVER_BIN"
log "suite:  $SUITE"
log "units:  ${units[*]}"
log "skips:  ${#skip_names[@]} entries; clients: $CLIENTS; per-test timeout ${TEST_TIMEOUT}s; run limit ${RUN_TIMEOUT}s"

while [[ ${#remaining[@]} -gt 0 ]]; do
    batch=$((batch + 1))
    now=$(date +%s)
    left=$((deadline - now))
    if [[ $left -le 0 ]]; then
        harness_failures+=("run time limit (${RUN_TIMEOUT}s) reached before units ran: ${remaining[*]}")
        break
    fi
    args=()
    for u in "${remaining[@]}"; do args+=(--single "$u"); done
    args+=(--skipfile "$SKIPFILE" --clients "$CLIENTS" --timeout "$TEST_TIMEOUT" --durable "$@")

    offset=$(($(stat -c %s "$LOG") + 1))
    printf '=== oxidis run-tcl-tests batch %d: tclsh tests/test_helper.tcl %s\n' "$batch" "${args[*]}" >>"$LOG"
    tail -c "+$offset" -f "$LOG" 9>&- &
    tail_pid=$!
    set +e
    (cd "$WORK" && exec timeout --kill-after=30 "$left" tclsh tests/test_helper.tcl "${args[@]}") \
        </dev/null >>"$LOG" 2>&1 9>&- &
    harness_pid=$!
    wait "$harness_pid"
    rc=$?
    set -e
    # Kill anything the harness left behind in its process group (servers of
    # a crashed test client, say).
    kill -KILL -- "-$harness_pid" 2>/dev/null || true
    harness_pid=
    sleep 1.2 # let tail print the last lines
    kill "$tail_pid" 2>/dev/null || true
    wait "$tail_pid" 2>/dev/null || true
    tail_pid=

    batch_out=$(tail -c "+$offset" "$LOG" | strip_ansi)
    new_started=0
    for u in "${remaining[@]}"; do
        if grep -Fxq "Testing $u" <<<"$batch_out"; then
            started[$u]=1
            new_started=$((new_started + 1))
        fi
    done
    while IFS=$'\t' read -r u secs; do
        [[ -n $u ]] || continue
        done_units[$u]=1
        unit_secs[$u]=$secs
    done < <(sed -n -E 's/^\[[0-9]+\/[0-9]+ done\]: ([^ ]+) \(([0-9]+) seconds\)$/\1\t\2/p' <<<"$batch_out")

    if [[ $rc -eq 124 || $rc -eq 137 ]]; then
        harness_failures+=("batch $batch killed by the ${RUN_TIMEOUT}s run time limit (exit $rc)")
    elif [[ $rc -ne 0 ]] && ! grep -Eq '^\[(err|exception|TIMEOUT)\]' <<<"$batch_out"; then
        harness_failures+=("batch $batch: harness exited with status $rc without reporting a failure (see $LOG)")
    fi

    next=()
    for u in "${remaining[@]}"; do
        [[ -n ${started[$u]:-} ]] || next+=("$u")
    done
    remaining=("${next[@]}")
    if [[ ${#remaining[@]} -gt 0 ]]; then
        if [[ $new_started -eq 0 || $rc -eq 124 || $rc -eq 137 ]]; then
            harness_failures+=("units never started: ${remaining[*]}")
            break
        fi
        log "harness stopped early (exit $rc); re-running the ${#remaining[@]} unit(s) it did not start"
    fi
done
end_time=$(date +%s)

# ---------------------------------------------------------------- summary
out=$(strip_ansi <"$LOG")
count() { grep -Ec "$1" <<<"$out" || true; }
n_ok=$(count '^\[ok\]: ')
n_err=$(count '^\[err\]: ')
n_exc=$(count '^\[exception\]: ')
n_tmo=$(count '^\[TIMEOUT\]: ')
n_skip=$(count '^\[skip\]: ')
n_ign=$(count '^\[ignore\]: ')

incomplete=()
for u in "${units[@]}"; do
    [[ -n ${done_units[$u]:-} ]] || incomplete+=("$u")
done

n_failed=$((n_err + n_exc + n_tmo + ${#harness_failures[@]}))
# A unit that started but never finished without any exception/timeout line
# to explain it still has to count.
if [[ ${#incomplete[@]} -gt 0 && $n_failed -eq 0 ]]; then
    n_failed=${#incomplete[@]}
fi

echo
echo "==================== oxidis TCL suite summary ===================="
echo "server:  $SERVER_BIN"
echo "log:     $LOG"
echo "wall:    $((end_time - start_time))s, $batch harness batch(es), --clients $CLIENTS"
echo "units:"
for u in "${units[@]}"; do
    if [[ -n ${done_units[$u]:-} ]]; then
        printf '  %-40s done in %ss\n' "$u" "${unit_secs[$u]}"
    elif [[ -n ${started[$u]:-} ]]; then
        printf '  %-40s DID NOT FINISH\n' "$u"
    else
        printf '  %-40s NOT RUN\n' "$u"
    fi
done
echo "ok: $n_ok  err: $n_err  exception: $n_exc  timeout: $n_tmo  skip: $n_skip  ignore(tags): $n_ign"

if [[ $((n_err + n_exc + n_tmo)) -gt 0 ]]; then
    echo
    echo "Failed:"
    grep -E '^\[(err|exception|TIMEOUT)\]: ' <<<"$out" | sed 's/^/  /'
fi
for f in "${harness_failures[@]}"; do
    echo "  [harness] $f"
done

# Skip entries that matched nothing (only meaningful if every unit finished).
if [[ ${#incomplete[@]} -eq 0 && ${#skip_names[@]} -gt 0 ]]; then
    skipped_list=$(sed -n 's/^\[skip\]: //p' <<<"$out")
    for name in "${skip_names[@]}"; do
        [[ $name == /* ]] && continue
        grep -Fxq -- "$name" <<<"$skipped_list" \
            || echo "note: skip entry matched no test in these units: $name"
    done
fi

status=0
if [[ $n_failed -gt 0 || ${#incomplete[@]} -gt 0 ]]; then
    status=1
fi
if [[ $n_ok -eq 0 && $n_failed -eq 0 ]]; then
    if [[ ${#done_units[@]} -eq 0 ]]; then
        echo "no test ran and no unit completed"
        status=1
        n_failed=1
    else
        echo "note: the listed units completed but contain no test (e.g. unit/printver only)"
    fi
fi
[[ $status -eq 0 ]] || echo "TCL suite FAILED"
echo "$n_ok passed, $n_failed failed, $n_skip skipped"
exit "$status"
