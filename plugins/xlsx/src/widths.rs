//! Column widths fitted to the data, measured as rows go by.
//!
//! Excel does not fit columns when it opens a file; a writer has to say how wide each one is.
//! The rows themselves go to disk as they arrive (constant-memory mode), but the widths are
//! written with the rest of each sheet's preamble at the end, so every row counts: each column
//! keeps the widest value seen, which is cheap (text is measured only when its byte length could
//! beat the current widest, numbers by their rendered length). Widths are in Excel's unit, the
//! width of a `0` in the default font, estimated from character counts with East Asian wide
//! characters as two, and capped so that one long text does not make a column a screen wide.

use tessera_plugin_sdk::{ColumnType, ColumnView, text};

/// No column is made wider than this.
pub(crate) const MAX_WIDTH: f64 = 60.0;
/// Nor narrower than this.
const MIN_WIDTH: f64 = 6.0;
/// Room around the text, as Excel's own "autofit" leaves.
const PADDING: f64 = 1.5;
/// The filter button takes about this much of the header cell.
const FILTER_BUTTON: f64 = 2.5;
/// Bold header text is a little wider than regular text.
const BOLD_FACTOR: f64 = 1.1;
/// Excel's "General" format shows at most this many characters of a number.
const MAX_GENERAL_NUMBER_CHARS: usize = 11;
/// Measuring stops here: nothing wider is shown in full anyway.
const MAX_MEASURED_CHARS: usize = MAX_WIDTH as usize;

/// The widest content seen in each column, in characters.
#[derive(Debug)]
pub(crate) struct ColumnWidths {
    kinds: Vec<ColumnType>,
    header: Vec<f64>,
    content: Vec<usize>,
    /// Date and datetime cells are as wide as their format; computed once.
    date_chars: usize,
    datetime_chars: usize,
    /// Scratch space for a rendered float.
    rendered: String,
}

impl ColumnWidths {
    /// Starts from the header names (when there is a header row) and the columns' types.
    pub fn new(
        columns: &[(String, ColumnType)],
        header: bool,
        autofilter: bool,
        date_format: &str,
        datetime_format: &str,
    ) -> Self {
        let header_widths = columns
            .iter()
            .map(|(name, _)| {
                if !header {
                    return 0.0;
                }
                let button = if autofilter { FILTER_BUTTON } else { 0.0 };
                display_chars(name) as f64 * BOLD_FACTOR + button
            })
            .collect();
        ColumnWidths {
            kinds: columns.iter().map(|(_, kind)| *kind).collect(),
            header: header_widths,
            content: vec![0; columns.len()],
            date_chars: format_chars(date_format),
            datetime_chars: format_chars(datetime_format),
            rendered: String::new(),
        }
    }

    /// Takes the values of one column of a batch into account.
    pub fn observe(&mut self, index: usize, column: &ColumnView<'_>) {
        let Some(mut widest) = self.content.get(index).copied() else {
            return;
        };
        match self.kinds.get(index) {
            Some(ColumnType::Utf8) => {
                for row in 0..column.len() {
                    if let Some(value) = column.utf8(row)
                        && value.len() > widest
                        && widest < MAX_MEASURED_CHARS
                    {
                        widest = widest.max(display_chars(value));
                    }
                }
            }
            Some(ColumnType::Int64) => {
                for row in 0..column.len() {
                    if let Some(number) = column.int64(row) {
                        widest = widest.max(integer_chars(number));
                    }
                }
            }
            Some(ColumnType::Float64) => {
                for row in 0..column.len() {
                    if widest >= MAX_GENERAL_NUMBER_CHARS {
                        break;
                    }
                    if let Some(number) = column.float64(row) {
                        self.rendered.clear();
                        text::write_float(number, &mut self.rendered);
                        widest = widest.max(self.rendered.len().min(MAX_GENERAL_NUMBER_CHARS));
                    }
                }
            }
            Some(ColumnType::Boolean) if (0..column.len()).any(|row| column.is_valid(row)) => {
                widest = widest.max("FALSE".len());
            }
            Some(ColumnType::Date) if (0..column.len()).any(|row| column.is_valid(row)) => {
                widest = widest.max(self.date_chars);
            }
            Some(ColumnType::Datetime) if (0..column.len()).any(|row| column.is_valid(row)) => {
                widest = widest.max(self.datetime_chars);
            }
            _ => {}
        }
        if let Some(slot) = self.content.get_mut(index) {
            *slot = widest;
        }
    }

