use actix_web::web;
use serde::Deserialize;
use utoipa::ToSchema;

use super::DatasetSummaryView;
use crate::datasets::{self, MetadataChange};
use crate::http::access::{Edit, OnDataset, deferred};
use crate::http::error::ApiResult;
use crate::state::AppState;
use crate::time::now_millis;

/// A metadata change; absent fields stay as they are, `null` clears an optional one.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({
    "name": "Lake temperatures",
    "description": "Daily readings from three lakes, 2024",
    "tags": ["limnology", "temperature"],
    "licence": "CC-BY-4.0"
})))]
pub struct DatasetChangesRequest {
    /// Trimmed; 1 to 200 characters. (`title` is taken as another name for it.)
    #[serde(alias = "title")]
    #[schema(min_length = 1, max_length = 200, pattern = r"\S")]
    pub name: Option<String>,
    /// At most 10,000 characters; stored trimmed.
    #[schema(max_length = 10000)]
    pub description: Option<String>,
    /// The whole new list: at most 50 tags, each trimmed, 1 to 64 characters; repeats are
    /// dropped.
    #[schema(max_items = 50, min_length = 1, max_length = 64, pattern = r"\S")]
    pub tags: Option<Vec<String>>,
    /// An SPDX licence identifier from the SPDX License List (any case; stored as the list
    /// spells it, `+` for "or later" allowed), a `LicenseRef-...`, identifiers joined by `AND`
    /// / `OR` with parentheses, or `other (see description)`; `null` for none. Anything else
    /// is refused (`422`, naming it and the nearest identifier). A value equal to the stored
    /// one is kept as it is, even if it predates the check.
    #[serde(default, deserialize_with = "crate::http::api::double_option")]
    #[schema(value_type = Option<String>, examples("CC-BY-4.0", "other (see description)"))]
    pub licence: Option<Option<String>>,
    /// Team id or name; `null` detaches the dataset from its team (owner or admin only).
    #[serde(default, deserialize_with = "crate::http::api::double_option")]
    #[schema(value_type = Option<String>, min_length = 1)]
    pub team: Option<Option<String>>,
}

/// Changes a dataset's metadata (editors).
///
/// Needs `edit` on the dataset (`403` with less, `404` without any access); moving it to
/// another team, or out of one, needs `admin` and membership of the new team (`403`). Absent
/// fields stay as they are; the same change twice leaves the same metadata (idempotent). The
/// decision is audited (`access.dataset`); moving teams changes who reaches the dataset on the
/// next request.
#[utoipa::path(patch, path = "/api/v1/datasets/{id}", tag = "datasets", params(("id" = String, Path)),
    request_body = DatasetChangesRequest, responses(
    (status = 200, body = DatasetSummaryView),
    (status = 403, body = crate::http::error::ErrorBody),
    (status = 404, body = crate::http::error::ErrorBody),
    (status = 422, body = crate::http::error::ErrorBody),
))]
pub async fn update_dataset(
    on: OnDataset<Edit>,
    state: web::Data<AppState>,
    body: deferred::Json<DatasetChangesRequest>,
) -> ApiResult<web::Json<DatasetSummaryView>> {
    let body = body.read().await?.into_inner();
    let change = MetadataChange {
        name: body.name,
        description: body.description,
        tags: body.tags,
        licence: body.licence,
        team: body.team,
    };
    let OnDataset {
        dataset,
        caller,
        held,
        ..
    } = on;
    let dataset = state
        .db
        .run(move |conn| datasets::update(conn, &caller, held, &dataset, &change, now_millis()))
        .await?;
    Ok(web::Json(dataset.into()))
}
