#!/usr/bin/env bash
# scripts/fetch-redis-tests.sh — make sure the Redis 7.0.x source tree (we need
# its TCL test suite: tests/test_helper.tcl and friends) is available locally,
# and print its root directory on stdout (everything else goes to stderr).
#
# Lookup order:
#   1. $REDIS_SRC, if set and it contains tests/test_helper.tcl;
#   2. the cache target/redis-src/redis-7.0.* under the repo (7.0.15 preferred);
#   3. Debian's source package: if apt has no deb-src entry, write
#      /etc/apt/sources.list.d/oxidis-debian-src.sources (deb822, mirroring the
#      deb stanzas of /etc/apt/sources.list.d/debian.sources with
#      Types: deb-src; bookworm + bookworm-security defaults otherwise),
#      `apt-get update`, `apt-get source --download-only redis` into a temp dir
#      and unpack the upstream orig tarball into the cache.
# The tree's src/version.h must say 7.0.x, otherwise this fails.
#
# Usage: bash scripts/fetch-redis-tests.sh        # prints e.g. /repo/target/redis-src/redis-7.0.15
set -euo pipefail

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

WANT_SERIES="7.0"          # accepted major.minor
PREFERRED_VERSION="7.0.15" # what oxidis targets
CACHE_PARENT="$OXIDIS_ROOT/target/redis-src"
APT_ETC="${OXIDIS_APT_ETC:-/etc/apt}" # overridable only for testing this script
SRC_SOURCES_FILE="$APT_ETC/sources.list.d/oxidis-debian-src.sources"

# redis_version DIR — print the version from DIR/src/version.h (empty if none).
redis_version() {
    sed -n 's/^#define REDIS_VERSION "\([^"]*\)".*/\1/p' "$1/src/version.h" 2>/dev/null || true
}

# usable DIR — true if DIR has the test suite and is a 7.0.x tree.
usable() {
    local dir=$1 ver
    [[ -f $dir/tests/test_helper.tcl ]] || return 1
    ver=$(redis_version "$dir")
    if [[ $ver != "$WANT_SERIES".* ]]; then
        log "ignoring $dir: version '${ver:-unknown}' is not $WANT_SERIES.x"
        return 1
    fi
    return 0
}

# 1. explicit $REDIS_SRC
if [[ -n ${REDIS_SRC:-} ]]; then
    if [[ -f $REDIS_SRC/tests/test_helper.tcl ]]; then
        usable "$REDIS_SRC" || die "REDIS_SRC=$REDIS_SRC is not a Redis $WANT_SERIES.x tree"
        cd "$REDIS_SRC" && pwd
        exit 0
    fi
    log "REDIS_SRC=$REDIS_SRC has no tests/test_helper.tcl; falling back to the cache"
fi

# 2. cache under target/
if usable "$CACHE_PARENT/redis-$PREFERRED_VERSION" 2>/dev/null; then
    echo "$CACHE_PARENT/redis-$PREFERRED_VERSION"
    exit 0
fi
shopt -s nullglob
for dir in "$CACHE_PARENT"/redis-"$WANT_SERIES".*; do
    if usable "$dir"; then
        echo "$dir"
        exit 0
    fi
done
shopt -u nullglob

# 3. Debian source package
command -v apt-get >/dev/null || die "no Redis source found and apt-get is unavailable; set REDIS_SRC"
[[ $(id -u) -eq 0 ]] || die "no Redis source found; need root to fetch it with apt (or set REDIS_SRC)"

# has_deb_src — true if any apt source already declares deb-src.
has_deb_src() {
    local f
    for f in "$APT_ETC"/sources.list "$APT_ETC"/sources.list.d/*.list; do
        [[ -f $f ]] && grep -Eq '^[[:space:]]*deb-src[[:space:]]' "$f" && return 0
    done
    for f in "$APT_ETC"/sources.list.d/*.sources; do
        [[ -f $f ]] && grep -Eiq '^Types:.*\bdeb-src\b' "$f" && return 0
    done
    return 1
}

# write_src_sources — create $SRC_SOURCES_FILE (deb822) with deb-src stanzas.
write_src_sources() {
    local debian_sources="$APT_ETC/sources.list.d/debian.sources" tmp
    tmp=$(mktemp)
    {
        echo "# Written by oxidis scripts/fetch-redis-tests.sh: deb-src twins of the deb"
        echo "# entries, so that 'apt-get source redis' works."
    } >"$tmp"
    if [[ -f $debian_sources ]] && grep -Eiq '^Types:.*\bdeb\b' "$debian_sources"; then
        # Copy every stanza whose Types include "deb", with Types: deb-src.
        awk '
            function flush() {
                if (n > 0 && isdeb) {
                    print ""
                    for (i = 1; i <= n; i++) print lines[i]
                }
                n = 0; isdeb = 0
            }
            /^[[:space:]]*$/ { flush(); next }
            /^#/ { next }
            tolower($1) == "types:" {
                for (i = 2; i <= NF; i++) if ($i == "deb") isdeb = 1
                lines[++n] = "Types: deb-src"
                next
            }
            { lines[++n] = $0 }
            END { flush() }
        ' "$debian_sources" >>"$tmp"
    else
        log "no deb822 debian.sources found; writing default bookworm deb-src entries"
        cat >>"$tmp" <<'EOS'

Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOS
    fi
    grep -q '^Types: deb-src' "$tmp" || { rm -f "$tmp"; die "could not derive deb-src entries"; }
    install -m 0644 "$tmp" "$SRC_SOURCES_FILE"
    rm -f "$tmp"
    log "wrote $SRC_SOURCES_FILE"
}

if has_deb_src; then
    log "apt already has deb-src entries"
else
    write_src_sources
fi
if [[ ${OXIDIS_FETCH_ONLY_SOURCES:-0} == 1 ]]; then
    exit 0 # testing hook: stop after the sources file step
fi

log "apt-get update"
DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
log "apt-get source --download-only redis (into $work)"
# Root downloads unsandboxed into a root-owned temp dir; say so to avoid a warning.
(cd "$work" && apt-get -o APT::Sandbox::User=root source --download-only redis >&2) \
    || die "apt-get source redis failed"

shopt -s nullglob
origs=("$work"/redis_*.orig.tar.*)
shopt -u nullglob
[[ ${#origs[@]} -eq 1 ]] || die "expected one redis orig tarball in $work, found ${#origs[@]}"
orig=${origs[0]}
tar_version=$(basename "$orig" | sed -n 's/^redis_\([^.]*\.[^.]*\.[^.]*\)\.orig\..*/\1/p')
[[ $tar_version == "$WANT_SERIES".* ]] \
    || die "Debian's redis source is version '$tar_version', not $WANT_SERIES.x"
[[ $tar_version == "$PREFERRED_VERSION" ]] \
    || log "warning: Debian ships redis $tar_version, oxidis targets $PREFERRED_VERSION"

mkdir -p "$work/unpack"
tar -xf "$orig" -C "$work/unpack"
shopt -s nullglob
trees=("$work"/unpack/*/)
shopt -u nullglob
[[ ${#trees[@]} -eq 1 ]] || die "orig tarball did not unpack to a single directory"
tree=${trees[0]%/}
usable "$tree" || die "unpacked tree $tree is not a Redis $WANT_SERIES.x source tree"

dest="$CACHE_PARENT/redis-$(redis_version "$tree")"
mkdir -p "$CACHE_PARENT"
rm -rf "$dest"
mv "$tree" "$dest"
log "Redis $(redis_version "$dest") source cached in $dest"
echo "$dest"
