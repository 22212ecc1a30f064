//! Per-column summary statistics for report formats (a PDF report prints them before its
//! table), computed by polars over exactly the rows being exported.
//!
//! Only a plugin whose `describe()` sets `wants-stats` pays for them: one extra streaming pass
//! over the selected rows. `distinct` counts exact distinct values, so its memory grows with
//! the number of distinct values in a column, not with the number of rows.

use polars::prelude::*;

use super::ExportError;
use crate::plugins::exporter::ColumnStats;

const KINDS: [&str; 6] = ["count", "nulls", "min", "max", "mean", "distinct"];

fn alias(index: usize, kind: &str) -> String {
    format!("{index}\u{1f}{kind}")
}

fn is_numeric(dtype: &DataType) -> bool {
    dtype.is_primitive_numeric()
}

/// Statistics of every column of `frame` (already filtered, projected and renamed).
pub fn column_stats(frame: &LazyFrame, schema: &Schema) -> Result<Vec<ColumnStats>, ExportError> {
    if schema.is_empty() {
        return Ok(Vec::new());
    }
    let mut exprs = Vec::with_capacity(schema.len() * KINDS.len());
    for (index, (name, dtype)) in schema.iter().enumerate() {
        let column = match dtype {
            // polars renders a zoned datetime as text in its zone, which needs its time-zone
            // database; the instant is UTC whatever the label, so it is rendered as the UTC
            // wall time it holds and marked with `Z` below.
            DataType::Datetime(unit, Some(_)) => {
                col(name.clone()).cast(DataType::Datetime(*unit, None))
            }
            _ => col(name.clone()),
        };
        exprs.push(
            column
                .clone()
                .count()
                .cast(DataType::UInt64)
                .alias(alias(index, "count")),
        );
        exprs.push(
            column
                .clone()
                .null_count()
                .cast(DataType::UInt64)
                .alias(alias(index, "nulls")),
        );
        // Min and max as text in the column's own rendering (dates as ISO dates).
        exprs.push(
            column
                .clone()
                .min()
                .cast(DataType::String)
                .alias(alias(index, "min")),
        );
        exprs.push(
            column
                .clone()
                .max()
                .cast(DataType::String)
                .alias(alias(index, "max")),
        );
        let mean = if is_numeric(dtype) {
            column.clone().mean().cast(DataType::Float64)
        } else {
            lit(NULL).cast(DataType::Float64)
        };
        exprs.push(mean.alias(alias(index, "mean")));
        exprs.push(
            column
                .n_unique()
                .cast(DataType::UInt64)
                .alias(alias(index, "distinct")),
        );
    }
    let row = frame
        .clone()
        .select(exprs)
        .collect_with_engine(Engine::Streaming)
        .map_err(|e| ExportError::Data(format!("computing statistics: {e}")))?
        .unwrap_single();

    let value = |index: usize, kind: &str| -> Result<AnyValue<'_>, ExportError> {
        row.column(&alias(index, kind))
            .and_then(|c| c.get(0))
            .map_err(|e| ExportError::Data(format!("computing statistics: {e}")))
    };
    let text = |v: AnyValue<'_>| match v {
        AnyValue::Null => None,
        AnyValue::String(s) => Some(s.to_owned()),
        AnyValue::StringOwned(s) => Some(s.to_string()),
        other => Some(other.to_string()),
    };
    // RFC 3339 (section 5.6) for an instant: `T` between date and time, `Z` for UTC.
    let zoned = |dtype: &DataType, text: Option<String>| match dtype {
        DataType::Datetime(_, Some(_)) => text.map(|t| format!("{}Z", t.replacen(' ', "T", 1))),
        _ => text,
    };
    let number = |v: AnyValue<'_>| v.extract::<u64>().unwrap_or(0);
    schema
        .iter()
        .enumerate()
        .map(|(index, (name, dtype))| {
            Ok(ColumnStats {
                name: name.to_string(),
                count: number(value(index, "count")?),
                nulls: number(value(index, "nulls")?),
                min: zoned(dtype, text(value(index, "min")?)),
                max: zoned(dtype, text(value(index, "max")?)),
                mean: value(index, "mean")?
                    .extract::<f64>()
                    .filter(|m| m.is_finite()),
                distinct: value(index, "distinct")?.extract::<u64>(),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    // Issue 14, item 22: statistics of instants (a datetime given with a zone) failed: polars
    // cannot render a zoned value as text without its time-zone database. They are the UTC
    // times, marked `Z`; times without a zone are rendered as before, unmarked.
    #[test]
    fn zoned_datetimes_have_utc_statistics() {
        let micros = [
            Some(1_717_237_800_000_000i64),
            Some(1_704_067_200_000_000),
            None,
        ];
        let zoned = Int64Chunked::new("at".into(), micros)
            .into_datetime(TimeUnit::Microseconds, Some(TimeZone::UTC))
            .into_series();
        let local = Int64Chunked::new("local".into(), micros)
            .into_datetime(TimeUnit::Microseconds, None)
            .into_series();
        let frame = DataFrame::new(3, vec![zoned.into(), local.into()])
            .unwrap()
            .lazy();
        let schema = frame.clone().collect_schema().unwrap();
        let stats = column_stats(&frame, &schema).unwrap();
        assert_eq!((stats[0].count, stats[0].nulls), (2, 1));
        assert_eq!(stats[0].min.as_deref(), Some("2024-01-01T00:00:00.000000Z"));
        assert_eq!(stats[0].max.as_deref(), Some("2024-06-01T10:30:00.000000Z"));
        assert_eq!(stats[1].min.as_deref(), Some("2024-01-01 00:00:00.000000"));
    }

    #[test]
    fn stats_per_column_type() {
        let frame = df! {
            "n" => [Some(1i64), None, Some(5), Some(3)],
            "x" => [Some(0.5f64), Some(1.5), None, None],
            "s" => [Some("pear"), Some("apple"), Some("pear"), None],
        }
        .unwrap()
        .lazy();
        let schema = frame.clone().collect_schema().unwrap();
        let stats = column_stats(&frame, &schema).unwrap();
        assert_eq!(stats.len(), 3);
        let n = &stats[0];
        assert_eq!((n.count, n.nulls), (3, 1));
        assert_eq!((n.min.as_deref(), n.max.as_deref()), (Some("1"), Some("5")));
        assert_eq!(n.mean, Some(3.0));
        assert_eq!(stats[1].mean, Some(1.0));
        let s = &stats[2];
        assert_eq!((s.count, s.nulls), (3, 1));
        assert_eq!(s.min.as_deref(), Some("apple"));
        assert_eq!(s.max.as_deref(), Some("pear"));
        assert_eq!(s.mean, None);
        // Two distinct texts and the null.
        assert_eq!(s.distinct, Some(3));
    }
}
