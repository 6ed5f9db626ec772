//! Redis's argument splitting (`sdssplitargs`), the one implementation used for
//! inline commands and the config file.
//!
//! Words are separated by C whitespace. Double quotes allow `\n \r \t \b \a`,
//! `\xHH` and `\<any>` escapes; single quotes allow only `\'`. A closing quote must
//! be followed by a space or the end of the line. The line is read as a C string
//! (it stops at the first NUL), as Redis reads it. Unbalanced quotes make the whole
//! line invalid.

/// Truncates a byte string at its first NUL, like a C string.
pub fn cstr(b: &[u8]) -> &[u8] {
    match b.iter().position(|&c| c == 0) {
        Some(n) => &b[..n],
        None => b,
    }
}

/// C `isspace` in the "C" locale.
pub fn is_c_space(c: u8) -> bool {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<String> {
        split_args(s.as_bytes())
            .expect("balanced")
            .into_iter()
            .map(|w| String::from_utf8_lossy(&w).into_owned())
            .collect()
    }

    #[test]
    fn plain_words_split_on_whitespace() {
        assert_eq!(words("  set  foo\tbar "), vec!["set", "foo", "bar"]);
        assert!(words("   ").is_empty());
    }

    #[test]
    fn double_quotes_take_escapes() {
        assert_eq!(
            words(r#"set "a b\n" "\x41\x4a""#),
            vec!["set", "a b\n", "AJ"]
        );
        assert_eq!(words(r#""""#), vec![""]);
    }

    #[test]
    fn single_quotes_only_escape_quote() {
        assert_eq!(words(r"'it\'s \n'"), vec!["it's \\n"]);
    }

    #[test]
    fn unbalanced_or_glued_quotes_are_rejected() {
        assert!(split_args(b"\"foo").is_none());
        assert!(split_args(b"'foo").is_none());
        assert!(split_args(b"\"foo\"bar").is_none());
    }

    #[test]
    fn quote_inside_word_opens_quoted_section() {
        assert_eq!(words(r#"ab"c d""#), vec!["abc d"]);
    }
}
