//! User groups: named sets of people to share with, and who may change them. Anyone may make a
//! group, and manages it; site admins manage every group. A site admin may make a group
//! *admin-managed*: then only site admins change it (its creator too, only while a site admin),
//! because policy rules may name such a group (see [`crate::access::rules`]) and nobody must
//! gain a rule's grant by joining it on their own. Leaving a group is one's own business,
//! admin-managed or not.
//!
//! The rules are here, beneath the transport layer, so that every way in applies the same ones:
//! the JSON API, and the extractor that decides a route's access (`crate::http::access`), which
//! calls [`require_manager`] before a handler runs. Each change is written to the audit log in
//! its transaction, and holds on the next request, on every replica.

use serde_json::json;

use crate::access::{Caller, audit};
use crate::db::groups::{GroupMember, UserGroup};
use crate::db::ids::{GroupId, UserId};
use crate::db::users::User;
use crate::db::{AnyConnection, DbError, new_id, write_transaction};

/// Why a group could not be found, made or changed.
#[derive(Debug, thiserror::Error)]
pub enum GroupError {
    #[error("group not found")]
    NotFound,
    /// The user is not a member of the group.
    #[error("group member not found")]
    NoSuchMember,
    /// An admin-managed group asked for by someone who is not a site admin.
    #[error("only site admins create admin-managed groups")]
    ManagedNeedsAdmin,
    /// A change to an admin-managed group by someone who is not a site admin.
    #[error("only site admins change an admin-managed group")]
    ManagedByAdmins,
    /// A change to someone else's group.
    #[error("only the group's creator or a site admin can change it")]
    NotTheManager,
    /// The user named (by id or email) has no account.
    #[error("there is no user '{0}'")]
    NoSuchUser(String),
    /// The request is malformed: the sentence says how.
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// A group about to be made, as its creator describes it.
pub struct NewGroup<'a> {
    /// Unique among groups of both kinds; trimmed, 1 to 100 characters.
    pub name: &'a str,
    /// Trimmed; anything past 2,000 characters is cut off.
    pub description: &'a str,
    /// Admin-managed (site admins only).
    pub managed: bool,
}

/// Makes an empty group managed by `caller`, or, asked by a site admin, by site admins. A name
/// in use is a conflict. Audited (`group.create`).
pub fn create(
    conn: &mut AnyConnection,
    caller: &Caller,
    new: NewGroup,
    now: i64,
) -> Result<UserGroup, GroupError> {
    if new.managed && !caller.is_admin() {
        tracing::info!(
            decision = "deny",
            user = %caller.user.id,
            reason = "not a site admin",
            "admin-managed group refused"
        );
        return Err(GroupError::ManagedNeedsAdmin);
    }
    let group = UserGroup {
        id: new_id(),
        name: crate::human::required_text("name", new.name, 100).map_err(GroupError::Invalid)?,
        description: new.description.trim().chars().take(2000).collect(),
        created_by: Some(caller.user.id.clone()),
        created_at: now,
        managed: new.managed,
    };
    let group = write_transaction(conn, |conn| {
        let group = UserGroup::create(conn, &group)?;
        audit::caller_action(
            conn,
            caller,
            "group.create",
            format!("group:{}", group.id),
            json!({"name": group.name, "managed": group.managed}),
        )?;
        Ok::<_, GroupError>(group)
    })?;
    tracing::info!(user = %caller.user.id, group = %group.id, managed = group.managed, "group created");
    Ok(group)
}

/// The group, if `caller` may change it: a site admin, or its creator unless it is
/// admin-managed (a creator who lost their admin rights must not keep adding people to a group
/// that policy rules name). Refusals are logged.
pub fn require_manager(
    conn: &mut AnyConnection,
    group_id: GroupId,
    caller: &Caller,
) -> Result<UserGroup, GroupError> {
    let group = UserGroup::find(conn, group_id.as_str()).map_err(|e| match e {
        DbError::NotFound => GroupError::NotFound,
        other => other.into(),
    })?;
    let creator = group.created_by.as_deref() == Some(caller.user.id.as_str());
    if caller.is_admin() || (creator && !group.managed) {
        return Ok(group);
    }
    tracing::info!(
        decision = "deny",
        user = %caller.user.id,
        group = %group.id,
        managed = group.managed,
        "group change refused"
    );
    Err(if group.managed {
        GroupError::ManagedByAdmins
    } else {
        GroupError::NotTheManager
    })
}

/// Adds the user `user` (an id or an email) to the group; adding them twice changes nothing.
/// For the group's managers, which the caller has decided ([`require_manager`]). Audited
/// (`group.member.add`).
pub fn add_member(
    conn: &mut AnyConnection,
    caller: &Caller,
    group_id: GroupId,
    user: &str,
    now: i64,
) -> Result<(), GroupError> {
    let user = User::find_by_reference(conn, user).map_err(|e| match e {
        DbError::NotFound => GroupError::NoSuchUser(user.to_owned()),
        other => other.into(),
    })?;
    let member = GroupMember {
        group_id: group_id.as_str().to_owned(),
        user_id: user.id,
        added_at: now,
    };
    write_transaction(conn, |conn| {
        UserGroup::add_member(conn, &member)?;
        audit::caller_action(
            conn,
            caller,
            "group.member.add",
            format!("group:{}", member.group_id),
            json!({"user": member.user_id}),
        )?;
        Ok(())
    })
}

/// Removes the user `user_id` from the group: any member may leave; removing someone else is
/// for the group's managers ([`require_manager`]). Audited (`group.member.remove`).
pub fn remove_member(
    conn: &mut AnyConnection,
    caller: &Caller,
    group_id: GroupId,
    user_id: UserId,
) -> Result<(), GroupError> {
    // Leaving a group is one's own business; removing someone else is its manager's.
    if user_id != caller.user.user_id() {
        require_manager(conn, group_id, caller)?;
    }
    write_transaction(conn, |conn| {
        if !UserGroup::remove_member(conn, group_id, user_id)? {
            return Err(GroupError::NoSuchMember);
        }
        audit::caller_action(
            conn,
            caller,
            "group.member.remove",
            format!("group:{group_id}"),
            json!({"user": user_id.as_str()}),
        )?;
        Ok(())
    })
}

/// Deletes the group with its memberships, so what was shared with it is held by nobody from
/// the next request on. For the group's managers, which the caller has decided
/// ([`require_manager`]). Audited (`group.delete`).
pub fn delete(
    conn: &mut AnyConnection,
    caller: &Caller,
    group_id: GroupId,
) -> Result<(), GroupError> {
    write_transaction(conn, |conn| {
        UserGroup::delete(conn, group_id.as_str())?;
        audit::caller_action(
            conn,
            caller,
            "group.delete",
            format!("group:{group_id}"),
            json!({}),
        )?;
        Ok(())
    })
}
