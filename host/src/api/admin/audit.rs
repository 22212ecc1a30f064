//! The audit log for site admins: filter it, page through it, export it as CSV, and verify
//! that its hash chain is whole.

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::access::audit::{self, ChainReport};
use crate::api::pagination::Page;
use crate::auth::AdminCaller;
use crate::db::audit_log::{AuditFilter, AuditRow};
use crate::error::{ApiError, ApiResult};
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
    /// `ok`, `granted` or `denied`.
    pub outcome: Option<String>,
    /// Entries at or after this time (RFC 3339).
    pub since: Option<String>,
    /// Entries before this time (RFC 3339).
    pub until: Option<String>,
    /// `json` (default) or `csv` (every matching entry, as a file).
    pub format: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntryView {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub outcome: String,
    pub detail: serde_json::Value,
    pub address: Option<String>,
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
    })
}

/// Audit entries, newest first, filtered; `format=csv` downloads every match.
#[utoipa::path(get, path = "/api/v1/admin/audit", tag = "admin", params(Page, AuditQuery), responses(
    (status = 200, description = "The entries, newest first: JSON, or with `format=csv` the same as CSV (RFC 4180)", content(
        (AuditListView = "application/json"),
        (String = "text/csv"),
    )),
    (status = 422, body = crate::error::ErrorBody),
))]
pub async fn list_audit(
    state: web::Data<AppState>,
    _caller: AdminCaller,
    page: web::Query<Page>,
    query: web::Query<AuditQuery>,
) -> ApiResult<HttpResponse> {
    let query = query.into_inner();
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

/// Walks the whole hash chain and reports any entry changed or removed.
#[utoipa::path(get, path = "/api/v1/admin/audit/verify", tag = "admin", responses((status = 200, body = ChainReport)))]
pub async fn verify_audit(
    state: web::Data<AppState>,
    _caller: AdminCaller,
) -> ApiResult<web::Json<ChainReport>> {
    let report = state.db.run(audit::verify).await?;
    Ok(web::Json(report))
}
