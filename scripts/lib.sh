# shellcheck shell=bash
# scripts/lib.sh — small helpers shared by the oxidis scripts (sourced, not run):
# logging, repo-root discovery and "install these Debian packages if the
# commands they provide are missing".

# Repo root = parent of the scripts/ directory this file lives in.
OXIDIS_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export OXIDIS_ROOT

# log MSG... — progress message on stderr, prefixed with the script name.
log() { printf '%s: %s\n' "$(basename "$0")" "$*" >&2; }

# die MSG... — error message on stderr, exit 1.
die() { printf '%s: ERROR: %s\n' "$(basename "$0")" "$*" >&2; exit 1; }

_oxidis_apt_updated=0

# apt_install PKG... — apt-get install (noninteractive), running
# `apt-get update` once per process first. Needs root.
apt_install() {
    [[ $# -gt 0 ]] || return 0
    if [[ $(id -u) -ne 0 ]]; then
        die "need to install Debian packages ($*) but not running as root; install them and re-run"
    fi
    command -v apt-get >/dev/null || die "apt-get not found; install manually: $*"
    export DEBIAN_FRONTEND=noninteractive
    if [[ $_oxidis_apt_updated -eq 0 ]]; then
        log "apt-get update"
        apt-get update -qq >&2
        _oxidis_apt_updated=1
    fi
    log "apt-get install $*"
    apt-get install -y -qq --no-install-recommends "$@" >&2
}

# ensure_cmds CMD:PKG... — for each CMD not on PATH, install PKG.
ensure_cmds() {
    local spec cmd pkg
    local -a missing=()
    for spec in "$@"; do
        cmd=${spec%%:*}
        pkg=${spec#*:}
        if ! command -v "$cmd" >/dev/null 2>&1; then
            # de-duplicate package names
            if [[ " ${missing[*]-} " != *" $pkg "* ]]; then
                missing+=("$pkg")
            fi
        fi
    done
    if [[ ${#missing[@]} -gt 0 ]]; then
        apt_install "${missing[@]}"
    fi
    for spec in "$@"; do
        command -v "${spec%%:*}" >/dev/null 2>&1 \
            || die "command ${spec%%:*} still missing after installing ${spec#*:}"
    done
}

# port_in_use PORT — true if something accepts connections on 127.0.0.1:PORT.
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# pick_port [TAKEN...] — a free port, not among TAKEN, below the ephemeral range,
# so no client socket (redis-benchmark opens thousands) can hold it when a server
# binds it.
pick_port() {
    local p tries=0 ephemeral_low=32768
    read -r ephemeral_low _ </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || true
    ((ephemeral_low > 11000)) || die "ephemeral ports start at $ephemeral_low: no room below"
    while ((tries++ < 200)); do
        p=$((10000 + RANDOM % (ephemeral_low - 10000)))
        if ! port_in_use "$p" && [[ " $* " != *" $p "* ]]; then
            echo "$p"
            return 0
        fi
    done
    die "no free port found"
}
