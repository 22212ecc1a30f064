//! Column types as Tessera shows them, independent of polars' own type names.

use std::path::Path;

use polars::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::IngestError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ColumnInfo {
    pub name: String,
    /// `integer`, `float`, `boolean`, `string`, `date`, `datetime`, `datetime[UTC]`, `time`,
    /// `duration` or `null`. `datetime[UTC]` holds instants, given with a zone or offset and
    /// stored in UTC; a plain `datetime` had none (a local or unspecified time).
    #[serde(rename = "type")]
    pub data_type: String,
}

/// A version's columns as stored with it (`schema_json`). Read in this one place; a value that
/// cannot be read (no version writes one) shows as no columns.
pub fn stored_columns(stored: &str) -> Vec<ColumnInfo> {
    serde_json::from_str(stored).unwrap_or_default()
}

/// How a version's columns differ from the one before it: what a reader of the dataset, or a
/// link that follows its latest version, would meet unannounced. Columns are matched by name;
/// a column only moved keeps its name and type, so it is no change here.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct SchemaChange {
    /// Columns the new version has and the current one does not.
    pub added: Vec<ColumnInfo>,
    /// Columns the current version has and the new one does not (with their current type).
    pub removed: Vec<ColumnInfo>,
    /// Columns in both, with another type.
    pub retyped: Vec<Retyped>,
}

/// A column kept under its name with another type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct Retyped {
    pub column: String,
    /// Its type in the current version.
    pub from: String,
    /// Its type in the new one.
    pub to: String,
}

impl SchemaChange {
    /// The difference from `current` to `new`, each listed in its own version's column order.
    pub fn between(current: &[ColumnInfo], new: &[ColumnInfo]) -> Self {
        let find = |columns: &[ColumnInfo], name: &str| -> Option<String> {
            columns
                .iter()
                .find(|c| c.name == name)
                .map(|c| c.data_type.clone())
        };
        let mut change = SchemaChange::default();
        for column in new {
            match find(current, &column.name) {
                None => change.added.push(column.clone()),
                Some(from) if from != column.data_type => change.retyped.push(Retyped {
                    column: column.name.clone(),
                    from,
                    to: column.data_type.clone(),
                }),
                Some(_) => {}
            }
        }
        change.removed = current
            .iter()
            .filter(|c| find(new, &c.name).is_none())
            .cloned()
            .collect();
        change
    }

    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty() && self.retyped.is_empty()
    }

    /// The change in a sentence: "added depth (float); removed site; score changed from
    /// integer to string".
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if !self.added.is_empty() {
            let names: Vec<String> = self
                .added
                .iter()
                .map(|c| format!("{} ({})", c.name, c.data_type))
                .collect();
            parts.push(format!("added {}", names.join(", ")));
        }
        if !self.removed.is_empty() {
            let names: Vec<&str> = self.removed.iter().map(|c| c.name.as_str()).collect();
            parts.push(format!("removed {}", names.join(", ")));
        }
        for retyped in &self.retyped {
            parts.push(format!(
                "{} changed from {} to {}",
                retyped.column, retyped.from, retyped.to
            ));
        }
        parts.join("; ")
    }
}

pub fn type_name(data_type: &DataType) -> String {
    match data_type {
        DataType::Int8
        | DataType::Int16
        | DataType::Int32
        | DataType::Int64
        | DataType::UInt8
        | DataType::UInt16
        | DataType::UInt32
        | DataType::UInt64 => "integer".into(),
        DataType::Float32 | DataType::Float64 => "float".into(),
        DataType::Boolean => "boolean".into(),
        DataType::String => "string".into(),
        DataType::Date => "date".into(),
        DataType::Datetime(_, None) => "datetime".into(),
        // A zoned value is an instant held as UTC whatever zone it is labelled with (Arrow's
        // and Parquet's rule: text with offsets arrives labelled `UTC`, Parquet may say
        // `+00:00` or a named zone), and every page and format shows it in UTC.
        DataType::Datetime(_, Some(_)) => "datetime[UTC]".into(),
        DataType::Duration(_) => "duration".into(),
        DataType::Null => "null".into(),
        other => other.to_string(),
    }
}

