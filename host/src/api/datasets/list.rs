use actix_web::web;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::DatasetSummaryView;
use crate::access;
use crate::api::pagination::Page;
use crate::auth::Caller;
use crate::db::datasets::{Dataset, DatasetFilter};
use crate::db::teams::Team;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
pub struct DatasetQuery {
    /// Only datasets of this team (id or name).
    pub team: Option<String>,
    /// Text to find in the name or description (case-insensitive).
    pub q: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DatasetListView {
    pub items: Vec<DatasetSummaryView>,
    pub total: i64,
    pub offset: i64,
    pub limit: i64,
}

/// Datasets the caller can see, most recently changed first.
#[utoipa::path(get, path = "/api/v1/datasets", tag = "datasets", params(Page, DatasetQuery), responses(
    (status = 200, body = DatasetListView),
    (status = 422, body = crate::error::ErrorBody),
))]
pub async fn list_datasets(
    state: web::Data<AppState>,
    caller: Caller,
    page: web::Query<Page>,
    query: web::Query<DatasetQuery>,
) -> ApiResult<web::Json<DatasetListView>> {
    let (offset, limit) = page.resolve()?;
    let query = query.into_inner();
    let (items, total) = state
        .db
        .run(move |conn| {
            let team_id = match &query.team {
                Some(reference) => Some(
                    Team::find_by_reference(conn, reference)
                        .map_err(|_| {
                            ApiError::validation(format!("there is no team '{reference}'"))
                        })?
                        .id,
                ),
                None => None,
            };
            let visible_to = if caller.is_admin() {
                None
            } else {
                let all = Dataset::all_ids(conn)?;
                Some(access::viewable_datasets(conn, &caller, all)?)
            };
            let filter = DatasetFilter {
                visible_to,
                team_id,
                text: query.q,
            };
            Ok::<_, ApiError>(Dataset::list(conn, &filter, offset, limit)?)
        })
        .await?;
    Ok(web::Json(DatasetListView {
        items: items.into_iter().map(DatasetSummaryView::from).collect(),
        total,
        offset,
        limit,
    }))
}
