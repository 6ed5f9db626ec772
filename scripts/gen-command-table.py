#!/usr/bin/env python3
"""Generate src/command/table.rs from Redis' command JSON files.

Usage: scripts/gen-command-table.py [COMMANDS_DIR] [-o OUTPUT]

COMMANDS_DIR is a Redis source tree's src/commands (default:
$REDIS_SRC/src/commands, else target/redis-src/redis-7.0.15/src/commands).
OUTPUT defaults to src/command/table.rs beside this script's parent folder.

The table holds what redis-server has once it has populated its command
table: sentinel-only commands dropped, implicit ACL categories added
(setImplicitACLCategories) and CMD_MOVABLE_KEYS set
(populateCommandLegacyRangeSpec). The output is deterministic and already
rustfmt-clean: the big static is laid out one argument per line under
#[rustfmt::skip] (rustfmt cannot lay out its long string literals anyway).

Standard library only.
"""

import argparse
import glob
import json
import os
import re
import sys

ARG_TYPES = {
    "string": "String",
    "integer": "Integer",
    "double": "Double",
    "key": "Key",
    "pattern": "Pattern",
    "unix-time": "UnixTime",
    "pure-token": "PureToken",
    "oneof": "OneOf",
    "block": "Block",
}

# JSON group -> the name COMMAND DOCS prints (COMMAND_GROUP_STR).
GROUPS = {
    "generic": "generic",
    "string": "string",
    "list": "list",
    "set": "set",
    "sorted_set": "sorted-set",
    "hash": "hash",
    "pubsub": "pubsub",
    "transactions": "transactions",
    "connection": "connection",
    "server": "server",
    "scripting": "scripting",
    "hyperloglog": "hyperloglog",
    "cluster": "cluster",
    "sentinel": "sentinel",
    "geo": "geo",
    "stream": "stream",
    "bitmap": "bitmap",
}

CMD_FLAGS = [
    "WRITE", "READONLY", "DENYOOM", "MODULE", "ADMIN", "PUBSUB", "NOSCRIPT",
    "BLOCKING", "LOADING", "STALE", "SKIP_MONITOR", "SKIP_SLOWLOG", "ASKING",
    "FAST", "NO_AUTH", "MAY_REPLICATE", "SENTINEL", "ONLY_SENTINEL",
    "NO_MANDATORY_KEYS", "PROTECTED", "MODULE_GETKEYS", "MODULE_NO_CLUSTER",
    "NO_ASYNC_LOADING", "NO_MULTI", "MOVABLE_KEYS", "ALLOW_BUSY",
    "MODULE_GETCHANNELS", "TOUCHES_ARBITRARY_KEYS",
]

ACL_CATEGORIES = [
    "KEYSPACE", "READ", "WRITE", "SET", "SORTEDSET", "LIST", "HASH", "STRING",
    "BITMAP", "HYPERLOGLOG", "GEO", "STREAM", "PUBSUB", "ADMIN", "FAST",
    "SLOW", "BLOCKING", "DANGEROUS", "CONNECTION", "TRANSACTION", "SCRIPTING",
]

KSPEC_FLAGS = [
    "RO", "RW", "OW", "RM", "ACCESS", "UPDATE", "INSERT", "DELETE", "NOT_KEY",
    "INCOMPLETE", "VARIABLE_FLAGS",
]

DOC_FLAGS = ["DEPRECATED", "SYSCMD"]

GETKEYS_PROCS = {
    "bitfieldGetKeys": "Bitfield",
    "blmpopGetKeys": "Blmpop",
    "bzmpopGetKeys": "Blmpop",  # same positions as blmpop
    "evalGetKeys": "Eval",
    "functionGetKeys": "Function",
    "georadiusGetKeys": "Georadius",
    "lmpopGetKeys": "Lmpop",
    "migrateGetKeys": "Migrate",
    "setGetKeys": "Set",
    "sintercardGetKeys": "Sintercard",
    "sortGetKeys": "Sort",
    "sortROGetKeys": "SortRo",
    "xreadGetKeys": "Xread",
    "zmpopGetKeys": "Zmpop",
    "zunionInterDiffGetKeys": "ZunionInterDiff",
    "zunionInterDiffStoreGetKeys": "ZunionInterDiffStore",
}


def fail(msg):
    sys.exit("gen-command-table: " + msg)


C_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "'": "'"}


