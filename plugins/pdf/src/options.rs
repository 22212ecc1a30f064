//! The export options, as `options.schema.json` describes them to users.
//!
//! The host validates options against the schema before `begin`; this struct is what the plugin
//! reads them into, so the bounds are checked again here (a schema written by hand can drift
//! from the code, and a test keeps the defaults of both in step).

use serde::Deserialize;
use tessera_plugin_sdk::{PluginError, parse_options};

pub(crate) const OPTIONS_SCHEMA: &str = include_str!("options.schema.json");

/// The most rows a report may show. Every shown row is held in memory until the end, where
/// the pages are laid out (the page count is known only then), so this bounds the plugin's
/// memory; 100,000 rows are over 2,000 pages already.
pub(crate) const MAX_ROWS_LIMIT: u32 = 100_000;

/// The longest title accepted, in characters; a longer one would not fit the page anyway.
const MAX_TITLE_CHARS: usize = 300;

#[derive(Debug, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct PdfOptions {
    pub title: Option<String>,
    pub max_rows: u32,
    pub include_stats: bool,
    pub page_size: PageSize,
    pub orientation: Orientation,
}

impl Default for PdfOptions {
    fn default() -> Self {
        PdfOptions {
            title: None,
            max_rows: 1000,
            include_stats: true,
            page_size: PageSize::A4,
            orientation: Orientation::Auto,
        }
    }
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq)]
#[serde(rename_all = "lowercase")]
pub(crate) enum PageSize {
    A4,
    Letter,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Orientation {
    Auto,
    Portrait,
    Landscape,
}

impl PdfOptions {
    /// Parses and checks the request's options.
    pub fn parse(json: &str) -> Result<Self, PluginError> {
        let options: PdfOptions = parse_options(json)?;
        if options.max_rows > MAX_ROWS_LIMIT {
            return Err(PluginError::invalid_options(format!(
                "option `max_rows`: at most {MAX_ROWS_LIMIT}"
            )));
        }
        if let Some(title) = &options.title {
            if title.trim().is_empty() {
                return Err(PluginError::invalid_options(
                    "option `title`: must not be empty",
                ));
            }
            if title.chars().count() > MAX_TITLE_CHARS {
                return Err(PluginError::invalid_options(format!(
                    "option `title`: at most {MAX_TITLE_CHARS} characters"
                )));
            }
        }
        Ok(options)
    }
}
