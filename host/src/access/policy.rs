//! The Casbin enforcer, built from the database and rebuilt when access changes.
//!
//! The model is `policies/model.conf`. Its rules come from two places: the rules admins write
//! (`policy_rules`, seeded from `policies/baseline.csv`), and grants the server derives from its
//! own tables: who belongs to which group and team, who owns which dataset, which datasets a team
//! holds, and every live share. Each process keeps one [`Snapshot`] and compares its version
//! with the database's access version on every decision, so a change made on any replica is
//! enforced by all of them on their next request.
//!
//! Casbin makes the decision. The explanation (which rule, reached how) is found by walking the
//! same links, so an admin can read why in words.
//!
//! The snapshot also knows which accounts are deactivated and which are site admins, for what
//! acts on an account's behalf while nobody is signed in (a share link acting with its
//! creator's rights, [`Snapshot::explain_account`]); changing either flag bumps the version.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, RwLock};

use casbin::{CoreApi, DefaultModel, Enforcer, MemoryAdapter, MgmtApi};
use diesel::prelude::*;
use futures_util::FutureExt;
use serde::Serialize;
use utoipa::ToSchema;

use super::Level;
use crate::db::access_state::AccessState;
use crate::db::policy_rules::PolicyRule;
use crate::db::schema::{datasets, group_members, team_members, users};
use crate::db::shares::Share;
use crate::db::teams::ROLE_OWNER;
use crate::db::{AnyConnection, DbError};

pub const MODEL: &str = include_str!("../../../policies/model.conf");
pub const BASELINE: &str = include_str!("../../../policies/baseline.csv");

#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error("the policy engine failed: {0}")]
    Engine(String),
    #[error("{0}")]
    Invalid(String),
}

impl From<casbin::Error> for PolicyError {
    fn from(err: casbin::Error) -> Self {
        PolicyError::Engine(err.to_string())
    }
}

/// Where a rule or link came from, for explanations.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Origin {
    /// `policy_rule`, `owner`, `team_dataset`, `team_member`, `group_member`, `email_address`
    /// or `share`.
    pub kind: &'static str,
    /// The policy rule's or share's id, when there is one.
    pub id: Option<String>,
    /// A sentence for a person.
    pub text: String,
}

/// A rule as Casbin sees it: `p, sub, obj, act` or `g, sub, role`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, serde::Deserialize, ToSchema)]
pub struct RuleLine {
    /// `p` (a permission) or `g` (a role).
    #[schema(pattern = "^(p|g)$")]
    pub ptype: String,
    /// The subject: `user:`, `group:`, `team:` or `role:` and a name or id.
    #[schema(pattern = r"^\s*(user|group|team|role):")]
    pub v0: String,
    /// `p`: `dataset:<id>` or `dataset:*`; `g`: a role, group, team or `dataset:<id>/<level>`.
    #[schema(pattern = r"^\s*(dataset|group|team|role):")]
    pub v1: String,
    /// `p`: `view`, `edit` or `admin`; `g`: empty or absent.
    #[serde(default)]
    #[schema(pattern = r"^\s*(view|edit|admin)?\s*$")]
    pub v2: String,
}

impl RuleLine {
    pub fn display(&self) -> String {
        if self.ptype == "p" {
            format!("p, {}, {}, {}", self.v0, self.v1, self.v2)
        } else {
            format!("g, {}, {}", self.v0, self.v1)
        }
    }

    /// Parses the baseline file: one rule per line, `#` comments.
    /// One rule as written in a policy file or on the command line: `p, subject, object,
    /// level` or `g, subject, role`.
    pub fn parse(line: &str) -> Option<RuleLine> {
        let parts: Vec<&str> = line.split(',').map(str::trim).collect();
        match parts.as_slice() {
            ["p", sub, obj, act] => Some(RuleLine {
                ptype: "p".into(),
                v0: (*sub).into(),
                v1: (*obj).into(),
                v2: (*act).into(),
            }),
            ["g", sub, role] => Some(RuleLine {
                ptype: "g".into(),
                v0: (*sub).into(),
                v1: (*role).into(),
                v2: String::new(),
            }),
            _ => None,
        }
    }

    /// The rules of a policy file, one per line; blank lines and `#` comments are skipped.
    pub fn parse_csv(text: &str) -> Vec<RuleLine> {
        text.lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
            .filter_map(RuleLine::parse)
            .collect()
    }
}

/// A proposed change to the admin-written rules, for a dry run.
#[derive(Debug, Clone, Default, serde::Deserialize, ToSchema)]
pub struct PolicyChange {
    /// Rules to add.
    #[serde(default)]
    pub add: Vec<RuleLine>,
    /// Ids of rules to remove.
    #[serde(default)]
    pub remove: Vec<String>,
}

