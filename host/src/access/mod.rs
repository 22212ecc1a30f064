//! What a verified caller may do with a resource, and why.
//!
//! Every decision is a [`Decision`] that carries the rule that made it, and every decision is
//! logged, granted or refused. Today the rules are ownership, team membership and the site
//! admin flag; the Casbin policies and Biscuit share tokens of the access-control work plug in
//! here, behind the same [`Decision`], so handlers do not change.

use crate::auth::Caller;
use crate::db::datasets::Dataset;
use crate::db::teams::{ROLE_OWNER, Team};
use crate::db::{AnyConnection, DbResult};
use crate::error::ApiError;

/// Levels of access to a dataset, each including the ones before.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// See, preview, export.
    View,
    /// Also change metadata and upload versions.
    Edit,
    /// Also delete.
    Admin,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::View => "view",
            Level::Edit => "edit",
            Level::Admin => "admin",
        }
    }
}

/// The outcome of one access check, with the rule that decided it.
#[derive(Debug, Clone)]
pub struct Decision {
    pub granted: Option<Level>,
    pub rule: &'static str,
}

/// The highest level the caller holds on the dataset.
pub fn dataset_level(
    conn: &mut AnyConnection,
    caller: &Caller,
    dataset: &Dataset,
) -> DbResult<Decision> {
    if caller.is_admin() {
        return Ok(Decision {
            granted: Some(Level::Admin),
            rule: "site admin",
        });
    }
    if dataset.owner_id == caller.user.id {
        return Ok(Decision {
            granted: Some(Level::Admin),
            rule: "dataset owner",
        });
    }
    if let Some(team_id) = &dataset.team_id
        && let Some(role) = Team::role_of(conn, team_id, &caller.user.id)?
    {
        return Ok(if role == ROLE_OWNER {
            Decision {
                granted: Some(Level::Admin),
                rule: "owner of the dataset's team",
            }
        } else {
            Decision {
                granted: Some(Level::Edit),
                rule: "member of the dataset's team",
            }
        });
    }
    Ok(Decision {
        granted: None,
        rule: "no rule grants access",
    })
}

/// Requires `needed` on the dataset; logs the decision either way.
///
/// A caller with no access at all is told "not found", so that dataset ids cannot be probed;
/// a caller who can see the dataset but not do this gets a plain refusal.
pub fn require_dataset(
    conn: &mut AnyConnection,
    caller: &Caller,
    dataset: &Dataset,
    needed: Level,
) -> Result<Level, ApiError> {
    let decision = dataset_level(conn, caller, dataset)?;
    let allowed = decision.granted.is_some_and(|held| held >= needed);
    tracing::info!(
        decision = if allowed { "grant" } else { "deny" },
        user = %caller.user.id,
        dataset = %dataset.id,
        needed = needed.as_str(),
        held = decision.granted.map(Level::as_str).unwrap_or("none"),
        rule = decision.rule,
        "dataset access"
    );
    match decision.granted {
        Some(held) if held >= needed => Ok(held),
        Some(held) => Err(ApiError::forbidden(format!(
            "you have {} access to this dataset; this needs {}",
            held.as_str(),
            needed.as_str()
        ))),
        None => Err(ApiError::not_found("dataset")),
    }
}
