//! Share links: what a holder of a slug, a password session or a Biscuit token may reach, and
//! the checks every route of a link runs in the same order, so that no sub-path skips one.
//!
//! Order of checks: throttle (per address, IPv6 by /64) → the link exists and is not revoked
//! (a stranger cannot tell an unknown link from a revoked one, nor from one whose dataset is in
//! the trash) → not expired, not used up
//! (410, said to the holder) → its creator still holds the level it needs (else 410
//! `link_suspended`) → the password session, for slug access → the level allows the
//! operation → the token's own checks, for token access. Every refusal is written to the
//! link's access log and the audit log.
//!
//! A link acts with its creator's rights at the moment of each request, never more: the
//! creator must still hold `needs_level` on the dataset, decided by the same enforcer as every
//! other request ([`crate::access::policy::Snapshot::account_allows`]). The enforcer is cached
//! per process and checked against the access version, so this costs one small query per
//! request, and a revoked share, a deactivated account or a changed rule suspends every link
//! of that creator on the next request, on every replica; getting the right back restores
//! them.

pub mod address;
pub mod create;
pub mod download;
pub mod error;
pub mod manage;
pub mod password;

pub use error::LinkError;

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};

use crate::access::Level;
use crate::access::audit::{self, AuditEvent};
use crate::access::policy::{AccessControl, Explanation, PolicyError, Snapshot};
use crate::access::token::{self, AccessRequest, Operation, Presented, TokenError, TokenKeys};
use crate::activity::{self, Actor, Event, EventKind};
use crate::auth::{secrets, throttle};
use crate::config::Config;
use crate::db::ids::ExportJobId;
use crate::db::link_access_log::LinkAccess;
use crate::db::link_sessions::LinkSession;
use crate::db::login_throttle::LoginThrottle;
use crate::db::share_links::{LinkState, ShareLink};
use crate::db::token_keys::BlockDownloads;
use crate::db::{AnyConnection, DbError, new_id};
use crate::time::to_rfc3339;

/// The cookie a browser gets after giving a link's password (scoped to the link's path).
pub const LINK_SESSION_COOKIE: &str = "tessera_link";

/// How a request presents a link.
pub enum Credential {
    /// The `/s/{slug}` address, with the password session cookie if the browser has one.
    Slug {
        slug: String,
        session: Option<String>,
    },
    /// A Biscuit token in `Authorization: Bearer`, optionally for a given slug's link.
    Token { token: String, slug: Option<String> },
}

/// Who is asking, for throttling and the logs.
#[derive(Clone)]
pub struct Visitor {
    pub address: Option<IpAddr>,
    pub logged_address: Option<String>,
    pub user_agent: Option<String>,
}

impl Visitor {
    fn throttle_key(&self) -> String {
        format!("link-{}", throttle::address_key(self.address))
    }
}

/// A link this request may use, and how it was presented.
pub struct Resolved {
    pub link: ShareLink,
    pub token: Option<Arc<Presented>>,
}

/// Tokens whose signature chain has been verified, by the SHA-256 of their text.
///
/// Verifying signatures is most of a token's cost (one Ed25519 check per block); a token
/// presented again skips it. Its checks still run on every request, since time, counts and
/// the request differ. The same bytes always verify the same way, so caching is safe; the
/// cache is dropped whole when it fills, which bounds its memory.
#[derive(Default)]
pub struct VerifiedTokens {
    verified: Mutex<HashMap<String, Arc<Presented>>>,
}

impl VerifiedTokens {
    const CAPACITY: usize = 4096;

    pub fn verify(&self, keys: &TokenKeys, token: &str) -> Result<Arc<Presented>, TokenError> {
        let key = secrets::hash(token);
        if let Some(found) = self.verified.lock().ok().and_then(|m| m.get(&key).cloned()) {
            return Ok(found);
        }
        let presented = Arc::new(token::verify(keys, token)?);
        if let Ok(mut verified) = self.verified.lock() {
            if verified.len() >= Self::CAPACITY {
                verified.clear();
            }
            verified.insert(key, presented.clone());
        }
        Ok(presented)
    }
}

