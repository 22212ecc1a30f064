//! Sharing a dataset with people: a user, a group or a team, at view, edit or admin, until an
//! optional expiry. Deciding who may share (admin on the dataset) is the caller's business
//! (`crate::http::access`); this module makes, changes and revokes the share and writes each to
//! the audit log in the same transaction. A change takes effect on the next request, on every
//! replica.
//!
//! Sharing with an email address never tells whether the address has an account: the share is
//! made to the address itself (see [`crate::db::shares`]), answered and listed the same way
//! either way, and marked pending until an account holding the address has seen it. It grants
//! to that account as soon as one exists, however it is created. Were unknown addresses
//! refused (what this replaced: 422 against 201), anyone who owns a dataset could probe which
//! addresses have accounts.

use crate::access::audit::{self, AuditEvent};
use crate::access::{Caller, Level};
use crate::activity::{self, Actor, Event, EventKind};
use crate::db::datasets::Dataset;
use crate::db::groups::UserGroup;
use crate::db::ids::{DatasetId, ShareId};
use crate::db::shares::{EMAIL, Share};
use crate::db::teams::Team;
use crate::db::users::{User, normalize_email};
use crate::db::{AnyConnection, DbError, new_id, write_transaction};
use crate::time::to_rfc3339;

/// Why a share could not be made, changed or revoked.
#[derive(Debug, thiserror::Error)]
pub enum SharingError {
    /// The request names no one, several, or someone who does not exist: the sentence says.
    #[error("{0}")]
    Invalid(String),
    /// No such share on this dataset.
    #[error("share not found")]
    NotFound,
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Whom to share with, as a request names them: exactly one of a user (an id, or an email
/// address), a group or a team (an id or a name).
pub struct Named<'a> {
    pub user: Option<&'a str>,
    pub group: Option<&'a str>,
    pub team: Option<&'a str>,
}

/// The recipient `named` stands for, for `caller`: its kind and id (or address). A user is
/// named by an email address, an id, or a full name (`Tomasz Kowalski`, in any case) among the
/// people the caller shares a team or a group with: a name is looked up nowhere else, so it
/// cannot be used to learn who has an account. A group or a team is named by its id or its
/// name, in any case.
pub fn recipient(
    conn: &mut AnyConnection,
    caller: &Caller,
    named: &Named,
) -> Result<(&'static str, String), SharingError> {
    let invalid = |message: String| SharingError::Invalid(message);
    match (named.user, named.group, named.team) {
        // An address is shared with as such, whether or not it has an account: looking the
        // account up here would answer differently for the two.
        (Some(user), None, None) if user.contains('@') => {
            let address = normalize_email(user);
            if crate::accounts::looks_like_email(&address) {
                Ok((EMAIL, address))
            } else {
                Err(invalid(format!("'{user}' is not an email address")))
            }
        }
        // Ids are random: whoever has one already knows the account exists.
        (Some(user), None, None) => match User::find(conn, user) {
            Ok(found) => Ok(("user", found.id)),
            Err(DbError::NotFound) => person_named(conn, caller, user).map(|id| ("user", id)),
            Err(other) => Err(other.into()),
        },
        (None, Some(group), None) => UserGroup::find_by_reference(conn, group)
            .map(|g| ("group", g.id))
            .map_err(|_| invalid(format!("there is no group '{group}'"))),
        (None, None, Some(team)) => Team::find_by_reference(conn, team)
            .map(|t| ("team", t.id))
            .map_err(|_| invalid(format!("there is no team '{team}'"))),
        _ => Err(invalid(
            "say whom to share with: exactly one of user, group or team".to_owned(),
        )),
    }
}

/// The one person called `name` (compared without regard to case or repeated spaces) among
/// those who share a team or a group with `caller`.
fn person_named(
    conn: &mut AnyConnection,
    caller: &Caller,
    name: &str,
) -> Result<String, SharingError> {
    let mut found = crate::accounts::people_named(conn, &caller.user.id, name)?;
    match found.len() {
        1 => Ok(found.remove(0).id),
        0 => Err(SharingError::Invalid(format!(
            "no one called '{}' shares a team or a group with you; share with their email \
             address instead",
            name.trim()
        ))),
        n => Err(SharingError::Invalid(format!(
            "{n} people called '{}' share a team or a group with you; share with the email \
             address of the one you mean",
            name.trim()
        ))),
    }
}

/// Someone a share could go to, as the people picker offers them.
pub enum Candidate {
    User(User),
    Group(UserGroup),
    Team(Team),
}

/// The people, groups and teams whose name (or, for people, email address) contains `text`,
/// in any case, that `caller` may pick to share with: the people they share a team or a group
/// with (or who belong to a group they made), every group (any signed-in user may list them),
/// and the teams they belong to; a site admin, everyone and every team. Never the caller.
/// People first, then groups, then teams, each by name, at most `limit` of each kind. A plain
/// user cannot use it to learn who else has an account: no one beyond their teams and groups
/// is ever answered.
pub fn people_around(
    conn: &mut AnyConnection,
    caller: &Caller,
    text: &str,
    limit: i64,
) -> Result<Vec<Candidate>, SharingError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(Vec::new());
    }
    let pattern = crate::db::containing(text);
    let me = caller.user.id.as_str();
    let people = if caller.is_admin() {
        User::matching(conn, &pattern, None, me, limit)?
    } else {
        let teams = Team::ids_for_user(conn, me)?;
        let mut groups = UserGroup::ids_for_user(conn, me)?;
        groups.extend(UserGroup::ids_made_by(conn, me)?);
        User::matching(conn, &pattern, Some((&teams, &groups)), me, limit)?
    };
    let groups = UserGroup::matching(conn, &pattern, limit)?;
    let teams = Team::matching(conn, &pattern, (!caller.is_admin()).then_some(me), limit)?;
    Ok(people
        .into_iter()
        .map(Candidate::User)
        .chain(groups.into_iter().map(Candidate::Group))
        .chain(teams.into_iter().map(Candidate::Team))
        .collect())
}

