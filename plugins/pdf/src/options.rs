//! The export options: what the plugin reads them into, and, derived from the same struct, the
//! schema that describes them to users.
//!
//! The host validates options against the schema before `begin`; the bounds are checked again
//! here, so that the plugin does not depend on it (and its tests run without the host).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tessera_plugin_sdk::{PluginError, parse_options};

/// The most rows a report may show. Every shown row is held in memory until the end, where
/// the pages are laid out (the page count is known only then), so this bounds the plugin's
/// memory; 100,000 rows are over 2,000 pages already.
pub(crate) const MAX_ROWS_LIMIT: u32 = 100_000;

/// The longest title accepted, in characters; a longer one would not fit the page anyway.
const MAX_TITLE_CHARS: usize = 300;

// Doc comments are the help text. (A plain comment here: a doc comment would be the schema's
// description.)
#[derive(Debug, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(default, deny_unknown_fields)]
#[schemars(title = "PDF report options")]
pub(crate) struct PdfOptions {
    /// The report's title. Absent: the dataset's name.
    #[schemars(title = "Report title", length(min = 1, max = MAX_TITLE_CHARS))]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// How many rows the table shows, from the first; the report notes how many were left out.
    /// 0 leaves the table out.
    #[schemars(title = "Rows in the table", range(min = 0, max = MAX_ROWS_LIMIT))]
    pub max_rows: u32,
    /// Whether the report has a table of per-column statistics (count, nulls, distinct values,
    /// minimum, maximum, mean).
    #[schemars(title = "Column statistics")]
    pub include_stats: bool,
    /// Paper size: "a4" (210 × 297 mm) or "letter" (8.5 × 11 in).
    #[schemars(title = "Paper size")]
    pub page_size: PageSize,
    /// "portrait", "landscape", or "auto": landscape when the table has more than 6 columns.
    #[schemars(title = "Orientation")]
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

#[derive(Clone, Copy, Debug, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(rename_all = "lowercase")]
pub(crate) enum PageSize {
    A4,
    Letter,
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, JsonSchema, PartialEq)]
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
