use actix_web::{HttpRequest, web};
use serde::Serialize;
use utoipa::ToSchema;

use super::public_base;
use crate::http::access::OnLink;
use crate::http::error::ApiResult;
use crate::links::manage;
use crate::state::AppState;
use crate::time::now_millis;

/// A link's address, to give out again.
#[derive(Debug, Serialize, ToSchema)]
#[schema(examples(json!({"url": "https://data.example.org/s/q7Vn2xK9pL4mR8sT1wY6zA"})))]
pub struct LinkAddressView {
    /// The short link: `<public address>/s/{slug}`, the same as when it was made.
    pub url: String,
}

/// A link's address again, for its owners to copy or show as a QR code.
///
/// For the link's creator and the dataset's admins (`404` for anyone else). The address is
/// the link's secret: each answer is audited (`link.address`). It is kept sealed under a key
/// outside the database (see the operator guide, "Link addresses"); a revoked or
/// self-destructed link has none to show (`409`), nor has a link made before addresses were
/// kept (`409`: make a new link), and a server whose key cannot open it says so (`409`) rather
/// than give a wrong one. Changes nothing but the audit log.
#[utoipa::path(get, path = "/api/v1/links/{id}/address", tag = "sharing", params(("id" = String, Path)), responses(
    (status = 200, body = LinkAddressView),
    (status = 404, body = crate::http::error::ErrorBody),
    (status = 409, description = "`conflict`: the link is revoked or destroyed, was made before addresses were kept, or its address was sealed under another key", body = crate::http::error::ErrorBody),
))]
pub async fn link_address(
    on: OnLink,
    state: web::Data<AppState>,
    req: HttpRequest,
) -> ApiResult<web::Json<LinkAddressView>> {
    let OnLink { link, caller } = on;
    let base = public_base(&state, &req);
    let app = state.clone();
    let slug = state
        .db
        .run(move |conn| {
            manage::reveal_address(conn, &app.link_addresses, &caller, &link, now_millis())
        })
        .await?;
    Ok(web::Json(LinkAddressView {
        url: format!("{base}/s/{slug}"),
    }))
}
