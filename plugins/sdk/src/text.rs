//! Text and JSON renderings of single values that every format shares.
//!
//! Formats differ in how they lay cells out, not in how a number or a string looks, so the
//! choices live here once: integers in decimal, floats in their shortest round-trip form with
//! an exponent only where ECMAScript's `Number.prototype.toString` would use one (below 1e-6 or
//! from 1e21), non-finite floats as `NaN`/`Infinity`/`-Infinity` in text and `null` in JSON, and
//! JSON strings escaped per RFC 8259 section 7.
//!
//! These run once per cell of an export, so none of them goes through `core::fmt`, whose
//! machinery costs more than the digits themselves. They write to any [`TextOut`]: a `String`,
//! or the `Vec<u8>` a format returns, which takes ASCII without a UTF-8 check.

/// Where renderings are appended.
pub trait TextOut {
    fn push_text(&mut self, text: &str);

    /// Appends bytes that are all ASCII; the renderings here pass nothing else.
    fn push_ascii(&mut self, bytes: &[u8]);

    /// Appends the first `len` bytes of `bytes`, all ASCII. A rendering that knows its longest
    /// text builds it in an array of that size, so a `Vec<u8>` can copy the whole array (a few
    /// fixed moves, no call to `memcpy`) and then drop the bytes past `len`.
    fn push_ascii_prefix<const N: usize>(&mut self, bytes: &[u8; N], len: usize) {
        self.push_ascii(&bytes[..len.min(N)]);
    }
}

impl TextOut for String {
    fn push_text(&mut self, text: &str) {
        self.push_str(text);
    }

    fn push_ascii(&mut self, bytes: &[u8]) {
        self.extend(bytes.iter().map(|&byte| char::from(byte)));
    }
}

impl TextOut for Vec<u8> {
    fn push_text(&mut self, text: &str) {
        push_bytes(self, text.as_bytes());
    }

    fn push_ascii(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }

    fn push_ascii_prefix<const N: usize>(&mut self, bytes: &[u8; N], len: usize) {
        let end = self.len() + len.min(N);
        self.extend_from_slice(bytes);
        self.truncate(end);
    }
}

/// Appends `bytes` to `out`, as `extend_from_slice` does. Slices of up to 16 bytes, which most
/// cells are, move as one or two overlapping fixed-size words instead of through `memcpy`:
/// inside the sandbox `memcpy` is `memory.copy`, a call out of the plugin's compiled code into
/// the engine that costs more than copying a short cell.
#[inline]
pub fn push_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    let len = bytes.len();
    let mut words = [0u8; 16];
    match len {
        0 => return,
        1..=3 => {
            for (slot, byte) in words.iter_mut().zip(bytes) {
                *slot = *byte;
            }
        }
        4..=7 => {
            words[..4].copy_from_slice(&bytes[..4]);
            words[len - 4..len].copy_from_slice(&bytes[len - 4..]);
        }
        8..=16 => {
            words[..8].copy_from_slice(&bytes[..8]);
            words[len - 8..len].copy_from_slice(&bytes[len - 8..]);
        }
        _ => {
            out.extend_from_slice(bytes);
            return;
        }
    }
    let end = out.len() + len;
    out.extend_from_slice(&words);
    out.truncate(end);
}

/// `00` to `99`, two bytes each, so that numbers are written two digits per division.
pub(crate) const DIGIT_PAIRS: &[u8; 200] = b"\
    0001020304050607080910111213141516171819\
    2021222324252627282930313233343536373839\
    4041424344454647484950515253545556575859\
    6061626364656667686970717273747576777879\
    8081828384858687888990919293949596979899";

/// The two digits of `value`, which is below 100.
pub(crate) fn digit_pair(value: u32) -> [u8; 2] {
    let index = (value as usize % 100) * 2;
    [DIGIT_PAIRS[index], DIGIT_PAIRS[index + 1]]
}

/// Appends an integer in decimal.
pub fn write_int(value: i64, out: &mut impl TextOut) {
    let mut text = [b'-'; 20];
    let sign = usize::from(value < 0);
    let len = sign + write_digits(value.unsigned_abs(), &mut text[sign..]);
    out.push_ascii_prefix(&text, len);
}

