//! Logging in Redis's format, through `log` and `env_logger`.
//!
//! A line reads `pid:R dd Mon yyyy hh:mm:ss.mmm L message`, where R is the role
//! (M master, S replica, C forked child, X sentinel) and L the level character:
//! `.` debug, `-` verbose, `*` notice, `#` warning. Redis's levels map onto `log`'s as
//! debug → Trace, verbose → Debug, notice → Info, warning → Warn (and Error, also `#`,
//! for broken data or invariants). Lines logged with target `raw` (the ASCII logo) are
//! written without a prefix, like `serverLogRaw`.

use std::fs::OpenOptions;
use std::io::Write;
use std::sync::atomic::{AtomicU8, Ordering};

use crate::config::LogLevel;

static ROLE: AtomicU8 = AtomicU8::new(b'M');

/// Sets the role character printed in every line (`M`, `S`, `C`, `X`).
pub fn set_role(role: u8) {
    ROLE.store(role, Ordering::Relaxed);
}

/// The `log` filter for a Redis `loglevel`.
pub fn level_filter(level: LogLevel) -> log::LevelFilter {
    match level {
        LogLevel::Debug => log::LevelFilter::Trace,
        LogLevel::Verbose => log::LevelFilter::Debug,
        LogLevel::Notice => log::LevelFilter::Info,
        LogLevel::Warning => log::LevelFilter::Warn,
        LogLevel::Nothing => log::LevelFilter::Off,
    }
}

/// Applies a new `loglevel` at runtime (CONFIG SET loglevel).
pub fn set_level(level: LogLevel) {
    log::set_max_level(level_filter(level));
}

fn level_char(level: log::Level) -> char {
    match level {
        log::Level::Trace => '.',
        log::Level::Debug => '-',
        log::Level::Info => '*',
        log::Level::Warn | log::Level::Error => '#',
    }
}

/// `21 Nov 2026 10:00:00.123` in local time.
pub fn timestamp() -> String {
    let mut tv = libc::timeval {
        tv_sec: 0,
        tv_usec: 0,
    };
    // SAFETY: gettimeofday writes into the timeval we own; a null timezone is allowed.
    unsafe { libc::gettimeofday(&mut tv, std::ptr::null_mut()) };
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    let secs: libc::time_t = tv.tv_sec;
    // SAFETY: localtime_r reads secs and writes the tm we own.
    unsafe { libc::localtime_r(&secs, &mut tm) };
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{:02} {} {} {:02}:{:02}:{:02}.{:03}",
        tm.tm_mday,
        MONTHS[tm.tm_mon.clamp(0, 11) as usize],
        tm.tm_year + 1900,
        tm.tm_hour,
        tm.tm_min,
        tm.tm_sec,
        tv.tv_usec / 1000
    )
}

/// Installs the logger: to stdout when `logfile` is empty, else appending to the file.
/// Returns an error text when the file cannot be opened.
pub fn init(level: LogLevel, logfile: &str) -> Result<(), String> {
    let mut builder = env_logger::Builder::new();
    builder.filter_level(level_filter(level));
    builder.format(|buf, record| {
        if record.target() == "raw" {
            return writeln!(buf, "{}", record.args());
        }
        writeln!(
            buf,
            "{}:{} {} {} {}",
            std::process::id(),
            ROLE.load(Ordering::Relaxed) as char,
            timestamp(),
            level_char(record.level()),
            record.args()
        )
    });
    if logfile.is_empty() {
        builder.target(env_logger::Target::Stdout);
    } else {
        let f = OpenOptions::new()
            .create(true)
            .append(true)
            .open(logfile)
            .map_err(|e| format!("Can't open the log file: {e}"))?;
        builder.target(env_logger::Target::Pipe(Box::new(f)));
    }
    builder.write_style(env_logger::WriteStyle::Never);
    builder.try_init().map_err(|e| e.to_string())?;
    log::set_max_level(level_filter(level));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn level_chars_match_redis() {
        assert_eq!(level_char(log::Level::Trace), '.');
        assert_eq!(level_char(log::Level::Debug), '-');
        assert_eq!(level_char(log::Level::Info), '*');
        assert_eq!(level_char(log::Level::Warn), '#');
    }

    #[test]
    fn timestamp_has_redis_shape() {
        let t = timestamp();
        // "21 Nov 2026 10:00:00.123"
        let parts: Vec<&str> = t.split(' ').collect();
        assert_eq!(parts.len(), 4, "{t}");
        assert_eq!(parts[1].len(), 3);
        assert_eq!(parts[3].len(), 12);
    }
}
