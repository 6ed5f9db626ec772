//! The reply writer: RESP2/RESP3 encoded straight into a client's output buffer.
//!
//! A handler writes each reply once (`bulk`, `int`, `map_len`, `double`, ...) and the
//! writer emits the form the connection negotiated with HELLO: a RESP3 map becomes a
//! flat RESP2 array of twice the length, a RESP3 null becomes `$-1` or `*-1`, a double
//! becomes a bulk string. There is no intermediate reply tree: bytes are appended to
//! a `Vec<u8>` that the reactor flushes before it sleeps.
//!
//! Aggregates whose length is not known up front use a deferred length
//! (`begin_deferred` / `end_deferred_*`): a placeholder is reserved and the header is
//! spliced in when the count is known, like Redis's `addReplyDeferredLen`.

use std::collections::VecDeque;

use bytes::Bytes;

use crate::util::numbers::{write_double_reply, write_i64};

/// A payload shared between many clients' outputs (a PUBLISH to many subscribers),
/// sent right after `buf[..at]` without being copied into each buffer.
#[derive(Debug)]
struct Shared {
    at: usize,
    data: Bytes,
    sent: usize,
}

/// A client's pending output and the protocol it speaks.
#[derive(Debug, Default)]
pub struct Reply {
    /// Encoded bytes not yet written to the socket, starting at `sent`.
    pub buf: Vec<u8>,
    /// How many bytes of `buf` the socket has already taken.
    pub sent: usize,
    /// Negotiated protocol version: 2 or 3.
    pub resp: u8,
    /// CLIENT REPLY OFF/SKIP: command replies are dropped...
    pub mute: bool,
    /// ...but not pushes (Pub/Sub messages and confirmations) written meanwhile.
    pub pushing: bool,
    /// Shared payloads interleaved with `buf`, in order.
    shared: VecDeque<Shared>,
}

/// A reserved aggregate header whose length is filled in later.
#[derive(Debug, Clone, Copy)]
pub struct Deferred {
    pos: usize,
}

impl Reply {
    pub fn new() -> Reply {
        Reply {
            buf: Vec::new(),
            sent: 0,
            resp: 2,
            mute: false,
            pushing: false,
            shared: VecDeque::new(),
        }
    }

    /// False while replies are muted (CLIENT REPLY OFF/SKIP) and no push is being
    /// written.
    #[inline]
    fn writing(&self) -> bool {
        !self.mute || self.pushing
    }

    /// True when the connection speaks RESP3.
    #[inline]
    pub fn is_resp3(&self) -> bool {
        self.resp >= 3
    }

    /// Bytes queued and not yet written.
    #[inline]
    pub fn pending(&self) -> usize {
        let shared: usize = self.shared.iter().map(|s| s.data.len() - s.sent).sum();
        self.buf.len() - self.sent + shared
    }

    /// Appends an already encoded payload shared with other clients (no copy).
    pub fn shared_bytes(&mut self, data: &Bytes) {
        if !self.writing() {
            return;
        }
        self.shared.push_back(Shared {
            at: self.buf.len(),
            data: data.clone(),
            sent: 0,
        });
    }

    /// The next contiguous bytes to write to the socket.
    pub fn next_chunk(&self) -> &[u8] {
        match self.shared.front() {
            Some(s) if self.sent >= s.at => &s.data[s.sent..],
            Some(s) => &self.buf[self.sent..s.at],
            None => &self.buf[self.sent..],
        }
    }

    /// Records that the socket took `n` bytes of `next_chunk()`.
    pub fn advance(&mut self, n: usize) {
        match self.shared.front_mut() {
            Some(s) if self.sent >= s.at => {
                s.sent += n;
                if s.sent == s.data.len() {
                    self.shared.pop_front();
                }
            }
            _ => self.sent += n,
        }
    }

