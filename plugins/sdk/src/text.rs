//! Text and JSON renderings of single values that every format shares.
//!
//! Formats differ in how they lay cells out, not in how a number or a string looks, so the
//! choices live here once: integers in decimal, floats in their shortest round-trip form with
//! an exponent only where ECMAScript's `Number.prototype.toString` would use one (below 1e-6 or
//! from 1e21), non-finite floats as `NaN`/`Infinity`/`-Infinity` in text and `null` in JSON, and
//! JSON strings escaped per RFC 8259 section 7.

use std::fmt::Write as _;

/// Appends an integer in decimal.
pub fn write_int(value: i64, out: &mut String) {
    // Writing to a `String` cannot fail.
    let _ = write!(out, "{value}");
}

/// Appends a float as the shortest text that reads back as the same `f64`: `0.1`, `1`, `-0`,
/// `1e21`, `1.5e-7`, and `NaN`, `Infinity` or `-Infinity` when it is not finite.
pub fn write_float(value: f64, out: &mut String) {
    if value.is_nan() {
        out.push_str("NaN");
    } else if value.is_infinite() {
        out.push_str(if value > 0.0 { "Infinity" } else { "-Infinity" });
    } else {
        let magnitude = value.abs();
        // Rust's `Display` never uses an exponent, which spells 1e300 with 301 digits.
        let _ = if magnitude != 0.0 && !(1e-6..1e21).contains(&magnitude) {
            write!(out, "{value:e}")
        } else {
            write!(out, "{value}")
        };
    }
}

/// Appends `value` as a JSON string literal, quotes included.
pub fn write_json_string(value: &str, out: &mut String) {
    out.reserve(value.len() + 2);
    out.push('"');
    let mut unescaped_from = 0;
    for (index, byte) in value.bytes().enumerate() {
        let escape = match byte {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0x00..=0x1f => "",
            _ => continue,
        };
        // Every byte matched above is ASCII, so `index` is a character boundary.
        out.push_str(&value[unescaped_from..index]);
        if escape.is_empty() {
            let _ = write!(out, "\\u{byte:04x}");
        } else {
            out.push_str(escape);
        }
        unescaped_from = index + 1;
    }
    out.push_str(&value[unescaped_from..]);
    out.push('"');
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
}
