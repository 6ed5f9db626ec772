#!/usr/bin/env bash
# scripts/bench.sh — side-by-side benchmark of oxidis-server against Debian's
# real redis-server 7.0 (not part of CI).
#
# Starts its own instance of each server on free loopback ports with the same
# flags (--port P --bind 127.0.0.1 --save '' --appendonly no
# --enable-debug-command local), never a system instance, and kills them on
# exit. Then:
#   * memory: on the fresh servers, FLUSHALL, DEBUG POPULATE $MEM_KEYS, and
#     bytes/key from INFO memory used_memory and used_memory_rss (growth over
#     the empty server divided by the key count), with the oxidis/redis ratio;
#   * throughput: redis-benchmark (-c 50 -r 100000, -q --csv) for every test in
#     $TESTS at -P 1 and -P 16, plus SET/GET with -d 1024, in alternating
#     rounds (oxidis, redis, oxidis, redis, ...), printing the median rps of
#     each side and the ratio. A test a server fails (error reply, crash,
#     unknown command, timeout) shows n/a; a crashed server is restarted.
#
# Usage: bash scripts/bench.sh
# Environment (defaults in brackets):
#   OXIDIS_SERVER_BIN [target/release/oxidis-server, built if missing]
#   REDIS_SERVER_BIN  [/usr/bin/redis-server]   ROUNDS [3]   CLIENTS [50]
#   RANDOM_KEYS [100000]   N_P1 [100000]   N_P16 [1000000]   PIPELINES ["1 16"]
#   TESTS [ping_inline,ping_mbulk,set,get,incr,lpush,rpush,lpop,rpop,sadd,hset,
#          spop,zadd,zpopmin,lrange_100,lrange_300,lrange_500,lrange_600,mset]
#         (redis-benchmark -t names; e.g. TESTS=set,get,incr,mset)
#   LARGE_TESTS [set,get]  LARGE_SIZE [1024]  (empty LARGE_TESTS disables)
#   MEM_KEYS [1000000]     (0 disables the memory section)
#   BENCH_TIMEOUT [300]    (seconds per redis-benchmark run)
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ROOT=$OXIDIS_ROOT

OXIDIS_BIN=${OXIDIS_SERVER_BIN:-$ROOT/target/release/oxidis-server}
REDIS_BIN=${REDIS_SERVER_BIN:-/usr/bin/redis-server}
ROUNDS=${ROUNDS:-3}
CLIENTS=${CLIENTS:-50}
RANDOM_KEYS=${RANDOM_KEYS:-100000}
N_P1=${N_P1:-100000}
N_P16=${N_P16:-1000000}
PIPELINES=${PIPELINES:-1 16}
TESTS=${TESTS:-ping_inline,ping_mbulk,set,get,incr,lpush,rpush,lpop,rpop,sadd,hset,spop,zadd,zpopmin,lrange_100,lrange_300,lrange_500,lrange_600,mset}
LARGE_TESTS=${LARGE_TESTS-set,get}
LARGE_SIZE=${LARGE_SIZE:-1024}
MEM_KEYS=${MEM_KEYS:-1000000}
BENCH_TIMEOUT=${BENCH_TIMEOUT:-300}

# ------------------------------------------------------------------ setup
ensure_cmds redis-benchmark:redis-tools redis-cli:redis-tools timeout:coreutils
if [[ ! -x $REDIS_BIN ]]; then
    [[ $REDIS_BIN == /usr/bin/redis-server ]] || die "REDIS_SERVER_BIN=$REDIS_BIN not executable"
    apt_install redis-server
fi
if [[ ! -x $OXIDIS_BIN && -z ${OXIDIS_SERVER_BIN:-} ]]; then
    log "building oxidis-server (cargo build --release)"
    (cd "$ROOT" && cargo build --release --bin oxidis-server >&2)
