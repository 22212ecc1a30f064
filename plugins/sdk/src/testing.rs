//! Building export requests and batches by hand, and running a whole export natively.
//!
//! Plugin tests want to say "these rows, these options, this output" without the host. The
//! constructors here build the WIT types from plain Rust values (`None` is null), and
//! [`run_export`] drives an [`Exporter`] through the same lifecycle and batch checks the
//! component export uses, returning the concatenated output.

use crate::glue;
use crate::{
    Batch, Column, ColumnData, ColumnType, ColumnValues, DatasetInfo, ExportRequest, Exporter,
    PluginError, Utf8Values,
};

/// A request for a dataset with these columns and options (JSON), other fields filled in with
/// fixed placeholder values; change them on the returned value where a test cares.
pub fn export_request(schema: &[(&str, ColumnType)], options: &str) -> ExportRequest {
    ExportRequest {
        schema: schema
            .iter()
            .map(|(name, kind)| Column::new(*name, *kind))
            .collect(),
        dataset: DatasetInfo {
            id: "test-dataset".into(),
            name: "Test dataset".into(),
            description: String::new(),
            version: 1,
            licence: None,
            tags: Vec::new(),
            version_sha256: "0".repeat(64),
        },
        options: options.to_owned(),
        total_rows: 0,
        exported_at: "2024-01-01T00:00:00Z".into(),
        stats: None,
    }
}

impl ExportRequest {
    /// The same request with the named `datetime` columns holding UTC instants (values given
    /// with a zone), as the host describes them.
    pub fn with_utc_columns(mut self, names: &[&str]) -> Self {
        for column in &mut self.schema {
            if names.contains(&column.name.as_str()) {
                column.time_zone = Some("UTC".to_owned());
            }
        }
        self
    }
}

/// Runs `begin`, one `write-batch` per batch and `finish`, as the host would in a fresh
/// instance, and returns everything the exporter wrote.
pub fn run_export<E: Exporter>(
    request: ExportRequest,
    batches: impl IntoIterator<Item = Batch>,
) -> Result<Vec<u8>, PluginError> {
    glue::abandon();
    let mut output = glue::begin::<E>(request)?;
    for batch in batches {
        output.extend(glue::write_batch::<E>(batch)?);
    }
    output.extend(glue::finish::<E>()?);
    Ok(output)
}

impl Batch {
    /// A batch of these columns; the row count is the first column's length (0 without
    /// columns).
    pub fn from_columns(columns: Vec<ColumnData>) -> Self {
        let rows = columns
            .first()
            .map_or(0, |column| value_count(&column.values));
        Batch {
            rows: rows as u32,
            columns,
        }
    }
}

fn value_count(values: &ColumnValues) -> usize {
    match values {
        ColumnValues::Boolean(values) => values.len(),
        ColumnValues::Int64(values) | ColumnValues::Datetime(values) => values.len(),
        ColumnValues::Float64(values) => values.len(),
        ColumnValues::Date(values) => values.len(),
        ColumnValues::Utf8(utf8) => utf8.offsets.len().saturating_sub(1),
        ColumnValues::Null(count) => *count as usize,
    }
}

impl ColumnData {
    pub fn boolean(values: impl IntoIterator<Item = Option<bool>>) -> Self {
        let (validity, values) = split_nulls(values);
        ColumnData {
            validity,
            values: ColumnValues::Boolean(values),
        }
    }

    pub fn int64(values: impl IntoIterator<Item = Option<i64>>) -> Self {
        let (validity, values) = split_nulls(values);
        ColumnData {
            validity,
            values: ColumnValues::Int64(values),
        }
    }

    pub fn float64(values: impl IntoIterator<Item = Option<f64>>) -> Self {
        let (validity, values) = split_nulls(values);
        ColumnData {
            validity,
            values: ColumnValues::Float64(values),
        }
    }

    /// Days since 1970-01-01.
    pub fn date(values: impl IntoIterator<Item = Option<i32>>) -> Self {
        let (validity, values) = split_nulls(values);
        ColumnData {
            validity,
            values: ColumnValues::Date(values),
        }
    }

    /// Microseconds since 1970-01-01T00:00:00Z.
    pub fn datetime(values: impl IntoIterator<Item = Option<i64>>) -> Self {
        let (validity, values) = split_nulls(values);
        ColumnData {
            validity,
            values: ColumnValues::Datetime(values),
        }
    }

    pub fn utf8<'a>(values: impl IntoIterator<Item = Option<&'a str>>) -> Self {
        let (validity, texts) = split_nulls(values.into_iter().map(|v| v.map(str::to_owned)));
        let mut offsets = Vec::with_capacity(texts.len() + 1);
        let mut data = String::new();
        offsets.push(0);
        for text in texts {
            data.push_str(&text);
            offsets.push(data.len() as u32);
        }
        ColumnData {
            validity,
            values: ColumnValues::Utf8(Utf8Values { offsets, data }),
        }
    }

    /// A column of type null with `rows` rows.
    pub fn null(rows: u32) -> Self {
        ColumnData {
            validity: None,
            values: ColumnValues::Null(rows),
        }
    }
}

/// The values with nulls replaced by defaults, and the validity bitmap, absent when nothing is
/// null (as the host sends it).
fn split_nulls<T: Default>(
    values: impl IntoIterator<Item = Option<T>>,
) -> (Option<Vec<u8>>, Vec<T>) {
    let mut bitmap = Vec::new();
    let mut present = Vec::new();
    let mut any_null = false;
    for (row, value) in values.into_iter().enumerate() {
        if row % 8 == 0 {
            bitmap.push(0u8);
        }
        match value {
            Some(value) => {
                if let Some(byte) = bitmap.last_mut() {
                    *byte |= 1 << (row % 8);
                }
                present.push(value);
            }
            None => {
                any_null = true;
                present.push(T::default());
            }
        }
    }
    (any_null.then_some(bitmap), present)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ColumnView;

    #[test]
    fn built_columns_read_back() {
        let batch = Batch::from_columns(vec![
            ColumnData::int64([Some(1), None, Some(3)]),
            ColumnData::utf8([None, Some("b"), Some("")]),
            ColumnData::null(3),
        ]);
        assert_eq!(batch.rows, 3);
        let ints = batch.column(0).unwrap();
        assert_eq!(
            (0..3).map(|row| ints.int64(row)).collect::<Vec<_>>(),
            [Some(1), None, Some(3)]
        );
        let texts = batch.column(1).unwrap();
        assert_eq!(
            (0..3).map(|row| texts.utf8(row)).collect::<Vec<_>>(),
            [None, Some("b"), Some("")]
        );
        let schema = [
            ("i", ColumnType::Int64),
            ("s", ColumnType::Utf8),
            ("n", ColumnType::Null),
        ];
        assert_eq!(
            batch.check_shape(&export_request(&schema, "{}").schema),
            Ok(())
        );
    }

    #[test]
    fn columns_without_nulls_have_no_bitmap() {
        let column = ColumnData::boolean([Some(true), Some(false)]);
        assert!(column.validity.is_none());
        assert_eq!(ColumnView::new(&column, 2).boolean(1), Some(false));
    }
}
