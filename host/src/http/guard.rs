//! The outer guard of `/api/v1`: it runs before any handler or extractor, so no request
//! reaches a body parser, a query parser or a handler without first being authenticated and
//! cleared for the resource its path names.
//!
//! - Every route but sign-in and the API document needs a verified caller (`401`).
//! - `/admin/...` needs a site admin (`403`).
//! - `/datasets/{id}/...` and `/exports/{id}/...` need at least view on the dataset; a
//!   caller without it is told the dataset does not exist (`404`), and the refusal is audited.
//!
//! Handlers still require the precise level they need (edit to change, admin to share); this
//! guard makes sure a caller with no rights at all is turned away the same way on every route,
//! whatever their request body says.

use std::sync::LazyLock;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::ResourceDef;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, web};

use crate::access::Level;
use crate::auth::Caller;
use crate::http::extract::authenticate;
use crate::db::DbError;
use crate::db::datasets::Dataset;
use crate::db::export_jobs::ExportJob;
use crate::http::error::ApiError;
use crate::state::AppState;

/// Routes under `/api/v1` that anyone may call.
const PUBLIC: &[&str] = &[
    "/api/v1/auth/login",
    "/api/v1/openapi.json",
    // A share link's token is checked by the link routes themselves.
    "/api/v1/link",
    "/api/v1/link/rows",
    "/api/v1/link/download",
];

/// Every documented route, as the router would match it.
static DOCUMENTED: LazyLock<Vec<ResourceDef>> = LazyLock::new(|| {
    use utoipa::OpenApi;
    crate::http::openapi::ApiDoc::openapi()
        .paths
        .paths
        .keys()
        .map(|path| ResourceDef::new(path.as_str()))
        .collect()
});

/// What a path under `/api/v1` names, for the guard.
enum Guarded<'a> {
    Admin,
    Dataset(&'a str),
    Export(&'a str),
    Other,
}

fn classify(path: &str) -> Guarded<'_> {
    let rest = path.strip_prefix("/api/v1/").unwrap_or("");
    let mut parts = rest.split('/');
    match (parts.next(), parts.next()) {
        (Some("admin"), _) => Guarded::Admin,
        (Some("datasets"), Some(id)) if !id.is_empty() => Guarded::Dataset(id),
        (Some("exports"), Some(id)) if !id.is_empty() => Guarded::Export(id),
        _ => Guarded::Other,
    }
}

pub async fn guard_api(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    // A refusal is answered here, as a response rather than an error: an error would leave
    // the middleware stack before the security headers are added (issue 14, item 13).
    match decide(&req).await {
        Ok(Some(caller)) => {
            req.extensions_mut().insert(caller);
        }
        Ok(None) => {}
        Err(err) => return Ok(req.error_response(err).map_into_right_body()),
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_left_body)
}

/// The caller, cleared for what the path names; `None` for routes anyone may call.
async fn decide(req: &ServiceRequest) -> Result<Option<Caller>, ApiError> {
    // The path as the router matched it, percent-escapes decoded: deciding on the raw path
    // let `/api/v1/%65xports/{id}/links` pass as "not an export route" while the router ran
    // the export route (issue 14, item 2).
    let path = req.match_info().as_str().to_owned();
    // Unrouted paths fall through to the JSON 404; a route left out of the document still
    // authenticates through its `Caller` argument.
    if PUBLIC.contains(&path.as_str()) || !DOCUMENTED.iter().any(|r| r.is_match(&path)) {
        return Ok(None);
    }
    let caller = match authenticate(req.request().clone()).await {
        Ok(caller) => caller,
        Err(err) => {
            tracing::info!(decision = "deny", path = %path, reason = %err.message, "authentication refused");
            return Err(err);
        }
    };
    match classify(&path) {
        Guarded::Admin if !caller.is_admin() => {
            tracing::info!(decision = "deny", user = %caller.user.id, path = %path, "admin route refused");
            record_admin_refusal(req, &caller, &path).await?;
            return Err(ApiError::forbidden(
                "this needs a site admin (and, with an API token, the 'admin' scope)",
            ));
        }
        Guarded::Dataset(id) => {
            require_view(req, &caller, DatasetRef::Dataset(id.to_owned())).await?
        }
        Guarded::Export(id) => {
            require_view(req, &caller, DatasetRef::Export(id.to_owned())).await?
        }
        _ => {}
    }
    Ok(Some(caller))
}

/// A refused admin request goes in the audit log like any refusal.
async fn record_admin_refusal(
    req: &ServiceRequest,
    caller: &Caller,
    path: &str,
) -> Result<(), ApiError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| ApiError::internal("application state missing"))?;
    let event = crate::access::audit::AuditEvent::new(
        crate::access::audit::actor_user(&caller.user.id),
        "access.admin",
        format!("{} {path}", req.method()),
    )
    .outcome("denied")
    .detail(serde_json::json!({"rule": "not a site admin (or a token without the admin scope)"}))
    .address(caller.address.clone());
    state
        .db
        .run(move |conn| crate::access::audit::record(conn, crate::time::now_millis(), event))
        .await?;
    Ok(())
}

enum DatasetRef {
    Dataset(String),
    Export(String),
}

/// At least view on the dataset the path names; not found otherwise.
async fn require_view(
    req: &ServiceRequest,
    caller: &Caller,
    target: DatasetRef,
) -> Result<(), ApiError> {
    if caller.is_admin() {
        return Ok(());
    }
    let state = req
        .app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| ApiError::internal("application state missing"))?;
    let caller = caller.clone();
    let (what, found) = match &target {
        DatasetRef::Dataset(_) => ("dataset", "dataset"),
        DatasetRef::Export(_) => ("export", "export"),
    };
    state
        .db
        .run(move |conn| {
            let dataset_id = match &target {
                DatasetRef::Dataset(id) => id.clone(),
                DatasetRef::Export(id) => match ExportJob::find(conn, id) {
                    Ok(job) => job.dataset_id,
                    Err(DbError::NotFound) => return Err(ApiError::not_found(what)),
                    Err(other) => return Err(other.into()),
                },
            };
            let dataset = match Dataset::find(conn, &dataset_id) {
                Ok(dataset) => dataset,
                Err(DbError::NotFound) => return Err(ApiError::not_found(found)),
                Err(other) => return Err(other.into()),
            };
            // Grants are audited by the handler's own, precise decision; refusals here.
            let why = crate::access::decide_dataset(conn, &caller, &dataset, Level::View)?;
            if why.allowed {
                Ok(())
            } else {
                crate::access::record_decision(conn, &caller, &dataset, Level::View, &why)?;
                Err(ApiError::not_found(found))
            }
        })
        .await
}
