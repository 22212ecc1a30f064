//! Each column's summary: its type, how many values, nulls and distinct values it holds, its
//! range and mean, and its shape — a histogram for numbers and dates, the most frequent values
//! for text and booleans. Computed by polars over the whole version, then kept in the database
//! (a version never changes), so that the page shows them at once from the second visit on and
//! every replica shares them.

use std::path::Path;

use polars::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::ExploreError;
use super::view::scan;
use crate::db::Database;
use crate::db::column_summaries::ColumnSummaryCache;
use crate::db::dataset_versions::DatasetVersion;
use crate::ingest::preview::to_json;
use crate::ingest::schema::type_name;
use crate::storage::Storage;

/// Bars of a histogram (fewer for whole numbers spanning fewer values).
pub const BINS: i64 = 20;
/// Most frequent values listed for a text or boolean column.
pub const TOP_VALUES: u32 = 10;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(examples(json!({
    "name": "depth_m", "type": "float", "count": 2, "nulls": 1, "distinct": 2,
    "min": -3.25, "max": 1.5, "mean": -0.875,
    "histogram": [{"from": -3.25, "to": 1.5, "count": 2}]
})))]
pub struct ColumnSummary {
    pub name: String,
    /// The column's type, as the rows API names it.
    #[serde(rename = "type")]
    pub data_type: String,
    /// Cells holding a value.
    pub count: i64,
    /// Empty cells.
    pub nulls: i64,
    /// Different values, empty cells not counted.
    pub distinct: i64,
    /// The smallest and largest value (numbers, dates, times, text), as cells are given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<Value>,
    /// The mean of a number column.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mean: Option<f64>,
    /// Numbers and dates: how many values fall in each of equal ranges, lowest first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub histogram: Option<Vec<Bin>>,
    /// Text and booleans: the most frequent values, the most frequent first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top_values: Option<Vec<ValueCount>>,
}

/// One bar of a histogram: values from `from` up to `to` (the last bar includes `to`; a bar
/// of one whole number has both equal).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Bin {
    pub from: Value,
    pub to: Value,
    pub count: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ValueCount {
    pub value: Value,
    pub count: i64,
}

/// The version's summaries, computed on first asking and kept.
pub async fn for_version(
    db: &Database,
    storage: &Storage,
    version: &DatasetVersion,
) -> Result<Vec<ColumnSummary>, ExploreError> {
    let (dataset, number) = (version.dataset_id.clone(), version.version);
    let cached = db
        .run(move |conn| ColumnSummaryCache::get(conn, &dataset, number))
        .await
        .map_err(|e| ExploreError::Data(e.to_string()))?;
    // A summary that no longer reads (written by another release) is computed again.
    if let Some(summaries) = cached.and_then(|json| serde_json::from_str(&json).ok()) {
        return Ok(summaries);
    }
    let path = storage.absolute(&version.file_path);
    let summaries = tokio::task::spawn_blocking(move || summarise(&path))
        .await
        .map_err(|e| ExploreError::Data(e.to_string()))??;
    let json = serde_json::to_string(&summaries).map_err(|e| ExploreError::Data(e.to_string()))?;
    let (dataset, now) = (version.dataset_id.clone(), crate::time::now_millis());
    db.run(move |conn| ColumnSummaryCache::put(conn, &dataset, number, &json, now))
        .await
        .map_err(|e| ExploreError::Data(e.to_string()))?;
    Ok(summaries)
}

/// Computes a new version's summaries in the background, so that the first reader of its page
/// finds them ready; a failure is only logged (the page computes them when asked).
pub fn prepare(db: Database, storage: Storage, version: DatasetVersion) {
    tokio::spawn(async move {
        if let Err(err) = for_version(&db, &storage, &version).await {
            tracing::warn!(dataset = %version.dataset_id, version = version.version, error = %err, "column summaries not prepared");
        }
    });
}

/// How a column is summarised, by its type.
#[derive(Clone, Copy, PartialEq)]
enum Shape {
    /// Numbers: range, mean and histogram.
    Number { whole: bool },
    /// Dates and datetimes: range and histogram, over their integer representation.
    Temporal,
    /// Text and booleans: the most frequent values (and, for text, the range).
    Categorical { ordered: bool },
    /// Anything else: counts only.
    Other,
}

