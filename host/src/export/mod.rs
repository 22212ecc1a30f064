//! The export pipeline: rows selected by polars, streamed in bounded batches through an
//! exporter plugin, out as bytes.
//!
//! Two threads work together so that memory stays bounded whatever the dataset's size: polars'
//! streaming engine reads the Parquet version (in pieces, see [`pieces`]), and its frames are
//! cut into batches of [`BATCH_ROWS`] rows and converted into the plugin contract's columnar
//! form on the reader's side; a small bounded channel hands them to the plugin thread, which
//! calls the plugin and passes its output on.
//!
//! A format whose manifest promises that each batch's output depends only on that batch
//! (`parallel_batches`) is run as two instances at once, each on a thread of its own,
//! taking the batches in turn; their output is passed on in the batches' order, so the bytes
//! are the same as one instance's ([`feed_instances`]).
//!
//! A small table held in memory (an activity report's numbers) goes through the same pipeline
//! from a temporary Parquet file ([`frame`]).

pub mod batch;
pub mod frame;
pub mod jobs;
mod pieces;
pub mod queue;
pub mod spec;
pub mod stats;

use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};

use polars::prelude::*;

use crate::error_code::ErrorCode;
use crate::plugins::exporter::{Batch, DatasetInfo, ExportRequest, ExportSession, FormatInfo};
use crate::plugins::{LoadedPlugin, PluginError, PluginRuntime};

/// Rows per batch handed to a plugin.
pub const BATCH_ROWS: usize = 65_536;
/// Frames in flight between polars and the plugin.
const FRAMES_IN_FLIGHT: usize = 2;
/// Instances of one plugin an export runs at once when its batches may run in parallel.
const PARALLEL_INSTANCES: usize = 2;
/// Rows per batch when batches run in parallel: each instance holds a batch and its output,
/// so two instances with half batches hold what one holds with whole ones, and an export's
/// memory stays what it is with one instance. Output does not depend on where batches are cut
/// for a format that promises `parallel_batches`.
const PARALLEL_BATCH_ROWS: usize = BATCH_ROWS / PARALLEL_INSTANCES;

use pieces::{Batcher, Pieces};
pub use spec::{ExportSpec, SortKey};

/// The dataset version being exported.
#[derive(Debug, Clone)]
pub struct ExportSource {
    pub parquet: PathBuf,
    pub rows: i64,
    pub dataset: DatasetInfo,
    /// RFC 3339, fixed per export so that the same inputs give the same bytes.
    pub exported_at: String,
}

impl ExportSource {
    pub fn new(
        storage: &crate::storage::Storage,
        dataset: crate::db::datasets::Dataset,
        version: crate::db::dataset_versions::DatasetVersion,
        exported_at: String,
    ) -> Self {
        Self {
            parquet: storage.absolute(&version.file_path),
            rows: version.row_count,
            exported_at,
            dataset: DatasetInfo {
                tags: dataset.tag_list(),
                id: dataset.id,
                name: dataset.name,
                description: dataset.description,
                version: version.version as u32,
                licence: dataset.licence,
                version_sha256: version.sha256,
            },
        }
    }

    /// The download's file name: `<dataset name>-v<version>.<extension>`.
    pub fn file_name(&self, extension: &str) -> String {
        format!(
            "{}-v{}.{extension}",
            file_stem(&self.dataset.name),
            self.dataset.version
        )
    }
}

/// A name as the start of a file name: letters, digits, `-` and `_` kept, anything else a
/// `-`, at most 80 characters; `dataset` when nothing is left.
pub fn file_stem(name: &str) -> String {
    let stem: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect::<String>()
        .trim_matches('-')
        .chars()
        .take(80)
        .collect();
    if stem.is_empty() {
        "dataset".to_owned()
    } else {
        stem
    }
}

