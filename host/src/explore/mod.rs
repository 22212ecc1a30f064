//! Looking into a stored version without exporting it: the dataset page's table (a view with
//! its filter, search and sort, a window of its rows and the counts of its facets) and each
//! column's summary. Both speak the export's filter language, so that what a researcher sees on
//! the page is what an export of the same view writes.

pub mod summary;
pub mod view;

use crate::export::ExportError;

#[derive(Debug, thiserror::Error)]
pub enum ExploreError {
    /// The view asked for something the version cannot give (an unknown column, a filter
    /// that does not parse, a search on a dataset without text).
    #[error("{0}")]
    Invalid(String),
    #[error("reading the dataset failed: {0}")]
    Data(String),
}

impl From<ExportError> for ExploreError {
    fn from(err: ExportError) -> Self {
        match err {
            ExportError::Invalid(message) => ExploreError::Invalid(message),
            other => ExploreError::Data(other.to_string()),
        }
    }
}

impl From<polars::prelude::PolarsError> for ExploreError {
    fn from(err: polars::prelude::PolarsError) -> Self {
        ExploreError::Data(err.to_string())
    }
}
