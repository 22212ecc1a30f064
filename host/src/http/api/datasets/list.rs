use actix_web::web;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::DatasetSummaryView;
use crate::access;
use crate::access::Caller;
use crate::db::datasets::{Dataset, DatasetFilter, DatasetOrder};
use crate::db::teams::Team;
use crate::http::access::deferred;
use crate::http::api::pagination::Page;
use crate::http::error::{ApiError, ApiResult};
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
pub struct DatasetQuery {
    /// Only datasets of this team (id or name); a team that does not exist is refused (`422`).
    #[param(min_length = 1)]
    pub team: Option<String>,
    /// Text to find in the name or description (case-insensitive).
    pub q: Option<String>,
    /// The order: `-updated` (the most recently changed first, the default), `updated`,
    /// `name` (A to Z, case aside) or `-name`; anything else is refused (`422`).
    pub sort: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(examples(json!({
    "items": [{
        "id": "01932f73-2b4d-7f60-9c8e-5a6b7c8d9e0f",
        "name": "Lake temperatures",
        "description": "Daily readings from three lakes, 2024",
        "tags": ["limnology", "temperature"],
        "licence": "CC-BY-4.0",
        "owner_id": "01932f6e-4c1a-7d2b-9a51-3f0e8c2d7b10",
        "team_id": null,
        "latest_version": 1,
        "created_at": "2026-03-02T10:00:00Z",
        "updated_at": "2026-03-02T10:05:00Z"
    }],
    "total": 1,
    "offset": 0,
    "limit": 50
})))]
pub struct DatasetListView {
    pub items: Vec<DatasetSummaryView>,
    pub total: i64,
    pub offset: i64,
    pub limit: i64,
}

/// Datasets the caller can see, most recently changed first.
///
/// Any signed-in caller: the datasets they hold at least `view` on, through ownership, a team,
/// a share or a policy rule (a site admin: every dataset). Paged with `offset` and `limit`;
/// `total` counts every match. `q` finds text in the name or description, `team` narrows to one
/// team, `sort` orders them (the most recently changed first unless told). Listing is not audited dataset by dataset. Changes nothing.
#[utoipa::path(get, path = "/api/v1/datasets", tag = "datasets", params(Page, DatasetQuery), responses(
    (status = 200, body = DatasetListView),
    (status = 422, body = crate::http::error::ErrorBody),
))]
pub async fn list_datasets(
    caller: Caller,
    state: web::Data<AppState>,
    page: deferred::Query<Page>,
    query: deferred::Query<DatasetQuery>,
) -> ApiResult<web::Json<DatasetListView>> {
    let (offset, limit) = page.read().await?.resolve()?;
    let query = query.read().await?.into_inner();
    let order = DatasetOrder::parse(query.sort.as_deref().unwrap_or_default())
        .ok_or_else(|| ApiError::validation("sort must be -updated, updated, name or -name"))?;
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
                order,
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
