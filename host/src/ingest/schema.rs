//! Column types as Tessera shows them, independent of polars' own type names.

use std::path::Path;

use polars::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::IngestError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ColumnInfo {
    pub name: String,
    /// `integer`, `float`, `boolean`, `string`, `date`, `datetime`, `time`, `duration` or `null`.
    #[serde(rename = "type")]
    pub data_type: String,
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
        DataType::Datetime(_, _) => "datetime".into(),
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