pub fn slug_hash(slug: &str) -> String {
    secrets::hash(slug)
}

/// A fresh slug: 128 random bits, URL-safe.
pub fn new_slug() -> String {
    use base64::Engine;
    let bytes: [u8; 16] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// A visitor's daily hash for the event stream, when their address is known.
pub fn visitor_hash(
    conn: &mut AnyConnection,
    visitor: &Visitor,
    now: i64,
) -> Result<Option<String>, DbError> {
    visitor
        .address
        .map(|address| activity::visitor::hash(conn, address, now))
        .transpose()
}

/// Records an event about a link: by the link (its holder) unless another actor is named.
pub fn record_link_event(
    conn: &mut AnyConnection,
    kind: EventKind,
    link: &str,
    visitor: Option<&Visitor>,
    payload: serde_json::Value,
    now: i64,
) -> Result<(), DbError> {
    let visitor = match visitor {
        Some(visitor) => visitor_hash(conn, visitor, now)?,
        None => None,
    };
    let actor = if visitor.is_some() {
        Actor::Link(link.to_owned())
    } else {
        Actor::System
    };
    activity::record(
        conn,
        now,
        Event::new(kind, actor)
            .link(link)
            .visitor(visitor)
            .payload(payload),
    )?;
    Ok(())
}

/// Records a refusal: in the link's access log with its sentence, and in the event stream
/// with its error code (what the analytics count refusals by).
pub fn log_refusal(
    conn: &mut AnyConnection,
    link_id: &str,
    code: &str,
    reason: &str,
    visitor: &Visitor,
    now: i64,
) -> Result<(), DbError> {
    log_access(conn, link_id, "refused", Some(reason), visitor, now)?;
    record_link_event(
        conn,
        EventKind::LinkRefused,
        link_id,
        Some(visitor),
        serde_json::json!({"reason": code, "message": reason}),
        now,
    )
}

/// Records one entry in the link's access log; a view is an event of the stream too.
pub fn log_access(
    conn: &mut AnyConnection,
    link_id: &str,
    event: &str,
    reason: Option<&str>,
    visitor: &Visitor,
    now: i64,
) -> Result<(), DbError> {
    LinkAccess::record(
        conn,
        &LinkAccess {
            id: new_id(),
            link_id: link_id.to_owned(),
            at: now,
            event: event.to_owned(),
            reason: reason.map(str::to_owned),
            address: visitor.logged_address.clone(),
            user_agent: visitor.user_agent.clone(),
        },
    )?;
    if event == "view" {
        record_link_event(
            conn,
            EventKind::LinkViewed,
            link_id,
            Some(visitor),
            serde_json::json!({}),
            now,
        )?;
    }
    Ok(())
}

/// Writes a refusal to the link's access log and the audit log, and returns it.
fn refuse(
    conn: &mut AnyConnection,
    link: &ShareLink,
    visitor: &Visitor,
    now: i64,
    err: LinkError,
) -> LinkError {
    let detail = serde_json::json!({"reason": err.to_string(), "code": err.kind()});
    refuse_with(conn, link, visitor, now, err, detail)
}

/// [`refuse`] with the audit entry's detail given.
fn refuse_with(
    conn: &mut AnyConnection,
    link: &ShareLink,
    visitor: &Visitor,
    now: i64,
    err: LinkError,
    detail: serde_json::Value,
) -> LinkError {
    let reason = err.to_string();
    let logged = crate::db::write_transaction::<_, DbError, _>(conn, |conn| {
        log_refusal(conn, &link.id, &err.kind().as_str(), &reason, visitor, now)?;
        audit::record(
            conn,
            now,
            AuditEvent::new(
                format!("link:{}", link.id),
                "link.access",
                format!("link:{}", link.id),
            )
            .outcome("denied")
            .detail(detail)
            .address(visitor.logged_address.clone()),
        )?;
        Ok(())
    });
    if let Err(log_err) = logged {
        tracing::error!(error = %log_err, "cannot record a link refusal");
    }
    err
}

/// Counts a failed guess (unknown slug, wrong password, forged token) against the address.
fn count_failure(
    conn: &mut AnyConnection,
    visitor: &Visitor,
    config: &Config,
    now: i64,
) -> Result<(), DbError> {
    LoginThrottle::record_failure(
        conn,
        &visitor.throttle_key(),
        now,
        config.login_max_failures * 2,
        (config.login_lockout_seconds * 1000) as i64,
    )
    .map(|_| ())
}

/// Refuses an address that guessed wrong too often (`429` with `Retry-After`).
fn check_throttle(conn: &mut AnyConnection, visitor: &Visitor, now: i64) -> Result<(), LinkError> {
    match LoginThrottle::locked_for(conn, &visitor.throttle_key(), now)? {
        Some(seconds) => Err(LinkError::Throttled(seconds)),
        None => Ok(()),
    }
}

/// What resolving a link needs of the process: the settings (throttling), the keys that sign
/// link tokens and the tokens already verified, and the access control that says whether the
/// link's creator still holds the access it needs.
pub struct Links<'a> {
    pub config: &'a Config,
    pub token_keys: &'a TokenKeys,
    pub verified_tokens: &'a VerifiedTokens,
    pub access: &'a AccessControl,
}

