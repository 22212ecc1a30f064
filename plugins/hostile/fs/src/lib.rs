//! Hostile test plugin `fs`: tries to read and write the host's file system in `begin`.
//!
//! It reads `/etc/passwd` and writes `/tmp/tessera-escape`. A plugin gets no preopened
//! directories, so both must fail; the plugin then fails the export with both OS errors in the
//! message, which a test can show. If either succeeds, the sandbox leaks, and `begin` returns
//! what it got as the export's output (the file's contents, or a note that the write worked) so
//! the test sees the leak in the bytes.

use tessera_plugin_sdk::{Batch, ExportRequest, Exporter, FormatInfo, PluginError};

const SECRET_PATH: &str = "/etc/passwd";
const ESCAPE_PATH: &str = "/tmp/tessera-escape";

struct FsEscape;

impl Exporter for FsEscape {
    fn info() -> FormatInfo {
        FormatInfo::new("fs", "Hostile: fs", "application/octet-stream", "bin")
    }

    fn new(_request: &ExportRequest) -> Result<Self, PluginError> {
        Ok(FsEscape)
    }

    fn begin(&mut self, _request: &ExportRequest) -> Result<Vec<u8>, PluginError> {
        let read = std::fs::read_to_string(SECRET_PATH);
        let write = std::fs::write(ESCAPE_PATH, b"a Tessera plugin escaped its sandbox\n");
        match (read, write) {
            (Ok(stolen), _) => Ok(stolen.into_bytes()),
            (Err(_), Ok(())) => Ok(format!("wrote {ESCAPE_PATH}").into_bytes()),
            (Err(read_error), Err(write_error)) => Err(PluginError::failed(format!(
                "read {SECRET_PATH}: {read_error}; write {ESCAPE_PATH}: {write_error}"
            ))),
        }
    }

    fn write_batch(&mut self, _batch: &Batch) -> Result<Vec<u8>, PluginError> {
        Ok(Vec::new())
    }
}

tessera_plugin_sdk::export!(FsEscape);
