//! Hostile test plugin `spin`: never returns from `write-batch`.
//!
//! A pure compute loop with no imports to block on, so only the host's epoch deadline (or fuel)
//! can stop it. An export without rows never calls `write-batch`, so `finish` spins instead.

use std::hint::black_box;
use tessera_plugin_sdk::{Batch, ExportRequest, Exporter, FormatInfo, PluginError};

struct Spin;

fn spin_forever() -> ! {
    let mut turns: u64 = 0;
    loop {
        // `black_box` keeps the loop a real loop rather than something the optimiser may fold.
        turns = black_box(turns.wrapping_add(1));
    }
}

impl Exporter for Spin {
    fn info() -> FormatInfo {
        FormatInfo::new("spin", "Hostile: spin", "application/octet-stream", "bin")
    }

    fn new(_request: &ExportRequest) -> Result<Self, PluginError> {
        Ok(Spin)
    }

    fn write_batch(&mut self, _batch: &Batch) -> Result<Vec<u8>, PluginError> {
        spin_forever()
    }

    fn finish(&mut self) -> Result<Vec<u8>, PluginError> {
        spin_forever()
    }
}

tessera_plugin_sdk::export!(Spin);
