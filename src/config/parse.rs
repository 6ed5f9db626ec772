//! Low-level text helpers with Redis's exact quirks: `sdssplitargs`,
//! `sdscatrepr`, `string2ll`, `memtoull`, libc-style `strtoll`, and reading
//! (possibly globbed) config files.

use std::path::{Path, PathBuf};

pub(crate) use crate::util::splitargs::{cstr, is_c_space};

pub use crate::util::repr::repr;
pub use crate::util::splitargs::split_args;

/// Redis `string2ll`: strict decimal, no spaces, no '+', no leading zeros.
pub(crate) fn string2ll(s: &[u8]) -> Option<i64> {
    if s.is_empty() || s.len() >= 21 {
        return None;
    }
    if s == b"0" {
        return Some(0);
    }
    let (neg, digits) = match s.split_first() {
        Some((b'-', rest)) => (true, rest),
        _ => (false, s),
    };
    match digits.first() {
        Some(b'1'..=b'9') => {}
        _ => return None,
    }
    let mut v: u64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
    }
    if neg {
        if v > (i64::MAX as u64) + 1 {
            return None;
        }
        Some((v as i64).wrapping_neg())
    } else {
        i64::try_from(v).ok()
    }
}

/// Redis `memtoull`: digits followed by an optional b/k/kb/m/mb/g/gb unit
/// (case-insensitive). Overflow wraps like the C code does.
pub(crate) fn memtoull(s: &[u8]) -> Option<u64> {
    let s = cstr(s);
    if s.first() == Some(&b'-') {
        return None;
    }
    let ndig = s.iter().take_while(|c| c.is_ascii_digit()).count();
    let unit = s[ndig..].to_ascii_lowercase();
    let mul: u64 = match unit.as_slice() {
        b"" | b"b" => 1,
        b"k" => 1000,
        b"kb" => 1024,
        b"m" => 1000 * 1000,
        b"mb" => 1024 * 1024,
        b"g" => 1000 * 1000 * 1000,
        b"gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    if ndig >= 128 {
        return None;
    }
    // strtoull saturates on overflow (ERANGE is not checked by memtoull).
    let mut v: u64 = 0;
    for &c in &s[..ndig] {
        v = v
            .checked_mul(10)
            .and_then(|x| x.checked_add(u64::from(c - b'0')))
            .unwrap_or(u64::MAX);
    }
    Some(v.wrapping_mul(mul))
}

/// Result of a libc-style `strtoll`.
pub(crate) struct StrToLl {
    pub value: i64,
    /// True when the whole input was consumed (`*endptr == '\0'`).
    pub full: bool,
    /// True when the value overflowed (errno == ERANGE).
    pub overflow: bool,
}

/// libc `strtoll(s, &end, base)` for base 8 or 10 over a C string.
pub(crate) fn strtoll(s: &[u8], base: u32) -> StrToLl {
    let s = cstr(s);
    let mut p = 0;
    while p < s.len() && is_c_space(s[p]) {
        p += 1;
    }
    let mut neg = false;
    if p < s.len() && (s[p] == b'+' || s[p] == b'-') {
        neg = s[p] == b'-';
        p += 1;
    }
    let start = p;
    let mut v: u64 = 0;
    let mut overflow = false;
    while p < s.len() {
        let d = match (s[p] as char).to_digit(base) {
            Some(d) => d,
            None => break,
        };
        match v
            .checked_mul(u64::from(base))
            .and_then(|x| x.checked_add(u64::from(d)))
        {
            Some(n) => v = n,
            None => overflow = true,
        }
        p += 1;
    }
    if p == start {
        // No digits: endptr points to the start of the string.
        return StrToLl {
            value: 0,
            full: s.is_empty(),
            overflow: false,
        };
    }
    let limit = if neg {
        (i64::MAX as u64) + 1
    } else {
        i64::MAX as u64
    };
    if v > limit {
        overflow = true;
    }
    let value = if overflow {
        if neg {
            i64::MIN
        } else {
            i64::MAX
        }
    } else if neg {
        (v as i64).wrapping_neg()
    } else {
        v as i64
    };
    StrToLl {
        value,
        full: p == s.len(),
        overflow,
    }
}