fn shape_of(dtype: &DataType) -> Shape {
    match dtype {
        d if d.is_integer() => Shape::Number { whole: true },
        d if d.is_float() => Shape::Number { whole: false },
        DataType::Date | DataType::Datetime(..) => Shape::Temporal,
        DataType::String => Shape::Categorical { ordered: true },
        DataType::Boolean => Shape::Categorical { ordered: false },
        _ => Shape::Other,
    }
}

/// Summarises every column of the version stored at `parquet`.
pub fn summarise(parquet: &Path) -> Result<Vec<ColumnSummary>, ExploreError> {
    let frame = scan(parquet)?;
    let schema = frame.clone().collect_schema()?;
    let columns: Vec<(String, DataType)> = schema
        .iter()
        .map(|(name, dtype)| (name.to_string(), dtype.clone()))
        .collect();
    if columns.is_empty() {
        return Ok(Vec::new());
    }

    // One pass for every column's counts, range and mean.
    let mut stats = vec![len().alias("\u{1}rows")];
    for (i, (name, dtype)) in columns.iter().enumerate() {
        let c = || col(name.as_str());
        stats.push(c().null_count().alias(format!("\u{1}{i}nulls")));
        stats.push(
            c().drop_nulls()
                .n_unique()
                .alias(format!("\u{1}{i}distinct")),
        );
        let shape = shape_of(dtype);
        if matches!(
            shape,
            Shape::Number { .. } | Shape::Temporal | Shape::Categorical { ordered: true }
        ) {
            stats.push(c().min().alias(format!("\u{1}{i}min")));
            stats.push(c().max().alias(format!("\u{1}{i}max")));
        }
        if matches!(shape, Shape::Number { .. }) {
            stats.push(
                c().cast(DataType::Float64)
                    .mean()
                    .alias(format!("\u{1}{i}mean")),
            );
        }
    }
    let stats = frame.clone().select(stats).collect()?;
    let read = |key: &str| -> Result<Option<AnyValue<'static>>, ExploreError> {
        Ok(match stats.column(key) {
            Ok(column) => Some(column.get(0)?.into_static()),
            Err(_) => None,
        })
    };
    let rows = read("\u{1}rows")?
        .and_then(|v| v.extract::<i64>())
        .unwrap_or(0);

    let mut summaries = Vec::with_capacity(columns.len());
    for (i, (name, dtype)) in columns.iter().enumerate() {
        let nulls = read(&format!("\u{1}{i}nulls"))?
            .and_then(|v| v.extract::<i64>())
            .unwrap_or(0);
        let distinct = read(&format!("\u{1}{i}distinct"))?
            .and_then(|v| v.extract::<i64>())
            .unwrap_or(0);
        let min = read(&format!("\u{1}{i}min"))?.filter(|v| !v.is_null());
        let max = read(&format!("\u{1}{i}max"))?.filter(|v| !v.is_null());
        let mean = read(&format!("\u{1}{i}mean"))?
            .and_then(|v| v.extract::<f64>())
            .filter(|m| m.is_finite());
        let shape = shape_of(dtype);
        let histogram = match (&shape, &min, &max) {
            (Shape::Number { .. } | Shape::Temporal, Some(low), Some(high)) => Some(histogram(
                &frame,
                name,
                dtype,
                shape == Shape::Number { whole: true },
                low,
                high,
            )?),
            _ => None,
        };
        let top_values = match shape {
            Shape::Categorical { .. } => Some(top_values(&frame, name)?),
            _ => None,
        };
        summaries.push(ColumnSummary {
            name: name.clone(),
            data_type: type_name(dtype),
            count: rows - nulls,
            nulls,
            distinct,
            min: min.as_ref().map(to_json),
            max: max.as_ref().map(to_json),
            mean,
            histogram,
            top_values,
        });
    }
    Ok(summaries)
}