/// Shares the dataset with `recipient` (from [`recipient`]); a second share to the same
/// recipient is a conflict. Audited (`share.create`).
pub fn grant(
    conn: &mut AnyConnection,
    caller: &Caller,
    dataset_id: DatasetId,
    recipient: (&'static str, String),
    level: Level,
    expires_at: Option<i64>,
    now: i64,
) -> Result<Share, SharingError> {
    let (kind, subject_id) = recipient;
    let share = Share {
        id: new_id(),
        dataset_id: dataset_id.as_str().to_owned(),
        subject_kind: kind.to_owned(),
        subject_id,
        level: level.as_str().to_owned(),
        expires_at,
        created_by: Some(caller.user.id.clone()),
        created_at: now,
        updated_at: now,
        accepted_at: None,
    };
    write_transaction(conn, |conn| {
        Share::create(conn, &share)?;
        record_event(conn, EventKind::ShareGranted, caller, &share, now)?;
        audit::record(
            conn,
            now,
            event(
                caller,
                "share.create",
                dataset_id,
                serde_json::json!({
                    "share": share.id,
                    "subject": format!("{}:{}", share.subject_kind, share.subject_id),
                    "level": share.level,
                    "expires_at": share.expires_at.map(to_rfc3339),
                }),
            ),
        )?;
        Ok::<_, SharingError>(())
    })?;
    Ok(share)
}

/// A change to a share: a new level, a new end (`Some(None)`: none), or both.
pub struct Change {
    pub level: Option<Level>,
    pub expires_at: Option<Option<i64>>,
}

/// Changes the share `share_id` of the dataset. Audited (`share.update`).
pub fn change(
    conn: &mut AnyConnection,
    caller: &Caller,
    dataset_id: DatasetId,
    share_id: ShareId,
    change: Change,
    now: i64,
) -> Result<Share, SharingError> {
    let mut share = find(conn, dataset_id, share_id)?;
    if let Some(level) = change.level {
        share.level = level.as_str().to_owned();
    }
    if let Some(expires_at) = change.expires_at {
        share.expires_at = expires_at;
    }
    share.updated_at = now;
    write_transaction(conn, |conn| {
        Share::update(conn, &share)?;
        record_event(conn, EventKind::ShareChanged, caller, &share, now)?;
        audit::record(
            conn,
            now,
            event(
                caller,
                "share.update",
                dataset_id,
                serde_json::json!({
                    "share": share.id,
                    "level": share.level,
                    "expires_at": share.expires_at.map(to_rfc3339),
                }),
            ),
        )?;
        Ok::<_, SharingError>(())
    })?;
    Ok(share)
}

/// Revokes the share `share_id` of the dataset. Audited (`share.revoke`).
pub fn revoke(
    conn: &mut AnyConnection,
    caller: &Caller,
    dataset_id: DatasetId,
    share_id: ShareId,
    now: i64,
) -> Result<(), SharingError> {
    let share = find(conn, dataset_id, share_id)?;
    write_transaction(conn, |conn| {
        Share::delete(conn, &share.id)?;
        record_event(conn, EventKind::ShareRevoked, caller, &share, now)?;
        audit::record(
            conn,
            now,
            event(
                caller,
                "share.revoke",
                dataset_id,
                serde_json::json!({
                    "share": share.id,
                    "subject": format!("{}:{}", share.subject_kind, share.subject_id),
                }),
            ),
        )?;
        Ok::<_, SharingError>(())
    })
}

fn find(
    conn: &mut AnyConnection,
    dataset_id: DatasetId,
    share_id: ShareId,
) -> Result<Share, SharingError> {
    Share::find(conn, dataset_id, share_id).map_err(|e| match e {
        DbError::NotFound => SharingError::NotFound,
        other => other.into(),
    })
}

/// A share change in the event stream: its subject is whom the share is with.
fn record_event(
    conn: &mut AnyConnection,
    kind: EventKind,
    caller: &Caller,
    share: &Share,
    now: i64,
) -> Result<(), DbError> {
    activity::record(
        conn,
        now,
        Event::new(kind, Actor::user(&caller.user.id))
            .dataset(&share.dataset_id)
            .subject(format!("{}:{}", share.subject_kind, share.subject_id))
            .payload(serde_json::json!({
                "share": share.id,
                "level": share.level,
                "expires_at": share.expires_at,
            })),
    )?;
    Ok(())
}

/// A share change as the audit log records it: who did it, to which dataset, with what.
fn event(
    caller: &Caller,
    action: &'static str,
    dataset_id: DatasetId,
    detail: serde_json::Value,
) -> AuditEvent {
    AuditEvent::new(
        audit::actor_user(&caller.user.id),
        action,
        format!("dataset:{dataset_id}"),
    )
    .detail(detail)
    .address(caller.address.clone())
}

/// A live share with someone, as they see it: the share, its dataset, and the sharer's name
/// while their account is there.
pub struct SharedWithYou {
    pub share: Share,
    pub dataset: Dataset,
    pub shared_by: Option<String>,
}

/// Everything shared with `user`: directly, with their email address, or through their groups
/// and teams; live shares only. Listing them marks what was shared with the address as seen,
/// so that its sharer no longer sees it pending (the one read that writes).
pub fn shared_with(
    conn: &mut AnyConnection,
    user: &User,
    now: i64,
) -> Result<Vec<SharedWithYou>, SharingError> {
    let email = normalize_email(&user.email);
    if Share::has_unseen_for_email(conn, &email)? {
        write_transaction(conn, |conn| Share::accept_for_email(conn, &email, now))?;
    }
    let mut subjects = vec![
        ("user".to_owned(), user.id.clone()),
        (EMAIL.to_owned(), email),
    ];
    for group in UserGroup::ids_for_user(conn, &user.id)? {
        subjects.push(("group".to_owned(), group));
    }
    for team in Team::ids_for_user(conn, &user.id)? {
        subjects.push(("team".to_owned(), team));
    }
    let mut found = Vec::new();
    for share in Share::to_subjects(conn, &subjects, now)? {
        // A dataset deleted since the share was read: nothing to show.
        let Ok(dataset) = Dataset::find(conn, &share.dataset_id) else {
            continue;
        };
        let shared_by = share
            .created_by
            .as_deref()
            .and_then(|id| User::find(conn, id).ok())
            .map(|u| u.name);
        found.push(SharedWithYou {
            share,
            dataset,
            shared_by,
        });
    }
    Ok(found)
}
