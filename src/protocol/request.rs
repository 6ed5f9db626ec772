//! The request parser: turns a client's query buffer into commands.
//!
//! RESP multibulk requests (`*3\r\n$3\r\nSET\r\n...`) are parsed without copying:
//! each argument is recorded as a span (offset, length) into the query buffer, and
//! the command handler reads the arguments in place. Inline requests (`SET a b\n`,
//! what telnet sends) are split with Redis's quoting rules into a small side buffer.
//! Parsing is incremental: a half-received command keeps its state here and resumes
//! when more bytes arrive, so a command split over many reads costs O(n) in total.
//!
//! Errors carry Redis's exact reply text; the caller replies and closes the client.

use crate::util::numbers::parse_i64;
use crate::util::splitargs::split_args;

/// Longest inline request, and longest multibulk/bulk count line (PROTO_INLINE_MAX_SIZE).
pub const INLINE_MAX_SIZE: usize = 64 * 1024;

/// Where one argument lives: `start..start + len` of the buffer it was parsed from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Span {
    pub start: usize,
    pub len: usize,
}

/// What the parser needs to know about the client and the server's limits.
#[derive(Debug, Clone, Copy)]
pub struct ParseLimits {
    /// `proto-max-bulk-len`.
    pub max_bulk_len: i64,
    /// False while `requirepass` is set and the client has not authenticated.
    pub authenticated: bool,
}

/// A protocol violation: the reply to send before closing, and a short reason for the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtocolError {
    pub reply: String,
    pub reason: &'static str,
}

/// The result of one `parse` call.
#[derive(Debug, PartialEq, Eq)]
pub enum Parsed {
    /// A whole command is ready: its arguments are in `spans`, over the query buffer
    /// (`inline == false`) or over the parser's inline buffer (`inline == true`).
    Command { inline: bool },
    /// An empty request (blank inline line, `*0`): consumed, nothing to run.
    Empty,
    /// The buffer ends inside a request: read more.
    NeedMore,
    /// A protocol error: reply, then close the connection.
    Error(ProtocolError),
}

/// Incremental parse state for one client.
#[derive(Debug, Default)]
pub struct RequestParser {
    /// Offset of the first unconsumed byte of the query buffer.
    pub pos: usize,
    /// Arguments still to read in the current multibulk request (0: none in progress).
    multibulk_left: usize,
    /// Length of the bulk argument being read, once its `$len` line was seen.
    bulk_len: Option<usize>,
    /// Arguments of the command being parsed, or of the last complete one.
    pub spans: Vec<Span>,
    /// Unescaped arguments of the last inline command.
    pub inline_buf: Vec<u8>,
}

fn err(reply: &str, reason: &'static str) -> Parsed {
    Parsed::Error(ProtocolError {
        reply: reply.to_string(),
        reason,
    })
}

/// Finds `\r` in `buf` from `from`; returns its index.
#[inline]
fn find_cr(buf: &[u8], from: usize) -> Option<usize> {
    buf[from..]
        .iter()
        .position(|&c| c == b'\r')
        .map(|i| i + from)
}

/// Reads `<prefix><digits>\r\n` at `at`: the number (a small non-negative one) and
/// where the line ends. `None` for anything else, complete or not.
fn count_line(buf: &[u8], at: usize, prefix: u8) -> Option<(usize, usize)> {
    if *buf.get(at)? != prefix {
        return None;
    }
    let mut n = 0usize;
    let mut i = at + 1;
    // Up to 9 digits: more than any count or bulk length worth a look-ahead.
    while i < buf.len() && buf[i].is_ascii_digit() && i - at <= 9 {
        n = n * 10 + (buf[i] - b'0') as usize;
        i += 1;
    }
    if i == at + 1 || buf.get(i..i + 2)? != b"\r\n" {
        return None;
    }
    Some((n, i + 2))
}

/// How many leading arguments `peek_requests` records of each request: the
/// name, the key, and the two after it (where a member or field usually is).
pub const PEEK_ARGS: usize = 4;

/// The leading arguments of a request seen by `peek_requests`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PeekedRequest {
    /// Spans of arguments `0..argc.min(PEEK_ARGS)` (the rest are zero).
    pub args: [Span; PEEK_ARGS],
    /// The request's argument count (at least 2: one-argument requests are skipped).
    pub argc: usize,
}

