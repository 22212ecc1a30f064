//! Casbin rules written by admins (and the baseline from `policies/`), with the version
//! history of the rule set.

use diesel::prelude::*;

use super::schema::{policy_rules, policy_versions};
use super::{AnyConnection, DbError, DbResult};

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = policy_rules)]
pub struct PolicyRule {
    pub id: String,
    /// `p` (a permission) or `g` (a subject holds a role or group).
    pub ptype: String,
    pub v0: String,
    pub v1: String,
    pub v2: String,
    pub note: String,
    pub created_by: Option<String>,
    pub created_at: i64,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = policy_versions)]
pub struct PolicyVersion {
    pub version: i64,
    pub changed_by: Option<String>,
    pub changed_at: i64,
    pub summary: String,
}

impl PolicyRule {
    pub fn all(conn: &mut AnyConnection) -> DbResult<Vec<PolicyRule>> {
        Ok(policy_rules::table
            .order((policy_rules::created_at.asc(), policy_rules::id.asc()))
            .select(PolicyRule::as_select())
            .load(conn)?)
    }

    pub fn find(conn: &mut AnyConnection, id: &str) -> DbResult<PolicyRule> {
        Ok(policy_rules::table
            .find(id)
            .select(PolicyRule::as_select())
            .get_result(conn)?)
    }

    pub fn insert(conn: &mut AnyConnection, rule: &PolicyRule) -> DbResult<()> {
        diesel::insert_into(policy_rules::table)
            .values(rule)
            .execute(conn)
            .map_err(|e| match DbError::from(e) {
                DbError::Conflict(_) => DbError::Conflict("this rule already exists".to_owned()),
                other => other,
            })?;
        Ok(())
    }

    pub fn delete(conn: &mut AnyConnection, id: &str) -> DbResult<bool> {
        Ok(diesel::delete(policy_rules::table.find(id)).execute(conn)? > 0)
    }
}

impl PolicyVersion {
    pub fn current(conn: &mut AnyConnection) -> DbResult<i64> {
        Ok(policy_versions::table
            .select(diesel::dsl::max(policy_versions::version))
            .first::<Option<i64>>(conn)?
            .unwrap_or(0))
    }

    /// Records the next version; two concurrent changes cannot take the same number.
    pub fn record(
        conn: &mut AnyConnection,
        changed_by: Option<&str>,
        changed_at: i64,
        summary: &str,
    ) -> DbResult<i64> {
        let version = Self::current(conn)? + 1;
        diesel::insert_into(policy_versions::table)
            .values(PolicyVersion {
                version,
                changed_by: changed_by.map(str::to_owned),
                changed_at,
                summary: summary.to_owned(),
            })
            .execute(conn)?;
        Ok(version)
    }

    pub fn history(conn: &mut AnyConnection, limit: i64) -> DbResult<Vec<PolicyVersion>> {
        Ok(policy_versions::table
            .order(policy_versions::version.desc())
            .limit(limit)
            .select(PolicyVersion::as_select())
            .load(conn)?)
    }
}
