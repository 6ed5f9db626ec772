//! Number parsing and formatting that must match Redis 7.0 byte for byte.
//!
//! This module owns the conversions between numbers and their textual form
//! used in replies, stored values and configuration: Redis `string2ll`,
//! `ll2string`, `string2d`, `string2ld`, `d2string`, `ld2string`,
//! `addReplyDouble`'s `%.17g`, `memtoull` and `bytesToHuman`.
//!
//! Behaviour is that of a glibc / x86-64 build of redis-server (C locale for
//! `LC_NUMERIC` and `LC_CTYPE`, 80-bit x87 `long double`).
//!
//! Doubles are formatted with Rust's exact (correctly rounded, ties-to-even)
//! float formatting, which the tests compare against the C library's
//! `snprintf`. Redis' `long double` maths (INCRBYFLOAT, HINCRBYFLOAT) is
//! reproduced exactly by [`LongDouble`], a software model of the x87 80-bit
//! format (64-bit significand, round-half-even), with `strtold`-compatible
//! parsing and `%.17Lf` formatting. The f64 shortcuts requested for the same
//! commands ([`parse_long_double_like`], [`format_long_double_human`]) are
//! kept for callers that cannot use it; their divergences are documented
//! on each function.

use std::cmp::Ordering;
use std::fmt::Write as _;

// ---------------------------------------------------------------------------
// Integers
// ---------------------------------------------------------------------------

/// Longest decimal form of an `i64` (`-9223372036854775808`).
pub const MAX_I64_LEN: usize = 20;

/// Redis `LONG_STR_SIZE`: `string2ll` rejects inputs this long or longer.
const LONG_STR_SIZE: usize = 21;

/// Parses a strictly formatted signed 64-bit integer (Redis `string2ll`;
/// `string2l` is identical on 64-bit platforms).
///
/// Accepted: `0`, or an optional `-` followed by a digit `1`-`9` and further
/// digits, at most 20 bytes in total, within `i64` range. Rejected: empty
/// input, `+`, spaces anywhere, leading zeros (`01`), `-0`, any trailing
/// byte, overflow. Accepting exactly this set guarantees that formatting the
/// result gives back the same bytes.
pub fn parse_i64(s: &[u8]) -> Option<i64> {
    if s.is_empty() || s.len() >= LONG_STR_SIZE {
        return None;
    }
    if s == b"0" {
        return Some(0);
    }
    let (negative, digits) = match s {
        [b'-', rest @ ..] => (true, rest),
        _ => (false, s),
    };
    match digits.first() {
        Some(b'1'..=b'9') => {}
        _ => return None,
    }
    let mut magnitude: u64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        magnitude = magnitude
            .checked_mul(10)?
            .checked_add(u64::from(d - b'0'))?;
    }
    if negative {
        0i64.checked_sub_unsigned(magnitude)
    } else {
        i64::try_from(magnitude).ok()
    }
}

/// Number of decimal digits of `v` (Redis `digits10`).
pub fn u64_len(v: u64) -> usize {
    match v.checked_ilog10() {
        Some(l) => l as usize + 1,
        None => 1,
    }
}

/// Length of the decimal form of `v`, including a `-` sign (Redis
/// `sdigits10`).
pub fn i64_len(v: i64) -> usize {
    u64_len(v.unsigned_abs()) + usize::from(v < 0)
}

const DIGIT_PAIRS: &[u8; 200] = b"0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// Writes the decimal digits of `v` right-aligned into `out` and returns the
/// index of the first digit.
fn fill_u64_digits(mut v: u64, out: &mut [u8; MAX_I64_LEN]) -> usize {
    let mut pos = MAX_I64_LEN;
    while v >= 100 {
        let pair = (v % 100) as usize * 2;
        v /= 100;
        pos -= 2;
        out[pos..pos + 2].copy_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
    }
    if v >= 10 {
        let pair = v as usize * 2;
        pos -= 2;
        out[pos..pos + 2].copy_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
    } else {
        pos -= 1;
        out[pos] = b'0' + v as u8;
    }
    pos
}

/// Formats `v` into a caller-provided stack buffer and returns the used
/// part (Redis `ll2string`). Does not allocate.
pub fn i64_to_bytes(v: i64, out: &mut [u8; MAX_I64_LEN]) -> &[u8] {
    let mut start = fill_u64_digits(v.unsigned_abs(), out);
    if v < 0 {
        start -= 1;
        out[start] = b'-';
    }
    &out[start..]
}

/// Formats `v` into a caller-provided stack buffer and returns the used
/// part (Redis `ull2string`). Does not allocate.
pub fn u64_to_bytes(v: u64, out: &mut [u8; MAX_I64_LEN]) -> &[u8] {
    let start = fill_u64_digits(v, out);
    &out[start..]
}

/// Appends the decimal form of `v` (Redis `ll2string`). No allocation other
/// than growing `buf` itself.
pub fn write_i64(buf: &mut Vec<u8>, v: i64) {
    let mut tmp = [0u8; MAX_I64_LEN];
    buf.extend_from_slice(i64_to_bytes(v, &mut tmp));
}

/// Appends the decimal form of `v` (Redis `ull2string`). No allocation other
/// than growing `buf` itself.
pub fn write_u64(buf: &mut Vec<u8>, v: u64) {
    let mut tmp = [0u8; MAX_I64_LEN];
    buf.extend_from_slice(u64_to_bytes(v, &mut tmp));
}

// ---------------------------------------------------------------------------
// Float syntax shared by the f64 and long double parsers
// ---------------------------------------------------------------------------

/// A string that `strtod`/`strtold` would consume completely.
struct FloatText<'a> {
    negative: bool,
    kind: FloatKind<'a>,
}

enum FloatKind<'a> {
    /// `inf` or `infinity`, any case.
    Infinity,
    /// Decimal digits before and after the optional dot, and the exponent.
    Decimal {
        int: &'a [u8],
        frac: &'a [u8],
        exp: i64,
    },
    /// Hex digits before and after the optional dot, and the binary exponent.
    Hex {
        int: &'a [u8],
        frac: &'a [u8],
        exp: i64,
    },
}

/// Exponents are clamped to this magnitude; anything beyond is far outside
/// every representable range, and clamping keeps the arithmetic in `i64`.
const EXP_CLAMP: i64 = 1 << 40;

/// Recognises exactly the inputs that glibc `strtod` would consume in full,
/// apart from NaN, which every Redis caller rejects anyway. A leading space
/// is not accepted (Redis checks `isspace(s[0])`), nor is anything after the
/// number.
fn scan_float(s: &[u8]) -> Option<FloatText<'_>> {
    let (negative, rest) = match s {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        _ => (false, s),
    };
    if rest.eq_ignore_ascii_case(b"inf") || rest.eq_ignore_ascii_case(b"infinity") {
        return Some(FloatText {
            negative,
            kind: FloatKind::Infinity,
        });
    }
    if let [b'0', b'x' | b'X', hex @ ..] = rest {
        let (int, frac, tail) = split_mantissa(hex, u8::is_ascii_hexdigit);
        if int.is_empty() && frac.is_empty() {
            return None;
        }
        let exp = match tail {
            [] => 0,
            [b'p' | b'P', e @ ..] => parse_exponent(e)?,
            _ => return None,
        };
        return Some(FloatText {
            negative,
            kind: FloatKind::Hex { int, frac, exp },
        });
    }
    let (int, frac, tail) = split_mantissa(rest, u8::is_ascii_digit);
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    let exp = match tail {
        [] => 0,
        [b'e' | b'E', e @ ..] => parse_exponent(e)?,
        _ => return None,
    };
    Some(FloatText {
        negative,
        kind: FloatKind::Decimal { int, frac, exp },
    })
}

/// Splits `digits [. digits]` off the front of `s`.
fn split_mantissa(s: &[u8], is_digit: fn(&u8) -> bool) -> (&[u8], &[u8], &[u8]) {
    let int_len = s.iter().take_while(|b| is_digit(b)).count();
    let (int, rest) = s.split_at(int_len);
    match rest {
        [b'.', after @ ..] => {
            let frac_len = after.iter().take_while(|b| is_digit(b)).count();
            let (frac, tail) = after.split_at(frac_len);
            (int, frac, tail)
        }
        _ => (int, &[], rest),
    }
}

