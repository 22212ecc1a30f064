//! The export configuration, the same for every format: which rows (a filter, offset and
//! limit), in which order (sort keys), which columns under which names. The host applies it
//! with polars before a plugin sees a row.
//!
//! Filters are a small JSON language:
//!
//! ```json
//! {"and": [
//!   {"column": "score", "op": ">=", "value": 1.5},
//!   {"or": [{"column": "city", "op": "in", "value": ["Oslo", "Bergen"]},
//!           {"column": "ratio", "op": "is_null"}]},
//!   {"not": {"column": "active", "op": "=", "value": false}}
//! ]}
//! ```
//!
//! Operators: `=`, `!=`, `<`, `<=`, `>`, `>=`, `in`, `not_in`, `is_null`, `is_not_null`, and
//! `contains` (text columns: the value appears in the cell, whatever its letters' case; what the
//! dataset page's search writes, so that an export of the page's view keeps its search).
//! Dates and datetimes compare with ISO 8601 text (`"2024-01-31"`).

use std::collections::BTreeMap;

use polars::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::ExportError;

/// Most values an `in` list may hold.
pub const MAX_IN_VALUES: usize = 1_000;
/// Deepest nesting of `and`/`or`/`not`.
pub const MAX_FILTER_DEPTH: usize = 16;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExportSpec {
    /// Columns to include, in this order; absent for all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub columns: Option<Vec<String>>,
    /// New names for columns: `{"old": "new"}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rename: Option<BTreeMap<String, String>>,
    /// Rows to keep (see the module documentation for the language).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub filter: Option<Value>,
    /// Sort keys, first one first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort: Option<Vec<SortKey>>,
    /// Rows to skip after filtering and sorting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offset: Option<i64>,
    /// Most rows to export.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<i64>,
    /// The format plugin's options.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub options: Option<Value>,
    /// The export's time as the file records it (RFC 3339), to make an export again, byte for
    /// byte, from its manifest; absent: the time of the request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(example = "2026-01-02T03:04:05Z")]
    pub exported_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SortKey {
    pub column: String,
    #[serde(default)]
    pub descending: bool,
}

impl SortKey {
    /// Parses `score,-name` (a leading `-` sorts descending).
    pub fn parse_list(text: &str) -> Vec<SortKey> {
        text.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| match s.strip_prefix('-') {
                Some(name) => SortKey {
                    column: name.to_owned(),
                    descending: true,
                },
                None => SortKey {
                    column: s.to_owned(),
                    descending: false,
                },
            })
            .collect()
    }
}

fn invalid(message: impl Into<String>) -> ExportError {
    ExportError::Invalid(message.into())
}

fn require_column<'a>(
    schema: &'a Schema,
    name: &str,
    context: &str,
) -> Result<&'a DataType, ExportError> {
    schema
        .get(name)
        .ok_or_else(|| invalid(format!("{context}: the dataset has no column '{name}'")))
}

impl ExportSpec {
    /// Applies the spec to a scan of the dataset of `rows` rows; returns the frame and whether
    /// the row count must be counted (a filter makes it unknown in advance).
    pub fn apply(
        &self,
        frame: LazyFrame,
        schema: &Schema,
        rows: u64,
    ) -> Result<(LazyFrame, bool), ExportError> {
        let filtered = self.filter.is_some();
        let mut frame = self.filtered(frame, schema)?;
        if let Some(keys) = self.sort.as_ref().filter(|k| !k.is_empty()) {
            let mut exprs = Vec::with_capacity(keys.len());
            let mut descending = Vec::with_capacity(keys.len());
            for key in keys {
                require_column(schema, &key.column, "sort")?;
                exprs.push(col(key.column.as_str()));
                descending.push(key.descending);
            }
            frame = frame.sort_by_exprs(
                exprs,
                // Empty cells last whichever the direction: a reader sorting by depth wants the
                // deepest first, not the rows without a depth.
                SortMultipleOptions::default()
                    .with_order_descending_multi(descending)
                    .with_nulls_last(true)
                    .with_maintain_order(true),
            );
        }
        let (offset, limit) = self.window()?;
        let offset = offset as i64;
        // The window never asks for more rows than the dataset has: a sort followed by a slice
        // becomes a top-k that sets room aside for the slice's length first, and a limit of
        // 2^63 once made the server ask for 160 GiB and abort (found by the conformance run).
        let most = rows.min(IdxSize::MAX as u64) as IdxSize;
        match limit {
            Some(limit) => frame = frame.slice(offset, (limit.min(rows) as IdxSize).min(most)),
            None if offset > 0 => frame = frame.slice(offset, most),
            None => {}
        }
        Ok((self.selected(frame, schema)?, filtered))
    }

