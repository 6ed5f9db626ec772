//! Command errors: the one place that turns a failure into Redis's exact error text.
//!
//! Handlers return `Err(CmdError::...)` through `?`; dispatch writes the reply and
//! counts it in INFO errorstats under the error's first word (`ERR`, `WRONGTYPE`, ...).

use std::borrow::Cow;
use std::fmt;

/// A command failure, rendered as Redis renders it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CmdError {
    /// `WRONGTYPE Operation against a key holding the wrong kind of value`
    WrongType,
    /// `ERR value is not an integer or out of range`
    NotInteger,
    /// `ERR value is not a valid float`
    NotFloat,
    /// `ERR syntax error`
    Syntax,
    /// `ERR no such key`
    NoSuchKey,
    /// `ERR index out of range`
    IndexOutOfRange,
    /// `ERR value is out of range` (or the detailed variant in `Err`)
    OutOfRange,
    /// `ERR increment or decrement would overflow`
    Overflow,
    /// `ERR wrong number of arguments for '<cmd>' command`
    WrongArity(String),
    /// `ERR source and destination objects are the same`
    SameObject,
    /// `BUSYKEY Target key name already exists.`
    BusyKey,
    /// `NOAUTH Authentication required.`
    NoAuth,
    /// Any other error: the whole text after `-`, prefix included (`ERR ...`, `NOPERM ...`).
    Other(Cow<'static, str>),
}

impl CmdError {
    /// An `ERR <msg>` error.
    pub fn err(msg: impl Into<Cow<'static, str>>) -> CmdError {
        let msg = msg.into();
        CmdError::Other(Cow::Owned(format!("ERR {msg}")))
    }

    /// An error whose text already carries its prefix (e.g. `NOPERM ...`).
    pub fn raw(text: impl Into<Cow<'static, str>>) -> CmdError {
        CmdError::Other(text.into())
    }

    /// The error text as sent after `-`.
    pub fn text(&self) -> Cow<'_, str> {
        match self {
            CmdError::WrongType => {
                "WRONGTYPE Operation against a key holding the wrong kind of value".into()
            }
            CmdError::NotInteger => "ERR value is not an integer or out of range".into(),
            CmdError::NotFloat => "ERR value is not a valid float".into(),
            CmdError::Syntax => "ERR syntax error".into(),
            CmdError::NoSuchKey => "ERR no such key".into(),
            CmdError::IndexOutOfRange => "ERR index out of range".into(),
            CmdError::OutOfRange => "ERR value is out of range".into(),
            CmdError::Overflow => "ERR increment or decrement would overflow".into(),
            CmdError::WrongArity(name) => {
                format!("ERR wrong number of arguments for '{name}' command").into()
            }
            CmdError::SameObject => "ERR source and destination objects are the same".into(),
            CmdError::BusyKey => "BUSYKEY Target key name already exists.".into(),
            CmdError::NoAuth => "NOAUTH Authentication required.".into(),
            CmdError::Other(s) => Cow::Borrowed(s),
        }
    }
}

impl fmt::Display for CmdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text())
    }
}

/// The error code INFO errorstats files an error under: its first word.
pub fn error_code(text: &str) -> &str {
    text.split(' ').next().unwrap_or(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn err_prefixes_message() {
        assert_eq!(CmdError::err("bad thing").text(), "ERR bad thing");
        assert_eq!(CmdError::raw("NOPERM no").text(), "NOPERM no");
    }

    #[test]
    fn wrong_arity_names_command() {
        assert_eq!(
            CmdError::WrongArity("get".into()).text(),
            "ERR wrong number of arguments for 'get' command"
        );
    }

    #[test]
    fn error_code_is_first_word() {
        assert_eq!(error_code("WRONGTYPE Operation"), "WRONGTYPE");
        assert_eq!(error_code("ERR"), "ERR");
    }
}
