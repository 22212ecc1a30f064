//! Share links for their owners: create one for a dataset or an export's file, list them with
//! their state, change expiry, limit or password, revoke, and read each one's access log.
//! "Owners" are the link's creator and whoever administers its dataset
//! ([`crate::links::manage`]); a link acts with its creator's rights, so the state shown is
//! `suspended` while the creator lacks the level it needs.

pub mod access_log;
pub mod create;
pub mod get;
pub mod list;
pub mod revoke;
pub mod update;

use actix_web::HttpRequest;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::access::Caller;
use crate::access::Level;
use crate::access::audit::{self, AuditEvent};
use crate::access::token::{self, Operation};
use crate::auth::password;
use crate::db::share_links::ShareLink;
use crate::db::{AnyConnection, new_id, write_transaction};
use crate::http::api::resolve_expiry;
use crate::http::error::ApiError;
use crate::links;
use crate::state::AppState;
use crate::time::to_rfc3339;

pub use crate::http::views::links::{
    LinkCreatorView, LinkItemView, LinkView, link_view, link_views,
};

/// The address links are given out at: the configured `public_url`; else what a trusted
/// proxy says it was reached at (`X-Forwarded-Proto`, `X-Forwarded-Host`); else the address
/// this connection reached. Never a `Host` or forwarded header any client may send, so nobody
/// can have the server hand out links to another site.
fn public_base(state: &AppState, req: &HttpRequest) -> String {
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

fn check_password(text: &str) -> Result<String, ApiError> {
    if text.chars().count() < 6 {
        return Err(ApiError::validation(
            "a link password needs at least 6 characters",
        ));
    }
    password::hash(text).map_err(ApiError::internal)
}

/// The checks every new link passes, whatever it shares.
struct LinkTerms {
    level: Operation,
    expires_at: Option<i64>,
    max_downloads: Option<i64>,
    password_hash: Option<String>,
}

impl LinkTerms {
    /// A new link with these terms that shares nothing yet; the caller names the item and the
    /// level the creator must keep on its dataset (`needs`).
    fn into_link(
        self,
        owner_id: &str,
        name: String,
        self_destruct: bool,
        needs: Level,
        now: i64,
    ) -> ShareLink {
        ShareLink {
            id: new_id(),
            owner_id: owner_id.to_owned(),
            dataset_id: None,
            export_job_id: None,
            slug_hash: String::new(),
            name,
            level: self.level.as_str().to_owned(),
            version: None,
            allowed_formats: None,
            allowed_columns: None,
            expires_at: self.expires_at,
            max_downloads: self.max_downloads,
            downloads_taken: 0,
            downloads_completed: 0,
            password_hash: self.password_hash,
            password_epoch: 0,
            self_destruct,
            created_at: now,
            revoked_at: None,
            destroyed_at: None,
            last_access_at: None,
            needs_level: needs.as_str().to_owned(),
        }
    }
}

fn terms(body: &NewLinkRequest, now: i64) -> Result<LinkTerms, ApiError> {
    let level = Operation::parse(&body.level).ok_or_else(|| {
        ApiError::validation(format!(
            "level must be view or download (got '{}')",
            body.level
        ))
    })?;
    let expires_at = resolve_expiry(body.expires_in, body.expires_at.as_deref(), now)?;
    if body.max_downloads.is_some_and(|n| n < 1) {
        return Err(ApiError::validation("max_downloads must be at least 1"));
    }
    if body.max_downloads.is_some() && level == Operation::View {
        return Err(ApiError::validation(
            "a view link has no downloads to limit; use level download",
        ));
    }
    if body.self_destruct && body.max_downloads.is_none() && expires_at.is_none() {
        return Err(ApiError::validation(
            "self_destruct needs max_downloads or an expiry to know when to destroy the link",
        ));
    }
    let password_hash = body.password.as_deref().map(check_password).transpose()?;
    Ok(LinkTerms {
        level,
        expires_at,
        max_downloads: body.max_downloads,
        password_hash,
    })
}

/// Stores the link, audits it and returns what the creator sees once.
fn store(
    conn: &mut AnyConnection,
    state: &AppState,
    caller: &Caller,
    mut link: ShareLink,
    base: &str,
) -> Result<LinkCreatedView, ApiError> {
    let slug = links::new_slug();
    link.slug_hash = links::slug_hash(&slug);
    let level = Operation::parse(&link.level).unwrap_or(Operation::View);
    let token = token::mint(&state.token_keys, &link.id, level).map_err(ApiError::internal)?;
    write_transaction(conn, |conn| {
        ShareLink::create(conn, &link)?;
        audit::record(
            conn,
            link.created_at,
            AuditEvent::new(
                audit::actor_user(&caller.user.id),
                "link.create",
                format!("link:{}", link.id),
            )
            .detail(serde_json::json!({
                "dataset": link.dataset_id,
                "export": link.export_job_id,
                "level": link.level,
                "expires_at": link.expires_at.map(to_rfc3339),
                "max_downloads": link.max_downloads,
                "password": link.password_hash.is_some(),
                "self_destruct": link.self_destruct,
            }))
            .address(caller.address.clone()),
        )?;
        Ok::<_, ApiError>(())
    })?;
    let snapshot = state.access.snapshot(conn, link.created_at)?;
    Ok(LinkCreatedView {
        id: link.id.clone(),
        url: format!("{base}/s/{slug}"),
        slug,
        token,
        link: link_view(conn, &snapshot, &link, link.created_at)?,
    })
}

/// A new link: the only time its slug and token are shown.
#[derive(Debug, Serialize, ToSchema)]
#[schema(examples(json!({
    "id": "01932f76-3c4d-7e5f-a6b7-c8d9e0f1a2b3",
    "slug": "q7Vn2xK9pL4mR8sT1wY6zA",
    "url": "https://data.example.org/s/q7Vn2xK9pL4mR8sT1wY6zA",
    "token": "En0KEwoEbGluaxgDIgkKBwgKEgMYgAgSJAgAEiD...",
    "link": {
    "id": "01932f76-3c4d-7e5f-a6b7-c8d9e0f1a2b3",
    "name": "For the review panel",
    "item": {"kind": "dataset", "id": "01932f73-2b4d-7f60-9c8e-5a6b7c8d9e0f", "name": "Lake temperatures"},
    "dataset_id": "01932f73-2b4d-7f60-9c8e-5a6b7c8d9e0f",
    "created_by": {"id": "01932f6e-4c1a-7d2b-9a51-3f0e8c2d7b10", "name": "Ada Lovelace", "email": "ada@example.org"},
    "level": "download",
    "state": "active",
    "needs_level": "admin",
    "version": null,
    "formats": ["csv", "xlsx"],
    "columns": null,
    "expires_at": "2026-03-03T12:00:00Z",
    "max_downloads": 2,
    "downloads_completed": 0,
    "downloads_left": 2,
    "has_password": true,
    "self_destruct": false,
    "created_at": "2026-03-02T12:00:00Z",
    "revoked_at": null,
    "last_access_at": null
}
})))]
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