    /// Drops what the socket has taken, keeping the allocation for the next replies.
    pub fn compact(&mut self) {
        if !self.shared.is_empty() {
            return;
        }
        if self.sent == self.buf.len() {
            self.buf.clear();
            self.sent = 0;
            // A huge reply left a huge buffer behind: give it back.
            if self.buf.capacity() > 1024 * 1024 {
                self.buf = Vec::with_capacity(16 * 1024);
            }
        } else if self.sent > 64 * 1024 && self.sent * 2 > self.buf.len() {
            self.buf.drain(..self.sent);
            self.sent = 0;
        }
    }

    #[inline]
    fn header(&mut self, prefix: u8, n: i64) {
        super::resp::write_header(&mut self.buf, prefix, n);
    }

    /// `+OK`
    #[inline]
    pub fn ok(&mut self) {
        if !self.writing() {
            return;
        }
        self.buf.extend_from_slice(b"+OK\r\n");
    }

    /// A simple string: `+text`. The text must not contain CR or LF.
    #[inline]
    pub fn simple(&mut self, s: &str) {
        self.simple_bytes(s.as_bytes());
    }

    /// A simple string from bytes; CR and LF are replaced by spaces as Redis does.
    pub fn simple_bytes(&mut self, s: &[u8]) {
        if !self.writing() {
            return;
        }
        self.buf.push(b'+');
        self.push_line_safe(s);
        self.buf.extend_from_slice(b"\r\n");
    }

    fn push_line_safe(&mut self, s: &[u8]) {
        if s.iter().any(|&c| c == b'\r' || c == b'\n') {
            self.buf.extend(
                s.iter()
                    .map(|&c| if c == b'\r' || c == b'\n' { b' ' } else { c }),
            );
        } else {
            self.buf.extend_from_slice(s);
        }
    }

    /// An error reply; `text` is the whole message after the `-` (e.g. `ERR syntax error`).
    pub fn error(&mut self, text: &str) {
        if !self.writing() {
            return;
        }
        self.buf.push(b'-');
        self.push_line_safe(text.as_bytes());
        self.buf.extend_from_slice(b"\r\n");
    }

    /// `:n`
    #[inline]
    pub fn int(&mut self, n: i64) {
        if !self.writing() {
            return;
        }
        self.header(b':', n);
    }

    /// A bulk string.
    #[inline]
    pub fn bulk(&mut self, b: &[u8]) {
        if !self.writing() {
            return;
        }
        super::resp::write_bulk(&mut self.buf, b);
    }

    /// A bulk string holding the decimal form of `n`.
    pub fn bulk_i64(&mut self, n: i64) {
        if !self.writing() {
            return;
        }
        self.header(b'$', crate::util::numbers::i64_len(n) as i64);
        write_i64(&mut self.buf, n);
        self.buf.extend_from_slice(b"\r\n");
    }

    /// A null: `_` in RESP3, `$-1` in RESP2.
    #[inline]
    pub fn null(&mut self) {
        if !self.writing() {
            return;
        }
        if self.is_resp3() {
            self.buf.extend_from_slice(b"_\r\n");
        } else {
            self.buf.extend_from_slice(b"$-1\r\n");
        }
    }

    /// A null where RESP2 uses the null array `*-1` (e.g. BLPOP timeout, EXEC abort).
    pub fn null_array(&mut self) {
        if !self.writing() {
            return;
        }
        if self.is_resp3() {
            self.buf.extend_from_slice(b"_\r\n");
        } else {
            self.buf.extend_from_slice(b"*-1\r\n");
        }
    }

    /// An array header.
    #[inline]
    pub fn array_len(&mut self, n: usize) {
        if !self.writing() {
            return;
        }
        self.header(b'*', n as i64);
    }

    /// A map header of `n` key/value pairs (a flat array of `2n` in RESP2).
    pub fn map_len(&mut self, n: usize) {
        if !self.writing() {
            return;
        }
        if self.is_resp3() {
            self.header(b'%', n as i64);
        } else {
            self.header(b'*', 2 * n as i64);
        }
    }

    /// A set header (an array in RESP2).
    pub fn set_len(&mut self, n: usize) {
        if !self.writing() {
            return;
        }
        if self.is_resp3() {
            self.header(b'~', n as i64);
        } else {
            self.header(b'*', n as i64);
        }
    }

