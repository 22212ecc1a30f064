//! The column statistics a report format asks for (`wants-stats`), computed from the table.
//!
//! The host computes them with polars (`host/src/export/stats.rs`) before the export starts;
//! here they are computed before the clock starts too, with the same meaning: `count` of
//! present values, `nulls`, the smallest and largest value as text, the mean of a numeric
//! column, and `distinct` values counting null as one. Only the report's layout depends on
//! them, not how much work the format does, so the text of a value is the SDK's rendering
//! rather than polars' exact one.

use crate::table::{Cells, Table};
use std::collections::HashSet;
use std::hash::Hash;
use tessera_plugin_sdk::{ColumnStats, Value};

/// The statistics of every column of the table, in schema order.
pub fn column_stats(table: &Table) -> Vec<ColumnStats> {
    table
        .schema
        .iter()
        .zip(&table.columns)
        .map(|(column, cells)| {
            let summary = match cells {
                Cells::Boolean(values) => summarize(values, |v| *v, |v| Value::Boolean(*v), None),
                Cells::Int64(values) => summarize(
                    values,
                    |v| *v,
                    |v| Value::Int64(*v),
                    Some(|v: &i64| *v as f64),
                ),
                Cells::Float64(values) => summarize(
                    values,
                    |v| v.to_bits(),
                    |v| Value::Float64(*v),
                    Some(|v: &f64| *v),
                ),
                Cells::Utf8(values) => summarize(values, String::as_str, |v| Value::Utf8(v), None),
                Cells::Date(values) => summarize(values, |v| *v, |v| Value::Date(*v), None),
                Cells::Datetime(values) => summarize(values, |v| *v, |v| Value::Datetime(*v), None),
                Cells::Null(rows) => Summary {
                    nulls: *rows as u64,
                    distinct: u64::from(*rows > 0),
                    ..Summary::default()
                },
            };
            ColumnStats {
                name: column.name.clone(),
                count: summary.count,
                nulls: summary.nulls,
                min: summary.min,
                max: summary.max,
                mean: summary.mean,
                distinct: Some(summary.distinct),
            }
        })
        .collect()
}

#[derive(Default)]
struct Summary {
    count: u64,
    nulls: u64,
    min: Option<String>,
    max: Option<String>,
    mean: Option<f64>,
    distinct: u64,
}

/// `key` is what makes two values the same for `distinct` (a float's bits); `value` renders
/// one and orders it; `number`, for numeric columns, is what the mean averages.
fn summarize<'a, T, K: Hash + Eq>(
    values: &'a [Option<T>],
    key: impl Fn(&'a T) -> K,
    value: impl Fn(&'a T) -> Value<'a>,
    number: Option<fn(&T) -> f64>,
) -> Summary {
    let mut summary = Summary::default();
    let mut seen = HashSet::new();
    let mut min: Option<Value<'a>> = None;
    let mut max: Option<Value<'a>> = None;
    let mut sum = 0.0;
    for cell in values {
        let Some(cell) = cell else {
            summary.nulls += 1;
            continue;
        };
        summary.count += 1;
        seen.insert(key(cell));
        let current = value(cell);
        if min.is_none_or(|min| less(current, min)) {
            min = Some(current);
        }
        if max.is_none_or(|max| less(max, current)) {
            max = Some(current);
        }
        if let Some(number) = number {
            sum += number(cell);
        }
    }
    summary.min = min.map(|v| v.to_string());
    summary.max = max.map(|v| v.to_string());
    summary.mean = number
        .filter(|_| summary.count > 0)
        .map(|_| sum / summary.count as f64)
        .filter(|mean| mean.is_finite());
    summary.distinct = seen.len() as u64 + u64::from(summary.nulls > 0);
    summary
}

/// Orders two values of one column.
fn less(a: Value<'_>, b: Value<'_>) -> bool {
    match (a, b) {
        (Value::Boolean(a), Value::Boolean(b)) => !a && b,
        (Value::Int64(a), Value::Int64(b)) | (Value::Datetime(a), Value::Datetime(b)) => a < b,
        (Value::Float64(a), Value::Float64(b)) => a.total_cmp(&b).is_lt(),
        (Value::Utf8(a), Value::Utf8(b)) => a < b,
        (Value::Date(a), Value::Date(b)) => a < b,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tessera_plugin_sdk::{Column, ColumnType};

    #[test]
    fn stats_per_column_type() {
        let table = Table {
            schema: ["n", "x", "s", "d", "none"]
                .map(|name| Column::new(name, ColumnType::Null))
                .into(),
            columns: vec![
                Cells::Int64(vec![Some(1), None, Some(5), Some(3)]),
                Cells::Float64(vec![Some(0.5), Some(1.5), None, None]),
                Cells::Utf8(vec![
                    Some("pear".into()),
                    Some("apple".into()),
                    Some("pear".into()),
                    None,
                ]),
                Cells::Date(vec![Some(19_723), Some(-1), None, Some(0)]),
                Cells::Null(4),
            ],
            rows: 4,
        };
        let stats = column_stats(&table);
        let n = &stats[0];
        assert_eq!((n.count, n.nulls), (3, 1));
        assert_eq!((n.min.as_deref(), n.max.as_deref()), (Some("1"), Some("5")));
        assert_eq!((n.mean, n.distinct), (Some(3.0), Some(4)));
        assert_eq!(stats[1].mean, Some(1.0));
        let s = &stats[2];
        assert_eq!(
            (s.min.as_deref(), s.max.as_deref()),
            (Some("apple"), Some("pear"))
        );
        assert_eq!(
            (s.mean, s.distinct),
            (None, Some(3)),
            "two texts and the null"
        );
        let d = &stats[3];
        assert_eq!(
            (d.min.as_deref(), d.max.as_deref()),
            (Some("1969-12-31"), Some("2024-01-01"))
        );
        let none = &stats[4];
        assert_eq!((none.count, none.nulls, none.distinct), (0, 4, Some(1)));
        assert_eq!((none.min.as_ref(), none.mean), (None, None));
    }
}