/// Writes the decimal digits of `value` at the start of `text`, which has room for them (20
/// bytes always do), and returns how many there are.
fn write_digits(value: u64, text: &mut [u8]) -> usize {
    let len = value.checked_ilog10().map_or(1, |log| log as usize + 1);
    let mut rest = value;
    let mut end = len.min(text.len());
    while rest >= 100 && end >= 2 {
        text[end - 2..end].copy_from_slice(&digit_pair((rest % 100) as u32));
        rest /= 100;
        end -= 2;
    }
    if rest >= 10 && end >= 2 {
        text[end - 2..end].copy_from_slice(&digit_pair(rest as u32));
    } else if end >= 1 {
        text[end - 1] = b'0' + rest as u8;
    }
    len
}

/// Appends a float as the shortest text that reads back as the same `f64`: `0.1`, `1`, `-0`,
/// `1e21`, `1.5e-7`, and `NaN`, `Infinity` or `-Infinity` when it is not finite.
pub fn write_float(value: f64, out: &mut impl TextOut) {
    if value.is_nan() {
        out.push_ascii(b"NaN");
        return;
    }
    if value.is_infinite() {
        out.push_ascii(if value > 0.0 {
            b"Infinity"
        } else {
            b"-Infinity"
        });
        return;
    }
    if write_short_decimal(value, out) {
        return;
    }
    if may_be_a_decimal_tie(value) {
        write_float_with_fmt(value, out);
        return;
    }
    let mut buffer = ryu::Buffer::new();
    let shortest = buffer.format_finite(value);
    // Ryū finds the same digits but lays them out by its own rule: a decimal point from 1e-5 up
    // to 1e16 (integers with a `.0`), an exponent outside. Only where the two rules differ is
    // its text rearranged: the `.0`, and the exponents -6 and 16 to 20, which are spelled out.
    if let Some(integer) = shortest.strip_suffix(".0") {
        out.push_text(integer);
        return;
    }
    let Some((mantissa, exponent)) = shortest.split_once('e') else {
        out.push_text(shortest);
        return;
    };
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(unsigned) => ("-", unsigned),
        None => ("", mantissa),
    };
    let (first, rest) = mantissa.split_at(1);
    let rest = rest.strip_prefix('.').unwrap_or(rest);
    match exponent.parse::<usize>() {
        Ok(exponent @ 16..=20) => {
            out.push_text(sign);
            out.push_text(first);
            out.push_text(rest);
            out.push_ascii(&[b'0'; 20][..exponent - rest.len()]);
        }
        _ if exponent == "-6" => {
            out.push_text(sign);
            out.push_ascii(b"0.00000");
            out.push_text(first);
            out.push_text(rest);
        }
        _ => out.push_text(shortest),
    }
}

/// Powers of ten that are exact `f64`s, for [`write_short_decimal`].
const DECIMAL_SCALES: [f64; 8] = [1.0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7];

/// Writes `value` and returns true when it is a decimal of at most 15 significant digits and 7
/// decimal places from 1e-5 to 1e15, which data mostly holds: prices, measurements, ratios.
///
/// Such a decimal is the shortest text that reads back as `value`, and the only one of its
/// length: any two decimals of at most 15 significant digits read as different `f64`s (which
/// is what `f64::DIGITS` says). So it is found by scaling `value` by powers of ten until it is
/// an integer whose division by the same power gives `value` back, cheaper than the general
/// search for the shortest digits.
fn write_short_decimal(value: f64, out: &mut impl TextOut) -> bool {
    let magnitude = value.abs();
    if !(1e-5..1e15).contains(&magnitude) {
        return false;
    }
    for (places, scale) in DECIMAL_SCALES.iter().enumerate() {
        let scaled = magnitude * scale + 0.5;
        if scaled >= 1e15 {
            return false;
        }
        // Truncating after adding a half rounds to the nearest integer.
        let digits = scaled as u64;
        if digits as f64 / scale != magnitude {
            continue;
        }
        let mut text = [b'0'; 24];
        let sign = usize::from(value < 0.0);
        if sign == 1 {
            text[0] = b'-';
        }
        let mut written = [0u8; 20];
        let count = write_digits(digits, &mut written);
        let len = if places == 0 {
            text[sign..sign + count].copy_from_slice(&written[..count]);
            sign + count
        } else if count > places {
            // `123.45`
            let whole = count - places;
            text[sign..sign + whole].copy_from_slice(&written[..whole]);
            text[sign + whole] = b'.';
            text[sign + whole + 1..sign + count + 1].copy_from_slice(&written[whole..count]);
            sign + count + 1
        } else {
            // `0.0012`: the array is already zeros where the leading ones go.
            text[sign + 1] = b'.';
            let start = sign + 2 + places - count;
            text[start..start + count].copy_from_slice(&written[..count]);
            start + count
        };
        out.push_ascii_prefix(&text, len);
        return true;
    }
    false
}

