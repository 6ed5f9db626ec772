//! Commands: the registry built from the static table, the context handlers run in,
//! and dispatch (lookup, arity, authentication, flags, stats) done once, centrally.
//!
//! `table` is the data of every Redis 7.0 command (arity, flags, key specs, docs),
//! generated from Redis's command JSON by `scripts/gen-command-table.py`; `handlers`
//! maps the names we implement to functions. A command without a handler is unknown,
//! so COMMAND COUNT and COMMAND INFO describe exactly what this server runs.

pub mod args;
pub mod context;
pub mod dispatch;
pub mod error;
pub mod handlers;
pub mod introspect;
pub mod keys;
pub mod spec;
pub mod table;

use std::collections::HashMap;

pub use args::{ArgCursor, Argv, OwnedArgv};
pub use context::Ctx;
pub use error::CmdError;
use spec::CommandSpec;

/// Command names to table indexes. The table is fixed at startup, so a keyed
/// hash buys nothing here: FNV-1a is a fraction of SipHash's cost per command.
pub type NameMap = HashMap<Vec<u8>, usize, std::hash::BuildHasherDefault<Fnv1a>>;

/// The FNV-1a hash (64-bit), for short static names.
#[derive(Debug, Clone, Copy)]
pub struct Fnv1a(u64);

impl Default for Fnv1a {
    fn default() -> Fnv1a {
        Fnv1a(0xcbf2_9ce4_8422_2325)
    }
}

impl std::hash::Hasher for Fnv1a {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// What a handler returns.
pub type CmdResult = Result<(), CmdError>;

/// A command implementation.
pub type Handler = fn(&mut Ctx) -> CmdResult;

/// A command this server runs: its spec, its handler and its subcommands.
pub struct Command {
    /// Index into the server's per-command stats.
    pub id: usize,
    pub spec: &'static CommandSpec,
    /// `get`, or `config|get` for a subcommand.
    pub full_name: &'static str,
    /// `None` for container commands (CONFIG, CLIENT...) that only dispatch; COMMAND
    /// has both a handler of its own and subcommands.
    pub handler: Option<Handler>,
    /// Lowercase subcommand name → command id.
    pub subcommands: NameMap,
    /// Id of the container, for subcommands.
    pub parent: Option<usize>,
}

impl Command {
    #[inline]
    pub fn has_flag(&self, flag: u64) -> bool {
        self.spec.flags & flag != 0
    }

    /// Redis's arity rule: positive is exact, negative is a minimum.
    #[inline]
    pub fn arity_ok(&self, argc: usize) -> bool {
        let a = self.spec.arity;
        if a >= 0 {
            argc == a as usize
        } else {
            argc >= (-a) as usize
        }
    }
}

/// Why a lookup failed.
#[derive(Debug, PartialEq, Eq)]
pub enum LookupError {
    UnknownCommand,
    UnknownSubcommand,
}

/// Every command this server runs.
pub struct Registry {
    pub commands: Vec<Command>,
    top: NameMap,
}

/// Lowercases `name` into `buf` (commands are at most a few dozen bytes).
fn lower<'b>(name: &[u8], buf: &'b mut [u8; 64]) -> Option<&'b [u8]> {
    if name.len() > buf.len() {
        return None;
    }
    for (d, s) in buf.iter_mut().zip(name) {
        *d = s.to_ascii_lowercase();
    }
    Some(&buf[..name.len()])
}

impl Registry {
    /// Builds the registry from the static table and the handler list; leaked so that
    /// `&'static Command` can travel with a running command.
    pub fn build() -> &'static Registry {
        let handlers: HashMap<&'static str, Handler> = handlers::ALL
            .iter()
            .flat_map(|t| t.iter().copied())
            .collect();
        let mut reg = Registry {
            commands: Vec::new(),
            top: NameMap::default(),
        };
        for spec in table::COMMAND_TABLE {
            let own = handlers.get(spec.name).copied();
            let mut subs = Vec::new();
            for sub in spec.subcommands {
                let full = format!("{}|{}", spec.name, sub.name);
                if let Some(h) = handlers.get(full.as_str()) {
                    subs.push((sub, full, *h));
                }
            }
            if own.is_none() && subs.is_empty() {
                continue;
            }
            let parent_id = reg.commands.len();
            reg.commands.push(Command {
                id: parent_id,
                spec,
                full_name: spec.name,
                handler: own,
                subcommands: NameMap::default(),
                parent: None,
            });
            reg.top.insert(spec.name.as_bytes().to_vec(), parent_id);
            for (sub, full, h) in subs {
                let id = reg.commands.len();
                reg.commands.push(Command {
                    id,
                    spec: sub,
                    full_name: Box::leak(full.into_boxed_str()),
                    handler: Some(h),
                    subcommands: NameMap::default(),
                    parent: Some(parent_id),
                });
                reg.commands[parent_id]
                    .subcommands
                    .insert(sub.name.as_bytes().to_vec(), id);
            }
        }
        Box::leak(Box::new(reg))
    }

    /// The top-level command named `name` (any case).
    pub fn lookup_top(&self, name: &[u8]) -> Option<&Command> {
        let mut buf = [0u8; 64];
        let l = lower(name, &mut buf)?;
        self.top.get(l).map(|&i| &self.commands[i])
    }

    /// Resolves argv to the command to run, descending into subcommands.
    pub fn lookup(&self, argv: &Argv) -> Result<&Command, LookupError> {
        let cmd = self
            .lookup_top(argv.get(0))
            .ok_or(LookupError::UnknownCommand)?;
        if cmd.subcommands.is_empty() {
            return Ok(cmd);
        }
        // A container: with no subcommand argument, the arity check reports it.
        let Some(sub) = argv.try_get(1) else {
            return Ok(cmd);
        };
        let mut buf = [0u8; 64];
        let l = lower(sub, &mut buf).ok_or(LookupError::UnknownSubcommand)?;
        cmd.subcommands
            .get(l)
            .map(|&i| &self.commands[i])
            .ok_or(LookupError::UnknownSubcommand)
    }

    /// The top-level commands, in table order.
    pub fn top_level(&self) -> impl Iterator<Item = &Command> {
        self.commands.iter().filter(|c| c.parent.is_none())
    }

    /// The subcommands of `cmd`, in table order.
    pub fn subcommands_of<'r>(&'r self, cmd: &'r Command) -> impl Iterator<Item = &'r Command> {
        self.commands
            .iter()
            .filter(move |c| c.parent == Some(cmd.id))
    }
}
