//! The site admin: a caller who is one (with an API token, one holding the `admin` scope).
//! Anyone else is refused with `403`, and the refusal goes in the audit log (`access.admin`)
//! like every refusal.

use actix_web::HttpRequest;
use futures_util::future::LocalBoxFuture;

use super::{AdminCaller, Caller, Decide, app_state};
use crate::access::audit::{self, AuditEvent};
use crate::http::error::ApiError;

impl Decide for AdminCaller {
    fn decide(
        req: &HttpRequest,
        caller: Caller,
    ) -> LocalBoxFuture<'static, Result<Self, ApiError>> {
        // The path as the router matched it, and the method: what the audit entry names.
        let request = format!("{} {}", req.method(), req.match_info().as_str());
        let state = app_state(req);
        Box::pin(async move {
            if caller.is_admin() {
                return Ok(AdminCaller(caller));
            }
            tracing::info!(
                decision = "deny",
                user = %caller.user.id,
                request = %request,
                reason = "not a site admin (or a token without the admin scope)",
                "admin route refused"
            );
            let event =
                AuditEvent::new(audit::actor_user(&caller.user.id), "access.admin", request)
                    .outcome("denied")
                    .detail(serde_json::json!({
                        "rule": "not a site admin (or a token without the admin scope)"
                    }))
                    .address(caller.address.clone());
            state?
                .db
                .run(move |conn| audit::record(conn, crate::time::now_millis(), event))
                .await?;
            Err(ApiError::forbidden(
                "this needs a site admin (and, with an API token, the 'admin' scope)",
            ))
        })
    }

    /// An admin page refuses others with a sentence for a person; opening a page is not an
    /// admin request, so nothing is audited.
    fn decide_for_page(
        _: &HttpRequest,
        caller: Caller,
    ) -> LocalBoxFuture<'static, Result<Self, ApiError>> {
        Box::pin(async move {
            if caller.is_admin() {
                Ok(AdminCaller(caller))
            } else {
                Err(ApiError::forbidden("This page is for site admins."))
            }
        })
    }
}

super::access_extractor!(AdminCaller);