/// `[+-]digits`, the whole slice, clamped to `±EXP_CLAMP`.
fn parse_exponent(s: &[u8]) -> Option<i64> {
    let (negative, digits) = match s {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        _ => (false, s),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let magnitude = digits.iter().fold(0i64, |acc, &d| {
        (acc * 10 + i64::from(d - b'0')).min(EXP_CLAMP)
    });
    Some(if negative { -magnitude } else { magnitude })
}

fn hex_value(b: u8) -> u32 {
    (b as char).to_digit(16).unwrap_or(0)
}

/// Exact value of a hex mantissa: up to 30 significant hex digits (120
/// bits), the binary exponent, and whether non-zero digits were dropped.
fn hex_mantissa(int: &[u8], frac: &[u8], exp: i64) -> (u128, i64, bool) {
    let mut mant: u128 = 0;
    let mut kept = 0usize;
    let mut dropped = 0i64;
    let mut sticky = false;
    for &d in int.iter().chain(frac) {
        let v = hex_value(d);
        if kept == 0 && v == 0 {
            continue;
        }
        if kept < 30 {
            mant = (mant << 4) | u128::from(v);
            kept += 1;
        } else {
            dropped += 1;
            sticky |= v != 0;
        }
    }
    let frac_len = i64::try_from(frac.len()).unwrap_or(EXP_CLAMP);
    (mant, exp - 4 * frac_len + 4 * dropped, sticky)
}

// ---------------------------------------------------------------------------
// Binary rounding shared by hex parsing and the long double model
// ---------------------------------------------------------------------------

/// A binary floating point format: `precision` significand bits, smallest
/// subnormal `2^min_exp`, and overflow at `2^max_exp`.
#[derive(Clone, Copy)]
struct BinFormat {
    precision: u32,
    min_exp: i64,
    max_exp: i64,
}

const F64_FORMAT: BinFormat = BinFormat {
    precision: 53,
    min_exp: -1074,
    max_exp: 1024,
};

const X87_FORMAT: BinFormat = BinFormat {
    precision: 64,
    min_exp: -16445,
    max_exp: 16384,
};

enum Rounded {
    Zero,
    /// `mant * 2^exp`, `mant < 2^precision`, `exp >= min_exp`.
    Finite {
        mant: u128,
        exp: i64,
    },
    Overflow,
}

/// How a rounding is performed.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Rounding {
    /// IEEE round-half-to-even (arithmetic, conversions).
    Exact,
    /// glibc 2.36 `strtod`/`strtold` on hex input (`round_and_return`):
    /// identical, except for values in `[2^(min_exp-1), 2^min_exp)`, i.e.
    /// between half the smallest subnormal and the smallest subnormal. There
    /// glibc forgets the first bit past the significand when deciding whether
    /// to round up, so `0x1.00000000000008p-1075` gives 0 (ERANGE) instead of
    /// 5e-324. Decimal input is rounded correctly by glibc.
    Glibc,
}

/// Rounds `(mant + f) * 2^exp` half-to-even into `fmt`, where `f` is in
/// (0, 1) when `sticky` and 0 otherwise. Callers pass at least
/// `precision + 2` significant bits whenever `sticky` is set.
fn round_binary(mant: u128, exp: i64, sticky: bool, fmt: BinFormat, mode: Rounding) -> Rounded {
    if mant == 0 {
        return Rounded::Zero;
    }
    let bits = i64::from(128 - mant.leading_zeros());
    if mode == Rounding::Glibc && bits + exp == fmt.min_exp {
        let top = bits - 1;
        let mut rest = mant & !(1u128 << top);
        let forgotten = top - i64::from(fmt.precision);
        if forgotten >= 0 {
            rest &= !(1u128 << forgotten);
        }
        return if rest != 0 || sticky {
            Rounded::Finite {
                mant: 1,
                exp: fmt.min_exp,
            }
        } else {
            Rounded::Zero
        };
    }
    let mut shift = bits - i64::from(fmt.precision);
    if exp + shift < fmt.min_exp {
        shift = fmt.min_exp - exp;
    }
    let (mut q, mut e) = if shift <= 0 {
        // Exact: shift left (never by more than `precision` bits).
        (mant << (-shift) as u32, exp + shift)
    } else if shift > 128 {
        (0, exp + shift)
    } else {
        let (q, rem, half) = if shift == 128 {
            (0, mant, 1u128 << 127)
        } else {
            let s = shift as u32;
            (mant >> s, mant & ((1u128 << s) - 1), 1u128 << (s - 1))
        };
        let round_up = rem > half || (rem == half && (sticky || q & 1 == 1));
        (q + u128::from(round_up), exp + shift)
    };
    if q == 0 {
        return Rounded::Zero;
    }
    if q >> fmt.precision != 0 {
        q >>= 1;
        e += 1;
    }
    if i64::from(128 - q.leading_zeros()) + e > fmt.max_exp {
        return Rounded::Overflow;
    }
    Rounded::Finite { mant: q, exp: e }
}

/// Builds the f64 `mant * 2^exp` produced by [`round_binary`] with
/// [`F64_FORMAT`].
fn f64_from_parts(negative: bool, mant: u128, exp: i64) -> f64 {
    let mant = mant as u64;
    let bits = if mant >> 52 == 0 {
        // Subnormal (exp == -1074).
        mant
    } else {
        (((exp + 52 + 1023) as u64) << 52) | (mant & ((1u64 << 52) - 1))
    };
    let v = f64::from_bits(bits);
    if negative {
        -v
    } else {
        v
    }
}

// ---------------------------------------------------------------------------
// Parsing doubles
// ---------------------------------------------------------------------------

/// Parses a double exactly like Redis `string2d` (and `getDoubleFromObject`,
/// which ZADD, ZINCRBY, GEOADD, ZRANGEBYSCORE & co. use): glibc `strtod`,
/// required to consume the whole input.
///
/// Accepted: optional `+`/`-`, then decimal `digits[.digits]` or
/// `.digits` with an optional `e[+-]digits` exponent, hex floats
/// (`0x1.8p3`, `0X10`, exponent optional), or `inf`/`infinity` in any case.
/// The decimal value is correctly rounded to nearest, as glibc does.
///
/// Rejected: empty input, leading whitespace, any trailing byte (including
/// NUL), NaN in any spelling, values that overflow to ±infinity and
/// non-zero values that underflow to ±0 (`ERANGE`). Values that become
/// subnormal are accepted. glibc 2.36's mis-rounding of hex input just above
/// half the smallest subnormal (`0x1.00000000000008p-1075` is rejected) is
/// reproduced.
pub fn parse_f64(s: &[u8]) -> Option<f64> {
    let text = scan_float(s)?;
    match text.kind {
        FloatKind::Infinity => Some(if text.negative {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        }),
        FloatKind::Decimal { int, frac, .. } => {
            // The syntax was validated above and is a subset of what Rust's
            // (correctly rounded) parser accepts.
            let v: f64 = std::str::from_utf8(s).ok()?.parse().ok()?;
            if v.is_infinite() || (v == 0.0 && !is_zero_mantissa(int, frac)) {
                return None;
            }
            Some(v)
        }
        FloatKind::Hex { int, frac, exp } => {
            let (mant, exp, sticky) = hex_mantissa(int, frac, exp);
            if mant == 0 {
                return Some(if text.negative { -0.0 } else { 0.0 });
            }
            match round_binary(mant, exp, sticky, F64_FORMAT, Rounding::Glibc) {
                Rounded::Finite { mant, exp } => Some(f64_from_parts(text.negative, mant, exp)),
                Rounded::Zero | Rounded::Overflow => None,
            }
        }
    }
}

/// Parses like Redis `string2ld` (INCRBYFLOAT, HINCRBYFLOAT operands) and
/// rounds the `long double` result to the nearest f64.
///
/// Acceptance is exactly that of `string2ld`: the rules of [`parse_f64`],
/// plus a length limit (inputs of 5120 bytes or more are rejected) and the
/// wider x87 range: finite up to about 1.19e4932, non-zero down to about
/// 3.6e-4951. Divergence: values beyond the f64 range are accepted (as
/// Redis does) but come back as ±infinity or ±0, and precision is that of
/// f64. Use [`LongDouble::parse`] to keep Redis' exact value.
pub fn parse_long_double_like(s: &[u8]) -> Option<f64> {
    LongDouble::parse(s).map(LongDouble::to_f64)
}

// ---------------------------------------------------------------------------
// Formatting doubles
// ---------------------------------------------------------------------------

/// Fixed-size, allocation-free `fmt::Write` sink.
struct StackBuf<const N: usize> {
    bytes: [u8; N],
    len: usize,
}

impl<const N: usize> StackBuf<N> {
    fn new() -> Self {
        StackBuf {
            bytes: [0; N],
            len: 0,
        }
    }

    fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }
}

impl<const N: usize> std::fmt::Write for StackBuf<N> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        if end > N {
            return Err(std::fmt::Error);
        }
        self.bytes[self.len..end].copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// Appends `v` formatted like C `printf("%.17g", v)` (glibc), which is how