/// Finds the link and runs every check that does not depend on the operation.
pub fn resolve(
    conn: &mut AnyConnection,
    links: &Links,
    credential: &Credential,
    visitor: &Visitor,
    now: i64,
) -> Result<Resolved, LinkError> {
    let config = links.config;
    check_throttle(conn, visitor, now)?;
    let (link, token) = match credential {
        Credential::Slug { slug, .. } => {
            match ShareLink::find_by_slug_hash(conn, &slug_hash(slug))? {
                Some(link) => (link, None),
                None => {
                    count_failure(conn, visitor, config, now)?;
                    return Err(LinkError::NoSuchLink);
                }
            }
        }
        Credential::Token { token, slug } => {
            let presented = match links.verified_tokens.verify(links.token_keys, token) {
                Ok(presented) => presented,
                Err(err) => {
                    count_failure(conn, visitor, config, now)?;
                    return Err(LinkError::InvalidToken(match err {
                        TokenError::TooLarge { .. } => err.to_string(),
                        _ => "the token is invalid: it was changed, or not issued by this server"
                            .to_owned(),
                    }));
                }
            };
            let link = match ShareLink::find(conn, &presented.link_id) {
                Ok(link) => link,
                Err(DbError::NotFound) => return Err(LinkError::NoSuchLink),
                Err(other) => return Err(other.into()),
            };
            if let Some(slug) = slug
                && slug_hash(slug) != link.slug_hash
            {
                // A genuine token at the wrong address: the token is valid, this use of it is
                // not (403, as for any check a token fails). The slug's own link is not looked
                // up, so a token cannot be used to probe slugs.
                return Err(refuse(
                    conn,
                    &link,
                    visitor,
                    now,
                    LinkError::Refused("this token is for another link".to_owned()),
                ));
            }
            (link, Some(presented))
        }
    };
    match link.state(now) {
        LinkState::Revoked => return Err(LinkError::NoSuchLink),
        // Its dataset is in the trash: the link answers as if the dataset were gone, and works
        // again if it is restored.
        _ if shares_trashed_dataset(conn, &link)? => return Err(LinkError::NoSuchLink),
        LinkState::Expired => {
            let at = link.expires_at.map(to_rfc3339).unwrap_or_default();
            return Err(refuse(conn, &link, visitor, now, LinkError::Expired(at)));
        }
        LinkState::UsedUp => {
            return Err(refuse(
                conn,
                &link,
                visitor,
                now,
                LinkError::UsedUp(
                    "this link has been used as many times as its owner allowed".to_owned(),
                ),
            ));
        }
        // Not a state of the row: decided below.
        LinkState::Suspended | LinkState::Active => {}
    }
    let snapshot = links.access.snapshot(conn, now)?;
    if !creator_allows(&snapshot, &link)? {
        let why = explain_creator(&snapshot, &link)?;
        let err = LinkError::Suspended;
        let detail = serde_json::json!({
            "reason": err.to_string(),
            "code": err.kind(),
            "creator": link.owner_id,
            "needed": link.needs_level,
            "held": why.held,
            "rule": why.rule,
            "path": why.path,
        });
        return Err(refuse_with(conn, &link, visitor, now, err, detail));
    }
    if let (Credential::Slug { session, .. }, Some(_)) = (credential, &link.password_hash) {
        let valid = match session {
            Some(session) => LinkSession::is_valid(
                conn,
                &secrets::hash(session),
                &link.id,
                link.password_epoch,
                now,
            )?,
            None => false,
        };
        if !valid {
            return Err(LinkError::PasswordRequired);
        }
    }
    Ok(Resolved { link, token })
}

