//! What the workbook says about itself: the "Metadata" sheet and the document properties.
//!
//! A spreadsheet travels without its manifest, so the file carries its provenance: which dataset
//! and version the rows come from (with the version's SHA-256, to check against the source),
//! under which licence, when and by what it was exported. The document properties (File > Info
//! in Excel) repeat the title and carry the export time as the creation time: the host fixes
//! that time per export, and taking it rather than the clock is what makes the same export give
//! the same bytes.

use crate::cells::excel_text;
use crate::options::METADATA_SHEET_NAME;
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Worksheet, XlsxError};
use tessera_plugin_sdk::{Column, ColumnType, DatasetInfo, PluginError};

/// This format's id, as the manifest and `describe` give it.
pub(crate) const FORMAT_ID: &str = "xlsx";

/// The width of the label column and the most the value column gets.
const LABEL_WIDTH: f64 = 18.0;
const MAX_VALUE_WIDTH: f64 = 100.0;

/// Everything the metadata sheet shows that is known at `begin`.
#[derive(Debug)]
pub(crate) struct ExportMetadata {
    pub dataset: DatasetInfo,
    pub exported_at: String,
    pub columns: Vec<Column>,
}

/// A value cell of the metadata sheet.
enum Entry<'a> {
    Text(&'a str),
    Number(f64),
}

impl ExportMetadata {
    /// Adds the metadata sheet to `sheet`: label and value rows, then the columns and their types.
    pub fn write(
        &self,
        sheet: &mut Worksheet,
        rows: u64,
        data_sheets: &[String],
        bold: &Format,
    ) -> Result<(), XlsxError> {
        sheet.set_name(METADATA_SHEET_NAME)?;
        let tags = self.dataset.tags.join(", ");
        let sheets = data_sheets.join(", ");
        let plugin = concat!("tessera-plugin-xlsx ", env!("CARGO_PKG_VERSION"));
        let entries = [
            ("Dataset", Entry::Text(&self.dataset.name)),
            ("Description", Entry::Text(&self.dataset.description)),
            ("Dataset id", Entry::Text(&self.dataset.id)),
            ("Version", Entry::Number(f64::from(self.dataset.version))),
            ("Version SHA-256", Entry::Text(&self.dataset.version_sha256)),
            (
                "Licence",
                Entry::Text(self.dataset.licence.as_deref().unwrap_or("")),
            ),
            ("Tags", Entry::Text(&tags)),
            // Row counts stay far below 2^53, where an f64 stops being exact.
            ("Rows", Entry::Number(rows as f64)),
            ("Data sheets", Entry::Text(&sheets)),
            ("Exported at", Entry::Text(&self.exported_at)),
            ("Format", Entry::Text(FORMAT_ID)),
            ("Plugin", Entry::Text(plugin)),
        ];

        sheet.write_string_with_format(0, 0, "Field", bold)?;
        sheet.write_string_with_format(0, 1, "Value", bold)?;
        let mut widest = "Value".len();
        let mut row = 1;
        for (label, entry) in entries {
            sheet.write_string(row, 0, label)?;
            match entry {
                Entry::Text(value) => {
                    sheet.write_string(row, 1, excel_text(value))?;
                    widest = widest.max(crate::widths::display_chars(value));
                }
                Entry::Number(value) => {
                    sheet.write_number(row, 1, value)?;
                }
            }
            row += 1;
        }

        row += 1;
        sheet.write_string_with_format(row, 0, "Column", bold)?;
        sheet.write_string_with_format(row, 1, "Type", bold)?;
        for column in &self.columns {
            row += 1;
            sheet.write_string(row, 0, excel_text(&column.name))?;
            sheet.write_string(row, 1, type_name(column))?;
        }

        sheet.set_column_width(0, LABEL_WIDTH)?;
        sheet.set_column_width(1, (widest as f64 + 2.0).min(MAX_VALUE_WIDTH))?;
        Ok(())
    }

    /// The document properties: title, keywords and the export time as the creation time.
    pub fn properties(&self) -> Result<DocProperties, PluginError> {
        let created = rfc3339_to_unix_seconds(&self.exported_at)
            .and_then(|seconds| ExcelDateTime::from_timestamp(seconds).ok())
            .ok_or_else(|| {
                PluginError::failed(format!(
                    "the export time `{}` is not an RFC 3339 time between 1900 and 9999",
                    self.exported_at
                ))
            })?;
        Ok(DocProperties::new()
            .set_title(self.dataset.name.as_str())
            .set_subject(self.dataset.description.as_str())
            .set_keywords(self.dataset.tags.join(", "))
            .set_comment(format!(
                "Dataset {} version {}, exported by Tessera",
                self.dataset.id, self.dataset.version
            ))
            .set_creation_datetime(&created))
    }
}

/// The type's name as the WIT contract spells it; a datetime of UTC instants (values given
/// with a zone, shown in UTC on the sheet, since Excel has no zones) as the API names it.
fn type_name(column: &Column) -> &'static str {
    if column.is_utc() {
        return "datetime[UTC]";
    }
    match column.kind {
        ColumnType::Boolean => "boolean",
        ColumnType::Int64 => "int64",
        ColumnType::Float64 => "float64",
        ColumnType::Utf8 => "utf8",
        ColumnType::Date => "date",
        ColumnType::Datetime => "datetime",
        ColumnType::Null => "null",
    }
}

