//! A command's arguments and the cursor handlers read them with.
//!
//! `Argv` is a borrowed view of the arguments as they sit in the query buffer (or in an
//! owned copy, for queued and blocked commands): no argument is copied to run a
//! command. `ArgCursor` walks them (`next_bytes`, `next_i64`, option tokens) and
//! `finish()` rejects leftovers with a syntax error, so handlers read like the docs.

use super::error::CmdError;
use crate::protocol::request::Span;
use crate::util::numbers::{parse_f64, parse_i64};

/// The arguments of one command, `argv[0]` being the command name.
#[derive(Clone, Copy)]
pub struct Argv<'a> {
    buf: &'a [u8],
    spans: &'a [Span],
}

impl<'a> Argv<'a> {
    pub fn new(buf: &'a [u8], spans: &'a [Span]) -> Argv<'a> {
        Argv { buf, spans }
    }

    /// Number of arguments, command name included.
    #[inline]
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// Argument `i`; panics when out of range (arity is checked before handlers run).
    #[inline]
    pub fn get(&self, i: usize) -> &'a [u8] {
        let s = self.spans[i];
        &self.buf[s.start..s.start + s.len]
    }

    /// Argument `i`, or `None` past the end.
    #[inline]
    pub fn try_get(&self, i: usize) -> Option<&'a [u8]> {
        self.spans
            .get(i)
            .map(|s| &self.buf[s.start..s.start + s.len])
    }

    /// Iterates over all arguments.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &'a [u8]> + 'a {
        let buf = self.buf;
        self.spans
            .iter()
            .map(move |s| &buf[s.start..s.start + s.len])
    }

    /// A cursor positioned on the first argument after the command name.
    pub fn cursor(&self) -> ArgCursor<'a> {
        ArgCursor {
            argv: *self,
            pos: 1,
        }
    }

    /// Copies the arguments into an owned command (for MULTI queues, blocked clients).
    pub fn to_owned_argv(&self) -> OwnedArgv {
        let mut o = OwnedArgv::default();
        for a in self.iter() {
            o.push(a);
        }
        o
    }
}

/// An owned argument vector: one buffer and spans into it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OwnedArgv {
    pub buf: Vec<u8>,
    pub spans: Vec<Span>,
}

impl OwnedArgv {
    /// Builds an argument vector from parts.
    pub fn from_parts<'b, I: IntoIterator<Item = &'b [u8]>>(parts: I) -> OwnedArgv {
        let mut o = OwnedArgv::default();
        for p in parts {
            o.push(p);
        }
        o
    }

    /// Appends one argument.
    pub fn push(&mut self, a: &[u8]) {
        self.spans.push(Span {
            start: self.buf.len(),
            len: a.len(),
        });
        self.buf.extend_from_slice(a);
    }

    /// A borrowed view.
    pub fn view(&self) -> Argv<'_> {
        Argv::new(&self.buf, &self.spans)
    }

    pub fn len(&self) -> usize {
        self.spans.len()
    }

    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }
}

/// Reads arguments in order; every parse error is Redis's.
#[derive(Clone, Copy)]
pub struct ArgCursor<'a> {
    argv: Argv<'a>,
    pos: usize,
}

impl<'a> ArgCursor<'a> {
    /// Arguments left.
    #[inline]
    pub fn remaining(&self) -> usize {
        self.argv.len().saturating_sub(self.pos)
    }

    /// True when every argument was read.
    #[inline]
    pub fn is_done(&self) -> bool {
        self.remaining() == 0
    }

    /// Index of the next argument in argv.
    #[inline]
    pub fn position(&self) -> usize {
        self.pos
    }

    /// The next argument, or a syntax error when there is none.
    #[inline]
    pub fn next_bytes(&mut self) -> Result<&'a [u8], CmdError> {
        let a = self.argv.try_get(self.pos).ok_or(CmdError::Syntax)?;
        self.pos += 1;
        Ok(a)
    }

    /// A key argument (same as `next_bytes`, named for readability).
    #[inline]
    pub fn key(&mut self) -> Result<&'a [u8], CmdError> {
        self.next_bytes()
    }

    /// The next argument without consuming it.
    #[inline]
    pub fn peek(&self) -> Option<&'a [u8]> {
        self.argv.try_get(self.pos)
    }

    /// The next argument as an integer ("value is not an integer or out of range").
    pub fn next_i64(&mut self) -> Result<i64, CmdError> {
        parse_i64(self.next_bytes()?).ok_or(CmdError::NotInteger)
    }

    /// The next argument as a float ("value is not a valid float").
    pub fn next_f64(&mut self) -> Result<f64, CmdError> {
        parse_f64(self.next_bytes()?).ok_or(CmdError::NotFloat)
    }

    /// Consumes the next argument if it equals `token` (case-insensitive).
    pub fn eat(&mut self, token: &str) -> bool {
        match self.peek() {
            Some(a) if a.eq_ignore_ascii_case(token.as_bytes()) => {
                self.pos += 1;
                true
            }
            _ => false,
        }
    }

    /// All remaining arguments.
    pub fn rest(&mut self) -> impl ExactSizeIterator<Item = &'a [u8]> + 'a {
        let argv = self.argv;
        let start = self.pos;
        self.pos = argv.len();
        (start..argv.len()).map(move |i| argv.get(i))
    }

    /// Rejects leftover arguments with a syntax error.
    pub fn finish(&self) -> Result<(), CmdError> {
        if self.is_done() {
            Ok(())
        } else {
            Err(CmdError::Syntax)
        }
    }
}

/// True when `a` equals `token`, ignoring ASCII case.
#[inline]
pub fn is_token(a: &[u8], token: &str) -> bool {
    a.eq_ignore_ascii_case(token.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_reads_in_order_and_finishes() {
        let o = OwnedArgv::from_parts([&b"getrange"[..], b"k", b"0", b"-1"]);
        let mut c = o.view().cursor();
        assert_eq!(c.key().unwrap(), b"k");
        assert_eq!(c.next_i64().unwrap(), 0);
        assert_eq!(c.next_i64().unwrap(), -1);
        assert!(c.finish().is_ok());
        assert_eq!(c.next_bytes(), Err(CmdError::Syntax));
    }

    #[test]
    fn bad_integer_is_redis_error() {
        let o = OwnedArgv::from_parts([&b"incrby"[..], b"k", b"1.5"]);
        let mut c = o.view().cursor();
        c.key().unwrap();
        assert_eq!(c.next_i64(), Err(CmdError::NotInteger));
    }

    #[test]
    fn eat_matches_tokens_case_insensitively() {
        let o = OwnedArgv::from_parts([&b"set"[..], b"k", b"v", b"nX"]);
        let mut c = o.view().cursor();
        c.key().unwrap();
        c.next_bytes().unwrap();
        assert!(!c.eat("XX"));
        assert!(c.eat("NX"));
        assert!(c.finish().is_ok());
    }

    #[test]
    fn leftovers_are_syntax_error() {
        let o = OwnedArgv::from_parts([&b"get"[..], b"k", b"extra"]);
        let mut c = o.view().cursor();
        c.key().unwrap();
        assert_eq!(c.finish(), Err(CmdError::Syntax));
    }
}
