//! An export streamed as a response body, for the dataset's own export
//! (`GET /api/v1/datasets/{id}/export`) and a share link's download of a dataset alike.
//!
//! The plugin's `begin` and first batch run before the response starts, so that most failures
//! (an unknown column, refused options) still reach the client as a JSON error; after that the
//! body streams, and a late failure ends it early, which clients see as a broken transfer.

use bytes::Bytes;

use crate::export::{self, ExportSource, ExportSpec};
use crate::http::error::{ApiError, ApiResult, ErrorCode};
use crate::state::AppState;

/// The enabled export plugin for `format`, or an error naming the installed ones.
pub fn find_plugin(
    state: &AppState,
    format: &str,
) -> ApiResult<std::sync::Arc<crate::plugins::LoadedPlugin>> {
    state.plugins.get(format).ok_or_else(|| {
        let known: Vec<String> = state
            .plugins
            .list()
            .iter()
            .map(|p| p.manifest.id.clone())
            .collect();
        ApiError::new(
            ErrorCode::UnknownFormat,
            format!(
                "there is no export format '{format}'; installed: {}",
                known.join(", ")
            ),
        )
    })
}

/// Runs an export and streams its output. Waits for `begin` and the first batch (or the whole
/// export, if small), so that most failures still reach the client as a JSON error; after
/// that it streams, and a late failure ends the stream with an error.
pub async fn stream_export(
    state: &AppState,
    plugin: std::sync::Arc<crate::plugins::LoadedPlugin>,
    source: ExportSource,
    spec: ExportSpec,
) -> ApiResult<(
    String,
    impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> + Unpin + use<>,
)> {
    stream_export_watched(state, plugin, source, spec, Box::new(|_| {})).await
}

/// How far a streamed export has got, told after every batch and at its end.
#[derive(Debug, Clone, Copy)]
pub struct ExportProgress {
    /// Bytes and rows made so far.
    pub summary: export::ExportSummary,
    /// Rows the export will make in all.
    pub total_rows: u64,
    pub finished: bool,
}

/// [`stream_export`], telling `watch` how far the export has got (a share link's download
/// estimates its length from it, to tell how much of it a holder received).
pub async fn stream_export_watched(
    state: &AppState,
    plugin: std::sync::Arc<crate::plugins::LoadedPlugin>,
    source: ExportSource,
    spec: ExportSpec,
    mut watch: Box<dyn FnMut(ExportProgress) + Send>,
) -> ApiResult<(
    String,
    impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> + Unpin + use<>,
)> {
    let (ready_tx, ready_rx) =
        tokio::sync::oneshot::channel::<Result<String, export::ExportError>>();
    let (chunks_tx, chunks_rx) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    let runtime = state.plugins.runtime.clone();
    let format = plugin.manifest.id.clone();
    tokio::task::spawn_blocking(move || {
        let started = match export::begin(&runtime, &plugin, &source, &spec) {
            Ok(started) => started,
            Err(err) => {
                let _ = ready_tx.send(Err(err));
                return;
            }
        };
        let media_type = started.info.media_type.clone();
        let total_rows = started.total_rows;
        let send = |chunk: Vec<u8>| {
            chunk.is_empty() || chunks_tx.blocking_send(Ok(Bytes::from(chunk))).is_ok()
        };
        let mut pending = Some((ready_tx, Vec::new()));
        let progress = |summary: &export::ExportSummary| {
            watch(ExportProgress {
                summary: *summary,
                total_rows,
                finished: false,
            });
            true
        };
        let result = started.run_with_progress(
            |chunk| {
                let Some((_, held)) = pending.as_mut() else {
                    return send(chunk);
                };
                held.push(chunk);
                // Steps are begin, each batch, finish: the second one makes the export ready.
                if held.len() < 2 {
                    return true;
                }
                match pending.take() {
                    Some((tx, held)) => {
                        tx.send(Ok(media_type.clone())).is_ok() && held.into_iter().all(&send)
                    }
                    None => false,
                }
            },
            progress,
        );
        match result {
            Ok(summary) => {
                // An export that ended before its second step (no rows to write) is ready
                // now: answer the waiting request, then send what was held.
                if let Some((tx, held)) = pending.take()
                    && tx.send(Ok(media_type.clone())).is_ok()
                {
                    let _ = held.into_iter().all(&send);
                }
                watch(ExportProgress {
                    summary,
                    total_rows,
                    finished: true,
                });
                tracing::info!(format = %format, rows = summary.rows, bytes = summary.bytes, "export finished")
            }
            Err(err) => {
                tracing::warn!(format = %format, error = %err, "export failed");
                match pending.take() {
                    Some((tx, _)) => {
                        let _ = tx.send(Err(err));
                    }
                    None => {
                        let _ =
                            chunks_tx.blocking_send(Err(std::io::Error::other(err.to_string())));
                    }
                }
            }
        }
    });
    let media_type = ready_rx.await.map_err(ApiError::internal)??;
    Ok((media_type, tokio_stream_from(chunks_rx)))
}

fn tokio_stream_from(
    mut receiver: tokio::sync::mpsc::Receiver<Result<Bytes, std::io::Error>>,
) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> {
    futures_util::stream::poll_fn(move |cx| receiver.poll_recv(cx))
}
