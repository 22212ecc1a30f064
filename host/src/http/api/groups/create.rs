use actix_web::{HttpResponse, web};
use serde::Deserialize;
use utoipa::ToSchema;

use super::GroupView;
use crate::access::Caller;
use crate::groups::{self, NewGroup};
use crate::http::access::deferred;
use crate::http::error::ApiResult;
use crate::state::AppState;
use crate::time::now_millis;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({"name": "Field team", "description": "Everyone who samples on site"})))]
pub struct NewGroupRequest {
    /// Unique among groups of both kinds (trimmed; 1 to 100 characters).
    #[schema(min_length = 1, max_length = 100, pattern = r"\S")]
    pub name: String,
    /// Trimmed; anything past 2,000 characters is cut off.
    #[serde(default)]
    pub description: String,
    /// An admin-managed group (site admins only): members changed by site admins alone, and
    /// usable in policy rules.
    #[serde(default)]
    pub managed: bool,
}

/// Creates a group managed by the caller (or, for site admins asking `managed`, by site admins).
///
/// Any signed-in caller; `managed: true` only for site admins (`403` otherwise, with the admin
/// scope for a token). The group starts empty. Only admin-managed groups may be named in policy
/// rules, so that nobody gains a rule's grant by making or joining a group of the right name.
/// Names are unique across both kinds (`409`). Audited (`group.create`). Not idempotent.
#[utoipa::path(post, path = "/api/v1/groups", tag = "groups", request_body = NewGroupRequest, responses(
    (status = 201, body = GroupView),
    (status = 403, description = "`managed` asked by someone who is not a site admin", body = crate::http::error::ErrorBody),
    (status = 409, description = "`conflict`: a group has this name already", body = crate::http::error::ErrorBody),
))]
pub async fn create_group(
    caller: Caller,
    state: web::Data<AppState>,
    body: deferred::Json<NewGroupRequest>,
) -> ApiResult<HttpResponse> {
    let body = body.read().await?.into_inner();
    let group = state
        .db
        .run(move |conn| {
            let new = NewGroup {
                name: &body.name,
                description: &body.description,
                managed: body.managed,
            };
            groups::create(conn, &caller, new, now_millis())
        })
        .await?;
    Ok(HttpResponse::Created().json(GroupView::from(group)))
}
