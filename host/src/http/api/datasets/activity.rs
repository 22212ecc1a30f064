use actix_web::web;
use diesel::prelude::*;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::activity::report::{self, Report};
use crate::db::schema::share_links;
use crate::http::access::{Admin, OnDataset, deferred};
use crate::http::api::activity::{RangeQuery, scope_of};
use crate::http::error::{ApiError, ApiResult};
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
pub struct LinkFilter {
    /// Only this link of the dataset (`404` for a link of another dataset).
    pub link: Option<String>,
}

/// The dataset's activity over time: link views, downloads, unique visitors, exports by
/// format, refusals by reason, in periods of a day, a week or a month.
///
/// Needs `admin` on the dataset (its owner, and site admins). Read from the daily counts kept
/// as events arrive, so it answers as fast over years as over a day; unique visitors are
/// counted once a day (per dataset, or per link with `link`), from a hash of their address
/// under a key of the day (no address is kept). Changes nothing.
#[utoipa::path(get, path = "/api/v1/datasets/{id}/activity", tag = "activity", params(("id" = String, Path), RangeQuery, LinkFilter), responses(
    (status = 200, body = Report),
    (status = 404, body = crate::http::error::ErrorBody),
    (status = 422, body = crate::http::error::ErrorBody),
))]
pub async fn get_dataset_activity(
    on: OnDataset<Admin>,
    state: web::Data<AppState>,
    range: deferred::Query<RangeQuery>,
    filter: deferred::Query<LinkFilter>,
) -> ApiResult<web::Json<Report>> {
    let mut scope = scope_of(&*range.read().await?, crate::time::now_millis())?;
    scope.dataset = Some(on.dataset.id.clone());
    scope.link = filter.read().await?.link.clone();
    let report = state
        .db
        .run(move |conn| {
            if let Some(link) = &scope.link {
                let found: i64 = share_links::table
                    .filter(share_links::id.eq(link))
                    .filter(share_links::dataset_id.eq(scope.dataset.clone()))
                    .count()
                    .get_result(conn)?;
                if found == 0 {
                    return Err(ApiError::not_found("no such link on this dataset"));
                }
            }
            Ok::<_, ApiError>(report::report(conn, &scope)?)
        })
        .await?;
    Ok(web::Json(report))
}