/// The level the link's creator must hold on its dataset for it to work.
pub fn needed_level(link: &ShareLink) -> Level {
    Level::parse(&link.needs_level).unwrap_or(Level::Admin)
}

/// Whether the link's creator holds, now, the level the link needs. A link without a dataset
/// (which the schema no longer makes) acts for nobody.
pub fn creator_allows(snapshot: &Snapshot, link: &ShareLink) -> Result<bool, PolicyError> {
    match &link.dataset_id {
        Some(dataset_id) => snapshot.account_allows(&link.owner_id, dataset_id, needed_level(link)),
        None => Ok(false),
    }
}

/// Why [`creator_allows`] answers as it does.
pub fn explain_creator(snapshot: &Snapshot, link: &ShareLink) -> Result<Explanation, PolicyError> {
    match &link.dataset_id {
        Some(dataset_id) => {
            snapshot.explain_account(&link.owner_id, dataset_id, needed_level(link))
        }
        None => Ok(Explanation {
            allowed: false,
            held: None,
            rule: "the link names no dataset".to_owned(),
            origin: None,
            path: vec![],
        }),
    }
}

/// Whether what `link` shares (a dataset, or an export of one) belongs to a dataset in the
/// trash.
fn shares_trashed_dataset(conn: &mut AnyConnection, link: &ShareLink) -> Result<bool, DbError> {
    let dataset_id = match (&link.dataset_id, &link.export_job_id) {
        (Some(id), _) => id.clone(),
        (None, Some(job)) => match crate::db::export_jobs::ExportJob::find(conn, job) {
            Ok(job) => job.dataset_id,
            Err(DbError::NotFound) => return Ok(false),
            Err(other) => return Err(other),
        },
        (None, None) => return Ok(false),
    };
    match crate::db::datasets::Dataset::find_trashed(conn, &dataset_id) {
        Ok(_) => Ok(true),
        Err(DbError::NotFound) => Ok(false),
        Err(other) => Err(other),
    }
}

/// Where the link stands for its owner's list: its own terms first, then its creator's rights.
pub fn state_of(snapshot: &Snapshot, link: &ShareLink, now: i64) -> Result<LinkState, PolicyError> {
    Ok(match link.state(now) {
        LinkState::Active if !creator_allows(snapshot, link)? => LinkState::Suspended,
        other => other,
    })
}

/// What a request would reveal, for the level and token checks.
pub struct Reach<'a> {
    pub operation: Operation,
    pub format: Option<&'a str>,
    pub columns: &'a [String],
    pub version: i64,
}

/// What the checks of one request were made against.
pub struct Cleared {
    /// Slots taken per attenuation block of the token (none without a token), as the token's
    /// checks saw them: a download takes its slots only if they are still these.
    pub block_counts: Vec<u64>,
    /// Whether the token's checks read those counts (else they need not hold still).
    pub counts_matter: bool,
}

impl Cleared {
    fn nothing_counted() -> Cleared {
        Cleared {
            block_counts: Vec::new(),
            counts_matter: false,
        }
    }
}

/// Block revocation ids of a token's attenuations (the authority block is the link's own).
pub fn token_blocks(presented: &Presented) -> Vec<String> {
    presented.revocation_ids.iter().skip(1).cloned().collect()
}

/// Runs the token's checks for `reach` against the counts given.
fn check_token(
    link: &ShareLink,
    presented: &Presented,
    reach: &Reach,
    counts: &[u64],
    now: i64,
) -> Result<(), TokenError> {
    let when = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(now) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let request = AccessRequest {
        link_id: &link.id,
        now: when,
        operation: reach.operation,
        format: reach.format,
        columns: reach.columns,
        version: reach.version,
        block_downloads: counts,
    };
    token::authorize(presented, &request)
}

