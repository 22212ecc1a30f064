//! Downloads through a link, counted exactly.
//!
//! A download takes a slot before its first byte (one conditional update, so with a limit of
//! k at most k downloads hold slots at once), and so does each attenuation block of the token
//! it presents, at exactly the counts the token's checks saw ([`BlockDownloads::take`]). It
//! keeps its slots once it has sent the last byte, or once its bytes reached the configured
//! share of the item (`link_download_count_percent`, 90 % by default), and gives them back if the
//! connection drops before that. So reading most of a file and hanging up is a download, and
//! reading a tenth of it ten times is none. A download that holds a slot is one row in
//! `link_downloads`, which keeps how far it reached (`covered_to`) and what it sent. On a
//! counted link a range must run to the file's end, so a download broken off and resumed
//! (`bytes=N-`) counts once.
//!
//! How far is a share of the file for an export's file; a dataset exported while it is sent
//! has no length until its end, so its length is estimated from the bytes its rows have made
//! so far, erring short ([`Produced`]).
//!
//! A server that stops without recording a download's end (a crash, a killed process) would
//! leave its slot taken for good. So each process vouches for the downloads it serves
//! ([`keep_alive`], on every sweep), and any replica gives back the slots of active downloads
//! nobody vouched for in [`STALE_AFTER_MS`] ([`reclaim_stale`]).

