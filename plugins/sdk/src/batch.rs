//! Reading the host's columnar batches one cell at a time.
//!
//! A [`Batch`] arrives as the WIT defines it: one [`ColumnData`] per schema column, values in a
//! typed list and nulls in an optional LSB-first validity bitmap. [`ColumnView`] answers the
//! questions a format asks of it ("is row 3 null?", "what is row 3?") without the format
//! decoding bitmaps or UTF-8 offsets itself. Readers never panic: a row out of range reads as
//! null. [`Batch::check_shape`] is what makes that safe to rely on; the SDK runs it on every
//! batch before [`crate::Exporter::write_batch`] sees it, so a malformed batch from the host
//! fails the export loudly instead of reading as silent nulls.
//!
//! A format that reads every cell of a batch in a row loop takes [`ColumnView::cells`] once per
//! column instead: the same values, with the column's type matched once rather than cell by
//! cell. Neither checks text as UTF-8: the column's text is a WIT `string`, valid by type.

use crate::text::{self, TextOut};
use crate::time::{Zone, write_iso_datetime};
use crate::{Batch, Column, ColumnData, ColumnType, ColumnValues, PluginError};
use std::fmt;

impl Batch {
    /// The number of rows in this batch.
    pub fn row_count(&self) -> usize {
        self.rows as usize
    }

    /// The column at `index` in schema order, or `None` past the last column.
    pub fn column(&self, index: usize) -> Option<ColumnView<'_>> {
        self.columns.get(index).map(|data| ColumnView {
            data,
            rows: self.row_count(),
        })
    }

    /// Every column, in schema order.
    pub fn column_views(&self) -> impl ExactSizeIterator<Item = ColumnView<'_>> + '_ {
        let rows = self.row_count();
        self.columns
            .iter()
            .map(move |data| ColumnView { data, rows })
    }

    /// Checks that the batch is what the schema promises: one column per schema column, each of
    /// the schema's type, with `rows` values, a validity bitmap covering every row, and text
    /// offsets that cut valid UTF-8 within the data.
    pub fn check_shape(&self, schema: &[Column]) -> Result<(), PluginError> {
        if self.columns.len() != schema.len() {
            return Err(PluginError::failed(format!(
                "batch has {} columns, the schema {}",
                self.columns.len(),
                schema.len()
            )));
        }
        let rows = self.row_count();
        for (index, (data, column)) in self.columns.iter().zip(schema).enumerate() {
            check_column(data, column.kind, rows).map_err(|problem| {
                PluginError::failed(format!(
                    "batch column {index} (`{}`): {problem}",
                    column.name
                ))
            })?;
        }
        Ok(())
    }
}

impl Column {
    /// A column without a time zone, as most are.
    pub fn new(name: impl Into<String>, kind: ColumnType) -> Self {
        Column {
            name: name.into(),
            kind,
            time_zone: None,
        }
    }

    /// Whether this is a `datetime` column of UTC instants: its values were given with a zone
    /// or an offset, which the host keeps as UTC. A format that writes datetimes as text ends
    /// these in `Z` (RFC 3339, section 5.6); a `datetime` without a zone is a local or
    /// unspecified time and gets no designator.
    pub fn is_utc(&self) -> bool {
        self.kind == ColumnType::Datetime && self.time_zone.is_some()
    }
}

impl ColumnType {
    /// Whether values of this type are numbers (`int64`, `float64`), which tables usually
    /// align to the right.
    pub fn is_numeric(self) -> bool {
        matches!(self, ColumnType::Int64 | ColumnType::Float64)
    }
}