/// Seconds since 1970-01-01T00:00:00Z of an RFC 3339 date-time
/// (<https://www.rfc-editor.org/rfc/rfc3339#section-5.6>), fractions dropped, leap seconds
/// read as the second before.
fn rfc3339_to_unix_seconds(text: &str) -> Option<i64> {
    let bytes = text.as_bytes();
    let number = |range: std::ops::Range<usize>| -> Option<i64> {
        let digits = bytes.get(range)?;
        if !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        std::str::from_utf8(digits).ok()?.parse().ok()
    };
    let separators_fit = bytes.get(4) == Some(&b'-')
        && bytes.get(7) == Some(&b'-')
        && matches!(bytes.get(10), Some(b'T' | b't' | b' '))
        && bytes.get(13) == Some(&b':')
        && bytes.get(16) == Some(&b':');
    if !separators_fit {
        return None;
    }
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let (hour, minute, second) = (number(11..13)?, number(14..16)?, number(17..19)?);
    if !(1..=12).contains(&month)
        || !(1..=days_in_month(year, month)).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    let mut rest = text.get(19..)?;
    if let Some(fraction) = rest.strip_prefix('.') {
        let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            return None;
        }
        rest = &fraction[digits..];
    }
    let offset_seconds = match rest.as_bytes() {
        [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let digits = [*h1, *h2, *m1, *m2];
            if !digits.iter().all(u8::is_ascii_digit) {
                return None;
            }
            let hours = i64::from((h1 - b'0') * 10 + (h2 - b'0'));
            let minutes = i64::from((m1 - b'0') * 10 + (m2 - b'0'));
            if hours > 23 || minutes > 59 {
                return None;
            }
            let offset = hours * 3600 + minutes * 60;
            if *sign == b'+' { offset } else { -offset }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    let seconds_of_day = hour * 3600 + minute * 60 + second.min(59);
    Some(days * 86_400 + seconds_of_day - offset_seconds)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date: the inverse of the SDK's
/// `civil_from_days`, after Howard Hinnant (<https://howardhinnant.github.io/date_algorithms.html>).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);
    let month_from_march = if month > 2 { month - 3 } else { month + 9 };
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;
    use tessera_plugin_sdk::time::civil_from_days;

    #[test]
    fn rfc3339_times_become_unix_seconds() {
        assert_eq!(rfc3339_to_unix_seconds("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            rfc3339_to_unix_seconds("2024-01-01T00:00:00Z"),
            Some(1_704_067_200)
        );
        assert_eq!(
            rfc3339_to_unix_seconds("2023-11-14T22:13:20.123456Z"),
            Some(1_700_000_000)
        );
        assert_eq!(
            rfc3339_to_unix_seconds("2023-11-15T00:13:20+02:00"),
            Some(1_700_000_000)
        );
        assert_eq!(
            rfc3339_to_unix_seconds("2023-11-14t17:13:20-05:00"),
            Some(1_700_000_000)
        );
        assert_eq!(
            rfc3339_to_unix_seconds("2016-12-31T23:59:60Z"),
            rfc3339_to_unix_seconds("2016-12-31T23:59:59Z")
        );
    }

    #[test]
    fn malformed_times_are_refused() {
        for bad in [
            "",
            "2024-01-01",
            "2024-01-01T00:00:00",
            "2024-13-01T00:00:00Z",
            "2023-02-29T00:00:00Z",
            "2024-01-01T24:00:00Z",
            "2024-01-01T00:00:00.Z",
            "2024-01-01T00:00:00+0200",
            "2024-01-01T00:00:00Z trailing",
            "２０24-01-01T00:00:00Z",
        ] {
            assert_eq!(rfc3339_to_unix_seconds(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn days_from_civil_inverts_the_sdk() {
        for days in (-800_000..3_000_000).step_by(997) {
            let (year, month, day) = civil_from_days(days);
            assert_eq!(
                days_from_civil(year, i64::from(month), i64::from(day)),
                days
            );
        }
    }

    #[test]
    fn properties_need_an_export_time_excel_can_hold() {
        let metadata = |exported_at: &str| ExportMetadata {
            dataset: DatasetInfo {
                id: "d".into(),
                name: "D".into(),
                description: String::new(),
                version: 1,
                licence: None,
                tags: vec![],
                version_sha256: String::new(),
            },
            exported_at: exported_at.into(),
            columns: vec![],
        };
        assert!(metadata("2024-01-01T00:00:00Z").properties().is_ok());
        let Err(error) = metadata("1850-01-01T00:00:00Z").properties() else {
            panic!("1850 is before Excel's calendar");
        };
        assert!(
            error.message().contains("`1850-01-01T00:00:00Z`"),
            "{error:?}"
        );
        assert!(metadata("yesterday").properties().is_err());
    }
}
