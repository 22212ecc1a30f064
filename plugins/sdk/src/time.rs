//! Calendar dates and times from the host's day and microsecond counts, without a date crate.
//!
//! The host sends dates as days since 1970-01-01 and datetimes as microseconds since
//! 1970-01-01T00:00:00Z, both in the proleptic Gregorian calendar. Turning them into fields is
//! Howard Hinnant's `civil_from_days` (<https://howardhinnant.github.io/date_algorithms.html>),
//! a dozen integer operations, which is less than a dependency would cost every plugin.
//! [`TimePattern`] covers the strftime subset formats offer their users (`%Y %m %d %H %M %S %f`).
//! Datetimes are rendered in UTC; [`Zone`] says whether they end in `Z`: an instant (a column
//! with a `time-zone`, see [`crate::Column::is_utc`]) does, a time given without a zone does not.
//! Fields are written two digits at a time from a table, as [`crate::text`] writes numbers.

use crate::Column;
use crate::text::{TextOut, digit_pair, write_int};

const MICROS_PER_SECOND: i64 = 1_000_000;
const MICROS_PER_DAY: i64 = 86_400 * MICROS_PER_SECOND;

/// A date and time of day, split into fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CivilDateTime {
    /// Astronomical year numbering: year 0 is 1 BC.
    pub year: i64,
    /// 1 to 12.
    pub month: u32,
    /// 1 to 31.
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
    pub microsecond: u32,
}

impl CivilDateTime {
    /// Midnight at the start of the day `days` after 1970-01-01.
    pub fn from_days(days: i64) -> Self {
        let (year, month, day) = civil_from_days(days);
        CivilDateTime {
            year,
            month,
            day,
            hour: 0,
            minute: 0,
            second: 0,
            microsecond: 0,
        }
    }

    /// The UTC date and time `micros` microseconds after 1970-01-01T00:00:00Z.
    pub fn from_micros(micros: i64) -> Self {
        let days = micros.div_euclid(MICROS_PER_DAY);
        let of_day = micros.rem_euclid(MICROS_PER_DAY);
        let seconds_of_day = of_day / MICROS_PER_SECOND;
        CivilDateTime {
            hour: (seconds_of_day / 3600) as u32,
            minute: (seconds_of_day / 60 % 60) as u32,
            second: (seconds_of_day % 60) as u32,
            microsecond: (of_day % MICROS_PER_SECOND) as u32,
            ..CivilDateTime::from_days(days)
        }
    }
}

/// Year, month (1–12) and day (1–31) of the day `days` after 1970-01-01.
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    // Shift the epoch to 0000-03-01 so that leap days fall at the end of a year, then count in
    // 400-year eras of 146 097 days.
    let shifted = days + 719_468;
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_from_march + 2) / 5 + 1) as u32;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month as u32, day)
}

/// Appends `YYYY-MM-DD` for the day `days` after 1970-01-01.
pub fn write_iso_date(days: i32, out: &mut impl TextOut) {
    let (year, month, day) = civil_from_days(i64::from(days));
    let [m1, m2] = digit_pair(month);
    let [d1, d2] = digit_pair(day);
    match four_digit_year(year) {
        Some([y1, y2, y3, y4]) => out.push_ascii(&[y1, y2, y3, y4, b'-', m1, m2, b'-', d1, d2]),
        None => {
            write_year(year, out);
            out.push_ascii(&[b'-', m1, m2, b'-', d1, d2]);
        }
    }
}

/// What a datetime's microseconds are, which decides whether its text says `Z`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Zone {
    /// A time given without a zone, local or unspecified, its wall-clock fields counted from the
    /// epoch as if UTC: written without a zone designator, so that no reader takes it for UTC.
    #[default]
    Unspecified,
    /// An instant, given with a zone or offset and kept in UTC: written with `Z` (RFC 3339,
    /// section 5.6).
    Utc,
}

impl Zone {
    /// The zone of `column`'s datetimes: [`Zone::Utc`] for a column of UTC instants (it has a
    /// `time-zone`), else [`Zone::Unspecified`].
    pub fn of(column: &Column) -> Self {
        if column.is_utc() {
            Zone::Utc
        } else {
            Zone::Unspecified
        }
    }
}

