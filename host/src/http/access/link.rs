//! `OnLink`: the share link a path's `{id}` names, for someone who manages it: its creator, or
//! whoever holds admin on its dataset (that decision audited). Anyone else is told it does not
//! exist (`404` "link"). The rule is the links domain's ([`crate::links::manage`]).

use actix_web::HttpRequest;
use futures_util::future::LocalBoxFuture;

use super::{Caller, Decide, decide_on_path};
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
        let link = decide_on_path(req, &caller, |conn, id, caller| {
            Ok(manage::find_manageable(conn, caller, id)?)
        });
        Box::pin(async move {
            Ok(OnLink {
                link: link.await?,
                caller,
            })
        })
    }
}

super::access_extractor!(OnLink);