fn token_refusal(err: TokenError) -> LinkError {
    let message = match err {
        TokenError::Refused { reasons } => {
            format!("the token does not allow this: {}", reasons.join("; "))
        }
        other => other.to_string(),
    };
    LinkError::Refused(message)
}

/// The link's level allows the operation; a refusal is logged.
fn check_level(
    conn: &mut AnyConnection,
    link: &ShareLink,
    operation: Operation,
    visitor: &Visitor,
    now: i64,
) -> Result<(), LinkError> {
    let level = Operation::parse(&link.level).unwrap_or(Operation::View);
    if level == operation {
        return Ok(());
    }
    let message = match level {
        Operation::View => "this link lets you view the shared item, not download it",
        Operation::Download => "this link lets you download the shared item, not browse it",
    };
    Err(refuse(
        conn,
        link,
        visitor,
        now,
        LinkError::Refused(message.to_owned()),
    ))
}

/// The level and token checks for one operation; refusals are logged.
pub fn authorize(
    conn: &mut AnyConnection,
    resolved: &Resolved,
    reach: &Reach,
    visitor: &Visitor,
    now: i64,
) -> Result<Cleared, LinkError> {
    let link = &resolved.link;
    check_level(conn, link, reach.operation, visitor, now)?;
    let Some(presented) = &resolved.token else {
        return Ok(Cleared::nothing_counted());
    };
    let counts = BlockDownloads::counts(conn, &token_blocks(presented))?;
    if let Err(err) = check_token(link, presented, reach, &counts, now) {
        return Err(refuse(conn, link, visitor, now, token_refusal(err)));
    }
    Ok(Cleared {
        block_counts: counts,
        counts_matter: presented.reads_download_counts,
    })
}

/// How long finding the columns a token allows may take, one evaluation per column: far more
/// than a token `tessera token attenuate` writes needs for thousands of columns.
const COLUMN_PROBE_BUDGET: std::time::Duration = std::time::Duration::from_millis(100);

/// The columns among `candidates` a request may reveal: all of them without a token; with
/// one, those its checks allow (a token narrowed to some columns sees only those). The
/// token's other checks (expiry, level, version...) run as for any request, and a token that
/// allows none of the columns is refused with the reasons it gave; refusals are logged.
pub fn allowed_columns(
    conn: &mut AnyConnection,
    resolved: &Resolved,
    reach: &Reach,
    candidates: &[String],
    visitor: &Visitor,
    now: i64,
) -> Result<Vec<String>, LinkError> {
    let link = &resolved.link;
    check_level(conn, link, reach.operation, visitor, now)?;
    let Some(presented) = &resolved.token else {
        return Ok(candidates.to_vec());
    };
    let counts = BlockDownloads::counts(conn, &token_blocks(presented))?;
    let asking = |columns: &[String]| {
        let reach = Reach { columns, ..*reach };
        check_token(link, presented, &reach, &counts, now)
    };
    let whole = asking(candidates);
    if whole.is_ok() {
        return Ok(candidates.to_vec());
    }
    // Each column on its own, then the ones kept together: a `check all column(...)` passes
    // for any subset of what it allows, and every other check is asked again of the answer.
    // Only a token that reads columns can allow some and not others; and a token whose checks
    // are costly to run once per column is not run past a budget (the rows route then needs
    // `columns` named), so that no token makes one request cost many.
    let started = std::time::Instant::now();
    let mut kept = Vec::new();
    let mut over_budget = !presented.reads_columns;
    for column in candidates {
        over_budget |= started.elapsed() > COLUMN_PROBE_BUDGET;
        if over_budget {
            break;
        }
        if asking(std::slice::from_ref(column)).is_ok() {
            kept.push(column.clone());
        }
    }
    if !over_budget && !kept.is_empty() && asking(&kept).is_ok() {
        return Ok(kept);
    }
    let refusal = match whole {
        Err(err) => token_refusal(err),
        Ok(()) => LinkError::Refused("the token allows none of these columns".to_owned()),
    };
    Err(refuse(conn, link, visitor, now, refusal))
}

