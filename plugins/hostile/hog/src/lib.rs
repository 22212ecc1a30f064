//! Hostile test plugin `hog`: allocates memory until something stops it, in `write-batch`.
//!
//! Each round keeps another 1 MiB chunk, filled so that every page is really touched. The only
//! end is the host's memory limit: `memory.grow` fails, the allocator reports the failure, and
//! the abort traps (or the host's limiter traps first). An export without rows never calls
//! `write-batch`, so `finish` hoards instead.

use std::hint::black_box;
use tessera_plugin_sdk::{Batch, ExportRequest, Exporter, FormatInfo, PluginError};

const CHUNK_BYTES: usize = 1 << 20;

struct Hog {
    /// Lives in the SDK's per-export global, so nothing is ever freed.
    hoard: Vec<Vec<u8>>,
}

impl Hog {
    fn hoard_forever(&mut self) -> ! {
        loop {
            self.hoard.push(black_box(vec![0xA5; CHUNK_BYTES]));
        }
    }
}

impl Exporter for Hog {
    fn info() -> FormatInfo {
        FormatInfo::new("hog", "Hostile: hog", "application/octet-stream", "bin")
    }

    fn new(_request: &ExportRequest) -> Result<Self, PluginError> {
        Ok(Hog { hoard: Vec::new() })
    }

    fn write_batch(&mut self, _batch: &Batch) -> Result<Vec<u8>, PluginError> {
        self.hoard_forever()
    }

    fn finish(&mut self) -> Result<Vec<u8>, PluginError> {
        self.hoard_forever()
    }
}

tessera_plugin_sdk::export!(Hog);
