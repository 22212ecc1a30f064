use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::access::AdminCaller;
use crate::activity::report::{self, Installation, Report};
use crate::http::access::deferred;
use crate::http::api::activity::{DownloadQuery, RangeQuery, download, scope_of};
use crate::http::error::{ApiError, ApiResult};
use crate::plugins::exporter::DatasetInfo;
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
pub struct AdminFilter {
    /// Only the datasets of this team (and their links).
    pub team: Option<String>,
    /// Only what this user did (from the raw events, so within `activity_retention_days`).
    pub user: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(examples(json!({
    "from": "2026-12-07", "to": "2026-12-07", "grouping": "day",
    "totals": {"views": 8, "downloads": 4, "unique_visitors": 2, "bytes_downloaded": 8192,
               "exports": 2, "export_failures": 0, "refusals": 3, "shares_granted": 0,
               "links_created": 0, "versions_added": 0, "sign_ins": 6},
    "series": [{"start": "2026-12-07", "views": 8, "downloads": 4, "unique_visitors": 2,
                "bytes_downloaded": 8192, "exports": 2, "export_failures": 0, "refusals": 3,
                "shares_granted": 0, "links_created": 0, "versions_added": 0, "sign_ins": 6}],
    "exports_by_format": [{"format": "csv", "started": 2, "done": 2, "failed": 0, "average_ms": 140}],
    "refusals_by_reason": [{"reason": "wrong_password", "count": 3}],
    "top_datasets": [{"id": "01932f73-2b4d-7f60-9c8e-5a6b7c8d9e0f", "name": "Lake survey", "views": 8, "downloads": 4, "exports": 2}],
    "top_links": [{"id": "01932f75-1a2b-7c3d-8e4f-5a6b7c8d9e0f", "name": "For the lab", "views": 8, "downloads": 4, "exports": 0}],
    "installation": {
        "storage_by_team": [{"team_id": "01932f70-0a1b-7c2d-8e3f-4a5b6c7d8e9f", "team": "Limnology", "datasets": 3, "bytes": 1048576}],
        "active_links": 4,
        "expiring_links": [{"id": "01932f75-1a2b-7c3d-8e4f-5a6b7c8d9e0f", "name": "For the lab", "dataset_id": "01932f73-2b4d-7f60-9c8e-5a6b7c8d9e0f", "expires_at": 1_796_774_400_000_i64}]
    }
})))]
pub struct AdminActivity {
    #[serde(flatten)]
    pub report: Report,
    /// The installation now: storage by team, active links and those soon to expire.
    pub installation: Installation,
}

/// The installation's activity over time: views, downloads, unique visitors, exports by
/// format and their mean duration, refusals by reason, shares, links, sign-ins, the busiest
/// datasets and links; and its state now: storage by team, active links and how soon they
/// expire.
///
/// Site admins only. Narrowed to a team (`team`) or to what one user did (`user`). Read from
/// the daily counts kept as events arrive (a user's from the raw events). With `format`
/// (`csv`, `json`, or any installed export format), the series is downloaded as a file made by
/// that format's plugin, as an export is: one row per period, one column per count (`404
/// unknown_format` for a format not installed). Changes nothing.
#[utoipa::path(get, path = "/api/v1/admin/activity", tag = "admin", params(RangeQuery, AdminFilter, DownloadQuery), responses(
    (status = 200, description = "The activity as JSON; with `format`, its series as a file in that format (an attachment)", content(
        (AdminActivity = "application/json"),
        (String = "text/csv", example = json!("start,views,downloads,unique_visitors,bytes_downloaded,exports,export_failures,refusals,shares_granted,links_created,versions_added,sign_ins\n2026-12-06,4,1,2,2048,0,0,0,1,1,0,0\n2026-12-07,8,4,2,8192,2,0,3,0,0,0,0\n")),
        (Vec<u8> = "*/*"),
    )),
    (status = 404, description = "No such format", body = crate::http::error::ErrorBody),
    (status = 422, body = crate::http::error::ErrorBody),
    (status = 502, description = "The format's plugin failed", body = crate::http::error::ErrorBody),
))]
pub async fn get_admin_activity(
    _admin: AdminCaller,
    state: web::Data<AppState>,
    range: deferred::Query<RangeQuery>,
    filter: deferred::Query<AdminFilter>,
    file: deferred::Query<DownloadQuery>,
) -> ApiResult<HttpResponse> {
    let now = crate::time::now_millis();
    let mut scope = scope_of(&*range.read().await?, now)?;
    let plugin = file.read().await?.plugin(&state)?;
    let filter = filter.read().await?;
    scope.team = filter.team.clone().filter(|t| !t.is_empty());
    let user = filter.user.clone().filter(|u| !u.is_empty());
    let activity = state
        .db
        .run(move |conn| {
            let report = match &user {
                Some(user) => report::report_for_user(conn, &scope, user)?,
                None => report::report(conn, &scope)?,
            };
            let installation = report::installation(conn, now, scope.team.as_deref())?;
            Ok::<_, ApiError>(AdminActivity {
                report,
                installation,
            })
        })
        .await?;
    let Some(plugin) = plugin else {
        return Ok(HttpResponse::Ok().json(activity));
    };
    let report = &activity.report;
    let about = DatasetInfo {
        id: String::new(),
        name: "Activity of the installation".to_owned(),
        description: format!(
            "Views, downloads, unique visitors, exports, refusals, shares, links, versions and \
             sign-ins{}{}, by {}, from {} to {} (UTC).",
            if filter.team.as_deref().is_some_and(|t| !t.is_empty()) {
                " of one team"
            } else {
                ""
            },
            if filter.user.as_deref().is_some_and(|u| !u.is_empty()) {
                " of one user"
            } else {
                ""
            },
            report.grouping.as_str(),
            report.from,
            report.to
        ),
        version: 1,
        licence: None,
        tags: Vec::new(),
        version_sha256: String::new(),
    };
    download(&state, plugin, report, about, "installation").await
}
