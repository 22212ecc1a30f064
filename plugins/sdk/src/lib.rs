//! The guest SDK for Tessera export-format and notification-channel plugins.
//!
//! A plugin is a WebAssembly component implementing one world of `wit/tessera-plugin@0.3.0`:
//! `exporter-plugin` (feature `exporter`, the default) or `notifier-plugin` (feature
//! `notifier`, see [`Notifier`] and [`export_notifier!`]). For an export format this crate
//! hides the component-model plumbing behind one trait,
//! [`Exporter`], and one macro, [`export!`], so that a plugin author writes plain Rust against
//! plain data: the host's types re-exported from here, readers for its columnar batches
//! ([`ColumnView`], [`Value`]), the house text and JSON renderings of a cell ([`text`]),
//! calendar arithmetic without a date crate ([`time`]), SHA-256 and CRC-32 computed by the host
//! ([`digest`]), DEFLATE streams compressed by the host ([`compress`]), options read and
//! described from one struct ([`parse_options`], [`FormatInfo::with_options`]) and the export's
//! scratch folder, for formats that spill to disk ([`scratch_dir`]).
//! [`TextTable`] writes rows as lines of delimited, escaped text (Markdown, TSV), and
//! [`testing`] builds requests and batches from plain values and runs a whole export natively.
//!
//! It does not own output encoding: each format builds its bytes itself. Everything here, the
//! generated bindings included, also compiles for the host's own target, so plugins and this
//! crate are unit-tested natively with `cargo test`.
//!
//! ```no_run
//! use tessera_plugin_sdk::{Batch, ExportRequest, Exporter, FormatInfo, PluginError};
//!
//! struct LineCount(u64);
//!
//! impl Exporter for LineCount {
//!     fn info() -> FormatInfo {
//!         FormatInfo::new("count", "Row count", "text/plain", "txt")
//!     }
//!     fn new(_request: &ExportRequest) -> Result<Self, PluginError> {
//!         Ok(LineCount(0))
//!     }
//!     fn write_batch(&mut self, batch: &Batch) -> Result<Vec<u8>, PluginError> {
//!         self.0 += batch.row_count() as u64;
//!         Ok(Vec::new())
//!     }
//!     fn finish(&mut self) -> Result<Vec<u8>, PluginError> {
//!         Ok(format!("{}\n", self.0).into_bytes())
//!     }
//! }
//!
//! tessera_plugin_sdk::export!(LineCount);
//! ```

#[cfg(feature = "exporter")]
mod batch;
#[cfg(feature = "exporter")]
pub mod compress;
#[cfg(feature = "exporter")]
pub mod digest;
#[cfg(feature = "exporter")]
mod glue;
#[cfg(feature = "notifier")]
pub mod http;
#[cfg(feature = "notifier")]
pub mod mail;
#[cfg(feature = "notifier")]
mod notifier;
mod options;
#[cfg(feature = "exporter")]
mod scratch;
#[cfg(feature = "exporter")]
mod table;
#[cfg(feature = "exporter")]
pub mod testing;
#[cfg(feature = "exporter")]
pub mod text;
#[cfg(feature = "exporter")]
pub mod time;

/// The README's examples, compiled and run with the crate's doctests so that they stay true.
#[cfg(all(doctest, feature = "exporter"))]
#[doc = include_str!("../README.md")]
pub struct ReadmeExamples;

/// Bindings generated from the WIT contract's exporter world. Plugin authors use the
/// re-exports at the crate root instead; the module is public only because the [`export!`]
/// macro expands in their crate.
#[cfg(feature = "exporter")]
#[doc(hidden)]
#[allow(unsafe_code, clippy::all)]
pub mod bindings {
    wit_bindgen::generate!({
        path: "wit/tessera-plugin@0.3.0",
        world: "exporter-plugin",
        // The bundled WASI packages gate `wasi:clocks/timezone` behind this unstable feature;
        // this parser resolves the gated import in `wasi:cli` only with it on. Nothing of it
        // is generated: no world of the contract imports it.
        features: ["clocks-timezone"],
        pub_export_macro: true,
        export_macro_name: "export_exporter",
        default_bindings_module: "tessera_plugin_sdk::bindings",
    });
}