/// Appends `YYYY-MM-DDTHH:MM:SS`, followed by `.ffffff` when the microseconds are not zero, and
/// by `Z` for an instant in UTC ([`Zone::Utc`]; take it from the column with [`Zone::of`]).
///
/// ```
/// use tessera_plugin_sdk::time::{Zone, write_iso_datetime};
///
/// let mut text = String::new();
/// write_iso_datetime(1_717_245_000_000_000, Zone::Utc, &mut text);
/// assert_eq!(text, "2024-06-01T12:30:00Z");
/// text.clear();
/// write_iso_datetime(1_500_000, Zone::Unspecified, &mut text);
/// assert_eq!(text, "1970-01-01T00:00:01.500000");
/// ```
pub fn write_iso_datetime(micros: i64, zone: Zone, out: &mut impl TextOut) {
    let when = CivilDateTime::from_micros(micros);
    let [m1, m2] = digit_pair(when.month);
    let [d1, d2] = digit_pair(when.day);
    let [h1, h2] = digit_pair(when.hour);
    let [n1, n2] = digit_pair(when.minute);
    let [s1, s2] = digit_pair(when.second);
    let date_and_time = [
        b'-', m1, m2, b'-', d1, d2, b'T', h1, h2, b':', n1, n2, b':', s1, s2,
    ];
    match four_digit_year(when.year) {
        Some(year) => {
            let mut text = [0u8; 19];
            text[..4].copy_from_slice(&year);
            text[4..].copy_from_slice(&date_and_time);
            out.push_ascii(&text);
        }
        None => {
            write_year(when.year, out);
            out.push_ascii(&date_and_time);
        }
    }
    if when.microsecond != 0 {
        let mut fraction = [b'.'; 7];
        fraction[1..].copy_from_slice(&six_digits(when.microsecond));
        out.push_ascii(&fraction);
    }
    if zone == Zone::Utc {
        out.push_ascii(b"Z");
    }
}

/// The year's four digits, when it has at most four and is not negative.
fn four_digit_year(year: i64) -> Option<[u8; 4]> {
    let year = u32::try_from(year).ok().filter(|year| *year <= 9999)?;
    let [y1, y2] = digit_pair(year / 100);
    let [y3, y4] = digit_pair(year % 100);
    Some([y1, y2, y3, y4])
}

/// `value`, below one million, zero-padded to six digits.
fn six_digits(value: u32) -> [u8; 6] {
    let [a1, a2] = digit_pair(value / 10_000);
    let [b1, b2] = digit_pair(value / 100 % 100);
    let [c1, c2] = digit_pair(value % 100);
    [a1, a2, b1, b2, c1, c2]
}

/// Four digits for years 0 to 9999; beyond that ISO 8601's expanded form, with a sign.
fn write_year(year: i64, out: &mut impl TextOut) {
    if let Some(digits) = four_digit_year(year) {
        out.push_ascii(&digits);
    } else if year > 0 {
        out.push_ascii(b"+");
        write_int(year, out);
    } else if year > -10_000 {
        // Negative years keep at least four digits after the sign.
        let [y1, y2, y3, y4] = four_digit_year(-year).unwrap_or(*b"0000");
        out.push_ascii(&[b'-', y1, y2, y3, y4]);
    } else {
        write_int(year, out);
    }
}

/// A date or datetime layout in a strftime subset: `%Y` year, `%m` month, `%d` day, `%H` hour,
/// `%M` minute, `%S` second (all zero-padded), `%f` microseconds (always six digits) and `%%`
/// for a percent sign. Everything else is copied as is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimePattern {
    parts: Vec<PatternPart>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum PatternPart {
    Literal(String),
    Year,
    Month,
    Day,
    Hour,
    Minute,
    Second,
    Microsecond,
}

impl TimePattern {
    /// Parses a pattern; the error names the first directive outside the subset.
    pub fn parse(pattern: &str) -> Result<Self, String> {
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut chars = pattern.chars();
        while let Some(ch) = chars.next() {
            if ch != '%' {
                literal.push(ch);
                continue;
            }
            let field = match chars.next() {
                Some('%') => {
                    literal.push('%');
                    continue;
                }
                Some('Y') => PatternPart::Year,
                Some('m') => PatternPart::Month,
                Some('d') => PatternPart::Day,
                Some('H') => PatternPart::Hour,
                Some('M') => PatternPart::Minute,
                Some('S') => PatternPart::Second,
                Some('f') => PatternPart::Microsecond,
                Some(other) => {
                    return Err(format!(
                        "`%{other}` is not supported; use %Y %m %d %H %M %S %f or %%"
                    ));
                }
                None => return Err("ends with a lone `%`; write %% for a percent sign".into()),
            };
            if !literal.is_empty() {
                parts.push(PatternPart::Literal(std::mem::take(&mut literal)));
            }
            parts.push(field);
        }
        if !literal.is_empty() {
            parts.push(PatternPart::Literal(literal));
        }
        Ok(TimePattern { parts })
    }

