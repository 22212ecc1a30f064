//! `OnGroup`: a group the caller may change. Site admins change every group; its creator
//! changes it too, unless it is admin-managed (a creator who lost their admin rights must not
//! keep adding people to a group that policy rules name). Anyone else gets `403`: groups are a
//! directory every signed-in user reads, so there is nothing to hide by answering `404`. The
//! rule is the domain's ([`crate::groups::require_manager`]); this puts it in a route's type.

use actix_web::HttpRequest;
use futures_util::future::LocalBoxFuture;

use super::{Caller, Decide, decide_on_path};
use crate::db::groups::UserGroup;
use crate::db::ids::GroupId;
use crate::groups;
use crate::http::error::ApiError;

/// The group of the path's `{id}`, for a caller who may change it.
pub struct OnGroup {
    pub group: UserGroup,
    pub caller: Caller,
}

impl Decide for OnGroup {
    fn decide(
        req: &HttpRequest,
        caller: Caller,
    ) -> LocalBoxFuture<'static, Result<Self, ApiError>> {
        let group = decide_on_path(req, &caller, |conn, id, caller| {
            Ok(groups::require_manager(conn, GroupId::new(id), caller)?)
        });
        Box::pin(async move {
            Ok(OnGroup {
                group: group.await?,
                caller,
            })
        })
    }
}

super::access_extractor!(OnGroup);
