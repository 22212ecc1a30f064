//! What a caller may do with a resource, and why: Casbin roles and rules ([`policy`]),
//! Biscuit share tokens, and the audit chain ([`audit`]) every decision is written to.
//!
//! Every decision carries the rule that made it and is recorded, granted or refused, in the
//! audit log, so an admin can always answer "why could she see this?".

pub mod audit;
pub mod caller;
pub mod holders;
pub mod policy;
pub mod rules;
pub mod token;

use crate::db::datasets::Dataset;
use crate::db::{AnyConnection, DbError, DbResult};
use audit::AuditEvent;
pub use caller::{AdminCaller, AuthMethod, Caller, Scope, parse_scopes};
use policy::{Explanation, dataset_object, user_subject};

/// Levels of access to a dataset, each including the ones before.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// See, preview, export.
    View,
    /// Also change metadata and upload versions.
    Edit,
    /// Also delete.
    Admin,
}

impl Level {
    pub fn parse(text: &str) -> Option<Level> {
        match text {
            "view" => Some(Level::View),
            "edit" => Some(Level::Edit),
            "admin" => Some(Level::Admin),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Level::View => "view",
            Level::Edit => "edit",
            Level::Admin => "admin",
        }
    }
}

/// Why an access question was not answered with a yes.
#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    /// The caller holds no access to the dataset at all: told it does not exist, so that
    /// dataset ids cannot be probed.
    #[error("dataset not found")]
    NotVisible,
    /// The caller can see the dataset but not do this.
    #[error("you have {} access to this dataset; this needs {}", held.as_str(), needed.as_str())]
    Insufficient { held: Level, needed: Level },
    #[error(transparent)]
    Policy(#[from] policy::PolicyError),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Decides `caller`'s access to `dataset` at `needed`, explained.
pub fn decide_dataset(
    conn: &mut AnyConnection,
    caller: &Caller,
    dataset: &Dataset,
    needed: Level,
) -> Result<Explanation, AccessError> {
    if caller.is_admin() {
        return Ok(Explanation {
            allowed: true,
            held: Some(Level::Admin),
            rule: "site admins manage every dataset".to_owned(),
            origin: None,
            path: vec![user_subject(&caller.user.id).into()],
        });
    }
    let now = crate::time::now_millis();
    let snapshot = caller.access.snapshot(conn, now)?;
    Ok(snapshot.explain(
        &user_subject(&caller.user.id),
        &dataset_object(&dataset.id),
        needed,
    )?)
}

/// The highest level the caller holds on the dataset, without recording anything (for
/// listings, where each row is not a decision of its own).
pub fn dataset_level(
    conn: &mut AnyConnection,
    caller: &Caller,
    dataset_id: &str,
) -> Result<Option<Level>, AccessError> {
    if caller.is_admin() {
        return Ok(Some(Level::Admin));
    }
    let snapshot = caller.access.snapshot(conn, crate::time::now_millis())?;
    Ok(snapshot.level(&user_subject(&caller.user.id), &dataset_object(dataset_id))?)
}

/// The datasets among `ids` the caller may view (listings: one decision per row would flood
/// the audit log, so these are not recorded one by one).
pub fn viewable_datasets(
    conn: &mut AnyConnection,
    caller: &Caller,
    ids: Vec<String>,
) -> Result<Vec<String>, AccessError> {
    if caller.is_admin() {
        return Ok(ids);
    }
    let snapshot = caller.access.snapshot(conn, crate::time::now_millis())?;
    Ok(snapshot.viewable_among(&user_subject(&caller.user.id), ids))
}

/// Requires `needed` on the dataset, and records the decision in the audit log either way.
///
/// A caller with no access at all is told "not found", so that dataset ids cannot be probed;
/// a caller who can see the dataset but not do this gets a plain refusal.
pub fn require_dataset(
    conn: &mut AnyConnection,
    caller: &Caller,
    dataset: &Dataset,
    needed: Level,
) -> Result<Level, AccessError> {
    let why = decide_dataset(conn, caller, dataset, needed)?;
    let held = why.held;
    tracing::info!(
        decision = if why.allowed { "grant" } else { "deny" },
        user = %caller.user.id,
        dataset = %dataset.id,
        needed = needed.as_str(),
        held = held.map(Level::as_str).unwrap_or("none"),
        rule = %why.rule,
        "dataset access"
    );
    record_decision(conn, caller, dataset, needed, &why)?;
    match held {
        Some(held) if why.allowed => Ok(held),
        Some(held) => Err(AccessError::Insufficient { held, needed }),
        None => Err(AccessError::NotVisible),
    }
}

pub(crate) fn record_decision(
    conn: &mut AnyConnection,
    caller: &Caller,
    dataset: &Dataset,
    needed: Level,
    why: &Explanation,
) -> DbResult<()> {
    let event = AuditEvent::new(
        audit::actor_user(&caller.user.id),
        "access.dataset",
        dataset_object(&dataset.id),
    )
    .outcome(if why.allowed { "granted" } else { "denied" })
    .detail(serde_json::json!({
        "needed": needed.as_str(),
        "held": why.held,
        "rule": why.rule,
        "path": why.path,
    }))
    .address(caller.address.clone());
    audit::record(conn, crate::time::now_millis(), event).map(|_| ())
}
