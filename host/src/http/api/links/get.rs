use actix_web::web;

use crate::http::access::OnLink;
use crate::http::error::ApiResult;
use crate::http::views::links::{LinkView, link_view};
use crate::state::AppState;
use crate::time::now_millis;

/// One link the caller made or may manage.
///
/// For the link's creator and whoever holds `admin` on its dataset; anyone else is told it
/// does not exist (`404`). Its state says whether it works now. Changes nothing.
#[utoipa::path(get, path = "/api/v1/links/{id}", tag = "sharing", params(("id" = String, Path)), responses(
    (status = 200, body = LinkView),
    (status = 404, body = crate::http::error::ErrorBody),
))]
pub async fn get_link(on: OnLink, state: web::Data<AppState>) -> ApiResult<web::Json<LinkView>> {
    let OnLink { link, caller } = on;
    let view = state
        .db
        .run(move |conn| {
            let now = now_millis();
            let snapshot = caller.access.snapshot(conn, now)?;
            link_view(conn, &snapshot, &link, now)
        })
        .await?;
    Ok(web::Json(view))
}