    /// The export's time, RFC 3339 in UTC as the host writes it: `exported_at` when given, else
    /// `now` (milliseconds since the epoch). Every format that records the time (the Excel
    /// and PDF creation dates, the Data Package's `created`, the Parquet footer) records this
    /// one, so two exports with the same inputs and the same time are the same bytes. A given
    /// time is normalised (`2026-01-02T05:04:05+02:00` is `2026-01-02T03:04:05Z`), so that the
    /// same instant gives the same file however it is spelt; it must be RFC 3339 (section
    /// 5.6), to the millisecond at most, which is all the host keeps.
    pub fn export_time(&self, now: i64) -> Result<String, ExportError> {
        let Some(text) = self.exported_at.as_deref() else {
            return Ok(crate::time::to_rfc3339(now));
        };
        let refused = || {
            invalid(format!(
                "exported_at: '{text}' is not an RFC 3339 time such as 2026-01-02T03:04:05Z \
                 (to the millisecond at most)"
            ))
        };
        let moment = time::OffsetDateTime::parse(
            text.trim(),
            &time::format_description::well_known::Rfc3339,
        )
        .map_err(|_| refused())?;
        let nanos = moment.unix_timestamp_nanos();
        if nanos % 1_000_000 != 0 {
            return Err(refused());
        }
        let millis = i64::try_from(nanos / 1_000_000).map_err(|_| refused())?;
        let normalised = crate::time::to_rfc3339(millis);
        if normalised.is_empty() {
            return Err(refused());
        }
        Ok(normalised)
    }

    /// Whether the rows come out in an order of their own, which needs every selected row
    /// before the first can be written.
    pub fn sorts(&self) -> bool {
        self.sort.as_ref().is_some_and(|keys| !keys.is_empty())
    }

    /// The rows to skip and the most to keep, counted after filtering and sorting.
    pub fn window(&self) -> Result<(u64, Option<u64>), ExportError> {
        let offset = self.offset.unwrap_or(0);
        if offset < 0 {
            return Err(invalid("offset must not be negative"));
        }
        match self.limit {
            Some(limit) if limit < 0 => Err(invalid("limit must not be negative")),
            limit => Ok((offset as u64, limit.map(|limit| limit as u64))),
        }
    }

    /// The spec without its order and window: the filter and the columns, which is what each
    /// piece of an unsorted export runs (the window is then counted across pieces).
    pub fn apply_to_piece(
        &self,
        frame: LazyFrame,
        schema: &Schema,
    ) -> Result<LazyFrame, ExportError> {
        let frame = self.filtered(frame, schema)?;
        self.selected(frame, schema)
    }

    fn filtered(&self, frame: LazyFrame, schema: &Schema) -> Result<LazyFrame, ExportError> {
        Ok(match &self.filter {
            Some(filter) => frame.filter(filter_expr(filter, schema, 0)?),
            None => frame,
        })
    }

    /// The chosen columns under their export names.
    fn selected(&self, frame: LazyFrame, schema: &Schema) -> Result<LazyFrame, ExportError> {
        let names: Vec<String> = match &self.columns {
            Some(columns) if columns.is_empty() => {
                return Err(invalid("choose at least one column"));
            }
            Some(columns) => {
                for name in columns {
                    require_column(schema, name, "columns")?;
                }
                columns.clone()
            }
            None => schema.iter_names().map(|n| n.to_string()).collect(),
        };
        let renames = self.rename.clone().unwrap_or_default();
        for old in renames.keys() {
            require_column(schema, old, "rename")?;
        }
        let mut seen = std::collections::HashSet::new();
        let mut select = Vec::with_capacity(names.len());
        for name in &names {
            let output = renames.get(name).cloned().unwrap_or_else(|| name.clone());
            if output.trim().is_empty() {
                return Err(invalid(format!(
                    "rename: the new name of '{name}' is empty"
                )));
            }
            if !seen.insert(output.clone()) {
                return Err(invalid(format!(
                    "two exported columns would be named '{output}'"
                )));
            }
            select.push(col(name.as_str()).alias(output.as_str()));
        }
        Ok(frame.select(select))
    }
}