/// Redis `string2d` (strtod that must consume everything, no NaN, no leading
/// space).
pub(crate) fn string2d(s: &[u8]) -> Option<f64> {
    let s = std::str::from_utf8(cstr(s)).ok()?;
    if s.is_empty() || s.starts_with(|c: char| c.is_ascii_whitespace()) {
        return None;
    }
    let v: f64 = s.parse().ok()?;
    if v.is_nan() {
        return None;
    }
    Some(v)
}

/// `printf("%f")` followed by Redis `trimDoubleString`.
pub(crate) fn fmt_double_trimmed(v: f64) -> String {
    let mut s = format!("{:.6}", v);
    if s.contains('.') {
        while s.ends_with('0') {
            s.pop();
        }
        if s.ends_with('.') {
            s.pop();
        }
    }
    s
}

/// The strerror-style text of an I/O error, without Rust's " (os error N)".
pub(crate) fn strerror(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error ") {
        Some(n) => s[..n].to_string(),
        None => s,
    }
}

/// Absolute version of a path as Redis `getAbsolutePath` computes it
/// (trims blanks, joins with cwd, folds leading `../`).
pub fn absolute_path(filename: &str) -> String {
    let rel = filename.trim_matches(|c| c == ' ' || c == '\r' || c == '\n' || c == '\t');
    if rel.starts_with('/') {
        return rel.to_string();
    }
    let mut abs = std::env::current_dir()
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default();
    if !abs.is_empty() && !abs.ends_with('/') {
        abs.push('/');
    }
    let mut rel = rel;
    while let Some(rest) = rel.strip_prefix("../") {
        rel = rest;
        if abs.len() > 1 {
            // Drop the last path element (abs always ends with '/').
            let body = &abs[..abs.len() - 1];
            let cut = body.rfind('/').map(|n| n + 1).unwrap_or(0);
            abs.truncate(cut);
        }
    }
    abs.push_str(rel);
    abs
}

fn has_glob_chars(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

/// Expand a filesystem glob like glob(3) with no flags: sorted results,
/// wildcards never match a leading '.', only existing paths are returned.
fn fs_glob(pattern: &str) -> Vec<PathBuf> {
    let absolute = pattern.starts_with('/');
    let mut bases: Vec<PathBuf> = vec![if absolute {
        PathBuf::from("/")
    } else {
        PathBuf::new()
    }];
    let comps: Vec<&str> = pattern.split('/').filter(|c| !c.is_empty()).collect();
    for (i, comp) in comps.iter().enumerate() {
        let last = i + 1 == comps.len();
        let mut next = Vec::new();
        for base in &bases {
            if has_glob_chars(comp) {
                let dir = if base.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    base.as_path()
                };
                let Ok(rd) = std::fs::read_dir(dir) else {
                    continue;
                };
                let mut names: Vec<String> = rd
                    .filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|n| !n.starts_with('.') || comp.starts_with('.'))
                    .filter(|n| crate::util::glob::glob_match(comp.as_bytes(), n.as_bytes(), false))
                    .collect();
                names.sort();
                for n in names {
                    let p = base.join(n);
                    if last || p.is_dir() {
                        next.push(p);
                    }
                }
            } else {
                let p = base.join(comp);
                if last {
                    if p.exists() {
                        next.push(p);
                    }
                } else {
                    next.push(p);
                }
            }
        }
        bases = next;
    }
    if comps.is_empty() {
        return Vec::new();
    }
    bases.sort();
    bases
}

/// Read a config file the way Redis `loadServerConfig` does. A name with
/// wildcard characters (`*`, `?`, `[`) is globbed and all matches are
/// concatenated (no match is not an error). The error text is Redis's log
/// line: `Fatal error, can't open config file '<path>': <strerror>`.
pub fn read_config_file(path: &str) -> Result<String, String> {
    let read = |p: &Path| -> Result<String, String> {
        std::fs::read(p)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .map_err(|e| {
                format!(
                    "Fatal error, can't open config file '{}': {}",
                    p.display(),
                    strerror(&e)
                )
            })
    };
    if has_glob_chars(path) {
        let mut out = String::new();
        for p in fs_glob(path) {
            out.push_str(&read(&p)?);
        }
        Ok(out)
    } else {
        read(Path::new(path))
    }
}