/// Bindings generated from the same contract's notifier world (with `wasi:http`), public for
/// [`export_notifier!`] as [`bindings`] is for [`export!`].
#[cfg(feature = "notifier")]
#[doc(hidden)]
#[allow(unsafe_code, clippy::all)]
pub mod notifier_bindings {
    wit_bindgen::generate!({
        path: "wit/tessera-plugin@0.3.0",
        world: "notifier-plugin",
        // The bundled WASI packages gate `wasi:clocks/timezone` behind this unstable feature;
        // this parser resolves the gated import in `wasi:cli` only with it on. Nothing of it
        // is generated: no world of the contract imports it.
        features: ["clocks-timezone"],
        pub_export_macro: true,
        export_macro_name: "export_notifier_world",
        // `wasi:http` and the WASI interfaces it uses, generated here: the SDK depends on no
        // WASI bindings crate.
        generate_all,
        default_bindings_module: "tessera_plugin_sdk::notifier_bindings",
    });
}

#[cfg(feature = "exporter")]
pub use batch::{ColumnCells, ColumnView, Value};
#[cfg(feature = "exporter")]
pub use bindings::exports::tessera::plugin::exporter::FormatInfo;
#[cfg(feature = "exporter")]
pub use bindings::tessera::plugin::types::{
    Batch, Column, ColumnData, ColumnStats, ColumnType, ColumnValues, DatasetInfo, ExportRequest,
    PluginError, Utf8Values,
};
#[cfg(feature = "notifier")]
pub use notifier::{
    Delivery, DeliveryError, Message, NO_SETTINGS_SCHEMA, Notifier, NotifierInfo, parse_settings,
    testing_deliver,
};
pub use options::options_schema;
#[cfg(feature = "exporter")]
pub use options::parse_options;
#[cfg(feature = "exporter")]
pub use scratch::{SCRATCH_GUEST_PATH, scratch_dir};
#[cfg(feature = "exporter")]
pub use table::TextTable;

/// The parts of the SDK the [`export!`] macro expands to; not a stable API.
#[cfg(feature = "exporter")]
#[doc(hidden)]
pub mod __private {
    pub use crate::glue::{begin, describe, finish, write_batch};
}

/// The parts of the SDK the [`export_notifier!`] macro expands to; not a stable API.
#[cfg(feature = "notifier")]
#[doc(hidden)]
pub mod __private_notifier {
    pub use crate::notifier::glue::{deliver, describe, validate_settings};
}

#[cfg(feature = "exporter")]
/// An export format, implemented once per plugin and registered with [`export!`].
///
/// The host calls `describe` when it loads the plugin, then, for every export, in a fresh
/// instance: `begin` once, `write_batch` once per slice of rows, `finish` once. The SDK turns
/// `begin` into [`Exporter::new`] followed by [`Exporter::begin`], keeps the value between calls,
/// and checks every batch against the schema first, so `write_batch` may rely on the batch
/// having one column per schema column, each of the schema's type and `batch.rows` long.
///
/// Each call returns the bytes of output it produced; concatenated in order, they are the file.
pub trait Exporter: Sized + 'static {
    /// What this format is called and what it produces. Called once at load, never during an
    /// export, so it must not depend on any export's state.
    fn info() -> FormatInfo;

    /// Sets the export up: parse [`ExportRequest::options`] (see [`parse_options`]), look at the
    /// schema, and fail early with [`PluginError::InvalidOptions`] when they do not fit.
    fn new(request: &ExportRequest) -> Result<Self, PluginError>;

    /// The first bytes of the file, such as a header row; none by default.
    fn begin(&mut self, request: &ExportRequest) -> Result<Vec<u8>, PluginError> {
        let _ = request;
        Ok(Vec::new())
    }

    /// The output for these rows. Streaming formats return it at once; a format that needs
    /// every row first may keep them and return nothing until [`Exporter::finish`].
    fn write_batch(&mut self, batch: &Batch) -> Result<Vec<u8>, PluginError>;

    /// The last bytes of the file, such as a closing bracket; none by default.
    fn finish(&mut self) -> Result<Vec<u8>, PluginError> {
        Ok(Vec::new())
    }
}

