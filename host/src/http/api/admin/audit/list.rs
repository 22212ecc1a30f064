use actix_web::http::header;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::access::AdminCaller;
use crate::db::audit_log::{AuditFilter, AuditRow};
use crate::http::access::deferred;
use crate::http::api::pagination::Page;
use crate::http::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::time::{from_rfc3339, to_rfc3339};

#[derive(Debug, Deserialize, IntoParams)]
pub struct AuditQuery {
    /// `user:<id>`, `link:<id>`, `anonymous` or `system`.
    pub actor: Option<String>,
    /// An action (`share.create`) or a family of them (`share`).
    pub action: Option<String>,
    /// e.g. `dataset:<id>`.
    pub target: Option<String>,
    /// `ok`, `granted` or `denied` (any other word matches nothing).
    pub outcome: Option<String>,
    /// Entries at or after this time (RFC 3339; `422` otherwise).
    #[param(format = DateTime)]
    pub since: Option<String>,
    /// Entries before this time (RFC 3339; `422` otherwise).
    #[param(format = DateTime)]
    pub until: Option<String>,
    /// `true` leaves out granted access checks (`access.*` entries with outcome `granted`),
    /// which every page and file opened writes; refusals stay.
    pub hide_granted_access: Option<bool>,
    /// `json` (default: a page) or `csv` (every matching entry, as a file; `offset` and
    /// `limit` do not apply).
    #[param(value_type = Option<crate::http::views::vocabulary::AuditFormat>)]
    pub format: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(examples(json!({
        "seq": 42,
        "at": "2026-03-02T10:10:00Z",
        "actor": "user:01932f6e-4c1a-7d2b-9a51-3f0e8c2d7b10",
        "action": "share.create",
        "target": "dataset:01932f73-2b4d-7f60-9c8e-5a6b7c8d9e0f",
        "outcome": "ok",
        "detail": {"share": "01932f74-6c7d-7a81-b2c3-d4e5f6a7b8c9", "subject": "email:colleague@example.org", "level": "view", "expires_at": null},
        "address": "127.0.0.0/24",
        "hash": "a3f1c9e7b5d3f1a9c7e5b3d1f9a7c5e3b1d9f7a5c3e1b9d7f5a3c1e9b7d5f3a1"
    })))]
pub struct AuditEntryView {
    /// Position in the chain, from 1.
    pub seq: i64,
    #[schema(format = DateTime)]
    pub at: String,
    /// `user:<id>`, `link:<id>`, `anonymous` or `system`.
    pub actor: String,
    /// e.g. `share.create`, `access.dataset`, `login.fail`.
    pub action: String,
    pub target: String,
    #[schema(value_type = crate::http::views::vocabulary::AuditOutcome)]
    pub outcome: String,
    /// What the action was about, by action: the rule that decided, the level needed and held,
    /// the share's terms...
    pub detail: serde_json::Value,
    /// The client's address, cut to its /24 or /48 unless `log_full_addresses` is set.
    pub address: Option<String>,
    /// SHA-256 of this entry and the one before, hex: the chain `verify` walks.
    pub hash: String,
}

