//! The export options and Excel's rules for them.
//!
//! The host validates the options against their schema, derived from [`XlsxOptions`], before
//! `begin`, but a JSON
//! Schema cannot say everything Excel requires (it counts characters where Excel counts UTF-16
//! units, and cannot compare the sheet name with the metadata sheet's), so the rules are checked
//! again here, each failure naming its option.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use tessera_plugin_sdk::{PluginError, parse_options};

/// The name of the sheet describing the export.
pub(crate) const METADATA_SHEET_NAME: &str = "Metadata";

/// The longest sheet name Excel accepts, in UTF-16 units.
pub(crate) const MAX_SHEET_NAME_UNITS: usize = 31;

/// The longest number format Excel accepts, in characters.
const MAX_NUMBER_FORMAT_CHARS: usize = 255;

// The options as the user gives them, and their schema: doc comments are the help text. (A
// plain comment here: a doc comment would be the schema's description.)
#[derive(Debug, Deserialize, Serialize, JsonSchema, PartialEq)]
#[serde(default, deny_unknown_fields)]
#[schemars(title = "Excel export options")]
pub(crate) struct XlsxOptions {
    /// Name of the data sheet; further sheets, when the rows do not fit in one (1,048,575 rows
    /// each), are named "<name> (2)", "<name> (3)", ... Excel's rules: 1 to 31 characters,
    /// none of [ ] : * ? / \, not starting or ending with an apostrophe, not "History", and not
    /// "Metadata" while the metadata sheet is on.
    #[schemars(title = "Sheet name", length(min = 1, max = MAX_SHEET_NAME_UNITS))]
    #[schemars(regex(pattern = r"^[^'\[\]:*?/\\]([^\[\]:*?/\\]*[^'\[\]:*?/\\])?$"))]
    pub sheet_name: String,
    /// Whether the first row of each data sheet holds the column names, in bold.
    #[schemars(title = "Header row")]
    pub header: bool,
    /// Whether the header row stays in view while scrolling. Needs the header.
    #[schemars(title = "Freeze the header row")]
    pub freeze_header: bool,
    /// Whether the header row gets filter and sort buttons over the data. Needs the header.
    #[schemars(title = "Filter buttons in the header")]
    pub autofilter: bool,
    /// Whether a last sheet, "Metadata", describes the dataset (name, description, id,
    /// version, SHA-256, licence, tags), the row count, the export (time, format, plugin
    /// version) and the columns.
    #[schemars(title = "Metadata sheet")]
    pub metadata_sheet: bool,
    /// Excel number format of date cells, e.g. "dd/mm/yyyy" or "d mmm yyyy". Dates are real
    /// Excel dates; this only changes how they look.
    #[schemars(title = "Date format", length(min = 1, max = MAX_NUMBER_FORMAT_CHARS))]
    pub date_format: String,
    /// Excel number format of datetime cells (UTC), e.g. "yyyy-mm-dd hh:mm:ss.000" to show
    /// milliseconds. Datetimes are real Excel date-times; this only changes how they look.
    #[schemars(title = "Date-time format", length(min = 1, max = MAX_NUMBER_FORMAT_CHARS))]
    pub datetime_format: String,
}

impl Default for XlsxOptions {
    fn default() -> Self {
        XlsxOptions {
            sheet_name: "Data".into(),
            header: true,
            freeze_header: true,
            autofilter: true,
            metadata_sheet: true,
            date_format: "yyyy-mm-dd".into(),
            datetime_format: "yyyy-mm-dd hh:mm:ss".into(),
        }
    }
}

impl XlsxOptions {
    /// Parses the request's options and checks them against Excel's rules.
    pub fn parse(options_json: &str) -> Result<Self, PluginError> {
        let options: XlsxOptions = parse_options(options_json)?;
        check_sheet_name(&options.sheet_name).map_err(|reason| {
            PluginError::invalid_options(format!("option `sheet_name`: {reason}"))
        })?;
        if options.metadata_sheet && same_sheet_name(&options.sheet_name, METADATA_SHEET_NAME) {
            return Err(PluginError::invalid_options(
                "option `sheet_name`: \"Metadata\" is the metadata sheet's name; choose another, \
                 or set `metadata_sheet` to false",
            ));
        }
        check_number_format(&options.date_format).map_err(|reason| {
            PluginError::invalid_options(format!("option `date_format`: {reason}"))
        })?;
        check_number_format(&options.datetime_format).map_err(|reason| {
            PluginError::invalid_options(format!("option `datetime_format`: {reason}"))
        })?;
        Ok(options)
    }
}

