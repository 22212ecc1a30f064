//! What an owner does with a dataset's versions once they exist (issue 16): withdraw one whose
//! data must no longer be served, make an older one current again, pin the links that follow
//! the latest version to one. Uploading a version is [`super::upload`].

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::VersionView;
use crate::datasets;
use crate::http::access::{Admin, Edit, OnDataset, deferred};
use crate::http::error::{ApiError, ApiResult, ErrorCode};
use crate::state::AppState;
use crate::time::now_millis;

/// The version number in the path; one that is not a number names no version (`404`).
fn version_number(path: web::Path<(String, String)>) -> Result<i32, ApiError> {
    let (_, number) = path.into_inner();
    number
        .parse::<i32>()
        .ok()
        .filter(|n| *n >= 1)
        .ok_or_else(|| ApiError::not_found(&format!("version {number} of this dataset")))
}

/// A JSON body that may be absent: an empty body is the default.
fn optional_body<T: Default + serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(bytes)
        .map_err(|e| ApiError::new(ErrorCode::InvalidJson, format!("invalid JSON body: {e}")))
}

/// Why a version is withdrawn; the body may be left out.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({"reason": "Participant 12 withdrew consent"})))]
pub struct WithdrawRequest {
    /// Kept with the version and shown wherever it is asked for (trimmed; at most 2,000
    /// characters).
    #[schema(max_length = 2000)]
    pub reason: Option<String>,
}

/// Withdraws a version: its data is no longer served (owners and admins of the dataset).
///
/// Needs `admin` on the dataset (`403` with less, `404` without any access). The version's
/// file is deleted; its row, with its SHA-256, stays in the history, marked withdrawn, with
/// who withdrew it, when and the optional `reason`. From then on its preview, rows, exports
/// and export files answer `410 version_withdrawn`, and so do links pinned to it (a browser
/// gets a page saying when and why). The current version cannot be withdrawn (`409`): make an
/// older one current or upload a new one first. Withdrawing a withdrawn version changes
/// nothing (idempotent). Audited (`dataset.version.withdraw`).
#[utoipa::path(post, path = "/api/v1/datasets/{id}/versions/{version}/withdraw", tag = "datasets",
    params(("id" = String, Path), ("version" = i32, Path, minimum = 1)),
    request_body(content = Option<WithdrawRequest>, description = "Optional"), responses(
    (status = 200, description = "The version, withdrawn", body = VersionView),
    (status = 403, body = crate::http::error::ErrorBody),
    (status = 404, body = crate::http::error::ErrorBody),
    (status = 409, description = "The current version", body = crate::http::error::ErrorBody),
    (status = 422, body = crate::http::error::ErrorBody),
))]
pub async fn withdraw_version(
    on: OnDataset<Admin>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    body: deferred::Bytes,
) -> ApiResult<web::Json<VersionView>> {
    let number = version_number(path)?;
    let request: WithdrawRequest = optional_body(&body.read().await?)?;
    let OnDataset {
        dataset, caller, ..
    } = on;
    let (version, file) = state
        .db
        .run(move |conn| {
            datasets::withdraw(
                conn,
                &caller,
                &dataset,
                number,
                request.reason.as_deref(),
                now_millis(),
            )
        })
        .await?;
    if let Some(file) = file {
        state.storage.remove_files(&[file]);
    }
    tracing::info!(dataset = %version.dataset_id, version = version.version, "dataset version withdrawn");
    Ok(web::Json(version.into()))
}

/// A note to add to a restored version's change note; the body may be left out.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({"note": "Version 3 had the wrong calibration"})))]
pub struct RestoreRequest {
    /// Added after "Restored version n: " (trimmed; at most 2,000 characters).
    #[schema(max_length = 2000)]
    pub note: Option<String>,
}

/// Makes an older version current again, as a new version (editors).
///
/// Needs `edit` on the dataset (`403` with less, `404` without any access). The new version
/// copies the older one's stored file (same rows, columns and SHA-256; nothing is rewritten)
/// and its change note says "Restored version n", with the optional `note` after it. Its
/// columns may differ from the current version's: choosing the version is the confirmation.
/// A withdrawn version cannot be restored (`410 version_withdrawn`). Not idempotent: each
/// call makes a version. Audited (`dataset.version.restore`).
#[utoipa::path(post, path = "/api/v1/datasets/{id}/versions/{version}/restore", tag = "datasets",
    params(("id" = String, Path), ("version" = i32, Path, minimum = 1)),
    request_body(content = Option<RestoreRequest>, description = "Optional"), responses(
    (status = 201, description = "The new, current version", body = VersionView),
    (status = 403, body = crate::http::error::ErrorBody),
    (status = 404, body = crate::http::error::ErrorBody),
    (status = 410, description = "`version_withdrawn`: the version was withdrawn", body = crate::http::error::ErrorBody),
    (status = 422, body = crate::http::error::ErrorBody),
))]
pub async fn restore_version(
    on: OnDataset<Edit>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    body: deferred::Bytes,
) -> ApiResult<HttpResponse> {
    let number = version_number(path)?;
    let request: RestoreRequest = optional_body(&body.read().await?)?;
    let OnDataset {
        dataset, caller, ..
    } = on;
    let version = datasets::restore_version(
        &state.db,
        &state.storage,
        &caller,
        &dataset.id,
        number,
        request.note.as_deref(),
        now_millis(),
    )
    .await?;
    tracing::info!(dataset = %dataset.id, restored = number, version = version.version, "dataset version restored");
    Ok(HttpResponse::Created().json(VersionView::from(version)))
}

/// How many links a pin changed.
#[derive(Debug, Serialize, ToSchema)]
#[schema(examples(json!({"version": 2, "pinned": 3})))]
pub struct PinnedLinksView {
    /// The version they now serve.
    pub version: i32,
    /// Links that followed the latest version and now serve this one.
    pub pinned: usize,
}

/// Pins the dataset's links that follow its latest version to this version (owners and admins
/// of the dataset).
///
/// Needs `admin` on the dataset (`403` with less, `404` without any access). Every live link
/// to the dataset itself that follows its latest version (made with no `version`) serves this
/// version from now on, whatever is uploaded later; links already pinned, links to an export's
/// file and revoked links stay as they are. A withdrawn version cannot be pinned to (`422`).
/// Answers how many were pinned; again, none (idempotent). Audited (`link.pin`).
#[utoipa::path(post, path = "/api/v1/datasets/{id}/versions/{version}/pin-links", tag = "sharing",
    params(("id" = String, Path), ("version" = i32, Path, minimum = 1)), responses(
    (status = 200, body = PinnedLinksView),
    (status = 403, body = crate::http::error::ErrorBody),
    (status = 404, body = crate::http::error::ErrorBody),
    (status = 422, description = "The version was withdrawn", body = crate::http::error::ErrorBody),
))]
pub async fn pin_links(
    on: OnDataset<Admin>,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> ApiResult<web::Json<PinnedLinksView>> {
    let number = version_number(path)?;
    let OnDataset {
        dataset, caller, ..
    } = on;
    let pinned = state
        .db
        .run(move |conn| {
            crate::links::manage::pin_following(conn, &caller, &dataset, number, now_millis())
        })
        .await?;
    Ok(web::Json(PinnedLinksView {
        version: number,
        pinned,
    }))
}
