//! Direct export: the dataset's rows streamed through an exporter plugin into the response.
//!
//! The plugin's `begin` runs before the response starts, so a refused request (unknown
//! column, invalid options) still gets a proper JSON error. After that the body streams; a
//! plugin failing mid-way ends the body early, which clients see as a broken transfer.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::export::{ExportSource, ExportSpec};
use crate::http::access::{OnDataset, View, deferred};
use crate::http::download::attachment;
use crate::http::error::{ApiError, ApiResult};
use crate::http::export_stream::{find_plugin, stream_export};
use crate::state::AppState;

#[derive(Debug, Deserialize, IntoParams)]
pub struct ExportQuery {
    /// Format id, e.g. `csv` or `json` (see `GET /api/v1/plugins`).
    #[param(min_length = 1, example = "csv")]
    pub format: String,
    /// Comma-separated columns to include, in this order (default: all).
    pub columns: Option<String>,
    /// First row to export, from 0.
    #[serde(default, deserialize_with = "empty_as_none")]
    #[param(minimum = 0)]
    pub offset: Option<i64>,
    /// Most rows to export.
    #[serde(default, deserialize_with = "empty_as_none")]
    #[param(minimum = 0)]
    pub limit: Option<i64>,
    /// Dataset version (default: the latest).
    #[serde(default, deserialize_with = "empty_as_none")]
    #[param(minimum = 1)]
    pub version: Option<i32>,
    /// The format's options as a JSON object.
    pub options: Option<String>,
    /// Rows to keep, in the JSON filter language (see docs/export.md).
    pub filter: Option<String>,
    /// Sort keys, comma-separated; a leading `-` sorts descending: `score,-name`.
    pub sort: Option<String>,
    /// New column names as a JSON object: `{"old": "new"}`.
    pub rename: Option<String>,
    /// The export's time as the file records it (RFC 3339, at most milliseconds), e.g. a
    /// manifest's `exported_at`, to make the same file again; default: now.
    #[param(example = "2026-01-02T03:04:05Z")]
    pub exported_at: Option<String>,
}

/// A number from the query string, where an empty value (`limit=`, as a plain HTML form sends
/// an empty field) means the parameter is absent.
fn empty_as_none<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: std::str::FromStr,
    T::Err: std::fmt::Display,
{
    let text: Option<String> = Option::deserialize(deserializer)?;
    match text.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(value) => value.parse().map(Some).map_err(serde::de::Error::custom),
    }
}

impl ExportQuery {
    /// The query string as an [`ExportSpec`]; JSON parameters that do not parse are named.
    fn spec(&self) -> Result<ExportSpec, ApiError> {
        fn json(name: &str, text: &Option<String>) -> Result<Option<serde_json::Value>, ApiError> {
            text.as_deref()
                .filter(|t| !t.trim().is_empty())
                .map(|t| {
                    serde_json::from_str(t)
                        .map_err(|e| ApiError::validation(format!("{name} is not valid JSON: {e}")))
                })
                .transpose()
        }
        let rename = match json("rename", &self.rename)? {
            Some(value) => Some(serde_json::from_value(value).map_err(|_| {
                ApiError::validation("rename must be a JSON object of old to new names")
            })?),
            None => None,
        };
        Ok(ExportSpec {
            columns: self.columns.as_deref().map(|c| {
                c.split(',')
                    .map(|s| s.trim().to_owned())
                    .filter(|s| !s.is_empty())
                    .collect()
            }),
            rename,
            filter: json("filter", &self.filter)?,
            sort: self.sort.as_deref().map(crate::export::SortKey::parse_list),
            offset: self.offset,
            limit: self.limit,
            options: json("options", &self.options)?,
            exported_at: self
                .exported_at
                .clone()
                .filter(|text| !text.trim().is_empty()),
        })
    }
}

/// Streams the dataset in the chosen format.
///
/// Needs `view` on the dataset (`404` without any access; the decision is audited). The
/// answer starts once the format has accepted the request and written its first bytes, so a
/// refusal is still a JSON error: `404` for an unknown dataset, version or format
/// (`unknown_format`), `422` for columns, a filter, a sort, options or an `exported_at` the
/// dataset or format does not take, `502` when the format's plugin fails before writing.
/// A failure after the first bytes ends the stream early. The same query gives the same bytes
/// when `exported_at` is given (see `docs/export.md`). A withdrawn version is not exported
/// (`410 version_withdrawn`). Changes nothing.
#[utoipa::path(get, path = "/api/v1/datasets/{id}/export", tag = "datasets", params(("id" = String, Path), ExportQuery), responses(
    (status = 200, description = "The exported file, streamed"),
    (status = 404, description = "No such dataset, version or format", body = crate::http::error::ErrorBody),
    (status = 410, description = "`version_withdrawn`: the version was withdrawn", body = crate::http::error::ErrorBody),
    (status = 422, description = "Invalid columns or options", body = crate::http::error::ErrorBody),
    (status = 502, description = "The format plugin failed", body = crate::http::error::ErrorBody),
))]
pub async fn export_dataset(
    on: OnDataset<View>,
    state: web::Data<AppState>,
    query: deferred::Query<ExportQuery>,
) -> ApiResult<HttpResponse> {
    let query = query.read().await?.into_inner();
    let plugin = find_plugin(&state, &query.format)?;
    let dataset = on.dataset;
    let version = super::served_version(&state, &dataset, query.version).await?;

    let spec = query.spec()?;
    let exported_at = spec.export_time(crate::time::now_millis())?;
    let source = ExportSource::new(&state.storage, dataset, version, exported_at);
    let filename = source.file_name(&plugin.output(spec.options.as_ref()).extension);

    let (media_type, body) = stream_export(&state, plugin, source, spec).await?;
    Ok(HttpResponse::Ok()
        .content_type(media_type)
        .insert_header(attachment(&filename))
        .streaming(body))
}
