use actix_web::web;
use serde::Deserialize;
use utoipa::IntoParams;

use super::PersonView;
use crate::access::Caller;
use crate::http::access::deferred;
use crate::http::error::{ApiError, ApiResult};
use crate::sharing;
use crate::state::AppState;

/// At most this many of each kind (people, groups, teams) in one answer.
const MOST: i64 = 25;

#[derive(Debug, Deserialize, IntoParams)]
pub struct PeopleQuery {
    /// A part of a name or an email address, in any case (at most 200 characters). Empty:
    /// nobody.
    #[param(max_length = 200)]
    pub q: Option<String>,
    /// How many of each kind, 1 to 25 (default 10).
    #[param(minimum = 1, maximum = 25)]
    pub limit: Option<i64>,
}

/// People, groups and teams to share with, by a part of a name or an email address.
///
/// Any signed-in caller. Case-blind; `%` and `_` are taken literally. People are only those
/// who share a team or a group with the caller (or belong to a group they made); a site admin
/// finds every active account. Groups: any group (every signed-in user may list them). Teams:
/// those the caller belongs to (a site admin: every team). People first, then groups, then
/// teams, each by name; never the caller. Changes nothing.
#[utoipa::path(get, path = "/api/v1/people", tag = "sharing", params(PeopleQuery), responses(
    (status = 200, body = Vec<PersonView>),
    (status = 422, body = crate::http::error::ErrorBody),
))]
pub async fn search_people(
    caller: Caller,
    state: web::Data<AppState>,
    query: deferred::Query<PeopleQuery>,
) -> ApiResult<web::Json<Vec<PersonView>>> {
    let query = query.read().await?.into_inner();
    let text = query.q.unwrap_or_default();
    if text.chars().count() > 200 {
        return Err(ApiError::validation("q must be at most 200 characters"));
    }
    let limit = query.limit.unwrap_or(10);
    if !(1..=MOST).contains(&limit) {
        return Err(ApiError::validation(format!(
            "limit must be between 1 and {MOST}"
        )));
    }
    let found = state
        .db
        .run(move |conn| sharing::people_around(conn, &caller, &text, limit))
        .await?;
    Ok(web::Json(found.into_iter().map(PersonView::from).collect()))
}
