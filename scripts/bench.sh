#!/usr/bin/env bash
# scripts/bench.sh — side-by-side measurements of oxidis-server against Debian's
# redis-server 7.0 (issue #6; not part of CI: figures, never pass/fail).
#
# Starts its own instance of each server on free loopback ports with the same
# flags (--port P --bind 127.0.0.1 --save '' --appendonly no
# --enable-debug-command local, cwd in a temp dir), never a system instance,
# and kills them on exit. Every figure is one markdown table row: oxidis, redis
# and the ratio oxidis/redis. The sections (SECTIONS, in this order):
#   memory      bytes per key, from INFO used_memory and used_memory_rss (growth
#               over the freshly started server divided by the key count), for
#               DEBUG POPULATE $MEM_KEYS; $MEM_HASHES hashes of 5 fields;
#               $MEM_TTL_KEYS string keys with a TTL; $MEM_SETS sets of 10
#               members. Each dataset on freshly started servers; all but
#               POPULATE are generated once as RESP and the same bytes are fed
#               to both with redis-cli --pipe.
#   throughput  redis-benchmark (-c 50 -r 100000, -q --csv) for every test in
#               $TESTS at -P 1 and -P 16, plus SET/GET with -d 1024, in
#               alternating rounds (oxidis, redis, oxidis, redis, ...): the
#               median rps of each side, and the median server CPU time per
#               request (utime + stime from /proc/PID/stat over each run).
#               With PIN=1 (and 2+ CPUs) the server under test runs on CPU 0
#               and redis-benchmark on CPU 1 meanwhile: on a 2-core machine
#               the scheduler otherwise moves them onto one core now and then,
#               which swings single runs by 15% either way. A test a server fails (error reply,
#               crash, unknown command, timeout) shows n/a; a crashed server is
#               restarted. With NULL_SERVER=yes each round also runs every
#               test against examples/null_server.rs, a server that does no
#               work (canned replies shaped like Redis's, nothing stored; its
#               event loop is Redis's plus oxidis's coalesced wait while
#               clients pipeline): its rps is what redis-benchmark reaches
#               when the server costs next to nothing, so a test where it is
#               no faster than Redis is limited by the client, and no server
#               can beat Redis there.
#   latency     (with throughput) p50, p99 and max latency of $LATENCY_TESTS in
#               the -P 1 runs, from redis-benchmark's --csv columns: the median
#               p50 and p99 over the rounds, the worst max.
#   probe       examples/latency_probe.rs on a fresh server: $PROBE_WRITERS
#               pipelined writers SET $PROBE_KEYS keys while one client times
#               every single PING/GET it sends: p50/p99/p99.9/max and how many
#               took over 2 ms (issue #6's target: none, thanks to incremental
#               rehashing). One writer by default: with more, on 2 cores, the
#               probe measures the scheduler more than the server. With PIN=1
#               the server runs on CPU 0 and the probe on CPU 1. The timing
#               thread asks for SCHED_FIFO (PROBE_REALTIME=yes; it needs root or
#               CAP_SYS_NICE, and the report says whether it got it): at normal
#               priority a reply waits behind the probe's own writer thread for
#               up to the scheduler's wakeup granularity, 3-4 ms, whichever
#               server sent it.
#   snapshot    BGSAVE of $SNAPSHOT_KEYS keys (DEBUG POPULATE) on a fresh
#               server: fork time (INFO latest_fork_usec), time from BGSAVE
#               until INFO says it is done, RDB file size, and the extra memory:
#               the peak of (parent RSS growth + the child's private memory,
#               Private_Clean + Private_Dirty from smaps_rollup), sampled from
#               /proc every $SAMPLE_MS ms. With SNAPSHOT_WRITES=1 a latency_probe
#               overwrites every key once during the save (one writer), which
#               makes copy-on-write happen, and its slowest request shows what
#               the fork and the save cost clients.
# The report starts with a header (machine, versions, command line, settings)
# and goes to stdout, and also to the file $OUTPUT if set; progress goes to
# stderr.
#
# Usage: bash scripts/bench.sh
#        OUTPUT=docs/benchmarks.md bash scripts/bench.sh
#        SECTIONS=memory MEM_KEYS=100000 MEM_HASHES=0 bash scripts/bench.sh
# Environment (defaults in brackets):
#   OXIDIS_SERVER_BIN [target/release/oxidis-server, built by cargo]
#   REDIS_SERVER_BIN  [/usr/bin/redis-server]
#   LATENCY_PROBE_BIN [target/release/examples/latency_probe, built by cargo]
#   NULL_SERVER_BIN   [target/release/examples/null_server, built by cargo]
#   SECTIONS [memory,throughput,probe,snapshot]   OUTPUT [none]
#   memory:     MEM_KEYS [1000000] (DEBUG POPULATE)   MEM_HASHES [1000000]
#               MEM_TTL_KEYS [1000000]   MEM_SETS [100000]   (0 skips one)
#   throughput: PIN [1]   ROUNDS [3]   CLIENTS [50]   RANDOM_KEYS [100000]   N_P1 [100000]
#               N_P16 [1000000]   PIPELINES ["1 16"]
#               TESTS [ping_inline,ping_mbulk,set,get,incr,lpush,rpush,lpop,
#                      rpop,sadd,hset,spop,zadd,zpopmin,lrange_100,lrange_300,
#                      lrange_500,lrange_600,mset] (redis-benchmark -t names)
#               LARGE_TESTS [set,get]  LARGE_SIZE [1024]  (empty LARGE_TESTS disables)
#               LATENCY_TESTS [SET,GET] (test names as redis-benchmark prints them)
#               NULL_SERVER [yes] (no: skip the no-work server's runs)
#   probe:      PROBE_KEYS [5000000]   PROBE_WRITERS [1]   PROBE_PIPELINE [100]
#               PROBE_REALTIME [yes]
#   snapshot:   SNAPSHOT_KEYS [5000000]   SNAPSHOT_WRITES [1]   SAMPLE_MS [20]
#   BENCH_TIMEOUT [300] (seconds for each redis-benchmark run, load, probe, save)
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
ROOT=$OXIDIS_ROOT

