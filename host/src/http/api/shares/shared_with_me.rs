use actix_web::web;
use serde::Serialize;
use utoipa::ToSchema;

use super::{ShareView, share_view};
use crate::access::Caller;
use crate::http::error::{ApiError, ApiResult};
use crate::sharing;
use crate::state::AppState;
use crate::time::now_millis;

#[derive(Debug, Serialize, ToSchema)]
#[schema(examples(json!({
    "share": {
    "id": "01932f74-6c7d-7a81-b2c3-d4e5f6a7b8c9",
    "dataset_id": "01932f73-2b4d-7f60-9c8e-5a6b7c8d9e0f",
    "subject": {"kind": "email", "id": "colleague@example.org", "name": "colleague@example.org"},
    "level": "view",
    "expires_at": "2026-04-01T10:10:00Z",
    "created_by": "01932f6e-4c1a-7d2b-9a51-3f0e8c2d7b10",
    "created_at": "2026-03-02T10:10:00Z",
    "updated_at": "2026-03-02T10:10:00Z",
    "pending": true
},
    "dataset_name": "Lake temperatures",
    "shared_by": "Ada Lovelace"
})))]
pub struct SharedWithMeView {
    pub share: ShareView,
    pub dataset_name: String,
    /// The sharer's name, when their account is still there.
    pub shared_by: Option<String>,
}

/// Everything shared with the caller, directly, by email, or through their groups and teams.
///
/// Any signed-in caller, for themselves: live shares only (expired ones are left out). Listing
/// marks what was shared with the caller's email address as seen, so its sharer no longer sees
/// it pending: this is the one GET that writes. Not paged.
#[utoipa::path(get, path = "/api/v1/shared-with-me", tag = "sharing", responses(
    (status = 200, body = Vec<SharedWithMeView>),
))]
pub async fn list_shared_with_me(
    caller: Caller,
    state: web::Data<AppState>,
) -> ApiResult<web::Json<Vec<SharedWithMeView>>> {
    let views = state
        .db
        .run(move |conn| {
            let mut views = Vec::new();
            for found in sharing::shared_with(conn, &caller.user, now_millis())? {
                views.push(SharedWithMeView {
                    share: share_view(conn, found.share)?,
                    dataset_name: found.dataset.name,
                    shared_by: found.shared_by,
                });
            }
            Ok::<_, ApiError>(views)
        })
        .await?;
    Ok(web::Json(views))
}
