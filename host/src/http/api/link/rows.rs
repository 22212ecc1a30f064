use actix_web::{HttpRequest, web};

use crate::http::error::ApiResult;
use crate::http::link_access::{self, LinkRowsQuery, LinkRowsView};
use crate::state::AppState;

/// The rows a view token grants.
///
/// For whoever holds a view link's token (a download link's gets `403`, and so does an
/// export's, which has no rows). A view link shows its first `link_view_rows` rows (20 unless
/// the operator set otherwise) and no more: `visible_rows` says how many, and an `offset` past
/// them gives no rows; a negative `offset` or a `limit` outside its range answers `422`, as the
/// dataset's own rows do. Columns are those the link and the token reveal, or the ones asked for
/// among them. Refusals as for `GET /api/v1/link`. Each read is in the link's access log.
// The document's operationId predates this handler's name; clients generated from it keep it.
#[utoipa::path(get, path = "/api/v1/link/rows", tag = "links", operation_id = "rows_by_token",
    params(LinkRowsQuery), responses(
    (status = 200, body = LinkRowsView),
    (status = 401, body = crate::http::error::ErrorBody),
    (status = 403, body = crate::http::error::ErrorBody),
    (status = 410, body = crate::http::error::ErrorBody),
))]
pub async fn list_link_rows(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<LinkRowsQuery>,
) -> ApiResult<web::Json<LinkRowsView>> {
    let credential = link_access::credential(&req, None)?;
    link_access::serve_rows(state, req, credential, query.into_inner()).await
}