/// Registers a type implementing [`Exporter`] as this component's `exporter` export.
///
/// Use it once, at the root of the plugin crate: `tessera_plugin_sdk::export!(MyFormat);`.
#[cfg(feature = "exporter")]
#[macro_export]
macro_rules! export {
    ($exporter:ty) => {
        // Generated code needs `unsafe` for the canonical ABI; the plugin's own code need not.
        #[allow(unsafe_code)]
        const _: () = {
            struct TesseraExporterGlue;

            impl $crate::bindings::exports::tessera::plugin::exporter::Guest for TesseraExporterGlue {
                fn describe() -> $crate::FormatInfo {
                    $crate::__private::describe::<$exporter>()
                }

                fn begin(
                    request: $crate::ExportRequest,
                ) -> ::core::result::Result<::std::vec::Vec<u8>, $crate::PluginError> {
                    $crate::__private::begin::<$exporter>(request)
                }

                fn write_batch(
                    batch: $crate::Batch,
                ) -> ::core::result::Result<::std::vec::Vec<u8>, $crate::PluginError> {
                    $crate::__private::write_batch::<$exporter>(batch)
                }

                fn finish() -> ::core::result::Result<::std::vec::Vec<u8>, $crate::PluginError> {
                    $crate::__private::finish::<$exporter>()
                }
            }

            $crate::bindings::export_exporter!(TesseraExporterGlue with_types_in $crate::bindings);
        };
    };
}

#[cfg(feature = "exporter")]
/// The options schema of a format without options: an empty object and nothing else.
pub const NO_OPTIONS_SCHEMA: &str = r#"{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{},"additionalProperties":false}"#;

#[cfg(feature = "exporter")]
impl FormatInfo {
    /// A format without options that does not want statistics; refine it with
    /// [`FormatInfo::with_options_schema`] and [`FormatInfo::with_stats`].
    pub fn new(
        id: impl Into<String>,
        name: impl Into<String>,
        media_type: impl Into<String>,
        extension: impl Into<String>,
    ) -> Self {
        FormatInfo {
            id: id.into(),
            name: name.into(),
            media_type: media_type.into(),
            extension: extension.into(),
            options_schema: NO_OPTIONS_SCHEMA.to_owned(),
            wants_stats: false,
        }
    }

    /// Sets the options schema to the one derived from the options struct `T` (see
    /// [`options_schema`]): the struct the format reads with [`parse_options`].
    pub fn with_options<T>(self) -> Self
    where
        T: schemars::JsonSchema + serde::Serialize + serde::de::DeserializeOwned + Default,
    {
        self.with_options_schema(options_schema::<T>())
    }

    /// Sets the JSON Schema (draft 2020-12) the host validates the options against, written
    /// by hand; [`FormatInfo::with_options`] derives it from the options struct instead.
    pub fn with_options_schema(mut self, schema: impl Into<String>) -> Self {
        self.options_schema = schema.into();
        self
    }

    /// Asks the host to compute [`ExportRequest::stats`] before the export.
    pub fn with_stats(mut self) -> Self {
        self.wants_stats = true;
        self
    }
}

#[cfg(feature = "exporter")]
impl PluginError {
    /// The export failed for a reason the user cannot fix through the options.
    pub fn failed(message: impl Into<String>) -> Self {
        PluginError::Failed(message.into())
    }

    /// The options are not acceptable; the message tells the user which and why.
    pub fn invalid_options(message: impl Into<String>) -> Self {
        PluginError::InvalidOptions(message.into())
    }

    /// The text of the error without its kind.
    pub fn message(&self) -> &str {
        match self {
            PluginError::InvalidOptions(message) | PluginError::Failed(message) => message,
        }
    }
}

#[cfg(feature = "exporter")]
impl PartialEq for PluginError {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (PluginError::InvalidOptions(a), PluginError::InvalidOptions(b))
            | (PluginError::Failed(a), PluginError::Failed(b)) => a == b,
            _ => false,
        }
    }
}

#[cfg(feature = "exporter")]
impl Eq for PluginError {}

#[cfg(all(test, feature = "exporter"))]
mod tests {
    use super::*;

    #[test]
    fn format_info_defaults_to_no_options_and_no_stats() {
        let info = FormatInfo::new("csv", "CSV", "text/csv", "csv");
        assert_eq!(info.options_schema, NO_OPTIONS_SCHEMA);
        assert!(!info.wants_stats);
        assert!(info.with_stats().wants_stats);
    }

    #[test]
    fn no_options_schema_is_json() {
        let schema: serde_json::Value = serde_json::from_str(NO_OPTIONS_SCHEMA).unwrap();
        assert_eq!(schema["additionalProperties"], false);
    }

    #[test]
    fn plugin_errors_compare_by_kind_and_message() {
        assert_eq!(PluginError::failed("x"), PluginError::Failed("x".into()));
        assert_ne!(PluginError::failed("x"), PluginError::invalid_options("x"));
        assert_eq!(PluginError::invalid_options("bad").message(), "bad");
    }
}
