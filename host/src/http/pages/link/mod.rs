//! The pages of a link's holder, at the link's address: `/s/{slug}` shows what is shared
//! ([`item`]), asks for the password and keeps its session in a cookie ([`password`]), and
//! says in words why a link cannot be opened ([`refusal`]). Its download and rows
//! (`/s/{slug}/download`, `/s/{slug}/rows`) are served by [`crate::http::link_access`], as
//! the same through a token on `/api/v1/link` are.

pub mod item;
pub mod password;
pub mod refusal;

use actix_web::{HttpRequest, HttpResponse, web};

use crate::http::error::ApiResult;
use crate::http::link_access::{self, LinkDownloadQuery, LinkRowsQuery, LinkRowsView};
use crate::state::AppState;

/// What a page says when its template cannot be rendered.
const FALLBACK: &str = "This page cannot be shown right now.";

/// Downloads through a link: `/s/{slug}/download` (slug, password session or token).
pub async fn download_by_slug(
    state: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
    query: web::Query<LinkDownloadQuery>,
) -> ApiResult<HttpResponse> {
    let credential = link_access::credential(&req, Some(slug.into_inner()))?;
    link_access::serve_download(state, req, credential, query.into_inner()).await
}

/// The first rows of a view link's dataset: `/s/{slug}/rows`.
pub async fn list_rows_by_slug(
    state: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
    query: web::Query<LinkRowsQuery>,
) -> ApiResult<web::Json<LinkRowsView>> {
    let credential = link_access::credential(&req, Some(slug.into_inner()))?;
    link_access::serve_rows(state, req, credential, query.into_inner()).await
}
