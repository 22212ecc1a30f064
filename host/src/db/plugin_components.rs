//! Component files of plugins installed at run time, by content hash, so that every replica can
//! load a plugin that was uploaded to only one of them.

use diesel::prelude::*;

use super::schema::{plugin_components, plugins};
use super::{AnyConnection, DbResult};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = plugin_components)]
pub struct PluginComponent {
    pub sha256: String,
    pub bytes: Vec<u8>,
    pub size_bytes: i64,
    pub created_at: i64,
}

impl PluginComponent {
    /// Stores a component unless one with the same hash is already there.
    pub fn store(conn: &mut AnyConnection, component: &PluginComponent) -> DbResult<()> {
        let exists = plugin_components::table
            .find(&component.sha256)
            .select(plugin_components::sha256)
            .get_result::<String>(conn)
            .optional()?
            .is_some();
        if !exists {
            diesel::insert_into(plugin_components::table)
                .values(component)
                .execute(conn)?;
        }
        Ok(())
    }

    pub fn bytes(conn: &mut AnyConnection, sha256: &str) -> DbResult<Option<Vec<u8>>> {
        Ok(plugin_components::table
            .find(sha256)
            .select(plugin_components::bytes)
            .get_result(conn)
            .optional()?)
    }

    /// Removes components no plugin refers to any more.
    pub fn remove_unreferenced(conn: &mut AnyConnection) -> DbResult<usize> {
        let referenced: Vec<String> = plugins::table
            .select(plugins::component_sha256)
            .load(conn)?;
        Ok(diesel::delete(
            plugin_components::table.filter(plugin_components::sha256.ne_all(referenced)),
        )
        .execute(conn)?)
    }
}
