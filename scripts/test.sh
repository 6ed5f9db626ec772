#!/usr/bin/env bash
# scripts/test.sh — THE oxidis test command (used by the README and by CI via
# .ci/run). Installs what it needs (Debian packages tcl, redis-tools and
# redis-server, the real Redis the interop tests compare against; cargo
# is assumed present), then runs, stopping at the first failure:
#   1. cargo fmt --all -- --check
#   2. cargo clippy --all-targets -- -D warnings
#   3. cargo build --release
#   4. cargo test --release          (unit tests + integration tests in tests/)
#   5. scripts/run-tcl-tests.sh      (Redis 7.0 TCL suite, units in tests/tcl/units.txt)
# Its last output line is the TCL runner's 'N passed, N failed, N skipped'.
# CI budget: 2 cores, 90 minutes in all; the TCL step gets what is left of
# OXIDIS_TEST_BUDGET seconds (default 5100) unless OXIDIS_TCL_TIMEOUT is set.
#
# Usage: bash scripts/test.sh
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$OXIDIS_ROOT"

BUDGET=${OXIDIS_TEST_BUDGET:-5100}
t0=$(date +%s)

step() {
    local name=$1 s rc
    shift
    s=$(date +%s)
    echo "==> [$name] $*"
    set +e
    "$@"
    rc=$?
    set -e
    if [[ $rc -ne 0 ]]; then
        echo "==> [$name] FAILED (exit $rc) after $(($(date +%s) - s))s"
        exit "$rc"
    fi
    echo "==> [$name] ok in $(($(date +%s) - s))s"
}

command -v cargo >/dev/null || die "cargo not found (install the Rust toolchain)"
step deps ensure_cmds tclsh:tcl redis-cli:redis-tools redis-benchmark:redis-tools \
    redis-check-aof:redis-tools redis-server:redis-server timeout:coreutils
cargo fmt --version >/dev/null 2>&1 || die "cargo fmt unavailable (rustup component add rustfmt)"
cargo clippy --version >/dev/null 2>&1 || die "cargo clippy unavailable (rustup component add clippy)"

step fmt cargo fmt --all -- --check
step clippy cargo clippy --all-targets -- -D warnings
step build cargo build --release
step test cargo test --release

elapsed=$(($(date +%s) - t0))
if [[ -z ${OXIDIS_TCL_TIMEOUT:-} ]]; then
    left=$((BUDGET - elapsed))
    [[ $left -ge 300 ]] || left=300
    export OXIDIS_TCL_TIMEOUT=$left
fi
echo "==> [tcl] bash scripts/run-tcl-tests.sh (after ${elapsed}s; TCL time limit ${OXIDIS_TCL_TIMEOUT}s)"
# The TCL runner prints the final 'N passed, N failed' line and sets the exit status.
exec bash "$OXIDIS_ROOT/scripts/run-tcl-tests.sh"
