//! How a request names a view of a dataset's rows — `filter` (the export's JSON language),
//! `sort` (`score,-name`) and `q` (text to find) — read one way by the rows API and the dataset
//! page, whose address is the view: a link to it shows the same rows to whoever may read them.

use crate::explore::view::TableView;
use crate::export::SortKey;
use crate::http::error::ApiError;

/// The view the three query parameters describe; empty ones are absent. A filter that is not
/// JSON is refused with `422`, naming the parameter.
pub fn from_query(
    filter: Option<&str>,
    sort: Option<&str>,
    search: Option<&str>,
) -> Result<TableView, ApiError> {
    let filter = match filter.map(str::trim).filter(|t| !t.is_empty()) {
        Some(text) => Some(
            serde_json::from_str(text)
                .map_err(|e| ApiError::validation(format!("filter is not valid JSON: {e}")))?,
        ),
        None => None,
    };
    Ok(TableView {
        filter,
        search: search
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned),
        sort: sort.map(SortKey::parse_list).unwrap_or_default(),
    })
}
