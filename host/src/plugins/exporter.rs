//! The `exporter-plugin` world: bindings generated from `wit/tessera-plugin@0.1.0` and one
//! export session's calls into a plugin instance.

use wasmtime::Store;
use wasmtime::component::{Instance, WasmList};

use super::PluginError;
use super::registry::LoadedPlugin;
use super::runtime::{PluginRuntime, Sandbox, classify};

wasmtime::component::bindgen!({
    path: "../wit/tessera-plugin@0.1.0",
    world: "exporter-plugin",
    // The host's own imports (`digest`, `compress`) may trap: a plugin that asks for too much
    // fails.
    imports: { default: trappable },
    with: {
        "tessera:plugin/digest.sha256": super::digest::Sha256Hasher,
        "tessera:plugin/compress.deflater": super::compress::Deflater,
    },
});

pub use exports::tessera::plugin::exporter::FormatInfo;
pub use tessera::plugin::types::{
    Batch, Column, ColumnData, ColumnStats, ColumnType, ColumnValues, DatasetInfo, ExportRequest,
    PluginError as GuestError, Utf8Values,
};

/// The most bytes one call may return; more is treated as garbage, not as output.
pub const MAX_CHUNK_BYTES: usize = 256 << 20;

/// One export: a fresh instance in its own store, so state never leaks between exports and
/// a failure ends only this session.
pub struct ExportSession {
    store: Store<Sandbox>,
    bindings: ExporterPlugin,
    /// The instance itself, to read `finish`'s output in place ([`Self::finish_in_pieces`]).
    instance: Option<Instance>,
}

/// Where the exporter interface's functions are exported.
const EXPORTER_INTERFACE: &str = "tessera:plugin/exporter@0.1.0";

impl ExportSession {
    pub fn start(runtime: &PluginRuntime, plugin: &LoadedPlugin) -> Result<Self, PluginError> {
        let mut store = runtime.store(&plugin.grant)?;
        let instance = plugin
            .pre
            .instance_pre()
            .instantiate(&mut store)
            .map_err(|e| classify(e, store.data()))?;
        let bindings =
            ExporterPlugin::new(&mut store, &instance).map_err(|e| classify(e, store.data()))?;
        Ok(Self {
            store,
            bindings,
            instance: Some(instance),
        })
    }

    /// A session over an instance made elsewhere (loading describes a plugin before it is a
    /// [`LoadedPlugin`]).
    pub fn from_parts(store: Store<Sandbox>, bindings: ExporterPlugin) -> Self {
        Self {
            store,
            bindings,
            instance: None,
        }
    }

    pub fn describe(&mut self) -> Result<FormatInfo, PluginError> {
        let guest = self.bindings.tessera_plugin_exporter();
        guest
            .call_describe(&mut self.store)
            .map_err(|e| classify(e, self.store.data()))
    }

    pub fn begin(&mut self, request: &ExportRequest) -> Result<Vec<u8>, PluginError> {
        let guest = self.bindings.tessera_plugin_exporter();
        let result = guest
            .call_begin(&mut self.store, request)
            .map_err(|e| classify(e, self.store.data()))?;
        self.store.data().check_scratch()?;
        check(result)
    }

    pub fn write_batch(&mut self, batch: &Batch) -> Result<Vec<u8>, PluginError> {
        let guest = self.bindings.tessera_plugin_exporter();
        let result = guest
            .call_write_batch(&mut self.store, batch)
            .map_err(|e| classify(e, self.store.data()))?;
        self.store.data().check_scratch()?;
        check(result)
    }

    pub fn finish(&mut self) -> Result<Vec<u8>, PluginError> {
        let guest = self.bindings.tessera_plugin_exporter();
        let result = guest
            .call_finish(&mut self.store)
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
        let Some(instance) = self.instance else {
            let bytes = self.finish()?;
            sink(&bytes);
            return Ok(bytes.len() as u64);
        };
        let missing = || PluginError::BadOutput("the component exports no `finish`".into());
        let interface = instance
            .get_export_index(&mut self.store, None, EXPORTER_INTERFACE)
            .ok_or_else(missing)?;
        let index = instance
            .get_export_index(&mut self.store, Some(&interface), "finish")
            .ok_or_else(missing)?;
        let finish = instance
            .get_typed_func::<(), (Result<WasmList<u8>, GuestError>,)>(&mut self.store, &index)
            .map_err(|e| PluginError::BadOutput(format!("`finish` has another type: {e}")))?;
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
