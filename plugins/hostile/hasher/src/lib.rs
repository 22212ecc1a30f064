//! Hostile test plugin `hasher`: in `begin`, makes the host hold one SHA-256 hasher more than
//! an instance may (`tessera:plugin/digest`), keeping every one alive.
//!
//! The host must trap the call that asks for one too many, so that a plugin cannot make the
//! host hold unbounded state; the export fails with `plugin_trapped`. Should the host allow
//! it, `begin` returns `held 17 hashers` as output instead.

use tessera_plugin_sdk::digest::Sha256;
use tessera_plugin_sdk::{Batch, ExportRequest, Exporter, FormatInfo, PluginError};

/// One more than the host's limit of 16.
const HASHERS: usize = 17;

struct Hasher;

impl Exporter for Hasher {
    fn info() -> FormatInfo {
        FormatInfo::new("hasher", "Hostile: hasher", "text/plain", "txt")
    }

    fn new(_request: &ExportRequest) -> Result<Self, PluginError> {
        Ok(Hasher)
    }

    fn begin(&mut self, _request: &ExportRequest) -> Result<Vec<u8>, PluginError> {
        let held: Vec<Sha256> = (0..HASHERS).map(|_| Sha256::new()).collect();
        Ok(format!("held {} hashers", held.len()).into_bytes())
    }

    fn write_batch(&mut self, _batch: &Batch) -> Result<Vec<u8>, PluginError> {
        Ok(Vec::new())
    }
}

tessera_plugin_sdk::export!(Hasher);
