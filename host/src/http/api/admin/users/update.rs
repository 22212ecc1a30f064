use actix_web::web;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::access::AdminCaller;
use crate::accounts;
use crate::http::access::deferred;
use crate::http::api::users::UserView;
use crate::http::error::ApiResult;
use crate::state::AppState;
use crate::time::now_millis;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({"is_active": true, "is_admin": false})))]
pub struct UserChangesRequest {
    /// `false` deactivates: the user's sessions and tokens stop working at once, and so do the
    /// share links they made; `true` reactivates (revoked tokens stay revoked).
    pub is_active: Option<bool>,
    /// Promotes to site admin, or demotes.
    pub is_admin: Option<bool>,
}

/// Deactivates, reactivates, promotes or demotes an account.
///
/// Site admins only (`admin` scope). Absent fields stay as they are. Deactivating ends the
/// account's sessions and revokes its tokens at once, and suspends the share links it made; the
/// last active site admin can be neither deactivated nor demoted (`409`). Audited
/// (`admin.user.update`); the change holds on every replica on the next request. Idempotent:
/// the same flags again change nothing more.
#[utoipa::path(patch, path = "/api/v1/admin/users/{id}", tag = "admin", params(("id" = String, Path)),
    request_body = UserChangesRequest, responses(
    (status = 200, body = UserView),
    (status = 404, body = crate::http::error::ErrorBody),
    (status = 409, body = crate::http::error::ErrorBody),
))]
pub async fn update_user(
    admin: AdminCaller,
    state: web::Data<AppState>,
    id: web::Path<String>,
    body: deferred::Json<UserChangesRequest>,
) -> ApiResult<web::Json<UserView>> {
    let id = id.into_inner();
    let changes = body.read().await?.into_inner();
    let admin_id = admin.0.user.id.clone();
    let user = state
        .db
        .run(move |conn| {
            accounts::change_flags(
                conn,
                &admin.0,
                &id,
                changes.is_active,
                changes.is_admin,
                now_millis(),
            )
        })
        .await?;
    tracing::info!(admin = %admin_id, user = %user.id, active = user.is_active, admin_flag = user.is_admin, "user changed");
    Ok(web::Json(user.into()))
}
