//! Hostile test plugin `flood`: returns 512 MiB of output from one `write-batch` call.
//!
//! That is more than the host accepts from a single call (256 MiB), so the export must fail as
//! bad output; the manifest asks for enough memory to build the bytes, so that memory is not
//! what stops it. The bytes are `0xFF`, not text in any encoding. An export without rows never
//! calls `write-batch`, so `finish` floods instead.

use tessera_plugin_sdk::{Batch, ExportRequest, Exporter, FormatInfo, PluginError};

const FLOOD_BYTES: usize = 512 << 20;

struct Flood;

impl Exporter for Flood {
    fn info() -> FormatInfo {
        FormatInfo::new("flood", "Hostile: flood", "application/octet-stream", "bin")
    }

    fn new(_request: &ExportRequest) -> Result<Self, PluginError> {
        Ok(Flood)
    }

    fn write_batch(&mut self, _batch: &Batch) -> Result<Vec<u8>, PluginError> {
        Ok(vec![0xFF; FLOOD_BYTES])
    }

    fn finish(&mut self) -> Result<Vec<u8>, PluginError> {
        Ok(vec![0xFF; FLOOD_BYTES])
    }
}

tessera_plugin_sdk::export!(Flood);