/// Redis 7.0 `addReplyDouble` renders doubles (ZSCORE, ZINCRBY,
/// ZRANGE WITHSCORES, GEODIST...), and also Redis `ld2string(LD_STR_AUTO)`
/// (`%.17Lg`) of a value that is an exact double (ZSCAN scores).
///
/// `inf`/`-inf` for infinities (Redis special-cases them), `nan`/`-nan` for
/// NaN as glibc prints them, `-0` for negative zero. No heap allocation
/// besides growing `buf`.
pub fn write_double(buf: &mut Vec<u8>, v: f64) {
    if v.is_nan() {
        buf.extend_from_slice(if v.is_sign_negative() {
            b"-nan"
        } else {
            b"nan"
        });
        return;
    }
    if v.is_infinite() {
        buf.extend_from_slice(if v < 0.0 { b"-inf" } else { b"inf" });
        return;
    }
    // Fast path: %.17g prints an integral value below 1e17 as its plain digits
    // (-0 excluded: it prints "-0").
    if v == v.trunc() && v.abs() < 1e17 && !(v == 0.0 && v.is_sign_negative()) {
        write_i64(buf, v as i64);
        return;
    }
    // 17 significant digits, correctly rounded: "-d.dddddddddddddddde-ddd".
    let mut sci = StackBuf::<40>::new();
    if write!(sci, "{v:.16e}").is_err() {
        return; // unreachable: the longest form is 24 bytes
    }
    let text = sci.as_bytes();
    let (negative, text) = match text {
        [b'-', rest @ ..] => (true, rest),
        _ => (false, text),
    };
    let Some(e_pos) = text.iter().position(|&b| b == b'e') else {
        return;
    };
    let mut digits = [0u8; 17];
    let mut n = 0;
    for &b in &text[..e_pos] {
        if b.is_ascii_digit() && n < digits.len() {
            digits[n] = b;
            n += 1;
        }
    }
    let exp: i32 = std::str::from_utf8(&text[e_pos + 1..])
        .ok()
        .and_then(|e| e.parse().ok())
        .unwrap_or(0);
    // %g drops trailing zeros of the fractional part.
    let significant = digits[..n]
        .iter()
        .rposition(|&d| d != b'0')
        .map_or(1, |i| i + 1);
    let digits = &digits[..significant];

    if negative {
        buf.push(b'-');
    }
    if !(-4..17).contains(&exp) {
        buf.push(digits[0]);
        if digits.len() > 1 {
            buf.push(b'.');
            buf.extend_from_slice(&digits[1..]);
        }
        buf.push(b'e');
        buf.push(if exp < 0 { b'-' } else { b'+' });
        let abs = exp.unsigned_abs();
        if abs < 10 {
            buf.push(b'0');
        }
        write_u64(buf, u64::from(abs));
    } else if exp >= 0 {
        let int_len = exp as usize + 1;
        if digits.len() <= int_len {
            buf.extend_from_slice(digits);
            buf.resize(buf.len() + int_len - digits.len(), b'0');
        } else {
            buf.extend_from_slice(&digits[..int_len]);
            buf.push(b'.');
            buf.extend_from_slice(&digits[int_len..]);
        }
    } else {
        buf.extend_from_slice(b"0.");
        buf.resize(buf.len() + (-exp - 1) as usize, b'0');
        buf.extend_from_slice(digits);
    }
}

/// [`write_double`] into a new `String` (`%.17g`).
pub fn format_double(v: f64) -> String {
    let mut buf = Vec::with_capacity(24);
    write_double(&mut buf, v);
    String::from_utf8(buf).unwrap_or_default()
}

/// Appends a complete double reply exactly as Redis 7.0 `addReplyDouble`
/// emits it: RESP2 bulk string `$<len>\r\n<%.17g>\r\n`, or RESP3 double
/// `,<%.17g>\r\n` (`,inf\r\n` / `,-inf\r\n` for infinities).
pub fn write_double_reply(buf: &mut Vec<u8>, v: f64, resp3: bool) {
    if resp3 {
        buf.push(b',');
        write_double(buf, v);
    } else {
        // Format in place, then move the `$<len>\r\n` header in front of it.
        let start = buf.len();
        write_double(buf, v);
        let body_len = buf.len() - start;
        buf.push(b'$');
        write_u64(buf, body_len as u64);
        buf.extend_from_slice(b"\r\n");
        let header_len = buf.len() - start - body_len;
        buf[start..].rotate_right(header_len);
    }
    buf.extend_from_slice(b"\r\n");
}

/// Mirrors Redis `d2string`, used for sorted set scores stored in listpacks
/// and other internal score strings.
///
/// `nan` (sign ignored), `inf`/`-inf`, `0`/`-0`; integral values within
/// ±2^62 are printed as integers (`double2ll` + `ll2string`, so 1e18 gives
/// `1000000000000000000`); everything else uses `%.17g`.
pub fn write_d2string(buf: &mut Vec<u8>, v: f64) {
    const LIMIT: f64 = 4_611_686_018_427_387_904.0; // (double)(LLONG_MAX / 2)
    if v.is_nan() {
        buf.extend_from_slice(b"nan");
    } else if v == 0.0 {
        buf.extend_from_slice(if v.is_sign_negative() { b"-0" } else { b"0" });
    } else if (-LIMIT..=LIMIT).contains(&v) && v.fract() == 0.0 {
        write_i64(buf, v as i64);
    } else {
        write_double(buf, v);
    }
}

/// [`write_d2string`] into a new `String`.
pub fn d2string(v: f64) -> String {
    let mut buf = Vec::with_capacity(24);
    write_d2string(&mut buf, v);
    String::from_utf8(buf).unwrap_or_default()
}

/// Formats an INCRBYFLOAT/HINCRBYFLOAT result that was computed in f64
/// (for callers that do not use [`LongDouble`]): the shortest decimal string that
/// reads back as the same f64, in plain fixed notation (never an exponent),
/// `-0` turned into `0`, `inf`/`-inf`, `nan`/`-nan`.
///
/// Divergence: Redis computes in 80-bit `long double` and prints
/// `%.17Lf` with trailing zeros (and dot) removed (`ld2string`,
/// `LD_STR_HUMAN`). Most short decimals come out the same (`1.1`, `10.6`,
/// `5200`) but f64 rounding noise can show (`0.1 + 0.2` gives
/// `0.30000000000000004`, Redis `0.3`), more than 17 decimals are
/// never shown, and huge values print their shortest digits padded with
/// zeros. Prefer [`LongDouble`], which reproduces Redis exactly.
pub fn format_long_double_human(v: f64) -> Vec<u8> {
    if v.is_nan() {
        return if v.is_sign_negative() {
            b"-nan".to_vec()
        } else {
            b"nan".to_vec()
        };
    }
    if v.is_infinite() {
        return if v < 0.0 {
            b"-inf".to_vec()
        } else {
            b"inf".to_vec()
        };
    }
    if v == 0.0 {
        return b"0".to_vec();
    }
    let mut out = Vec::with_capacity(24);
    // Rust's Display for floats is the shortest round-trip form, fixed.
    let _ = std::io::Write::write_fmt(&mut out, format_args!("{v}"));
    out
}

/// Appends `ld2string((long double)v, LD_STR_HUMAN)` exactly: `%.17Lf`
/// with trailing zeros and dot removed, `-0` printed as `0`, `inf`/`-inf`.
///
/// This is what Redis 7.0 replies for GEO coordinates
/// (`addReplyHumanLongDouble`, e.g. GEOPOS `13.36138933897018433`): since a
/// double converts exactly to `long double`, the output is byte-exact.
pub fn write_f64_human_exact(buf: &mut Vec<u8>, v: f64) {
    LongDouble::from_f64(v).write_human(buf);
}

// ---------------------------------------------------------------------------
// x87 long double model
// ---------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum LdClass {
    Finite,
    Infinite,
    Nan,
}

/// Software model of the x86-64 `long double` (x87 80-bit extended: 64-bit
/// significand, exponents down to subnormal 2^-16445, overflow at 2^16384),
/// covering what Redis does with it: `string2ld` parsing, addition
/// (INCRBYFLOAT / HINCRBYFLOAT) and `ld2string(LD_STR_HUMAN)` output. All
/// operations round half-to-even like the x87 in its default mode, so
/// results are byte-identical to Redis.
///
/// ```text
/// let cur = LongDouble::parse(b"10.50")?;      // string2ld
/// let inc = LongDouble::parse(b"0.1")?;
/// let sum = cur + inc;
/// if !sum.is_finite() { /* "increment would produce NaN or Infinity" */ }
/// sum.to_human_bytes();                          // b"10.6"
/// ```
///
/// `==` is structural (NaN equals NaN, `-0` differs from `0`), not IEEE.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LongDouble {
    negative: bool,
    class: LdClass,
    /// Finite value is `mant * 2^exp`; zero has `mant == 0`.
    mant: u64,
    exp: i32,
}

/// Redis `MAX_LONG_DOUBLE_CHARS`: `string2ld` rejects inputs this long.
pub const MAX_LONG_DOUBLE_CHARS: usize = 5 * 1024;

impl LongDouble {
    /// Positive zero.
    pub const ZERO: LongDouble = LongDouble {
        negative: false,
        class: LdClass::Finite,
        mant: 0,
        exp: 0,
    };

    fn infinity(negative: bool) -> Self {
        LongDouble {
            negative,
            class: LdClass::Infinite,
            mant: 0,
            exp: 0,
        }
    }

    fn nan() -> Self {
        LongDouble {
            negative: false,
            class: LdClass::Nan,
            mant: 0,
            exp: 0,
        }
    }

    fn zero(negative: bool) -> Self {
        LongDouble {
            negative,
            ..Self::ZERO
        }
    }

