//! `OnExport<R>`: the export job a path's `{id}` names, and its dataset, for a caller the rule
//! `R` lets in. Anyone else is told the export does not exist (`404` "export"), so job ids
//! cannot be probed.
//!
//! Whatever the rule, a caller who cannot see the dataset is refused first, audited as a
//! refusal to view it (site admins see every dataset). Then:
//! - [`View`]: following, cancelling and downloading a job are for its creator and site
//!   admins; the view that lets them is audited as granted.
//! - [`ShareFile`]: sharing its file in a link is for its creator with view, and for anyone
//!   with admin on the dataset (`403` with less); the decision is audited either way.

use std::marker::PhantomData;

use actix_web::HttpRequest;
use futures_util::future::LocalBoxFuture;

use super::dataset::sees;
use super::{Caller, Decide, View, decide_on_path};
use crate::access::{self, Level};
use crate::db::datasets::Dataset;
use crate::db::export_jobs::ExportJob;
use crate::http::error::ApiError;
use crate::http::error::not_found_as;

/// Who may use an export job for what.
pub trait ExportRule: 'static {
    /// The level the caller needs on the job's dataset; `None` when the job is not theirs to
    /// reach at all.
    fn needed(caller: &Caller, job: &ExportJob) -> Option<Level>;

    /// What a refusal of that level answers.
    fn refused(err: ApiError) -> ApiError;
}

/// Sharing the job's file in a link.
pub struct ShareFile;

fn is_creator(caller: &Caller, job: &ExportJob) -> bool {
    job.created_by.as_deref() == Some(caller.user.id.as_str())
}

impl ExportRule for View {
    fn needed(caller: &Caller, job: &ExportJob) -> Option<Level> {
        (caller.is_admin() || is_creator(caller, job)).then_some(Level::View)
    }

    fn refused(_: ApiError) -> ApiError {
        ApiError::not_found("export")
    }
}

impl ExportRule for ShareFile {
    /// Whoever ran the export shares its file with the view that let them run it; anyone else
    /// needs admin. A link made so needs the same level for as long as it lives.
    fn needed(caller: &Caller, job: &ExportJob) -> Option<Level> {
        Some(if is_creator(caller, job) {
            Level::View
        } else {
            Level::Admin
        })
    }

    fn refused(err: ApiError) -> ApiError {
        err
    }
}

/// The export job of the path's `{id}` and its dataset, for a caller the rule `R` lets in.
pub struct OnExport<R> {
    pub job: ExportJob,
    pub dataset: Dataset,
    pub caller: Caller,
    /// The level the rule asked of the caller on the dataset (a link made from the job keeps
    /// needing it).
    pub needed: Level,
    rule: PhantomData<fn() -> R>,
}

impl<R: ExportRule> Decide for OnExport<R> {
    fn decide(
        req: &HttpRequest,
        caller: Caller,
    ) -> LocalBoxFuture<'static, Result<Self, ApiError>> {
        let decided = decide_on_path(req, &caller, |conn, id, caller| {
            let job = ExportJob::find(conn, id).map_err(|e| not_found_as(e, "export"))?;
            let dataset =
                Dataset::find(conn, &job.dataset_id).map_err(|e| not_found_as(e, "export"))?;
            if !sees(conn, caller, &dataset)? {
                return Err(ApiError::not_found("export"));
            }
            let Some(needed) = R::needed(caller, &job) else {
                return Err(ApiError::not_found("export"));
            };
            access::require_dataset(conn, caller, &dataset, needed)
                .map_err(|e| R::refused(e.into()))?;
            Ok((job, dataset, needed))
        });
        Box::pin(async move {
            let (job, dataset, needed) = decided.await?;
            Ok(OnExport {
                job,
                dataset,
                caller,
                needed,
                rule: PhantomData,
            })
        })
    }
}

super::access_extractor!(OnExport<R: ExportRule>);