    /// Every byte the text this pattern writes may contain: the bytes of its literal text, the
    /// digits, and the sign of a year before year 0 or after year 9999.
    pub fn written_bytes(&self) -> Vec<u8> {
        let mut bytes = b"+-0123456789".to_vec();
        for part in &self.parts {
            if let PatternPart::Literal(text) = part {
                bytes.extend_from_slice(text.as_bytes());
            }
        }
        bytes
    }

    /// Appends `when` laid out by this pattern.
    pub fn write(&self, when: &CivilDateTime, out: &mut impl TextOut) {
        for part in &self.parts {
            match part {
                PatternPart::Literal(text) => out.push_text(text),
                PatternPart::Year => write_year(when.year, out),
                PatternPart::Month => out.push_ascii(&digit_pair(when.month)),
                PatternPart::Day => out.push_ascii(&digit_pair(when.day)),
                PatternPart::Hour => out.push_ascii(&digit_pair(when.hour)),
                PatternPart::Minute => out.push_ascii(&digit_pair(when.minute)),
                PatternPart::Second => out.push_ascii(&digit_pair(when.second)),
                PatternPart::Microsecond => out.push_ascii(&six_digits(when.microsecond)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(days: i32) -> String {
        let mut out = String::new();
        write_iso_date(days, &mut out);
        out
    }

    fn datetime(micros: i64) -> String {
        let mut out = String::new();
        write_iso_datetime(micros, Zone::Unspecified, &mut out);
        out
    }

    /// The inverse algorithm from the same paper, to check `civil_from_days` over a wide range.
    fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
        let year = if month <= 2 { year - 1 } else { year };
        let era = year.div_euclid(400);
        let year_of_era = year.rem_euclid(400);
        let month = i64::from(month);
        let day_of_year =
            (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
        let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
        era * 146_097 + day_of_era - 719_468
    }

    #[test]
    fn known_dates() {
        assert_eq!(date(0), "1970-01-01");
        assert_eq!(date(-1), "1969-12-31");
        assert_eq!(date(19_723), "2024-01-01");
        assert_eq!(date(11_016), "2000-02-29");
        assert_eq!(date(-25_508), "1900-03-01");
        assert_eq!(date(-719_162), "0001-01-01");
        assert_eq!(date(2_932_896), "9999-12-31");
        assert_eq!(date(2_932_897), "+10000-01-01");
        assert_eq!(date(-719_529), "-0001-12-31");
    }

    #[test]
    fn civil_from_days_inverts_days_from_civil() {
        let mut previous = civil_from_days(-1_000_001);
        for days in -1_000_000..1_000_000 {
            let (year, month, day) = civil_from_days(days);
            assert_eq!(days_from_civil(year, month, day), days);
            assert!((1..=12).contains(&month) && (1..=31).contains(&day));
            assert!(
                (year, month, day) > previous,
                "{days} does not follow the day before"
            );
            previous = (year, month, day);
        }
    }

    #[test]
    fn extreme_values_do_not_overflow() {
        assert_eq!(date(i32::MAX), "+5881580-07-11");
        assert_eq!(date(i32::MIN), "-5877641-06-23");
        assert_eq!(datetime(i64::MAX), "+294247-01-10T04:00:54.775807");
        assert_eq!(datetime(i64::MIN), "-290308-12-21T19:59:05.224192");
    }

    #[test]
    fn datetimes_show_microseconds_only_when_present() {
        assert_eq!(datetime(0), "1970-01-01T00:00:00");
        assert_eq!(datetime(-1), "1969-12-31T23:59:59.999999");
        assert_eq!(
            datetime(1_700_000_000_123_456),
            "2023-11-14T22:13:20.123456"
        );
        assert_eq!(datetime(1_700_000_000_000_000), "2023-11-14T22:13:20");
    }

    #[test]
    fn patterns_lay_out_fields() {
        let when = CivilDateTime::from_micros(1_700_000_000_000_042);
        let render = |pattern: &str| {
            let mut out = String::new();
            TimePattern::parse(pattern).unwrap().write(&when, &mut out);
            out
        };
        assert_eq!(render("%d/%m/%Y %H:%M:%S.%f"), "14/11/2023 22:13:20.000042");
        assert_eq!(render("%Y%m%d"), "20231114");
        assert_eq!(render("100%% at %H"), "100% at 22");
        assert_eq!(render("no fields"), "no fields");
        assert_eq!(render(""), "");
    }

    #[test]
    fn patterns_reject_unknown_directives() {
        assert!(TimePattern::parse("%Y-%j").unwrap_err().contains("`%j`"));
        assert!(TimePattern::parse("%Y%").unwrap_err().contains("lone `%`"));
    }

    /// The ISO layouts as `core::fmt` writes them, from the fields.
    fn iso_by_fmt(when: &CivilDateTime, with_time: bool) -> String {
        let year = match when.year {
            0..=9999 => format!("{:04}", when.year),
            10_000.. => format!("+{}", when.year),
            _ => format!("-{:04}", when.year.unsigned_abs()),
        };
        let mut text = format!("{year}-{:02}-{:02}", when.month, when.day);
        if with_time {
            text += &format!("T{:02}:{:02}:{:02}", when.hour, when.minute, when.second);
            if when.microsecond != 0 {
                text += &format!(".{:06}", when.microsecond);
            }
        }
        text
    }

    #[test]
    fn dates_and_datetimes_are_written_as_fmt_writes_them() {
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let mut days: Vec<i32> = vec![i32::MIN, i32::MAX, 0, -1, -719_528, -719_529, -4_371_588];
        days.extend([-4_371_587, 2_932_896, 2_932_897, -3_652_059, -3_652_060]);
        days.extend((0..100_000).map(|_| next() as i32));
        days.extend((0..100_000).map(|_| (next() % 4_400_000) as i32 - 1_000_000));
        for day in days {
            let expected = iso_by_fmt(&CivilDateTime::from_days(i64::from(day)), false);
            assert_eq!(date(day), expected);
            let mut bytes = Vec::new();
            write_iso_date(day, &mut bytes);
            assert_eq!(bytes, expected.as_bytes());
        }
        let mut micros: Vec<i64> = vec![i64::MIN, i64::MAX, 0, -1, 1, 999_999, 1_000_000];
        micros.extend((0..100_000).map(|_| next() as i64));
        micros.extend((0..100_000).map(|_| (next() % (1 << 58)) as i64 - (1 << 56)));
        micros.extend((0..100_000).map(|_| (next() % (1 << 40)) as i64 * 1_000_000));
        for micro in micros {
            let expected = iso_by_fmt(&CivilDateTime::from_micros(micro), true);
            assert_eq!(datetime(micro), expected);
            let mut bytes = Vec::new();
            write_iso_datetime(micro, Zone::Unspecified, &mut bytes);
            assert_eq!(bytes, expected.as_bytes());
            bytes.clear();
            write_iso_datetime(micro, Zone::Utc, &mut bytes);
            assert_eq!(bytes, format!("{expected}Z").as_bytes());
        }
    }

    #[test]
    fn patterns_pad_every_field_and_sign_expanded_years() {
        let pattern = TimePattern::parse("%Y|%m|%d|%H|%M|%S|%f").unwrap();
        let render = |micros: i64| {
            let mut text = String::new();
            pattern.write(&CivilDateTime::from_micros(micros), &mut text);
            let mut bytes = Vec::new();
            pattern.write(&CivilDateTime::from_micros(micros), &mut bytes);
            assert_eq!(text.as_bytes(), bytes);
            text
        };
        assert_eq!(render(0), "1970|01|01|00|00|00|000000");
        assert_eq!(render(-1), "1969|12|31|23|59|59|999999");
        assert_eq!(render(i64::MAX), "+294247|01|10|04|00|54|775807");
        assert_eq!(render(i64::MIN), "-290308|12|21|19|59|05|224192");
        // Year -1 (2 BC) and year 10000.
        assert_eq!(
            render(-62_198_755_200_000_000),
            "-0001|01|01|00|00|00|000000"
        );
        assert_eq!(
            render(253_402_300_800_000_000),
            "+10000|01|01|00|00|00|000000"
        );
    }
}
