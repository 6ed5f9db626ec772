//! COMMAND and its subcommands (COUNT, INFO, DOCS, LIST, GETKEYS, GETKEYSANDFLAGS,
//! HELP), answered from the registry: they describe exactly the commands this server
//! runs. redis-cli 7 reads COMMAND DOCS for its hints.

use super::args::is_token;
use super::keys::get_keys;
use super::spec::{
    acl_category_names, arg_flag_names, doc_flag_names, flag_names, key_spec_flag_names,
    lookup_argv, ArgDoc, BeginSearch, FindKeys,
};
use super::{CmdError, CmdResult, Command, Ctx, Registry};
use crate::protocol::reply::Reply;
use crate::server::connection::help_reply;
use crate::util::glob::glob_match;

fn reply_status_set(r: &mut Reply, names: &[&str]) {
    r.set_len(names.len());
    for n in names {
        r.simple(n);
    }
}

/// One COMMAND INFO entry (an array of ten fields).
fn reply_info(r: &mut Reply, reg: &Registry, cmd: &Command) {
    let spec = cmd.spec;
    let (first, last, step) = spec.legacy_range();
    r.array_len(10);
    r.bulk(cmd.full_name.as_bytes());
    r.int(spec.arity as i64);
    reply_status_set(r, &flag_names(spec.flags));
    r.int(first as i64);
    r.int(last as i64);
    r.int(step as i64);
    let cats: Vec<String> = acl_category_names(spec.acl_categories)
        .iter()
        .map(|c| format!("@{c}"))
        .collect();
    r.set_len(cats.len());
    for c in &cats {
        r.simple(c);
    }
    r.set_len(spec.tips.len());
    for t in spec.tips {
        r.bulk(t.as_bytes());
    }
    reply_key_specs(r, cmd);
    let subs: Vec<&Command> = reg.subcommands_of(cmd).collect();
    if cmd.subcommands.is_empty() {
        r.set_len(0);
    } else {
        r.array_len(subs.len());
        for s in subs {
            reply_info(r, reg, s);
        }
    }
}

fn reply_key_specs(r: &mut Reply, cmd: &Command) {
    let specs = cmd.spec.key_specs;
    r.set_len(specs.len());
    for ks in specs {
        r.map_len(3 + ks.notes.is_some() as usize);
        if let Some(n) = ks.notes {
            r.bulk(b"notes");
            r.bulk(n.as_bytes());
        }
        r.bulk(b"flags");
        reply_status_set(r, &key_spec_flag_names(ks.flags));
        r.bulk(b"begin_search");
        r.map_len(2);
        r.bulk(b"type");
        match ks.begin_search {
            BeginSearch::Index(pos) => {
                r.bulk(b"index");
                r.bulk(b"spec");
                r.map_len(1);
                r.bulk(b"index");
                r.int(pos as i64);
            }
            BeginSearch::Keyword {
                keyword,
                start_from,
            } => {
                r.bulk(b"keyword");
                r.bulk(b"spec");
                r.map_len(2);
                r.bulk(b"keyword");
                r.bulk(keyword.as_bytes());
                r.bulk(b"startfrom");
                r.int(start_from as i64);
            }
            BeginSearch::Unknown => {
                r.bulk(b"unknown");
                r.bulk(b"spec");
                r.map_len(0);
            }
        }
        r.bulk(b"find_keys");
        r.map_len(2);
        r.bulk(b"type");
        match ks.find_keys {
            FindKeys::Range {
                last_key,
                key_step,
                limit,
            } => {
                r.bulk(b"range");
                r.bulk(b"spec");
                r.map_len(3);
                r.bulk(b"lastkey");
                r.int(last_key as i64);
                r.bulk(b"keystep");
                r.int(key_step as i64);
                r.bulk(b"limit");
                r.int(limit as i64);
            }
            FindKeys::Keynum {
                keynum_idx,
                first_key,
                key_step,
            } => {
                r.bulk(b"keynum");
                r.bulk(b"spec");
                r.map_len(3);
                r.bulk(b"keynumidx");
                r.int(keynum_idx as i64);
                r.bulk(b"firstkey");
                r.int(first_key as i64);
                r.bulk(b"keystep");
                r.int(key_step as i64);
            }
            FindKeys::Unknown => {
                r.bulk(b"unknown");
                r.bulk(b"spec");
                r.map_len(0);
            }
        }
    }
}

