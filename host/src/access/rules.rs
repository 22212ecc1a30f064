//! Changing the admin-written rules: each change is validated, versioned and audited in one
//! transaction, for the API and the command line alike.
//!
//! **Groups in rules.** Any user may make a group and add whomever they like to it. Were a rule
//! allowed to name any group, a user could make `reviewers` before an admin writes
//! `g, group:reviewers, role:auditor` (or make it after the admin's group is gone) and gain
//! what the rule grants. Binding rules to group ids, which [`validate`] does anyway, is not
//! enough on its own: the id is looked up from the name the admin types, at the moment they
//! type it, and that name may already be the squatter's. So groups come in two kinds: groups
//! anyone makes, for sharing, and *admin-managed* groups, which only site admins create, fill
//! and delete; a rule may name only the latter. Names stay unique across both kinds, so a
//! name means one group and a squatted name is refused with a clear error, never silently
//! matched. (The enforcer also ignores rules naming a group that is not admin-managed, for
//! rules written before groups had kinds.)

use super::audit::{self, AuditEvent};
use super::policy::{PolicyError, RuleLine};
use crate::db::access_state::AccessState;
use crate::db::datasets::Dataset;
use crate::db::groups::UserGroup;
use crate::db::policy_rules::{PolicyRule, PolicyVersion};
use crate::db::teams::Team;
use crate::db::users::User;
use crate::db::{AnyConnection, DbError, new_id, write_transaction};

/// Who is changing the rules, for the version history and the audit log.
pub struct Changer<'a> {
    pub user_id: Option<&'a str>,
    pub actor: String,
    pub address: Option<String>,
}

fn invalid(message: impl Into<String>) -> PolicyError {
    PolicyError::Invalid(message.into())
}

fn valid_role_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

/// A subject: `user:<id or email>`, `group:<id or name>`, `team:<id or name>` (optionally
/// `#owner`) or `role:<name>`. Returns it with ids in place of names.
fn subject(conn: &mut AnyConnection, text: &str) -> Result<String, PolicyError> {
    let (kind, reference) = text.split_once(':').ok_or_else(|| {
        invalid(format!(
            "'{text}' is not a subject; write user:<email>, group:<name>, team:<name> or role:<name>"
        ))
    })?;
    match kind {
        "user" => User::find_by_reference(conn, reference)
            .map(|u| format!("user:{}", u.id))
            .map_err(|_| invalid(format!("there is no user '{reference}'"))),
        "group" => match find_group(conn, reference) {
            Some(group) if group.managed => Ok(format!("group:{}", group.id)),
            Some(group) => Err(invalid(format!(
                "the group '{}' was made by a user, not managed by site admins; rules may name \
                 only admin-managed groups (create one with \"managed\": true)",
                group.name
            ))),
            None => Err(invalid(format!("there is no group '{reference}'"))),
        },
        "team" => {
            let (name, owners) = match reference.strip_suffix("#owner") {
                Some(name) => (name, "#owner"),
                None => (reference, ""),
            };
            Team::find_by_reference(conn, name)
                .map(|t| format!("team:{}{owners}", t.id))
                .map_err(|_| invalid(format!("there is no team '{name}'")))
        }
        "role" if valid_role_name(reference) => Ok(text.to_owned()),
        "role" => Err(invalid(format!(
            "role names use lower-case letters, digits, '-' and '_' (got '{reference}')"
        ))),
        other => Err(invalid(format!(
            "'{other}' is not a kind of subject; use user, group, team or role"
        ))),
    }
}

fn find_group(conn: &mut AnyConnection, reference: &str) -> Option<UserGroup> {
    UserGroup::find_by_reference(conn, reference).ok()
}

fn dataset_exists(conn: &mut AnyConnection, id: &str) -> Result<(), PolicyError> {
    match Dataset::find(conn, id) {
        Ok(_) => Ok(()),
        Err(DbError::NotFound) => Err(invalid(format!("there is no dataset '{id}'"))),
        Err(other) => Err(other.into()),
    }
}