fi
[[ -x $OXIDIS_BIN ]] || die "oxidis binary $OXIDIS_BIN not executable"
[[ $OXIDIS_BIN == /* ]] || OXIDIS_BIN="$PWD/$OXIDIS_BIN"
[[ $REDIS_BIN == /* ]] || REDIS_BIN="$PWD/$REDIS_BIN"

TMP=$(mktemp -d /tmp/oxidis-bench.XXXXXX)
declare -A BIN=([oxidis]=$OXIDIS_BIN [redis]=$REDIS_BIN) PORT=() PID=()
SIDES=(oxidis redis)

cleanup() {
    local s
    for s in "${SIDES[@]}"; do
        if [[ -n ${PID[$s]:-} ]]; then
            kill "${PID[$s]}" 2>/dev/null || true
        fi
    done
    sleep 0.5
    for s in "${SIDES[@]}"; do
        if [[ -n ${PID[$s]:-} ]]; then
            kill -KILL "${PID[$s]}" 2>/dev/null || true
        fi
    done
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# port_in_use PORT — true if something accepts connections on 127.0.0.1:PORT.
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

pick_port() {
    local p tries=0
    while ((tries++ < 200)); do
        p=$((20000 + RANDOM % 20000))
        if ! port_in_use "$p" && [[ " ${PORT[*]-} " != *" $p "* ]]; then
            echo "$p"
            return 0
        fi
    done
    die "no free port found"
}

cli() { timeout 60 redis-cli -h 127.0.0.1 -p "${PORT[$1]}" "${@:2}"; }

# start_side SIDE — start (or restart) SIDE's server on its port and wait for PONG.
start_side() {
    local s=$1 i
    [[ -n ${PORT[$s]:-} ]] || PORT[$s]=$(pick_port)
    port_in_use "${PORT[$s]}" && die "port ${PORT[$s]} for $s is already in use"
    mkdir -p "$TMP/$s"
    (cd "$TMP/$s" && exec "${BIN[$s]}" --port "${PORT[$s]}" --bind 127.0.0.1 --save '' \
        --appendonly no --enable-debug-command local >>"$TMP/$s/server.log" 2>&1) &
    PID[$s]=$!
    for ((i = 0; i < 100; i++)); do
        if [[ $(cli "$s" ping 2>/dev/null) == PONG ]]; then
            local info_pid
            info_pid=$(cli "$s" info server 2>/dev/null | tr -d '\r' | sed -n 's/^process_id://p')
            if [[ -n $info_pid && $info_pid != "${PID[$s]}" ]]; then
                die "$s on port ${PORT[$s]} answers with process_id $info_pid, not our pid ${PID[$s]}"
            fi
            log "$s: ${BIN[$s]} pid ${PID[$s]} on port ${PORT[$s]}"
            return 0
        fi
        kill -0 "${PID[$s]}" 2>/dev/null || break
        sleep 0.1
    done
    tail -n 20 "$TMP/$s/server.log" >&2 || true
    die "$s (${BIN[$s]}) did not start on port ${PORT[$s]}"
}

# ensure_alive SIDE — restart SIDE's server if it died.
ensure_alive() {
    if ! kill -0 "${PID[$1]}" 2>/dev/null; then
        log "WARNING: $1 server (pid ${PID[$1]}) died; restarting it"
        wait "${PID[$1]}" 2>/dev/null || true
        start_side "$1"
    fi
}

info_field() { # info_field SIDE FIELD
    cli "$1" info memory 2>/dev/null | tr -d '\r' | sed -n "s/^$2://p"
}

median() { sort -g | awk '{a[NR]=$1} END { if (NR == 0) exit; if (NR % 2) print a[(NR+1)/2]; else printf "%.2f\n", (a[NR/2]+a[NR/2+1])/2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b + 0 == 0) print "n/a"; else printf "%.2f\n", a / b }'; }

for s in "${SIDES[@]}"; do start_side "$s"; done

# ------------------------------------------------------------------ memory
declare -A MEM=()
if [[ $MEM_KEYS -gt 0 ]]; then
    for s in "${SIDES[@]}"; do
        log "memory: $s DEBUG POPULATE $MEM_KEYS"
        cli "$s" flushall >/dev/null 2>&1 || true
        u0=$(info_field "$s" used_memory)
        r0=$(info_field "$s" used_memory_rss)
        reply=$(cli "$s" debug populate "$MEM_KEYS" 2>&1 || true)
        n=$(cli "$s" dbsize 2>/dev/null || true)
        u1=$(info_field "$s" used_memory)
        r1=$(info_field "$s" used_memory_rss)
        if [[ $reply == OK && $n == "$MEM_KEYS" && -n $u0 && -n $u1 ]]; then
            MEM[$s.used]=$(awk -v a="$u1" -v b="$u0" -v n="$n" 'BEGIN { printf "%.1f", (a - b) / n }')
            MEM[$s.used_total]=$u1
        else
            log "memory: $s: DEBUG POPULATE -> '$reply', dbsize '$n', used_memory '$u0'/'$u1'"
        fi
        if [[ $reply == OK && $n == "$MEM_KEYS" && -n $r0 && -n $r1 ]]; then
            MEM[$s.rss]=$(awk -v a="$r1" -v b="$r0" -v n="$n" 'BEGIN { printf "%.1f", (a - b) / n }')
            MEM[$s.rss_total]=$r1
        fi
        cli "$s" flushall >/dev/null 2>&1 || true
        ensure_alive "$s"
    done
fi

# ------------------------------------------------------------------ throughput
# RES["side|P|label"] = space-separated rps values; LABELS keeps first-seen order.
declare -A RES=() SEEN=()
LABELS=()
add_label() {
    if [[ -z ${SEEN[$1]:-} ]]; then
        SEEN[$1]=1
        LABELS+=("$1")
    fi
}

# run_one SIDE PIPELINE TEST DATASIZE SUFFIX
run_one() {
    local s=$1 p=$2 t=$3 d=$4 suffix=$5 n out rc=0 line name rps got=0
    n=$N_P1
    [[ $p -le 1 ]] || n=$N_P16
    ensure_alive "$s"
    out=$(timeout "$BENCH_TIMEOUT" redis-benchmark -h 127.0.0.1 -p "${PORT[$s]}" \
        -c "$CLIENTS" -n "$n" -r "$RANDOM_KEYS" -P "$p" -d "$d" -t "$t" -q --csv \
        2>>"$TMP/$s/benchmark.err") || rc=$?
    while IFS= read -r line; do
        line=${line//$'\r'/}
        [[ $line == '"test",'* || -z $line ]] && continue
        name=$(cut -d'"' -f2 <<<"$line")
        rps=$(cut -d'"' -f4 <<<"$line")
        [[ $name == *"(needed to benchmark"* ]] && continue
        name=${name%% (*}
        [[ $rps =~ ^[0-9.]+$ ]] || continue
        # a run that died mid-way may print rps for work not done; only
        # count rows of successful runs
        if [[ $rc -eq 0 ]]; then
            add_label "$name$suffix|$p"
            RES["$s|$p|$name$suffix"]+="$rps "
            got=1
        fi
    done <<<"$out"
    if [[ $got -eq 0 ]]; then
        # nothing usable: make sure the test still gets a (n/a) row
        add_label "${t^^}$suffix|$p"
        printf '%s\n' "$(date +%T) $s -P $p -t $t -d $d: exit $rc, no result" >>"$TMP/$s/benchmark.err"
    fi
}

IFS=, read -r -a test_list <<<"$TESTS"
large_list=()
[[ -z $LARGE_TESTS ]] || IFS=, read -r -a large_list <<<"$LARGE_TESTS"
read -r -a pipeline_list <<<"$PIPELINES"

for ((round = 1; round <= ROUNDS; round++)); do
    for s in "${SIDES[@]}"; do
        log "round $round/$ROUNDS: $s"
        for p in "${pipeline_list[@]}"; do
            for t in "${test_list[@]}"; do
                run_one "$s" "$p" "$t" 3 ""
            done
            for t in "${large_list[@]}"; do
                run_one "$s" "$p" "$t" "$LARGE_SIZE" " -d $LARGE_SIZE"
            done
        done
    done
done

# ------------------------------------------------------------------ report
echo
echo "oxidis: $OXIDIS_BIN"
echo "redis:  $REDIS_BIN ($("$REDIS_BIN" --version 2>/dev/null | head -n1 || true))"
echo "redis-benchmark -c $CLIENTS -r $RANDOM_KEYS, -n $N_P1 at -P 1 / $N_P16 at -P >1; median of $ROUNDS alternating rounds"
echo
# side_median SIDE P LABEL — "median count" of the recorded rps values, or empty.
side_median() {
    local vals m
    vals=$(tr ' ' '\n' <<<"${RES["$1|$2|$3"]:-}" | grep . || true)
    [[ -n $vals ]] || return 0
    m=$(median <<<"$vals")
    echo "$m $(wc -l <<<"$vals")"
}
# show "MEDIAN COUNT" — the median, marked with (k/ROUNDS) if some runs failed.
show() {
    if [[ -z $1 ]]; then
        echo n/a
    elif [[ ${1#* } -lt $ROUNDS ]]; then
        echo "${1% *}(${1#* }/$ROUNDS)"
    else
        echo "${1% *}"
    fi
}
printf '%-22s %8s %14s %14s %8s\n' test pipeline "oxidis rps" "redis rps" ratio
printf '%-22s %8s %14s %14s %8s\n' ---- -------- ---------- --------- -----
for p in "${pipeline_list[@]}"; do
    for key in "${LABELS[@]}"; do
        [[ ${key##*|} == "$p" ]] || continue
        label=${key%|*}
        mo=$(side_median oxidis "$p" "$label")
        mr=$(side_median redis "$p" "$label")
        printf '%-22s %8s %14s %14s %8s\n' "$label" "$p" "$(show "$mo")" "$(show "$mr")" \
            "$(ratio "${mo% *}" "${mr% *}")"
    done
done

if [[ $MEM_KEYS -gt 0 ]]; then
    echo
    echo "memory after DEBUG POPULATE $MEM_KEYS (growth over the empty server / keys)"
    printf '%-8s %18s %18s %16s %16s\n' server "used_memory B/key" "rss B/key" "used_memory" "used_memory_rss"
    for s in "${SIDES[@]}"; do
        printf '%-8s %18s %18s %16s %16s\n' "$s" "${MEM[$s.used]:-n/a}" "${MEM[$s.rss]:-n/a}" \
            "${MEM[$s.used_total]:-n/a}" "${MEM[$s.rss_total]:-n/a}"
    done
    printf '%-8s %18s %18s\n' "ratio" "$(ratio "${MEM[oxidis.used]:-}" "${MEM[redis.used]:-}")" \
        "$(ratio "${MEM[oxidis.rss]:-}" "${MEM[redis.rss]:-}")"
fi

for s in "${SIDES[@]}"; do
    if [[ -s $TMP/$s/benchmark.err ]]; then
        echo
        echo "$s: redis-benchmark errors (last 10 lines):"
        tail -n 10 "$TMP/$s/benchmark.err" | sed 's/^/  /'
    fi
done