/// Whether `value` could lie exactly halfway between the two closest decimals of its shortest
/// length, where Ryū rounds to the even one and `core::fmt` (whose text the exports have always
/// had) rounds up. That takes an exact decimal expansion of 16 to 18 significant digits; the
/// test is a little wider than that and rarely true of real data.
fn may_be_a_decimal_tie(value: f64) -> bool {
    let bits = value.to_bits();
    let biased_exponent = ((bits >> 52) & 0x7ff) as i32;
    let fraction = bits & ((1 << 52) - 1);
    let (mantissa, exponent) = match biased_exponent {
        0 => (fraction, -1074),
        _ => (fraction | 1 << 52, biased_exponent - 1075),
    };
    if mantissa == 0 {
        return false;
    }
    // `value` is `odd * 2^shift`.
    let odd = mantissa >> mantissa.trailing_zeros();
    let shift = exponent + mantissa.trailing_zeros() as i32;
    if shift >= 0 {
        // An integer: exactly halfway means `shift` trailing zeros after a final 5, which
        // needs 5^(shift + 1) among the odd part's factors.
        shift <= 21 && odd % 5u64.pow(shift as u32 + 1) == 0
    } else {
        // `odd * 5^-shift` are the significant digits of the exact expansion.
        shift >= -25 && {
            let digits = u128::from(odd) * 5u128.pow(shift.unsigned_abs());
            (1_000_000_000_000_000..1_000_000_000_000_000_000).contains(&digits)
        }
    }
}

/// What `write_float` writes, through `core::fmt`.
fn write_float_with_fmt(value: f64, out: &mut impl TextOut) {
    let magnitude = value.abs();
    // Rust's `Display` never uses an exponent, which spells 1e300 with 301 digits.
    let text = if magnitude != 0.0 && !(1e-6..1e21).contains(&magnitude) {
        format!("{value:e}")
    } else {
        format!("{value}")
    };
    out.push_text(&text);
}

/// What each byte becomes inside a JSON string: 0 for itself, `u` for `\u00XX`, otherwise the
/// letter after the backslash.
const JSON_ESCAPES: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut byte = 0;
    while byte < 0x20 {
        table[byte] = b'u';
        byte += 1;
    }
    table[b'"' as usize] = b'"';
    table[b'\\' as usize] = b'\\';
    table[b'\n' as usize] = b'n';
    table[b'\r' as usize] = b'r';
    table[b'\t' as usize] = b't';
    table[0x08] = b'b';
    table[0x0c] = b'f';
    table
};

const HEX_DIGITS: &[u8; 16] = b"0123456789abcdef";

/// Appends `value` as a JSON string literal, quotes included.
pub fn write_json_string(value: &str, out: &mut impl TextOut) {
    out.push_ascii(b"\"");
    let bytes = value.as_bytes();
    let mut plain_from = 0;
    let mut index = next_json_escape(bytes, 0);
    while let Some(&byte) = bytes.get(index) {
        // Every escaped byte is ASCII, so `index` is a character boundary.
        out.push_text(&value[plain_from..index]);
        let escape = JSON_ESCAPES[usize::from(byte)];
        if escape == b'u' {
            out.push_ascii(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX_DIGITS[usize::from(byte >> 4)],
                HEX_DIGITS[usize::from(byte & 0xf)],
            ]);
        } else {
            out.push_ascii(&[b'\\', escape]);
        }
        plain_from = index + 1;
        index = next_json_escape(bytes, plain_from);
    }
    out.push_text(&value[plain_from..]);
    out.push_ascii(b"\"");
}

