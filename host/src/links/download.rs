//! Downloads through a link, counted exactly.
//!
//! A download takes a slot before its first byte (one conditional update, so with a limit of
//! k at most k downloads hold slots at once), keeps it when its last byte has been handed to
//! the connection, and gives it back if the connection drops first. A download that holds a
//! slot is one row in `link_downloads`. On a counted link a range must run to the file's end
//! and only a response that sends the last byte counts, so a download broken off and resumed
//! (`bytes=N-`) counts once.
//!
//! A server that stops without recording a download's end (a crash, a killed process) would
//! leave its slot taken for good. So each process vouches for the downloads it serves
//! ([`keep_alive`], on every sweep), and any replica gives back the slots of active downloads
//! nobody vouched for in [`STALE_AFTER_MS`] ([`reclaim_stale`]).

use std::collections::HashSet;
use std::pin::Pin;
use std::sync::{LazyLock, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::Stream;

use super::{Resolved, Visitor, log_access};
use crate::access::audit::{self, AuditEvent};
use crate::db::link_access_log::LinkAccess;
use crate::db::link_downloads::{self, LinkDownload};
use crate::db::share_links::ShareLink;
use crate::db::token_keys::BlockDownloads;
use crate::db::{AnyConnection, Database, DbError, new_id, write_transaction};
use crate::error::{ApiError, ErrorCode};
use crate::storage::Storage;

/// How long an active download may go unvouched for before its slot is given back: far
/// longer than the sweep that vouches for it, so only a stopped server's downloads qualify.
pub const STALE_AFTER_MS: i64 = 5 * 60 * 1000;

/// The downloads this process is serving, by id (each one's [`Ticket`] is alive).
static SERVING: LazyLock<Mutex<HashSet<String>>> = LazyLock::new(Default::default);

/// A download that holds a slot (or needs none).
pub struct Ticket {
    pub download_id: String,
    pub link_id: String,
    pub export_job_id: Option<String>,
    pub size: Option<u64>,
    /// Block revocation ids of the presenting token's attenuations.
    pub token_blocks: Vec<String>,
}

/// Takes a slot and records the download's start, together or not at all; returns once that
/// is committed. The write may share its commit with other downloads' ([`Database::write`]).
pub fn start(
    db: &Database,
    conn: &mut AnyConnection,
    resolved: &Resolved,
    size: Option<u64>,
    visitor: &Visitor,
    now: i64,
) -> Result<Ticket, ApiError> {
    let link = &resolved.link;
    let token_blocks: Vec<String> = resolved
        .token
        .as_ref()
        .map(|t| t.revocation_ids.iter().skip(1).cloned().collect())
        .unwrap_or_default();
    let download_id = new_id();
    let row = LinkDownload {
        id: download_id.clone(),
        link_id: link.id.clone(),
        state: link_downloads::ACTIVE.to_owned(),
        holds_slot: true,
        size_bytes: size.map_or(-1, |s| s as i64),
        covered_to: 0,
        bytes_sent: 0,
        token_blocks: serde_json::to_string(&token_blocks).unwrap_or_else(|_| "[]".into()),
        started_at: now,
        updated_at: now,
        finished_at: None,
    };
    let visitor_in = visitor.clone();
    db.write(Some(conn), move |conn| {
        let visitor = &visitor_in;
        // The slot first: refused, nothing has been written, and the refusal is logged and
        // committed all the same (the closure succeeds and carries the refusal out). Any
        // failure after it fails the closure, which undoes the slot.
        if !ShareLink::take_slot(conn, &row.link_id, now)? {
            let refusal = ApiError::new(
                ErrorCode::LinkUsedUp,
                "this link has no downloads left (the last ones are under way or done)",
            );
            if let Err(err) = log_access(
                conn,
                &row.link_id,
                "refused",
                Some(&refusal.message),
                visitor,
                now,
            ) {
                tracing::error!(error = %err, link = %row.link_id, "cannot record a link refusal");
            }
            return Ok(Err(refusal));
        }
        LinkDownload::create(conn, &row)?;
        log_access(conn, &row.link_id, "download_started", None, visitor, now)?;
        Ok::<_, ApiError>(Ok(()))
    })??;
    if let Ok(mut serving) = SERVING.lock() {
        serving.insert(download_id.clone());
    }
    Ok(Ticket {
        download_id,
        link_id: link.id.clone(),
        export_job_id: link.export_job_id.clone(),
        size,
        token_blocks,
    })
}

impl Drop for Ticket {
    fn drop(&mut self) {
        if let Ok(mut serving) = SERVING.lock() {
            serving.remove(&self.download_id);
        }
    }
}

/// Vouches in the database for every download this process is serving.
pub fn keep_alive(conn: &mut AnyConnection, now: i64) -> Result<(), DbError> {
    let ids: Vec<String> = match SERVING.lock() {
        Ok(serving) => serving.iter().cloned().collect(),
        Err(_) => return Ok(()),
    };
    for chunk in ids.chunks(500) {
        LinkDownload::keep_alive(conn, chunk, now)?;
    }
    Ok(())
}

/// Ends the downloads whose server stopped (nobody vouched for them in [`STALE_AFTER_MS`]) as
/// broken off, giving their slots back; returns how many.
pub fn reclaim_stale(conn: &mut AnyConnection, now: i64) -> Result<usize, DbError> {
    write_transaction(conn, |conn| {
        let mut reclaimed = 0;
        for download in LinkDownload::stale(conn, now - STALE_AFTER_MS)? {
            if !LinkDownload::finish(
                conn,
                &download.id,
                link_downloads::BROKEN,
                download.bytes_sent,
                now,
            )? {
                continue;
            }
            ShareLink::give_back_slot(conn, &download.link_id)?;
            LinkAccess::record(
                conn,
                &LinkAccess {
                    id: new_id(),
                    link_id: download.link_id.clone(),
                    at: now,
                    event: "download_broken".to_owned(),
                    reason: Some(
                        "the server serving it stopped before it ended; its slot is free again"
                            .to_owned(),
                    ),
                    address: None,
                    user_agent: None,
                },
            )?;
            reclaimed += 1;
        }
        Ok::<_, DbError>(reclaimed)
    })
}

/// How a download ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ending {
    Completed,
    Broken,
}