# Redis' generator pastes JSON strings unescaped between C double quotes
# (turning newlines into backslash-n), so the C compiler has the last word:
# MIGRATE's token, the JSON string of two double quotes, becomes four quotes
# in C, i.e. two adjacent empty literals: the empty string (present, not
# NULL). c_value mirrors that.
def c_value(v):
    """The string redis-server ends up with for a JSON string."""
    src = '"' + v.replace("\n", "\\n") + '"'
    out, i = [], 0
    while i < len(src):
        if src[i] != '"':
            fail("cannot read %r as C string literals" % v)
        i += 1
        while src[i] != '"':
            if src[i] == "\\":
                if src[i + 1] not in C_ESCAPES:
                    fail("unsupported C escape in %r" % v)
                out.append(C_ESCAPES[src[i + 1]])
                i += 2
            else:
                out.append(src[i])
                i += 1
        i += 1
        while i < len(src) and src[i] in " \t":
            i += 1
    return "".join(out)


def rust_str(s):
    s = c_value(s)
    out = ['"']
    for ch in s:
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append("\\u{%x}" % ord(ch))
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def opt_str(v):
    # Like Redis' generator, an empty string counts as absent.
    return "Some(%s)" % rust_str(v) if v else "None"


def bits(names, known, prefix, what):
    for n in names:
        if n not in known:
            fail("unknown %s %r" % (what, n))
    used = [n for n in known if n in names]
    return " | ".join(prefix + n for n in used) if used else "0"


# --------------------------------------------------------------------------
# Loading.
# --------------------------------------------------------------------------


def load(commands_dir):
    files = sorted(glob.glob(os.path.join(commands_dir, "*.json")))
    if not files:
        fail("no *.json in %s" % commands_dir)
    top, subs = {}, {}
    for path in files:
        with open(path, encoding="utf-8") as f:
            try:
                data = json.load(f)
            except json.JSONDecodeError as err:
                fail("%s: %s" % (path, err))
        for name, desc in data.items():
            name = name.lower()
            container = desc.get("container")
            if container:
                bucket = subs.setdefault(container.lower(), {})
            else:
                bucket = top
            if name in bucket:
                fail("duplicate command %s (%s)" % (name, path))
            bucket[name] = desc
    for container in subs:
        if container not in top:
            fail("subcommands of unknown container %s" % container)
    return top, subs


# --------------------------------------------------------------------------
# What populateCommandStructure derives.
# --------------------------------------------------------------------------


def only_sentinel(desc):
    return "ONLY_SENTINEL" in desc.get("command_flags", [])


def implicit_acl(flags, cats):
    cats = set(cats)
    if "WRITE" in flags:
        cats.add("WRITE")
    if "READONLY" in flags and "SCRIPTING" not in cats:
        cats.add("READ")
    if "ADMIN" in flags:
        cats.update(("ADMIN", "DANGEROUS"))
    if "PUBSUB" in flags:
        cats.add("PUBSUB")
    if "FAST" in flags:
        cats.add("FAST")
    if "BLOCKING" in flags:
        cats.add("BLOCKING")
    if "FAST" not in cats:
        cats.add("SLOW")
    return cats


def is_index_range(spec):
    return "index" in spec["begin_search"] and "range" in spec["find_keys"]


def movable_keys(specs):
    """Whether populateCommandLegacyRangeSpec sets CMD_MOVABLE_KEYS."""
    if not specs:
        return False
    if len(specs) == 1 and is_index_range(specs[0]):
        return "INCOMPLETE" in specs[0]["flags"]
    movable = False
    first = None
    last = prev_last = 0
    for spec in specs:
        if not is_index_range(spec):
            movable = True
            continue
        pos = spec["begin_search"]["index"]["pos"]
        rng = spec["find_keys"]["range"]
        if rng["step"] != 1 or (prev_last and prev_last != pos - 1):
            movable = True
            continue
        if "INCOMPLETE" in spec["flags"]:
            movable = True
        first = pos if first is None else min(first, pos)
        abs_last = pos + rng["lastkey"] if rng["lastkey"] >= 0 else rng["lastkey"]
        # Redis compares these as unsigned: negative (from the end) wins.
        last = max(last & 0xFFFFFFFF, abs_last & 0xFFFFFFFF)
        last = last - (1 << 32) if last >= 1 << 31 else last
        prev_last = last
    return movable or first is None


# --------------------------------------------------------------------------
# Emitting.
# --------------------------------------------------------------------------


