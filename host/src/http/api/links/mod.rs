//! Share links for their owners: create one for a dataset or an export's file, list them with
//! their state, change expiry, limit or password, revoke, copy each one's address again and
//! read its access log.
//! "Owners" are the link's creator and whoever administers its dataset
//! ([`crate::links::manage`]); a link acts with its creator's rights, so the state shown is
//! `suspended` while the creator lacks the level it needs.

pub mod access_log;
pub mod address;
pub mod create;
pub mod get;
pub mod list;
pub mod revoke;
pub mod update;

use actix_web::HttpRequest;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::access::policy::AccessControl;
use crate::db::AnyConnection;
use crate::http::error::ApiError;
use crate::links::create::{Created, NewLink};
use crate::state::AppState;

pub use crate::http::views::links::{
    LinkCreatorView, LinkItemView, LinkView, link_view, link_views,
};

/// The address links (and password-reset links) are given out at: the configured `public_url`; else what a trusted
/// proxy says it was reached at (`X-Forwarded-Proto`, `X-Forwarded-Host`); else the address
/// this connection reached. Never a `Host` or forwarded header any client may send, so nobody
/// can have the server hand out links to another site.
pub(crate) fn public_base(state: &AppState, req: &HttpRequest) -> String {
    if !state.config.public_url.is_empty() {
        return state.config.public_url.trim_end_matches('/').to_owned();
    }
    if crate::http::client::from_trusted_proxy(req, &state.config)
        && let Some(forwarded) = forwarded_base(req)
    {
        return forwarded;
    }
    let local = req
        .conn_data::<crate::http::client::LocalAddress>()
        .map(|local| local.0)
        .unwrap_or_else(|| req.app_config().local_addr());
    format!("http://{local}")
}

/// `X-Forwarded-Proto` and `X-Forwarded-Host` from a trusted proxy, when both make sense.
fn forwarded_base(req: &HttpRequest) -> Option<String> {
    let header = |name: &str| {
        req.headers()
            .get(name)?
            .to_str()
            .ok()?
            // A proxy chain lists the first hop first.
            .split(',')
            .next()
            .map(|v| v.trim().to_owned())
    };
    let scheme = header("x-forwarded-proto").unwrap_or_else(|| "http".to_owned());
    if scheme != "http" && scheme != "https" {
        return None;
    }
    let host = header("x-forwarded-host")?;
    // A host and an optional port (RFC 3986 `authority` without user info), nothing else.
    let authority: actix_web::http::uri::Authority = host.parse().ok()?;
    if authority.as_str().contains('@') || authority.as_str() != host {
        return None;
    }
    Some(format!("{scheme}://{authority}"))
}

/// The new link a request asks for, in the domain's words.
fn new_link(body: &NewLinkRequest) -> NewLink<'_> {
    NewLink {
        level: &body.level,
        expires_in: body.expires_in,
        expires_at: body.expires_at.as_deref(),
        max_downloads: body.max_downloads,
        password: body.password.as_deref(),
        self_destruct: body.self_destruct,
        version: body.version,
        formats: body.formats.as_deref(),
        columns: body.columns.as_deref(),
        name: body.name.as_deref(),
    }
}

/// What the creator sees once: the link, its address under `base` and its token.
fn created_view(
    conn: &mut AnyConnection,
    access: &AccessControl,
    created: Created,
    base: &str,
) -> Result<LinkCreatedView, ApiError> {
    let Created { link, slug, token } = created;
    let snapshot = access.snapshot(conn, link.created_at)?;
    Ok(LinkCreatedView {
        id: link.id.clone(),
        url: format!("{base}/s/{slug}"),
        slug,
        token,
        link: link_view(conn, &snapshot, &link, link.created_at)?,
    })
}

/// A new link: the only time its token is shown (its address can be asked for again:
/// `GET /api/v1/links/{id}/address`).
#[derive(Debug, Serialize, ToSchema)]
#[schema(examples(link_created_example))]
pub struct LinkCreatedView {
    pub id: String,
    pub slug: String,
    /// The short link to give people: `<public address>/s/{slug}`.
    pub url: String,
    /// A Biscuit token with the same rights, for scripts (`Authorization: Bearer`); it can
    /// be narrowed offline with `tessera token attenuate`.
    pub token: String,
    pub link: LinkView,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(examples(json!({
    "level": "download",
    "expires_in": 604800,
    "max_downloads": 10,
    "name": "For the review panel"
})))]
pub struct NewLinkRequest {
    /// An export's file can only be shared for `download`.
    #[schema(value_type = crate::http::views::vocabulary::LinkLevel)]
    pub level: String,
    /// Seconds from now until the link expires, at most a hundred years; not with
    /// `expires_at`.
    #[schema(minimum = 1, maximum = 3153600000_u64)]
    pub expires_in: Option<i64>,
    /// When the link expires (RFC 3339, in the future).
    #[schema(format = DateTime)]
    pub expires_at: Option<String>,
    /// Downloads allowed in all (download links only).
    #[schema(minimum = 1)]
    pub max_downloads: Option<i64>,
    /// A password visitors must give on the link's page (at least 6 characters); its token
    /// does not need it.
    #[schema(min_length = 6)]
    pub password: Option<String>,
    /// Delete the link after its last allowed download or at expiry (and, for an export,
    /// the file, when no other link shares it); needs `max_downloads` or an expiry.
    #[serde(default)]
    pub self_destruct: bool,
    /// Pin a dataset version (default: always the latest). Dataset links only.
    #[schema(minimum = 1)]
    pub version: Option<i32>,
    /// Export formats the link may download in, each an installed format's id (default: every
    /// installed format). Dataset links only.
    #[schema(min_items = 1, min_length = 1)]
    pub formats: Option<Vec<String>>,
    /// Columns the link reveals, each a column of the version (default: all). Dataset links
    /// only.
    #[schema(min_items = 1)]
    pub columns: Option<Vec<String>>,
    /// A name for the owner's list (default: the dataset's name, or the export's file name).
    pub name: Option<String>,
}

/// The document's example of a new link: the example link, with its address and token.
fn link_created_example() -> serde_json::Value {
    serde_json::json!({
        "id": "01932f76-3c4d-7e5f-a6b7-c8d9e0f1a2b3",
        "slug": "q7Vn2xK9pL4mR8sT1wY6zA",
        "url": "https://data.example.org/s/q7Vn2xK9pL4mR8sT1wY6zA",
        "token": "En0KEwoEbGluaxgDIgkKBwgKEgMYgAgSJAgAEiD...",
        "link": crate::http::views::links::link_example(),
    })
}