fn check_column(data: &ColumnData, kind: ColumnType, rows: usize) -> Result<(), String> {
    let actual_kind = kind_of(&data.values);
    if actual_kind != kind {
        return Err(format!(
            "values are {}, the schema says {}",
            wit_name(actual_kind),
            wit_name(kind)
        ));
    }
    if let Some(validity) = &data.validity {
        let needed = rows.div_ceil(8);
        if validity.len() < needed {
            return Err(format!(
                "validity bitmap has {} bytes, {rows} rows need {needed}",
                validity.len()
            ));
        }
    }
    let value_count = match &data.values {
        ColumnValues::Boolean(values) => values.len(),
        ColumnValues::Int64(values) | ColumnValues::Datetime(values) => values.len(),
        ColumnValues::Float64(values) => values.len(),
        ColumnValues::Date(values) => values.len(),
        ColumnValues::Null(count) => *count as usize,
        ColumnValues::Utf8(utf8) => {
            if utf8.offsets.len() != rows + 1 {
                return Err(format!(
                    "{} text offsets for {rows} rows, expected {}",
                    utf8.offsets.len(),
                    rows + 1
                ));
            }
            // The text is a WIT `string`, UTF-8 by type; only the cuts need checking.
            let all_text = utf8.data.as_str();
            for pair in utf8.offsets.windows(2) {
                let (start, end) = (pair[0] as usize, pair[1] as usize);
                if start > end || end > all_text.len() {
                    return Err(format!(
                        "text offsets {start}..{end} do not fit {} bytes of data",
                        all_text.len()
                    ));
                }
                if !all_text.is_char_boundary(start) || !all_text.is_char_boundary(end) {
                    return Err(format!("text offsets {start}..{end} split a character"));
                }
            }
            rows
        }
    };
    if value_count != rows {
        return Err(format!("{value_count} values for {rows} rows"));
    }
    Ok(())
}

fn kind_of(values: &ColumnValues) -> ColumnType {
    match values {
        ColumnValues::Boolean(_) => ColumnType::Boolean,
        ColumnValues::Int64(_) => ColumnType::Int64,
        ColumnValues::Float64(_) => ColumnType::Float64,
        ColumnValues::Utf8(_) => ColumnType::Utf8,
        ColumnValues::Date(_) => ColumnType::Date,
        ColumnValues::Datetime(_) => ColumnType::Datetime,
        ColumnValues::Null(_) => ColumnType::Null,
    }
}

/// The type's name as the WIT spells it, for messages.
pub(crate) fn wit_name(kind: ColumnType) -> &'static str {
    match kind {
        ColumnType::Boolean => "boolean",
        ColumnType::Int64 => "int64",
        ColumnType::Float64 => "float64",
        ColumnType::Utf8 => "utf8",
        ColumnType::Date => "date",
        ColumnType::Datetime => "datetime",
        ColumnType::Null => "null",
    }
}

/// One column of one batch, read row by row.
#[derive(Clone, Copy, Debug)]
pub struct ColumnView<'a> {
    data: &'a ColumnData,
    rows: usize,
}

impl<'a> ColumnView<'a> {
    /// A view of `data` as a column of `rows` rows; [`Batch::column`] is the usual way in.
    pub fn new(data: &'a ColumnData, rows: usize) -> Self {
        ColumnView { data, rows }
    }

    /// The column's type, as its values say.
    pub fn kind(&self) -> ColumnType {
        kind_of(&self.data.values)
    }

    /// The number of rows.
    pub fn len(&self) -> usize {
        self.rows
    }

    /// Whether the batch has no rows.
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// Whether `row` holds a value: it exists, the column is not of type null, and its
    /// validity bit (least significant bit first) is set.
    pub fn is_valid(&self, row: usize) -> bool {
        if row >= self.rows || matches!(self.data.values, ColumnValues::Null(_)) {
            return false;
        }
        match &self.data.validity {
            None => true,
            Some(bitmap) => bitmap
                .get(row / 8)
                .is_some_and(|byte| byte & (1 << (row % 8)) != 0),
        }
    }

    /// Whether `row` is null (or out of range).
    pub fn is_null(&self, row: usize) -> bool {
        !self.is_valid(row)
    }

