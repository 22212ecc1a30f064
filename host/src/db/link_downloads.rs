//! Each download through a link: it holds a slot while it runs, keeps it once it counts and
//! gives it back if it breaks off before. `covered_to` is how far into the shared item the
//! download reached (its range's start plus the bytes it sent), `bytes_sent` what this
//! response sent; both are written when the download ends.

use diesel::prelude::*;

use super::prepared::{Kept, on_backend};
use super::schema::link_downloads;
use super::{AnyConnection, DbResult};

pub const ACTIVE: &str = "active";
pub const COMPLETED: &str = "completed";
pub const BROKEN: &str = "broken";

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = link_downloads)]
pub struct LinkDownload {
    pub id: String,
    pub link_id: String,
    pub state: String,
    pub holds_slot: bool,
    pub size_bytes: i64,
    pub covered_to: i64,
    pub bytes_sent: i64,
    /// JSON array of the presenting token's attenuation-block revocation ids.
    pub token_blocks: String,
    pub started_at: i64,
    pub updated_at: i64,
    pub finished_at: Option<i64>,
}

impl LinkDownload {
    pub fn create(conn: &mut AnyConnection, download: &LinkDownload) -> DbResult<()> {
        enum CreateDownload {}
        // Every column named, so the SQL is the same whatever the values (see [`Kept`]).
        let query =
            Kept::<CreateDownload, _>::new(diesel::insert_into(link_downloads::table).values((
                link_downloads::id.eq(&download.id),
                link_downloads::link_id.eq(&download.link_id),
                link_downloads::state.eq(&download.state),
                link_downloads::holds_slot.eq(download.holds_slot),
                link_downloads::size_bytes.eq(download.size_bytes),
                link_downloads::covered_to.eq(download.covered_to),
                link_downloads::bytes_sent.eq(download.bytes_sent),
                link_downloads::token_blocks.eq(&download.token_blocks),
                link_downloads::started_at.eq(download.started_at),
                link_downloads::updated_at.eq(download.updated_at),
                link_downloads::finished_at.eq(download.finished_at),
            )));
        on_backend!(conn, c => query.execute(c))?;
        Ok(())
    }

    pub fn find(conn: &mut AnyConnection, id: &str) -> DbResult<LinkDownload> {
        Ok(link_downloads::table
            .find(id)
            .select(LinkDownload::as_select())
            .get_result(conn)?)
    }

    /// Ends the download in `state` (completed or broken); only an active one can end, so
    /// a download is counted or given back once. Records the item's size (-1 when unknown),
    /// how far into it the download reached and how many bytes it sent.
    pub fn finish(
        conn: &mut AnyConnection,
        id: &str,
        state: &str,
        size_bytes: i64,
        covered_to: i64,
        bytes_sent: i64,
        now: i64,
    ) -> DbResult<bool> {
        enum FinishDownload {}
        let query = Kept::<FinishDownload, _>::new(
            diesel::update(
                link_downloads::table
                    .find(id)
                    .filter(link_downloads::state.eq(ACTIVE)),
            )
            .set((
                link_downloads::state.eq(state),
                link_downloads::holds_slot.eq(state == COMPLETED),
                link_downloads::size_bytes.eq(size_bytes),
                link_downloads::covered_to.eq(covered_to),
                link_downloads::bytes_sent.eq(bytes_sent),
                link_downloads::updated_at.eq(now),
                link_downloads::finished_at.eq(Some(now)),
            ))
            .returning(link_downloads::id),
        );
        let ended = on_backend!(conn, c => query.get_result::<String>(c)).optional()?;
        Ok(ended.is_some())
    }

    /// Vouches for downloads this process is still serving, so that no replica takes them
    /// for the downloads of a server that stopped.
    pub fn keep_alive(conn: &mut AnyConnection, ids: &[String], now: i64) -> DbResult<usize> {
        Ok(diesel::update(
            link_downloads::table
                .filter(link_downloads::id.eq_any(ids))
                .filter(link_downloads::state.eq(ACTIVE)),
        )
        .set(link_downloads::updated_at.eq(now))
        .execute(conn)?)
    }

    /// Active downloads nobody vouched for since `cutoff`: the server serving them stopped
    /// without recording their end.
    pub fn stale(conn: &mut AnyConnection, cutoff: i64) -> DbResult<Vec<LinkDownload>> {
        Ok(link_downloads::table
            .filter(link_downloads::state.eq(ACTIVE))
            .filter(link_downloads::updated_at.lt(cutoff))
            .select(LinkDownload::as_select())
            .load(conn)?)
    }
}
