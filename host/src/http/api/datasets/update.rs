use actix_web::web;
use serde::Deserialize;
use utoipa::ToSchema;

use super::DatasetSummaryView;
use crate::access::Level;
use crate::db::datasets::{Dataset, DatasetChanges};
use crate::http::access::{Edit, OnDataset, deferred};
use crate::http::api::required_text;
use crate::http::api::teams::team_for_caller;
use crate::http::error::{ApiError, ApiResult};
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
    /// A licence name or SPDX id (trimmed; 1 to 200 characters), or `null` for none.
    #[serde(default, deserialize_with = "crate::http::api::double_option")]
    #[schema(value_type = Option<String>, min_length = 1, max_length = 200, pattern = r"\S")]
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
    let mut changes = DatasetChanges {
        updated_at: now_millis(),
        ..Default::default()
    };
    if let Some(name) = &body.name {
        changes.name = Some(required_text("name", name, 200)?);
    }
    if let Some(description) = &body.description {
        if description.chars().count() > 10_000 {
            return Err(ApiError::validation(
                "description must be at most 10000 characters",
            ));
        }
        changes.description = Some(description.trim().to_owned());
    }
    if let Some(tags) = &body.tags {
        changes.tags = Some(validate_tags(tags)?);
    }
    if let Some(licence) = &body.licence {
        changes.licence = Some(match licence {
            Some(l) => Some(required_text("licence", l, 200)?),
            None => None,
        });
    }
    let OnDataset {
        dataset,
        caller,
        held,
        ..
    } = on;
    let dataset = state
        .db
        .run(move |conn| {
            if let Some(team) = &body.team {
                if held < Level::Admin {
                    return Err(ApiError::forbidden(
                        "only the dataset's owner can move it to another team",
                    ));
                }
                changes.team_id = Some(match team {
                    Some(reference) => Some(team_for_caller(conn, &caller, reference)?.id),
                    None => None,
                });
            }
            Ok::<_, ApiError>(Dataset::update(conn, &dataset.id, &changes)?)
        })
        .await?;
    Ok(web::Json(dataset.into()))
}

fn validate_tags(tags: &[String]) -> Result<String, ApiError> {
    if tags.len() > 50 {
        return Err(ApiError::validation("at most 50 tags"));
    }
    let mut clean: Vec<String> = Vec::new();
    for tag in tags {
        let tag = required_text("a tag", tag, 64)?;
        if !clean.contains(&tag) {
            clean.push(tag);
        }
    }
    serde_json::to_string(&clean).map_err(ApiError::internal)
}