def key_spec_code(spec):
    bs = spec["begin_search"]
    if bs.get("index"):
        begin = "BeginSearch::Index(%d)" % bs["index"]["pos"]
    elif bs.get("keyword"):
        begin = "BeginSearch::Keyword { keyword: %s, start_from: %d }" % (
            rust_str(bs["keyword"]["keyword"]),
            bs["keyword"]["startfrom"],
        )
    elif "unknown" in bs:
        begin = "BeginSearch::Unknown"
    else:
        fail("invalid begin_search %r" % bs)
    fk = spec["find_keys"]
    if fk.get("range"):
        r = fk["range"]
        find = "FindKeys::Range { last_key: %d, key_step: %d, limit: %d }" % (
            r["lastkey"], r["step"], r["limit"])
    elif fk.get("keynum"):
        k = fk["keynum"]
        find = "FindKeys::Keynum { keynum_idx: %d, first_key: %d, key_step: %d }" % (
            k["keynumidx"], k["firstkey"], k["step"])
    elif "unknown" in fk:
        find = "FindKeys::Unknown"
    else:
        fail("invalid find_keys %r" % fk)
    return "KeySpec { notes: %s, flags: %s, begin_search: %s, find_keys: %s }" % (
        opt_str(spec.get("notes")),
        bits(spec.get("flags", []), KSPEC_FLAGS, "KSPEC_", "key-spec flag"),
        begin,
        find,
    )


def arg_code(desc, nspecs, where, indent):
    """One ArgDoc literal per line; members of a oneof/block nested below."""
    kind = desc["type"]
    if kind not in ARG_TYPES:
        fail("%s: unknown argument type %r" % (where, kind))
    name = desc["name"].lower()
    fields = ["name: %s" % rust_str(name), "kind: ArgType::%s" % ARG_TYPES[kind]]
    ksi = desc.get("key_spec_index")
    if ksi is not None:
        if not 0 <= ksi < nspecs:
            fail("%s %s: key_spec_index %d out of range" % (where, name, ksi))
        fields.append("key_spec_index: %d" % ksi)
    token = desc.get("token")
    if token:
        fields.append("token: Some(%s)" % rust_str(token.upper()))
    for key in ("summary", "since", "deprecated_since"):
        if desc.get(key):
            fields.append("%s: Some(%s)" % (key, rust_str(desc[key])))
    if desc.get("display"):
        fields.append("display: Some(%s)" % rust_str(desc["display"]))
    flags = []
    if desc.get("optional"):
        flags.append("ARG_OPTIONAL")
    if desc.get("multiple"):
        flags.append("ARG_MULTIPLE")
    if desc.get("multiple_token"):
        if not desc.get("multiple"):
            fail("%s %s: multiple_token without multiple" % (where, name))
        flags.append("ARG_MULTIPLE_TOKEN")
    if flags:
        fields.append("flags: %s" % " | ".join(flags))
    pad = " " * indent
    if kind not in ("oneof", "block"):
        return ["%sArgDoc { %s, ..ARG }," % (pad, ", ".join(fields))]
    lines = ["%sArgDoc { %s, subargs: &[" % (pad, ", ".join(fields))]
    for sub in desc["arguments"]:
        lines += arg_code(sub, nspecs, where + " " + name, indent + 4)
    lines.append("%s], ..ARG }," % pad)
    return lines


def slice_lines(field, items, empty, pad):
    """`field: &[` + one item per line + `],`, or `field: EMPTY,`."""
    if not items:
        return ["%s%s: %s," % (pad, field, empty)]
    return ["%s%s: &[" % (pad, field)] + items + ["%s]," % pad]


def command_code(name, desc, container, group, subcommands, indent):
    where = "%s|%s" % (container, name) if container else name
    flags = set(desc.get("command_flags", []))
    specs = desc.get("key_specs", [])
    for spec in specs:
        if "flags" not in spec:
            fail("%s: key spec without flags" % where)
    if movable_keys(specs):
        flags.add("MOVABLE_KEYS")
    cats = implicit_acl(flags, desc.get("acl_categories", []))
    getkeys = desc.get("get_keys_function")
    if getkeys and getkeys not in GETKEYS_PROCS:
        fail("%s: unknown get_keys_function %s" % (where, getkeys))
    if not desc.get("summary") or not desc.get("since"):
        fail("%s: summary and since are required" % where)
    p0 = " " * indent
    p1 = " " * (indent + 4)
    p2 = " " * (indent + 8)
    p3 = " " * (indent + 12)
    lines = [
        "%sCommandSpec {" % p0,
        "%sname: %s, container: %s, arity: %d," % (p1, rust_str(name), opt_str(container), desc["arity"]),
        "%sflags: %s," % (p1, bits(flags, CMD_FLAGS, "CMD_", "command flag")),
        "%sacl_categories: %s," % (p1, bits(cats, ACL_CATEGORIES, "ACL_", "ACL category")),
    ]
    lines += slice_lines("key_specs", ["%s%s," % (p2, key_spec_code(s)) for s in specs], "NO_KEY_SPECS", p1)
    lines += slice_lines("subcommands", subcommands, "NO_COMMANDS", p1)
    lines += [
        "%sdoc: CommandDoc {" % p1,
        "%ssummary: %s," % (p2, rust_str(desc["summary"])),
        "%ssince: %s, group: %s, complexity: %s," % (
            p2, rust_str(desc["since"]), rust_str(GROUPS[group]), opt_str(desc.get("complexity"))),
        "%sdoc_flags: %s, deprecated_since: %s, replaced_by: %s," % (
            p2,
            bits(desc.get("doc_flags", []), DOC_FLAGS, "DOC_", "doc flag"),
            opt_str(desc.get("deprecated_since")),
            opt_str(desc.get("replaced_by")),
        ),
    ]
    history = ["%s(%s, %s)," % (p3, rust_str(v), rust_str(c)) for v, c in desc.get("history") or []]
    lines += slice_lines("history", history, "NO_HISTORY", p2)
    args = []
    for a in desc.get("arguments", []):
        args += arg_code(a, len(specs), where, indent + 12)
    lines += slice_lines("args", args, "NO_ARGS", p2)
    lines.append("%s}," % p1)
    tips = ", ".join(rust_str(t.lower()) for t in desc.get("command_tips") or [])
    lines.append("%stips: %s," % (p1, "&[%s]" % tips if tips else "NO_TIPS"))
    lines.append("%sgetkeys: %s," % (
        p1, "Some(GetKeysProc::%s)" % GETKEYS_PROCS[getkeys] if getkeys else "None"))
    lines.append("%s}," % p0)
    return lines