fn filter_expr(filter: &Value, schema: &Schema, depth: usize) -> Result<Expr, ExportError> {
    if depth > MAX_FILTER_DEPTH {
        return Err(invalid(format!(
            "filter: nested deeper than {MAX_FILTER_DEPTH} levels"
        )));
    }
    let Some(object) = filter.as_object() else {
        return Err(invalid(
            "filter: expected an object such as {\"column\": \"x\", \"op\": \"=\", \"value\": 1}",
        ));
    };
    if let Some(parts) = object.get("and").or_else(|| object.get("or")) {
        let is_and = object.contains_key("and");
        if object.len() != 1 {
            return Err(invalid(
                "filter: an 'and' or 'or' object holds nothing else",
            ));
        }
        let Some(parts) = parts.as_array().filter(|p| !p.is_empty()) else {
            return Err(invalid("filter: 'and' and 'or' take a non-empty list"));
        };
        let mut exprs = parts.iter().map(|p| filter_expr(p, schema, depth + 1));
        let Some(first) = exprs.next() else {
            return Err(invalid("filter: empty list"));
        };
        return exprs.try_fold(first?, |acc, next| {
            Ok(if is_and {
                acc.and(next?)
            } else {
                acc.or(next?)
            })
        });
    }
    if let Some(inner) = object.get("not") {
        if object.len() != 1 {
            return Err(invalid("filter: a 'not' object holds nothing else"));
        }
        return Ok(filter_expr(inner, schema, depth + 1)?.not());
    }
    for key in object.keys() {
        if !matches!(key.as_str(), "column" | "op" | "value") {
            return Err(invalid(format!("filter: unknown key '{key}'")));
        }
    }
    let column = object
        .get("column")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid("filter: a comparison needs \"column\""))?;
    let dtype = require_column(schema, column, "filter")?.clone();
    let op = object
        .get("op")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid("filter: a comparison needs \"op\""))?;
    let target = comparable(column, &dtype);
    let value = object.get("value");
    let scalar = |v: Option<&Value>| -> Result<Expr, ExportError> {
        let v =
            v.ok_or_else(|| invalid(format!("filter: '{op}' on '{column}' needs a \"value\"")))?;
        literal(v, &dtype, column)
    };
    Ok(match op {
        "=" => target.eq(scalar(value)?),
        "!=" => target.neq(scalar(value)?),
        "<" => target.lt(scalar(value)?),
        "<=" => target.lt_eq(scalar(value)?),
        ">" => target.gt(scalar(value)?),
        ">=" => target.gt_eq(scalar(value)?),
        "is_null" => target.is_null(),
        "is_not_null" => target.is_not_null(),
        "contains" => {
            if dtype != DataType::String {
                return Err(invalid(format!(
                    "filter: 'contains' looks in text, and column '{column}' holds {dtype}"
                )));
            }
            let needle = value.and_then(Value::as_str).ok_or_else(|| {
                invalid(format!(
                    "filter: 'contains' on '{column}' needs a text \"value\""
                ))
            })?;
            contains_ignoring_case(column, needle)
        }
        "in" | "not_in" => {
            let Some(values) = value.and_then(Value::as_array) else {
                return Err(invalid(format!(
                    "filter: '{op}' on '{column}' needs a list \"value\""
                )));
            };
            if values.is_empty() || values.len() > MAX_IN_VALUES {
                return Err(invalid(format!(
                    "filter: '{op}' takes 1 to {MAX_IN_VALUES} values"
                )));
            }
            let mut any = None;
            for v in values {
                let equal = comparable(column, &dtype).eq(literal(v, &dtype, column)?);
                any = Some(match any {
                    None => equal,
                    Some(acc) => Expr::or(acc, equal),
                });
            }
            let any = any.ok_or_else(|| invalid("filter: empty list"))?;
            // A null never matches `in`, and never matches `not_in` either (as in SQL).
            if op == "in" {
                any
            } else {
                any.not().and(col(column).is_not_null())
            }
        }
        other => {
            return Err(invalid(format!(
                "filter: unknown op '{other}'; use =, !=, <, <=, >, >=, in, not_in, is_null, is_not_null or contains"
            )));
        }
    })
}