    /// Rounds an exact `(mant + sticky) * 2^exp` to the x87 format; `None`
    /// when it rounds to zero or overflows (strtold's `ERANGE` cases).
    fn from_exact(
        negative: bool,
        mant: u128,
        exp: i64,
        sticky: bool,
        mode: Rounding,
    ) -> Option<Self> {
        match round_binary(mant, exp, sticky, X87_FORMAT, mode) {
            Rounded::Finite { mant, exp } => Some(LongDouble {
                negative,
                class: LdClass::Finite,
                mant: mant as u64,
                exp: exp as i32,
            }),
            Rounded::Zero | Rounded::Overflow => None,
        }
    }

    /// Parses exactly like Redis `string2ld` (glibc `strtold` on x86-64):
    /// the syntax of [`parse_f64`], inputs shorter than 5120 bytes, result
    /// correctly rounded to 64 significant bits; rejects NaN, overflow
    /// beyond ~1.19e4932 and non-zero values that round to zero.
    pub fn parse(s: &[u8]) -> Option<Self> {
        if s.is_empty() || s.len() >= MAX_LONG_DOUBLE_CHARS {
            return None;
        }
        let text = scan_float(s)?;
        let negative = text.negative;
        match text.kind {
            FloatKind::Infinity => Some(Self::infinity(negative)),
            FloatKind::Hex { int, frac, exp } => {
                let (mant, exp, sticky) = hex_mantissa(int, frac, exp);
                if mant == 0 {
                    return Some(Self::zero(negative));
                }
                Self::from_exact(negative, mant, exp, sticky, Rounding::Glibc)
            }
            FloatKind::Decimal { int, frac, exp } => {
                match decimal_to_binary(int, frac, exp, X87_FORMAT) {
                    Rounded::Zero if is_zero_mantissa(int, frac) => Some(Self::zero(negative)),
                    Rounded::Finite { mant, exp } => Some(LongDouble {
                        negative,
                        class: LdClass::Finite,
                        mant: mant as u64,
                        exp: exp as i32,
                    }),
                    Rounded::Zero | Rounded::Overflow => None,
                }
            }
        }
    }

    /// Exact conversion (like `(long double)v` in C).
    pub fn from_i64(v: i64) -> Self {
        if v == 0 {
            return Self::ZERO;
        }
        Self::from_exact(
            v < 0,
            u128::from(v.unsigned_abs()),
            0,
            false,
            Rounding::Exact,
        )
        .unwrap_or(Self::ZERO)
    }

    /// Exact conversion (like `(long double)v` in C).
    pub fn from_f64(v: f64) -> Self {
        let negative = v.is_sign_negative();
        if v.is_nan() {
            return LongDouble {
                negative,
                ..Self::nan()
            };
        }
        if v.is_infinite() {
            return Self::infinity(negative);
        }
        if v == 0.0 {
            return Self::zero(negative);
        }
        let bits = v.to_bits();
        let biased = ((bits >> 52) & 0x7ff) as i64;
        let frac = bits & ((1u64 << 52) - 1);
        let (mant, exp) = if biased == 0 {
            (frac, -1074)
        } else {
            (frac | (1u64 << 52), biased - 1075)
        };
        Self::from_exact(negative, u128::from(mant), exp, false, Rounding::Exact)
            .unwrap_or(Self::ZERO)
    }

    /// Nearest f64 (round half-to-even; ±infinity / ±0 outside its range),
    /// like `(double)ld` in C.
    pub fn to_f64(self) -> f64 {
        match self.class {
            LdClass::Nan => f64::NAN,
            LdClass::Infinite => {
                if self.negative {
                    f64::NEG_INFINITY
                } else {
                    f64::INFINITY
                }
            }
            LdClass::Finite => {
                match round_binary(
                    u128::from(self.mant),
                    i64::from(self.exp),
                    false,
                    F64_FORMAT,
                    Rounding::Exact,
                ) {
                    Rounded::Zero => {
                        if self.negative {
                            -0.0
                        } else {
                            0.0
                        }
                    }
                    Rounded::Overflow => {
                        if self.negative {
                            f64::NEG_INFINITY
                        } else {
                            f64::INFINITY
                        }
                    }
                    Rounded::Finite { mant, exp } => f64_from_parts(self.negative, mant, exp),
                }
            }
        }
    }

    /// True unless infinite or NaN (Redis checks `isnan || isinf` after an
    /// increment).
    pub fn is_finite(self) -> bool {
        self.class == LdClass::Finite
    }

    /// True for NaN.
    pub fn is_nan(self) -> bool {
        self.class == LdClass::Nan
    }

    /// True for ±infinity.
    pub fn is_infinite(self) -> bool {
        self.class == LdClass::Infinite
    }

    /// IEEE addition rounded half-to-even to the x87 format (`a + b` on
    /// `long double`). `inf + -inf` is NaN, `x + -x` is `+0`.
    fn sum(self, other: Self) -> Self {
        match (self.class, other.class) {
            (LdClass::Nan, _) | (_, LdClass::Nan) => return Self::nan(),
            (LdClass::Infinite, LdClass::Infinite) => {
                return if self.negative == other.negative {
                    self
                } else {
                    Self::nan()
                };
            }
            (LdClass::Infinite, _) => return self,
            (_, LdClass::Infinite) => return other,
            _ => {}
        }
        if other.mant == 0 {
            return if self.mant == 0 {
                Self::zero(self.negative && other.negative)
            } else {
                self
            };
        }
        if self.mant == 0 {
            return other;
        }
        // `big` has the larger exponent.
        let (big, small) = if self.exp >= other.exp {
            (self, other)
        } else {
            (other, self)
        };
        let diff = i64::from(big.exp) - i64::from(small.exp);
        let (a, b, exp) = if diff <= 63 {
            (
                u128::from(big.mant) << diff,
                u128::from(small.mant),
                i64::from(small.exp),
            )
        } else {
            // `big` is normal here, so `a` >= 2^126 and the jammed low bit
            // of `b` only ever acts as a sticky bit.
            let shift = diff - 63;
            let b = if shift >= 64 {
                1
            } else {
                let kept = small.mant >> shift;
                let lost = small.mant & ((1u64 << shift) - 1);
                u128::from(kept | u64::from(lost != 0))
            };
            (u128::from(big.mant) << 63, b, i64::from(big.exp) - 63)
        };
        let (negative, mag) = if big.negative == small.negative {
            (big.negative, a + b)
        } else {
            match a.cmp(&b) {
                Ordering::Greater => (big.negative, a - b),
                Ordering::Less => (small.negative, b - a),
                Ordering::Equal => return Self::ZERO,
            }
        };
        Self::from_exact(negative, mag, exp, false, Rounding::Exact).unwrap_or_else(|| {
            if mag == 0 {
                Self::ZERO
            } else {
                Self::infinity(negative)
            }
        })
    }

    /// Appends `ld2string(value, LD_STR_HUMAN)`: `printf("%.17Lf")` with
    /// trailing zeros and a trailing dot removed, `-0` rewritten as `0`,
    /// `inf`/`-inf`, and `nan`/`-nan` as glibc prints them.
    pub fn write_human(self, buf: &mut Vec<u8>) {
        match self.class {
            LdClass::Nan => {
                buf.extend_from_slice(if self.negative { b"-nan" } else { b"nan" });
                return;
            }
            LdClass::Infinite => {
                buf.extend_from_slice(if self.negative { b"-inf" } else { b"inf" });
                return;
            }
            LdClass::Finite => {}
        }
        // Digits of round_half_even(|value| * 10^17).
        let digits = scaled_decimal_digits(self.mant, i64::from(self.exp), 17);
        let start = buf.len();
        if self.negative {
            buf.push(b'-');
        }
        let (int_part, frac_part) = if digits.len() > 17 {
            digits.split_at(digits.len() - 17)
        } else {
            (&b"0"[..], &digits[..])
        };
        buf.extend_from_slice(int_part);
        let frac_len = frac_part.len();
        let frac_digits = frac_part
            .iter()
            .rposition(|&d| d != b'0')
            .map_or(0, |i| i + 1);
        if frac_digits > 0 {
            buf.push(b'.');
            // Zero padding for values with fewer than 17 scaled digits.
            buf.resize(buf.len() + 17 - frac_len, b'0');
            buf.extend_from_slice(&frac_part[..frac_digits]);
        }
        if &buf[start..] == b"-0" {
            buf.truncate(start);
            buf.push(b'0');
        }
    }

    /// [`LongDouble::write_human`] into a new vector (what INCRBYFLOAT
    /// stores and replies).
    pub fn to_human_bytes(self) -> Vec<u8> {
        let mut out = Vec::with_capacity(24);
        self.write_human(&mut out);
        out
    }
}

impl std::ops::Add for LongDouble {
    type Output = LongDouble;

    /// `long double` addition, rounded half-to-even to 64 significant bits
    /// (what INCRBYFLOAT / HINCRBYFLOAT compute). `inf + -inf` is NaN and
    /// `x + -x` is `+0`.
    fn add(self, other: LongDouble) -> LongDouble {
        self.sum(other)
    }
}

