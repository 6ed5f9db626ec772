//! Glob-style pattern matching with the exact semantics of Redis 7.0's
//! `stringmatchlen()` (util.c), as used by KEYS, SCAN MATCH, PSUBSCRIBE,
//! CONFIG GET, ACL key/channel patterns and friends.
//!
//! Supported syntax:
//!
//! * `*` matches any (possibly empty) run of bytes, `?` matches one byte;
//! * `[abc]`, `[^abc]` (negation), `[a-z]` (ranges, reversed ranges such as
//!   `[z-a]` are accepted) and `\x` escapes inside brackets;
//! * `\x` outside brackets matches `x` literally.
//!
//! Quirks reproduced on purpose, because clients can observe them:
//!
//! * an empty subject string only matches the empty pattern (`*` does not
//!   match `""`);
//! * an unterminated `[` class simply ends at the end of the pattern, so `[`
//!   never matches and `[^` matches any single byte; `[a-]` is the range
//!   `a`..`]` followed by an unterminated class;
//! * a `\` escape inside brackets is compared case-sensitively even in
//!   `nocase` mode, and a trailing `\` matches a literal backslash;
//! * range bounds are compared as C `char`, which is signed on x86-64, and in
//!   `nocase` mode go through glibc's `tolower()` in the "C" locale (which maps
//!   negative values other than `EOF` to `c + 256`); bytes >= 0x80 therefore
//!   behave exactly as they do in a glibc/x86-64 Redis build.
//!
//! The matcher runs in `O(pattern * string)` time and constant memory: once a
//! later `*` has been reached, earlier `*` are never retried with longer
//! matches. This is the same pruning as Redis 7.0's `skipLongerMatches`, so
//! patterns such as `a*a*a*a*...b` return quickly on long inputs.

/// Returns whether `string` matches the glob `pattern` (Redis
/// `stringmatchlen(pattern, plen, string, slen, nocase)`).
///
/// With `nocase`, ASCII letters compare case-insensitively (Redis uses
/// `tolower()` in the "C" locale). Never panics, whatever the input.
pub fn glob_match(pattern: &[u8], string: &[u8], nocase: bool) -> bool {
    // Redis only enters its main loop when both inputs are non-empty, so an
    // empty subject is matched by the empty pattern alone.
    if string.is_empty() {
        return pattern.is_empty();
    }
    let pat = Pattern {
        bytes: pattern,
        nocase,
    };

    let mut p = 0usize;
    let mut s = 0usize;
    // Where to resume after a failure: the pattern position just past the
    // most recent `*`, and the subject position that `*` currently stops at.
    let mut resume: Option<(usize, usize)> = None;

    loop {
        // Invariant: s < string.len().
        let matched_here = if p >= pattern.len() {
            false
        } else if pattern[p] == b'*' {
            let mut last_star = p;
            while pat.at(last_star + 1) == b'*' {
                last_star += 1;
            }
            if last_star + 1 == pattern.len() {
                // A trailing star swallows the rest of the subject.
                return true;
            }
            p = last_star + 1;
            resume = Some((p, s));
            continue;
        } else {
            match pat.single(p, string[s]) {
                Some(next) => {
                    p = next;
                    s += 1;
                    if s < string.len() {
                        continue;
                    }
                    // Subject exhausted: only trailing stars may remain.
                    while p < pattern.len() && pattern[p] == b'*' {
                        p += 1;
                    }
                    p == pattern.len()
                }
                None => false,
            }
        };
        if matched_here {
            return true;
        }

        // Let the most recent star absorb one more byte and retry.
        match resume {
            Some((star_p, star_s)) if star_s + 1 < string.len() => {
                resume = Some((star_p, star_s + 1));
                p = star_p;
                s = star_s + 1;
            }
            _ => return false,
        }
    }
}

/// Convenience wrapper over [`glob_match`] for `&str` inputs (Redis
/// `stringmatch`).
pub fn glob_match_str(pattern: &str, string: &str, nocase: bool) -> bool {
    glob_match(pattern.as_bytes(), string.as_bytes(), nocase)
}

struct Pattern<'a> {
    bytes: &'a [u8],
    nocase: bool,
}