/// Why a decision came out as it did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Explanation {
    pub allowed: bool,
    /// The highest level the subject holds on the object, if any.
    pub held: Option<Level>,
    /// The rule that decided, as a sentence.
    pub rule: String,
    /// The rule's origin (absent when nothing grants access).
    pub origin: Option<Origin>,
    /// How the subject reaches the rule: subject, then each role or group in turn.
    pub path: Vec<String>,
}

/// One enforcer and the links it was built from, valid for one access version.
pub struct Snapshot {
    pub version: i64,
    /// The earliest expiry of a share included; the snapshot is stale from then on.
    valid_until: Option<i64>,
    enforcer: Enforcer,
    /// `g` links: subject → (role, origin index).
    links: HashMap<String, Vec<(String, usize)>>,
    /// Accounts that are deactivated: they hold nothing on anyone's behalf.
    inactive: HashSet<String>,
    /// Active site admins: they manage every dataset.
    site_admins: HashSet<String>,
    /// `p` rules with their origin index.
    rules: Vec<(RuleLine, usize)>,
    origins: Vec<Origin>,
}

/// Who an access question is about, as the rules name them: `user:<id>`, `group:<id>`,
/// `team:<id>`, `role:<name>`, `email:<address>`. A type of its own, apart from [`Object`], so
/// that a question cannot be asked with the two swapped (both were strings once).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Subject(String);

/// What an access question is about, as the rules name it: `dataset:<id>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Object(String);