/// Decimal digits (no leading zeros, "0" for zero) of
/// `round_half_even(mant * 2^exp * 10^decimals)`.
fn scaled_decimal_digits(mant: u64, exp: i64, decimals: u32) -> Vec<u8> {
    let scale = 10u128.pow(decimals);
    if exp >= 0 {
        let mut n = Big::from_u128(u128::from(mant));
        n.shl(exp as u64);
        n.mul_pow10(decimals);
        return n.to_decimal();
    }
    let n = u128::from(mant) * scale; // < 2^64 * 10^17 < 2^121
    let shift = -exp;
    let q = if shift >= 128 {
        0 // n < 2^121 <= half of 2^shift
    } else {
        let s = shift as u32;
        let q = n >> s;
        let rem = n & ((1u128 << s) - 1);
        let half = 1u128 << (s - 1);
        q + u128::from(rem > half || (rem == half && q & 1 == 1))
    };
    q.to_string().into_bytes()
}

fn is_zero_mantissa(int: &[u8], frac: &[u8]) -> bool {
    int.iter().chain(frac).all(|&d| d == b'0')
}

/// Correctly rounded conversion of the decimal `int.frac * 10^exp` to the
/// binary format `fmt`, as glibc `strtod`/`strtold` perform it. Zero digits
/// give `Rounded::Zero`.
///
/// Exact big-integer arithmetic; cost grows with the number of digits times
/// the decimal exponent, so it is used for `strtold` inputs (under 5120
/// bytes) and for rare f64 corner cases only.
fn decimal_to_binary(int: &[u8], frac: &[u8], exp: i64, fmt: BinFormat) -> Rounded {
    // glibc's decimal path does not exhibit the hex-only boundary quirk.
    let mode = Rounding::Exact;
    let all: Vec<u8> = int.iter().chain(frac).copied().collect();
    let Some(lead) = all.iter().position(|&d| d != b'0') else {
        return Rounded::Zero;
    };
    let last = all
        .iter()
        .rposition(|&d| d != b'0')
        .map_or(lead + 1, |i| i + 1);
    let sig = &all[lead..last];
    // value = sig * 10^decimal_exp, and lies in [10^(p-1), 10^p).
    let decimal_exp = exp - frac.len() as i64 + (all.len() - last) as i64;
    let p = sig.len() as i64 + decimal_exp;
    // log10(2) < 0.30103: beyond these bounds the outcome is certain.
    if p > fmt.max_exp * 30103 / 100_000 + 2 {
        return Rounded::Overflow;
    }
    if p < (fmt.min_exp - 1) * 30103 / 100_000 - 2 {
        return Rounded::Zero;
    }
    // Fast path for the common short inputs ("10.5", "0.1", "3e5"): the
    // significand and 10^|E| fit in machine words.
    if sig.len() <= 19 && (-18..=19).contains(&decimal_exp) {
        let digits = sig
            .iter()
            .fold(0u128, |acc, &d| acc * 10 + u128::from(d - b'0'));
        let pow = 10u128.pow(decimal_exp.unsigned_abs() as u32);
        if decimal_exp >= 0 {
            // < 10^38 < 2^127: exact.
            return round_binary(digits * pow, 0, false, fmt, mode);
        }
        // digits * 2^k / 10^-E with a quotient of at least 127 - 60 bits.
        let k = digits.leading_zeros() - 1;
        let num = digits << k;
        return round_binary(num / pow, -i64::from(k), num % pow != 0, fmt, mode);
    }
    let mut num = Big::default();
    for chunk in sig.chunks(9) {
        let mut v = 0u32;
        for &d in chunk {
            v = v * 10 + u32::from(d - b'0');
        }
        num.mul_small(10u32.pow(chunk.len() as u32));
        num.add_small(v);
    }
    if decimal_exp >= 0 {
        num.mul_pow10(decimal_exp as u32);
        let (mant, e, sticky) = num.top_bits();
        return round_binary(mant, e, sticky, fmt, mode);
    }
    let mut den = Big::from_u128(1);
    den.mul_pow10((-decimal_exp) as u32);
    // Scale so the quotient has exactly 128 significant bits.
    let k = 127 + den.bit_len() as i64 - num.bit_len() as i64;
    if k >= 0 {
        num.shl(k as u64);
    } else {
        den.shl((-k) as u64);
    }
    let (q, rem_nonzero) = num.div_to_u128(&den);
    round_binary(q, -k, rem_nonzero, fmt, mode)
}

/// Minimal unsigned big integer (little-endian u32 limbs) for exact
/// decimal/binary conversions of `long double` values.
#[derive(Clone, Default, Debug)]
struct Big {
    limbs: Vec<u32>,
}

impl Big {
    fn from_u128(mut v: u128) -> Self {
        let mut limbs = Vec::new();
        while v != 0 {
            limbs.push(v as u32);
            v >>= 32;
        }
        Big { limbs }
    }

    fn trim(&mut self) {
        while self.limbs.last() == Some(&0) {
            self.limbs.pop();
        }
    }

    fn is_zero(&self) -> bool {
        self.limbs.is_empty()
    }

    fn mul_small(&mut self, m: u32) {
        let mut carry = 0u64;
        for limb in &mut self.limbs {
            let v = u64::from(*limb) * u64::from(m) + carry;
            *limb = v as u32;
            carry = v >> 32;
        }
        if carry != 0 {
            self.limbs.push(carry as u32);
        }
        self.trim();
    }

    fn add_small(&mut self, a: u32) {
        let mut carry = u64::from(a);
        for limb in &mut self.limbs {
            if carry == 0 {
                return;
            }
            let v = u64::from(*limb) + carry;
            *limb = v as u32;
            carry = v >> 32;
        }
        if carry != 0 {
            self.limbs.push(carry as u32);
        }
    }

    fn mul_pow10(&mut self, mut n: u32) {
        while n >= 9 {
            self.mul_small(1_000_000_000);
            n -= 9;
        }
        if n > 0 {
            self.mul_small(10u32.pow(n));
        }
    }

    fn bit_len(&self) -> u64 {
        match self.limbs.last() {
            None => 0,
            Some(top) => self.limbs.len() as u64 * 32 - u64::from(top.leading_zeros()),
        }
    }

    fn shl(&mut self, bits: u64) {
        if self.is_zero() {
            return;
        }
        let limbs = (bits / 32) as usize;
        let rest = (bits % 32) as u32;
        if rest != 0 {
            let mut carry = 0u32;
            for limb in &mut self.limbs {
                let v = (*limb << rest) | carry;
                carry = *limb >> (32 - rest);
                *limb = v;
            }
            if carry != 0 {
                self.limbs.push(carry);
            }
        }
        if limbs > 0 {
            self.limbs.splice(0..0, std::iter::repeat_n(0, limbs));
        }
    }

    fn shr1(&mut self) {
        let mut carry = 0u32;
        for limb in self.limbs.iter_mut().rev() {
            let v = (*limb >> 1) | (carry << 31);
            carry = *limb & 1;
            *limb = v;
        }
        self.trim();
    }

    fn cmp_big(&self, other: &Big) -> Ordering {
        self.limbs
            .len()
            .cmp(&other.limbs.len())
            .then_with(|| self.limbs.iter().rev().cmp(other.limbs.iter().rev()))
    }

    /// `self -= other`; requires `self >= other`.
    fn sub_assign(&mut self, other: &Big) {
        let mut borrow = 0i64;
        for (i, limb) in self.limbs.iter_mut().enumerate() {
            let o = i64::from(other.limbs.get(i).copied().unwrap_or(0));
            let mut v = i64::from(*limb) - o - borrow;
            borrow = 0;
            if v < 0 {
                v += 1 << 32;
                borrow = 1;
            }
            *limb = v as u32;
        }
        self.trim();
    }

    /// The top (at most) 128 bits as `(mant, exp, sticky)` with
    /// `self = (mant + f) * 2^exp`.
    fn top_bits(&self) -> (u128, i64, bool) {
        let len = self.bit_len();
        if len <= 128 {
            let mut v = 0u128;
            for limb in self.limbs.iter().rev() {
                v = (v << 32) | u128::from(*limb);
            }
            return (v, 0, false);
        }
        let shift = len - 128;
        let mut v = 0u128;
        for bit in (shift..len).rev() {
            v = (v << 1) | u128::from(self.bit(bit));
        }
        let sticky = (0..shift).any(|b| self.bit(b));
        (v, shift as i64, sticky)
    }

    fn bit(&self, i: u64) -> bool {
        let limb = self.limbs.get((i / 32) as usize).copied().unwrap_or(0);
        (limb >> (i % 32)) & 1 == 1
    }

    /// `self / den` by restoring division, for quotients below 2^128;
    /// returns the quotient and whether the remainder is non-zero.
    fn div_to_u128(mut self, den: &Big) -> (u128, bool) {
        if den.is_zero() || self.cmp_big(den) == Ordering::Less {
            return (0, !self.is_zero());
        }
        let steps = (self.bit_len() - den.bit_len()).min(127);
        let mut d = den.clone();
        d.shl(steps);
        let mut q = 0u128;
        for _ in 0..=steps {
            q <<= 1;
            if self.cmp_big(&d) != Ordering::Less {
                self.sub_assign(&d);
                q |= 1;
            }
            d.shr1();
        }
        (q, !self.is_zero())
    }

