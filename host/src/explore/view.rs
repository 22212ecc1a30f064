//! A view of a version's rows, as the dataset page shows it and its address carries it: the
//! filter (the export's language), a search through the text columns, a sort; then a window of
//! its rows, how many rows match, and facets (the most frequent values of a few columns among
//! the matching rows, each a filter one click away).

use std::path::Path;

use polars::prelude::*;
use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;

use super::ExploreError;
use crate::export::spec::{ExportSpec, SortKey};
use crate::ingest::preview::to_json;

/// Longest search text, in characters.
pub const MAX_SEARCH: usize = 200;

/// What a view keeps of a version's rows, and in which order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TableView {
    /// Rows to keep, in the export's filter language.
    pub filter: Option<Value>,
    /// Text to find in any text column, whatever its case.
    pub search: Option<String>,
    pub sort: Vec<SortKey>,
}

/// A window of a view's rows.
pub struct Window {
    /// Rows matching the view in the whole version.
    pub matching: i64,
    pub rows: Vec<Vec<Value>>,
}

/// The most frequent values of one column among a view's rows.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Facet {
    pub column: String,
    pub values: Vec<FacetValue>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FacetValue {
    /// The value as the rows API gives cells (`null` for empty cells).
    pub value: Value,
    /// Matching rows holding it.
    pub count: i64,
}

impl TableView {
    /// Whether the view keeps every row (it may still sort them).
    pub fn keeps_all(&self) -> bool {
        self.filter.is_none() && self.search.is_none()
    }

    /// The filter that selects the view's rows, its search included, as an export takes it:
    /// the search becomes a `contains` on each text column, any of them.
    pub fn combined_filter(&self, schema: &Schema) -> Result<Option<Value>, ExploreError> {
        let search = match self.search.as_deref() {
            None => None,
            Some(text) => {
                if text.chars().count() > MAX_SEARCH {
                    return Err(ExploreError::Invalid(format!(
                        "search: at most {MAX_SEARCH} characters"
                    )));
                }
                let texts: Vec<Value> = schema
                    .iter()
                    .filter(|(_, dtype)| **dtype == DataType::String)
                    .map(|(name, _)| json!({"column": name.as_str(), "op": "contains", "value": text}))
                    .collect();
                match texts.len() {
                    0 => {
                        return Err(ExploreError::Invalid(
                            "search: this version has no text column to search; filter a column instead"
                                .to_owned(),
                        ));
                    }
                    1 => texts.into_iter().next(),
                    _ => Some(json!({ "or": texts })),
                }
            }
        };
        Ok(match (self.filter.clone(), search) {
            (None, None) => None,
            (Some(one), None) | (None, Some(one)) => Some(one),
            (Some(filter), Some(search)) => Some(json!({ "and": [filter, search] })),
        })
    }

    /// The view as an export request: its rows in its order, every column.
    pub fn export_spec(&self, schema: &Schema) -> Result<ExportSpec, ExploreError> {
        Ok(ExportSpec {
            filter: self.combined_filter(schema)?,
            sort: (!self.sort.is_empty()).then(|| self.sort.clone()),
            ..ExportSpec::default()
        })
    }

    /// Rows `offset..offset+limit` of the view, and how many rows it holds, from the version
    /// of `rows` rows stored at `parquet`.
    pub fn window(
        &self,
        parquet: &Path,
        rows: i64,
        offset: i64,
        limit: u32,
    ) -> Result<Window, ExploreError> {
        let frame = scan(parquet)?;
        let schema = frame.clone().collect_schema()?;
        let spec = self.export_spec(&schema)?;
        let matching = if self.keeps_all() {
            rows
        } else {
            count(spec.apply_to_piece(frame.clone(), &schema)?)?
        };
        let windowed = ExportSpec {
            offset: Some(offset.max(0)),
            limit: Some(i64::from(limit)),
            ..spec
        };
        let (frame, _) = windowed.apply(frame, &schema, rows.max(0) as u64)?;
        Ok(Window {
            matching,
            rows: cells(&frame.collect()?)?,
        })
    }

    /// The `top` most frequent values of each of `columns` among the view's rows, the most
    /// frequent first (ties in the values' order).
    pub fn facets(
        &self,
        parquet: &Path,
        columns: &[String],
        top: u32,
    ) -> Result<Vec<Facet>, ExploreError> {
        let frame = scan(parquet)?;
        let schema = frame.clone().collect_schema()?;
        let kept = self.export_spec(&schema)?.apply_to_piece(frame, &schema)?;
        let mut facets = Vec::with_capacity(columns.len());
        for column in columns {
            if schema.get(column).is_none() {
                return Err(ExploreError::Invalid(format!(
                    "facets: the dataset has no column '{column}'"
                )));
            }
            let counted = kept
                .clone()
                .group_by([col(column.as_str())])
                .agg([len().alias(COUNT)])
                .sort_by_exprs(
                    [col(COUNT), col(column.as_str())],
                    SortMultipleOptions::default()
                        .with_order_descending_multi([true, false])
                        .with_nulls_last(true),
                )
                .limit(top as IdxSize)
                .collect()?;
            let values = counted.column(column)?;
            let counts = counted.column(COUNT)?;
            let mut found = Vec::with_capacity(counted.height());
            for i in 0..counted.height() {
                found.push(FacetValue {
                    value: to_json(&values.get(i)?),
                    count: counts.get(i)?.extract::<i64>().unwrap_or(0),
                });
            }
            facets.push(Facet {
                column: column.clone(),
                values: found,
            });
        }
        Ok(facets)
    }
}

/// The name of the count column facets add: one no spreadsheet header holds (it starts with a
/// control character), so that it cannot meet a dataset's own column.
const COUNT: &str = "\u{1}count";

/// A lazy scan of a stored version.
pub(super) fn scan(parquet: &Path) -> Result<LazyFrame, ExploreError> {
    Ok(LazyFrame::scan_parquet(
        PlRefPath::new(parquet.to_string_lossy().as_ref()),
        ScanArgsParquet::default(),
    )?)
}

/// The number of rows the frame holds.
fn count(frame: LazyFrame) -> Result<i64, ExploreError> {
    let counted = frame.select([len().alias(COUNT)]).collect()?;
    Ok(counted.column(COUNT)?.get(0)?.extract::<i64>().unwrap_or(0))
}

/// A frame's rows as JSON cells, in column order.
fn cells(frame: &DataFrame) -> Result<Vec<Vec<Value>>, ExploreError> {
    let columns = frame.columns();
    let mut rows = Vec::with_capacity(frame.height());
    for row in 0..frame.height() {
        let mut values = Vec::with_capacity(columns.len());
        for column in columns {
            values.push(to_json(&column.get(row)?));
        }
        rows.push(values);
    }
    Ok(rows)
}
