use actix_web::{HttpRequest, HttpResponse, web};

use crate::http::error::ApiResult;
use crate::http::link_access::{self, LinkDownloadQuery};
use crate::state::AppState;

/// Downloads what the presented token grants.
///
/// For whoever holds a download link's token (`Authorization: Bearer <link token>`, no
/// account): a view link's token gets `403`. A dataset link streams the dataset in `format`
/// with `columns`, as the link and the token allow; an export link serves its file, with
/// `Range` (`206`). With a download limit (the link's or the token's), a download takes its
/// slot before its first byte and counts once it sends the item's last byte, or its bytes
/// reach `link_download_count_percent` of the item; one that stops short gives its slot back,
/// and when the limit is reached the rest get `410 link_used_up`. A link that counts downloads
/// takes only ranges that run to the end (`bytes=N-`; `416` otherwise). Refusals as for
/// `GET /api/v1/link`. Every download is in the link's access log, and a completed one in the
/// audit log.
// The document's operationId predates this handler's name; clients generated from it keep it.
#[utoipa::path(get, path = "/api/v1/link/download", tag = "links", operation_id = "download_by_token",
    params(
        LinkDownloadQuery,
        ("Range" = Option<String>, Header, description = "Export links: one byte range, e.g. `bytes=1024-`, to resume a download"),
        ("If-Range" = Option<String>, Header, description = "Export links: the `ETag` or `Last-Modified` of the file a resumed download began; the range is served only if the file is still that one"),
    ),
    responses(
    (status = 200, description = "The file, in the format's media type, as an attachment"),
    (status = 206, description = "The requested range of an export's file"),
    (status = 401, body = crate::http::error::ErrorBody),
    (status = 403, body = crate::http::error::ErrorBody),
    (status = 410, body = crate::http::error::ErrorBody),
    (status = 416, body = crate::http::error::ErrorBody),
    (status = 502, description = "The format plugin failed before sending anything; the download's slot is given back", body = crate::http::error::ErrorBody),
))]
pub async fn download_link(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<LinkDownloadQuery>,
) -> ApiResult<HttpResponse> {
    let credential = link_access::credential(&req, None)?;
    link_access::serve_download(state, req, credential, query.into_inner()).await
}