impl Pattern<'_> {
    /// Pattern byte at `i`, or NUL past the end (Redis patterns are
    /// NUL-terminated sds strings and the C code peeks one byte beyond).
    fn at(&self, i: usize) -> u8 {
        self.bytes.get(i).copied().unwrap_or(0)
    }

    fn eq(&self, a: u8, b: u8) -> bool {
        if self.nocase {
            a.eq_ignore_ascii_case(&b)
        } else {
            a == b
        }
    }

    /// Matches the single-byte token (anything but `*`) starting at `p`
    /// against `c`. Returns the pattern index following the token on success.
    fn single(&self, p: usize, c: u8) -> Option<usize> {
        match self.bytes[p] {
            b'?' => Some(p + 1),
            b'[' => self.class(p + 1, c),
            b'\\' if p + 1 < self.bytes.len() => self.eq(self.bytes[p + 1], c).then_some(p + 2),
            lit => self.eq(lit, c).then_some(p + 1),
        }
    }

    /// Matches a bracket class whose body starts at `q` (just after `[`).
    fn class(&self, mut q: usize, c: u8) -> Option<usize> {
        let len = self.bytes.len();
        let negate = self.at(q) == b'^';
        if negate {
            q += 1;
        }
        let mut hit = false;
        let end = loop {
            let rem = len.saturating_sub(q);
            let b = self.at(q);
            if b == b'\\' && rem >= 2 {
                // Escaped byte: compared exactly, even in nocase mode.
                hit |= self.bytes[q + 1] == c;
                q += 2;
            } else if b == b']' && rem >= 1 {
                break q + 1;
            } else if rem == 0 {
                // Unterminated class: it runs to the end of the pattern.
                break len;
            } else if rem >= 3 && self.bytes[q + 1] == b'-' {
                hit |= self.in_range(self.bytes[q], self.bytes[q + 2], c);
                q += 3;
            } else {
                hit |= self.eq(b, c);
                q += 1;
            }
        };
        (hit != negate).then_some(end)
    }

    /// Range test with C semantics: signed `char` bounds, swapped when
    /// reversed, then folded through glibc `tolower()` in nocase mode.
    fn in_range(&self, a: u8, b: u8, c: u8) -> bool {
        let (mut lo, mut hi) = (signed(a), signed(b));
        if lo > hi {
            std::mem::swap(&mut lo, &mut hi);
        }
        let mut c = signed(c);
        if self.nocase {
            lo = c_tolower(lo);
            hi = c_tolower(hi);
            c = c_tolower(c);
        }
        lo <= c && c <= hi
    }
}

/// A byte read through a (signed, on x86-64) C `char`.
fn signed(b: u8) -> i32 {
    i32::from(b as i8)
}