/// Records the end: a completed download keeps its slot and is counted (and a
/// self-destructing link that is now used up is destroyed); a broken one gives its slot back.
///
/// Queued without waiting ([`Database::write_in_background`]): nothing waits for it, and on
/// SQLite it goes straight to the writer, without a trip through the blocking pool. The
/// ticket lives until the write has run, so this process vouches for the download until then.
fn finish(
    db: &Database,
    storage: &Storage,
    ticket: Ticket,
    ending: Ending,
    sent: u64,
    visitor: Visitor,
) {
    let now = crate::time::now_millis();
    let link_id = ticket.link_id.clone();
    let storage = storage.clone();
    // A self-destructed link's file is removed off the writer's thread.
    let runtime = tokio::runtime::Handle::try_current().ok();
    db.write_in_background(
        move |conn| record_end(conn, &ticket, ending, sent, &visitor, now),
        move |recorded: Result<Option<String>, DbError>| match recorded {
            Ok(None) => {}
            Ok(Some(relative)) => {
                let remove = move || {
                    let path = storage.absolute(&relative);
                    if let Err(err) = std::fs::remove_file(&path) {
                        tracing::warn!(error = %err, path = %path.display(), "cannot remove a self-destructed link's file");
                    }
                };
                match runtime {
                    Some(runtime) => drop(runtime.spawn_blocking(remove)),
                    None => remove(),
                }
            }
            Err(err) => {
                tracing::error!(error = %err, link = %link_id, "cannot record the end of a download");
            }
        },
    );
}