# The settings given in the environment, for the report's command line.
KNOBS=(OXIDIS_SERVER_BIN REDIS_SERVER_BIN LATENCY_PROBE_BIN NULL_SERVER_BIN SECTIONS OUTPUT
    MEM_KEYS MEM_HASHES MEM_TTL_KEYS MEM_SETS
    PIN ROUNDS CLIENTS RANDOM_KEYS N_P1 N_P16 PIPELINES TESTS LARGE_TESTS LARGE_SIZE LATENCY_TESTS
    NULL_SERVER PROBE_KEYS PROBE_WRITERS PROBE_PIPELINE PROBE_REALTIME SNAPSHOT_KEYS SNAPSHOT_WRITES SAMPLE_MS BENCH_TIMEOUT)
GIVEN=()
for k in "${KNOBS[@]}"; do
    if [[ -n ${!k+x} ]]; then
        GIVEN+=("$k=$(printf '%q' "${!k}")")
    fi
done
COMMAND_LINE="${GIVEN[*]+${GIVEN[*]} }bash $0${*+ $*}"
START_DATE=$(date -u '+%Y-%m-%d %H:%M UTC')

OXIDIS_BIN=${OXIDIS_SERVER_BIN:-$ROOT/target/release/oxidis-server}
REDIS_BIN=${REDIS_SERVER_BIN:-/usr/bin/redis-server}
PROBE_BIN=${LATENCY_PROBE_BIN:-$ROOT/target/release/examples/latency_probe}
NULL_BIN=${NULL_SERVER_BIN:-$ROOT/target/release/examples/null_server}
SECTIONS=${SECTIONS:-memory,throughput,probe,snapshot}
OUTPUT=${OUTPUT:-}
MEM_KEYS=${MEM_KEYS:-1000000}
MEM_HASHES=${MEM_HASHES:-1000000}
MEM_TTL_KEYS=${MEM_TTL_KEYS:-1000000}
MEM_SETS=${MEM_SETS:-100000}
PIN=${PIN:-1}
[[ $(nproc) -ge 2 ]] || PIN=0
ROUNDS=${ROUNDS:-3}
CLIENTS=${CLIENTS:-50}
RANDOM_KEYS=${RANDOM_KEYS:-100000}
N_P1=${N_P1:-100000}
N_P16=${N_P16:-1000000}
PIPELINES=${PIPELINES:-1 16}
TESTS=${TESTS:-ping_inline,ping_mbulk,set,get,incr,lpush,rpush,lpop,rpop,sadd,hset,spop,zadd,zpopmin,lrange_100,lrange_300,lrange_500,lrange_600,mset}
LARGE_TESTS=${LARGE_TESTS-set,get}
LARGE_SIZE=${LARGE_SIZE:-1024}
LATENCY_TESTS=${LATENCY_TESTS:-SET,GET}
NULL_SERVER=${NULL_SERVER:-yes}
[[ $NULL_SERVER == yes || $NULL_SERVER == no ]] || die "NULL_SERVER must be yes or no"
PROBE_KEYS=${PROBE_KEYS:-5000000}
PROBE_WRITERS=${PROBE_WRITERS:-1}
PROBE_PIPELINE=${PROBE_PIPELINE:-100}
PROBE_REALTIME=${PROBE_REALTIME:-yes}
SNAPSHOT_KEYS=${SNAPSHOT_KEYS:-5000000}
SNAPSHOT_WRITES=${SNAPSHOT_WRITES:-1}
SAMPLE_MS=${SAMPLE_MS:-20}
BENCH_TIMEOUT=${BENCH_TIMEOUT:-300}

# section NAME — true if NAME is in $SECTIONS.
section() { [[ ",$SECTIONS," == *",$1,"* ]]; }
IFS=, read -r -a section_list <<<"$SECTIONS"
for s in "${section_list[@]}"; do
    case $s in
    memory | throughput | probe | snapshot) ;;
    *) die "unknown section '$s' in SECTIONS (memory, throughput, probe, snapshot)" ;;
    esac
done

# ------------------------------------------------------------------ setup
ensure_cmds redis-benchmark:redis-tools redis-cli:redis-tools timeout:coreutils pgrep:procps \
    taskset:util-linux
if [[ ! -x $REDIS_BIN ]]; then
    [[ $REDIS_BIN == /usr/bin/redis-server ]] || die "REDIS_SERVER_BIN=$REDIS_BIN not executable"
    apt_install redis-server
fi
# Built (or found up to date) unless given, so that it matches the commit the
# report names.
if [[ -z ${OXIDIS_SERVER_BIN:-} ]]; then
    log "building oxidis-server (cargo build --release)"
    (cd "$ROOT" && cargo build --release --bin oxidis-server >&2)
fi
[[ -x $OXIDIS_BIN ]] || die "oxidis binary $OXIDIS_BIN not executable"
if { section probe || { section snapshot && [[ $SNAPSHOT_WRITES == 1 ]]; }; } \
    && [[ -z ${LATENCY_PROBE_BIN:-} ]]; then
    log "building the latency probe (cargo build --release --example latency_probe)"
    (cd "$ROOT" && cargo build --release --example latency_probe >&2)
