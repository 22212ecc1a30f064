//! One export session's calls into an exporter plugin: a fresh instance in its own store,
//! spoken to through the version adapter ([`super::bindings`]), whatever version of the
//! contract the plugin was built for. The types re-exported here are the host's internal
//! interface, the newest supported version's.

use wasmtime::Store;

use super::bindings::{Exporter, ExporterPre};
use super::capabilities::InstanceState;
use super::error::PluginError;
use super::loaded::LoadedPlugin;
use super::runtime::{PluginRuntime, classify};

pub use super::bindings::{
    Batch, Column, ColumnData, ColumnStats, ColumnType, ColumnValues, DatasetInfo, ExportRequest,
    FormatInfo, GuestError, Utf8Values,
};

pub use super::capabilities::limits::MAX_CHUNK_BYTES;

/// One export: a fresh instance in its own store, so state never leaks between exports and
/// a failure ends only this session.
pub struct ExportSession {
    store: Store<InstanceState>,
    exporter: Exporter,
}

impl ExportSession {
    pub fn start(runtime: &PluginRuntime, plugin: &LoadedPlugin) -> Result<Self, PluginError> {
        Self::new(runtime.store(&plugin.grants)?, &plugin.pre)
    }

    /// A session in `store`, over a fresh instance of `pre` (loading describes a plugin
    /// before it is a [`LoadedPlugin`]).
    pub fn new(
        mut store: Store<InstanceState>,
        pre: &ExporterPre<InstanceState>,
    ) -> Result<Self, PluginError> {
        let exporter = pre
            .instantiate(&mut store)
            .map_err(|e| classify(e, store.data()))?;
        Ok(Self { store, exporter })
    }

    pub fn describe(&mut self) -> Result<FormatInfo, PluginError> {
        self.exporter
            .describe(&mut self.store)
            .map_err(|e| classify(e, self.store.data()))
    }

    pub fn begin(&mut self, request: &ExportRequest) -> Result<Vec<u8>, PluginError> {
        let result = self
            .exporter
            .begin(&mut self.store, request)
            .map_err(|e| classify(e, self.store.data()))?;
        self.store.data().check_scratch()?;
        check(result)
    }

    pub fn write_batch(&mut self, batch: &Batch) -> Result<Vec<u8>, PluginError> {
        let result = self
            .exporter
            .write_batch(&mut self.store, batch)
            .map_err(|e| classify(e, self.store.data()))?;
        self.store.data().check_scratch()?;
        check(result)
    }

    pub fn finish(&mut self) -> Result<Vec<u8>, PluginError> {
        let result = self
            .exporter
            .finish(&mut self.store)
            .map_err(|e| classify(e, self.store.data()))?;
        self.store.data().check_scratch()?;
        check(result)
    }
}

impl ExportSession {
    /// `finish`, with its output read from the plugin's memory in pieces of at most `piece`
    /// bytes handed to `sink` (which returns false to stop), instead of copied whole first: a
    /// format that assembles its file at the end (Excel) would otherwise hold it twice, once
    /// in the plugin and once here. Returns how many bytes there were.
    pub fn finish_in_pieces(
        &mut self,
        piece: usize,
        mut sink: impl FnMut(&[u8]) -> bool,
    ) -> Result<u64, PluginError> {
        let finish = self
            .exporter
            .finish_in_place(&mut self.store)
            .map_err(PluginError::BadOutput)?;
        let (result,) = finish
            .call(&mut self.store, ())
            .map_err(|e| classify(e, self.store.data()))?;
        self.store.data().check_scratch()?;
        let list = match result {
            Ok(list) if list.len() > MAX_CHUNK_BYTES => {
                return Err(PluginError::BadOutput(format!(
                    "one call returned {} MiB; the most is {} MiB",
                    list.len() >> 20,
                    MAX_CHUNK_BYTES >> 20
                )));
            }
            Ok(list) => list,
            Err(GuestError::InvalidOptions(message)) => {
                return Err(PluginError::InvalidOptions(message));
            }
            Err(GuestError::Failed(message)) => return Err(PluginError::Failed(message)),
        };
        let bytes = list.as_le_slice(&self.store);
        for chunk in bytes.chunks(piece.max(1)) {
            if !sink(chunk) {
                break;
            }
        }
        Ok(bytes.len() as u64)
    }
}

fn check(result: Result<Vec<u8>, GuestError>) -> Result<Vec<u8>, PluginError> {
    match result {
        Ok(bytes) if bytes.len() > MAX_CHUNK_BYTES => Err(PluginError::BadOutput(format!(
            "one call returned {} MiB; the most is {} MiB",
            bytes.len() >> 20,
            MAX_CHUNK_BYTES >> 20
        ))),
        Ok(bytes) => Ok(bytes),
        Err(GuestError::InvalidOptions(message)) => Err(PluginError::InvalidOptions(message)),
        Err(GuestError::Failed(message)) => Err(PluginError::Failed(message)),
    }
}

/// Checks what a plugin says about itself against its manifest.
pub fn validate_info(info: &FormatInfo, manifest_id: &str) -> Result<(), PluginError> {
    if info.id != manifest_id {
        return Err(PluginError::BadOutput(format!(
            "describe() names format '{}' but the manifest says '{manifest_id}'",
            info.id
        )));
    }
    // The media type becomes a response header: no control characters (header injection).
    let media_type_ok = info.media_type.contains('/')
        && info.media_type.len() <= 255
        && info
            .media_type
            .chars()
            .all(|c| c.is_ascii_graphic() || c == ' ');
    if !media_type_ok {
        return Err(PluginError::BadOutput(format!(
            "'{}' is not a media type",
            info.media_type
        )));
    }
    if info.extension.is_empty()
        || info.extension.len() > 16
        || !info.extension.chars().all(|c| c.is_ascii_alphanumeric())
    {
        return Err(PluginError::BadOutput(format!(
            "'{}' is not a file extension",
            info.extension
        )));
    }
    serde_json::from_str::<serde_json::Value>(&info.options_schema)
        .map_err(|e| PluginError::BadOutput(format!("the options schema is not JSON: {e}")))?;
    Ok(())
}
