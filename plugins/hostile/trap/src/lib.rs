//! Hostile test plugin `trap`: panics in `write-batch`.
//!
//! The plugins are built with `panic = "abort"`, so the panic is a wasm trap (after std prints
//! the message to the component's stderr). The host must report a failed export and stay up.
//! An export without rows never calls `write-batch`, so `finish` panics in that case, and a
//! test with an empty dataset still sees the trap.

use tessera_plugin_sdk::{Batch, ExportRequest, Exporter, FormatInfo, PluginError};

struct Trap;

impl Exporter for Trap {
    fn info() -> FormatInfo {
        FormatInfo::new("trap", "Hostile: trap", "application/octet-stream", "bin")
    }

    fn new(_request: &ExportRequest) -> Result<Self, PluginError> {
        Ok(Trap)
    }

    fn write_batch(&mut self, _batch: &Batch) -> Result<Vec<u8>, PluginError> {
        panic!("hostile plugin `trap`: deliberate panic in write-batch");
    }

    fn finish(&mut self) -> Result<Vec<u8>, PluginError> {
        panic!("hostile plugin `trap`: deliberate panic in finish (no batch came)");
    }
}

tessera_plugin_sdk::export!(Trap);
