use actix_web::{HttpResponse, web};
use diesel::prelude::*;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::activity::report::{self, Report};
use crate::db::schema::share_links;
use crate::http::access::{Admin, OnDataset, deferred};
use crate::http::api::activity::{DownloadQuery, RangeQuery, download, scope_of};
use crate::http::error::{ApiError, ApiResult};
use crate::plugins::exporter::DatasetInfo;
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
/// under a key of the day (no address is kept). With `format` (`csv`, `json`, or any
/// installed export format), the series is downloaded as a file made by that format's plugin,
/// as an export is: one row per period, one column per count (`404 unknown_format` for a
/// format not installed). Changes nothing.
#[utoipa::path(get, path = "/api/v1/datasets/{id}/activity", tag = "activity", params(("id" = String, Path), RangeQuery, LinkFilter, DownloadQuery), responses(
    (status = 200, description = "The report as JSON; with `format`, its series as a file in that format (an attachment)", content(
        (Report = "application/json"),
        (String = "text/csv", example = json!("start,views,downloads,unique_visitors,bytes_downloaded,exports,export_failures,refusals,shares_granted,links_created,versions_added,sign_ins\n2026-12-06,4,1,2,2048,0,0,0,1,1,0,0\n2026-12-07,8,4,2,8192,2,0,3,0,0,0,0\n")),
        (Vec<u8> = "*/*"),
    )),
    (status = 404, description = "No such dataset, link of it, or format", body = crate::http::error::ErrorBody),
    (status = 422, body = crate::http::error::ErrorBody),
    (status = 502, description = "The format's plugin failed", body = crate::http::error::ErrorBody),
))]
pub async fn get_dataset_activity(
    on: OnDataset<Admin>,
    state: web::Data<AppState>,
    range: deferred::Query<RangeQuery>,
    filter: deferred::Query<LinkFilter>,
    file: deferred::Query<DownloadQuery>,
) -> ApiResult<HttpResponse> {
    let mut scope = scope_of(&*range.read().await?, crate::time::now_millis())?;
    let plugin = file.read().await?.plugin(&state)?;
    let dataset = on.dataset;
    scope.dataset = Some(dataset.id.clone());
    scope.link = filter.read().await?.link.clone();
    let (report, link_name) = state
        .db
        .run(move |conn| {
            let mut link_name = None;
            if let Some(link) = &scope.link {
                link_name = share_links::table
                    .filter(share_links::id.eq(link))
                    .filter(share_links::dataset_id.eq(scope.dataset.clone()))
                    .select(share_links::name)
                    .first::<String>(conn)
                    .optional()?;
                if link_name.is_none() {
                    return Err(ApiError::not_found("no such link on this dataset"));
                }
            }
            Ok::<_, ApiError>((report::report(conn, &scope)?, link_name))
        })
        .await?;
    let Some(plugin) = plugin else {
        return Ok(HttpResponse::Ok().json(report));
    };
    let about = describe(&dataset, &report, link_name.as_deref());
    download(&state, plugin, &report, about, &dataset.name).await
}

/// The report's table as an export format is told about it: named after the dataset (and the
/// link), saying what it counts and over which days.
fn describe(
    dataset: &crate::db::datasets::Dataset,
    report: &Report,
    link: Option<&str>,
) -> DatasetInfo {
    let of = match link {
        Some(link) => format!("{} (link “{link}”)", dataset.name),
        None => dataset.name.clone(),
    };
    DatasetInfo {
        id: dataset.id.clone(),
        name: format!("Activity of {of}"),
        description: format!(
            "Views, downloads, unique visitors, exports and refusals of {of}, by {}, from {} to {} (UTC).",
            report.grouping.as_str(),
            report.from,
            report.to
        ),
        version: u32::try_from(dataset.latest_version).unwrap_or(0),
        licence: None,
        tags: Vec::new(),
        version_sha256: String::new(),
    }
}
