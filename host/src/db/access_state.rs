//! The access version: one counter bumped in the same transaction as any change that can
//! alter an access decision. Each replica compares it with the version its enforcer was built
//! from, so a change made anywhere is enforced everywhere on the next request.

use diesel::prelude::*;

use super::schema::access_state;
use super::{AnyConnection, DbResult};

pub struct AccessState;

impl AccessState {
    pub fn version(conn: &mut AnyConnection) -> DbResult<i64> {
        Ok(access_state::table
            .find(1)
            .select(access_state::version)
            .get_result(conn)?)
    }

    /// Marks access as changed; call inside the transaction that makes the change.
    pub fn bump(conn: &mut AnyConnection) -> DbResult<()> {
        diesel::update(access_state::table.find(1))
            .set(access_state::version.eq(access_state::version + 1))
            .execute(conn)?;
        Ok(())
    }
}