    /// Decimal digits, "0" for zero.
    fn to_decimal(&self) -> Vec<u8> {
        if self.is_zero() {
            return b"0".to_vec();
        }
        let mut n = self.clone();
        let mut chunks = Vec::new();
        while !n.is_zero() {
            let mut rem = 0u64;
            for limb in n.limbs.iter_mut().rev() {
                let v = (rem << 32) | u64::from(*limb);
                *limb = (v / 1_000_000_000) as u32;
                rem = v % 1_000_000_000;
            }
            n.trim();
            chunks.push(rem as u32);
        }
        let mut out = Vec::with_capacity(chunks.len() * 9);
        let mut iter = chunks.iter().rev();
        if let Some(first) = iter.next() {
            out.extend_from_slice(first.to_string().as_bytes());
        }
        for chunk in iter {
            out.extend_from_slice(format!("{chunk:09}").as_bytes());
        }
        out
    }
}

// ---------------------------------------------------------------------------
// Memory sizes
// ---------------------------------------------------------------------------

/// Parses a memory amount like Redis `memtoull` (config values such as
/// `maxmemory 100mb`).
///
/// Format: decimal digits followed by an optional case-insensitive unit:
/// none or `b` (x1), `k` (x1000), `kb` (x1024), `m` (x10^6), `mb` (x2^20),
/// `g` (x10^9), `gb` (x2^30). There is no `t`/`tb`. Rejected: a leading
/// `-`, signs or spaces, unknown units, 128 or more digits.
///
/// Quirks kept from Redis: the input stops at the first NUL byte (C
/// string); no digits at all reads as 0 (`""`, `"kb"` give `Some(0)`); a
/// digit string above `u64::MAX` saturates (strtoull's `ERANGE` is not
/// checked); the unit multiplication wraps modulo 2^64.
pub fn parse_memory(s: &[u8]) -> Option<u64> {
    let s = match s.iter().position(|&b| b == 0) {
        Some(nul) => &s[..nul],
        None => s,
    };
    if s.first() == Some(&b'-') {
        return None;
    }
    let digits = s.iter().take_while(|b| b.is_ascii_digit()).count();
    let unit = &s[digits..];
    let mul: u64 = match unit.to_ascii_lowercase().as_slice() {
        b"" | b"b" => 1,
        b"k" => 1000,
        b"kb" => 1024,
        b"m" => 1000 * 1000,
        b"mb" => 1024 * 1024,
        b"g" => 1000 * 1000 * 1000,
        b"gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    if digits >= 128 {
        return None;
    }
    let value = s[..digits].iter().fold(0u64, |acc, &d| {
        acc.checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(d - b'0')))
            .unwrap_or(u64::MAX)
    });
    Some(value.wrapping_mul(mul))
}

/// Human readable memory amount as in INFO (`used_memory_human`), Redis
/// `bytesToHuman`: `<n>B` below 1024, then `%.2f` followed by `K`, `M`,
/// `G`, `T` or `P` (powers of 1024), and `<n>B` again from 1024^6 up.
pub fn write_memory_human(bytes: u64) -> String {
    const UNITS: [(u64, char); 5] = [
        (1 << 10, 'K'),
        (1 << 20, 'M'),
        (1 << 30, 'G'),
        (1 << 40, 'T'),
        (1 << 50, 'P'),
    ];
    for (div, unit) in UNITS {
        if bytes < div << 10 && bytes >= div {
            return format!("{:.2}{unit}", bytes as f64 / div as f64);
        }
    }
    format!("{bytes}B")
}

