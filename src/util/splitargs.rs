//! Redis's argument splitting (`sdssplitargs`): used for inline commands, the config
//! file, and anything else that reads a line of words with Redis quoting rules.
//!
//! Words are separated by whitespace. Double quotes allow `\n \r \t \b \a \\ \"` and
//! `\xHH` escapes; single quotes allow only `\'`. A closing quote must be followed by
//! whitespace or the end of the line. Unbalanced quotes make the whole line invalid.

fn hex_val(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\n' | b'\r' | b'\t' | b'\x0b' | b'\x0c')
}

/// Splits `line` into words; `None` when quotes are unbalanced or a closing quote is
/// not followed by a space.
pub fn split_args(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    let mut out = Vec::new();
    let mut i = 0;
    let n = line.len();
    loop {
        while i < n && is_space(line[i]) {
            i += 1;
        }
        if i >= n {
            return Some(out);
        }
        let mut word = Vec::new();
        let mut in_dq = false;
        let mut in_sq = false;
        loop {
            if in_dq {
                if i >= n {
                    return None;
                }
                let c = line[i];
                if c == b'\\'
                    && i + 3 < n
                    && line[i + 1] == b'x'
                    && hex_val(line[i + 2]).is_some()
                    && hex_val(line[i + 3]).is_some()
                {
                    let hi = hex_val(line[i + 2]).unwrap_or(0);
                    let lo = hex_val(line[i + 3]).unwrap_or(0);
                    word.push(hi * 16 + lo);
                    i += 3;
                } else if c == b'\\' && i + 1 < n {
                    i += 1;
                    word.push(match line[i] {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 8,
                        b'a' => 7,
                        other => other,
                    });
                } else if c == b'"' {
                    // The closing quote must be followed by a space or nothing.
                    if i + 1 < n && !is_space(line[i + 1]) {
                        return None;
                    }
                    in_dq = false;
                    i += 1;
                    break;
                } else {
                    word.push(c);
                }
            } else if in_sq {
                if i >= n {
                    return None;
                }
                let c = line[i];
                if c == b'\\' && i + 1 < n && line[i + 1] == b'\'' {
                    i += 1;
                    word.push(b'\'');
                } else if c == b'\'' {
                    if i + 1 < n && !is_space(line[i + 1]) {
                        return None;
                    }
                    in_sq = false;
                    i += 1;
                    break;
                } else {
                    word.push(c);
                }
            } else {
                if i >= n {
                    break;
                }
                match line[i] {
                    c if is_space(c) => break,
                    b'"' => in_dq = true,
                    b'\'' => in_sq = true,
                    c => word.push(c),
                }
            }
            i += 1;
        }
        debug_assert!(!in_dq && !in_sq);
        out.push(word);
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
