//! Hostile test plugin `deflater`: in `begin`, makes the host hold one DEFLATE stream more
//! than an instance may (`tessera:plugin/compress`), keeping every one alive.
//!
//! Each stream is a few hundred KiB of compressor state in the host, outside the plugin's
//! memory limit, so the host must trap the call that asks for one too many; the export fails
//! with `plugin_trapped`. Should the host allow it, `begin` returns `held 5 deflaters` as
//! output instead.

use tessera_plugin_sdk::compress::Deflater;
use tessera_plugin_sdk::{Batch, ExportRequest, Exporter, FormatInfo, PluginError};

/// One more than the host's limit of 4.
const DEFLATERS: usize = 5;

struct Hoarder;

impl Exporter for Hoarder {
    fn info() -> FormatInfo {
        FormatInfo::new("deflater", "Hostile: deflater", "text/plain", "txt")
    }

    fn new(_request: &ExportRequest) -> Result<Self, PluginError> {
        Ok(Hoarder)
    }

    fn begin(&mut self, _request: &ExportRequest) -> Result<Vec<u8>, PluginError> {
        let held: Vec<Deflater> = (0..DEFLATERS).map(|_| Deflater::new(6)).collect();
        Ok(format!("held {} deflaters", held.len()).into_bytes())
    }

    fn write_batch(&mut self, _batch: &Batch) -> Result<Vec<u8>, PluginError> {
        Ok(Vec::new())
    }
}

tessera_plugin_sdk::export!(Hoarder);