impl Subject {
    /// A subject as an admin wrote it in a rule (checked by [`crate::access::rules::validate`]).
    pub fn written(text: impl Into<String>) -> Subject {
        Subject(text.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Object {
    /// An object as an admin wrote it: `dataset:<id>`, or a bare dataset id.
    pub fn written(text: &str) -> Object {
        if text.starts_with("dataset:") {
            Object(text.to_owned())
        } else {
            dataset_object(text)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Subject {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::fmt::Display for Object {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<Subject> for String {
    fn from(subject: Subject) -> String {
        subject.0
    }
}

impl From<Object> for String {
    fn from(object: Object) -> String {
        object.0
    }
}

/// A user as a subject: `user:<id>`.
pub fn user_subject(user_id: &str) -> Subject {
    Subject(format!("user:{user_id}"))
}

/// A dataset as an object: `dataset:<id>`.
pub fn dataset_object(dataset_id: &str) -> Object {
    Object(format!("dataset:{dataset_id}"))
}

fn grant(dataset_id: &str, level: &str) -> String {
    format!("dataset:{dataset_id}/{level}")
}

/// What the snapshot is built from, read in one go.
struct Inputs {
    rules: Vec<PolicyRule>,
    /// Admin-managed groups: the only ones admin-written rules may name.
    managed_groups: HashSet<String>,
    group_members: Vec<(String, String)>,
    team_members: Vec<(String, String, String)>,
    datasets: Vec<(String, String, Option<String>)>,
    shares: Vec<Share>,
    /// `(user id, email)` of the accounts holding an address some live share was made to.
    addresses: Vec<(String, String)>,
    /// Every account: id, active, site admin.
    accounts: Vec<(String, bool, bool)>,
}

impl Inputs {
    fn read(conn: &mut AnyConnection, now: i64) -> Result<Inputs, DbError> {
        let shares = Share::live(conn, now)?;
        Inputs {
            rules: PolicyRule::all(conn)?,
            managed_groups: crate::db::groups::UserGroup::managed_ids(conn)?
                .into_iter()
                .collect(),
            group_members: group_members::table
                .select((group_members::group_id, group_members::user_id))
                .load(conn)?,
            team_members: team_members::table
                .select((
                    team_members::team_id,
                    team_members::user_id,
                    team_members::role,
                ))
                .load(conn)?,
            // A dataset in the trash gives no one any access.
            datasets: datasets::table
                .filter(datasets::deleted_at.is_null())
                .select((datasets::id, datasets::owner_id, datasets::team_id))
                .load(conn)?,
            shares: Vec::new(),
            addresses: Vec::new(),
            accounts: users::table
                .select((users::id, users::is_active, users::is_admin))
                .load(conn)?,
        }
        .with_shares(conn, shares)
    }

    /// Adds the live shares, and the accounts that hold the addresses shared with by email.
    fn with_shares(
        mut self,
        conn: &mut AnyConnection,
        shares: Vec<Share>,
    ) -> Result<Self, DbError> {
        let wanted: Vec<&str> = shares
            .iter()
            .filter(|s| s.subject_kind == crate::db::shares::EMAIL)
            .map(|s| s.subject_id.as_str())
            .collect();
        if !wanted.is_empty() {
            self.addresses = users::table
                .filter(users::email.eq_any(wanted))
                .select((users::id, users::email))
                .load(conn)?;
        }
        self.shares = shares;
        Ok(self)
    }
}

impl Snapshot {
    /// Builds the enforcer from the database as it is now, with `change` applied to the
    /// admin-written rules if given (a dry run).
    pub fn load(
        conn: &mut AnyConnection,
        now: i64,
        change: Option<&PolicyChange>,
    ) -> Result<Snapshot, PolicyError> {
        let version = AccessState::version(conn)?;
        let inputs = Inputs::read(conn, now)?;
        Snapshot::build(version, inputs, change)
    }

    /// Builds the enforcer as it would be without the shares `leave_out` picks: for a listing
    /// that must not show what those shares reach ([`super::holders`]).
    pub fn load_without(
        conn: &mut AnyConnection,
        now: i64,
        leave_out: impl Fn(&Share) -> bool,
    ) -> Result<Snapshot, PolicyError> {
        let version = AccessState::version(conn)?;
        let mut inputs = Inputs::read(conn, now)?;
        inputs.shares.retain(|share| !leave_out(share));
        Snapshot::build(version, inputs, None)
    }

    fn build(
        version: i64,
        inputs: Inputs,
        change: Option<&PolicyChange>,
    ) -> Result<Snapshot, PolicyError> {
        let mut origins: Vec<Origin> = Vec::new();
        let mut origin = |kind: &'static str, id: Option<&str>, text: String| {
            origins.push(Origin {
                kind,
                id: id.map(str::to_owned),
                text,
            });
            origins.len() - 1
        };
        let mut rules: Vec<(RuleLine, usize)> = Vec::new();
        let mut links: Vec<(String, String, usize)> = Vec::new();

        let removed: HashSet<&str> = change
            .map(|c| c.remove.iter().map(String::as_str).collect())
            .unwrap_or_default();
        let mut admin_rules: Vec<(RuleLine, Option<String>, String)> = inputs
            .rules
            .iter()
            .filter(|r| !removed.contains(r.id.as_str()))
            .map(|r| {
                (
                    RuleLine {
                        ptype: r.ptype.clone(),
                        v0: r.v0.clone(),
                        v1: r.v1.clone(),
                        v2: r.v2.clone(),
                    },
                    Some(r.id.clone()),
                    r.note.clone(),
                )
            })
            .collect();
        if let Some(change) = change {
            admin_rules.extend(
                change
                    .add
                    .iter()
                    .map(|r| (r.clone(), None, "proposed".to_owned())),
            );
        }
        // A rule naming a group no site admin manages (written before groups had kinds) grants
        // nothing: its members are whoever the group's maker chose (see `access::rules`).
        let unmanaged = |value: &str| {
            value
                .strip_prefix("group:")
                .is_some_and(|id| !inputs.managed_groups.contains(id))
        };
        for (line, id, note) in admin_rules {
            if unmanaged(&line.v0) || unmanaged(&line.v1) {
                tracing::warn!(
                    rule = %line.display(),
                    "a policy rule names a group that is not admin-managed; it is not applied"
                );
                continue;
            }
            let text = match (id.as_deref(), note.is_empty()) {
                (Some(id), true) => format!("policy rule {id}: {}", line.display()),
                (Some(id), false) => format!("policy rule {id}: {} ({note})", line.display()),
                (None, _) => format!("proposed rule: {}", line.display()),
            };
            let at = origin("policy_rule", id.as_deref(), text);
            if line.ptype == "p" {
                rules.push((line, at));
            } else {
                links.push((line.v0, line.v1, at));
            }
        }
        for (group_id, user_id) in &inputs.group_members {
            let at = origin(
                "group_member",
                None,
                format!("user:{user_id} is a member of group:{group_id}"),
            );
            links.push((
                user_subject(user_id).into(),
                format!("group:{group_id}"),
                at,
            ));
        }
        for (team_id, user_id, role) in &inputs.team_members {
            let at = origin(
                "team_member",
                None,
                format!("user:{user_id} is a {role} of team:{team_id}"),
            );
            links.push((user_subject(user_id).into(), format!("team:{team_id}"), at));
            if role == ROLE_OWNER {
                links.push((
                    user_subject(user_id).into(),
                    format!("team:{team_id}#owner"),
                    at,
                ));
            }
        }
        for (dataset_id, owner_id, team_id) in &inputs.datasets {
            let at = origin(
                "owner",
                None,
                format!("user:{owner_id} owns dataset:{dataset_id}"),
            );
            links.push((
                user_subject(owner_id).into(),
                grant(dataset_id, "admin"),
                at,
            ));
            if let Some(team_id) = team_id {
                let at = origin(
                    "team_dataset",
                    None,
                    format!(
                        "dataset:{dataset_id} belongs to team:{team_id}: members edit, owners administer"
                    ),
                );
                links.push((format!("team:{team_id}"), grant(dataset_id, "edit"), at));
                links.push((
                    format!("team:{team_id}#owner"),
                    grant(dataset_id, "admin"),
                    at,
                ));
            }
        }
        // An account holds its email address, so a share made to the address reaches it
        // (`user:<id>` → `email:<address>` → the grant), from the moment the account exists.
        for (user_id, email) in &inputs.addresses {
            let at = origin(
                "email_address",
                None,
                format!("user:{user_id} holds the email address {email}"),
            );
            links.push((user_subject(user_id).into(), format!("email:{email}"), at));
        }
        let mut valid_until: Option<i64> = None;
        for share in &inputs.shares {
            let until = share
                .expires_at
                .map(|t| format!(" until {}", crate::time::to_rfc3339(t)))
                .unwrap_or_default();
            let at = origin(
                "share",
                Some(&share.id),
                format!(
                    "share {}: dataset:{} shared with {}:{} at {}{until}",
                    share.id, share.dataset_id, share.subject_kind, share.subject_id, share.level
                ),
            );
            links.push((
                format!("{}:{}", share.subject_kind, share.subject_id),
                grant(&share.dataset_id, &share.level),
                at,
            ));
            if let Some(expiry) = share.expires_at {
                valid_until = Some(valid_until.map_or(expiry, |t: i64| t.min(expiry)));
            }
        }

        let inactive = inputs
            .accounts
            .iter()
            .filter(|(_, active, _)| !active)
            .map(|(id, _, _)| id.clone())
            .collect();
        let site_admins = inputs
            .accounts
            .iter()
            .filter(|(_, active, admin)| *active && *admin)
            .map(|(id, _, _)| id.clone())
            .collect();
        let enforcer = build_enforcer(&rules, &links)?;
        let mut adjacency: HashMap<String, Vec<(String, usize)>> = HashMap::new();
        for (from, to, at) in links {
            adjacency.entry(from).or_default().push((to, at));
        }
        Ok(Snapshot {
            version,
            valid_until,
            enforcer,
            links: adjacency,
            inactive,
            site_admins,
            rules,
            origins,
        })
    }

    /// Whether the account `user_id` itself holds `needed` on the dataset, with no session
    /// or token to go by: a deactivated account holds nothing, an active site admin holds
    /// admin everywhere, anyone else what the enforcer says. This is the cheap question a
    /// share link asks of its creator on every request; [`Snapshot::explain_account`] says why.
    pub fn account_allows(
        &self,
        user_id: &str,
        dataset_id: &str,
        needed: Level,
    ) -> Result<bool, PolicyError> {
        if self.inactive.contains(user_id) {
            return Ok(false);
        }
        if self.site_admins.contains(user_id) {
            return Ok(true);
        }
        self.allows(&user_subject(user_id), &dataset_object(dataset_id), needed)
    }

    /// [`Snapshot::account_allows`], explained.
    pub fn explain_account(
        &self,
        user_id: &str,
        dataset_id: &str,
        needed: Level,
    ) -> Result<Explanation, PolicyError> {
        let subject = user_subject(user_id);
        if self.inactive.contains(user_id) {
            return Ok(Explanation {
                allowed: false,
                held: None,
                rule: format!("the account {subject} is deactivated"),
                origin: None,
                path: vec![subject.clone().into()],
            });
        }
        if self.site_admins.contains(user_id) {
            return Ok(Explanation {
                allowed: true,
                held: Some(Level::Admin),
                rule: format!("{subject} is a site admin; site admins manage every dataset"),
                origin: None,
                path: vec![subject.clone().into()],
            });
        }
        self.explain(&subject, &dataset_object(dataset_id), needed)
    }

    /// Casbin's answer: may `subject` act at `level` on `object`?
    pub fn allows(
        &self,
        subject: &Subject,
        object: &Object,
        level: Level,
    ) -> Result<bool, PolicyError> {
        Ok(self
            .enforcer
            .enforce((subject.as_str(), object.as_str(), level.as_str()))?)
    }

    /// The highest level `subject` holds on `object`.
    pub fn level(&self, subject: &Subject, object: &Object) -> Result<Option<Level>, PolicyError> {
        for level in [Level::Admin, Level::Edit, Level::View] {
            if self.allows(subject, object, level)? {
                return Ok(Some(level));
            }
        }
        Ok(None)
    }

    /// The datasets among `ids` that `subject` may view: the same answer as asking
    /// [`Snapshot::allows`] for each, from one walk of the subject's links instead of one
    /// enforcement per dataset (listings ask about every dataset at once).
    pub fn viewable_among(&self, subject: &Subject, ids: Vec<String>) -> Vec<String> {
        let reach = self.reachable(subject.as_str());
        // Every level of a `p` rule includes view; a rule counts when its subject is reached.
        let patterns: Vec<&str> = self
            .rules
            .iter()
            .filter(|(rule, _)| reach.contains_key(rule.v0.as_str()))
            .map(|(rule, _)| rule.v1.as_str())
            .collect();
        ids.into_iter()
            .filter(|id| {
                let object = dataset_object(id);
                patterns.iter().any(|p| key_match(object.as_str(), p))
                    || ["view", "edit", "admin"]
                        .iter()
                        .any(|level| reach.contains_key(format!("{object}/{level}").as_str()))
            })
            .collect()
    }

    /// Decides and explains.
    pub fn explain(
        &self,
        subject: &Subject,
        object: &Object,
        needed: Level,
    ) -> Result<Explanation, PolicyError> {
        let held = self.level(subject, object)?;
        let allowed = self.allows(subject, object, needed)?;
        let reach = self.reachable(subject.as_str());
        let path_to = |node: &str| -> Vec<String> {
            let mut path = vec![node.to_owned()];
            let mut at = node;
            while let Some((prev, _)) = reach.get(at).and_then(|p| p.as_ref()) {
                path.push(prev.clone());
                at = prev.as_str();
            }
            path.reverse();
            path
        };
        // Which rule grants the level asked for (or, when refused, the level held).
        let wanted = if allowed { Some(needed) } else { held };
        if let Some(level) = wanted {
            for grant_level in [Level::Admin, Level::Edit, Level::View] {
                if grant_level < level {
                    break;
                }
                let node = format!("{object}/{}", grant_level.as_str());
                if let Some(Some((_, at))) = reach.get(node.as_str()) {
                    let origin = self.origins[*at].clone();
                    return Ok(Explanation {
                        allowed,
                        held,
                        rule: origin.text.clone(),
                        origin: Some(origin),
                        path: path_to(&node),
                    });
                }
            }
            for (rule, at) in &self.rules {
                let implies = Level::parse(&rule.v2).is_some_and(|l| l >= level);
                if implies
                    && reach.contains_key(rule.v0.as_str())
                    && key_match(object.as_str(), &rule.v1)
                {
                    let origin = self.origins[*at].clone();
                    return Ok(Explanation {
                        allowed,
                        held,
                        rule: origin.text.clone(),
                        origin: Some(origin),
                        path: path_to(&rule.v0),
                    });
                }
            }
        }
        Ok(Explanation {
            allowed,
            held,
            rule: format!(
                "no rule grants {} on {object} to {subject}",
                needed.as_str()
            ),
            origin: None,
            path: vec![subject.to_string()],
        })
    }

    /// Everything `subject` holds through `g` links (itself included), each with the link
    /// that reached it.
    fn reachable(&self, subject: &str) -> HashMap<String, Option<(String, usize)>> {
        let mut seen: HashMap<String, Option<(String, usize)>> = HashMap::new();
        seen.insert(subject.to_owned(), None);
        let mut queue = VecDeque::from([subject.to_owned()]);
        while let Some(node) = queue.pop_front() {
            for (next, at) in self.links.get(&node).into_iter().flatten() {
                if !seen.contains_key(next) {
                    seen.insert(next.clone(), Some((node.clone(), *at)));
                    queue.push_back(next.clone());
                }
            }
        }
        seen
    }

    /// Whether the snapshot still describes the database at `version` and time `now`.
    fn is_current(&self, version: i64, now: i64) -> bool {
        self.version == version && self.valid_until.is_none_or(|t| now < t)
    }
}

/// Casbin's `keyMatch`: `*` matches any rest of the key.
fn key_match(key: &str, pattern: &str) -> bool {
    match pattern.split_once('*') {
        Some((prefix, _)) => key.starts_with(prefix),
        None => key == pattern,
    }
}

fn build_enforcer(
    rules: &[(RuleLine, usize)],
    links: &[(String, String, usize)],
) -> Result<Enforcer, PolicyError> {
    // The memory adapter and the model parser never wait, so their futures finish at once.
    fn now<T>(
        future: impl std::future::Future<Output = casbin::Result<T>>,
    ) -> Result<T, PolicyError> {
        future
            .now_or_never()
            .ok_or_else(|| PolicyError::Engine("the policy engine would block".into()))?
            .map_err(PolicyError::from)
    }
    let model = now(DefaultModel::from_str(MODEL))?;
    let mut enforcer = now(Enforcer::new(model, MemoryAdapter::default()))?;
    enforcer.enable_auto_build_role_links(false);
    // A rule no subject can match keeps the matcher evaluated when admins removed every rule,
    // so derived grants still apply.
    let mut p: Vec<Vec<String>> = vec![vec!["role:nobody".into(), "none".into(), "view".into()]];
    let mut seen = HashSet::new();
    for (rule, _) in rules {
        let line = vec![rule.v0.clone(), rule.v1.clone(), rule.v2.clone()];
        if seen.insert(line.clone()) {
            p.push(line);
        }
    }
    let mut g: Vec<Vec<String>> = Vec::new();
    let mut seen = HashSet::new();
    for (from, to, _) in links {
        let line = vec![from.clone(), to.clone()];
        if seen.insert(line.clone()) {
            g.push(line);
        }
    }
    now(enforcer.add_policies(p))?;
    if !g.is_empty() {
        now(enforcer.add_grouping_policies(g))?;
    }
    enforcer.build_role_links()?;
    Ok(enforcer)
}

/// The process's current enforcer, rebuilt when the database says access changed.
#[derive(Default)]
pub struct AccessControl {
    current: RwLock<Option<Arc<Snapshot>>>,
    building: Mutex<()>,
}

impl AccessControl {
    /// The snapshot for the database's current access version (one small query when nothing
    /// changed).
    pub fn snapshot(
        &self,
        conn: &mut AnyConnection,
        now: i64,
    ) -> Result<Arc<Snapshot>, PolicyError> {
        let version = AccessState::version(conn)?;
        if let Some(current) = self.cached(version, now) {
            return Ok(current);
        }
        let _one_builder = self
            .building
            .lock()
            .map_err(|_| PolicyError::Engine("policy cache poisoned".into()))?;
        if let Some(current) = self.cached(version, now) {
            return Ok(current);
        }
        let inputs = Inputs::read(conn, now)?;
        let snapshot = Arc::new(Snapshot::build(version, inputs, None)?);
        if let Ok(mut slot) = self.current.write() {
            *slot = Some(snapshot.clone());
        }
        Ok(snapshot)
    }

    fn cached(&self, version: i64, now: i64) -> Option<Arc<Snapshot>> {
        let slot = self.current.read().ok()?;
        slot.as_ref()
            .filter(|s| s.is_current(version, now))
            .cloned()
    }
}

/// Who would gain and who would lose access if a change were applied.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AccessDelta {
    pub user_id: String,
    pub user_email: String,
    pub dataset_id: String,
    pub dataset_name: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DryRunReport {
    pub gained: Vec<AccessDelta>,
    pub lost: Vec<AccessDelta>,
    /// How many user-dataset pairs were compared.
    pub pairs_checked: usize,
    /// The accounts not compared, and why: said, so that a change that would reach them
    /// once they are enabled again is not taken for one that reaches no one.
    pub left_out: LeftOut,
}

/// The accounts a dry run does not compare.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct LeftOut {
    /// Disabled accounts: they reach nothing now; were one enabled again, the change would
    /// apply to it as to anyone.
    pub disabled_users: usize,
    /// Site admins: they manage every dataset whatever the rules.
    pub site_admins: usize,
}

impl LeftOut {
    /// The sentence a person reads, or `None` when no one was left out.
    pub fn sentence(&self) -> Option<String> {
        let mut parts = Vec::new();
        if self.disabled_users > 0 {
            parts.push(format!(
                "{} disabled account{} (the change applies to them if they are enabled again)",
                self.disabled_users,
                if self.disabled_users == 1 { "" } else { "s" }
            ));
        }
        if self.site_admins > 0 {
            parts.push(format!(
                "{} site admin{} (they manage every dataset either way)",
                self.site_admins,
                if self.site_admins == 1 { "" } else { "s" }
            ));
        }
        (!parts.is_empty()).then(|| format!("Not compared: {}.", parts.join(" and ")))
    }
}

/// Compares every active user's level on every dataset before and after `change`. Site
/// admins are left out (they manage everything either way), and so are disabled accounts;
/// the report counts both.
pub fn dry_run(
    conn: &mut AnyConnection,
    now: i64,
    change: &PolicyChange,
) -> Result<DryRunReport, PolicyError> {
    let before = Snapshot::load(conn, now, None)?;
    let after = Snapshot::load(conn, now, Some(change))?;
    let people: Vec<(String, String)> = users::table
        .filter(users::is_active.eq(true))
        .filter(users::is_admin.eq(false))
        .order(users::email.asc())
        .select((users::id, users::email))
        .load(conn)
        .map_err(DbError::from)?;
    let all: Vec<(String, String)> = datasets::table
        .filter(datasets::deleted_at.is_null())
        .order(datasets::name.asc())
        .select((datasets::id, datasets::name))
        .load(conn)
        .map_err(DbError::from)?;
    let flags: Vec<(bool, bool)> = users::table
        .select((users::is_active, users::is_admin))
        .load(conn)
        .map_err(DbError::from)?;
    let left_out = LeftOut {
        disabled_users: flags.iter().filter(|(active, _)| !active).count(),
        site_admins: flags
            .iter()
            .filter(|(active, admin)| *active && *admin)
            .count(),
    };
    let mut report = DryRunReport {
        gained: Vec::new(),
        lost: Vec::new(),
        pairs_checked: 0,
        left_out,
    };
    for (user_id, email) in &people {
        let subject = user_subject(user_id);
        for (dataset_id, name) in &all {
            let object = dataset_object(dataset_id);
            let was = before.level(&subject, &object)?;
            let will = after.level(&subject, &object)?;
            report.pairs_checked += 1;
            if was == will {
                continue;
            }
            let delta = AccessDelta {
                user_id: user_id.clone(),
                user_email: email.clone(),
                dataset_id: dataset_id.clone(),
                dataset_name: name.clone(),
                before: was.map(|l| l.as_str().to_owned()),
                after: will.map(|l| l.as_str().to_owned()),
            };
            if will > was {
                report.gained.push(delta);
            } else {
                report.lost.push(delta);
            }
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn share(dataset: &str, kind: &str, id: &str, level: &str) -> Share {
        Share {
            id: format!("s-{dataset}-{id}"),
            dataset_id: dataset.into(),
            subject_kind: kind.into(),
            subject_id: id.into(),
            level: level.into(),
            expires_at: None,
            created_by: None,
            created_at: 0,
            updated_at: 0,
            accepted_at: None,
        }
    }

    fn inputs() -> Inputs {
        Inputs {
            rules: RuleLine::parse_csv(BASELINE)
                .into_iter()
                .enumerate()
                .map(|(i, r)| PolicyRule {
                    id: format!("r{i}"),
                    ptype: r.ptype,
                    v0: r.v0,
                    v1: r.v1,
                    v2: r.v2,
                    note: String::new(),
                    created_by: None,
                    created_at: 0,
                })
                .collect(),
            managed_groups: HashSet::from(["bio".to_owned()]),
            group_members: vec![("bio".into(), "carol".into())],
            team_members: vec![
                ("lab".into(), "dave".into(), "member".into()),
                ("lab".into(), "erin".into(), "owner".into()),
            ],
            datasets: vec![
                ("d1".into(), "alice".into(), None),
                ("d2".into(), "alice".into(), Some("lab".into())),
            ],
            shares: vec![share("d1", "group", "bio", "view")],
            addresses: Vec::new(),
            accounts: vec![
                ("alice".into(), true, false),
                ("carol".into(), false, false),
                ("root".into(), true, true),
                ("retired".into(), false, true),
            ],
        }
    }

    #[test]
    fn accounts_hold_nothing_when_deactivated_and_everything_as_site_admins() {
        let s = Snapshot::build(1, inputs(), None).unwrap();
        // Carol's group still holds view on d1, but her account is deactivated.
        assert!(
            s.allows(
                &Subject::written("user:carol"),
                &Object::written("dataset:d1"),
                Level::View
            )
            .unwrap()
        );
        assert!(!s.account_allows("carol", "d1", Level::View).unwrap());
        let why = s.explain_account("carol", "d1", Level::View).unwrap();
        assert!(
            !why.allowed && why.rule.contains("deactivated"),
            "{}",
            why.rule
        );
        assert!(s.account_allows("alice", "d1", Level::Admin).unwrap());
        assert!(!s.account_allows("alice", "d3", Level::View).unwrap());
        assert!(s.account_allows("root", "d3", Level::Admin).unwrap());
        assert!(!s.account_allows("retired", "d3", Level::View).unwrap());
        let why = s.explain_account("root", "d3", Level::Admin).unwrap();
        assert!(
            why.allowed && why.rule.contains("site admin"),
            "{}",
            why.rule
        );
    }

    #[test]
    fn derived_grants_decide_levels() {
        let s = Snapshot::build(1, inputs(), None).unwrap();
        let level = |u: &str, d: &str| s.level(&user_subject(u), &dataset_object(d)).unwrap();
        assert_eq!(level("alice", "d1"), Some(Level::Admin));
        assert_eq!(level("carol", "d1"), Some(Level::View));
        assert_eq!(level("carol", "d2"), None);
        assert_eq!(level("dave", "d2"), Some(Level::Edit));
        assert_eq!(level("erin", "d2"), Some(Level::Admin));
        assert_eq!(level("dave", "d1"), None);
        let why = s
            .explain(&user_subject("carol"), &dataset_object("d1"), Level::View)
            .unwrap();
        assert!(why.allowed);
        assert_eq!(why.origin.unwrap().kind, "share");
        assert_eq!(why.path, vec!["user:carol", "group:bio", "dataset:d1/view"]);
        let why = s
            .explain(&user_subject("carol"), &dataset_object("d1"), Level::Edit)
            .unwrap();
        assert!(!why.allowed);
        assert_eq!(why.held, Some(Level::View));
    }

    #[test]
    fn admin_rules_and_roles_apply_and_dry_runs_see_them() {
        let change = PolicyChange {
            add: vec![RuleLine {
                ptype: "g".into(),
                v0: "user:zoe".into(),
                v1: "role:auditor".into(),
                v2: String::new(),
            }],
            remove: vec![],
        };
        let before = Snapshot::build(1, inputs(), None).unwrap();
        let after = Snapshot::build(1, inputs(), Some(&change)).unwrap();
        assert_eq!(
            before
                .level(
                    &Subject::written("user:zoe"),
                    &Object::written("dataset:d2")
                )
                .unwrap(),
            None
        );
        assert_eq!(
            after
                .level(
                    &Subject::written("user:zoe"),
                    &Object::written("dataset:d2")
                )
                .unwrap(),
            Some(Level::View)
        );
        let why = after
            .explain(
                &Subject::written("user:zoe"),
                &Object::written("dataset:d2"),
                Level::View,
            )
            .unwrap();
        assert_eq!(why.path, vec!["user:zoe", "role:auditor"]);
        assert!(
            why.rule.contains("p, role:auditor, dataset:*, view"),
            "{}",
            why.rule
        );
        // Removing the auditor rule takes the access away again.
        let change = PolicyChange {
            add: change.add,
            remove: vec!["r0".into()],
        };
        let without = Snapshot::build(1, inputs(), Some(&change)).unwrap();
        assert_eq!(
            without
                .level(
                    &Subject::written("user:zoe"),
                    &Object::written("dataset:d2")
                )
                .unwrap(),
            None
        );
    }

    // Issue 14, item 16: a group any user made must not carry what an admin's rule grants.
    #[test]
    fn rules_naming_a_group_no_admin_manages_grant_nothing() {
        let change = PolicyChange {
            add: vec![RuleLine {
                ptype: "g".into(),
                v0: "group:squat".into(),
                v1: "role:auditor".into(),
                v2: String::new(),
            }],
            remove: vec![],
        };
        let mut squatted = inputs();
        squatted
            .group_members
            .push(("squat".into(), "mallory".into()));
        let s = Snapshot::build(1, squatted, Some(&change)).unwrap();
        assert_eq!(
            s.level(
                &Subject::written("user:mallory"),
                &Object::written("dataset:d1")
            )
            .unwrap(),
            None
        );
        // The same rule on an admin-managed group applies.
        let mut managed = inputs();
        managed
            .group_members
            .push(("squat".into(), "mallory".into()));
        managed.managed_groups.insert("squat".into());
        let s = Snapshot::build(1, managed, Some(&change)).unwrap();
        assert_eq!(
            s.level(
                &Subject::written("user:mallory"),
                &Object::written("dataset:d1")
            )
            .unwrap(),
            Some(Level::View)
        );
    }

    #[test]
    fn listings_agree_with_the_enforcer_for_everyone() {
        let change = PolicyChange {
            add: vec![
                RuleLine {
                    ptype: "g".into(),
                    v0: "group:bio".into(),
                    v1: "role:auditor".into(),
                    v2: String::new(),
                },
                RuleLine {
                    ptype: "p".into(),
                    v0: "user:dave".into(),
                    v1: "dataset:d1".into(),
                    v2: "edit".into(),
                },
                RuleLine {
                    ptype: "g".into(),
                    v0: "user:frank".into(),
                    v1: "dataset:d3/admin".into(),
                    v2: String::new(),
                },
            ],
            remove: vec![],
        };
        let ids: Vec<String> = ["d1", "d2", "d3", "d4"].map(String::from).to_vec();
        for snapshot in [
            Snapshot::build(1, inputs(), None).unwrap(),
            Snapshot::build(1, inputs(), Some(&change)).unwrap(),
        ] {
            for user in ["alice", "carol", "dave", "erin", "frank", "zoe"] {
                let subject = user_subject(user);
                let enforced: Vec<String> = ids
                    .iter()
                    .filter(|id| {
                        snapshot
                            .allows(&subject, &dataset_object(id), Level::View)
                            .unwrap()
                    })
                    .cloned()
                    .collect();
                assert_eq!(
                    snapshot.viewable_among(&subject, ids.clone()),
                    enforced,
                    "{user}"
                );
            }
        }
        // Not vacuous: some see some datasets, some see none.
        let after = Snapshot::build(1, inputs(), Some(&change)).unwrap();
        assert_eq!(
            after
                .viewable_among(&Subject::written("user:carol"), ids.clone())
                .len(),
            4
        );
        assert_eq!(
            after.viewable_among(&Subject::written("user:frank"), ids.clone()),
            ["d3"]
        );
        assert!(
            after
                .viewable_among(&Subject::written("user:zoe"), ids)
                .is_empty()
        );
    }
}