/// Whether the text column holds `needle`, compared in lower case (Unicode's, so that "étang"
/// finds "Étang"). A null cell never matches. Written as an element-wise function over each
/// batch: polars' own substring search needs its regular-expression engine, not built here.
fn contains_ignoring_case(column: &str, needle: &str) -> Expr {
    let needle = needle.to_lowercase();
    col(column).map(
        move |cells: Column| {
            let text = cells.str()?;
            let found: BooleanChunked = text
                .iter()
                .map(|cell| Some(cell.is_some_and(|c| c.to_lowercase().contains(&needle))))
                .collect();
            Ok(found.with_name(cells.name().clone()).into_column())
        },
        |_, field| Ok(Field::new(field.name().clone(), DataType::Boolean)),
    )
}

/// The column as filters compare it. A zoned datetime holds UTC instants whatever its label;
/// compared unlabelled, so that polars, which would need its time-zone database (the
/// `timezones` feature, not built) to make a literal in a zone, compares the instants.
fn comparable(column: &str, dtype: &DataType) -> Expr {
    match dtype {
        DataType::Datetime(unit, Some(_)) => col(column).cast(DataType::Datetime(*unit, None)),
        _ => col(column),
    }
}

/// A JSON value as a literal of the column's type, or a clear error.
fn literal(value: &Value, dtype: &DataType, column: &str) -> Result<Expr, ExportError> {
    let mismatch = || {
        invalid(format!(
            "filter: {value} cannot be compared with column '{column}' ({dtype})"
        ))
    };
    Ok(match dtype {
        DataType::Boolean => lit(value.as_bool().ok_or_else(mismatch)?),
        dt if dt.is_integer() => match (value.as_i64(), value.as_f64()) {
            (Some(i), _) => lit(i),
            (None, Some(f)) => lit(f),
            _ => return Err(mismatch()),
        },
        dt if dt.is_float() => lit(value.as_f64().ok_or_else(mismatch)?),
        DataType::String => lit(value.as_str().ok_or_else(mismatch)?.to_owned()),
        DataType::Date => {
            let days = value
                .as_str()
                .and_then(parse_date_days)
                .ok_or_else(mismatch)?;
            lit(days).strict_cast(DataType::Date)
        }
        DataType::Datetime(unit, _) => {
            let nanos = value
                .as_str()
                .and_then(parse_datetime_nanos)
                .ok_or_else(mismatch)?;
            let scaled = match unit {
                TimeUnit::Nanoseconds => nanos,
                TimeUnit::Microseconds => nanos.div_euclid(1_000),
                TimeUnit::Milliseconds => nanos.div_euclid(1_000_000),
            };
            let scaled = i64::try_from(scaled).map_err(|_| mismatch())?;
            // Compared with the column's UTC instants as they are, unlabelled (see
            // [`comparable`]); for a column without a zone, its wall-clock time as if UTC.
            lit(scaled).strict_cast(DataType::Datetime(*unit, None))
        }
        _ => return Err(mismatch()),
    })
}

/// `2024-01-31` → days since 1970-01-01.
fn parse_date_days(text: &str) -> Option<i32> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let date = time::Date::parse(text.trim(), &format).ok()?;
    Some(date.to_julian_day() - time::macros::date!(1970 - 01 - 01).to_julian_day())
}