/// How often a download re-runs its token's checks when other downloads with the same token
/// keep taking the slots it was checked against; each retry means another download got one.
const MAX_SLOT_RACES: usize = 64;

/// The level and token checks, then the download's slots (the link's and the token's), each
/// taken at exactly the counts the checks saw; returns the download's ticket.
pub fn admit_download(
    db: &crate::db::Database,
    conn: &mut AnyConnection,
    resolved: &Resolved,
    reach: &Reach,
    extent: download::Extent,
    visitor: &Visitor,
    now: i64,
) -> Result<download::Ticket, LinkError> {
    for _ in 0..MAX_SLOT_RACES {
        let cleared = authorize(conn, resolved, reach, visitor, now)?;
        if let Some(ticket) =
            download::start(db, conn, resolved, extent.clone(), &cleared, visitor, now)?
        {
            return Ok(ticket);
        }
    }
    Err(LinkError::TokenBusy)
}

/// Destroys self-destructing links whose time has come, and an export's file made only for
/// them; returns the files to delete after the commit. Their access logs stay.
pub fn destroy_expired(conn: &mut AnyConnection, now: i64) -> Result<Vec<String>, DbError> {
    let mut files = Vec::new();
    for link in ShareLink::due_to_self_destruct(conn, now)? {
        let file = crate::db::write_transaction(conn, |conn| {
            ShareLink::destroy(conn, &link.id, now)?;
            audit::record(
                conn,
                now,
                AuditEvent::new("system", "link.destroy", format!("link:{}", link.id))
                    .detail(serde_json::json!({"reason": "expired"})),
            )?;
            record_link_event(
                conn,
                EventKind::LinkSelfDestructed,
                &link.id,
                None,
                serde_json::json!({"reason": "expired", "name": link.name}),
                now,
            )?;
            match &link.export_job_id {
                Some(job_id)
                    if ShareLink::others_for_export(
                        conn,
                        ExportJobId::new(job_id),
                        link.link_id(),
                    )? == 0 =>
                {
                    crate::db::export_jobs::ExportJob::expire_for_link(conn, job_id, now)
                }
                _ => Ok(None),
            }
        })?;
        files.extend(file);
    }
    Ok(files)
}

/// Records `link.expiring` for the links that expire within a day and `link.expired` for
/// those that expired in the last day, each once (the link sweep calls it; any replica may).
/// Returns how many events it wrote.
pub fn announce_expiries(conn: &mut AnyConnection, now: i64) -> Result<usize, DbError> {
    use crate::db::schema::{events, share_links};
    use diesel::prelude::*;
    const DAY: i64 = 86_400_000;
    let mut written = 0;
    for (kind, from, to) in [
        (EventKind::LinkExpiring, now, now + DAY),
        (EventKind::LinkExpired, now - DAY, now),
    ] {
        let due: Vec<(String, String, Option<String>, i64)> = share_links::table
            .filter(share_links::revoked_at.is_null())
            .filter(share_links::destroyed_at.is_null())
            .filter(share_links::expires_at.gt(from))
            .filter(share_links::expires_at.le(to))
            .select((
                share_links::id,
                share_links::name,
                share_links::dataset_id,
                share_links::expires_at.assume_not_null(),
            ))
            .load(conn)?;
        for (id, name, dataset, expires_at) in due {
            crate::db::write_transaction::<_, DbError, _>(conn, |conn| {
                let told: i64 = events::table
                    .filter(events::link_id.eq(&id))
                    .filter(events::kind.eq(kind.as_str()))
                    .count()
                    .get_result(conn)?;
                if told > 0 {
                    return Ok(());
                }
                let mut event = Event::new(kind, Actor::System)
                    .link(&id)
                    .payload(serde_json::json!({"name": name, "expires_at": expires_at}));
                if let Some(dataset) = &dataset {
                    event = event.dataset(dataset);
                }
                activity::record(conn, now, event)?;
                written += 1;
                Ok(())
            })?;
        }
    }
    Ok(written)
}
