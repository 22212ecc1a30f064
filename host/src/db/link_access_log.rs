//! Each link's access log: views, downloads started, completed and broken off, and refusals
//! with their reason. Addresses are kept as the configuration says (cut by default).

use diesel::prelude::*;

use super::prepared::{Kept, on_backend};
use super::schema::link_access_log;
use super::{AnyConnection, DbResult};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = link_access_log)]
pub struct LinkAccess {
    pub id: String,
    pub link_id: String,
    pub at: i64,
    /// `view`, `download_started`, `download_completed`, `download_broken` or `refused`.
    pub event: String,
    pub reason: Option<String>,
    pub address: Option<String>,
    pub user_agent: Option<String>,
}

impl LinkAccess {
    pub fn record(conn: &mut AnyConnection, entry: &LinkAccess) -> DbResult<()> {
        enum RecordAccess {}
        // Every column named, so the SQL is the same whatever the values (see [`Kept`]).
        let query =
            Kept::<RecordAccess, _>::new(diesel::insert_into(link_access_log::table).values((
                link_access_log::id.eq(&entry.id),
                link_access_log::link_id.eq(&entry.link_id),
                link_access_log::at.eq(entry.at),
                link_access_log::event.eq(&entry.event),
                link_access_log::reason.eq(&entry.reason),
                link_access_log::address.eq(&entry.address),
                link_access_log::user_agent.eq(&entry.user_agent),
            )));
        on_backend!(conn, c => query.execute(c))?;
        Ok(())
    }

    pub fn for_link(
        conn: &mut AnyConnection,
        link_id: &str,
        limit: i64,
    ) -> DbResult<Vec<LinkAccess>> {
        Ok(link_access_log::table
            .filter(link_access_log::link_id.eq(link_id))
            .order((link_access_log::at.desc(), link_access_log::id.desc()))
            .limit(limit)
            .select(LinkAccess::as_select())
            .load(conn)?)
    }
}
