//! An export of a small table held in memory (an activity report's numbers), through an
//! exporter plugin exactly as a dataset version goes.
//!
//! The table is written as a Parquet file in the data folder's `tmp/` and that file becomes
//! the export's source: the plugin gets the same request, schema and batches as for any
//! dataset, through the same [`super::begin`], so there is one way into the plugins and every
//! installed format works on the table as it does on a dataset. The file is removed when the
//! export ends (and `tmp/` is emptied at every start). The table is a few thousand rows at
//! most, so the whole output is collected in memory rather than streamed.

use std::path::Path;
use std::sync::Arc;

use polars::prelude::*;

use super::{ExportError, ExportSource, ExportSpec};
use crate::plugins::exporter::DatasetInfo;
use crate::plugins::{LoadedPlugin, PluginRuntime};

/// A table's export: the whole file, and what kind of file it is.
#[derive(Debug, Clone)]
pub struct FrameExport {
    pub bytes: Vec<u8>,
    pub media_type: String,
    /// The file name's extension, without the dot (`csv`, `json`).
    pub extension: String,
}

/// Exports `frame` with `plugin`'s default options. `about` describes the table to the plugin
/// as a dataset is described (its name, description, licence); its `version_sha256` is set
/// here, to the SHA-256 of the Parquet file the rows are read from.
pub fn export_frame(
    runtime: &PluginRuntime,
    plugin: &Arc<LoadedPlugin>,
    frame: &mut DataFrame,
    about: DatasetInfo,
    exported_at: String,
    tmp_dir: &Path,
) -> Result<FrameExport, ExportError> {
    let data = |e: &dyn std::fmt::Display| ExportError::Data(e.to_string());
    let file = tempfile::Builder::new()
        .prefix("table-")
        .suffix(".parquet")
        .tempfile_in(tmp_dir)
        .map_err(|e| data(&e))?;
    ParquetWriter::new(file.as_file())
        .finish(frame)
        .map_err(|e| data(&e))?;
    let sha256 = {
        use sha2::Digest;
        let written = std::fs::read(file.path()).map_err(|e| data(&e))?;
        hex::encode(sha2::Sha256::digest(&written))
    };
    let source = ExportSource {
        parquet: file.path().to_owned(),
        rows: i64::try_from(frame.height()).unwrap_or(i64::MAX),
        dataset: DatasetInfo {
            version_sha256: sha256,
            ..about
        },
        exported_at,
    };
    let started = super::begin(runtime, plugin, &source, &ExportSpec::default())?;
    let (media_type, extension) = (
        started.info.media_type.clone(),
        started.info.extension.clone(),
    );
    let mut bytes = Vec::new();
    started.run(|chunk| {
        bytes.extend_from_slice(&chunk);
        true
    })?;
    // The file goes only now: the export read it until its last batch.
    drop(file);
    Ok(FrameExport {
        bytes,
        media_type,
        extension,
    })
}
