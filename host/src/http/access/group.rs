//! `OnGroup`: a group the caller may change. Site admins change every group; its creator
//! changes it too, unless it is admin-managed (a creator who lost their admin rights must not
//! keep adding people to a group that policy rules name). Anyone else gets `403`: groups are a
//! directory every signed-in user reads, so there is nothing to hide by answering `404`.

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;

use super::{Access, Caller, Decide, app_state, decided, path_segment};
use crate::db::AnyConnection;
use crate::db::groups::UserGroup;
use crate::http::error::ApiError;
use crate::http::error::not_found_as;

/// The group of the path's `{id}`, for a caller who may change it.
pub struct OnGroup {
    pub group: UserGroup,
    pub caller: Caller,
}

/// The group, if the caller may change it; `404` if there is none, `403` if not theirs.
pub fn require_group_manager(
    conn: &mut AnyConnection,
    group_id: &str,
    caller: &Caller,
) -> Result<UserGroup, ApiError> {
    let group = UserGroup::find(conn, group_id).map_err(|e| not_found_as(e, "group"))?;
    let creator = group.created_by.as_deref() == Some(caller.user.id.as_str());
    if caller.is_admin() || (creator && !group.managed) {
        return Ok(group);
    }
    tracing::info!(
        decision = "deny",
        user = %caller.user.id,
        group = %group.id,
        managed = group.managed,
        "group change refused"
    );
    Err(ApiError::forbidden(if group.managed {
        "only site admins change an admin-managed group"
    } else {
        "only the group's creator or a site admin can change it"
    }))
}

impl Decide for OnGroup {
    fn decide(
        req: &HttpRequest,
        caller: Caller,
    ) -> LocalBoxFuture<'static, Result<Self, ApiError>> {
        let id = path_segment(req, "id");
        let state = app_state(req);
        Box::pin(async move {
            let (id, state) = (id?, state?);
            let deciding = caller.clone();
            let group = state
                .db
                .run(move |conn| require_group_manager(conn, &id, &deciding))
                .await?;
            Ok(OnGroup { group, caller })
        })
    }
}

impl FromRequest for OnGroup {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        decided(req)
    }
}

impl Access for OnGroup {}