/// A number, date or datetime as the number the histogram counts with: the value itself, or
/// days (dates) or the time unit's ticks (datetimes) since 1970.
fn as_number(value: &AnyValue) -> Option<f64> {
    match value {
        AnyValue::Date(days) => Some(f64::from(*days)),
        AnyValue::Datetime(ticks, ..) | AnyValue::DatetimeOwned(ticks, ..) => Some(*ticks as f64),
        other => other.extract::<f64>(),
    }
}

/// A histogram edge back in the column's own kind of value.
fn edge(value: f64, dtype: &DataType) -> Value {
    match dtype {
        DataType::Date => to_json(&AnyValue::Date(value.round() as i32)),
        DataType::Datetime(unit, zone) => to_json(&AnyValue::DatetimeOwned(
            value.round() as i64,
            *unit,
            zone.clone().map(std::sync::Arc::new),
        )),
        _ => serde_json::Number::from_f64(value).map_or(Value::Null, Value::Number),
    }
}

fn histogram(
    frame: &LazyFrame,
    name: &str,
    dtype: &DataType,
    whole: bool,
    low: &AnyValue,
    high: &AnyValue,
) -> Result<Vec<Bin>, ExploreError> {
    let (Some(low), Some(high)) = (as_number(low), as_number(high)) else {
        return Ok(Vec::new());
    };
    // Whole numbers spanning fewer values than bars get one bar each.
    let (bins, width) = if whole && high - low + 1.0 <= BINS as f64 {
        ((high - low) as i64 + 1, 1.0)
    } else if high > low {
        (BINS, (high - low) / BINS as f64)
    } else {
        (1, 1.0)
    };
    let numeric = match dtype {
        DataType::Date => col(name).cast(DataType::Int32).cast(DataType::Float64),
        DataType::Datetime(unit, _) => col(name)
            .cast(DataType::Datetime(*unit, None))
            .cast(DataType::Int64)
            .cast(DataType::Float64),
        _ => col(name).cast(DataType::Float64),
    };
    // Values are at least `low`, so truncating is flooring; the highest value joins the last
    // bar.
    let index = ((numeric - lit(low)) / lit(width)).cast(DataType::Int64);
    let index = when(index.clone().gt_eq(lit(bins)))
        .then(lit(bins - 1))
        .otherwise(index)
        .alias("\u{1}bin");
    let counted = frame
        .clone()
        .filter(col(name).is_not_null())
        .select([index])
        .group_by([col("\u{1}bin")])
        .agg([len().alias("\u{1}count")])
        .collect()?;
    let mut counts = vec![0_i64; bins as usize];
    let (indexes, sizes) = (counted.column("\u{1}bin")?, counted.column("\u{1}count")?);
    for i in 0..counted.height() {
        if let (Some(bin), Some(size)) = (
            indexes.get(i)?.extract::<i64>(),
            sizes.get(i)?.extract::<i64>(),
        ) && let Some(slot) = usize::try_from(bin).ok().and_then(|b| counts.get_mut(b))
        {
            *slot += size;
        }
    }
    Ok(counts
        .into_iter()
        .enumerate()
        .map(|(i, count)| {
            let from = low + width * i as f64;
            Bin {
                from: edge(from, dtype),
                to: edge(
                    if whole && width == 1.0 {
                        from
                    } else {
                        from + width
                    },
                    dtype,
                ),
                count,
            }
        })
        .collect())
}

fn top_values(frame: &LazyFrame, name: &str) -> Result<Vec<ValueCount>, ExploreError> {
    let counted = frame
        .clone()
        .filter(col(name).is_not_null())
        .group_by([col(name)])
        .agg([len().alias("\u{1}count")])
        .sort_by_exprs(
            [col("\u{1}count"), col(name)],
            SortMultipleOptions::default().with_order_descending_multi([true, false]),
        )
        .limit(TOP_VALUES as IdxSize)
        .collect()?;
    let (values, counts) = (counted.column(name)?, counted.column("\u{1}count")?);
    let mut found = Vec::with_capacity(counted.height());
    for i in 0..counted.height() {
        found.push(ValueCount {
            value: to_json(&values.get(i)?),
            count: counts.get(i)?.extract::<i64>().unwrap_or(0),
        });
    }
    Ok(found)
}