    /// An attribute header (RESP3 only; callers skip attributes on RESP2).
    pub fn attribute_len(&mut self, n: usize) {
        if !self.writing() {
            return;
        }
        self.header(b'|', n as i64);
    }

    /// A push header (RESP3); RESP2 sends pub/sub messages as arrays.
    pub fn push_len(&mut self, n: usize) {
        if !self.writing() {
            return;
        }
        if self.is_resp3() {
            self.header(b'>', n as i64);
        } else {
            self.header(b'*', n as i64);
        }
    }

    /// A boolean: `#t`/`#f` in RESP3, `:1`/`:0` in RESP2.
    pub fn boolean(&mut self, v: bool) {
        if !self.writing() {
            return;
        }
        if self.is_resp3() {
            self.buf
                .extend_from_slice(if v { b"#t\r\n" } else { b"#f\r\n" });
        } else {
            self.int(v as i64);
        }
    }

    /// A double: `,` in RESP3, a bulk string (`%.17g`) in RESP2.
    pub fn double(&mut self, v: f64) {
        if !self.writing() {
            return;
        }
        // Formatted straight into the buffer, no temporary allocation.
        let resp3 = self.is_resp3();
        write_double_reply(&mut self.buf, v, resp3);
    }

    /// A big number: `(` in RESP3, a bulk string in RESP2.
    pub fn big_number(&mut self, digits: &[u8]) {
        if !self.writing() {
            return;
        }
        if self.is_resp3() {
            self.buf.push(b'(');
            self.buf.extend_from_slice(digits);
            self.buf.extend_from_slice(b"\r\n");
        } else {
            self.bulk(digits);
        }
    }

    /// A verbatim string (`=len\r\ntxt:...`) in RESP3, a bulk string in RESP2.
    pub fn verbatim(&mut self, text: &[u8], format: &str) {
        if !self.writing() {
            return;
        }
        if self.is_resp3() {
            self.header(b'=', (text.len() + 4) as i64);
            self.buf.extend_from_slice(format.as_bytes());
            self.buf.push(b':');
            self.buf.extend_from_slice(text);
            self.buf.extend_from_slice(b"\r\n");
        } else {
            self.bulk(text);
        }
    }