/// C `atoi`/`atoll`/`strtol(s, NULL, 10)` as Redis uses them on file headers and
/// AOF lengths: leading C whitespace, an optional sign, then digits up to the first
/// non-digit; no digits gives 0, and overflow saturates.
pub fn c_atoi(s: &[u8]) -> i64 {
    let s = &s[s
        .iter()
        .take_while(|&&c| crate::util::splitargs::is_c_space(c))
        .count()..];
    let (neg, digits) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let n = digits
        .iter()
        .take_while(|c| c.is_ascii_digit())
        .fold(0i64, |n, c| {
            n.saturating_mul(10).saturating_add(i64::from(c - b'0'))
        });
    if neg {
        -n
    } else {
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;
    use std::os::raw::{c_char, c_int};

    extern "C" {
        fn snprintf(buf: *mut c_char, n: usize, fmt: *const c_char, ...) -> c_int;
    }

    fn c_format(fmt: &CStr, v: f64) -> String {
        let mut buf = vec![0u8; 2048];
        // SAFETY: the buffer is writable for its whole length, the format
        // takes exactly one double argument.
        let n = unsafe { snprintf(buf.as_mut_ptr().cast(), buf.len(), fmt.as_ptr(), v) };
        buf.truncate(n as usize);
        String::from_utf8(buf).unwrap()
    }

    #[test]
    fn write_double_integral_fast_path_matches_printf() {
        let mut r = XorShift(0x1234_5678_9abc_def1);
        let mut cases = vec![
            0.0,
            -0.0,
            1.0,
            -1.0,
            1e16,
            -1e16,
            99_999_999_999_999_984.0,
            1e17,
            123.0,
            4503599627370496.0,
        ];
        for _ in 0..100_000 {
            let x = (r.next() % 200_000_000_000_000_000) as f64 - 1e17;
            cases.push(x.trunc());
        }
        for v in cases {
            let mut b = Vec::new();
            write_double(&mut b, v);
            assert_eq!(String::from_utf8(b).unwrap(), c_format(c"%.17g", v), "{v}");
        }
    }

    struct XorShift(u64);
    impl XorShift {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
    }

    fn w_i64(v: i64) -> String {
        let mut b = Vec::new();
        write_i64(&mut b, v);
        String::from_utf8(b).unwrap()
    }

    fn human(v: &LongDouble) -> String {
        String::from_utf8(v.to_human_bytes()).unwrap()
    }

    fn ld(s: &str) -> LongDouble {
        LongDouble::parse(s.as_bytes()).unwrap_or_else(|| panic!("{s} should parse"))
    }

    fn incr(a: &str, b: &str) -> String {
        human(&(ld(a) + ld(b)))
    }

    #[test]
    fn parse_i64_accepts_canonical_integers() {
        assert_eq!(parse_i64(b"0"), Some(0));
        assert_eq!(parse_i64(b"1"), Some(1));
        assert_eq!(parse_i64(b"-1"), Some(-1));
        assert_eq!(parse_i64(b"99"), Some(99));
        assert_eq!(parse_i64(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(parse_i64(b"-9223372036854775808"), Some(i64::MIN));
    }

    #[test]
    fn parse_i64_rejects_non_canonical_forms() {
        for bad in [
            "",
            "-",
            "+1",
            " 1",
            "1 ",
            "01",
            "00",
            "-0",
            "-01",
            "1a",
            "0x10",
            "1.0",
            "1e3",
            "9223372036854775808",
            "-9223372036854775809",
            "18446744073709551616",
            "99999999999999999999",
            "\u{0}",
            "1\u{0}",
        ] {
            assert_eq!(parse_i64(bad.as_bytes()), None, "{bad:?}");
        }
        // 21 bytes is too long even when the value would fit.
        assert_eq!(parse_i64(b"-00000000000000000001"), None);
    }

    #[test]
    fn parse_i64_round_trips_with_write_i64() {
        let mut rng = XorShift(7);
        for _ in 0..100_000 {
            let v = rng.next() as i64 >> (rng.next() % 64);
            assert_eq!(parse_i64(w_i64(v).as_bytes()), Some(v));
        }
    }

    #[test]
    fn write_i64_and_u64_produce_decimal_and_lengths() {
        for v in [0, 1, 9, 10, 99, 100, -1, -10, 12345, i64::MAX, i64::MIN] {
            assert_eq!(w_i64(v), v.to_string());
            assert_eq!(i64_len(v), v.to_string().len());
        }
        let mut b = Vec::new();
        write_u64(&mut b, u64::MAX);
        assert_eq!(b, b"18446744073709551615");
        assert_eq!(u64_len(u64::MAX), 20);
        assert_eq!(u64_len(0), 1);
        let mut tmp = [0u8; MAX_I64_LEN];
        assert_eq!(i64_to_bytes(-42, &mut tmp), b"-42");
        assert_eq!(u64_to_bytes(7, &mut tmp), b"7");
        let mut rng = XorShift(99);
        for _ in 0..100_000 {
            let v = rng.next() >> (rng.next() % 64);
            assert_eq!(u64_len(v), v.to_string().len());
            assert_eq!(i64_len(v as i64), (v as i64).to_string().len());
        }
    }

    #[test]
    fn parse_f64_accepts_strtod_syntax() {
        let cases: &[(&str, f64)] = &[
            ("0", 0.0),
            ("1", 1.0),
            ("-1.5", -1.5),
            ("+2", 2.0),
            (".5", 0.5),
            ("5.", 5.0),
            ("1e3", 1000.0),
            ("1E+3", 1000.0),
            ("25e-1", 2.5),
            ("007", 7.0),
            ("0x10", 16.0),
            ("0x1p3", 8.0),
            ("0X1.8P1", 3.0),
            ("0x.8", 0.5),
            ("-0x1p-2", -0.25),
            ("1e-310", 1e-310),
            ("0e999999999999999999999", 0.0),
            ("1.7976931348623157e308", f64::MAX),
            ("4.9406564584124654e-324", 5e-324),
        ];
        for &(s, v) in cases {
            assert_eq!(parse_f64(s.as_bytes()), Some(v), "{s}");
        }
        assert!(parse_f64(b"-0").unwrap().is_sign_negative());
    }

    #[test]
    fn parse_f64_accepts_infinity_spellings() {
        for s in ["inf", "+inf", "INF", "Infinity", "infinity", "+INFINITY"] {
            assert_eq!(parse_f64(s.as_bytes()), Some(f64::INFINITY), "{s}");
        }
        for s in ["-inf", "-Infinity"] {
            assert_eq!(parse_f64(s.as_bytes()), Some(f64::NEG_INFINITY), "{s}");
        }
    }

    #[test]
    fn parse_f64_rejects_garbage_nan_and_range_errors() {
        for bad in [
            "",
            " 1",
            "1 ",
            "\t1",
            "1\u{0}",
            "abc",
            "1a",
            "--1",
            "+-1",
            ".",
            "-",
            "e5",
            "1e",
            "1e+",
            "1e-",
            "0x",
            "0x.",
            "0xp1",
            "0x1p",
            "0x1p+",
            "nan",
            "NaN",
            "-nan",
            "nan(1)",
            "infinit",
            "infinityy",
            "inf ",
            "1e400",
            "-1e400",
            "1e-400",
            "0x1p1024",
            "0x1p-1080",
            "1,5",
            "1.5.5",
        ] {
            assert_eq!(parse_f64(bad.as_bytes()), None, "{bad:?}");
        }
    }

    #[test]
    fn parsers_never_panic_on_random_bytes() {
        let alphabet = b"0123456789.eEpPxX+-infINFtyaA \0\xff";
        let mut rng = XorShift(0x5151_5151_5151_5151);
        for _ in 0..200_000 {
            let len = (rng.next() % 24) as usize;
            let s: Vec<u8> = (0..len)
                .map(|_| alphabet[(rng.next() % alphabet.len() as u64) as usize])
                .collect();
            let _ = parse_i64(&s);
            let _ = parse_f64(&s);
            let _ = parse_memory(&s);
            if let Some(v) = LongDouble::parse(&s) {
                let _ = (v + v).to_human_bytes();
                let _ = v.to_f64();
            }
        }
    }

    #[test]
    fn hex_parsing_mirrors_glibc_subnormal_boundary_rounding() {
        // Correct rounding would give the smallest subnormal for all three;
        // glibc drops the first bit past the significand in this range only.
        assert_eq!(parse_f64(b"0x1.00000000000008p-1075"), None);
        assert_eq!(parse_f64(b"0x1.00000000000001p-1075"), Some(5e-324));
        assert_eq!(parse_f64(b"0x1.8p-1075"), Some(5e-324));
        assert_eq!(parse_f64(b"0x1p-1075"), None);
        assert_eq!(LongDouble::parse(b"0x1.0000000000000001p-16446"), None);
        assert!(LongDouble::parse(b"0x1.0000000000000003p-16446").is_some());
        assert!(LongDouble::parse(b"0x1.0000000000000001p-16445").is_some());
    }

    #[test]
    fn parse_long_double_like_uses_x87_range() {
        assert_eq!(parse_long_double_like(b"1.5"), Some(1.5));
        assert_eq!(parse_long_double_like(b"1e400"), Some(f64::INFINITY));
        assert_eq!(parse_long_double_like(b"-1e-400"), Some(-0.0));
        assert_eq!(parse_long_double_like(b"1e5000"), None);
        assert_eq!(parse_long_double_like(b"1e-5000"), None);
        assert_eq!(parse_long_double_like(b"1.1e4932"), Some(f64::INFINITY));
        assert_eq!(parse_long_double_like(b"1.2e4932"), None);
        assert_eq!(parse_long_double_like(b" 1"), None);
        assert_eq!(parse_long_double_like(b"nan"), None);
        let long = format!("0.{}", "1".repeat(MAX_LONG_DOUBLE_CHARS - 3));
        assert_eq!(parse_long_double_like(long.as_bytes()), Some(1.0 / 9.0));
        let too_long = format!("0.{}", "1".repeat(MAX_LONG_DOUBLE_CHARS - 2));
        assert_eq!(parse_long_double_like(too_long.as_bytes()), None);
        assert_eq!(
            parse_f64(too_long.as_bytes()).map(f64::is_finite),
            Some(true)
        );
    }

    #[test]
    fn write_double_formats_like_printf_17g() {
        let cases: &[(f64, &str)] = &[
            (0.0, "0"),
            (-0.0, "-0"),
            (1.0, "1"),
            (3.0, "3"),
            (-2.5, "-2.5"),
            (0.1, "0.10000000000000001"),
            (1.5e-5, "1.5e-05"),
            (2.2e-5, "2.1999999999999999e-05"),
            (0.3, "0.29999999999999999"),
            (1.1, "1.1000000000000001"),
            (0.0001, "0.0001"),
            (1e16, "10000000000000000"),
            (1e17, "1e+17"),
            (123456789012345678.0, "1.2345678901234568e+17"),
            (1e100, "1e+100"),
            (f64::MAX, "1.7976931348623157e+308"),
            (f64::MIN_POSITIVE, "2.2250738585072014e-308"),
            (5e-324, "4.9406564584124654e-324"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
            (1_234_567_890_123_456.0 + 0.25, "1234567890123456.2"),
            (1_234_567_890_123_456.0 + 0.75, "1234567890123456.8"),
        ];
        for &(v, want) in cases {
            assert_eq!(format_double(v), want, "{v:e}");
        }
        assert_eq!(format_double(f64::NAN), "nan");
        assert_eq!(format_double(-f64::NAN), "-nan");
    }

    fn check_against_c_g17(v: f64) {
        let want = c_format(c"%.17g", v);
        assert_eq!(format_double(v), want, "bits {:#x}", v.to_bits());
    }

    #[test]
    fn write_double_matches_libc_on_random_doubles() {
        let mut rng = XorShift(0x2545_f491_4f6c_dd1d);
        for _ in 0..300_000 {
            check_against_c_g17(f64::from_bits(rng.next()));
        }
        // Values with few significant digits and near the %g switch points.
        for _ in 0..100_000 {
            let mant = (rng.next() % 2_000_000) as f64;
            let exp = (rng.next() % 44) as i32 - 22;
            check_against_c_g17(mant * 10f64.powi(exp));
            check_against_c_g17(-(mant / 8.0) * 10f64.powi(exp));
        }
        for e in -330..=310 {
            let p = 10f64.powi(e);
            for v in [p, p * 9.999_999_999_999_999, p.next_up(), p.next_down(), -p] {
                check_against_c_g17(v);
            }
        }
        for v in [
            0.0,
            -0.0,
            5e-324,
            f64::MIN_POSITIVE,
            f64::MAX,
            f64::MIN,
            0.1,
            3.0,
            1.5e-5,
            1e16,
            1e17,
            99999999999999999.0,
            1_234_567_890_123_456.0 + 0.25,
            1_234_567_890_123_456.0 + 0.75,
            f64::NAN,
            f64::INFINITY,
        ] {
            if v.is_infinite() {
                continue;
            }
            check_against_c_g17(v);
        }
    }

    #[test]
    fn write_double_reply_frames_resp2_and_resp3() {
        let mut b = Vec::new();
        write_double_reply(&mut b, 1.5, false);
        assert_eq!(b, b"$3\r\n1.5\r\n");
        b.clear();
        write_double_reply(&mut b, 1.5, true);
        assert_eq!(b, b",1.5\r\n");
        b.clear();
        write_double_reply(&mut b, 0.1, false);
        assert_eq!(b, b"$19\r\n0.10000000000000001\r\n");
        b.clear();
        write_double_reply(&mut b, f64::NEG_INFINITY, false);
        assert_eq!(b, b"$4\r\n-inf\r\n");
        b.clear();
        write_double_reply(&mut b, f64::INFINITY, true);
        assert_eq!(b, b",inf\r\n");
    }

    #[test]
    fn d2string_prints_integers_exactly_and_specials() {
        assert_eq!(d2string(0.0), "0");
        assert_eq!(d2string(-0.0), "-0");
        assert_eq!(d2string(f64::NAN), "nan");
        assert_eq!(d2string(-f64::NAN), "nan");
        assert_eq!(d2string(f64::INFINITY), "inf");
        assert_eq!(d2string(f64::NEG_INFINITY), "-inf");
        assert_eq!(d2string(3.0), "3");
        assert_eq!(d2string(-42.0), "-42");
        assert_eq!(d2string(1e18), "1000000000000000000");
        assert_eq!(d2string(4611686018427387904.0), "4611686018427387904");
        assert_eq!(d2string(-4611686018427387904.0), "-4611686018427387904");
        assert_eq!(d2string(9223372036854775808.0), "9.2233720368547758e+18");
        assert_eq!(d2string(1.5), "1.5");
        assert_eq!(d2string(0.1), "0.10000000000000001");
    }

    #[test]
    fn format_long_double_human_uses_shortest_fixed_form() {
        let f = |v: f64| String::from_utf8(format_long_double_human(v)).unwrap();
        assert_eq!(f(1.1), "1.1");
        assert_eq!(f(10.5), "10.5");
        assert_eq!(f(5010.0), "5010");
        assert_eq!(f(10.6), "10.6");
        assert_eq!(f(-0.0), "0");
        assert_eq!(f(0.0), "0");
        assert_eq!(f(-1.25), "-1.25");
        assert_eq!(f(1e-7), "0.0000001");
        assert_eq!(f(1e21), "1000000000000000000000");
        assert_eq!(f(f64::INFINITY), "inf");
        assert_eq!(f(f64::NEG_INFINITY), "-inf");
        assert_eq!(f(0.1 + 0.2), "0.30000000000000004");
    }

    #[test]
    fn write_f64_human_exact_matches_printf_17f_trimmed() {
        let f = |v: f64| {
            let mut b = Vec::new();
            write_f64_human_exact(&mut b, v);
            String::from_utf8(b).unwrap()
        };
        assert_eq!(f(13.361389338970184), "13.36138933897018433");
        assert_eq!(f(38.115_556_395_496_3), "38.11555639549629859");
        assert_eq!(f(1.1), "1.10000000000000009");
        assert_eq!(f(2.0), "2");
        assert_eq!(f(-0.0), "0");
        assert_eq!(f(-1e-30), "0");
        assert_eq!(f(1e-17), "0.00000000000000001");
        assert_eq!(f(5e-18), "0.00000000000000001");
        assert_eq!(f(f64::INFINITY), "inf");
        assert_eq!(f(f64::NEG_INFINITY), "-inf");
        let trim = |s: String| -> String {
            let mut s = s;
            if s.contains('.') {
                while s.ends_with('0') {
                    s.pop();
                }
                if s.ends_with('.') {
                    s.pop();
                }
            }
            if s == "-0" {
                "0".into()
            } else {
                s
            }
        };
        let mut rng = XorShift(0xdead_beef_cafe_f00d);
        for i in 0..200_000u32 {
            let v = match i % 4 {
                0 => f64::from_bits(rng.next()),
                1 => (rng.next() % 100_000_000) as f64 / 1000.0 - 50_000.0,
                2 => f64::from_bits(rng.next()) % 1e6,
                _ => ((rng.next() % 360_000_000) as f64 / 1e6) - 180.0,
            };
            if !v.is_finite() {
                continue;
            }
            assert_eq!(f(v), trim(c_format(c"%.17f", v)), "bits {:#x}", v.to_bits());
        }
    }

    #[test]
    fn long_double_incrbyfloat_matches_redis() {
        // Expected strings produced by Redis' own string2ld/ld2string on x86-64.
        assert_eq!(incr("0", "0.1"), "0.1");
        assert_eq!(incr("0.1", "0.2"), "0.3");
        assert_eq!(incr("0.2", "0.1"), "0.3");
        assert_eq!(incr("10.50", "0.1"), "10.6");
        assert_eq!(incr("10.6", "-5"), "5.6");
        assert_eq!(incr("5.0e3", "2.0e2"), "5200");
        assert_eq!(incr("17179869184", "1.5"), "17179869185.5");
        assert_eq!(incr("17179869184", "17179869184"), "34359738368");
        assert_eq!(incr("1", "-1.1"), "-0.1");
        assert_eq!(incr("0", "1.1"), "1.1");
        assert_eq!(incr("1000.1", "0"), "1000.09999999999999998");
        assert_eq!(incr("0", "0.024390243902439025"), "0.02439024390243902");
        assert_eq!(incr("0.02439024390243902", "-0.024390243902439025"), "0");
        assert_eq!(incr("3.0e3", "0"), "3000");
        assert_eq!(incr("0", "1e-400"), "0");
        assert_eq!(incr("0", "-1e-20"), "0");
        let big = incr("1e400", "0");
        assert_eq!(big.len(), 401);
        assert!(big.starts_with("1000000000000000000028188068394758651458645343362905203862591"));
    }

    #[test]
    fn long_double_overflow_and_nan_are_reported() {
        assert!(!(ld("inf") + ld("1")).is_finite());
        assert!((ld("inf") + ld("-inf")).is_nan());
        assert!((ld("1.18e4932") + ld("1.18e4932")).is_infinite());
        assert!((ld("1e4932") + ld("1")).is_finite());
        assert_eq!(human(&ld("-inf")), "-inf");
        assert_eq!(LongDouble::parse(b"nan"), None);
        assert_eq!(LongDouble::parse(b"1e4933"), None);
        assert_eq!(LongDouble::parse(b"1e-4952"), None);
        assert!(LongDouble::parse(b"4e-4951").is_some());
        assert!(LongDouble::parse(b"0.000e-99999").is_some());
    }

    #[test]
    fn long_double_conversions_are_exact() {
        assert_eq!(LongDouble::from_i64(i64::MIN).to_f64(), i64::MIN as f64);
        assert_eq!(human(&LongDouble::from_i64(-12345)), "-12345");
        assert_eq!(
            human(&LongDouble::from_i64(i64::MAX)),
            "9223372036854775807"
        );
        assert_eq!(LongDouble::from_f64(0.1).to_f64(), 0.1);
        assert_eq!(ld("0.1").to_f64(), 0.1);
        assert_eq!(ld("1e308").to_f64(), 1e308);
        assert_eq!(ld("5e-324").to_f64(), 5e-324);
        let mut rng = XorShift(42);
        for _ in 0..20_000 {
            let v = f64::from_bits(rng.next());
            if v.is_finite() {
                assert_eq!(LongDouble::from_f64(v).to_f64().to_bits(), v.to_bits());
            }
        }
    }

    #[test]
    fn parse_memory_follows_memtoull() {
        let cases: &[(&str, Option<u64>)] = &[
            ("0", Some(0)),
            ("1024", Some(1024)),
            ("1b", Some(1)),
            ("1B", Some(1)),
            ("1k", Some(1000)),
            ("1kb", Some(1024)),
            ("1KB", Some(1024)),
            ("1Kb", Some(1024)),
            ("100mb", Some(100 << 20)),
            ("2m", Some(2_000_000)),
            ("1gb", Some(1 << 30)),
            ("3G", Some(3_000_000_000)),
            ("", Some(0)),
            ("kb", Some(0)),
            ("18446744073709551615", Some(u64::MAX)),
            ("99999999999999999999", Some(u64::MAX)),
            ("99999999999999999999k", Some(u64::MAX.wrapping_mul(1000))),
            (
                "20000000000gb",
                Some(20_000_000_000u64.wrapping_mul(1 << 30)),
            ),
            ("5\0garbage", Some(5)),
            ("-1", None),
            ("-1gb", None),
            ("+1", None),
            (" 1", None),
            ("1 ", None),
            ("1tb", None),
            ("1kbb", None),
            ("1.5gb", None),
            ("abc", None),
        ];
        for &(s, want) in cases {
            assert_eq!(parse_memory(s.as_bytes()), want, "{s:?}");
        }
        assert_eq!(parse_memory("1".repeat(127).as_bytes()), Some(u64::MAX));
        assert_eq!(parse_memory("1".repeat(128).as_bytes()), None);
    }

    #[test]
    fn write_memory_human_matches_bytes_to_human() {
        let cases: &[(u64, &str)] = &[
            (0, "0B"),
            (1023, "1023B"),
            (1024, "1.00K"),
            (1152, "1.12K"),
            (1536, "1.50K"),
            (1_048_575, "1024.00K"),
            (1_048_576, "1.00M"),
            (1_000_000, "976.56K"),
            (873_608, "853.13K"),
            (1 << 30, "1.00G"),
            (3 << 40, "3.00T"),
            (5 << 50, "5.00P"),
            ((1 << 60) - 1, "1024.00P"),
            (1 << 60, "1152921504606846976B"),
            (u64::MAX, "18446744073709551615B"),
        ];
        for &(n, want) in cases {
            assert_eq!(write_memory_human(n), want, "{n}");
        }
        let mut rng = XorShift(5);
        for _ in 0..100_000 {
            let n = rng.next() >> (rng.next() % 64);
            let want = match n {
                0..=1023 => format!("{n}B"),
                _ if n >= 1 << 60 => format!("{n}B"),
                _ => {
                    let (div, unit) = [(10, 'K'), (20, 'M'), (30, 'G'), (40, 'T'), (50, 'P')]
                        .into_iter()
                        .rev()
                        .find(|(sh, _)| n >= 1u64 << sh)
                        .map(|(sh, u)| ((1u64 << sh) as f64, u))
                        .unwrap();
                    format!("{}{unit}", c_format(c"%.2f", n as f64 / div))
                }
            };
            assert_eq!(write_memory_human(n), want);
        }
    }
}