/// Runs a whole export into a file: written beside the target and renamed into place at the
/// end, so a failed export leaves no partial file.
pub fn export_to_file(
    runtime: &PluginRuntime,
    plugin: &Arc<LoadedPlugin>,
    source: &ExportSource,
    spec: &ExportSpec,
    target: &std::path::Path,
    mut progress: impl FnMut(&ExportSummary, u64) -> bool,
) -> Result<FileExport, ExportError> {
    let folder = target
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let file = tempfile::Builder::new()
        .prefix(".tessera-export-")
        .tempfile_in(folder)
        .map_err(|e| ExportError::Data(format!("cannot write in {}: {e}", folder.display())))?;
    let started = begin(runtime, plugin, source, spec)?;
    let total = started.total_rows;
    let media_type = started.info.media_type.clone();
    // Hashing, writing and flushing to disk happen on a thread of their own, beside the
    // plugin's work rather than between its calls.
    let (chunks, received) = sync_channel::<Vec<u8>>(WRITES_IN_FLIGHT);
    let writer = std::thread::Builder::new()
        .name("tessera-export-write".into())
        .spawn(move || write_file(file, received))
        .map_err(|e| ExportError::Data(e.to_string()))?;
    let summary = started.run_with_progress(
        // A closed channel means the writer has failed; its error is reported below.
        |chunk| chunks.send(chunk).is_ok(),
        |summary| progress(summary, total),
    );
    drop(chunks);
    let written = writer
        .join()
        .map_err(|_| ExportError::Data("the writer thread panicked".into()))?;
    let (file, sha256) = written
        .map_err(|e| ExportError::Data(format!("cannot write {}: {e}", target.display())))?;
    let summary = summary?;
    file.persist(target).map_err(|e| {
        ExportError::Data(format!("cannot write {}: {}", target.display(), e.error))
    })?;
    Ok(FileExport {
        summary,
        total_rows: total,
        sha256,
        media_type,
    })
}

/// The pieces `finish`'s output is passed on in, read from the plugin's memory.
const FINISH_PIECE_BYTES: usize = 4 << 20;
/// Output chunks in flight between the plugin and the file: the writer keeps up easily, and
/// each chunk may be megabytes.
const WRITES_IN_FLIGHT: usize = 1;
/// How much output is written between flushes to disk. Flushing as the export goes keeps the
/// disk busy while the plugin works, instead of all at the end.
const SYNC_EVERY_BYTES: u64 = 64 << 20;

/// Writes the chunks into `file` and hashes them; returns the file, flushed to disk, and its
/// hex SHA-256.
fn write_file(
    mut file: tempfile::NamedTempFile,
    chunks: Receiver<Vec<u8>>,
) -> std::io::Result<(tempfile::NamedTempFile, String)> {
    use sha2::Digest;
    use std::io::Write;
    let mut hasher = sha2::Sha256::new();
    let mut unsynced = 0u64;
    for chunk in chunks {
        hasher.update(&chunk);
        file.write_all(&chunk)?;
        unsynced += chunk.len() as u64;
        if unsynced >= SYNC_EVERY_BYTES {
            file.as_file().sync_data()?;
            unsynced = 0;
        }
    }
    file.as_file().sync_all()?;
    Ok((file, hex::encode(hasher.finalize())))
}

