//! Hostile test plugin `garbage`: describes itself with values the host must refuse.
//!
//! `describe` keeps the id (`garbage`, as the manifest says) but returns, at once:
//! - a media type carrying a CR LF and a second header line, an attempt at response-header
//!   injection through `Content-Type`;
//! - an extension that climbs directories, an attempt at path traversal through the download's
//!   file name;
//! - an options schema that is not JSON.
//!
//! Any one of them should make the host refuse the plugin at load, so its exports do nothing.
//! (The other kind of bad output, too many bytes from one call, is the `flood` plugin's.)

use tessera_plugin_sdk::{Batch, ExportRequest, Exporter, FormatInfo, PluginError};

const HEADER_INJECTION_MEDIA_TYPE: &str = "text/plain\r\nX-Tessera-Injected: 1";
const TRAVERSING_EXTENSION: &str = "../../../tmp/tessera-garbage";
const NOT_JSON_SCHEMA: &str = "{ this is not a JSON schema";

struct Garbage;

impl Exporter for Garbage {
    fn info() -> FormatInfo {
        FormatInfo::new(
            "garbage",
            "Hostile: garbage",
            HEADER_INJECTION_MEDIA_TYPE,
            TRAVERSING_EXTENSION,
        )
        .with_options_schema(NOT_JSON_SCHEMA)
    }

    fn new(_request: &ExportRequest) -> Result<Self, PluginError> {
        Ok(Garbage)
    }

    fn write_batch(&mut self, _batch: &Batch) -> Result<Vec<u8>, PluginError> {
        Ok(Vec::new())
    }
}

tessera_plugin_sdk::export!(Garbage);
