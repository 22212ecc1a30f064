use actix_web::web;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::access::Caller;
use crate::db::share_links::ShareLink;
use crate::http::access::{Admin, OnDataset, deferred};
use crate::http::error::ApiResult;
use crate::http::views::links::{LinkView, link_views};
use crate::links::manage;
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
pub struct LinkListQuery {
    /// A dataset's id: every link on it (or its exports), whoever made it; needs `admin` on it
    /// (`403` with less, `404` without any access).
    pub dataset: Option<String>,
}

/// The links the caller made, and every link on the datasets they administer (site admins:
/// every link), newest first, with their state and downloads.
///
/// Any signed-in caller. Revoked, expired and suspended links are listed too, with their
/// state. Not paged. Changes nothing (asking for one dataset's links is an audited decision).
#[utoipa::path(get, path = "/api/v1/links", tag = "sharing", params(LinkListQuery), responses(
    (status = 200, body = Vec<LinkView>),
    (status = 403, body = crate::http::error::ErrorBody),
    (status = 404, body = crate::http::error::ErrorBody),
))]
pub async fn list_links(
    caller: Caller,
    state: web::Data<AppState>,
    query: deferred::Query<LinkListQuery>,
) -> ApiResult<web::Json<Vec<LinkView>>> {
    let dataset = query.read().await?.into_inner().dataset;
    let views = state
        .db
        .run(move |conn| {
            let links = manage::visible_links(conn, &caller, dataset.as_deref())?;
            link_views(conn, &caller, &links)
        })
        .await?;
    Ok(web::Json(views))
}

/// Every link on the dataset (and its exports), whoever made it (needs admin on it).
///
/// Needs `admin` on the dataset (`403` with less, `404` without any access): the same as
/// `GET /api/v1/links?dataset={id}`. Newest first; not paged. The decision is audited
/// (`access.dataset`). Changes nothing.
#[utoipa::path(get, path = "/api/v1/datasets/{id}/links", tag = "sharing", params(("id" = String, Path)), responses(
    (status = 200, body = Vec<LinkView>),
    (status = 403, body = crate::http::error::ErrorBody),
    (status = 404, body = crate::http::error::ErrorBody),
))]
pub async fn list_dataset_links(
    on: OnDataset<Admin>,
    state: web::Data<AppState>,
) -> ApiResult<web::Json<Vec<LinkView>>> {
    let OnDataset {
        dataset, caller, ..
    } = on;
    let views = state
        .db
        .run(move |conn| {
            let links = ShareLink::list_for_dataset(conn, &dataset.id)?;
            link_views(conn, &caller, &links)
        })
        .await?;
    Ok(web::Json(views))
}
