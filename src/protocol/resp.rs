//! RESP framing into a plain byte buffer: the length lines, bulk strings and
//! command arrays that the reply writer, the propagation stream (AOF and
//! replicas), MIGRATE's pipeline and PUBLISH's shared payloads all write.

use crate::util::numbers::write_i64;

/// A `<prefix><n>\r\n` line: `*3\r\n`, `$5\r\n`, `:42\r\n`...
#[inline]
pub fn write_header(out: &mut Vec<u8>, prefix: u8, n: i64) {
    out.push(prefix);
    write_i64(out, n);
    out.extend_from_slice(b"\r\n");
}

/// A bulk string: `$<len>\r\n<bytes>\r\n`.
#[inline]
pub fn write_bulk(out: &mut Vec<u8>, b: &[u8]) {
    write_header(out, b'$', b.len() as i64);
    out.extend_from_slice(b);
    out.extend_from_slice(b"\r\n");
}

/// A command as clients send it: an array of bulk strings.
pub fn write_command<'a, I>(out: &mut Vec<u8>, args: I)
where
    I: IntoIterator<Item = &'a [u8]>,
    I::IntoIter: ExactSizeIterator,
{
    let args = args.into_iter();
    write_header(out, b'*', args.len() as i64);
    for a in args {
        write_bulk(out, a);
    }
}

/// `args` as one RESP command, in a new buffer.
pub fn command(args: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    write_command(&mut out, args.iter().copied());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_is_an_array_of_bulk_strings() {
        assert_eq!(
            command(&[b"SET", b"k", b""]),
            b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n"
        );
        let mut out = Vec::new();
        write_header(&mut out, b':', -42);
        assert_eq!(out, b":-42\r\n");
    }
}
