//! Redis's quoted representation of binary strings (`sdscatrepr`), used by MONITOR,
//! the logs and CONFIG REWRITE: `"foo\r\n\x01"`.

/// Appends `s` quoted and escaped to `out`.
pub fn write_repr(out: &mut Vec<u8>, s: &[u8]) {
    out.push(b'"');
    for &c in s {
        match c {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'"' => out.extend_from_slice(b"\\\""),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            7 => out.extend_from_slice(b"\\a"),
            8 => out.extend_from_slice(b"\\b"),
            c if c.is_ascii_graphic() || c == b' ' => out.push(c),
            c => out.extend_from_slice(format!("\\x{c:02x}").as_bytes()),
        }
    }
    out.push(b'"');
}

/// `s` quoted and escaped, as a `String`.
pub fn repr(s: &[u8]) -> String {
    let mut out = Vec::with_capacity(s.len() + 2);
    write_repr(&mut out, s);
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_control_and_quotes() {
        assert_eq!(repr(b"a\"b\\\r\n\x01 z"), r#""a\"b\\\r\n\x01 z""#);
    }
}