/// The writes of a download's end; returns the file to remove once they are committed.
fn record_end(
    conn: &mut AnyConnection,
    ticket: &Ticket,
    ending: Ending,
    sent: u64,
    visitor: &Visitor,
    now: i64,
) -> Result<Option<String>, DbError> {
    let link_id = &ticket.link_id;
    let state = match ending {
        Ending::Completed => link_downloads::COMPLETED,
        Ending::Broken => link_downloads::BROKEN,
    };
    if !LinkDownload::finish(conn, &ticket.download_id, state, sent as i64, now)? {
        return Ok(None);
    }
    if ending == Ending::Broken {
        ShareLink::give_back_slot(conn, link_id)?;
        log_access(conn, link_id, "download_broken", None, visitor, now)?;
        return Ok(None);
    }
    let link = ShareLink::complete_download(conn, link_id)?;
    BlockDownloads::add_completed(conn, link_id, &ticket.token_blocks)?;
    log_access(conn, link_id, "download_completed", None, visitor, now)?;
    // This runs in a transaction (or savepoint) of its own that any error here undoes.
    audit::record_in_callers_transaction(
        conn,
        now,
        AuditEvent::new(
            format!("link:{}", link.id),
            "link.download",
            format!("link:{}", link.id),
        )
        .outcome("granted")
        .detail(serde_json::json!({
            "bytes": sent,
            "completed": link.downloads_completed,
            "on_behalf_of": link.owner_id,
        }))
        .address(visitor.logged_address.clone()),
    )?;
    let used_up = link
        .max_downloads
        .is_some_and(|max| link.downloads_completed >= max);
    if !(link.self_destruct && used_up) {
        return Ok(None);
    }
    ShareLink::destroy(conn, &link.id, now)?;
    audit::record_in_callers_transaction(
        conn,
        now,
        AuditEvent::new("system", "link.destroy", format!("link:{}", link.id))
            .detail(serde_json::json!({"reason": "last download completed"})),
    )?;
    match &link.export_job_id {
        Some(job_id) if ShareLink::others_for_export(conn, job_id, &link.id)? == 0 => {
            crate::db::export_jobs::ExportJob::expire_for_link(conn, job_id, now)
        }
        _ => Ok(None),
    }
}

/// Gives back the slot of a download that failed before its first byte.
pub fn abandon(ticket: Ticket, db: Database, storage: Storage, visitor: Visitor) {
    drop(CountedBody::new(
        futures_util::stream::empty::<Result<Bytes, std::io::Error>>(),
        ticket,
        db,
        storage,
        visitor,
        false,
    ));
}

/// The response body of a counted download: it passes the bytes on and records how the
/// download ended when it finishes or is dropped.
pub struct CountedBody<S> {
    inner: S,
    ticket: Option<Ticket>,
    db: Database,
    storage: Storage,
    visitor: Visitor,
    sent: u64,
    /// Whether the last byte of the file is part of this response.
    reaches_end: bool,
}

impl<S> CountedBody<S> {
    pub fn new(
        inner: S,
        ticket: Ticket,
        db: Database,
        storage: Storage,
        visitor: Visitor,
        reaches_end: bool,
    ) -> Self {
        Self {
            inner,
            ticket: Some(ticket),
            db,
            storage,
            visitor,
            sent: 0,
            reaches_end,
        }
    }

    fn end(&mut self, ending: Ending) {
        let Some(ticket) = self.ticket.take() else {
            return;
        };
        finish(
            &self.db,
            &self.storage,
            ticket,
            ending,
            self.sent,
            self.visitor.clone(),
        );
    }
}

impl<S> Stream for CountedBody<S>
where
    S: Stream<Item = Result<Bytes, std::io::Error>> + Unpin,
{
    type Item = Result<Bytes, std::io::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_next(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                this.sent += chunk.len() as u64;
                Poll::Ready(Some(Ok(chunk)))
            }
            Poll::Ready(Some(Err(err))) => {
                this.end(Ending::Broken);
                Poll::Ready(Some(Err(err)))
            }
            Poll::Ready(None) => {
                let ending = if this.reaches_end {
                    Ending::Completed
                } else {
                    Ending::Broken
                };
                this.end(ending);
                Poll::Ready(None)
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<S> Drop for CountedBody<S> {
    fn drop(&mut self) {
        // Dropped before the end: the connection went away mid-download.
        self.end(Ending::Broken);
    }
}