/// The index of the first byte at or after `from` that a JSON string must escape (a control
/// character, `"` or `\\`), or `bytes.len()`. Eight bytes are looked at a time.
fn next_json_escape(bytes: &[u8], mut from: usize) -> usize {
    while let Some(chunk) = word_at(bytes, from) {
        if (bytes_below(chunk, 0x20) | bytes_equal(chunk, b'"') | bytes_equal(chunk, b'\\')) != 0 {
            break;
        }
        from += 8;
    }
    while let Some(&byte) = bytes.get(from) {
        if JSON_ESCAPES[usize::from(byte)] != 0 {
            break;
        }
        from += 1;
    }
    from
}

/// The index of the first byte of `bytes` that is one of `needles`, looking at eight bytes a
/// time: what a CSV writer asks of every text field (is there a quote, a line break or the
/// delimiter in it?). A needle may be repeated.
pub fn find_any_byte(bytes: &[u8], needles: [u8; 4]) -> Option<usize> {
    let mut from = 0;
    while let Some(chunk) = word_at(bytes, from) {
        let hits = bytes_equal(chunk, needles[0])
            | bytes_equal(chunk, needles[1])
            | bytes_equal(chunk, needles[2])
            | bytes_equal(chunk, needles[3]);
        if hits != 0 {
            break;
        }
        from += 8;
    }
    bytes[from..]
        .iter()
        .position(|byte| needles.contains(byte))
        .map(|offset| from + offset)
}

