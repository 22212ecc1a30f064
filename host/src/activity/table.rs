//! A report's series as a table: one row per period, one column per count. This is the shape
//! the numbers take when they leave as a file (CSV, JSON or any other installed export
//! format), so that a spreadsheet or a script reads them as it reads an exported dataset. The
//! columns are named as the report's JSON names them, so a program moving from one to the
//! other finds the same names.

use polars::prelude::*;

use super::report::{Counts, Report, day_of_date};

/// The table's first column: the period's first day (a date).
pub const START: &str = "start";

/// How a count is read from a period's counts.
type Reader = fn(&Counts) -> i64;

/// Each count's column, in order, and how it is read.
const COUNTS: [(&str, Reader); 11] = [
    ("views", |c| c.views),
    ("downloads", |c| c.downloads),
    ("unique_visitors", |c| c.unique_visitors),
    ("bytes_downloaded", |c| c.bytes_downloaded),
    ("exports", |c| c.exports),
    ("export_failures", |c| c.export_failures),
    ("refusals", |c| c.refusals),
    ("shares_granted", |c| c.shares_granted),
    ("links_created", |c| c.links_created),
    ("versions_added", |c| c.versions_added),
    ("sign_ins", |c| c.sign_ins),
];

/// The series of `report` as a table: `start` (a date), then one integer column per count.
pub fn series_frame(report: &Report) -> PolarsResult<DataFrame> {
    let days = report
        .series
        .iter()
        .map(|period| {
            let date = time::Date::parse(
                &period.start,
                time::macros::format_description!("[year]-[month]-[day]"),
            )
            .map_err(|e| polars_err!(ComputeError: "period {}: {e}", period.start))?;
            i32::try_from(day_of_date(date))
                .map_err(|_| polars_err!(ComputeError: "period {} out of range", period.start))
        })
        .collect::<PolarsResult<Vec<i32>>>()?;
    let mut columns: Vec<Column> = vec![
        Int32Chunked::new(START.into(), &days)
            .into_date()
            .into_column(),
    ];
    for (name, count) in COUNTS {
        let values: Vec<i64> = report.series.iter().map(|p| count(&p.counts)).collect();
        columns.push(Column::new(name.into(), values));
    }
    DataFrame::new(report.series.len(), columns)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::activity::report::{Grouping, Period};

    #[test]
    fn one_row_per_period_and_one_column_per_count() {
        let period = |start: &str, views| Period {
            start: start.to_owned(),
            counts: Counts {
                views,
                downloads: 1,
                ..Counts::default()
            },
        };
        let report = Report {
            from: "2026-12-06".into(),
            to: "2026-12-07".into(),
            grouping: Grouping::Day,
            totals: Counts::default(),
            series: vec![period("2026-12-06", 4), period("2026-12-07", 8)],
            exports_by_format: Vec::new(),
            refusals_by_reason: Vec::new(),
            top_datasets: Vec::new(),
            top_links: Vec::new(),
        };
        let frame = series_frame(&report).unwrap();
        assert_eq!(frame.shape(), (2, 12));
        let names: Vec<&str> = frame
            .get_column_names()
            .iter()
            .map(|n| n.as_str())
            .collect();
        let expected: Vec<&str> = std::iter::once(START)
            .chain(COUNTS.iter().map(|(name, _)| *name))
            .collect();
        assert_eq!(names, expected);
        assert_eq!(frame.column(START).unwrap().dtype(), &DataType::Date);
        let views = frame.column("views").unwrap();
        assert_eq!(views.dtype(), &DataType::Int64);
        assert_eq!(
            (
                views.get(0).unwrap().extract::<i64>(),
                views.get(1).unwrap().extract::<i64>()
            ),
            (Some(4), Some(8))
        );
        assert_eq!(
            frame.column(START).unwrap().get(1).unwrap().to_string(),
            "2026-12-07"
        );
    }
}