/// A finished export to a file.
#[derive(Debug, Clone)]
pub struct FileExport {
    pub summary: ExportSummary,
    pub total_rows: u64,
    /// Hex SHA-256 of the file.
    pub sha256: String,
    pub media_type: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Plugin(#[from] PluginError),
    #[error("reading the dataset failed: {0}")]
    Data(String),
    #[error("the client went away")]
    Cancelled,
}

impl ExportError {
    /// The stable name of this failure, as a failed export job records it and as the API's
    /// error catalogue names it.
    pub fn kind(&self) -> ErrorCode {
        match self {
            ExportError::Plugin(e) => e.kind(),
            ExportError::Invalid(_) => ErrorCode::ValidationFailed,
            ExportError::Data(_) | ExportError::Cancelled => ErrorCode::Internal,
        }
    }
}

/// An export that has begun: the plugin accepted the request and produced its first bytes.
pub struct StartedExport {
    pub info: FormatInfo,
    pub first: Vec<u8>,
    /// Rows the export will produce.
    pub total_rows: u64,
    session: ExportSession,
    /// Further instances, begun like `session`, when the batches may go to several at once.
    helpers: Vec<ExportSession>,
    rows: Rows,
}

/// Where an export's rows come from.
enum Rows {
    /// One scan: a sorted export needs every row before its first.
    Whole(LazyFrame),
    /// One scan per piece of the version, in order.
    Pieces(Pieces),
}

/// What an export produced, for logs and manifests.
#[derive(Debug, Clone, Copy)]
pub struct ExportSummary {
    pub rows: u64,
    pub bytes: u64,
}

/// Validates the spec against the data, instantiates the plugin and calls `begin`.
pub fn begin(
    runtime: &PluginRuntime,
    plugin: &Arc<LoadedPlugin>,
    source: &ExportSource,
    spec: &ExportSpec,
) -> Result<StartedExport, ExportError> {
    let mut frame = pieces::scan(&source.parquet)?;
    let schema = frame
        .collect_schema()
        .map_err(|e| ExportError::Data(e.to_string()))?;
    let rows = u64::try_from(source.rows).unwrap_or(0);
    let (mut frame, filtered) = spec.apply(frame, &schema, rows)?;
    let out_schema = frame
        .collect_schema()
        .map_err(|e| ExportError::Data(e.to_string()))?;
    let rows = if spec.sorts() {
        Rows::Whole(frame.clone())
    } else {
        Rows::Pieces(Pieces::plan(&source.parquet, spec)?)
    };
    let total = if filtered {
        match &rows {
            Rows::Whole(frame) => count_rows(frame)?,
            Rows::Pieces(pieces) => pieces.count()?,
        }
    } else {
        let available = (source.rows - spec.offset.unwrap_or(0)).max(0) as u64;
        spec.limit
            .map_or(available, |limit| available.min(limit as u64))
    };
    let options = match &spec.options {
        Some(options) if !options.is_object() => {
            return Err(ExportError::Invalid("options must be a JSON object".into()));
        }
        Some(options) => options.clone(),
        None => serde_json::Value::Object(Default::default()),
    };
    plugin.validate_options(&options)?;
    let stats = if plugin.info.wants_stats {
        Some(stats::column_stats(&frame, &out_schema)?)
    } else {
        None
    };

    let mut session = ExportSession::start(runtime, plugin)?;
    let mut info = plugin.info.clone();
    let output = plugin.output(Some(&options));
    (info.media_type, info.extension) = (output.media_type, output.extension);
    let request = ExportRequest {
        schema: batch::schema_of(&out_schema),
        dataset: source.dataset.clone(),
        options: options.to_string(),
        total_rows: total,
        exported_at: source.exported_at.clone(),
        stats,
    };
    let first = session.begin(&request)?;
    let batches = total.div_ceil(PARALLEL_BATCH_ROWS as u64) as usize;
    let helpers = if plugin
        .manifest
        .exporter
        .parallel_batches
        .allowed_with(&options)
    {
        helper_sessions(
            runtime,
            plugin,
            &request,
            &first,
            PARALLEL_INSTANCES.min(batches),
        )?
    } else {
        Vec::new()
    };
    Ok(StartedExport {
        info,
        first,
        total_rows: total,
        session,
        helpers,
        rows,
    })
}

/// Up to `instances - 1` more instances of a plugin whose batches may run in parallel, each
/// begun with the same request. One that cannot be made (every pooled instance is busy) only
/// means fewer; one whose `begin` says something else than the first is a broken promise.
fn helper_sessions(
    runtime: &PluginRuntime,
    plugin: &Arc<LoadedPlugin>,
    request: &ExportRequest,
    first: &[u8],
    instances: usize,
) -> Result<Vec<ExportSession>, ExportError> {
    let mut helpers = Vec::new();
    for _ in 1..instances {
        let Ok(mut helper) = ExportSession::start(runtime, plugin) else {
            break;
        };
        if helper.begin(request)? != first {
            return Err(PluginError::BadOutput(
                "two instances began the same export differently, although the manifest \
                 promises parallel_batches"
                    .into(),
            )
            .into());
        }
        helpers.push(helper);
    }
    Ok(helpers)
}

/// Rows a filtered frame yields: one extra pass, which progress reporting needs.
fn count_rows(frame: &LazyFrame) -> Result<u64, ExportError> {
    let counted = frame
        .clone()
        .select([len().alias("rows")])
        .collect()
        .map_err(|e| ExportError::Data(e.to_string()))?;
    let value = counted
        .column("rows")
        .and_then(|c| c.get(0))
        .map_err(|e| ExportError::Data(e.to_string()))?;
    Ok(value.extract::<u64>().unwrap_or(0))
}

impl StartedExport {
    /// Rows per batch handed to the plugin: fewer when several instances share the batches.
    fn batch_rows(&self) -> usize {
        if self.helpers.is_empty() {
            BATCH_ROWS
        } else {
            PARALLEL_BATCH_ROWS
        }
    }