impl From<AuditRow> for AuditEntryView {
    fn from(row: AuditRow) -> Self {
        Self {
            seq: row.seq,
            at: to_rfc3339(row.at),
            actor: row.actor,
            action: row.action,
            target: row.target,
            outcome: row.outcome,
            detail: serde_json::from_str(&row.detail).unwrap_or(serde_json::Value::Null),
            address: row.address,
            hash: row.hash,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(examples(json!({"items": [{
        "seq": 42,
        "at": "2026-03-02T10:10:00Z",
        "actor": "user:01932f6e-4c1a-7d2b-9a51-3f0e8c2d7b10",
        "action": "share.create",
        "target": "dataset:01932f73-2b4d-7f60-9c8e-5a6b7c8d9e0f",
        "outcome": "ok",
        "detail": {"share": "01932f74-6c7d-7a81-b2c3-d4e5f6a7b8c9", "subject": "email:colleague@example.org", "level": "view", "expires_at": null},
        "address": "127.0.0.0/24",
        "hash": "a3f1c9e7b5d3f1a9c7e5b3d1f9a7c5e3b1d9f7a5c3e1b9d7f5a3c1e9b7d5f3a1"
    }], "total": 1, "offset": 0, "limit": 50})))]
pub struct AuditListView {
    pub items: Vec<AuditEntryView>,
    pub total: i64,
    pub offset: i64,
    pub limit: i64,
}

fn filter_of(query: &AuditQuery) -> Result<AuditFilter, ApiError> {
    let time = |field: &str, value: &Option<String>| -> Result<Option<i64>, ApiError> {
        value
            .as_deref()
            .map(|text| {
                from_rfc3339(text).ok_or_else(|| {
                    ApiError::validation(format!(
                        "{field} must be an RFC 3339 time such as 2030-01-31T12:00:00Z"
                    ))
                })
            })
            .transpose()
    };
    Ok(AuditFilter {
        actor: query.actor.clone(),
        action: query.action.clone(),
        target: query.target.clone(),
        outcome: query.outcome.clone(),
        since: time("since", &query.since)?,
        until: time("until", &query.until)?,
        hide_granted_access: query.hide_granted_access.unwrap_or(false),
    })
}

/// Audit entries, newest first, filtered; `format=csv` downloads every match.
///
/// Site admins only (`admin` scope). Every filter is optional and they combine; `since` and
/// `until` must be RFC 3339 (`422`). As JSON, paged with `offset` and `limit`, `total`
/// counting every match; as CSV (RFC 4180), every match in one file. Changes nothing.
#[utoipa::path(get, path = "/api/v1/admin/audit", tag = "admin", params(Page, AuditQuery), responses(
    (status = 200, description = "The entries, newest first: JSON, or with `format=csv` the same as CSV (RFC 4180)", content(
        (AuditListView = "application/json"),
        (String = "text/csv"),
    )),
    (status = 422, body = crate::http::error::ErrorBody),
))]
pub async fn list_audit(
    _caller: AdminCaller,
    state: web::Data<AppState>,
    page: deferred::Query<Page>,
    query: deferred::Query<AuditQuery>,
) -> ApiResult<HttpResponse> {
    let page = page.read().await?;
    let query = query.read().await?.into_inner();
    let filter = filter_of(&query)?;
    match query.format.as_deref() {
        None | Some("json") => {
            let (offset, limit) = page.resolve()?;
            let (rows, total) = state
                .db
                .run(move |conn| AuditRow::list(conn, &filter, offset, limit))
                .await?;
            Ok(HttpResponse::Ok().json(AuditListView {
                items: rows.into_iter().map(AuditEntryView::from).collect(),
                total,
                offset,
                limit,
            }))
        }
        Some("csv") => {
            let body = state
                .db
                .run(move |conn| {
                    let mut out = csv::Writer::from_writer(Vec::new());
                    let io = |e: csv::Error| ApiError::internal(e);
                    out.write_record([
                        "seq", "at", "actor", "action", "target", "outcome", "detail", "address",
                        "hash",
                    ])
                    .map_err(io)?;
                    let mut offset = 0;
                    loop {
                        let (rows, _) = AuditRow::list(conn, &filter, offset, 1000)?;
                        if rows.is_empty() {
                            break;
                        }
                        offset += rows.len() as i64;
                        for row in rows {
                            out.write_record([
                                row.seq.to_string(),
                                to_rfc3339(row.at),
                                row.actor,
                                row.action,
                                row.target,
                                row.outcome,
                                row.detail,
                                row.address.unwrap_or_default(),
                                row.hash,
                            ])
                            .map_err(io)?;
                        }
                    }
                    out.into_inner()
                        .map_err(|e| ApiError::internal(e.to_string()))
                })
                .await?;
            Ok(HttpResponse::Ok()
                .content_type("text/csv; charset=utf-8")
                .insert_header((
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"tessera-audit.csv\"",
                ))
                .body(body))
        }
        Some(other) => Err(ApiError::validation(format!(
            "format must be json or csv (got '{other}')"
        ))),
    }
}
