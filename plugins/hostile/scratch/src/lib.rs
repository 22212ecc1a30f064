//! Hostile test plugin `scratch`: misuses the scratch folder it was granted.
//!
//! In `begin` it tries to climb out of `/scratch` (`/scratch/../etc/passwd`) and reports what
//! it finds there: it must find nothing, since a preopened folder confines every path. It also
//! lists `/scratch`, which must be empty (the folder is private to this export); either leak
//! fails the export with `plugin_failed`. Then, in each `write-batch`, it writes 2 MiB into a
//! temporary file that it unlinks while keeping it open, as temporary-file libraries do: past
//! its 1 MiB quota, which the host must notice even though the file has no name any more.

use std::io::Write;

use tessera_plugin_sdk::{Batch, ExportRequest, Exporter, FormatInfo, PluginError};

const CLIMB_PATH: &str = "/scratch/../etc/passwd";

struct ScratchHog {
    spool: Option<std::fs::File>,
}

impl ScratchHog {
    fn spool(&mut self, bytes: usize) -> Result<(), PluginError> {
        let file = match &mut self.spool {
            Some(file) => file,
            None => {
                let path = "/scratch/spool";
                let file = std::fs::OpenOptions::new()
                    .create(true)
                    .read(true)
                    .write(true)
                    .truncate(true)
                    .open(path)
                    .map_err(|e| PluginError::failed(format!("open {path}: {e}")))?;
                std::fs::remove_file(path)
                    .map_err(|e| PluginError::failed(format!("unlink {path}: {e}")))?;
                self.spool.insert(file)
            }
        };
        file.write_all(&vec![b'x'; bytes])
            .map_err(|e| PluginError::failed(format!("write: {e}")))
    }
}

impl Exporter for ScratchHog {
    fn info() -> FormatInfo {
        FormatInfo::new("scratch", "Hostile: scratch", "text/plain", "txt")
    }

    fn new(_request: &ExportRequest) -> Result<Self, PluginError> {
        Ok(ScratchHog { spool: None })
    }

    fn begin(&mut self, _request: &ExportRequest) -> Result<Vec<u8>, PluginError> {
        if let Ok(stolen) = std::fs::read_to_string(CLIMB_PATH) {
            return Err(PluginError::failed(format!("climbed out: {stolen}")));
        }
        match std::fs::read_dir("/scratch") {
            Ok(entries) => match entries.count() {
                0 => Ok(b"confined to an empty scratch folder\n".to_vec()),
                n => Err(PluginError::failed(format!("found {n} files in /scratch"))),
            },
            Err(e) => Err(PluginError::failed(format!("no scratch folder: {e}"))),
        }
    }

    fn write_batch(&mut self, _batch: &Batch) -> Result<Vec<u8>, PluginError> {
        self.spool(2 << 20)?;
        Ok(Vec::new())
    }
}

tessera_plugin_sdk::export!(ScratchHog);
