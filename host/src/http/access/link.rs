//! `OnLink`: the share link a path's `{id}` names, for someone who manages it: its creator, or
//! whoever holds admin on its dataset (that decision audited). Anyone else is told it does not
//! exist (`404` "link"). The rule is the links domain's ([`crate::links::manage`]).

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;

use super::{Access, Caller, Decide, app_state, decided, path_segment};
use crate::db::share_links::ShareLink;
use crate::http::error::ApiError;
use crate::links::manage;

/// A share link the caller made or administers the dataset of.
pub struct OnLink {
    pub link: ShareLink,
    pub caller: Caller,
}

impl Decide for OnLink {
    fn decide(
        req: &HttpRequest,
        caller: Caller,
    ) -> LocalBoxFuture<'static, Result<Self, ApiError>> {
        let id = path_segment(req, "id");
        let state = app_state(req);
        Box::pin(async move {
            let (id, state) = (id?, state?);
            let deciding = caller.clone();
            let link = state
                .db
                .run(move |conn| manage::find_manageable(conn, &deciding, &id))
                .await?;
            Ok(OnLink { link, caller })
        })
    }
}

impl FromRequest for OnLink {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        decided(req)
    }
}

impl Access for OnLink {}