def redis_version(commands_dir):
    try:
        with open(os.path.join(commands_dir, "..", "version.h"), encoding="utf-8") as f:
            m = re.search(r'REDIS_VERSION\s+"([^"]+)"', f.read())
            return m.group(1) if m else None
    except OSError:
        return None


def generate(commands_dir):
    top, subs = load(commands_dir)
    entries = []
    counts = [0, 0]
    for name in sorted(top):
        desc = top[name]
        if only_sentinel(desc):
            continue
        group = desc["group"]
        if group not in GROUPS:
            fail("%s: unknown group %s" % (name, group))
        sub_codes = []
        for sub_name in sorted(subs.get(name, {})):
            sub = subs[name][sub_name]
            if only_sentinel(sub):
                continue
            if sub.get("group", group) != group:
                fail("%s|%s: group differs from its container's" % (name, sub_name))
            sub_codes += command_code(sub_name, sub, name, group, [], 12)
            counts[1] += 1
        counts[0] += 1
        entries += command_code(name, desc, None, group, sub_codes, 4)

    version = redis_version(commands_dir) or "7.0.15"
    out = [
        "//! Redis %s's command table: every command and subcommand with its arity," % version,
        "//! flags, ACL categories, key specs, docs and tips.",
        "//!",
        "//! Generated by `scripts/gen-command-table.py` from Redis %s's" % version,
        "//! `src/commands/*.json`. Do not edit: change the script and re-run it.",
        "",
        "use super::spec::*;",
        "",
        "const NO_KEY_SPECS: &[KeySpec] = &[];",
        "const NO_COMMANDS: &[CommandSpec] = &[];",
        "const NO_HISTORY: &[(&str, &str)] = &[];",
        "const NO_TIPS: &[&str] = &[];",
        "const NO_ARGS: &[ArgDoc] = &[];",
        "",
        "/// Defaults of the fields most arguments leave out.",
        "const ARG: ArgDoc = ArgDoc {",
        "    name: \"\",",
        "    kind: ArgType::String,",
        "    key_spec_index: -1,",
        "    token: None,",
        "    summary: None,",
        "    since: None,",
        "    flags: 0,",
        "    deprecated_since: None,",
        "    display: None,",
        "    subargs: NO_ARGS,",
        "};",
        "",
        "/// Top-level commands sorted by name, each with its subcommands sorted by name",
        "/// (%d commands, %d subcommands)." % tuple(counts),
        "#[rustfmt::skip]",
        "pub static COMMAND_TABLE: &[CommandSpec] = &[",
    ] + entries + ["];", ""]
    return "\n".join(out), counts


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(here)
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("commands_dir", nargs="?")
    ap.add_argument("-o", "--output", default=os.path.join(root, "src", "command", "table.rs"))
    opts = ap.parse_args()
    commands_dir = opts.commands_dir
    if not commands_dir:
        if os.environ.get("REDIS_SRC"):
            commands_dir = os.path.join(os.environ["REDIS_SRC"], "src", "commands")
        else:
            commands_dir = os.path.join(root, "target", "redis-src", "redis-7.0.15", "src", "commands")
    text, counts = generate(commands_dir)
    with open(opts.output, "w", encoding="utf-8") as f:
        f.write(text)
    print("wrote %s: %d commands, %d subcommands" % (opts.output, counts[0], counts[1]))


if __name__ == "__main__":
    main()
