//! What each Tessera value becomes in an Excel cell, where Excel cannot hold it as it is.
//!
//! Excel stores every number as an `f64` shown with at most 15 significant digits, dates as day
//! counts from 1900 (with Lotus 1-2-3's phantom 1900-02-29), and text of at most 32,767 UTF-16
//! units. The choices, made once here and documented in `docs/export.md`:
//!
//! - integers of up to 15 digits are numbers; longer ones are text, so that no digit is lost;
//! - finite floats are numbers; NaN and the infinities, which Excel has no value for, are the
//!   house text form (`NaN`, `Infinity`, `-Infinity`), as are magnitudes beyond Excel's largest
//!   number;
//! - dates and datetimes from 1900-01-01 to 9999-12-31 are real Excel dates (serial numbers);
//!   outside Excel's calendar they are ISO 8601 text;
//! - text longer than Excel's limit is cut, and ends with [`TRUNCATION_MARKER`].
//!
//! Nulls are empty cells; so is empty text, which an Excel cell cannot hold. Escaping for XML,
//! control characters and literal `_xHHHH_` sequences included, is the writer's job.

use std::borrow::Cow;
use tessera_plugin_sdk::{Value, text};

/// The most UTF-16 units an Excel cell holds.
pub(crate) const MAX_CELL_UNITS: usize = 32_767;

/// What a cut text ends with, so that nobody takes it for the whole value.
pub(crate) const TRUNCATION_MARKER: &str = "… [truncated]";

/// The largest integer Excel shows without losing a digit (it keeps 15 significant digits).
const MAX_EXACT_INTEGER: i64 = 999_999_999_999_999;

/// The largest number Excel accepts.
const MAX_EXCEL_NUMBER: f64 = 9.999_999_999_999_99e307;

/// Days from Excel's day 0 (1899-12-30, counting the phantom 1900-02-29) to 1970-01-01.
const EXCEL_DAYS_AT_UNIX_EPOCH: i64 = 25_569;
/// 1900-01-01, Excel's first day (serial 1), in days since 1970-01-01.
const FIRST_EXCEL_DAY: i64 = -25_567;
/// 1900-03-01, the first day after the phantom leap day, in days since 1970-01-01.
const FIRST_DAY_AFTER_PHANTOM: i64 = -25_508;
/// 9999-12-31, Excel's last day, in days since 1970-01-01.
const LAST_EXCEL_DAY: i64 = 2_932_896;

const MICROS_PER_DAY: i64 = 86_400_000_000;

/// One cell as Excel will hold it.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Cell<'a> {
    Empty,
    Boolean(bool),
    /// A whole number, shown with the integer format.
    Integer(f64),
    /// Any other number, shown as Excel's "General".
    Number(f64),
    /// An Excel serial date, shown with the date format.
    Date(f64),
    /// An Excel serial date and time, shown with the datetime format.
    Datetime(f64),
    Text(Cow<'a, str>),
}

impl<'a> Cell<'a> {
    /// The cell for a value, `None` being null.
    pub fn from_value(value: Option<Value<'a>>) -> Self {
        let Some(value) = value else {
            return Cell::Empty;
        };
        match value {
            Value::Boolean(flag) => Cell::Boolean(flag),
            Value::Int64(number) if (-MAX_EXACT_INTEGER..=MAX_EXACT_INTEGER).contains(&number) => {
                Cell::Integer(number as f64)
            }
            Value::Float64(number) if number.is_finite() && number.abs() <= MAX_EXCEL_NUMBER => {
                Cell::Number(number)
            }
            Value::Float64(number) => {
                let mut rendered = String::new();
                text::write_float(number, &mut rendered);
                Cell::Text(Cow::Owned(rendered))
            }
            Value::Date(days) => match excel_date(i64::from(days)) {
                Some(serial) => Cell::Date(serial),
                None => Cell::Text(Cow::Owned(rendered(value))),
            },
            Value::Datetime(micros) => match excel_datetime(micros) {
                Some(serial) => Cell::Datetime(serial),
                None => Cell::Text(Cow::Owned(rendered(value))),
            },
            Value::Utf8("") => Cell::Empty,
            Value::Utf8(value) => Cell::Text(excel_text(value)),
            // Integers beyond 15 digits.
            Value::Int64(_) => Cell::Text(Cow::Owned(rendered(value))),
        }
    }
}

