//! Reading a window of rows from a stored version for the preview API, as JSON values.
//!
//! Every page that shows rows (the rows API, the dataset page, a view link's page and rows)
//! reads them here, so a cell looks the same everywhere: numbers stay numbers, dates and
//! datetimes become ISO 8601 text, and a datetime given with a zone, stored in UTC, ends in `Z`
//! (RFC 3339, section 5.6) so that nobody reads it as local time.

use std::path::Path;

use polars::prelude::*;
use serde_json::Value;

use super::IngestError;

/// Rows `offset..offset+limit` as arrays of JSON values, in column order.
pub fn read_rows(path: &Path, offset: i64, limit: u32) -> Result<Vec<Vec<Value>>, IngestError> {
    let frame = LazyFrame::scan_parquet(
        PlRefPath::new(path.to_string_lossy().as_ref()),
        ScanArgsParquet::default(),
    )
    .and_then(|lf| lf.slice(offset, limit as IdxSize).collect())
    .map_err(|e| IngestError::Internal(e.to_string()))?;

    let columns = frame.columns();
    let mut rows = Vec::with_capacity(frame.height());
    for row in 0..frame.height() {
        let mut values = Vec::with_capacity(columns.len());
        for column in columns {
            let value = column
                .get(row)
                .map_err(|e| IngestError::Internal(e.to_string()))?;
            values.push(to_json(&value));
        }
        rows.push(values);
    }
    Ok(rows)
}

/// One cell as JSON: numbers stay numbers, dates become ISO 8601 text.
pub fn to_json(value: &AnyValue) -> Value {
    match value {
        // A zoned value is an instant, kept as UTC whatever zone it is labelled with (Arrow's
        // and Parquet's rule). polars would print it in its zone, which takes the time-zone
        // database of its `timezones` feature (and panics without it): it is printed here as
        // the UTC wall time it holds, with the `Z` that says so.
        AnyValue::Datetime(instant, unit, Some(_))
        | AnyValue::DatetimeOwned(instant, unit, Some(_)) => Value::String(format!(
            "{}Z",
            iso_text(&AnyValue::Datetime(*instant, *unit, None))
        )),
        AnyValue::Null => Value::Null,
        AnyValue::Boolean(b) => Value::Bool(*b),
        AnyValue::String(s) => Value::String((*s).to_owned()),
        AnyValue::StringOwned(s) => Value::String(s.to_string()),
        AnyValue::Int8(v) => Value::from(*v),
        AnyValue::Int16(v) => Value::from(*v),
        AnyValue::Int32(v) => Value::from(*v),
        AnyValue::Int64(v) => Value::from(*v),
        AnyValue::UInt8(v) => Value::from(*v),
        AnyValue::UInt16(v) => Value::from(*v),
        AnyValue::UInt32(v) => Value::from(*v),
        AnyValue::UInt64(v) => Value::from(*v),
        AnyValue::Float32(v) => {
            serde_json::Number::from_f64(f64::from(*v)).map_or(Value::Null, Value::Number)
        }
        AnyValue::Float64(v) => serde_json::Number::from_f64(*v).map_or(Value::Null, Value::Number),
        AnyValue::Date(_) | AnyValue::Datetime(..) | AnyValue::DatetimeOwned(..) => {
            Value::String(iso_text(value))
        }
        other => Value::String(other.to_string().trim_matches('"').to_owned()),
    }
}

/// A date or a datetime without a zone in ISO 8601: `2024-01-31`, `2024-01-31T10:00:00`.
fn iso_text(value: &AnyValue) -> String {
    value.to_string().trim_matches('"').replace(' ', "T")
}