fn reply_args(r: &mut Reply, args: &[ArgDoc]) {
    r.array_len(args.len());
    for a in args {
        let nested = !a.subargs.is_empty();
        let n = 2
            + (a.key_spec_index != -1) as usize
            + a.token.is_some() as usize
            + a.summary.is_some() as usize
            + a.since.is_some() as usize
            + a.deprecated_since.is_some() as usize
            + (a.flags != 0) as usize
            + nested as usize;
        r.map_len(n);
        r.bulk(b"name");
        r.bulk(a.name.as_bytes());
        r.bulk(b"type");
        r.bulk(a.kind.as_str().as_bytes());
        if a.key_spec_index != -1 {
            r.bulk(b"key_spec_index");
            r.int(a.key_spec_index as i64);
        }
        if let Some(t) = a.token {
            r.bulk(b"token");
            r.bulk(t.as_bytes());
        }
        if let Some(s) = a.summary {
            r.bulk(b"summary");
            r.bulk(s.as_bytes());
        }
        if let Some(s) = a.since {
            r.bulk(b"since");
            r.bulk(s.as_bytes());
        }
        if let Some(s) = a.deprecated_since {
            r.bulk(b"deprecated_since");
            r.bulk(s.as_bytes());
        }
        if a.flags != 0 {
            r.bulk(b"flags");
            reply_status_set(r, &arg_flag_names(a.flags));
        }
        if nested {
            r.bulk(b"arguments");
            reply_args(r, a.subargs);
        }
    }
}

/// One COMMAND DOCS entry (a map).
fn reply_docs(r: &mut Reply, reg: &Registry, cmd: &Command) {
    let d = &cmd.spec.doc;
    let has_subs = !cmd.subcommands.is_empty();
    let n = 1
        + !d.summary.is_empty() as usize
        + !d.since.is_empty() as usize
        + d.complexity.is_some() as usize
        + (d.doc_flags != 0) as usize
        + d.deprecated_since.is_some() as usize
        + d.replaced_by.is_some() as usize
        + !d.history.is_empty() as usize
        + !d.args.is_empty() as usize
        + has_subs as usize;
    r.map_len(n);
    if !d.summary.is_empty() {
        r.bulk(b"summary");
        r.bulk(d.summary.as_bytes());
    }
    if !d.since.is_empty() {
        r.bulk(b"since");
        r.bulk(d.since.as_bytes());
    }
    r.bulk(b"group");
    r.bulk(d.group.as_bytes());
    if let Some(c) = d.complexity {
        r.bulk(b"complexity");
        r.bulk(c.as_bytes());
    }
    if d.doc_flags != 0 {
        r.bulk(b"doc_flags");
        reply_status_set(r, &doc_flag_names(d.doc_flags));
    }
    if let Some(s) = d.deprecated_since {
        r.bulk(b"deprecated_since");
        r.bulk(s.as_bytes());
    }
    if let Some(s) = d.replaced_by {
        r.bulk(b"replaced_by");
        r.bulk(s.as_bytes());
    }
    if !d.history.is_empty() {
        r.bulk(b"history");
        r.set_len(d.history.len());
        for (since, change) in d.history {
            r.array_len(2);
            r.bulk(since.as_bytes());
            r.bulk(change.as_bytes());
        }
    }
    if !d.args.is_empty() {
        r.bulk(b"arguments");
        reply_args(r, d.args);
    }
    if has_subs {
        r.bulk(b"subcommands");
        let subs: Vec<&Command> = reg.subcommands_of(cmd).collect();
        r.map_len(subs.len());
        for s in subs {
            r.bulk(s.full_name.as_bytes());
            reply_docs(r, reg, s);
        }
    }
}

/// Finds a command by name, `container|sub` naming a subcommand.
fn find<'r>(reg: &'r Registry, name: &[u8]) -> Option<&'r Command> {
    let mut parts = name.splitn(2, |&c| c == b'|');
    let top = reg.lookup_top(parts.next()?)?;
    match parts.next() {
        None => Some(top),
        Some(sub) => {
            let sub = sub.to_ascii_lowercase();
            top.subcommands.get(&sub).map(|&i| &reg.commands[i])
        }
    }
}

/// COMMAND: COMMAND INFO of every command.
pub fn command(ctx: &mut Ctx) -> CmdResult {
    let reg = ctx.srv.registry;
    let top: Vec<&Command> = reg.top_level().collect();
    ctx.reply.array_len(top.len());
    for c in top {
        reply_info(ctx.reply, reg, c);
    }
    Ok(())
}

/// COMMAND COUNT
pub fn command_count(ctx: &mut Ctx) -> CmdResult {
    ctx.reply.int(ctx.srv.registry.top_level().count() as i64);
    Ok(())
}