fi
if section throughput && [[ $NULL_SERVER == yes && -z ${NULL_SERVER_BIN:-} ]]; then
    log "building the no-work server (cargo build --release --example null_server)"
    (cd "$ROOT" && cargo build --release --example null_server >&2)
fi
[[ $OXIDIS_BIN == /* ]] || OXIDIS_BIN="$PWD/$OXIDIS_BIN"
[[ $NULL_BIN == /* ]] || NULL_BIN="$PWD/$NULL_BIN"
[[ $REDIS_BIN == /* ]] || REDIS_BIN="$PWD/$REDIS_BIN"
[[ $PROBE_BIN == /* ]] || PROBE_BIN="$PWD/$PROBE_BIN"

TMP=$(mktemp -d /tmp/oxidis-bench.XXXXXX)
declare -A BIN=([oxidis]=$OXIDIS_BIN [redis]=$REDIS_BIN [null]=$NULL_BIN) PORT=() PID=()
SIDES=(oxidis redis)
# the throughput rounds also run the no-work server (NULL_SERVER=yes)
THROUGHPUT_SIDES=(oxidis redis)
[[ $NULL_SERVER != yes ]] || THROUGHPUT_SIDES+=(null)
BG_PIDS=() # load generators running in the background

cleanup() {
    local s p
    for p in "${BG_PIDS[@]}"; do
        kill "$p" 2>/dev/null || true
    done
    for s in "${!PID[@]}"; do
        if [[ -n ${PID[$s]:-} ]]; then
            kill "${PID[$s]}" 2>/dev/null || true
        fi
    done
    sleep 0.5
    for s in "${!PID[@]}"; do
        if [[ -n ${PID[$s]:-} ]]; then
            kill -KILL "${PID[$s]}" 2>/dev/null || true
        fi
    done
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

cli() { timeout 60 redis-cli -h 127.0.0.1 -p "${PORT[$1]}" "${@:2}"; }

# start_side SIDE — start (or restart) SIDE's server on its port and wait for PONG.
start_side() {
    local s=$1 i
    [[ -n ${PORT[$s]:-} ]] || PORT[$s]=$(pick_port "${PORT[@]}")
    port_in_use "${PORT[$s]}" && die "port ${PORT[$s]} for $s is already in use"
    mkdir -p "$TMP/$s"
    if [[ $s == null ]]; then
        (cd "$TMP/$s" && exec "${BIN[$s]}" --port "${PORT[$s]}" --bind 127.0.0.1 \
            >>"$TMP/$s/server.log" 2>&1) &
    else
        (cd "$TMP/$s" && exec "${BIN[$s]}" --port "${PORT[$s]}" --bind 127.0.0.1 --save '' \
            --appendonly no --enable-debug-command local >>"$TMP/$s/server.log" 2>&1) &
    fi
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

# stop_side SIDE — stop SIDE's server (SIGTERM, SIGKILL after 10 s) and reap it.
stop_side() {
    local s=$1 i
    [[ -n ${PID[$s]:-} ]] || return 0
    kill "${PID[$s]}" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
        kill -0 "${PID[$s]}" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "${PID[$s]}" 2>/dev/null || true
    wait "${PID[$s]}" 2>/dev/null || true
    PID[$s]=
}

# fresh_side SIDE — a freshly started server, so memory figures start from zero.
fresh_side() {
    stop_side "$1"
    start_side "$1"
}

# ensure_alive SIDE — restart SIDE's server if it died.
ensure_alive() {
    if ! kill -0 "${PID[$1]}" 2>/dev/null; then
        log "WARNING: $1 server (pid ${PID[$1]}) died; restarting it"
        wait "${PID[$1]}" 2>/dev/null || true
        start_side "$1"
    fi
}

info_field() { # info_field SIDE FIELD [SECTION]
    cli "$1" info "${3:-all}" 2>/dev/null | tr -d '\r' | sed -n "s/^$2://p"
}

# proc_kb FILE FIELD... — sets KB to the sum of the FIELDs (kB) in /proc FILE;
# 0 when the process is gone. No fork: it runs in the sampling loop.
proc_kb() {
    local file=$1 k v _ f
    shift
    KB=0
    { while read -r k v _; do
        for f in "$@"; do
            if [[ $k == "$f:" ]]; then
                KB=$((KB + v))
            fi
        done
    done <"$file"; } 2>/dev/null || true
}

median() { sort -g | awk '{a[NR]=$1} END { if (NR == 0) exit; if (NR % 2) print a[(NR+1)/2]; else printf "%.2f\n", (a[NR/2]+a[NR/2+1])/2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || a == "n/a" || b == "n/a" || b + 0 == 0) print "n/a"; else printf "%.2f\n", a / b }'; }
# fmt PRINTF-FORMAT VALUE — VALUE formatted, or n/a when there is none.
fmt() { if [[ -n $2 && $2 != n/a ]]; then awk -v f="$1" -v v="$2" 'BEGIN { printf f "\n", v }'; else echo n/a; fi; }
# row CELL... — one markdown table row.
row() {
    local c line="|"
    for c in "$@"; do line+=" $c |"; done
    echo "$line"
}
# rule N — the markdown header separator for N columns, numbers right-aligned.
rule() {
    local i line="| --- |"
    for ((i = 1; i < $1; i++)); do line+=" ---: |"; done
    echo "$line"
}
now() { echo "$EPOCHREALTIME"; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f\n", b - a }'; }

# ------------------------------------------------------------------ memory
# MEM["LABEL|SIDE|used"], MEM["LABEL|SIDE|rss"]: bytes per key; MEM_ROWS "LABEL|KEYS".
declare -A MEM=()
MEM_ROWS=()

# gen_resp KIND COUNT — the commands of a memory dataset as RESP, one per key.
gen_resp() {
    awk -v kind="$1" -v n="$2" '
        function bulk(s) { return "$" length(s) "\r\n" s "\r\n" }
        BEGIN {
            for (i = 0; i < n; i++) {
                if (kind == "hashes") {
                    out = "*12\r\n" bulk("HSET") bulk("hash:" i)
                    for (j = 1; j <= 5; j++) out = out bulk("field" j) bulk("value:" i ":" j)
                } else if (kind == "ttl") {
                    out = "*5\r\n" bulk("SET") bulk("key:" i) bulk("value:" i) bulk("EX") bulk("86400")
                } else {
                    out = "*12\r\n" bulk("SADD") bulk("set:" i)
                    for (j = 0; j < 10; j++) out = out bulk("member:" (i * 10 + j))
                }
                printf "%s", out
            }
        }'
}

# mem_dataset LABEL KEYS [RESP-FILE] — on fresh servers, fill with DEBUG POPULATE
# KEYS (no file) or the file's KEYS commands, and record the growth per key.
mem_dataset() {
    local label=$1 keys=$2 file=${3:-} s u0 r0 u1 r1 reply n ok
    MEM_ROWS+=("$label|$keys")
    for s in "${SIDES[@]}"; do
        fresh_side "$s"
        log "memory: $s: $label"
        # Redis refreshes used_memory_rss from serverCron (every 100 ms at hz 10)
        sleep 0.3
        u0=$(info_field "$s" used_memory memory)
        r0=$(info_field "$s" used_memory_rss memory)
        ok=0
        if [[ -z $file ]]; then
            reply=$(cli "$s" debug populate "$keys" 2>&1 || true)
            [[ $reply != OK ]] || ok=1
        else
            reply=$(timeout "$BENCH_TIMEOUT" redis-cli -h 127.0.0.1 -p "${PORT[$s]}" --pipe \
                <"$file" 2>&1 || true)
            [[ $reply != *"errors: 0, replies: $keys"* ]] || ok=1
        fi
        n=$(cli "$s" dbsize 2>/dev/null || true)
        sleep 0.3
        u1=$(info_field "$s" used_memory memory)
        r1=$(info_field "$s" used_memory_rss memory)
        if [[ $ok == 1 && $n == "$keys" && -n $u0 && -n $u1 && -n $r0 && -n $r1 ]]; then
            MEM["$label|$s|used"]=$(awk -v a="$u1" -v b="$u0" -v n="$n" 'BEGIN { print (a - b) / n }')
            MEM["$label|$s|rss"]=$(awk -v a="$r1" -v b="$r0" -v n="$n" 'BEGIN { print (a - b) / n }')
        else
            log "memory: $s: $label: '${reply//$'\n'/ }', dbsize '$n', used_memory '$u0'/'$u1'"
            printf '%s\n' "$label: ${reply//$'\n'/ } (dbsize $n)" >>"$TMP/$s/memory.err"
        fi
        ensure_alive "$s"
    done
}

if section memory; then
    if [[ $MEM_KEYS -gt 0 ]]; then
        mem_dataset "DEBUG POPULATE (string keys)" "$MEM_KEYS"
    fi
    for spec in "hashes:$MEM_HASHES:hashes of 5 fields (HSET)" \
        "ttl:$MEM_TTL_KEYS:string keys with a TTL (SET EX)" \
        "sets:$MEM_SETS:sets of 10 members (SADD)"; do
        IFS=: read -r kind count label <<<"$spec"
        [[ $count -gt 0 ]] || continue
        log "memory: generating $count $kind"
        gen_resp "$kind" "$count" >"$TMP/$kind.resp"
        mem_dataset "$label" "$count" "$TMP/$kind.resp"
        rm -f "$TMP/$kind.resp"
    done
fi

# ------------------------------------------------------------------ throughput
# RES["side|P|label"] = space-separated rps values; LAT["side|P|label|p50"]
# (p99, max) the latency columns of the same runs; CPU["side|P|label"] the
# server's CPU time per request in those runs; LABELS keeps first-seen order.
declare -A RES=() LAT=() CPU=() SEEN=()
CLK_TCK=$(getconf CLK_TCK)

# pin_side SIDE CPUS — runs every thread of SIDE's server on CPUS (taskset list).
pin_side() {
    taskset -a -p -c "$2" "${PID[$1]}" >/dev/null 2>&1 || true
}
BENCH_CMD=(redis-benchmark)
if [[ $PIN == 1 ]]; then
    BENCH_CMD=(taskset -c 1 redis-benchmark)
fi

# cpu_ticks SIDE — user + system CPU time (clock ticks) of SIDE's server so far.
cpu_ticks() {
    awk '{ print $14 + $15 }' "/proc/${PID[$1]}/stat" 2>/dev/null || echo 0
}
LABELS=()
add_label() {
    if [[ -z ${SEEN[$1]:-} ]]; then
        SEEN[$1]=1
        LABELS+=("$1")
    fi
}

# run_one SIDE PIPELINE TEST DATASIZE SUFFIX
run_one() {
    local s=$1 p=$2 t=$3 d=$4 suffix=$5 n out rc=0 line name rps got=0 key f
    n=$N_P1
    [[ $p -le 1 ]] || n=$N_P16
    ensure_alive "$s"
    [[ $PIN != 1 ]] || pin_side "$s" 0
    local ticks_before ticks rows
    ticks_before=$(cpu_ticks "$s")
    out=$(timeout "$BENCH_TIMEOUT" "${BENCH_CMD[@]}" -h 127.0.0.1 -p "${PORT[$s]}" \
        -c "$CLIENTS" -n "$n" -r "$RANDOM_KEYS" -P "$p" -d "$d" -t "$t" -q --csv \
        2>>"$TMP/$s/benchmark.err") || rc=$?
    ticks=$(($(cpu_ticks "$s") - ticks_before))
    # every row of the output (an LRANGE test's LPUSH fill too) ran n requests
    rows=$(grep -c '^"[A-Z]' <<<"$out" || true)
    # --csv: "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms",
    # "p95_latency_ms","p99_latency_ms","max_latency_ms"
    while IFS= read -r line; do
        line=${line//$'\r'/}
        [[ $line == '"test",'* || -z $line ]] && continue
        IFS=, read -r -a f <<<"${line//\"/}"
        name=${f[0]}
        rps=${f[1]:-}
        [[ $name == *"(needed to benchmark"* ]] && continue
        name=${name%% (*}
        [[ $rps =~ ^[0-9.]+$ ]] || continue
        # a run that died mid-way may print rps for work not done; only
        # count rows of successful runs
        if [[ $rc -eq 0 ]]; then
            add_label "$name$suffix|$p"
            key="$s|$p|$name$suffix"
            RES[$key]+="$rps "
            LAT[$key|p50]+="${f[4]:-} "
            LAT[$key|p99]+="${f[6]:-} "
            LAT[$key|max]+="${f[7]:-} "
            if [[ $rows -gt 0 ]]; then
                CPU[$key]+="$(awk -v t="$ticks" -v hz="$CLK_TCK" -v n="$n" -v r="$rows" \
                    'BEGIN { printf "%.3f", t / hz * 1e6 / (n * r) }') "
            fi
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

if section throughput; then
    for s in "${THROUGHPUT_SIDES[@]}"; do fresh_side "$s"; done
    for ((round = 1; round <= ROUNDS; round++)); do
        for s in "${THROUGHPUT_SIDES[@]}"; do
            log "throughput: round $round/$ROUNDS: $s"
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
    for s in "${SIDES[@]}"; do pin_side "$s" "0-$(($(nproc) - 1))"; done
    [[ $NULL_SERVER != yes ]] || stop_side null
fi

# ------------------------------------------------------------------ probe
# PROBE["SIDE|field"]: the latency_probe's name=value output.
declare -A PROBE=()

# probe_args SIDE KEYS WRITERS [PINNED] — sets PROBE_ARGS to the latency
# probe's command line against SIDE; with PINNED=1 it runs on CPU 1.
probe_args() {
    PROBE_ARGS=(timeout "$BENCH_TIMEOUT")
    [[ ${4:-0} != 1 ]] || PROBE_ARGS+=(taskset -c 1)
    PROBE_ARGS+=("$PROBE_BIN" --port "${PORT[$1]}" --keys "$2" --writers "$3"
        --pipeline "$PROBE_PIPELINE" --realtime "$PROBE_REALTIME")
}

# read_probe SIDE PREFIX FILE — store the probe's name=value line in FILE as
# PROBE["SIDE|PREFIXname"]. Returns non-zero if there is none.
read_probe() {
    local line kv
    line=$(head -n 1 "$3" 2>/dev/null || true)
    [[ $line == keys=* ]] || return 1
    for kv in $line; do
        PROBE["$1|$2${kv%%=*}"]=${kv#*=}
    done
}

if section probe && [[ $PROBE_KEYS -gt 0 ]]; then
    for s in "${SIDES[@]}"; do
        fresh_side "$s"
        log "probe: $s: SET $PROBE_KEYS keys, timing every PING/GET"
        rc=0
        [[ $PIN != 1 ]] || pin_side "$s" 0
        probe_args "$s" "$PROBE_KEYS" "$PROBE_WRITERS" "$PIN"
        "${PROBE_ARGS[@]}" >"$TMP/$s/probe.out" 2>>"$TMP/$s/probe.err" || rc=$?
        if ! read_probe "$s" "" "$TMP/$s/probe.out"; then
            log "probe: $s: latency_probe failed (exit $rc)"
            echo "growth probe: exit $rc" >>"$TMP/$s/probe.err"
        fi
        ensure_alive "$s"
    done
fi

# ------------------------------------------------------------------ snapshot
# SNAP["SIDE|field"]: fork_ms, save_s, rdb_mb, parent_mb, child_mb, extra_mb,
# cow_mb, status; the load's probe fields as PROBE["SIDE|load-field"].
declare -A SNAP=()

snapshot_side() {
    local s=$1 pid reply base t0 t1 child load_pid='' prss cpriv extra
    local peak_parent=0 peak_child=0 peak_extra=0 sleep_s deadline
    fresh_side "$s"
    pid=${PID[$s]}
    log "snapshot: $s: DEBUG POPULATE $SNAPSHOT_KEYS"
    reply=$(cli "$s" debug populate "$SNAPSHOT_KEYS" 2>&1 || true)
    if [[ $reply != OK ]]; then
        printf '%s\n' "DEBUG POPULATE: $reply" >>"$TMP/$s/snapshot.err"
        return 0
    fi
    rm -f "$TMP/$s/dump.rdb"
    proc_kb "/proc/$pid/status" VmRSS
    base=$KB
    if [[ $SNAPSHOT_WRITES == 1 ]]; then
        probe_args "$s" "$SNAPSHOT_KEYS" 1
        "${PROBE_ARGS[@]}" >"$TMP/$s/load.out" 2>>"$TMP/$s/probe.err" &
        load_pid=$!
        BG_PIDS+=("$load_pid")
    fi
    log "snapshot: $s: BGSAVE"
    t0=$(now)
    reply=$(cli "$s" bgsave 2>&1 || true)
    if [[ $reply != "Background saving started" ]]; then
        printf '%s\n' "BGSAVE: $reply" >>"$TMP/$s/snapshot.err"
    else
        sleep_s=$(awk -v ms="$SAMPLE_MS" 'BEGIN { printf "%.3f\n", ms / 1000 }')
        deadline=$((SECONDS + BENCH_TIMEOUT))
        while ((SECONDS < deadline)); do
            child=$(pgrep -P "$pid" | head -n 1 || true)
            proc_kb "/proc/$pid/status" VmRSS
            prss=$((KB - base))
            cpriv=0
            if [[ -n $child ]]; then
                proc_kb "/proc/$child/smaps_rollup" Private_Clean Private_Dirty
                cpriv=$KB
            fi
            extra=$((prss + cpriv))
            ((prss <= peak_parent)) || peak_parent=$prss
            ((cpriv <= peak_child)) || peak_child=$cpriv
            ((extra <= peak_extra)) || peak_extra=$extra
            if [[ -z $child && $(info_field "$s" rdb_bgsave_in_progress persistence) == 0 ]]; then
                break
            fi
            sleep "$sleep_s"
        done
    fi
    t1=$(now)
    if [[ -n $load_pid ]]; then
        wait "$load_pid" || echo "load during BGSAVE: exit $?" >>"$TMP/$s/probe.err"
        read_probe "$s" load- "$TMP/$s/load.out" || true
    fi
    SNAP[$s|status]=$(info_field "$s" rdb_last_bgsave_status persistence)
    SNAP[$s|fork_ms]=$(awk -v u="$(info_field "$s" latest_fork_usec stats)" 'BEGIN { print u / 1000 }')
    SNAP[$s|save_s]=$(elapsed "$t0" "$t1")
    SNAP[$s|rdb_mb]=$(awk -v b="$(stat -c %s "$TMP/$s/dump.rdb" 2>/dev/null || echo)" \
        'BEGIN { if (b != "") print b / 1048576 }')
    SNAP[$s|parent_mb]=$(awk -v k="$peak_parent" 'BEGIN { print k / 1024 }')
    SNAP[$s|child_mb]=$(awk -v k="$peak_child" 'BEGIN { print k / 1024 }')
    SNAP[$s|extra_mb]=$(awk -v k="$peak_extra" 'BEGIN { print k / 1024 }')
    SNAP[$s|cow_mb]=$(awk -v b="$(info_field "$s" rdb_last_cow_size persistence)" \
        'BEGIN { if (b != "") print b / 1048576 }')
    rm -f "$TMP/$s/dump.rdb"
    ensure_alive "$s"
}

if section snapshot && [[ $SNAPSHOT_KEYS -gt 0 ]]; then
    for s in "${SIDES[@]}"; do snapshot_side "$s"; done
fi

# ------------------------------------------------------------------ report
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
# lat SIDE LABEL FIELD — the median (p50, p99) or the worst (max) over the rounds at -P 1.
lat() {
    local vals
    vals=$(tr ' ' '\n' <<<"${LAT["$1|1|$2|$3"]:-}" | grep . || true)
    if [[ -z $vals ]]; then
        echo n/a
    elif [[ $3 == max ]]; then
        sort -g <<<"$vals" | tail -n 1
    else
        median <<<"$vals"
    fi
}
# pair PRINTF-FORMAT A B — "A | B | ratio" cells.
pair() { printf '%s\n%s\n%s\n' "$(fmt "$1" "$2")" "$(fmt "$1" "$3")" "$(ratio "$2" "$3")"; }
# figure NAME PRINTF-FORMAT A B — a "figure | oxidis | redis | ratio" row.
figure() {
    local cells
    mapfile -t cells < <(pair "$2" "$3" "$4")
    row "$1" "${cells[@]}"
}

header() {
    local cpu mem commit dirty=""
    cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
    mem=$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
    commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
    # the report being written (OUTPUT) is not a change to what it measured
    local output_rel=
    [[ -z $OUTPUT ]] || output_rel=$(realpath -m --relative-to="$ROOT" "$OUTPUT")
    [[ $output_rel != ../* ]] || output_rel=
    [[ -z $(git -C "$ROOT" status --porcelain --untracked-files=no -- . \
        ${output_rel:+":(exclude)$output_rel"} 2>/dev/null) ]] \
        || dirty=" with uncommitted changes"
    echo "# oxidis vs redis-server 7.0: side-by-side measurements"
    echo
    echo "Produced by \`scripts/bench.sh\` (issue #6) in one run: both servers on this machine,"
    echo "started by the script with the same flags. Every ratio is oxidis / redis: above 1"
    echo "means oxidis has more, which is better for requests per second and worse for"
    echo "bytes, latencies, times and sizes."
    echo
    echo "- date: $START_DATE"
    echo "- machine: $(nproc) cores (nproc), ${cpu:-unknown CPU}, $mem RAM, $(uname -srm)"
    echo "- oxidis: commit $commit$dirty, \`$OXIDIS_BIN\`"
    echo "- redis: $("$REDIS_BIN" --version 2>/dev/null | head -n 1 || true), \`$REDIS_BIN\`"
    echo "- tools: $(redis-benchmark --version 2>/dev/null | head -n 1 || true)"
    echo "- command: \`$COMMAND_LINE\`"
    local k settings=""
    for k in "${KNOBS[@]}"; do
        case $k in OXIDIS_SERVER_BIN | REDIS_SERVER_BIN | LATENCY_PROBE_BIN | NULL_SERVER_BIN | OUTPUT) continue ;; esac
        settings+="$k=${!k} "
    done
    echo "- settings: \`${settings% }\`"
}

report_memory() {
    local spec label keys s
    echo
    echo "## Memory"
    echo
    echo "Bytes per key: growth of INFO \`used_memory\` and \`used_memory_rss\` over the freshly"
    echo "started server, divided by the number of keys; each dataset on fresh servers. Apart"
    echo "from DEBUG POPULATE, both get the same RESP bytes through \`redis-cli --pipe\`; the"
    echo "TTL keys are POPULATE's keys and values plus \`EX 86400\`."
    echo
    row dataset keys "oxidis used_memory" "redis used_memory" ratio "oxidis RSS" "redis RSS" ratio
    rule 8
    for spec in "${MEM_ROWS[@]}"; do
        label=${spec%|*}
        keys=${spec##*|}
        local -a used rss
        mapfile -t used < <(pair %.1f "${MEM["$label|oxidis|used"]:-}" "${MEM["$label|redis|used"]:-}")
        mapfile -t rss < <(pair %.1f "${MEM["$label|oxidis|rss"]:-}" "${MEM["$label|redis|rss"]:-}")
        row "$label" "$keys" "${used[@]}" "${rss[@]}"
    done
}

report_throughput() {
    local p key label mo mr
    echo
    echo "## Throughput"
    echo
    echo "Requests per second from \`redis-benchmark -c $CLIENTS -r $RANDOM_KEYS\`, -n $N_P1 at -P 1"
    echo "and $N_P16 when pipelined; the median of $ROUNDS alternating rounds (k/$ROUNDS: the"
    echo "test failed in the other rounds). CPU is the server's own user + system time per"
    echo "request over each redis-benchmark run (for LRANGE_* the run includes its LPUSH fill),"
    echo "median of the rounds, from /proc/PID/stat: where redis-benchmark, one thread on the"
    echo "same 2 cores, is what limits the rps, this is what still tells the servers apart."
    if [[ $PIN == 1 ]]; then
        echo "The server under test ran on CPU 0 and redis-benchmark on CPU 1 (PIN=1)."
    fi
    local columns=(test -P "oxidis rps" "redis rps" ratio "oxidis CPU µs/req" "redis CPU µs/req" ratio)
    if [[ $NULL_SERVER == yes ]]; then
        echo
        echo "No-work: the same runs, in the same rounds, against \`examples/null_server.rs\`,"
        echo "which answers each request with a canned reply shaped like Redis's and does"
        echo "nothing else (its event loop is Redis's, plus oxidis's 20 µs coalesced wait while"
        echo "clients pipeline). Its rps is about what redis-benchmark reaches when the server"
        echo "costs next to nothing; where no-work/redis is near 1 or below, the client is the"
        echo "limit and no server can show a higher ratio there."
        columns+=("no-work rps" "no-work/redis")
    fi
    echo
    row "${columns[@]}"
    rule "${#columns[@]}"
    for p in "${pipeline_list[@]}"; do
        for key in "${LABELS[@]}"; do
            [[ ${key##*|} == "$p" ]] || continue
            label=${key%|*}
            mo=$(side_median oxidis "$p" "$label")
            mr=$(side_median redis "$p" "$label")
            local co cr
            co=$(tr ' ' '\n' <<<"${CPU["oxidis|$p|$label"]:-}" | grep . | median || true)
            cr=$(tr ' ' '\n' <<<"${CPU["redis|$p|$label"]:-}" | grep . | median || true)
            local cells=("$label" "$p" "$(show "$mo")" "$(show "$mr")" "$(ratio "${mo% *}" "${mr% *}")"
                "$(fmt %.2f "$co")" "$(fmt %.2f "$cr")" "$(ratio "$co" "$cr")")
            if [[ $NULL_SERVER == yes ]]; then
                local mn
                mn=$(side_median null "$p" "$label")
                cells+=("$(show "$mn")" "$(ratio "${mn% *}" "${mr% *}")")
            fi
            row "${cells[@]}"
        done
    done

    local t f cells=()
    echo
    echo "## Latency"
    echo
    echo "Milliseconds, from redis-benchmark's \`--csv\` latency columns of the -P 1 runs above"
    echo "($CLIENTS clients on one connection each, so the p50 is mostly queueing): the median"
    echo "p50 and p99 over the rounds, the worst max."
    echo
    row test "oxidis p50" "redis p50" ratio "oxidis p99" "redis p99" ratio "oxidis max" "redis max" ratio
    rule 10
    IFS=, read -r -a lat_list <<<"$LATENCY_TESTS"
    for t in "${lat_list[@]}"; do
        cells=()
        for f in p50 p99 max; do
            mapfile -t -O "${#cells[@]}" cells < <(pair %.3f "$(lat oxidis "$t" "$f")" "$(lat redis "$t" "$f")")
        done
        row "$t" "${cells[@]}"
    done
}

report_probe() {
    local s
    echo
    echo "## Latency while the keyspace grows"
    echo
    echo "\`examples/latency_probe.rs\` on a fresh server: SET of $PROBE_KEYS keys in pipelines of"
    echo "$PROBE_PIPELINE from $PROBE_WRITERS writer thread(s), while one client sends PING and GET one"
    echo "at a time and times each. Issue #6's target: no request on oxidis waits more than 2 ms."
    if [[ $PIN == 1 ]]; then
        echo "The server ran on CPU 0 and the probe on CPU 1 (PIN=1)."
    fi
    echo "The timing thread's scheduling policy (PROBE_REALTIME=$PROBE_REALTIME):" \
        "oxidis run ${PROBE[oxidis|timer_sched]:-n/a}, redis run ${PROBE[redis|timer_sched]:-n/a}."
    echo
    row figure oxidis redis ratio
    rule 4
    figure "requests timed" %d "${PROBE[oxidis|requests]:-}" "${PROBE[redis|requests]:-}"
    figure "p50, µs" %d "${PROBE[oxidis|p50_us]:-}" "${PROBE[redis|p50_us]:-}"
    figure "p99, µs" %d "${PROBE[oxidis|p99_us]:-}" "${PROBE[redis|p99_us]:-}"
    figure "p99.9, µs" %d "${PROBE[oxidis|p999_us]:-}" "${PROBE[redis|p999_us]:-}"
    figure "max, µs" %d "${PROBE[oxidis|max_us]:-}" "${PROBE[redis|max_us]:-}"
    figure "requests over 2 ms" %d "${PROBE[oxidis|over_2ms]:-}" "${PROBE[redis|over_2ms]:-}"
    row "keys written when the slowest was sent" "${PROBE[oxidis|max_at_keys]:-n/a}" \
        "${PROBE[redis|max_at_keys]:-n/a}" ""
    figure "seconds to write all keys" %.1f "${PROBE[oxidis|seconds]:-}" "${PROBE[redis|seconds]:-}"
    for s in "${SIDES[@]}"; do
        if [[ -n ${PROBE[$s|keys]:-} && (${PROBE[$s|dbsize]} != "${PROBE[$s|keys]}" || ${PROBE[$s|errors]} != 0) ]]; then
            echo
            echo "$s: DBSIZE ${PROBE[$s|dbsize]} after writing ${PROBE[$s|keys]} keys, ${PROBE[$s|errors]} error replies."
        fi
    done
}

report_snapshot() {
    echo
    echo "## Snapshot (BGSAVE)"
    echo
    echo "BGSAVE of $SNAPSHOT_KEYS keys (DEBUG POPULATE) on a fresh server. Extra memory: the"
    echo "peak of the parent's RSS growth plus the child's private memory (\`Private_Clean +"
    echo "Private_Dirty\` of its smaps_rollup), sampled every $SAMPLE_MS ms."
    if [[ $SNAPSHOT_WRITES == 1 ]]; then
        echo "Meanwhile one latency_probe writer overwrites every key once (pipelines of"
        echo "$PROBE_PIPELINE) and one client times PING/GET, so pages get copied on write."
    fi
    echo
    row figure oxidis redis ratio
    rule 4
    figure "fork (latest_fork_usec), ms" %.1f "${SNAP[oxidis|fork_ms]:-}" "${SNAP[redis|fork_ms]:-}"
    figure "BGSAVE until done, s" %.2f "${SNAP[oxidis|save_s]:-}" "${SNAP[redis|save_s]:-}"
    figure "RDB file, MB" %.1f "${SNAP[oxidis|rdb_mb]:-}" "${SNAP[redis|rdb_mb]:-}"
    figure "peak extra memory, MB" %.1f "${SNAP[oxidis|extra_mb]:-}" "${SNAP[redis|extra_mb]:-}"
    figure "peak parent RSS growth, MB" %.1f "${SNAP[oxidis|parent_mb]:-}" "${SNAP[redis|parent_mb]:-}"
    figure "peak child private memory, MB" %.1f "${SNAP[oxidis|child_mb]:-}" "${SNAP[redis|child_mb]:-}"
    figure "copy-on-write reported (rdb_last_cow_size), MB" %.1f \
        "${SNAP[oxidis|cow_mb]:-}" "${SNAP[redis|cow_mb]:-}"
    if [[ $SNAPSHOT_WRITES == 1 ]]; then
        figure "writes during the save: p99.9, µs" %d \
            "${PROBE[oxidis|load-p999_us]:-}" "${PROBE[redis|load-p999_us]:-}"
        figure "writes during the save: max, µs" %d \
            "${PROBE[oxidis|load-max_us]:-}" "${PROBE[redis|load-max_us]:-}"
        figure "writes during the save: requests over 2 ms" %d \
            "${PROBE[oxidis|load-over_2ms]:-}" "${PROBE[redis|load-over_2ms]:-}"
    fi
    row "rdb_last_bgsave_status" "${SNAP[oxidis|status]:-n/a}" "${SNAP[redis|status]:-n/a}" ""
}

report_errors() {
    local s f
    for s in "${THROUGHPUT_SIDES[@]}"; do
        for f in memory benchmark probe snapshot; do
            [[ -s $TMP/$s/$f.err ]] || continue
            echo
            echo "$s: $f errors (last 10 lines):"
            echo
            echo '```'
            tail -n 10 "$TMP/$s/$f.err"
            echo '```'
        done
    done
}

report() {
    header
    if section memory; then report_memory; fi
    if section throughput; then report_throughput; fi
    if section probe && [[ $PROBE_KEYS -gt 0 ]]; then report_probe; fi
    if section snapshot && [[ $SNAPSHOT_KEYS -gt 0 ]]; then report_snapshot; fi
    report_errors
}

echo
if [[ -n $OUTPUT ]]; then
    mkdir -p "$(dirname "$OUTPUT")"
    report | tee "$OUTPUT"
    log "report written to $OUTPUT"
else
    report
fi
