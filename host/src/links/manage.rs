//! Which share links a signed-in person may see, change and revoke: the ones they made, and
//! every link on a dataset they administer (its owner, its team's owners, recipients at admin
//! level, site admins), whoever made it. A link whose creator has since lost their access is
//! still there for the dataset's admins to find and revoke; changing one (its expiry, limit or
//! password) needs its creator's current right as well, since the link acts with it. Each
//! change and revocation is written with its audit entry in one transaction. A dataset's admins
//! also pin the links that follow its latest version to one version ([`pin_following`]), and
//! the link's owners may copy its address again ([`reveal_address`]).
//!
//! Decisions that rest on administering the dataset are made by the access layer and audited
//! like every other; a creator reaching their own link needs no decision.

use super::LinkError;
use super::address::AddressKey;
use super::create::hash_password;
use super::{creator_allows, explain_creator, needed_level};
use crate::access::Caller;
use crate::access::audit::{self, AuditEvent};
use crate::access::policy::{Snapshot, dataset_object, user_subject};
use crate::access::{self, Level};
use crate::activity::{self, Actor, Event, EventKind};
use crate::db::dataset_versions::DatasetVersion;
use crate::db::datasets::Dataset;
use crate::db::share_links::ShareLink;
use crate::db::{AnyConnection, DbError, write_transaction};
use crate::time::{now_millis, resolve_expiry_change, to_rfc3339};

/// The links the caller made or may manage, newest first; with `dataset`, every link on that
/// dataset, which needs admin on it (a decision that is audited).
pub fn visible_links(
    conn: &mut AnyConnection,
    caller: &Caller,
    dataset: Option<&str>,
) -> Result<Vec<ShareLink>, LinkError> {
    if let Some(dataset_id) = dataset {
        let dataset = Dataset::find(conn, dataset_id).map_err(|e| match e {
            DbError::NotFound => LinkError::NotFound("dataset"),
            other => other.into(),
        })?;
        access::require_dataset(conn, caller, &dataset, Level::Admin)?;
        return Ok(ShareLink::list_for_dataset(conn, &dataset.id)?);
    }
    if caller.is_admin() {
        return Ok(ShareLink::list_all(conn)?);
    }
    // A listing, not one decision per row: which datasets with links the caller administers,
    // from one snapshot.
    let snapshot = caller.access.snapshot(conn, now_millis())?;
    let subject = user_subject(&caller.user.id);
    let mut administered = Vec::new();
    for dataset_id in ShareLink::shared_datasets(conn)? {
        if snapshot.allows(&subject, &dataset_object(&dataset_id), Level::Admin)? {
            administered.push(dataset_id);
        }
    }
    Ok(ShareLink::list_for_owner_or_datasets(
        conn,
        &caller.user.id,
        &administered,
    )?)
}

/// A link the caller made, or one on a dataset they administer; "not found" otherwise, so
/// link ids cannot be probed.
pub fn find_manageable(
    conn: &mut AnyConnection,
    caller: &Caller,
    id: &str,
) -> Result<ShareLink, LinkError> {
    let not_found = || LinkError::NotFound("link");
    let link = match ShareLink::find(conn, id) {
        Ok(link) => link,
        Err(DbError::NotFound) => return Err(not_found()),
        Err(other) => return Err(other.into()),
    };
    if link.owner_id == caller.user.id {
        return Ok(link);
    }
    let Some(dataset_id) = link.dataset_id.as_deref() else {
        return Err(not_found());
    };
    let dataset = match Dataset::find(conn, dataset_id) {
        Ok(dataset) => dataset,
        Err(DbError::NotFound) => return Err(not_found()),
        Err(other) => return Err(other.into()),
    };
    let why = access::decide_dataset(conn, caller, &dataset, Level::Admin)?;
    access::record_decision(conn, caller, &dataset, Level::Admin, &why)?;
    if why.allowed {
        Ok(link)
    } else {
        Err(not_found())
    }
}

/// Refuses to change a link whose creator no longer holds the level it needs (it is
/// suspended: changing it would act with rights nobody holds); the refusal is audited.
fn require_creator_right(
    conn: &mut AnyConnection,
    snapshot: &Snapshot,
    caller: &Caller,
    link: &ShareLink,
) -> Result<(), LinkError> {
    if creator_allows(snapshot, link)? {
        return Ok(());
    }
    let why = explain_creator(snapshot, link)?;
    let message = format!(
        "this link is suspended: the person who made it no longer holds {} on the dataset, so \
         it cannot be changed; revoke it, or make a new one",
        needed_level(link).as_str()
    );
    audit::record(
        conn,
        now_millis(),
        AuditEvent::new(
            audit::actor_user(&caller.user.id),
            "link.update",
            format!("link:{}", link.id),
        )
        .outcome("denied")
        .detail(serde_json::json!({
            "reason": message,
            "creator": link.owner_id,
            "needed": link.needs_level,
            "held": why.held,
            "rule": why.rule,
            "path": why.path,
        }))
        .address(caller.address.clone()),
    )?;
    Err(LinkError::Refused(message))
}

/// A change to a link's terms, as its owner asks for it: each field absent (`None`) stays as
/// it is, and `Some(None)` removes the expiry, the limit or the password.
pub struct Change<'a> {
    /// A new expiry in seconds from now; not with `expires_at`.
    pub expires_in: Option<i64>,
    /// A new expiry (RFC 3339), or none.
    pub expires_at: Option<Option<&'a str>>,
    pub max_downloads: Option<Option<i64>>,
    /// A new password (sessions opened with the old one end), or none.
    pub password: Option<Option<&'a str>>,
}

