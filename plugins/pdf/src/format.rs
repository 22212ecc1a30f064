//! How numbers and the export time read in a report.
//!
//! Counts get thousands separators ("1,000,000"), means six significant digits, and the
//! export time, given as RFC 3339 text (<https://www.rfc-editor.org/rfc/rfc3339#section-5.6>),
//! is shown as "2024-05-01 12:00:00 UTC" and written into the document's dates in the PDF
//! date format (ISO 32000-1 7.9.4, "D:20240501120000Z").

use tessera_plugin_sdk::text;

/// `1234567` as "1,234,567".
pub(crate) fn thousands(number: u64) -> String {
    let digits = number.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// A mean to six significant digits, without trailing zeros; very large or small ones in
/// scientific notation.
pub(crate) fn mean(value: f64) -> String {
    if !value.is_finite() {
        let mut out = String::new();
        text::write_float(value, &mut out);
        return out;
    }
    if value == 0.0 {
        return "0".into();
    }
    let magnitude = value.abs();
    if !(1e-6..1e15).contains(&magnitude) {
        return format!("{value:.5e}");
    }
    let digits_before_point = magnitude.log10().floor() as i32 + 1;
    let decimals = (6 - digits_before_point).clamp(0, 6) as usize;
    let mut out = format!("{value:.decimals$}");
    if out.contains('.') {
        let kept = out.trim_end_matches('0').trim_end_matches('.').len();
        out.truncate(kept);
    }
    if out == "-0" {
        out = "0".into();
    }
    out
}

/// An RFC 3339 time, to the second, with its offset from UTC.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Timestamp {
    year: u32,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    /// Minutes east of UTC; `None` for `Z`.
    offset_minutes: Option<i32>,
}

impl Timestamp {
    /// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`; the fraction is dropped.
    pub fn parse(text: &str) -> Option<Self> {
        let text = text.trim();
        let bytes = text.as_bytes();
        let number = |range: std::ops::Range<usize>| -> Option<u32> {
            let part = text.get(range)?;
            if !part.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            part.parse().ok()
        };
        let separator =
            |index: usize, allowed: &[u8]| bytes.get(index).is_some_and(|b| allowed.contains(b));
        if !(separator(4, b"-")
            && separator(7, b"-")
            && separator(10, b"Tt ")
            && separator(13, b":")
            && separator(16, b":"))
        {
            return None;
        }
        let timestamp = Timestamp {
            year: number(0..4)?,
            month: number(5..7)?,
            day: number(8..10)?,
            hour: number(11..13)?,
            minute: number(14..16)?,
            second: number(17..19)?,
            offset_minutes: None,
        };
        if !(1..=12).contains(&timestamp.month)
            || !(1..=31).contains(&timestamp.day)
            || timestamp.hour > 23
            || timestamp.minute > 59
            || timestamp.second > 60
        {
            return None;
        }
        let mut rest = text.get(19..)?;
        if let Some(fraction) = rest.strip_prefix('.') {
            let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
            if digits == 0 {
                return None;
            }
            rest = fraction.get(digits..)?;
        }
        let offset_minutes = match rest {
            "Z" | "z" => None,
            _ => {
                let sign = match rest.as_bytes().first() {
                    Some(b'+') => 1,
                    Some(b'-') => -1,
                    _ => return None,
                };
                if rest.len() != 6 || rest.as_bytes().get(3) != Some(&b':') {
                    return None;
                }
                let hours: i32 = rest.get(1..3)?.parse().ok()?;
                let minutes: i32 = rest.get(4..6)?.parse().ok()?;
                if hours > 23 || minutes > 59 {
                    return None;
                }
                Some(sign * (hours * 60 + minutes))
            }
        };
        Some(Timestamp {
            offset_minutes,
            ..timestamp
        })
    }

    /// "2024-05-01 12:00:00 UTC", or with the offset: "2024-05-01 14:00:00 +02:00".
    pub fn display(&self) -> String {
        let zone = match self.offset_minutes {
            None => "UTC".to_owned(),
            Some(offset) => {
                let (hours, minutes) = (offset.abs() / 60, offset.abs() % 60);
                let sign = if offset < 0 { '-' } else { '+' };
                format!("{sign}{hours:02}:{minutes:02}")
            }
        };
        format!(
            "{:04}-{:02}-{:02} {:02}:{:02}:{:02} {zone}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }

    /// The PDF date string: "D:20240501120000Z" or "D:20240501140000+02'00'".
    pub fn pdf_date(&self) -> String {
        let zone = match self.offset_minutes {
            None => "Z".to_owned(),
            Some(offset) => {
                let (hours, minutes) = (offset.abs() / 60, offset.abs() % 60);
                let sign = if offset < 0 { '-' } else { '+' };
                format!("{sign}{hours:02}'{minutes:02}'")
            }
        };
        format!(
            "D:{:04}{:02}{:02}{:02}{:02}{:02}{zone}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_have_thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1_000_000), "1,000,000");
        assert_eq!(thousands(12_345_678), "12,345,678");
    }

    #[test]
    fn means_have_six_significant_digits() {
        assert_eq!(mean(3.5), "3.5");
        assert_eq!(mean(1.0 / 3.0), "0.333333");
        assert_eq!(mean(1234567.89), "1234568");
        assert_eq!(mean(-42.0), "-42");
        assert_eq!(mean(0.000123), "0.000123");
        assert_eq!(mean(0.0), "0");
        assert_eq!(mean(1e20), "1.00000e20");
        assert_eq!(mean(f64::NAN), "NaN");
    }

    #[test]
    fn rfc_3339_times_become_pdf_dates() {
        let utc = Timestamp::parse("2024-05-01T12:34:56.789Z").unwrap();
        assert_eq!(utc.display(), "2024-05-01 12:34:56 UTC");
        assert_eq!(utc.pdf_date(), "D:20240501123456Z");
        let east = Timestamp::parse("2024-05-01T14:00:00+02:00").unwrap();
        assert_eq!(east.display(), "2024-05-01 14:00:00 +02:00");
        assert_eq!(east.pdf_date(), "D:20240501140000+02'00'");
        let west = Timestamp::parse("2024-05-01 08:00:00-05:30").unwrap();
        assert_eq!(west.pdf_date(), "D:20240501080000-05'30'");
        for bad in [
            "",
            "2024-05-01",
            "2024-13-01T00:00:00Z",
            "2024-05-01T00:00:00",
            "2024-05-01T00:00:00+2",
            "yesterday",
        ] {
            assert_eq!(Timestamp::parse(bad), None, "{bad}");
        }
    }
}