    /// The value at `row`, or `None` when it is null.
    pub fn value(&self, row: usize) -> Option<Value<'a>> {
        if !self.is_valid(row) {
            return None;
        }
        match &self.data.values {
            ColumnValues::Boolean(values) => values.get(row).copied().map(Value::Boolean),
            ColumnValues::Int64(values) => values.get(row).copied().map(Value::Int64),
            ColumnValues::Float64(values) => values.get(row).copied().map(Value::Float64),
            ColumnValues::Date(values) => values.get(row).copied().map(Value::Date),
            ColumnValues::Datetime(values) => values.get(row).copied().map(Value::Datetime),
            ColumnValues::Utf8(utf8) => {
                let start = *utf8.offsets.get(row)? as usize;
                let end = *utf8.offsets.get(row + 1)? as usize;
                utf8.data.get(start..end).map(Value::Utf8)
            }
            ColumnValues::Null(_) => None,
        }
    }

    /// The text at `row` of a `utf8` column; `None` when null or another type.
    pub fn utf8(&self, row: usize) -> Option<&'a str> {
        match self.value(row)? {
            Value::Utf8(text) => Some(text),
            _ => None,
        }
    }

    /// The integer at `row` of an `int64` column.
    pub fn int64(&self, row: usize) -> Option<i64> {
        match self.value(row)? {
            Value::Int64(number) => Some(number),
            _ => None,
        }
    }

    /// The number at `row` of a `float64` column.
    pub fn float64(&self, row: usize) -> Option<f64> {
        match self.value(row)? {
            Value::Float64(number) => Some(number),
            _ => None,
        }
    }

    /// The flag at `row` of a `boolean` column.
    pub fn boolean(&self, row: usize) -> Option<bool> {
        match self.value(row)? {
            Value::Boolean(flag) => Some(flag),
            _ => None,
        }
    }

    /// Days since 1970-01-01 at `row` of a `date` column.
    pub fn date(&self, row: usize) -> Option<i32> {
        match self.value(row)? {
            Value::Date(days) => Some(days),
            _ => None,
        }
    }

    /// Microseconds since 1970-01-01T00:00:00Z at `row` of a `datetime` column.
    pub fn datetime(&self, row: usize) -> Option<i64> {
        match self.value(row)? {
            Value::Datetime(micros) => Some(micros),
            _ => None,
        }
    }

    /// The column's values for reading every row; see [`ColumnCells`].
    pub fn cells(&self) -> ColumnCells<'a> {
        let values = match &self.data.values {
            ColumnValues::Boolean(values) => CellValues::Boolean(values),
            ColumnValues::Int64(values) => CellValues::Int64(values),
            ColumnValues::Float64(values) => CellValues::Float64(values),
            ColumnValues::Date(values) => CellValues::Date(values),
            ColumnValues::Datetime(values) => CellValues::Datetime(values),
            ColumnValues::Utf8(utf8) => CellValues::Utf8 {
                offsets: &utf8.offsets,
                text: &utf8.data,
            },
            ColumnValues::Null(_) => CellValues::Null,
        };
        ColumnCells {
            validity: self.data.validity.as_deref(),
            values,
            rows: self.rows,
            zone: Zone::Unspecified,
        }
    }

    /// Appends the cell's text form (see [`text`]), or nothing when it is null. Returns whether
    /// the cell had a value.
    pub fn write_text(&self, row: usize, out: &mut impl TextOut) -> bool {
        match self.value(row) {
            Some(value) => {
                value.write_text(out);
                true
            }
            None => false,
        }
    }

    /// Appends the cell as a JSON value, `null` when it is null.
    pub fn write_json(&self, row: usize, out: &mut impl TextOut) {
        match self.value(row) {
            Some(value) => value.write_json(out),
            None => out.push_ascii(b"null"),
        }
    }
}

/// One column of one batch, for a loop that reads every row: [`ColumnCells::value`] answers as
/// [`ColumnView::value`] does, with the column's type and slices looked up once, when this was
/// made, rather than for each cell. A text cell whose offsets do not fall on character
/// boundaries (which [`Batch::check_shape`] refuses) reads as null.
#[derive(Clone, Copy, Debug)]
pub struct ColumnCells<'a> {
    validity: Option<&'a [u8]>,
    values: CellValues<'a>,
    rows: usize,
    /// Whether datetimes are UTC instants, written with `Z` (see [`ColumnCells::of_column`]).
    zone: Zone,
}