/// Changes a link the caller manages ([`find_manageable`]) and returns it as it now is: not a
/// revoked one, nor one whose creator lacks the level it needs ([`require_creator_right`]),
/// and never a limit below the downloads already made. Audited (`link.update`).
pub fn change(
    conn: &mut AnyConnection,
    caller: &Caller,
    link: &ShareLink,
    change: &Change,
    now: i64,
) -> Result<ShareLink, LinkError> {
    if link.revoked_at.is_some() || link.destroyed_at.is_some() {
        return Err(LinkError::Revoked);
    }
    let snapshot = caller.access.snapshot(conn, now)?;
    require_creator_right(conn, &snapshot, caller, link)?;
    let expiry = resolve_expiry_change(change.expires_in, change.expires_at, now)?;
    let least = link.downloads_completed.max(1);
    if let Some(Some(max)) = change.max_downloads
        && max < least
    {
        return Err(LinkError::Invalid(format!(
            "max_downloads must be at least {least} (downloads already made)"
        )));
    }
    let password = match change.password {
        None => None,
        Some(None) => Some(None),
        Some(Some(text)) => Some(Some(hash_password(text)?)),
    };
    write_transaction(conn, |conn| {
        if let Some(expires_at) = expiry {
            ShareLink::set_expiry(conn, &link.id, expires_at)?;
        }
        if let Some(max) = change.max_downloads {
            ShareLink::set_max_downloads(conn, &link.id, max)?;
        }
        if let Some(hash) = password.clone() {
            ShareLink::set_password(conn, &link.id, hash)?;
        }
        audit::record(
            conn,
            now,
            AuditEvent::new(
                audit::actor_user(&caller.user.id),
                "link.update",
                format!("link:{}", link.id),
            )
            .detail(serde_json::json!({
                "expires_at": expiry.map(|e| e.map(to_rfc3339)),
                "max_downloads": change.max_downloads,
                "password_changed": password.is_some(),
            }))
            .address(caller.address.clone()),
        )?;
        Ok::<_, LinkError>(())
    })?;
    Ok(ShareLink::find(conn, &link.id)?)
}

/// Pins every link to `dataset` that follows its latest version to version `number`, so that
/// a new upload no longer changes what they serve (issue 16); links already pinned, export
/// links and revoked ones stay as they are. For `caller`, who holds `admin` on the dataset
/// (decided above). A withdrawn version cannot be pinned to. Returns how many were pinned.
/// Audited (`link.pin`, with the version and the count).
pub fn pin_following(
    conn: &mut AnyConnection,
    caller: &Caller,
    dataset: &Dataset,
    number: i32,
    now: i64,
) -> Result<usize, LinkError> {
    let version = DatasetVersion::find(conn, &dataset.id, number).map_err(|e| match e {
        DbError::NotFound => LinkError::NotFound("version"),
        other => other.into(),
    })?;
    crate::datasets::served(version).map_err(|w| LinkError::Invalid(w.to_string()))?;
    write_transaction(conn, |conn| {
        let pinned = ShareLink::pin_following(conn, &dataset.id, number)?;
        audit::record(
            conn,
            now,
            AuditEvent::new(
                audit::actor_user(&caller.user.id),
                "link.pin",
                format!("dataset:{}", dataset.id),
            )
            .detail(serde_json::json!({"version": number, "links": pinned}))
            .address(caller.address.clone()),
        )?;
        Ok::<_, LinkError>(pinned)
    })
}

/// The slug of a link the caller manages ([`find_manageable`]), opened from its sealed
/// address so that they can copy it again (issue 16). The address is the link's secret, so
/// each reveal is audited (`link.address`); none for a revoked or destroyed link (it opens
/// nothing), nor for one made before addresses were kept. A key that cannot open the seal is
/// refused and logged, never answered with another address.
pub fn reveal_address(
    conn: &mut AnyConnection,
    key: &AddressKey,
    caller: &Caller,
    link: &ShareLink,
    now: i64,
) -> Result<String, LinkError> {
    if link.revoked_at.is_some() || link.destroyed_at.is_some() {
        return Err(LinkError::Revoked);
    }
    let sealed = link
        .sealed_address
        .as_deref()
        .ok_or(LinkError::AddressNotKept)?;
    let slug = match key.open(&link.id, sealed) {
        Ok(slug) => slug,
        Err(err) => {
            tracing::error!(link = %link.id, error = %err, "cannot open a link's kept address");
            return Err(err.into());
        }
    };
    audit::record(
        conn,
        now,
        AuditEvent::new(
            audit::actor_user(&caller.user.id),
            "link.address",
            format!("link:{}", link.id),
        )
        .address(caller.address.clone()),
    )?;
    Ok(slug)
}

/// Revokes a link the caller manages ([`find_manageable`]), whatever its creator's rights now:
/// its address and every token derived from it stop working at once; its access log stays.
/// Revoking again keeps the first time. Audited (`link.revoke`).
pub fn revoke(
    conn: &mut AnyConnection,
    caller: &Caller,
    link: &ShareLink,
    now: i64,
) -> Result<(), LinkError> {
    write_transaction(conn, |conn| {
        ShareLink::revoke(conn, &link.id, now)?;
        let mut event = Event::new(EventKind::LinkRevoked, Actor::user(&caller.user.id))
            .link(&link.id)
            .payload(serde_json::json!({"name": link.name}));
        if let Some(dataset) = &link.dataset_id {
            event = event.dataset(dataset);
        }
        activity::record(conn, now, event)?;
        audit::record(
            conn,
            now,
            AuditEvent::new(
                audit::actor_user(&caller.user.id),
                "link.revoke",
                format!("link:{}", link.id),
            )
            .address(caller.address.clone()),
        )?;
        Ok::<_, LinkError>(())
    })
}