/// COMMAND INFO [command-name ...]
pub fn command_info(ctx: &mut Ctx) -> CmdResult {
    if ctx.argv.len() == 2 {
        return command(ctx);
    }
    let reg = ctx.srv.registry;
    ctx.reply.array_len(ctx.argv.len() - 2);
    for name in ctx.argv.iter().skip(2) {
        match find(reg, name) {
            Some(c) => reply_info(ctx.reply, reg, c),
            None => ctx.reply.null(),
        }
    }
    Ok(())
}

/// COMMAND DOCS [command-name ...]
pub fn command_docs(ctx: &mut Ctx) -> CmdResult {
    let reg = ctx.srv.registry;
    if ctx.argv.len() == 2 {
        let top: Vec<&Command> = reg.top_level().collect();
        ctx.reply.map_len(top.len());
        for c in top {
            ctx.reply.bulk(c.full_name.as_bytes());
            reply_docs(ctx.reply, reg, c);
        }
        return Ok(());
    }
    let found: Vec<&Command> = ctx
        .argv
        .iter()
        .skip(2)
        .filter_map(|n| find(reg, n))
        .collect();
    ctx.reply.map_len(found.len());
    for c in found {
        ctx.reply.bulk(c.full_name.as_bytes());
        reply_docs(ctx.reply, reg, c);
    }
    Ok(())
}

/// COMMAND LIST [FILTERBY MODULE name|ACLCAT category|PATTERN pattern]
pub fn command_list(ctx: &mut Ctx) -> CmdResult {
    let reg = ctx.srv.registry;
    let mut names: Vec<&str> = Vec::new();
    let all = || reg.commands.iter();
    match ctx.argv.len() {
        2 => names.extend(all().map(|c| c.full_name)),
        5 if is_token(ctx.argv.get(2), "FILTERBY") => {
            let (kind, arg) = (ctx.argv.get(3), ctx.argv.get(4));
            if is_token(kind, "MODULE") {
            } else if is_token(kind, "ACLCAT") {
                // An unknown category simply matches nothing.
                if let Some(bit) = super::spec::acl_category_by_name(arg) {
                    names.extend(
                        all()
                            .filter(|c| c.spec.acl_categories & bit != 0)
                            .map(|c| c.full_name),
                    );
                }
            } else if is_token(kind, "PATTERN") {
                names.extend(
                    all()
                        .filter(|c| glob_match(arg, c.full_name.as_bytes(), true))
                        .map(|c| c.full_name),
                );
            } else {
                return Err(CmdError::Syntax);
            }
        }
        _ => return Err(CmdError::Syntax),
    }
    ctx.reply.array_len(names.len());
    for n in names {
        ctx.reply.bulk(n.as_bytes());
    }
    Ok(())
}

/// GETKEYS reads key positions from the full command table, implemented or not:
/// it is metadata about arguments, like the table Redis ships.
fn getkeys_generic(ctx: &mut Ctx, with_flags: bool) -> CmdResult {
    let argv: Vec<&[u8]> = ctx.argv.iter().skip(2).collect();
    let spec = lookup_argv(super::table::COMMAND_TABLE, &argv)
        .ok_or_else(|| CmdError::err("Invalid command specified"))?;
    let keys = get_keys(spec, &argv).map_err(|e| CmdError::raw(e.message()))?;
    ctx.reply.array_len(keys.len());
    for (idx, flags) in keys {
        if with_flags {
            ctx.reply.array_len(2);
            ctx.reply.bulk(argv[idx]);
            reply_status_set(ctx.reply, &key_spec_flag_names(flags));
        } else {
            ctx.reply.bulk(argv[idx]);
        }
    }
    Ok(())
}

/// COMMAND GETKEYS command [arg ...]
pub fn command_getkeys(ctx: &mut Ctx) -> CmdResult {
    getkeys_generic(ctx, false)
}

/// COMMAND GETKEYSANDFLAGS command [arg ...]
pub fn command_getkeysandflags(ctx: &mut Ctx) -> CmdResult {
    getkeys_generic(ctx, true)
}

/// COMMAND HELP
pub fn command_help(ctx: &mut Ctx) -> CmdResult {
    help_reply(
        ctx,
        &[
            "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "(no subcommand)",
            "    Return details about all Redis commands.",
            "COUNT",
            "    Return the total number of commands in this Redis server.",
            "LIST",
            "    Return a list of all commands in this Redis server.",
            "INFO [<command-name> ...]",
            "    Return details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "DOCS [<command-name> ...]",
            "    Return documentation details about multiple Redis commands.",
            "    If no command names are given, documentation details for all",
            "    commands are returned.",
            "GETKEYS <full-command>",
            "    Return the keys from a full Redis command.",
            "GETKEYSANDFLAGS <full-command>",
            "    Return the keys and the access flags from a full Redis command.",
            "HELP",
            "    Print this help.",
        ],
    );
    Ok(())
}