    /// The width of each column, in Excel's unit.
    pub fn widths(&self) -> impl Iterator<Item = f64> + '_ {
        self.header
            .iter()
            .zip(&self.content)
            .map(|(header, content)| {
                let content = *content as f64 + PADDING;
                let header = if *header > 0.0 { header + PADDING } else { 0.0 };
                content.max(header).clamp(MIN_WIDTH, MAX_WIDTH)
            })
    }
}

/// Characters on the longest line, East Asian wide characters counting two; stops counting at
/// [`MAX_MEASURED_CHARS`].
pub(crate) fn display_chars(value: &str) -> usize {
    let mut widest = 0;
    let mut line = 0;
    for ch in value.chars() {
        if ch == '\n' {
            line = 0;
            continue;
        }
        line += if is_wide(ch) { 2 } else { 1 };
        widest = widest.max(line);
        if widest >= MAX_MEASURED_CHARS {
            break;
        }
    }
    widest
}

/// Whether a character takes two columns in a monospaced rendering: the main East Asian wide
/// and fullwidth blocks of Unicode Standard Annex #11, enough for a width estimate.
fn is_wide(ch: char) -> bool {
    matches!(u32::from(ch),
        0x1100..=0x115F
        | 0x2E80..=0xA4CF
        | 0xAC00..=0xD7A3
        | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F
        | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6
        | 0x1F300..=0x1F64F
        | 0x1F900..=0x1F9FF
        | 0x20000..=0x3FFFD)
}

/// Digits and sign of an integer as the integer format `0` shows it.
fn integer_chars(number: i64) -> usize {
    let digits = number
        .unsigned_abs()
        .checked_ilog10()
        .map_or(1, |log| log as usize + 1);
    digits + usize::from(number < 0)
}

/// How wide a date shown with an Excel number format is, near enough: quoted and escaped
/// literals count as themselves, `mmmm` and `dddd` as the longest English names, other codes as
/// their own length (`yyyy` is four digits, `hh` two).
fn format_chars(format: &str) -> usize {
    let mut width = 0;
    let mut rest = format;
    while let Some(ch) = rest.chars().next() {
        let lower = rest.to_ascii_lowercase();
        let (advance, chars) = if lower.starts_with("mmmmm") || lower.starts_with("ddddd") {
            (5, 9)
        } else if lower.starts_with("mmmm") {
            (4, "September".len())
        } else if lower.starts_with("dddd") {
            (4, "Wednesday".len())
        } else if lower.starts_with("am/pm") {
            (5, 2)
        } else if ch == '"' {
            let literal = rest[1..].split('"').next().unwrap_or("");
            (literal.len() + 2, literal.chars().count())
        } else if ch == '\\' {
            (1, 0)
        } else if ch == '[' {
            // Colours and conditions take no room.
            let bracket = rest.find(']').map_or(rest.len(), |end| end + 1);
            (bracket, 0)
        } else {
            (ch.len_utf8(), 1)
        };
        width += chars;
        rest = rest.get(advance.min(rest.len())..).unwrap_or("");
    }
    width
}

#[cfg(test)]
mod tests {
    use super::*;
    use tessera_plugin_sdk::{Batch, ColumnData};

