//! Hostile test plugin `net`: tries to open a TCP connection in `begin`.
//!
//! It connects to `127.0.0.1:9` (discard), on the host's own loopback so that a leak reaches
//! nothing outside the machine. A plugin gets no network, so the connect must fail and the
//! plugin fails the export with the error. If it connects, the sandbox leaks, and `begin`
//! returns the bytes `connected` as the export's output. A host that does not link the
//! `wasi:sockets` interfaces at all refuses to instantiate this component, which is a pass too.

use std::net::TcpStream;
use tessera_plugin_sdk::{Batch, ExportRequest, Exporter, FormatInfo, PluginError};

const TARGET: &str = "127.0.0.1:9";

struct NetEscape;

impl Exporter for NetEscape {
    fn info() -> FormatInfo {
        FormatInfo::new("net", "Hostile: net", "application/octet-stream", "bin")
    }

    fn new(_request: &ExportRequest) -> Result<Self, PluginError> {
        Ok(NetEscape)
    }

    fn begin(&mut self, _request: &ExportRequest) -> Result<Vec<u8>, PluginError> {
        match TcpStream::connect(TARGET) {
            Ok(_stream) => Ok(b"connected".to_vec()),
            Err(error) => Err(PluginError::failed(format!("connect {TARGET}: {error}"))),
        }
    }

    fn write_batch(&mut self, _batch: &Batch) -> Result<Vec<u8>, PluginError> {
        Ok(Vec::new())
    }
}

tessera_plugin_sdk::export!(NetEscape);
