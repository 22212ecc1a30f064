//! `OnDataset<L>`: the dataset a path's `{id}` names, with at least level `L` on it.
//!
//! The decision is the one the `/api/v1` guard and the handlers made between them before
//! issue 15, with the same audit entries: a caller who cannot see the dataset at all is told it
//! does not exist (`404`), audited as a refusal to view it; then the level the route needs is
//! decided and audited, granted or refused (`403` with the level held). Site admins hold admin
//! on every dataset.

use std::marker::PhantomData;

use actix_web::HttpRequest;
use futures_util::future::LocalBoxFuture;

use super::{Caller, Decide, decide_on_path};
use crate::access::{self, Level};
use crate::db::AnyConnection;
use crate::db::datasets::Dataset;
use crate::http::error::ApiError;
use crate::http::error::not_found_as;

/// A level of access a route needs, as a type.
pub trait Needs: 'static {
    const LEVEL: Level;
}

/// See, preview, export.
pub struct View;
/// Also change metadata and upload versions.
pub struct Edit;
/// Also share, and make links.
pub struct Admin;

impl Needs for View {
    const LEVEL: Level = Level::View;
}
impl Needs for Edit {
    const LEVEL: Level = Level::Edit;
}
impl Needs for Admin {
    const LEVEL: Level = Level::Admin;
}

/// The dataset of the path's `{id}`, and a caller holding at least `L` on it.
pub struct OnDataset<L> {
    pub dataset: Dataset,
    pub caller: Caller,
    /// The highest level the caller holds (at least `L`).
    pub held: Level,
    level: PhantomData<fn() -> L>,
}

impl<L: Needs> Decide for OnDataset<L> {
    fn decide(
        req: &HttpRequest,
        caller: Caller,
    ) -> LocalBoxFuture<'static, Result<Self, ApiError>> {
        let decided = decide_on_path(req, &caller, |conn, id, caller| {
            let dataset = Dataset::find(conn, id).map_err(|e| not_found_as(e, "dataset"))?;
            let held = require(conn, caller, &dataset, L::LEVEL)?;
            Ok((dataset, held))
        });
        Box::pin(async move {
            let (dataset, held) = decided.await?;
            Ok(OnDataset {
                dataset,
                caller,
                held,
                level: PhantomData,
            })
        })
    }
}

/// `needed` on the dataset, after making sure the caller may see it at all: someone who may not
/// is told it does not exist whatever the route, and their refusal is audited as one to view.
fn require(
    conn: &mut AnyConnection,
    caller: &Caller,
    dataset: &Dataset,
    needed: Level,
) -> Result<Level, ApiError> {
    // `require_dataset` asks about view itself, with the same answer and audit entry.
    if needed > Level::View && !sees(conn, caller, dataset)? {
        return Err(ApiError::not_found("dataset"));
    }
    Ok(access::require_dataset(conn, caller, dataset, needed)?)
}

/// Whether the caller may see the dataset at all; a refusal is audited (the grant is left to
/// the precise decision that follows).
pub(super) fn sees(
    conn: &mut AnyConnection,
    caller: &Caller,
    dataset: &Dataset,
) -> Result<bool, ApiError> {
    if caller.is_admin() {
        return Ok(true);
    }
    let view = access::decide_dataset(conn, caller, dataset, Level::View)?;
    if !view.allowed {
        tracing::info!(
            decision = "deny",
            user = %caller.user.id,
            dataset = %dataset.id,
            needed = "view",
            held = "none",
            rule = %view.rule,
            "dataset access"
        );
        access::record_decision(conn, caller, dataset, Level::View, &view)?;
    }
    Ok(view.allowed)
}

super::access_extractor!(OnDataset<L: Needs>);
