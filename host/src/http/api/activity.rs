//! What the activity endpoints share: the range and grouping a report is asked for, and the
//! download of a report's numbers as a file through an exporter plugin (`format=csv`), the
//! same plugins and the same pipeline a dataset's export goes through
//! ([`crate::export::frame`]).

use std::sync::Arc;

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::activity::report::{self, Grouping, Report, Scope};
use crate::http::download::attachment;
use crate::http::error::{ApiError, ApiResult};
use crate::http::export_stream::find_plugin;
use crate::plugins::LoadedPlugin;
use crate::plugins::exporter::DatasetInfo;
use crate::state::AppState;

/// Days a report covers when `from` is not given: thirty, ending on `to`.
const DEFAULT_DAYS: i64 = 30;

#[derive(Debug, Deserialize, IntoParams)]
pub struct RangeQuery {
    /// The first day, `YYYY-MM-DD` (UTC; default: 29 days before `to`).
    #[param(format = Date)]
    pub from: Option<String>,
    /// The last day, included, `YYYY-MM-DD` (UTC; default: today).
    #[param(format = Date)]
    pub to: Option<String>,
    /// `day` (default), `week` (from Monday) or `month`.
    #[param(value_type = Option<Grouping>)]
    pub group: Option<Grouping>,
}

fn date(field: &str, text: &str) -> Result<time::Date, ApiError> {
    time::Date::parse(
        text,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .map_err(|_| ApiError::validation(format!("{field} must be a date such as 2026-12-07")))
}

/// The scope of `query`, checked (`422` for a date that is not one, `to` before `from`, or a
/// range too long).
pub fn scope_of(query: &RangeQuery, now: i64) -> Result<Scope, ApiError> {
    let to = query
        .to
        .as_deref()
        .map(|text| date("to", text))
        .transpose()?;
    let from = query
        .from
        .as_deref()
        .map(|text| date("from", text))
        .transpose()?;
    report::scope_of_range(from, to, DEFAULT_DAYS, query.group.unwrap_or_default(), now)
        .map_err(ApiError::validation)
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct DownloadQuery {
    /// The numbers as a file in this export format (`csv`, `json`, or any installed format's
    /// id, see `GET /api/v1/plugins`): the series as a table, one row per period (`start`, its
    /// first day) and one column per count, named as in the JSON report. Absent: the report
    /// as JSON.
    #[param(example = "csv")]
    pub format: Option<String>,
}

impl DownloadQuery {
    /// The export format asked for, checked against the installed ones (`404
    /// unknown_format`), or `None` for the report as JSON.
    pub fn plugin(&self, state: &AppState) -> ApiResult<Option<Arc<LoadedPlugin>>> {
        match self.format.as_deref().map(str::trim) {
            None | Some("") => Ok(None),
            Some(format) => find_plugin(state, format).map(Some),
        }
    }
}

/// `report`'s series as a file made by `plugin`, described to it by `about` and named
/// `<stem>-activity-<from>-to-<to>.<extension>`.
pub async fn download(
    state: &AppState,
    plugin: Arc<LoadedPlugin>,
    report: &Report,
    about: DatasetInfo,
    stem: &str,
) -> ApiResult<HttpResponse> {
    let mut frame = crate::activity::table::series_frame(report).map_err(ApiError::internal)?;
    let runtime = state.plugins.runtime.clone();
    let tmp_dir = state.storage.tmp_dir();
    let exported_at = crate::time::to_rfc3339(crate::time::now_millis());
    let made = web::block(move || {
        crate::export::frame::export_frame(
            &runtime,
            &plugin,
            &mut frame,
            about,
            exported_at,
            &tmp_dir,
        )
    })
    .await??;
    let name = format!(
        "{}-activity-{}-to-{}.{}",
        crate::export::file_stem(stem),
        report.from,
        report.to,
        made.extension
    );
    Ok(HttpResponse::Ok()
        .content_type(made.media_type)
        .insert_header(attachment(&name))
        .body(made.bytes))
}