/// The house text form of a value (ISO 8601 for dates, decimal for integers).
fn rendered(value: Value<'_>) -> String {
    let mut out = String::new();
    value.write_text(&mut out);
    out
}

/// The Excel serial number of the day `days` after 1970-01-01, or `None` outside 1900–9999.
pub(crate) fn excel_date(days: i64) -> Option<f64> {
    let serial = match days {
        FIRST_DAY_AFTER_PHANTOM..=LAST_EXCEL_DAY => days + EXCEL_DAYS_AT_UNIX_EPOCH,
        // Before the phantom 1900-02-29 Excel's count is one lower.
        FIRST_EXCEL_DAY..FIRST_DAY_AFTER_PHANTOM => days + EXCEL_DAYS_AT_UNIX_EPOCH - 1,
        _ => return None,
    };
    Some(serial as f64)
}

/// The Excel serial date and time of `micros` microseconds after 1970-01-01T00:00:00Z, or
/// `None` outside 1900–9999.
pub(crate) fn excel_datetime(micros: i64) -> Option<f64> {
    let days = micros.div_euclid(MICROS_PER_DAY);
    let of_day = micros.rem_euclid(MICROS_PER_DAY);
    Some(excel_date(days)? + of_day as f64 / MICROS_PER_DAY as f64)
}