impl PeekedRequest {
    /// Argument `i`, when the request has it and it was recorded.
    pub fn arg<'b>(&self, buf: &'b [u8], i: usize) -> Option<&'b [u8]> {
        if i >= self.argc.min(PEEK_ARGS) {
            return None;
        }
        let s = self.args[i];
        buf.get(s.start..s.start + s.len)
    }
}

/// Walks the complete multibulk requests at the start of a buffer, yielding
/// where the first arguments of each lie (the name, then the first key of most
/// commands), so the server can start loading what a pipeline is about to
/// touch before it runs the first command. Requests of one argument are
/// skipped; the walk stops at the first request that is incomplete, inline or
/// not plainly well formed (the parser proper deals with those).
pub struct PeekRequests<'b> {
    buf: &'b [u8],
    pos: usize,
}

/// Starts a `PeekRequests` walk of `buf`.
pub fn peek_requests(buf: &[u8]) -> PeekRequests<'_> {
    PeekRequests { buf, pos: 0 }
}

impl PeekRequests<'_> {
    /// The offset where the walk stands: the end of the last request it went
    /// past.
    pub fn offset(&self) -> usize {
        self.pos
    }
}

impl Iterator for PeekRequests<'_> {
    type Item = PeekedRequest;

    fn next(&mut self) -> Option<PeekedRequest> {
        let buf = self.buf;
        loop {
            let (argc, mut at) = count_line(buf, self.pos, b'*')?;
            let mut req = PeekedRequest {
                argc,
                ..PeekedRequest::default()
            };
            for i in 0..argc {
                let (len, start) = count_line(buf, at, b'$')?;
                let end = start + len;
                if buf.get(end..end + 2) != Some(b"\r\n") {
                    return None;
                }
                if let Some(slot) = req.args.get_mut(i) {
                    *slot = Span { start, len };
                }
                at = end + 2;
            }
            self.pos = at;
            if argc >= 2 {
                return Some(req);
            }
        }
    }
}

impl RequestParser {
    pub fn new() -> RequestParser {
        RequestParser::default()
    }

    /// True when a multibulk request has been partly parsed.
    pub fn in_progress(&self) -> bool {
        self.multibulk_left > 0
    }

    /// The number of bytes the caller may drop from the front of the query buffer
    /// without invalidating spans of a request in progress.
    pub fn droppable_prefix(&self) -> usize {
        if self.in_progress() {
            self.spans
                .first()
                .map_or(self.pos, |s| s.start.min(self.pos))
        } else {
            self.pos
        }
    }

    /// Tells the parser the caller dropped `n` bytes from the front of the buffer.
    pub fn shift(&mut self, n: usize) {
        self.pos -= n;
        if self.in_progress() {
            for s in &mut self.spans {
                s.start -= n;
            }
        }
    }

    /// How many more bytes the current bulk argument needs, to size the next read.
    pub fn bulk_bytes_wanted(&self, buf_len: usize) -> usize {
        match self.bulk_len {
            Some(len) if self.multibulk_left > 0 => (self.pos + len + 2).saturating_sub(buf_len),
            _ => 0,
        }
    }

    /// Parses the next request from `buf[self.pos..]`.
    pub fn parse(&mut self, buf: &[u8], limits: ParseLimits) -> Parsed {
        if self.multibulk_left == 0 {
            self.spans.clear();
            if self.pos >= buf.len() {
                return Parsed::NeedMore;
            }
            if buf[self.pos] != b'*' {
                return self.parse_inline(buf);
            }
            if let Some(p) = self.parse_multibulk_header(buf, limits) {
                return p;
            }
        }
        self.parse_bulks(buf, limits)
    }

    fn parse_inline(&mut self, buf: &[u8]) -> Parsed {
        let rest = &buf[self.pos..];
        let Some(nl) = rest.iter().position(|&c| c == b'\n') else {
            if rest.len() > INLINE_MAX_SIZE {
                return err(
                    "Protocol error: too big inline request",
                    "too big inline request",
                );
            }
            return Parsed::NeedMore;
        };
        let line_end = if nl > 0 && rest[nl - 1] == b'\r' {
            nl - 1
        } else {
            nl
        };
        let Some(words) = split_args(&rest[..line_end]) else {
            return err(
                "Protocol error: unbalanced quotes in request",
                "unbalanced quotes in inline request",
            );
        };
        self.pos += nl + 1;
        if words.is_empty() {
            return Parsed::Empty;
        }
        self.inline_buf.clear();
        for w in &words {
            self.spans.push(Span {
                start: self.inline_buf.len(),
                len: w.len(),
            });
            self.inline_buf.extend_from_slice(w);
        }
        Parsed::Command { inline: true }
    }