    fn widths_of(
        columns: &[(&str, ColumnType)],
        data: Vec<ColumnData>,
        autofilter: bool,
    ) -> Vec<f64> {
        let columns: Vec<(String, ColumnType)> = columns
            .iter()
            .map(|(name, kind)| ((*name).to_owned(), *kind))
            .collect();
        let mut widths = ColumnWidths::new(
            &columns,
            true,
            autofilter,
            "yyyy-mm-dd",
            "yyyy-mm-dd hh:mm:ss",
        );
        for (index, column) in data.into_iter().enumerate() {
            let batch = Batch::from_columns(vec![column]);
            widths.observe(index, &batch.column(0).unwrap());
        }
        widths.widths().collect()
    }

    #[test]
    fn columns_fit_the_widest_value_or_the_header() {
        let widths = widths_of(
            &[
                ("id", ColumnType::Int64),
                ("a rather long header", ColumnType::Utf8),
                ("note", ColumnType::Utf8),
            ],
            vec![
                ColumnData::int64([Some(7), Some(-1_234_567)]),
                ColumnData::utf8([Some("x")]),
                ColumnData::utf8([Some("short"), Some("a much longer note")]),
            ],
            false,
        );
        assert_eq!(widths[0], 8.0 + PADDING, "-1234567 is 8 characters");
        assert_eq!(widths[1], 20.0 * BOLD_FACTOR + PADDING);
        assert_eq!(widths[2], 18.0 + PADDING);
    }

    #[test]
    fn widths_are_capped_and_have_a_floor() {
        let long = "w".repeat(500);
        let widths = widths_of(
            &[("t", ColumnType::Utf8), ("b", ColumnType::Boolean)],
            vec![
                ColumnData::utf8([Some(long.as_str())]),
                ColumnData::boolean([None]),
            ],
            false,
        );
        assert_eq!(widths, vec![MAX_WIDTH, MIN_WIDTH]);
    }

    #[test]
    fn the_filter_button_widens_the_header() {
        let plain = widths_of(
            &[("header", ColumnType::Null)],
            vec![ColumnData::null(1)],
            false,
        );
        let filtered = widths_of(
            &[("header", ColumnType::Null)],
            vec![ColumnData::null(1)],
            true,
        );
        assert_eq!(filtered[0] - plain[0], FILTER_BUTTON);
    }

    #[test]
    fn dates_are_as_wide_as_their_format() {
        let widths = widths_of(
            &[("d", ColumnType::Date), ("t", ColumnType::Datetime)],
            vec![ColumnData::date([Some(0)]), ColumnData::datetime([Some(0)])],
            false,
        );
        assert_eq!(widths, vec![10.0 + PADDING, 19.0 + PADDING]);
        assert_eq!(format_chars("d mmmm yyyy"), 16);
        assert_eq!(format_chars("dd/mm/yyyy hh:mm AM/PM"), 19);
        assert_eq!(format_chars("[$-409]yyyy\\-mm"), 7);
        assert_eq!(format_chars("yyyy \"at\" hh"), 10);
    }

    #[test]
    fn text_width_counts_the_longest_line_and_wide_characters() {
        assert_eq!(display_chars("ab\nabcd\nc"), 4);
        assert_eq!(display_chars("東京"), 4);
        assert_eq!(display_chars(""), 0);
        assert_eq!(display_chars(&"x".repeat(1000)), MAX_MEASURED_CHARS);
    }

    #[test]
    fn numbers_are_measured_as_shown() {
        assert_eq!(integer_chars(0), 1);
        assert_eq!(integer_chars(-10), 3);
        assert_eq!(integer_chars(i64::MIN), 20);
        let widths = widths_of(
            &[("f", ColumnType::Float64)],
            vec![ColumnData::float64([Some(0.5), Some(1.0 / 3.0)])],
            false,
        );
        assert_eq!(widths, vec![MAX_GENERAL_NUMBER_CHARS as f64 + PADDING]);
    }
}