use std::collections::HashSet;
use std::pin::Pin;
use std::sync::{Arc, LazyLock, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use futures_util::Stream;

use super::LinkError;
use super::{Cleared, Resolved, Visitor, log_access, log_refusal, record_link_event, token_blocks};
use crate::access::audit::{self, AuditEvent};
use crate::activity::EventKind;
use crate::db::ids::ExportJobId;
use crate::db::link_access_log::LinkAccess;
use crate::db::link_downloads::{self, LinkDownload};
use crate::db::share_links::ShareLink;
use crate::db::token_keys::BlockDownloads;
use crate::db::{AnyConnection, Database, DbError, new_id, write_transaction};
use crate::storage::Storage;

/// How long an active download may go unvouched for before its slot is given back: far
/// longer than the sweep that vouches for it, so only a stopped server's downloads qualify.
pub const STALE_AFTER_MS: i64 = 5 * 60 * 1000;

/// The downloads this process is serving, by id (each one's [`Ticket`] is alive).
static SERVING: LazyLock<Mutex<HashSet<String>>> = LazyLock::new(Default::default);

/// What an export made while it is sent has produced so far, for estimating its length.
#[derive(Debug, Default)]
pub struct Produced {
    so_far: Mutex<ProducedSoFar>,
}

#[derive(Debug, Default, Clone, Copy)]
struct ProducedSoFar {
    bytes: u64,
    rows: u64,
    total_rows: u64,
    finished: bool,
    /// The fewest bytes per row of any stretch of rows so far, as (bytes, rows).
    leanest: Option<(u64, u64)>,
}

impl Produced {
    pub fn new() -> Arc<Produced> {
        Arc::default()
    }

    /// The export has made `bytes` bytes from its first `rows` rows of `total_rows`, and has
    /// `finished` or not.
    pub fn record(&self, bytes: u64, rows: u64, total_rows: u64, finished: bool) {
        if let Ok(mut so_far) = self.so_far.lock() {
            let stretch = (
                bytes.saturating_sub(so_far.bytes),
                rows.saturating_sub(so_far.rows),
            );
            // a/b < c/d, compared without division.
            let leaner = |(a, b): (u64, u64), (c, d): (u64, u64)| {
                u128::from(a) * u128::from(d) < u128::from(c) * u128::from(b)
            };
            if stretch.1 > 0 && so_far.leanest.is_none_or(|lean| leaner(stretch, lean)) {
                so_far.leanest = Some(stretch);
            }
            so_far.bytes = bytes;
            so_far.rows = rows;
            so_far.total_rows = total_rows;
            so_far.finished = finished;
        }
    }

    /// Its length once finished; before, the bytes so far and the rows still to come at the
    /// leanest rate seen. That errs short, so that rows made wide at the start (a long text
    /// in the first rows) cannot make most of an export look like a small part of it.
    fn estimated_len(&self) -> Option<u64> {
        let so_far = *self.so_far.lock().ok()?;
        if so_far.finished {
            return Some(so_far.bytes);
        }
        let (lean_bytes, lean_rows) = so_far.leanest?;
        let rest = so_far.total_rows.saturating_sub(so_far.rows);
        let rest_bytes = u128::from(rest) * u128::from(lean_bytes) / u128::from(lean_rows);
        let estimate = u128::from(so_far.bytes) + rest_bytes;
        Some(u64::try_from(estimate).unwrap_or(u64::MAX))
    }

    fn finished_len(&self) -> Option<u64> {
        let so_far = *self.so_far.lock().ok()?;
        so_far.finished.then_some(so_far.bytes)
    }
}

/// What a download's response carries of the shared item.
#[derive(Debug, Clone)]
pub enum Extent {
    /// Bytes `start..end` of a file of `size` bytes (an export's file).
    File { start: u64, end: u64, size: u64 },
    /// An export made while it is sent: its length is known at its end.
    Stream(Arc<Produced>),
}

impl Extent {
    /// The item's size, when known.
    fn size(&self) -> Option<u64> {
        match self {
            Extent::File { size, .. } => Some(*size),
            Extent::Stream(produced) => produced.finished_len(),
        }
    }

    /// How far into the item a response that sent `sent` bytes reached.
    fn covered(&self, sent: u64) -> u64 {
        match self {
            Extent::File { start, .. } => start.saturating_add(sent),
            Extent::Stream(_) => sent,
        }
    }

    /// Whether a response that ran to its end sent the item's last byte.
    fn ends_with_last_byte(&self) -> bool {
        match self {
            Extent::File { end, size, .. } => end == size,
            Extent::Stream(_) => true,
        }
    }

    /// Whether a response that stopped after `sent` bytes reached `percent` % of the item.
    fn reached(&self, sent: u64, percent: u32) -> bool {
        let total = match self {
            Extent::File { size, .. } => Some(*size),
            Extent::Stream(produced) => produced.estimated_len(),
        };
        match total {
            Some(total) if sent > 0 => {
                let needed = (u128::from(total) * u128::from(percent)).div_ceil(100);
                u128::from(self.covered(sent)) >= needed.max(1)
            }
            _ => false,
        }
    }
}

/// A download that holds a slot (or needs none).
pub struct Ticket {
    pub download_id: String,
    pub link_id: String,
    pub export_job_id: Option<String>,
    pub extent: Extent,
    /// Block revocation ids of the presenting token's attenuations.
    pub token_blocks: Vec<String>,
}

/// Why a download's start wrote nothing.
enum NotStarted {
    Refused(LinkError),
    /// Another download took a token block's slot after this one's checks counted them.
    Raced,
}

impl From<DbError> for NotStarted {
    fn from(err: DbError) -> Self {
        NotStarted::Refused(err.into())
    }
}

/// Takes the link's slot and the token blocks' slots, at the counts `cleared` saw, and
/// records the download's start, all together or not at all; returns once that is committed.
/// The write may share its commit with other downloads' ([`Database::write`]). `None` when a
/// token block's count moved since the checks: nothing was taken, and the caller checks again.
pub fn start(
    db: &Database,
    conn: &mut AnyConnection,
    resolved: &Resolved,
    extent: Extent,
    cleared: &Cleared,
    visitor: &Visitor,
    now: i64,
) -> Result<Option<Ticket>, LinkError> {
    let link = &resolved.link;
    let token_blocks: Vec<String> = resolved
        .token
        .as_deref()
        .map(token_blocks)
        .unwrap_or_default();
    let expected = cleared.counts_matter.then(|| cleared.block_counts.clone());
    let download_id = new_id();
    let row = LinkDownload {
        id: download_id.clone(),
        link_id: link.id.clone(),
        state: link_downloads::ACTIVE.to_owned(),
        holds_slot: true,
        size_bytes: extent.size().map_or(-1, |s| s as i64),
        covered_to: 0,
        bytes_sent: 0,
        token_blocks: serde_json::to_string(&token_blocks).unwrap_or_else(|_| "[]".into()),
        started_at: now,
        updated_at: now,
        finished_at: None,
    };
    let visitor_in = visitor.clone();
    let blocks = token_blocks.clone();
    let started = db.write(Some(conn), move |conn| {
        let visitor = &visitor_in;
        // The slot first: refused, nothing has been written, and the refusal is logged and
        // committed all the same (the closure succeeds and carries the refusal out). Any
        // failure after it fails the closure, which undoes the slot.
        if !ShareLink::take_slot(conn, &row.link_id, now)? {
            let refusal = LinkError::UsedUp(
                "this link has no downloads left (the last ones are under way or done)".to_owned(),
            );
            if let Err(err) = log_refusal(
                conn,
                &row.link_id,
                &refusal.kind().as_str(),
                &refusal.to_string(),
                visitor,
                now,
            ) {
                tracing::error!(error = %err, link = %row.link_id, "cannot record a link refusal");
            }
            return Ok(Err(refusal));
        }
        if !BlockDownloads::take(conn, &row.link_id, &blocks, expected.as_deref())? {
            return Err(NotStarted::Raced);
        }
        LinkDownload::create(conn, &row)?;
        log_access(conn, &row.link_id, "download_started", None, visitor, now)?;
        Ok::<_, NotStarted>(Ok(()))
    });
    match started {
        Ok(Ok(())) => {}
        Ok(Err(refusal)) | Err(NotStarted::Refused(refusal)) => return Err(refusal),
        Err(NotStarted::Raced) => return Ok(None),
    }
    if let Ok(mut serving) = SERVING.lock() {
        serving.insert(download_id.clone());
    }
    Ok(Some(Ticket {
        download_id,
        link_id: link.id.clone(),
        export_job_id: link.export_job_id.clone(),
        extent,
        token_blocks,
    }))
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
                download.size_bytes,
                download.covered_to,
                download.bytes_sent,
                now,
            )? {
                continue;
            }
            ShareLink::give_back_slot(conn, &download.link_id)?;
            let blocks: Vec<String> =
                serde_json::from_str(&download.token_blocks).unwrap_or_default();
            BlockDownloads::give_back(conn, &blocks)?;
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
    let size = ticket.extent.size().map_or(-1, |s| s as i64);
    let covered = ticket.extent.covered(sent) as i64;
    if !LinkDownload::finish(
        conn,
        &ticket.download_id,
        state,
        size,
        covered,
        sent as i64,
        now,
    )? {
        return Ok(None);
    }
    if ending == Ending::Broken {
        ShareLink::give_back_slot(conn, link_id)?;
        BlockDownloads::give_back(conn, &ticket.token_blocks)?;
        log_access(conn, link_id, "download_broken", None, visitor, now)?;
        return Ok(None);
    }
    let link = ShareLink::complete_download(conn, link_id)?;
    BlockDownloads::complete(conn, &ticket.token_blocks)?;
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
            "covered_to": covered,
            "completed": link.downloads_completed,
            "on_behalf_of": link.owner_id,
        }))
        .address(visitor.logged_address.clone()),
    )?;
    record_link_event(
        conn,
        EventKind::LinkDownloaded,
        &link.id,
        Some(visitor),
        serde_json::json!({"bytes": sent, "completed": link.downloads_completed}),
        now,
    )?;
    let used_up = link
        .max_downloads
        .is_some_and(|max| link.downloads_completed >= max);
    if used_up && link.downloads_completed == link.max_downloads.unwrap_or_default() {
        record_link_event(
            conn,
            EventKind::LinkUsedUp,
            &link.id,
            None,
            serde_json::json!({"downloads": link.downloads_completed, "name": link.name}),
            now,
        )?;
    }
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
    record_link_event(
        conn,
        EventKind::LinkSelfDestructed,
        &link.id,
        None,
        serde_json::json!({"reason": "last download completed", "name": link.name}),
        now,
    )?;
    match &link.export_job_id {
        Some(job_id)
            if ShareLink::others_for_export(conn, ExportJobId::new(job_id), link.link_id())?
                == 0 =>
        {
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
        100,
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
    /// The percentage of the item a download that stops short must have reached to count.
    count_percent: u32,
}

impl<S> CountedBody<S> {
    pub fn new(
        inner: S,
        ticket: Ticket,
        db: Database,
        storage: Storage,
        visitor: Visitor,
        count_percent: u32,
    ) -> Self {
        Self {
            inner,
            ticket: Some(ticket),
            db,
            storage,
            visitor,
            sent: 0,
            count_percent,
        }
    }

    /// How a download that stopped after the bytes sent so far ended.
    fn stopped_short(&self) -> Ending {
        match &self.ticket {
            Some(ticket) if ticket.extent.reached(self.sent, self.count_percent) => {
                Ending::Completed
            }
            _ => Ending::Broken,
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
                // The server failed to produce the rest: not the holder's download.
                this.end(Ending::Broken);
                Poll::Ready(Some(Err(err)))
            }
            Poll::Ready(None) => {
                let last_byte = this
                    .ticket
                    .as_ref()
                    .is_some_and(|t| t.extent.ends_with_last_byte());
                let ending = if last_byte {
                    Ending::Completed
                } else {
                    this.stopped_short()
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
        let ending = self.stopped_short();
        self.end(ending);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Issue 14, item 12: what counts as a download that stopped short.
    #[test]
    fn a_download_counts_once_it_reached_the_share_or_the_last_byte() {
        let whole = Extent::File {
            start: 0,
            end: 1000,
            size: 1000,
        };
        assert!(!whole.reached(0, 90));
        assert!(!whole.reached(510, 90));
        assert!(!whole.reached(899, 90));
        assert!(whole.reached(900, 90));
        assert!(!whole.reached(999, 100));
        assert!(whole.reached(1000, 100));
        // A resumed range counts from the start of the file; one that sent nothing does not.
        let tail = Extent::File {
            start: 950,
            end: 1000,
            size: 1000,
        };
        assert!(tail.reached(1, 90));
        assert!(!tail.reached(0, 90));
        assert_eq!(tail.covered(50), 1000);
        assert!(tail.ends_with_last_byte());
        let middle = Extent::File {
            start: 0,
            end: 10,
            size: 1000,
        };
        assert!(!middle.ends_with_last_byte());

        // A streamed export: no estimate before its first rows, then bytes per row so far.
        let produced = Produced::new();
        let stream = Extent::Stream(produced.clone());
        assert!(!stream.reached(5000, 90));
        produced.record(100, 10, 100, false);
        assert_eq!(produced.estimated_len(), Some(1000));
        assert!(!stream.reached(800, 90));
        assert!(stream.reached(900, 90));
        assert_eq!(stream.size(), None);
        produced.record(2000, 100, 100, true);
        assert_eq!(stream.size(), Some(2000));
        assert!(!stream.reached(1000, 90));
        assert!(stream.reached(1800, 90));

        // Wide rows first, then many narrow ones: the rows still to come are priced at the
        // narrowest rate, so most of the bytes count as most of the export.
        let produced = Produced::new();
        let stream = Extent::Stream(produced.clone());
        produced.record(1_000_000, 10, 10_000, false);
        produced.record(1_000_100, 110, 10_000, false);
        assert_eq!(produced.estimated_len(), Some(1_009_990));
        assert!(stream.reached(910_000, 90));
        assert!(!stream.reached(500_000, 90));
    }
}