#[derive(Clone, Copy, Debug)]
enum CellValues<'a> {
    Boolean(&'a [bool]),
    Int64(&'a [i64]),
    Float64(&'a [f64]),
    Utf8 { offsets: &'a [u32], text: &'a str },
    Date(&'a [i32]),
    Datetime(&'a [i64]),
    Null,
}

impl<'a> ColumnCells<'a> {
    /// The same cells, written as the schema's `column` says: the datetimes of a column of
    /// UTC instants ([`Column::is_utc`]) end in `Z` in [`ColumnCells::write_text`] and
    /// [`ColumnCells::write_json`].
    pub fn of_column(mut self, column: &Column) -> Self {
        self.zone = Zone::of(column);
        self
    }

    /// The value at `row`, or `None` when it is null or out of range.
    #[inline]
    pub fn value(&self, row: usize) -> Option<Value<'a>> {
        if row >= self.rows {
            return None;
        }
        if let Some(bitmap) = self.validity
            && bitmap
                .get(row / 8)
                .is_none_or(|byte| byte & (1 << (row % 8)) == 0)
        {
            return None;
        }
        match self.values {
            CellValues::Boolean(values) => values.get(row).copied().map(Value::Boolean),
            CellValues::Int64(values) => values.get(row).copied().map(Value::Int64),
            CellValues::Float64(values) => values.get(row).copied().map(Value::Float64),
            CellValues::Date(values) => values.get(row).copied().map(Value::Date),
            CellValues::Datetime(values) => values.get(row).copied().map(Value::Datetime),
            CellValues::Utf8 { offsets, text } => {
                let start = *offsets.get(row)? as usize;
                let end = *offsets.get(row + 1)? as usize;
                text.get(start..end).map(Value::Utf8)
            }
            CellValues::Null => None,
        }
    }

    /// Appends the cell as a JSON value, `null` when it is null.
    #[inline]
    pub fn write_json(&self, row: usize, out: &mut impl TextOut) {
        match self.value(row) {
            Some(Value::Datetime(micros)) if self.zone == Zone::Utc => {
                out.push_ascii(b"\"");
                write_iso_datetime(micros, self.zone, out);
                out.push_ascii(b"\"");
            }
            Some(value) => value.write_json(out),
            None => out.push_ascii(b"null"),
        }
    }

    /// Appends the cell's text form (see [`Value::write_text`]), or nothing when it is null;
    /// returns whether the cell had a value.
    #[inline]
    pub fn write_text(&self, row: usize, out: &mut impl TextOut) -> bool {
        match self.value(row) {
            Some(Value::Datetime(micros)) => {
                write_iso_datetime(micros, self.zone, out);
                true
            }
            Some(value) => {
                value.write_text(out);
                true
            }
            None => false,
        }
    }
}

/// One present cell, typed. Nulls are the absence of a `Value`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Value<'a> {
    Boolean(bool),
    Int64(i64),
    Float64(f64),
    Utf8(&'a str),
    /// Days since 1970-01-01.
    Date(i32),
    /// Microseconds since 1970-01-01T00:00:00Z.
    Datetime(i64),
}

impl Value<'_> {
    /// Appends the house text form: integers in decimal, floats shortest round-trip
    /// ([`text::write_float`]), `true`/`false`, dates `YYYY-MM-DD`, datetimes
    /// `YYYY-MM-DDTHH:MM:SS[.ffffff]`, text as is.
    pub fn write_text(&self, out: &mut impl TextOut) {
        match *self {
            Value::Boolean(flag) => out.push_ascii(if flag { b"true" } else { b"false" }),
            Value::Int64(number) => text::write_int(number, out),
            Value::Float64(number) => text::write_float(number, out),
            Value::Utf8(value) => out.push_text(value),
            Value::Date(days) => crate::time::write_iso_date(days, out),
            Value::Datetime(micros) => write_iso_datetime(micros, Zone::Unspecified, out),
        }
    }

    /// Appends the value as JSON: numbers as numbers (non-finite floats as `null`, which JSON
    /// cannot otherwise express), booleans as booleans, text, dates and datetimes as strings.
    pub fn write_json(&self, out: &mut impl TextOut) {
        match *self {
            Value::Boolean(_) | Value::Int64(_) => self.write_text(out),
            Value::Float64(number) if !number.is_finite() => out.push_ascii(b"null"),
            Value::Float64(number) => text::write_float(number, out),
            Value::Utf8(value) => text::write_json_string(value, out),
            Value::Date(_) | Value::Datetime(_) => {
                out.push_ascii(b"\"");
                self.write_text(out);
                out.push_ascii(b"\"");
            }
        }
    }
}

impl fmt::Display for Value<'_> {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rendered = String::new();
        self.write_text(&mut rendered);
        formatter.write_str(&rendered)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Utf8Values;

    fn utf8_column(values: &[Option<&str>]) -> ColumnData {
        let mut offsets = vec![0u32];
        let mut data = String::new();
        let mut validity = vec![0u8; values.len().div_ceil(8)];
        for (row, value) in values.iter().enumerate() {
            if let Some(text) = value {
                data.push_str(text);
                validity[row / 8] |= 1 << (row % 8);
            }
            offsets.push(data.len() as u32);
        }
        ColumnData {
            validity: Some(validity),
            values: ColumnValues::Utf8(Utf8Values { offsets, data }),
        }
    }

    fn schema(columns: &[(&str, ColumnType)]) -> Vec<Column> {
        columns
            .iter()
            .map(|(name, kind)| Column::new(*name, *kind))
            .collect()
    }

    #[test]
    fn validity_bits_are_least_significant_first() {
        let column = ColumnData {
            // rows 0 and 9 present, everything else null
            validity: Some(vec![0b0000_0001, 0b0000_0010]),
            values: ColumnValues::Int64((0..10).collect()),
        };
        let view = ColumnView::new(&column, 10);
        let present: Vec<usize> = (0..10).filter(|row| view.is_valid(*row)).collect();
        assert_eq!(present, vec![0, 9]);
        assert_eq!(view.int64(9), Some(9));
        assert_eq!(view.int64(1), None);
        assert!(view.is_null(10), "past the end reads as null");
    }

    #[test]
    fn missing_bitmap_means_every_value_present() {
        let column = ColumnData {
            validity: None,
            values: ColumnValues::Boolean(vec![true, false]),
        };
        let view = ColumnView::new(&column, 2);
        assert_eq!(view.boolean(0), Some(true));
        assert_eq!(view.boolean(1), Some(false));
        assert_eq!(
            view.int64(0),
            None,
            "asking for the wrong type reads as nothing"
        );
    }

    #[test]
    fn utf8_values_are_cut_by_offsets() {
        let column = utf8_column(&[Some("zürich"), None, Some(""), Some("b")]);
        let view = ColumnView::new(&column, 4);
        assert_eq!(view.utf8(0), Some("zürich"));
        assert_eq!(view.utf8(1), None);
        assert_eq!(view.utf8(2), Some(""));
        assert_eq!(view.utf8(3), Some("b"));
    }

    #[test]
    fn null_columns_have_no_values() {
        let column = ColumnData {
            validity: None,
            values: ColumnValues::Null(3),
        };
        let view = ColumnView::new(&column, 3);
        assert!((0..3).all(|row| view.value(row).is_none()));
        let mut json = String::new();
        view.write_json(0, &mut json);
        assert_eq!(json, "null");
    }

    #[test]
    fn cells_render_as_text_and_json() {
        let cases = [
            (Value::Boolean(true), "true", "true"),
            (Value::Int64(-42), "-42", "-42"),
            (Value::Float64(0.1), "0.1", "0.1"),
            (Value::Float64(f64::NAN), "NaN", "null"),
            (Value::Float64(f64::NEG_INFINITY), "-Infinity", "null"),
            (Value::Utf8("a \"q\""), "a \"q\"", r#""a \"q\"""#),
            (Value::Date(19_723), "2024-01-01", r#""2024-01-01""#),
            (
                Value::Datetime(1_500_000),
                "1970-01-01T00:00:01.500000",
                r#""1970-01-01T00:00:01.500000""#,
            ),
        ];
        for (value, text, json) in cases {
            assert_eq!(value.to_string(), text);
            let mut rendered = String::new();
            value.write_json(&mut rendered);
            assert_eq!(rendered, json, "{value:?}");
        }
    }

    // Issue 14, item 22: a datetime given with a zone is an instant in UTC and must say so,
    // or readers take it for local time; one given without a zone must not claim one.
    #[test]
    fn datetimes_of_utc_columns_end_in_z() {
        let column = ColumnData {
            validity: Some(vec![0b01]),
            values: ColumnValues::Datetime(vec![1_717_245_000_000_000, 0]),
        };
        let zoned = Column {
            time_zone: Some("UTC".into()),
            ..Column::new("at", ColumnType::Datetime)
        };
        let local = Column::new("at", ColumnType::Datetime);
        assert!(zoned.is_utc());
        assert!(!local.is_utc());
        assert!(!Column::new("n", ColumnType::Int64).is_utc());
        let cells = ColumnView::new(&column, 2).cells();
        let (mut text, mut json) = (String::new(), String::new());
        assert!(cells.of_column(&zoned).write_text(0, &mut text));
        cells.of_column(&zoned).write_json(0, &mut json);
        assert_eq!(text, "2024-06-01T12:30:00Z");
        assert_eq!(json, r#""2024-06-01T12:30:00Z""#);
        let (mut text, mut json) = (String::new(), String::new());
        assert!(cells.of_column(&local).write_text(0, &mut text));
        cells.of_column(&local).write_json(0, &mut json);
        assert_eq!(text, "2024-06-01T12:30:00");
        assert_eq!(json, r#""2024-06-01T12:30:00""#);
        let mut null = String::new();
        assert!(!cells.of_column(&zoned).write_text(1, &mut null));
        cells.of_column(&zoned).write_json(1, &mut null);
        assert_eq!(null, "null");
    }

    #[test]
    fn cells_read_as_the_view_does() {
        let columns = [
            utf8_column(&[Some("zürich"), None, Some(""), Some("b"), None, Some("😀")]),
            ColumnData {
                validity: Some(vec![0b0010_1101]),
                values: ColumnValues::Float64(vec![0.5, 1.0, -0.0, f64::NAN, 2.0, 3.0]),
            },
            ColumnData {
                validity: None,
                values: ColumnValues::Datetime(vec![0, -1, i64::MIN, i64::MAX, 5, 6]),
            },
            ColumnData {
                validity: None,
                values: ColumnValues::Null(6),
            },
        ];
        for column in &columns {
            let view = ColumnView::new(column, 6);
            let cells = view.cells();
            for row in 0..8 {
                let (from_view, from_cells) = (view.value(row), cells.value(row));
                match (from_view, from_cells) {
                    (Some(Value::Float64(a)), Some(Value::Float64(b))) => {
                        assert_eq!(a.to_bits(), b.to_bits());
                    }
                    _ => assert_eq!(from_view, from_cells, "row {row}"),
                }
                let (mut json_view, mut json_cells) = (String::new(), Vec::new());
                view.write_json(row, &mut json_view);
                cells.write_json(row, &mut json_cells);
                assert_eq!(json_view.as_bytes(), json_cells);
            }
        }
    }

    #[test]
    fn text_cut_inside_a_character_reads_as_null() {
        // Only a batch that failed `Batch::check_shape` has such offsets; the readers still
        // must not panic on it.
        let column = ColumnData {
            validity: None,
            values: ColumnValues::Utf8(Utf8Values {
                offsets: vec![0, 1, 2],
                data: "é".into(),
            }),
        };
        let view = ColumnView::new(&column, 2);
        let cells = view.cells();
        assert_eq!((cells.value(0), cells.value(1)), (None, None));
        assert_eq!((view.value(0), view.value(1)), (None, None));
    }

    #[test]
    fn batch_columns_are_reachable_by_index() {
        let batch = Batch {
            rows: 2,
            columns: vec![
                ColumnData {
                    validity: None,
                    values: ColumnValues::Int64(vec![1, 2]),
                },
                utf8_column(&[Some("x"), None]),
            ],
        };
        assert_eq!(batch.row_count(), 2);
        assert_eq!(batch.column(1).and_then(|c| c.utf8(0)), Some("x"));
        assert!(batch.column(2).is_none());
        assert_eq!(batch.column_views().len(), 2);
        let mut text = String::new();
        assert!(!batch.column(1).unwrap().write_text(1, &mut text));
        assert!(text.is_empty());
    }

    #[test]
    fn well_formed_batches_pass_the_shape_check() {
        let batch = Batch {
            rows: 3,
            columns: vec![
                ColumnData {
                    validity: None,
                    values: ColumnValues::Float64(vec![1.0, 2.0, 3.0]),
                },
                utf8_column(&[Some("a"), None, Some("é")]),
                ColumnData {
                    validity: None,
                    values: ColumnValues::Null(3),
                },
            ],
        };
        let columns = schema(&[
            ("f", ColumnType::Float64),
            ("s", ColumnType::Utf8),
            ("n", ColumnType::Null),
        ]);
        assert_eq!(batch.check_shape(&columns), Ok(()));
    }

    #[test]
    fn malformed_batches_fail_the_shape_check_naming_the_column() {
        let int_schema = schema(&[("n", ColumnType::Int64)]);
        let failures = [
            (
                Batch {
                    rows: 1,
                    columns: vec![],
                },
                "batch has 0 columns, the schema 1",
            ),
            (
                Batch {
                    rows: 1,
                    columns: vec![ColumnData {
                        validity: None,
                        values: ColumnValues::Boolean(vec![true]),
                    }],
                },
                "values are boolean, the schema says int64",
            ),
            (
                Batch {
                    rows: 2,
                    columns: vec![ColumnData {
                        validity: None,
                        values: ColumnValues::Int64(vec![1]),
                    }],
                },
                "1 values for 2 rows",
            ),
            (
                Batch {
                    rows: 9,
                    columns: vec![ColumnData {
                        validity: Some(vec![0xff]),
                        values: ColumnValues::Int64(vec![0; 9]),
                    }],
                },
                "validity bitmap has 1 bytes, 9 rows need 2",
            ),
        ];
        for (batch, expected) in failures {
            let error = batch.check_shape(&int_schema).unwrap_err();
            assert!(
                error.message().contains(expected),
                "{error:?} should say {expected}"
            );
        }
        let text_schema = schema(&[("s", ColumnType::Utf8)]);
        let bad_text = |offsets: Vec<u32>, data: &str| Batch {
            rows: 1,
            columns: vec![ColumnData {
                validity: None,
                values: ColumnValues::Utf8(Utf8Values {
                    offsets,
                    data: data.into(),
                }),
            }],
        };
        for (batch, expected) in [
            (bad_text(vec![0, 5], "abc"), "do not fit 3 bytes"),
            (bad_text(vec![2, 1], "abc"), "do not fit"),
            (bad_text(vec![0, 1], "é"), "split a character"),
            (bad_text(vec![0], ""), "1 text offsets for 1 rows"),
        ] {
            let error = batch.check_shape(&text_schema).unwrap_err();
            assert!(error.message().contains("column 0 (`s`)"), "{error:?}");
            assert!(
                error.message().contains(expected),
                "{error:?} should say {expected}"
            );
        }
    }
}