/// `2024-01-31`, `2024-01-31T10:00:00`, `2024-01-31 10:00:00.5`, or RFC 3339 with an offset
/// → nanoseconds since the epoch (UTC; text without an offset is taken as UTC).
fn parse_datetime_nanos(text: &str) -> Option<i128> {
    let text = text.trim();
    if let Ok(moment) =
        time::OffsetDateTime::parse(text, &time::format_description::well_known::Rfc3339)
    {
        return Some(moment.unix_timestamp_nanos());
    }
    let normalized = text.replacen(' ', "T", 1);
    let with_fraction = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond]"
    );
    let without_fraction =
        time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]");
    if let Ok(moment) = time::PrimitiveDateTime::parse(&normalized, &with_fraction)
        .or_else(|_| time::PrimitiveDateTime::parse(&normalized, &without_fraction))
    {
        return Some(moment.assume_utc().unix_timestamp_nanos());
    }
    parse_date_days(text).map(|days| i128::from(days) * 86_400 * 1_000_000_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_datetimes_parse() {
        assert_eq!(parse_date_days("1970-01-02"), Some(1));
        assert_eq!(parse_date_days("1969-12-31"), Some(-1));
        assert_eq!(
            parse_datetime_nanos("1970-01-01T00:00:01"),
            Some(1_000_000_000)
        );
        assert_eq!(
            parse_datetime_nanos("1970-01-01 00:00:00.5"),
            Some(500_000_000)
        );
        assert_eq!(parse_datetime_nanos("1970-01-01T01:00:00+01:00"), Some(0));
        assert_eq!(parse_datetime_nanos("1970-01-02"), Some(86_400_000_000_000));
        assert_eq!(parse_datetime_nanos("yesterday"), None);
    }

    // Reproducible exports: the time a manifest records can be given back, in any spelling of
    // the same instant, and nothing that is not an RFC 3339 time gets through.
    #[test]
    fn export_times_are_given_back_normalised() {
        let at = |text: &str| ExportSpec {
            exported_at: Some(text.into()),
            ..ExportSpec::default()
        };
        assert_eq!(
            ExportSpec::default()
                .export_time(1_767_323_045_000)
                .unwrap(),
            "2026-01-02T03:04:05Z"
        );
        for same in [
            "2026-01-02T03:04:05Z",
            "2026-01-02T05:04:05+02:00",
            "2026-01-02t03:04:05.000z",
        ] {
            assert_eq!(
                at(same).export_time(0).unwrap(),
                "2026-01-02T03:04:05Z",
                "{same}"
            );
        }
        assert_eq!(
            at("2026-01-02T03:04:05.120Z").export_time(0).unwrap(),
            "2026-01-02T03:04:05.12Z"
        );
        for refused in [
            "",
            "yesterday",
            "2026-01-02",
            "2026-01-02T03:04:05",
            "2026-01-02T03:04:05.0001Z",
            "2026-13-02T03:04:05Z",
        ] {
            assert!(
                matches!(at(refused).export_time(0), Err(ExportError::Invalid(_))),
                "{refused:?}"
            );
        }
    }

    // Issue 14, item 22: a filter on instants (a datetime column given with a zone) compares
    // instants, whatever offset the filter's value is given with.
    #[test]
    fn filters_compare_zoned_datetimes_as_instants() {
        let at = Int64Chunked::new("at".into(), [Some(1_717_237_800_000_000i64), Some(0), None])
            .into_datetime(TimeUnit::Microseconds, Some(TimeZone::UTC))
            .into_series();
        let frame = DataFrame::new(3, vec![at.into()]).unwrap().lazy();
        let schema = frame.clone().collect_schema().unwrap();
        let kept = |filter: Value| {
            let spec = ExportSpec {
                filter: Some(filter),
                ..ExportSpec::default()
            };
            spec.apply(frame.clone(), &schema, u64::MAX)
                .unwrap()
                .0
                .collect()
                .unwrap()
                .height()
        };
        use serde_json::json;
        assert_eq!(
            kept(json!({"column": "at", "op": ">", "value": "2024-06-01T12:00:00+02:00"})),
            1
        );
        assert_eq!(
            kept(json!({"column": "at", "op": ">", "value": "2024-06-01T13:00:00+02:00"})),
            0
        );
        assert_eq!(
            kept(json!({"column": "at", "op": "=", "value": "2024-06-01T10:30:00Z"})),
            1
        );
        assert_eq!(
            kept(json!({"column": "at", "op": "in", "value": ["1970-01-01T00:00:00Z"]})),
            1
        );
        assert_eq!(kept(json!({"column": "at", "op": "is_null"})), 1);
    }

    #[test]
    fn sort_lists_parse() {
        assert_eq!(
            SortKey::parse_list("a, -b"),
            vec![
                SortKey {
                    column: "a".into(),
                    descending: false
                },
                SortKey {
                    column: "b".into(),
                    descending: true
                }
            ]
        );
    }
}
