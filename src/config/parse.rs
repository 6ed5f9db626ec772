//! Low-level text helpers with Redis's exact quirks: `sdssplitargs`,
//! `sdscatrepr`, `string2ll`, `memtoull`, libc-style `strtoll`, and reading
//! (possibly globbed) config files.

use std::path::{Path, PathBuf};

/// Truncate a byte string at its first NUL, like a C string would be.
pub(crate) fn cstr(b: &[u8]) -> &[u8] {
    match b.iter().position(|&c| c == 0) {
        Some(n) => &b[..n],
        None => b,
    }
}

/// C `isspace` in the "C" locale.
pub(crate) fn is_c_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c)
}

fn hex_val(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// Split a line into arguments using Redis `sdssplitargs` rules.
///
/// Double quotes support `\n \r \t \b \a \xHH` and `\<any>` escapes, single
/// quotes support `\'`; a closing quote must be followed by a space or the end
/// of the line. Returns `None` on unbalanced quotes (the caller reports
/// "Unbalanced quotes ..."). Input is treated as a C string (stops at NUL).
pub fn split_args(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    let s = cstr(line);
    let at = |i: usize| -> u8 { s.get(i).copied().unwrap_or(0) };
    let mut out = Vec::new();
    let mut p = 0usize;
    loop {
        while p < s.len() && is_c_space(s[p]) {
            p += 1;
        }
        if p >= s.len() {
            return Some(out);
        }
        let mut cur = Vec::new();
        let (mut inq, mut insq, mut done) = (false, false, false);
        while !done {
            let c = at(p);
            if inq {
                if c == b'\\' && at(p + 1) == b'x' {
                    if let (Some(h), Some(l)) = (hex_val(at(p + 2)), hex_val(at(p + 3))) {
                        cur.push(h * 16 + l);
                        p += 3;
                    } else {
                        // `\x` not followed by two hex digits: plain escape of 'x'.
                        p += 1;
                        cur.push(b'x');
                    }
                } else if c == b'\\' && at(p + 1) != 0 {
                    p += 1;
                    cur.push(match at(p) {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 0x08,
                        b'a' => 0x07,
                        other => other,
                    });
                } else if c == b'"' {
                    let n = at(p + 1);
                    if n != 0 && !is_c_space(n) {
                        return None;
                    }
                    done = true;
                } else if c == 0 {
                    return None;
                } else {
                    cur.push(c);
                }
            } else if insq {
                if c == b'\\' && at(p + 1) == b'\'' {
                    p += 1;
                    cur.push(b'\'');
                } else if c == b'\'' {
                    let n = at(p + 1);
                    if n != 0 && !is_c_space(n) {
                        return None;
                    }
                    done = true;
                } else if c == 0 {
                    return None;
                } else {
                    cur.push(c);
                }
            } else {
                match c {
                    b' ' | b'\n' | b'\r' | b'\t' | 0 => done = true,
                    b'"' => inq = true,
                    b'\'' => insq = true,
                    other => cur.push(other),
                }
            }
            if at(p) != 0 {
                p += 1;
            }
        }
        out.push(cur);
    }
}

/// Quote bytes the way Redis `sdscatrepr` does (always wrapped in `"`).
pub fn repr(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len() + 2);
    s.push('"');
    for &c in b {
        match c {
            b'\\' => s.push_str("\\\\"),
            b'"' => s.push_str("\\\""),
            b'\n' => s.push_str("\\n"),
            b'\r' => s.push_str("\\r"),
            b'\t' => s.push_str("\\t"),
            0x07 => s.push_str("\\a"),
            0x08 => s.push_str("\\b"),
            0x20..=0x7e => s.push(c as char),
            _ => s.push_str(&format!("\\x{:02x}", c)),
        }
    }
    s.push('"');
    s
}

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