    /// Reads `*<count>\r\n`. Returns `Some` when parsing must stop here.
    fn parse_multibulk_header(&mut self, buf: &[u8], limits: ParseLimits) -> Option<Parsed> {
        let Some(cr) = find_cr(buf, self.pos) else {
            if buf.len() - self.pos > INLINE_MAX_SIZE {
                return Some(err(
                    "Protocol error: too big mbulk count string",
                    "too big mbulk count string",
                ));
            }
            return Some(Parsed::NeedMore);
        };
        if cr + 1 >= buf.len() {
            return Some(Parsed::NeedMore);
        }
        let count = match parse_i64(&buf[self.pos + 1..cr]) {
            Some(n) if n <= i32::MAX as i64 => n,
            _ => {
                return Some(err(
                    "Protocol error: invalid multibulk length",
                    "invalid mbulk count",
                ))
            }
        };
        if count > 10 && !limits.authenticated {
            return Some(err(
                "Protocol error: unauthenticated multibulk length",
                "unauth mbulk count",
            ));
        }
        self.pos = cr + 2;
        if count <= 0 {
            return Some(Parsed::Empty);
        }
        self.multibulk_left = count as usize;
        self.bulk_len = None;
        self.spans.reserve((count as usize).min(1024));
        None
    }

    fn parse_bulks(&mut self, buf: &[u8], limits: ParseLimits) -> Parsed {
        while self.multibulk_left > 0 {
            let len = match self.bulk_len {
                Some(len) => len,
                None => {
                    let Some(cr) = find_cr(buf, self.pos) else {
                        if buf.len() - self.pos > INLINE_MAX_SIZE {
                            return err(
                                "Protocol error: too big bulk count string",
                                "too big bulk count string",
                            );
                        }
                        return Parsed::NeedMore;
                    };
                    if cr + 1 >= buf.len() {
                        return Parsed::NeedMore;
                    }
                    if buf[self.pos] != b'$' {
                        let got = buf[self.pos] as char;
                        return err(
                            &format!("Protocol error: expected '$', got '{got}'"),
                            "expected $ but got something else",
                        );
                    }
                    let len = match parse_i64(&buf[self.pos + 1..cr]) {
                        Some(n) if n >= 0 && n <= limits.max_bulk_len => n,
                        _ => {
                            return err(
                                "Protocol error: invalid bulk length",
                                "invalid bulk length",
                            )
                        }
                    };
                    if len > 16384 && !limits.authenticated {
                        return err(
                            "Protocol error: unauthenticated bulk length",
                            "unauth bulk length",
                        );
                    }
                    self.pos = cr + 2;
                    self.bulk_len = Some(len as usize);
                    len as usize
                }
            };
            if buf.len() - self.pos < len + 2 {
                return Parsed::NeedMore;
            }
            self.spans.push(Span {
                start: self.pos,
                len,
            });
            self.pos += len + 2;
            self.bulk_len = None;
            self.multibulk_left -= 1;
        }
        Parsed::Command { inline: false }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The second argument of the first `max` requests `peek_requests`
    /// finds, and where it stood after them.
    fn peeked(buf: &[u8], max: usize) -> (Vec<&[u8]>, usize) {
        let mut peek = peek_requests(buf);
        let keys = peek
            .by_ref()
            .take(max)
            .map(|r| r.arg(buf, 1).unwrap())
            .collect();
        (keys, peek.offset())
    }

    #[test]
    fn peek_requests_finds_second_arguments_of_complete_requests() {
        let buf = b"*3\r\n$3\r\nSET\r\n$2\r\nk1\r\n$1\r\nv\r\n*1\r\n$4\r\nPING\r\n*2\r\n$3\r\nGET\r\n$2\r\nk2\r\n*2\r\n$3\r\nGET\r\n$2\r\nk";
        let (keys, end) = peeked(buf, 8);
        assert_eq!(keys, vec![&b"k1"[..], &b"k2"[..]]);
        // The incomplete last request is left for later.
        assert_eq!(&buf[end..], b"*2\r\n$3\r\nGET\r\n$2\r\nk");
        // At most as many as asked for, ending after the last one found.
        let (keys, end) = peeked(buf, 1);
        assert_eq!(keys, vec![&b"k1"[..]]);
        assert_eq!(&buf[end..end + 4], b"*1\r\n");
    }

    #[test]
    fn peek_requests_stops_at_inline_and_malformed_requests() {
        for buf in [
            &b"GET k\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"[..],
            b"*2\r\n$3\r\nGET\r\n$x\r\nk\r\n",
            b"*2\r\n$3\r\nGET\r\n$1\r\nkk\r\n",
            b"*2\r\n$3\r\nGET\r\n$99999999999\r\nk\r\n",
            b"*-1\r\n",
            b"*",
            b"",
        ] {
            assert_eq!(peeked(buf, 4), (vec![], 0), "{buf:?}");
        }
    }

    #[test]
    fn peek_requests_records_the_leading_arguments() {
        let buf =
            b"*6\r\n$4\r\nHSET\r\n$1\r\nh\r\n$2\r\nf1\r\n$2\r\nv1\r\n$2\r\nf2\r\n$2\r\nv2\r\n\
                    *2\r\n$4\r\nLLEN\r\n$1\r\nl\r\n";
        let mut peek = peek_requests(buf);
        let reqs: Vec<PeekedRequest> = peek.by_ref().collect();
        assert_eq!((reqs.len(), peek.offset()), (2, buf.len()));
        let args = |r: &PeekedRequest| (0..8).map_while(|i| r.arg(buf, i)).collect::<Vec<_>>();
        let hset: Vec<&[u8]> = vec![b"HSET", b"h", b"f1", b"v1"];
        assert_eq!((args(&reqs[0]), reqs[0].argc), (hset, 6));
        let llen: Vec<&[u8]> = vec![b"LLEN", b"l"];
        assert_eq!((args(&reqs[1]), reqs[1].argc), (llen, 2));
    }

    const OPEN: ParseLimits = ParseLimits {
        max_bulk_len: 512 * 1024 * 1024,
        authenticated: true,
    };

    fn args(p: &RequestParser, buf: &[u8], inline: bool) -> Vec<Vec<u8>> {
        let src = if inline { &p.inline_buf[..] } else { buf };
        p.spans
            .iter()
            .map(|s| src[s.start..s.start + s.len].to_vec())
            .collect()
    }

    #[test]
    fn multibulk_command_parses_to_spans() {
        let buf = b"*2\r\n$3\r\nGET\r\n$3\r\nfoo\r\n";
        let mut p = RequestParser::new();
        assert_eq!(p.parse(buf, OPEN), Parsed::Command { inline: false });
        assert_eq!(args(&p, buf, false), vec![b"GET".to_vec(), b"foo".to_vec()]);
        assert_eq!(p.pos, buf.len());
        assert_eq!(p.parse(buf, OPEN), Parsed::NeedMore);
    }

    #[test]
    fn command_split_at_every_byte_resumes() {
        let full = b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n";
        for cut in 1..full.len() {
            let mut p = RequestParser::new();
            assert_eq!(p.parse(&full[..cut], OPEN), Parsed::NeedMore, "cut {cut}");
            assert_eq!(p.parse(full, OPEN), Parsed::Command { inline: false });
            assert_eq!(args(&p, full, false)[2], b"hello".to_vec());
        }
    }

    #[test]
    fn inline_command_unescapes_quotes() {
        let buf = b"set \"a b\" c\r\nping\n";
        let mut p = RequestParser::new();
        assert_eq!(p.parse(buf, OPEN), Parsed::Command { inline: true });
        assert_eq!(
            args(&p, buf, true),
            vec![b"set".to_vec(), b"a b".to_vec(), b"c".to_vec()]
        );
        assert_eq!(p.parse(buf, OPEN), Parsed::Command { inline: true });
        assert_eq!(args(&p, buf, true), vec![b"ping".to_vec()]);
    }

    #[test]
    fn blank_inline_line_and_zero_multibulk_are_empty() {
        let mut p = RequestParser::new();
        assert_eq!(p.parse(b"\r\n", OPEN), Parsed::Empty);
        let mut p = RequestParser::new();
        assert_eq!(p.parse(b"*0\r\n", OPEN), Parsed::Empty);
        let mut p = RequestParser::new();
        assert_eq!(p.parse(b"*-10\r\n", OPEN), Parsed::Empty);
    }

    fn error_reply(buf: &[u8], limits: ParseLimits) -> String {
        let mut p = RequestParser::new();
        match p.parse(buf, limits) {
            Parsed::Error(e) => e.reply,
            other => panic!("expected error, got {other:?}"),
        }
    }

    #[test]
    fn protocol_errors_have_redis_texts() {
        assert_eq!(
            error_reply(b"*abc\r\n", OPEN),
            "Protocol error: invalid multibulk length"
        );
        assert_eq!(
            error_reply(b"*3000000000\r\n", OPEN),
            "Protocol error: invalid multibulk length"
        );
        assert_eq!(
            error_reply(b"*1\r\nfoo\r\n", OPEN),
            "Protocol error: expected '$', got 'f'"
        );
        assert_eq!(
            error_reply(b"*1\r\n$-1\r\n", OPEN),
            "Protocol error: invalid bulk length"
        );
        assert_eq!(
            error_reply(b"*1\r\n$2000000000\r\n", OPEN),
            "Protocol error: invalid bulk length"
        );
        assert_eq!(
            error_reply(b"set \"foo\r\n", OPEN),
            "Protocol error: unbalanced quotes in request"
        );
        let big = vec![b'a'; INLINE_MAX_SIZE + 1];
        assert_eq!(
            error_reply(&big, OPEN),
            "Protocol error: too big inline request"
        );
        let mut big = b"*".to_vec();
        big.extend(vec![b'1'; INLINE_MAX_SIZE + 1]);
        assert_eq!(
            error_reply(&big, OPEN),
            "Protocol error: too big mbulk count string"
        );
    }

    #[test]
    fn unauthenticated_clients_get_small_limits() {
        let locked = ParseLimits {
            authenticated: false,
            ..OPEN
        };
        assert_eq!(
            error_reply(b"*11\r\n", locked),
            "Protocol error: unauthenticated multibulk length"
        );
        assert_eq!(
            error_reply(b"*1\r\n$16385\r\n", locked),
            "Protocol error: unauthenticated bulk length"
        );
    }

    #[test]
    fn shifting_keeps_in_progress_spans_valid() {
        let buf = b"PING\r\n*2\r\n$3\r\nGET\r\n$3\r\nf";
        let mut p = RequestParser::new();
        assert_eq!(p.parse(buf, OPEN), Parsed::Command { inline: true });
        assert_eq!(p.parse(buf, OPEN), Parsed::NeedMore);
        let drop = p.droppable_prefix();
        assert_eq!(drop, 6 + 4 + 4);
        let mut rest = buf[drop..].to_vec();
        p.shift(drop);
        rest.extend_from_slice(b"oo\r\n");
        assert_eq!(p.parse(&rest, OPEN), Parsed::Command { inline: false });
        assert_eq!(
            args(&p, &rest, false),
            vec![b"GET".to_vec(), b"foo".to_vec()]
        );
    }

    #[test]
    fn random_bytes_never_panic() {
        let mut seed: u64 = 0x9e3779b97f4a7c15;
        let alphabet = b"*$\r\n0123456789-abc \"'\\x";
        for _ in 0..20000 {
            let mut buf = Vec::new();
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let len = (seed % 40) as usize;
            for i in 0..len {
                let r = seed.rotate_left(i as u32 * 5);
                buf.push(alphabet[(r % alphabet.len() as u64) as usize]);
            }
            let mut p = RequestParser::new();
            for _ in 0..50 {
                match p.parse(&buf, OPEN) {
                    Parsed::Command { .. } | Parsed::Empty => continue,
                    _ => break,
                }
            }
        }
    }

    mod fuzz {
        //! Property tests over the parser: any byte sequence, fed in any chunking,
        //! parses without panicking, keeps every span inside the buffer, and never
        //! moves backwards.
        use super::*;
        use proptest::prelude::*;

        /// Near-valid RESP: headers, lengths and payloads glued at random.
        fn resp_fragments() -> impl Strategy<Value = Vec<u8>> {
            let piece = prop_oneof![
                Just(b"*".to_vec()),
                Just(b"$".to_vec()),
                Just(b"\r\n".to_vec()),
                Just(b"\n".to_vec()),
                (-3i64..40).prop_map(|n| n.to_string().into_bytes()),
                proptest::collection::vec(any::<u8>(), 0..12),
                Just(b"\"quoted \\x41\"".to_vec()),
                Just(b"PING\r\n".to_vec()),
                Just(b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n".to_vec()),
                Just(b"*5\r\n$4\r\nZADD\r\n$1\r\nz\r\n$1\r\n1\r\n$1\r\nm\r\n$0\r\n\r\n".to_vec()),
            ];
            proptest::collection::vec(piece, 0..24).prop_map(|v| v.concat())
        }

        fn run(buf: &[u8], cuts: &[usize], limits: ParseLimits) {
            let mut p = RequestParser::new();
            let mut fed = 0;
            let mut last_pos = 0;
            for &cut in cuts.iter().chain(std::iter::once(&buf.len())) {
                fed = fed.max(cut.min(buf.len()));
                let view = &buf[..fed];
                for _ in 0..64 {
                    let r = p.parse(view, limits);
                    assert!(p.pos >= last_pos && p.pos <= view.len());
                    last_pos = p.pos;
                    match r {
                        Parsed::Command { inline } => {
                            let src = if inline { &p.inline_buf[..] } else { view };
                            for s in &p.spans {
                                assert!(s.start + s.len <= src.len());
                            }
                        }
                        Parsed::Empty => {}
                        Parsed::NeedMore => break,
                        Parsed::Error(e) => {
                            assert!(e.reply.starts_with("Protocol error: "));
                            return;
                        }
                    }
                }
            }
        }

        /// Argument counts and leading arguments (at most `PEEK_ARGS`) of
        /// requests of two or more arguments.
        type Framing = Vec<(usize, Vec<Vec<u8>>)>;

        /// What `peek_requests` finds in `buf`, and where it stops.
        fn peeked_framing(buf: &[u8]) -> (Framing, usize) {
            let mut peek = peek_requests(buf);
            let found = peek
                .by_ref()
                .map(|r| {
                    let args = (0..PEEK_ARGS)
                        .map_while(|i| r.arg(buf, i))
                        .map(<[u8]>::to_vec);
                    (r.argc, args.collect())
                })
                .collect();
            (found, peek.offset())
        }

        /// The multibulk requests the parser takes from `buf`, up to the first
        /// inline one, error or incomplete request.
        fn parsed_framing(buf: &[u8]) -> Framing {
            let mut p = RequestParser::new();
            let mut found = Vec::new();
            for _ in 0..64 {
                match p.parse(buf, OPEN) {
                    Parsed::Command { inline: false } if p.spans.len() >= 2 => {
                        let args = p.spans.iter().take(PEEK_ARGS);
                        let args = args.map(|s| buf[s.start..s.start + s.len].to_vec());
                        found.push((p.spans.len(), args.collect()));
                    }
                    Parsed::Command { inline: false } | Parsed::Empty => {}
                    Parsed::Command { inline: true } | Parsed::NeedMore | Parsed::Error(_) => break,
                }
            }
            found
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(2000))]

            /// The look-ahead reads the same requests as the parser, as far as
            /// both go (it may stop sooner, or read on past a request the
            /// parser rejects: it only prefetches).
            #[test]
            fn peeking_frames_requests_as_the_parser_does(buf in resp_fragments()) {
                let (peeked, offset) = peeked_framing(&buf);
                let parsed = parsed_framing(&buf);
                let common = peeked.len().min(parsed.len());
                prop_assert_eq!(&peeked[..common], &parsed[..common]);
                prop_assert!(offset <= buf.len());
            }

            #[test]
            fn arbitrary_bytes_never_panic(buf in proptest::collection::vec(any::<u8>(), 0..256),
                                           cuts in proptest::collection::vec(0usize..256, 0..6)) {
                run(&buf, &cuts, OPEN);
            }

            #[test]
            fn near_valid_resp_never_panics(buf in resp_fragments(),
                                            cuts in proptest::collection::vec(0usize..512, 0..6),
                                            authenticated in any::<bool>()) {
                let limits = ParseLimits { max_bulk_len: 64, authenticated };
                let mut sorted = cuts.clone();
                sorted.sort_unstable();
                run(&buf, &sorted, limits);
            }
        }
    }
}