/// The eight bytes at `from`, as one little-endian word, if there are eight.
#[inline]
fn word_at(bytes: &[u8], from: usize) -> Option<u64> {
    let chunk: [u8; 8] = bytes.get(from..from.checked_add(8)?)?.try_into().ok()?;
    Some(u64::from_le_bytes(chunk))
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH_BITS: u64 = 0x8080_8080_8080_8080;

/// Nonzero when some byte of `word` is below `limit` (at most 128). The high bit of a byte
/// survives the subtraction without a borrow only if the byte was below the limit and its own
/// high bit was clear; a borrow can only flag bytes above one that already counts, so whether
/// any byte qualifies is exact.
#[inline]
fn bytes_below(word: u64, limit: u8) -> u64 {
    word.wrapping_sub(ONES * u64::from(limit)) & !word & HIGH_BITS
}

/// Nonzero when some byte of `word` equals `byte`.
#[inline]
fn bytes_equal(word: u64, byte: u8) -> u64 {
    bytes_below(word ^ (ONES * u64::from(byte)), 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn float(value: f64) -> String {
        let mut out = String::new();
        write_float(value, &mut out);
        out
    }

    fn json_string(value: &str) -> String {
        let mut out = String::new();
        write_json_string(value, &mut out);
        out
    }

    #[test]
    fn floats_are_shortest_round_trip() {
        assert_eq!(float(0.1), "0.1");
        assert_eq!(float(1.0), "1");
        assert_eq!(float(-0.0), "-0");
        assert_eq!(float(1.0 / 3.0), "0.3333333333333333");
        assert_eq!(float(123456.789), "123456.789");
        assert_eq!(float(1e20), "100000000000000000000");
        assert_eq!(float(1e21), "1e21");
        assert_eq!(float(1e300), "1e300");
        assert_eq!(float(0.000001), "0.000001");
        assert_eq!(float(1.5e-7), "1.5e-7");
        assert_eq!(float(f64::MAX), "1.7976931348623157e308");
        assert_eq!(float(f64::MIN_POSITIVE), "2.2250738585072014e-308");
        for value in [0.1, 1.0 / 3.0, 1e300, 1.5e-7, f64::MAX, 5e-324, -2.5] {
            assert_eq!(float(value).parse::<f64>().unwrap(), value);
        }
    }

    #[test]
    fn non_finite_floats_have_names() {
        assert_eq!(float(f64::NAN), "NaN");
        assert_eq!(float(f64::INFINITY), "Infinity");
        assert_eq!(float(f64::NEG_INFINITY), "-Infinity");
    }

    #[test]
    fn integers_cover_the_whole_range() {
        let mut out = String::new();
        write_int(i64::MIN, &mut out);
        out.push(' ');
        write_int(i64::MAX, &mut out);
        assert_eq!(out, "-9223372036854775808 9223372036854775807");
    }

    #[test]
    fn json_strings_escape_what_rfc_8259_requires() {
        assert_eq!(json_string("plain"), r#""plain""#);
        assert_eq!(json_string("a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(json_string("l1\nl2\r\t"), r#""l1\nl2\r\t""#);
        assert_eq!(
            json_string("\u{0}\u{1f}\u{8}\u{c}"),
            r#""\u0000\u001f\b\f""#
        );
        assert_eq!(json_string("zürich ☃ /"), r#""zürich ☃ /""#);
        for sample in ["", "\"", "x\u{7}y", "tab\there", "emoji 😀"] {
            let parsed: String = serde_json::from_str(&json_string(sample)).unwrap();
            assert_eq!(parsed, sample);
        }
    }

    /// A deterministic stream of 64-bit values (xorshift).
    fn random_bits(seed: u64) -> impl Iterator<Item = u64> {
        let mut state = seed;
        std::iter::repeat_with(move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        })
    }

    /// The rendering as `core::fmt` gives it, which exports have always had.
    fn float_by_fmt(value: f64) -> String {
        if value.is_nan() {
            return "NaN".into();
        }
        if value.is_infinite() {
            return if value > 0.0 { "Infinity" } else { "-Infinity" }.into();
        }
        let mut out = String::new();
        write_float_with_fmt(value, &mut out);
        out
    }

    fn assert_float_as_fmt(value: f64) {
        let mut bytes = Vec::new();
        write_float(value, &mut bytes);
        let expected = float_by_fmt(value);
        assert_eq!(
            float(value),
            expected,
            "{:e} ({:#x})",
            value,
            value.to_bits()
        );
        assert_eq!(bytes, expected.as_bytes(), "{value:e}");
    }

    #[test]
    fn floats_are_written_as_fmt_writes_them() {
        let edges = [
            0.0,
            -0.0,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MAX,
            f64::MIN,
            f64::MIN_POSITIVE,
            f64::EPSILON,
            5e-324,
            -5e-324,
            2.225_073_858_507_201e-308,
            1e-7,
            1e-6,
            1e-5,
            1e15,
            1e16,
            1e17,
            1e20,
            1e21,
            1e22,
            1e23,
            9_007_199_254_740_993.0,
            1e15 + 0.25,
            1e15 + 0.75,
            1e15 + 0.3,
            4_503_599_627_370_495.5,
            123_456_789_012_345.68,
            0.1 + 0.2,
            1.0 / 3.0,
            -1234.56,
            0.000_012_5,
            2.5,
            -7.0,
        ];
        for value in edges {
            for neighbour in [value, value.next_up(), value.next_down()] {
                assert_float_as_fmt(neighbour);
            }
        }
        let mut bits = random_bits(0x2545_f491_4f6c_dd1d);
        for _ in 0..200_000 {
            assert_float_as_fmt(f64::from_bits(bits.next().unwrap_or(0)));
        }
    }

    #[test]
    fn short_decimals_and_halfway_values_are_written_as_fmt_writes_them() {
        let mut bits = random_bits(0x9e37_79b9_7f4a_7c15);
        let mut next = || bits.next().unwrap_or(0);
        for _ in 0..200_000 {
            // Decimals of up to 17 digits and up to 9 places, where the fast path and the
            // halfway cases are.
            let digits = next() % 10u64.pow((next() % 17 + 1) as u32);
            let places = (next() % 10) as i32;
            let value = digits as f64 / 10f64.powi(places);
            assert_float_as_fmt(value);
            assert_float_as_fmt(-value);
            // Odd multiples of halves, quarters and eighths around 1e15 to 1e18: the values
            // that lie halfway between two shortest decimals.
            let magnitude = 10f64.powi(15 + (next() % 4) as i32);
            let offset =
                (next() % 1_000_000) as f64 + [0.5, 0.25, 0.125, 5.0][(next() % 4) as usize];
            assert_float_as_fmt(magnitude + offset);
            // Integers times powers of two, where exact decimals end in 5 followed by zeros.
            let integer = (next() % (1 << 53)) as f64 * 2f64.powi((next() % 30) as i32);
            assert_float_as_fmt(integer);
        }
    }

    #[test]
    fn integers_are_written_as_fmt_writes_them() {
        let mut values = vec![0, 1, -1, i64::MIN, i64::MAX, i64::MIN + 1, i64::MAX - 1];
        for power in 0..19 {
            let ten = 10i64.pow(power);
            values.extend([ten, ten - 1, ten + 1, -ten, -ten + 1, -ten - 1]);
        }
        values.extend(random_bits(7).take(100_000).map(|bits| bits as i64));
        values.extend(
            random_bits(11)
                .take(100_000)
                .map(|bits| bits as i64 >> (bits % 64)),
        );
        for value in values {
            let mut text = String::new();
            write_int(value, &mut text);
            assert_eq!(text, value.to_string());
            let mut bytes = b"x".to_vec();
            write_int(value, &mut bytes);
            assert_eq!(bytes, format!("x{value}").as_bytes());
        }
    }

    /// The eight-at-a-time scans agree with a byte-by-byte search wherever the byte sits
    /// in a word and whatever surrounds it, ASCII or not.
    #[test]
    fn short_and_long_slices_are_appended_whole() {
        let source: Vec<u8> = (0..40u8).map(|i| b'a' + i % 26).collect();
        for len in 0..=source.len() {
            let mut out = b"head".to_vec();
            push_bytes(&mut out, &source[..len]);
            assert_eq!(&out[..4], b"head");
            assert_eq!(&out[4..], &source[..len], "{len} bytes");
        }
    }

    #[test]
    fn word_scans_find_the_first_byte_a_plain_search_finds() {
        let fillers = [b'a', 0x7f, 0x80, 0xc3, 0xff, b'!', b'#', b'[', b']'];
        let targets = [
            0u8, 0x1f, b'"', b'\\', b'\n', b'\r', b',', b';', 0x20, 0x7f, 0x80, 0xa7,
        ];
        for len in 0..20 {
            for &filler in &fillers {
                for &target in &targets {
                    for at in 0..=len {
                        let mut bytes = vec![filler; len];
                        if at < len {
                            bytes[at] = target;
                        }
                        let json_expected = bytes
                            .iter()
                            .position(|&b| b < 0x20 || b == b'"' || b == b'\\')
                            .unwrap_or(len);
                        assert_eq!(next_json_escape(&bytes, 0), json_expected, "{bytes:?}");
                        for needles in [*b"\"\r\n,", *b"\"\r\n;", [b'"', b'\r', b'\n', 0xc2]] {
                            let expected = bytes.iter().position(|b| needles.contains(b));
                            assert_eq!(
                                find_any_byte(&bytes, needles),
                                expected,
                                "{bytes:?} {needles:?}"
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn json_strings_escape_every_control_character_as_serde_json_does() {
        for byte in 0u8..0x80 {
            let text = format!("a{}b", char::from(byte));
            let mut bytes = Vec::new();
            write_json_string(&text, &mut bytes);
            assert_eq!(
                bytes,
                serde_json::to_string(&text).unwrap().as_bytes(),
                "{byte}"
            );
            assert_eq!(json_string(&text).as_bytes(), bytes);
        }
        let mixed = "\"quoted\", ünïcödé 東京 😀\r\n\u{1}\u{7f}\\end";
        let mut bytes = Vec::new();
        write_json_string(mixed, &mut bytes);
        assert_eq!(bytes, serde_json::to_string(mixed).unwrap().as_bytes());
    }
}
