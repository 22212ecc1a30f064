//! The state of every plugin, shared by all replicas: where it came from, whether it is
//! enabled, and which capabilities an administrator approved. A replica's loaded plugins
//! follow this table (see `plugins::registry`).

use diesel::prelude::*;

use super::schema::plugins;
use super::{AnyConnection, DbResult};

/// Where a plugin's component lives.
pub const SOURCE_FOLDER: &str = "folder";
pub const SOURCE_INSTALLED: &str = "installed";

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = plugins, treat_none_as_null = true)]
pub struct PluginRecord {
    pub id: String,
    /// [`SOURCE_FOLDER`] or [`SOURCE_INSTALLED`].
    pub source: String,
    pub kind: String,
    pub version: String,
    /// The manifest as JSON.
    pub manifest: String,
    pub component_sha256: String,
    pub enabled: bool,
    /// The approved capabilities as JSON; `None` when nothing was approved.
    pub approved: Option<String>,
    pub installed_by: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl PluginRecord {
    pub fn list(conn: &mut AnyConnection) -> DbResult<Vec<PluginRecord>> {
        Ok(plugins::table
            .order(plugins::id.asc())
            .select(PluginRecord::as_select())
            .load(conn)?)
    }

    pub fn find(conn: &mut AnyConnection, id: &str) -> DbResult<Option<PluginRecord>> {
        Ok(plugins::table
            .find(id)
            .select(PluginRecord::as_select())
            .get_result(conn)
            .optional()?)
    }

    /// Inserts the record, or replaces every field of the one with its id.
    pub fn save(conn: &mut AnyConnection, record: &PluginRecord) -> DbResult<()> {
        let updated = diesel::update(plugins::table.find(&record.id))
            .set(record)
            .execute(conn)?;
        if updated == 0 {
            diesel::insert_into(plugins::table)
                .values(record)
                .execute(conn)?;
        }
        Ok(())
    }

    pub fn set_enabled(
        conn: &mut AnyConnection,
        id: &str,
        enabled: bool,
        approved: Option<&str>,
        now: i64,
    ) -> DbResult<bool> {
        let changed = diesel::update(plugins::table.find(id))
            .set((
                plugins::enabled.eq(enabled),
                plugins::approved.eq(approved),
                plugins::updated_at.eq(now),
            ))
            .execute(conn)?;
        Ok(changed == 1)
    }

    pub fn delete(conn: &mut AnyConnection, id: &str) -> DbResult<bool> {
        Ok(diesel::delete(plugins::table.find(id)).execute(conn)? == 1)
    }
}