    /// Raw, already encoded protocol.
    #[inline]
    pub fn raw(&mut self, bytes: &[u8]) {
        if !self.writing() {
            return;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// Reserves room for an aggregate header whose length is not known yet.
    pub fn begin_deferred(&mut self) -> Deferred {
        Deferred {
            pos: self.buf.len(),
        }
    }

    fn end_deferred(&mut self, d: Deferred, prefix: u8, n: usize) {
        let mut head = Vec::with_capacity(24);
        head.push(prefix);
        write_i64(&mut head, n as i64);
        head.extend_from_slice(b"\r\n");
        // Splice the header in: O(bytes written since), which Redis avoids with a
        // separate node; fine because deferred replies are small aggregates.
        let len = head.len();
        self.buf.splice(d.pos..d.pos, head);
        for s in self.shared.iter_mut().filter(|s| s.at >= d.pos) {
            s.at += len;
        }
    }

    /// Completes a deferred array of `n` elements.
    pub fn end_deferred_array(&mut self, d: Deferred, n: usize) {
        if !self.writing() {
            return;
        }
        self.end_deferred(d, b'*', n);
    }

    /// Completes a deferred map of `n` pairs.
    pub fn end_deferred_map(&mut self, d: Deferred, n: usize) {
        if !self.writing() {
            return;
        }
        if self.is_resp3() {
            self.end_deferred(d, b'%', n);
        } else {
            self.end_deferred(d, b'*', 2 * n);
        }
    }

    /// Completes a deferred set of `n` elements.
    pub fn end_deferred_set(&mut self, d: Deferred, n: usize) {
        if !self.writing() {
            return;
        }
        if self.is_resp3() {
            self.end_deferred(d, b'~', n);
        } else {
            self.end_deferred(d, b'*', n);
        }
    }

    /// Writes an array of bulk strings.
    pub fn bulk_array<'a, I: IntoIterator<Item = &'a [u8]>>(&mut self, items: I)
    where
        I::IntoIter: ExactSizeIterator,
    {
        let it = items.into_iter();
        self.array_len(it.len());
        for b in it {
            self.bulk(b);
        }
    }

    /// Writes a (possibly absent) bulk string: null when `None`.
    pub fn opt_bulk(&mut self, b: Option<&[u8]>) {
        match b {
            Some(b) => self.bulk(b),
            None => self.null(),
        }
    }

    /// Bulk string from text, the common case for INFO-like replies.
    pub fn bulk_str(&mut self, s: &str) {
        self.bulk(s.as_bytes());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(r: &Reply) -> String {
        String::from_utf8_lossy(&r.buf).into_owned()
    }

    #[test]
    fn map_is_flat_array_in_resp2_and_map_in_resp3() {
        let mut r = Reply::new();
        r.map_len(2);
        assert_eq!(text(&r), "*4\r\n");
        let mut r = Reply::new();
        r.resp = 3;
        r.map_len(2);
        assert_eq!(text(&r), "%2\r\n");
    }

    #[test]
    fn null_differs_by_protocol() {
        let mut r = Reply::new();
        r.null();
        r.null_array();
        assert_eq!(text(&r), "$-1\r\n*-1\r\n");
        r.buf.clear();
        r.resp = 3;
        r.null();
        r.null_array();
        assert_eq!(text(&r), "_\r\n_\r\n");
    }

    #[test]
    fn double_is_bulk_in_resp2_and_comma_in_resp3() {
        let mut r = Reply::new();
        r.double(1.5);
        assert_eq!(text(&r), "$3\r\n1.5\r\n");
        let mut r = Reply::new();
        r.resp = 3;
        r.double(f64::INFINITY);
        assert_eq!(text(&r), ",inf\r\n");
    }

    #[test]
    fn deferred_length_is_spliced_before_elements() {
        let mut r = Reply::new();
        r.int(7);
        let d = r.begin_deferred();
        r.bulk(b"a");
        r.bulk(b"bc");
        r.end_deferred_array(d, 2);
        assert_eq!(text(&r), ":7\r\n*2\r\n$1\r\na\r\n$2\r\nbc\r\n");
    }

    #[test]
    fn error_text_newlines_become_spaces() {
        let mut r = Reply::new();
        r.error("ERR bad\r\nthing");
        assert_eq!(text(&r), "-ERR bad  thing\r\n");
    }

    #[test]
    fn muted_reply_drops_replies_but_keeps_pushes() {
        let mut r = Reply::new();
        r.mute = true;
        r.ok();
        r.bulk(b"x");
        r.pushing = true;
        r.push_len(1);
        r.bulk(b"m");
        r.pushing = false;
        r.int(1);
        assert_eq!(text(&r), "*1\r\n$1\r\nm\r\n");
    }

    #[test]
    fn shared_payloads_interleave_with_buffer_in_order() {
        let mut r = Reply::new();
        r.int(1);
        let payload = Bytes::from_static(b"$3\r\nabc\r\n");
        r.shared_bytes(&payload);
        r.int(2);
        r.shared_bytes(&payload);
        assert_eq!(r.pending(), 4 + 9 + 4 + 9);
        let mut out = Vec::new();
        while r.pending() > 0 {
            // Take at most 3 bytes at a time, like a short socket write.
            let chunk = r.next_chunk();
            let n = chunk.len().min(3);
            out.extend_from_slice(&chunk[..n]);
            r.advance(n);
        }
        assert_eq!(
            String::from_utf8_lossy(&out),
            ":1\r\n$3\r\nabc\r\n:2\r\n$3\r\nabc\r\n"
        );
    }

    #[test]
    fn verbatim_carries_format_in_resp3_only() {
        let mut r = Reply::new();
        r.verbatim(b"hi", "txt");
        assert_eq!(text(&r), "$2\r\nhi\r\n");
        let mut r = Reply::new();
        r.resp = 3;
        r.verbatim(b"hi", "txt");
        assert_eq!(text(&r), "=6\r\ntxt:hi\r\n");
    }
}