/// glibc `tolower()` in the "C" locale, including its handling of negative
/// arguments: values in -128..=-2 map to `c + 256`, `EOF` (-1) is kept.
fn c_tolower(c: i32) -> i32 {
    match c {
        0x41..=0x5a => c + 0x20,
        -128..=-2 => c + 256,
        _ => c,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, s: &str) -> bool {
        glob_match(p.as_bytes(), s.as_bytes(), false)
    }

    fn mi(p: &str, s: &str) -> bool {
        glob_match(p.as_bytes(), s.as_bytes(), true)
    }

    #[test]
    fn star_matches_any_run_but_not_empty_subject() {
        assert!(m("*", "abc"));
        assert!(m("*", "a"));
        assert!(!m("*", ""));
        assert!(m("", ""));
        assert!(!m("", "a"));
        assert!(m("a*", "a"));
        assert!(m("a**", "a"));
        assert!(m("a*b*c", "aXXbYYc"));
        assert!(m("a*b*c", "abc"));
        assert!(!m("a*b*c", "abcd"));
        assert!(m("*c", "abc"));
        assert!(!m("*c", "abd"));
        assert!(m("h*llo", "hllo"));
        assert!(m("h*llo", "heeeello"));
    }

    #[test]
    fn question_mark_matches_exactly_one_byte() {
        assert!(m("h?llo", "hello"));
        assert!(m("h?llo", "hallo"));
        assert!(!m("h?llo", "hllo"));
        assert!(!m("?", ""));
        assert!(m("??", "ab"));
        assert!(!m("??", "abc"));
    }

    #[test]
    fn bracket_sets_negation_and_ranges() {
        assert!(m("h[ae]llo", "hello"));
        assert!(m("h[ae]llo", "hallo"));
        assert!(!m("h[ae]llo", "hillo"));
        assert!(m("h[^e]llo", "hallo"));
        assert!(!m("h[^e]llo", "hello"));
        assert!(m("h[a-b]llo", "hbllo"));
        assert!(!m("h[a-b]llo", "hcllo"));
        assert!(m("h[b-a]llo", "hallo"), "reversed range");
        assert!(m("[0-9][0-9]", "42"));
        assert!(!m("[]", "]"));
        assert!(!m("[]a]", "a"));
        assert!(!m("[]a]", "]"), "'[]' is an empty class that never matches");
        assert!(!m("[]a]", "a]"));
    }

    #[test]
    fn escapes_outside_and_inside_brackets() {
        assert!(m("\\*", "*"));
        assert!(!m("\\*", "a"));
        assert!(m("a\\?", "a?"));
        assert!(!m("a\\?", "ab"));
        assert!(m("\\", "\\"), "trailing backslash is literal");
        assert!(m("[\\]]", "]"));
        assert!(m("[\\-]", "-"));
        assert!(m("[a\\", "\\"), "backslash last in unterminated class");
    }

    #[test]
    fn unterminated_brackets_follow_redis() {
        assert!(!m("[", "["));
        assert!(!m("[", "a"));
        assert!(m("[^", "x"), "'[^' matches any byte");
        assert!(m("[^", "^"));
        assert!(m("[ab", "b"));
        assert!(!m("[ab", "c"));
        assert!(!m("[ab", "bb"));
        // `[a-]` is the range a..']' then the end of the pattern.
        assert!(m("[a-]", "_"));
        assert!(m("[a-]", "]"));
        assert!(!m("[a-]", "-"));
        assert!(m("[a-]", "a"));
        assert!(!m("x[", "x"));
    }

    #[test]
    fn nocase_folds_ascii_letters_only() {
        assert!(mi("HELLO", "hello"));
        assert!(mi("h?LLo", "HeLlO"));
        assert!(mi("[A-C]", "b"));
        assert!(mi("[a-c]", "B"));
        assert!(mi("[^X]", "y"));
        assert!(!mi("[^X]", "x"));
        assert!(!m("HELLO", "hello"));
        // An escaped byte inside brackets stays case-sensitive.
        assert!(!mi("[\\A]", "a"));
        assert!(mi("[\\A]", "A"));
        // Outside brackets the escaped byte is folded.
        assert!(mi("\\A", "a"));
    }

    #[test]
    fn high_bytes_use_signed_char_ranges() {
        // [a-\xfe] is the signed range -2..=97: it contains 0x00 and 0xff.
        assert!(glob_match(b"[a-\xfe]", b"\x00", false));
        assert!(glob_match(b"[a-\xfe]", b"\xff", false));
        assert!(glob_match(b"[a-\xfe]", b"\xfe", false));
        assert!(!glob_match(b"[a-\xfe]", b"\x80", false));
        assert!(!glob_match(b"[a-\xfe]", b"b", false));
        // In nocase mode glibc tolower() turns -2 into 254: range 254..=97 is empty.
        assert!(!glob_match(b"[a-\xfe]", b"\x00", true));
        assert!(!glob_match(b"[a-\xfe]", b"a", true));
        // Literal high bytes simply compare equal.
        assert!(glob_match(b"\xe9*", b"\xe9t\xe9", true));
        assert!(!glob_match(b"\xe9", b"\xc9", true));
    }

    #[test]
    fn binary_and_nul_bytes_are_plain_bytes() {
        assert!(glob_match(b"a\0*", b"a\0zz", false));
        assert!(!glob_match(b"a\0", b"a", false));
        assert!(glob_match(b"[\0]", b"\0", false));
    }

    #[test]
    fn pathological_star_patterns_finish_quickly() {
        let start = std::time::Instant::now();
        let subject = vec![b'a'; 50_000];
        let mut pattern = b"a*".repeat(40);
        pattern.push(b'b');
        assert!(!glob_match(&pattern, &subject, false));
        let pattern = b"*a".repeat(2000);
        assert!(glob_match(&pattern, &subject, false));
        let mut pattern = b"*a".repeat(2000);
        pattern.extend_from_slice(b"*b");
        assert!(!glob_match(&pattern, &subject, false));
        // Huge star counts must not recurse.
        let pattern = b"*?".repeat(200_000);
        assert!(!glob_match(&pattern, &subject, false));
        assert!(start.elapsed() < std::time::Duration::from_secs(5));
    }

    /// Straightforward exponential interpretation of the Redis algorithm,
    /// trying every split for every star (no pruning).
    fn reference(p: &[u8], s: &[u8], nocase: bool) -> bool {
        if s.is_empty() {
            return p.is_empty();
        }
        ref_rec(p, s, nocase)
    }

    fn at(p: &[u8], i: usize) -> u8 {
        if i < p.len() {
            p[i]
        } else {
            0
        }
    }

    // `s` is never empty here.
    fn ref_rec(p: &[u8], s: &[u8], nocase: bool) -> bool {
        if p.is_empty() {
            return false;
        }
        let fold = |x: u8| -> i32 {
            let v = x as i8 as i32;
            if nocase {
                if (65..=90).contains(&v) {
                    v + 32
                } else if v <= -2 {
                    v + 256
                } else {
                    v
                }
            } else {
                v
            }
        };
        let (ok, rest): (bool, &[u8]) = match p[0] {
            b'*' => {
                let mut k = 0;
                while at(p, k + 1) == b'*' {
                    k += 1;
                }
                let tail = &p[k + 1..];
                if tail.is_empty() {
                    return true;
                }
                return (0..s.len()).any(|i| ref_rec(tail, &s[i..], nocase));
            }
            b'?' => (true, &p[1..]),
            b'\\' if p.len() >= 2 => (fold(p[1]) == fold(s[0]), &p[2..]),
            b'[' => {
                let mut i = 1;
                let not = at(p, i) == b'^';
                if not {
                    i += 1;
                }
                let mut hit = false;
                let rest: &[u8];
                loop {
                    let rem = p.len().saturating_sub(i);
                    if at(p, i) == b'\\' && rem >= 2 {
                        hit |= p[i + 1] == s[0];
                        i += 2;
                    } else if rem >= 1 && p[i] == b']' {
                        rest = &p[i + 1..];
                        break;
                    } else if rem == 0 {
                        rest = &[];
                        break;
                    } else if rem >= 3 && p[i + 1] == b'-' {
                        let (mut a, mut b) = (p[i] as i8 as i32, p[i + 2] as i8 as i32);
                        if a > b {
                            std::mem::swap(&mut a, &mut b);
                        }
                        let c = s[0] as i8 as i32;
                        let f = |v: i32| fold(v as u8);
                        let (a, b, c) = if nocase {
                            (f(a), f(b), f(c))
                        } else {
                            (a, b, c)
                        };
                        hit |= a <= c && c <= b;
                        i += 3;
                    } else {
                        hit |= fold(p[i]) == fold(s[0]);
                        i += 1;
                    }
                }
                (hit != not, rest)
            }
            lit => (fold(lit) == fold(s[0]), &p[1..]),
        };
        if !ok {
            return false;
        }
        if s.len() == 1 {
            let mut r = rest;
            while let [b'*', tail @ ..] = r {
                r = tail;
            }
            return r.is_empty();
        }
        ref_rec(rest, &s[1..], nocase)
    }

    struct XorShift(u64);
    impl XorShift {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    #[test]
    fn randomized_patterns_agree_with_naive_reference() {
        const PAT: &[u8] = b"ab*?[]^-\\";
        const SUBJ: &[u8] = b"ab*?[]^-\\AB";
        let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
        for _ in 0..300_000 {
            let plen = rng.below(9);
            let slen = rng.below(7);
            let p: Vec<u8> = (0..plen).map(|_| PAT[rng.below(PAT.len())]).collect();
            let s: Vec<u8> = (0..slen).map(|_| SUBJ[rng.below(SUBJ.len())]).collect();
            for nocase in [false, true] {
                assert_eq!(
                    glob_match(&p, &s, nocase),
                    reference(&p, &s, nocase),
                    "pattern {:?} string {:?} nocase {}",
                    String::from_utf8_lossy(&p),
                    String::from_utf8_lossy(&s),
                    nocase
                );
            }
        }
    }

    #[test]
    fn randomized_binary_inputs_agree_with_reference() {
        let mut rng = XorShift(0x1234_5678_9abc_def1);
        let special = [
            b'*', b'?', b'[', b']', b'^', b'-', b'\\', 0, 0x80, 0xff, 0xfe, b'a', b'A', b'z',
        ];
        for _ in 0..200_000 {
            let plen = rng.below(8);
            let slen = rng.below(6);
            let byte = |rng: &mut XorShift| {
                if rng.below(2) == 0 {
                    special[rng.below(special.len())]
                } else {
                    rng.next() as u8
                }
            };
            let p: Vec<u8> = (0..plen).map(|_| byte(&mut rng)).collect();
            let s: Vec<u8> = (0..slen).map(|_| byte(&mut rng)).collect();
            for nocase in [false, true] {
                assert_eq!(
                    glob_match(&p, &s, nocase),
                    reference(&p, &s, nocase),
                    "pattern {p:?} string {s:?} nocase {nocase}"
                );
            }
        }
    }
}
