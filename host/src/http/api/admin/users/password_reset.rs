use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::access::AdminCaller;
use crate::accounts;
use crate::http::error::ApiResult;
use crate::state::AppState;
use crate::time::{now_millis, to_rfc3339};

/// A password-reset link, shown once to the admin who made it, to pass on.
#[derive(Debug, Serialize, ToSchema)]
#[schema(examples(json!({
    "url": "https://data.example.org/reset-password/tpr_Jq3x0c1Yb7mKp2Zr9sT4vW6eH8nL5aD1fG0iU3oE2yQ",
    "expires_at": "2026-03-03T09:15:00Z",
    "email": "grace@example.org"
})))]
pub struct PasswordResetView {
    /// The page where the person chooses a new password. It works once, and only until
    /// `expires_at`; it is not stored in clear and cannot be shown again.
    pub url: String,
    #[schema(format = DateTime)]
    pub expires_at: String,
    /// Whom it is for.
    pub email: String,
}

/// Makes a password-reset link for an account (site admins).
///
/// Site admins only (`admin` scope). The link carries a single-use token of 256 random bits,
/// stored hashed, working 24 hours; a new link replaces an unused one. Tessera sends no email
/// yet: the admin passes the link on. Whoever opens it chooses a new password (the same rules
/// as everywhere), which ends every session of the account. A disabled account gets none
/// (`422`), an unknown one `404`. Audited (`admin.user.password_reset_link`).
#[utoipa::path(post, path = "/api/v1/admin/users/{id}/password-reset", tag = "admin", params(("id" = String, Path)), responses(
    (status = 201, body = PasswordResetView),
    (status = 404, body = crate::http::error::ErrorBody),
    (status = 422, body = crate::http::error::ErrorBody),
))]
pub async fn create_password_reset(
    admin: AdminCaller,
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let issued = state
        .db
        .run(move |conn| accounts::issue_password_reset(conn, &admin.0, &id, now_millis()))
        .await?;
    let base = crate::http::api::links::public_base(&state, &req);
    Ok(HttpResponse::Created()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(PasswordResetView {
            url: format!("{base}/reset-password/{}", issued.token),
            expires_at: to_rfc3339(issued.expires_at),
            email: issued.user.email,
        }))
}