/// Checks a rule and writes names as ids, so that a renamed group keeps its rules.
pub fn validate(conn: &mut AnyConnection, rule: &RuleLine) -> Result<RuleLine, PolicyError> {
    match rule.ptype.as_str() {
        "p" => {
            let sub = subject(conn, rule.v0.trim())?;
            let obj = rule.v1.trim();
            match obj.strip_prefix("dataset:") {
                Some("*") => {}
                Some(id) if !id.is_empty() && !id.contains('*') => dataset_exists(conn, id)?,
                _ => {
                    return Err(invalid(format!(
                        "'{obj}' is not an object; write dataset:<id> or dataset:*"
                    )));
                }
            }
            let act = rule.v2.trim();
            if super::Level::parse(act).is_none() {
                return Err(invalid(format!(
                    "'{act}' is not a level; use view, edit or admin"
                )));
            }
            Ok(RuleLine {
                ptype: "p".into(),
                v0: sub,
                v1: obj.to_owned(),
                v2: act.to_owned(),
            })
        }
        "g" => {
            let sub = subject(conn, rule.v0.trim())?;
            let target = rule.v1.trim();
            let role = if let Some(grant) = target.strip_prefix("dataset:") {
                let (id, level) = grant.split_once('/').ok_or_else(|| {
                    invalid(format!(
                        "'{target}' is not a grant; write dataset:<id>/view, /edit or /admin"
                    ))
                })?;
                dataset_exists(conn, id)?;
                if super::Level::parse(level).is_none() {
                    return Err(invalid(format!(
                        "'{level}' is not a level; use view, edit or admin"
                    )));
                }
                target.to_owned()
            } else {
                subject(conn, target)?
            };
            if role.starts_with("user:") {
                return Err(invalid(
                    "a user cannot be held as a role; link to a role, group or team",
                ));
            }
            if role == sub {
                return Err(invalid("a subject cannot hold itself"));
            }
            if !rule.v2.trim().is_empty() {
                return Err(invalid("a g rule has two values: subject and role"));
            }
            Ok(RuleLine {
                ptype: "g".into(),
                v0: sub,
                v1: role,
                v2: String::new(),
            })
        }
        other => Err(invalid(format!(
            "'{other}' is not a rule type; use p (a permission) or g (a role)"
        ))),
    }
}

/// Adds a rule; returns it and the new policy version.
pub fn add(
    conn: &mut AnyConnection,
    by: &Changer,
    rule: &RuleLine,
    note: &str,
    now: i64,
) -> Result<(PolicyRule, i64), PolicyError> {
    let rule = validate(conn, rule)?;
    write_transaction(conn, |conn| {
        let row = PolicyRule {
            id: new_id(),
            ptype: rule.ptype.clone(),
            v0: rule.v0.clone(),
            v1: rule.v1.clone(),
            v2: rule.v2.clone(),
            note: note.trim().to_owned(),
            created_by: by.user_id.map(str::to_owned),
            created_at: now,
        };
        PolicyRule::insert(conn, &row)?;
        let version =
            PolicyVersion::record(conn, by.user_id, now, &format!("add {}", rule.display()))?;
        AccessState::bump(conn)?;
        policy_event(conn, by, "add", &rule.display(), version, now)?;
        audit::record(
            conn,
            now,
            AuditEvent::new(
                by.actor.clone(),
                "policy.add",
                format!("policy_rule:{}", row.id),
            )
            .detail(
                serde_json::json!({"rule": rule.display(), "note": row.note, "version": version}),
            )
            .address(by.address.clone()),
        )?;
        Ok((row, version))
    })
}

/// A policy change in the event stream.
fn policy_event(
    conn: &mut AnyConnection,
    by: &Changer,
    change: &str,
    rule: &str,
    version: i64,
    now: i64,
) -> Result<(), PolicyError> {
    let actor = by
        .user_id
        .map_or(crate::activity::Actor::System, crate::activity::Actor::user);
    crate::activity::record(
        conn,
        now,
        crate::activity::Event::new(crate::activity::EventKind::PolicyChanged, actor)
            .payload(serde_json::json!({"change": change, "rule": rule, "version": version})),
    )?;
    Ok(())
}

/// Removes a rule; returns the new policy version.
pub fn remove(
    conn: &mut AnyConnection,
    by: &Changer,
    id: &str,
    now: i64,
) -> Result<i64, PolicyError> {
    write_transaction(conn, |conn| {
        let row = PolicyRule::find(conn, id)?;
        let line = RuleLine {
            ptype: row.ptype.clone(),
            v0: row.v0.clone(),
            v1: row.v1.clone(),
            v2: row.v2.clone(),
        };
        PolicyRule::delete(conn, id)?;
        let version =
            PolicyVersion::record(conn, by.user_id, now, &format!("remove {}", line.display()))?;
        AccessState::bump(conn)?;
        policy_event(conn, by, "remove", &line.display(), version, now)?;
        audit::record(
            conn,
            now,
            AuditEvent::new(
                by.actor.clone(),
                "policy.remove",
                format!("policy_rule:{id}"),
            )
            .detail(serde_json::json!({"rule": line.display(), "version": version}))
            .address(by.address.clone()),
        )?;
        Ok(version)
    })
}

/// Copies `policies/baseline.csv` into the database the first time a database starts.
pub fn seed_baseline(conn: &mut AnyConnection, now: i64) -> Result<bool, PolicyError> {
    write_transaction(conn, |conn| {
        if PolicyVersion::current(conn)? > 0 {
            return Ok(false);
        }
        for line in RuleLine::parse_csv(super::policy::BASELINE) {
            PolicyRule::insert(
                conn,
                &PolicyRule {
                    id: new_id(),
                    ptype: line.ptype,
                    v0: line.v0,
                    v1: line.v1,
                    v2: line.v2,
                    note: "baseline".into(),
                    created_by: None,
                    created_at: now,
                },
            )?;
        }
        PolicyVersion::record(conn, None, now, "baseline from policies/baseline.csv")?;
        AccessState::bump(conn)?;
        audit::record(
            conn,
            now,
            AuditEvent::new("system", "policy.seed", "policy")
                .detail(serde_json::json!({"version": 1})),
        )?;
        Ok(true)
    })
}