/// Row count (from the footer, without reading data) and schema of a Parquet file.
pub fn describe_parquet(path: &Path) -> Result<(i64, Vec<ColumnInfo>), IngestError> {
    let mut reader = ParquetReader::new(std::fs::File::open(path)?);
    let rows = reader
        .num_rows()
        .map_err(|e| IngestError::Internal(e.to_string()))? as i64;
    let mut frame = LazyFrame::scan_parquet(
        PlRefPath::new(path.to_string_lossy().as_ref()),
        ScanArgsParquet::default(),
    )
    .map_err(|e| IngestError::Internal(e.to_string()))?;
    let schema = frame
        .collect_schema()
        .map_err(|e| IngestError::Internal(e.to_string()))?;
    let columns = schema
        .iter()
        .map(|(name, dtype)| ColumnInfo {
            name: name.to_string(),
            data_type: type_name(dtype),
        })
        .collect();
    Ok((rows, columns))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column(name: &str, data_type: &str) -> ColumnInfo {
        ColumnInfo {
            name: name.into(),
            data_type: data_type.into(),
        }
    }

    // Issue 16: a new version's columns are compared by name; a move is no change.
    #[test]
    fn a_schema_change_names_added_removed_and_retyped_columns() {
        let current = [
            column("id", "integer"),
            column("site", "string"),
            column("score", "integer"),
        ];
        let moved = [
            column("site", "string"),
            column("id", "integer"),
            column("score", "integer"),
        ];
        assert!(SchemaChange::between(&current, &moved).is_empty());
        let new = [
            column("id", "integer"),
            column("score", "string"),
            column("depth", "float"),
        ];
        let change = SchemaChange::between(&current, &new);
        assert_eq!(change.added, [column("depth", "float")]);
        assert_eq!(change.removed, [column("site", "string")]);
        assert_eq!(
            change.retyped,
            [Retyped {
                column: "score".into(),
                from: "integer".into(),
                to: "string".into()
            }]
        );
        assert_eq!(
            change.describe(),
            "added depth (float); removed site; score changed from integer to string"
        );
    }

    // Issue 14, item 22: instants arrive labelled in many ways (`UTC` from text with offsets,
    // `+00:00` or a named zone from Parquet); the values are UTC whatever the label, and every
    // page shows them so: `datetime[UTC]`, RFC 3339 with `Z`. A datetime without a zone stays
    // a plain `datetime`, without `Z`.
    #[test]
    fn zoned_datetimes_read_as_utc_whatever_their_label() {
        let folder = tempfile::tempdir().unwrap();
        let path = folder.path().join("v1.parquet");
        let micros = [Some(1_717_237_800_000_000i64), None];
        let mut columns: Vec<Column> = ["UTC", "+00:00", "Europe/Oslo"]
            .iter()
            .map(|zone| {
                Int64Chunked::new((*zone).into(), micros)
                    .into_datetime(
                        TimeUnit::Microseconds,
                        TimeZone::opt_try_new(Some(*zone)).unwrap(),
                    )
                    .into_series()
                    .into()
            })
            .collect();
        columns.push(
            Int64Chunked::new("local".into(), micros)
                .into_datetime(TimeUnit::Microseconds, None)
                .into_series()
                .into(),
        );
        let mut frame = DataFrame::new(2, columns).unwrap();
        ParquetWriter::new(std::fs::File::create(&path).unwrap())
            .finish(&mut frame)
            .unwrap();
        let (_, described) = describe_parquet(&path).unwrap();
        let types: Vec<&str> = described.iter().map(|c| c.data_type.as_str()).collect();
        assert_eq!(
            types,
            [
                "datetime[UTC]",
                "datetime[UTC]",
                "datetime[UTC]",
                "datetime"
            ]
        );
        let rows = super::super::preview::read_rows(&path, 0, 2).unwrap();
        assert_eq!(
            rows[0],
            [
                "2024-06-01T10:30:00Z",
                "2024-06-01T10:30:00Z",
                "2024-06-01T10:30:00Z",
                "2024-06-01T10:30:00"
            ]
        );
        assert!(rows[1].iter().all(serde_json::Value::is_null));
    }
}