    /// Streams the rows through the plugin. `emit` receives the output of every step (begin,
    /// each batch, finish), empty or not, and returns `false` to stop (the client went away).
    pub fn run(self, emit: impl FnMut(Vec<u8>) -> bool) -> Result<ExportSummary, ExportError> {
        self.run_with_progress(emit, |_| true)
    }

    /// Like [`StartedExport::run`], and `progress` hears after every batch how far the export
    /// is; it returns `false` to stop (the job was cancelled).
    pub fn run_with_progress(
        mut self,
        mut emit: impl FnMut(Vec<u8>) -> bool,
        mut progress: impl FnMut(&ExportSummary) -> bool,
    ) -> Result<ExportSummary, ExportError> {
        let mut summary = ExportSummary {
            rows: 0,
            bytes: self.first.len() as u64,
        };
        let first = std::mem::take(&mut self.first);
        if !emit(first) {
            return Err(ExportError::Cancelled);
        }
        let (sender, receiver) = sync_channel::<Converted>(FRAMES_IN_FLIGHT);
        let batch_rows = self.batch_rows();
        let rows = self.rows;
        let reader = std::thread::Builder::new()
            .name("tessera-export-read".into())
            .spawn(move || read_frames(rows, batch_rows, sender))
            .map_err(|e| ExportError::Data(e.to_string()))?;
        let outcome = if self.helpers.is_empty() {
            feed_plugin(
                &mut self.session,
                receiver,
                &mut summary,
                &mut emit,
                &mut progress,
            )
        } else {
            let mut instances = Vec::with_capacity(self.helpers.len() + 1);
            instances.push(&mut self.session);
            instances.extend(self.helpers.iter_mut());
            feed_instances(instances, receiver, &mut summary, &mut emit, &mut progress)
        };
        // The reader stops by itself once the receiver is gone.
        let read = reader
            .join()
            .map_err(|_| ExportError::Data("the reader thread panicked".into()))?;
        outcome?;
        read?;
        if self.helpers.is_empty() {
            let mut stopped = false;
            summary.bytes += self.session.finish_in_pieces(FINISH_PIECE_BYTES, |piece| {
                stopped = !emit(piece.to_vec());
                !stopped
            })?;
            if stopped {
                return Err(ExportError::Cancelled);
            }
            return Ok(summary);
        }
        let last = self.session.finish()?;
        for helper in &mut self.helpers {
            if helper.finish()? != last {
                return Err(PluginError::BadOutput(
                    "two instances finished the same export differently, although the \
                     manifest promises parallel_batches"
                        .into(),
                )
                .into());
            }
        }
        summary.bytes += last.len() as u64;
        if !emit(last) {
            return Err(ExportError::Cancelled);
        }
        Ok(summary)
    }
}

/// A batch in the contract's columnar form, with its row count, or why it could not be made.
type Converted = Result<(usize, Batch), String>;

/// Reads the selected rows, cuts them into batches and converts them, on polars' threads, so
/// that reading and conversion overlap with the plugin's work on the previous batch.
fn read_frames(
    rows: Rows,
    batch_rows: usize,
    sender: SyncSender<Converted>,
) -> Result<(), ExportError> {
    let batcher = match &rows {
        Rows::Whole(_) => Batcher::new(sender, 0, None),
        Rows::Pieces(pieces) => pieces.batcher(sender),
    }
    .with_batch_rows(batch_rows);
    let batcher = Arc::new(Mutex::new(batcher));
    match rows {
        Rows::Whole(frame) => sink_into(frame, batch_rows, &batcher)?,
        Rows::Pieces(pieces) => {
            for frame in pieces.frames() {
                if batcher.lock().map_or(true, |batcher| batcher.is_done()) {
                    break;
                }
                sink_into(frame?, batch_rows, &batcher)?;
            }
        }
    }
    if let Ok(mut batcher) = batcher.lock() {
        batcher.finish();
    }
    Ok(())
}

/// Runs one scan, handing its frames to `batcher`.
fn sink_into(
    frame: LazyFrame,
    batch_rows: usize,
    batcher: &Arc<Mutex<Batcher>>,
) -> Result<(), ExportError> {
    let batcher = Arc::clone(batcher);
    let callback = PlanCallback::new(move |df: DataFrame| -> PolarsResult<bool> {
        // `true` asks polars to stop: no more rows are wanted.
        Ok(batcher.lock().map_or(true, |mut batcher| batcher.push(df)))
    });
    frame
        .sink_batches(callback, true, NonZeroUsize::new(batch_rows))
        .and_then(|lf| lf.collect_with_engine(Engine::Streaming))
        .map(|_| ())
        .map_err(|e| ExportError::Data(e.to_string()))
}

fn feed_plugin(
    session: &mut ExportSession,
    receiver: Receiver<Converted>,
    summary: &mut ExportSummary,
    emit: &mut impl FnMut(Vec<u8>) -> bool,
    progress: &mut impl FnMut(&ExportSummary) -> bool,
) -> Result<(), ExportError> {
    for converted in receiver {
        let (rows, batch) = converted.map_err(ExportError::Data)?;
        let output = session.write_batch(&batch)?;
        drop(batch);
        summary.rows += rows as u64;
        summary.bytes += output.len() as u64;
        if !emit(output) || !progress(summary) {
            return Err(ExportError::Cancelled);
        }
    }
    Ok(())
}

/// Like [`feed_plugin`], with the batches handed to several instances in turn, each calling
/// its plugin on a thread of its own. Output is passed on in the batches' order: batch `n`
/// went to instance `n % count`, so its output is the next that instance returns. Each
/// instance has at most one batch in hand, so no more than `count` batches and outputs are in
/// memory at once.
fn feed_instances(
    instances: Vec<&mut ExportSession>,
    receiver: Receiver<Converted>,
    summary: &mut ExportSummary,
    emit: &mut impl FnMut(Vec<u8>) -> bool,
    progress: &mut impl FnMut(&ExportSummary) -> bool,
) -> Result<(), ExportError> {
    type Written = Result<(usize, Vec<u8>), PluginError>;
    let count = instances.len();
    std::thread::scope(|scope| {
        let mut to_instances = Vec::with_capacity(count);
        let mut from_instances = Vec::with_capacity(count);
        for (index, session) in instances.into_iter().enumerate() {
            // Each instance has at most one batch in hand (see below): no queue is needed.
            let (batches, batches_in) = sync_channel::<(usize, Batch)>(0);
            let (written_out, written) = sync_channel::<Written>(1);
            std::thread::Builder::new()
                .name(format!("tessera-export-plugin-{index}"))
                .spawn_scoped(scope, move || {
                    for (rows, batch) in batches_in {
                        let output = session.write_batch(&batch).map(|bytes| (rows, bytes));
                        drop(batch);
                        let failed = output.is_err();
                        // A closed channel means the export ended early; so does a failure.
                        if written_out.send(output).is_err() || failed {
                            break;
                        }
                    }
                })
                .map_err(|e| ExportError::Data(e.to_string()))?;
            to_instances.push(batches);
            from_instances.push(written);
        }
        let (mut sent, mut passed_on) = (0usize, 0usize);
        // Waits for the output of the oldest batch not yet passed on, and passes it on.
        let mut pass_on_next = |passed_on: &mut usize| -> Result<(), ExportError> {
            let (rows, output) = from_instances[*passed_on % count].recv().map_err(|_| {
                ExportError::Data("a plugin instance stopped unexpectedly".into())
            })??;
            *passed_on += 1;
            summary.rows += rows as u64;
            summary.bytes += output.len() as u64;
            if !emit(output) || !progress(summary) {
                return Err(ExportError::Cancelled);
            }
            Ok(())
        };
        loop {
            // Every instance has a batch in hand: wait for the oldest to be done before taking
            // another batch from the reader, so that no batch waits here in memory.
            if sent - passed_on == count {
                pass_on_next(&mut passed_on)?;
            }
            let Ok(converted) = receiver.recv() else {
                break;
            };
            let (rows, batch) = converted.map_err(ExportError::Data)?;
            if to_instances[sent % count].send((rows, batch)).is_err() {
                // That instance stopped after a failure, which its output reports.
                break;
            }
            sent += 1;
        }
        to_instances.clear();
        while passed_on < sent {
            pass_on_next(&mut passed_on)?;
        }
        Ok(())
    })
}