/// Excel's rules for a sheet name, as Excel's own rename dialog enforces them.
fn check_sheet_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("must not be empty".into());
    }
    if name.encode_utf16().count() > MAX_SHEET_NAME_UNITS {
        return Err(format!(
            "Excel allows at most {MAX_SHEET_NAME_UNITS} characters"
        ));
    }
    if let Some(bad) = name.chars().find(|ch| "[]:*?/\\".contains(*ch)) {
        return Err(format!(
            "Excel does not allow `{bad}` in a sheet name (nor any of [ ] : * ? / \\)"
        ));
    }
    if name.chars().any(char::is_control) {
        return Err("must not contain control characters".into());
    }
    if name.starts_with('\'') || name.ends_with('\'') {
        return Err("Excel does not allow an apostrophe at the start or end".into());
    }
    // Excel keeps "History" for the change history of shared workbooks.
    if same_sheet_name(name, "History") {
        return Err("\"History\" is reserved by Excel".into());
    }
    Ok(())
}

/// Whether Excel would take two sheet names for the same sheet: it compares them ignoring case.
pub(crate) fn same_sheet_name(a: &str, b: &str) -> bool {
    a.to_lowercase() == b.to_lowercase()
}

/// A number format is Excel's own little language; Excel repairs a file whose format it cannot
/// read, so only what is certainly wrong is refused here.
fn check_number_format(format: &str) -> Result<(), String> {
    if format.trim().is_empty() {
        return Err("must not be empty".into());
    }
    if format.chars().count() > MAX_NUMBER_FORMAT_CHARS {
        return Err(format!(
            "Excel allows at most {MAX_NUMBER_FORMAT_CHARS} characters"
        ));
    }
    if format.chars().any(char::is_control) {
        return Err("must not contain control characters".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn invalid(json: &str) -> String {
        match XlsxOptions::parse(json) {
            Err(PluginError::InvalidOptions(message)) => message,
            other => panic!("expected invalid options for {json}, got {other:?}"),
        }
    }

    #[test]
    fn empty_options_are_the_defaults() {
        assert_eq!(XlsxOptions::parse("").unwrap(), XlsxOptions::default());
        assert_eq!(XlsxOptions::parse("{}").unwrap(), XlsxOptions::default());
    }

    #[test]
    fn sheet_names_follow_excels_rules() {
        for good in ["Sales 2024", "a", "Données", "O'Brien", &"x".repeat(31)] {
            let json = serde_json::json!({ "sheet_name": good }).to_string();
            assert_eq!(XlsxOptions::parse(&json).unwrap().sheet_name, good);
        }
        let cases = [
            ("", "must not be empty"),
            (&"x".repeat(32), "at most 31 characters"),
            // 16 characters, 32 UTF-16 units.
            (&"😀".repeat(16), "at most 31 characters"),
            ("a/b", "does not allow `/`"),
            ("a[1]", "does not allow `[`"),
            ("what?", "does not allow `?`"),
            ("back\\slash", "does not allow `\\`"),
            ("'quoted'", "apostrophe"),
            ("tab\there", "control characters"),
            ("history", "reserved"),
            ("METADATA", "the metadata sheet's name"),
        ];
        for (name, reason) in cases {
            let json = serde_json::json!({ "sheet_name": name }).to_string();
            let message = invalid(&json);
            assert!(
                message.starts_with("option `sheet_name`: ") && message.contains(reason),
                "{name:?}: {message}"
            );
        }
    }

    #[test]
    fn metadata_is_a_fine_name_without_the_metadata_sheet() {
        let options =
            XlsxOptions::parse(r#"{"sheet_name": "Metadata", "metadata_sheet": false}"#).unwrap();
        assert_eq!(options.sheet_name, "Metadata");
    }

    #[test]
    fn number_formats_are_checked() {
        assert!(invalid(r#"{"date_format": " "}"#).starts_with("option `date_format`"));
        let long = serde_json::json!({ "datetime_format": "y".repeat(256) }).to_string();
        assert!(invalid(&long).contains("at most 255"));
        assert!(invalid(r#"{"date_format": "yyyy\nmm"}"#).contains("control"));
        assert_eq!(
            XlsxOptions::parse(r#"{"date_format": "d mmm yyyy"}"#)
                .unwrap()
                .date_format,
            "d mmm yyyy"
        );
    }

    #[test]
    fn unknown_and_mistyped_options_are_refused() {
        assert!(invalid(r#"{"sheet": "x"}"#).starts_with("options: unknown field `sheet`"));
        assert!(invalid(r#"{"header": "yes"}"#).starts_with("option `header`"));
    }
}