/// Text as an Excel cell can hold it: cut to [`MAX_CELL_UNITS`], marker included.
pub(crate) fn excel_text(value: &str) -> Cow<'_, str> {
    // Every UTF-8 byte is at most one UTF-16 unit, so short text needs no counting.
    if value.len() <= MAX_CELL_UNITS || value.encode_utf16().count() <= MAX_CELL_UNITS {
        return Cow::Borrowed(value);
    }
    let budget = MAX_CELL_UNITS - TRUNCATION_MARKER.encode_utf16().count();
    let mut units = 0;
    let mut cut = 0;
    for (index, ch) in value.char_indices() {
        units += ch.len_utf16();
        if units > budget {
            cut = index;
            break;
        }
    }
    let mut truncated = String::with_capacity(cut + TRUNCATION_MARKER.len());
    truncated.push_str(&value[..cut]);
    truncated.push_str(TRUNCATION_MARKER);
    Cow::Owned(truncated)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tessera_plugin_sdk::time;

    const MICROS_PER_SECOND: i64 = 1_000_000;

    fn iso_datetime(micros: i64) -> String {
        let mut out = String::new();
        time::write_iso_datetime(micros, time::Zone::Unspecified, &mut out);
        out
    }

    fn text_of(cell: Cell<'_>) -> String {
        match cell {
            Cell::Text(text) => text.into_owned(),
            other => panic!("expected text, got {other:?}"),
        }
    }

    #[test]
    fn dates_are_excel_serial_numbers() {
        // Serial numbers as Excel shows them for these days.
        assert_eq!(excel_date(0), Some(25_569.0)); // 1970-01-01
        assert_eq!(excel_date(19_723), Some(45_292.0)); // 2024-01-01
        assert_eq!(excel_date(-25_567), Some(1.0)); // 1900-01-01
        assert_eq!(excel_date(-25_509), Some(59.0)); // 1900-02-28
        assert_eq!(excel_date(-25_508), Some(61.0)); // 1900-03-01, after the phantom 60
        assert_eq!(excel_date(2_932_896), Some(2_958_465.0)); // 9999-12-31
        assert_eq!(excel_date(-25_568), None); // 1899-12-31
        assert_eq!(excel_date(2_932_897), None); // 10000-01-01
    }

    #[test]
    fn datetimes_add_the_fraction_of_the_day() {
        assert_eq!(excel_datetime(0), Some(25_569.0));
        assert_eq!(
            excel_datetime(12 * 3600 * MICROS_PER_SECOND),
            Some(25_569.5)
        );
        // One microsecond before the epoch is the end of 1969-12-31.
        let before = excel_datetime(-1).unwrap();
        assert!(before < 25_569.0 && before > 25_568.999_999);
        // 2023-11-14T22:13:20.5
        let serial = excel_datetime(1_700_000_000_500_000).unwrap();
        let seconds_of_day = (serial - serial.floor()) * 86_400.0;
        assert_eq!(serial.floor(), 45_244.0);
        assert!((seconds_of_day - 80_000.5).abs() < 1e-4, "{seconds_of_day}");
    }

    #[test]
    fn values_outside_excels_calendar_are_iso_text() {
        assert_eq!(
            text_of(Cell::from_value(Some(Value::Date(-25_568)))),
            "1899-12-31"
        );
        let far = 2_932_897 * 86_400 * MICROS_PER_SECOND;
        assert_eq!(
            text_of(Cell::from_value(Some(Value::Datetime(far)))),
            iso_datetime(far)
        );
    }

    #[test]
    fn integers_beyond_fifteen_digits_are_text() {
        assert_eq!(
            Cell::from_value(Some(Value::Int64(999_999_999_999_999))),
            Cell::Integer(999_999_999_999_999.0)
        );
        assert_eq!(
            Cell::from_value(Some(Value::Int64(-42))),
            Cell::Integer(-42.0)
        );
        assert_eq!(
            text_of(Cell::from_value(Some(Value::Int64(1_000_000_000_000_000)))),
            "1000000000000000"
        );
        assert_eq!(
            text_of(Cell::from_value(Some(Value::Int64(i64::MIN)))),
            "-9223372036854775808"
        );
    }

    #[test]
    fn floats_excel_cannot_hold_are_text() {
        assert_eq!(
            Cell::from_value(Some(Value::Float64(0.1))),
            Cell::Number(0.1)
        );
        assert_eq!(
            text_of(Cell::from_value(Some(Value::Float64(f64::NAN)))),
            "NaN"
        );
        assert_eq!(
            text_of(Cell::from_value(Some(Value::Float64(f64::INFINITY)))),
            "Infinity"
        );
        assert_eq!(
            text_of(Cell::from_value(Some(Value::Float64(f64::NEG_INFINITY)))),
            "-Infinity"
        );
        assert_eq!(
            text_of(Cell::from_value(Some(Value::Float64(f64::MAX)))),
            "1.7976931348623157e308"
        );
    }

    #[test]
    fn nulls_and_empty_text_are_empty_cells() {
        assert_eq!(Cell::from_value(None), Cell::Empty);
        assert_eq!(Cell::from_value(Some(Value::Utf8(""))), Cell::Empty);
        assert_eq!(
            Cell::from_value(Some(Value::Boolean(false))),
            Cell::Boolean(false)
        );
    }

    #[test]
    fn long_text_is_cut_with_a_marker_within_the_limit() {
        let exact = "a".repeat(MAX_CELL_UNITS);
        assert!(matches!(excel_text(&exact), Cow::Borrowed(_)));
        let long = "a".repeat(MAX_CELL_UNITS + 1);
        let cut = excel_text(&long);
        assert!(cut.ends_with(TRUNCATION_MARKER));
        assert_eq!(cut.encode_utf16().count(), MAX_CELL_UNITS);
        // Characters outside the BMP take two units and are never split.
        let emoji = "😀".repeat(MAX_CELL_UNITS);
        let cut = excel_text(&emoji);
        assert!(cut.encode_utf16().count() <= MAX_CELL_UNITS);
        assert!(
            cut.trim_end_matches(TRUNCATION_MARKER)
                .chars()
                .all(|ch| ch == '😀')
        );
    }
}
