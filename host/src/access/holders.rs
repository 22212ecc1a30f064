//! Who can reach a dataset, at which level and through what: the list a dataset's admins see
//! under "Share", drawn from the same enforcer that decides every request, so it cannot
//! disagree with what the server actually allows.
//!
//! One exception keeps a secret: a share made to an email address that no account has seen
//! yet is listed as the address, with its level, never as the account that may hold it, so
//! the list looks the same whether the address has an account or not (the sharer could
//! otherwise learn who has an account by sharing and looking).

use std::collections::HashMap;

use serde::Serialize;

use super::Level;
use super::policy::{Explanation, Snapshot, dataset_object, user_subject};
use crate::access::Caller;
use crate::db::AnyConnection;
use crate::db::groups::UserGroup;
use crate::db::shares::Share;
use crate::db::teams::Team;
use crate::db::users::User;

/// One person with access.
#[derive(Debug, Clone, Serialize)]
pub struct Holder {
    pub name: String,
    pub email: String,
    pub level: &'static str,
    /// How, in words: "owner", "a share, through group Field team".
    pub through: String,
}

/// Everyone (site admins aside) who holds a level on the dataset, highest level first.
pub fn for_dataset(
    conn: &mut AnyConnection,
    caller: &Caller,
    dataset_id: &str,
) -> Result<Vec<Holder>, super::AccessError> {
    let now = crate::time::now_millis();
    let object = dataset_object(dataset_id);
    let mut names = Names::default();
    let mut holders: Vec<(Level, Holder)> = Vec::new();
    let pending: Vec<Share> = Share::for_dataset(conn, dataset_id)?
        .into_iter()
        .filter(|s| s.is_pending() && s.expires_at.is_none_or(|t| t > now))
        .collect();
    // People are listed as if the pending shares did not exist (each of those is listed as its
    // address below); otherwise an account's level, or its row, would change with them.
    let snapshot = if pending.is_empty() {
        caller.access.snapshot(conn, now)?
    } else {
        std::sync::Arc::new(Snapshot::load_without(conn, now, |s| s.is_pending())?)
    };
    for user in User::active_people(conn)? {
        let subject = user_subject(&user.id);
        let Some(level) = snapshot.level(&subject, &object)? else {
            continue;
        };
        let why = snapshot.explain(&subject, &object, level)?;
        holders.push((
            level,
            Holder {
                through: names.describe(conn, &why),
                name: user.name,
                email: user.email,
                level: level.as_str(),
            },
        ));
    }
    for share in pending {
        let level = Level::parse(&share.level).unwrap_or(Level::View);
        holders.push((
            level,
            Holder {
                name: String::new(),
                email: share.subject_id,
                level: level.as_str(),
                through: "a share by email, not seen yet".to_owned(),
            },
        ));
    }
    holders.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.name.cmp(&b.1.name)));
    Ok(holders.into_iter().map(|(_, h)| h).collect())
}

/// Whom a share names, looked up once for showing: the API's list of shares and the page of
/// what is shared with someone both name a recipient through this, so a recipient that is
/// gone reads the same on both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recipient {
    User {
        name: String,
        email: String,
    },
    Group(String),
    Team(String),
    /// A share to an address: only the address, since the name of an account holding it would
    /// say that one exists.
    Email(String),
    /// The account, group or team (the kind) no longer exists.
    Gone(&'static str),
}

impl Recipient {
    pub fn of(conn: &mut AnyConnection, share: &Share) -> Recipient {
        let id = &share.subject_id;
        match share.subject_kind.as_str() {
            "user" => User::find(conn, id).map_or(Recipient::Gone("user"), |u| Recipient::User {
                name: u.name,
                email: u.email,
            }),
            "group" => UserGroup::find(conn, id)
                .map_or(Recipient::Gone("group"), |g| Recipient::Group(g.name)),
            crate::db::shares::EMAIL => Recipient::Email(id.clone()),
            _ => Team::find(conn, id).map_or(Recipient::Gone("team"), |t| Recipient::Team(t.name)),
        }
    }

    /// As a list of shares names it: `Ada <ada@example.org>`, `Field team`,
    /// `(deleted group)`.
    pub fn label(&self) -> String {
        match self {
            Recipient::User { name, email } => format!("{name} <{email}>"),
            Recipient::Group(name) | Recipient::Team(name) | Recipient::Email(name) => name.clone(),
            Recipient::Gone(kind) => format!("(deleted {kind})"),
        }
    }
}

/// Group and team names, each looked up once.
#[derive(Default)]
struct Names {
    known: HashMap<String, String>,
}

impl Names {
    fn name(&mut self, conn: &mut AnyConnection, node: &str) -> Option<String> {
        if let Some(name) = self.known.get(node) {
            return Some(name.clone());
        }
        let name = if let Some(id) = node.strip_prefix("group:") {
            UserGroup::find(conn, id)
                .ok()
                .map(|g| format!("group {}", g.name))
        } else if let Some(id) = node.strip_prefix("team:") {
            let owners = id.ends_with("#owner");
            Team::find(conn, id.trim_end_matches("#owner"))
                .ok()
                .map(|t| {
                    if owners {
                        format!("owners of team {}", t.name)
                    } else {
                        format!("team {}", t.name)
                    }
                })
        } else {
            node.strip_prefix("role:")
                .map(|role| format!("role {role}"))
        }?;
        self.known.insert(node.to_owned(), name.clone());
        Some(name)
    }

    fn describe(&mut self, conn: &mut AnyConnection, why: &Explanation) -> String {
        let how = match why.origin.as_ref().map(|o| o.kind) {
            Some("owner") => "owner",
            Some("share") => "a share",
            Some("team_dataset") => "the team's dataset",
            Some("policy_rule") => "a policy rule",
            _ => "a rule",
        };
        let via: Vec<String> = why
            .path
            .iter()
            .skip(1)
            .filter_map(|node| self.name(conn, node))
            .collect();
        if via.is_empty() {
            how.to_owned()
        } else {
            format!("{how}, through {}", via.join(" → "))
        }
    }
}
