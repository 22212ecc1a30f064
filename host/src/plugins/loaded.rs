//! A plugin ready for exports: its manifest, what it was granted, what it said of itself, its
//! component linked with the bindings of its contract version, and its options schema
//! compiled. Made by [`super::registry::PluginRegistry::prepare`]; every export starts from
//! one ([`super::exporter::ExportSession::start`]).

use std::sync::Arc;

use super::bindings::{ExporterPre, FormatInfo};
use super::capabilities::{Grants, InstanceState};
use super::error::PluginError;
use super::manifest::Manifest;

/// The kind of file an export makes: its `Content-Type` and file extension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputKind {
    pub media_type: String,
    pub extension: String,
}

/// A compiled plugin, ready to instantiate.
pub struct LoadedPlugin {
    pub manifest: Manifest,
    /// What this plugin's instances get: the manifest's requests, less anything not approved,
    /// as each capability's unit granted them when the plugin was loaded.
    pub grants: Grants,
    pub info: FormatInfo,
    /// Hex SHA-256 of the component file.
    pub component_sha256: String,
    /// `folder` or `installed`.
    pub source: &'static str,
    /// Linked, with the bindings of the contract version the component was built against.
    pub pre: ExporterPre<InstanceState>,
    /// The plugin's options schema, compiled; every export's options are checked against it
    /// before the plugin sees them.
    options_validator: Arc<jsonschema::Validator>,
}

impl LoadedPlugin {
    /// A plugin that has described itself as `info` (already checked against its manifest),
    /// with its options schema compiled.
    pub fn new(
        manifest: Manifest,
        grants: Grants,
        info: FormatInfo,
        component_sha256: String,
        source: &'static str,
        pre: ExporterPre<InstanceState>,
    ) -> Result<Self, PluginError> {
        let options_validator = Arc::new(compile_options_schema(&info)?);
        Ok(Self {
            manifest,
            grants,
            info,
            component_sha256,
            source,
            pre,
            options_validator,
        })
    }

    /// The kind of file an export with these options makes: the manifest's first
    /// `[[exporter.outputs]]` that matches them, else what `describe()` said.
    pub fn output(&self, options: Option<&serde_json::Value>) -> OutputKind {
        let empty = serde_json::Value::Object(Default::default());
        let options = options.unwrap_or(&empty);
        match self
            .manifest
            .exporter
            .outputs
            .iter()
            .find(|variant| variant.matches(options))
        {
            Some(variant) => OutputKind {
                media_type: variant.media_type.clone(),
                extension: variant.extension.clone(),
            },
            None => OutputKind {
                media_type: self.info.media_type.clone(),
                extension: self.info.extension.clone(),
            },
        }
    }

    /// Checks export options against the plugin's schema, naming every problem by the
    /// option's label as the export form shows it (its `title`), with its description; a
    /// pattern an option must match is described, never quoted as a regular expression.
    pub fn validate_options(&self, options: &serde_json::Value) -> Result<(), PluginError> {
        // Only read on refusal: the schema's own words for a property help the person fix it.
        let schema: serde_json::Value =
            serde_json::from_str(&self.info.options_schema).unwrap_or_default();
        let problems: Vec<String> = self
            .options_validator
            .iter_errors(options)
            .take(10)
            .map(|error| {
                let path = error.instance_path().to_string();
                let what = match error.kind() {
                    // The default text quotes the whole sub-schema, which explains nothing.
                    jsonschema::error::ValidationErrorKind::Not { .. } => {
                        format!("{} is not accepted", error.instance())
                    }
                    // A regular expression explains nothing to most people: the description
                    // beside it says what the option takes.
                    jsonschema::error::ValidationErrorKind::Pattern { .. } => {
                        format!("{} is not in the form this option takes", error.instance())
                    }
                    _ => error.to_string(),
                };
                let property = path
                    .strip_prefix('/')
                    .filter(|name| !name.contains('/'))
                    .map(|name| &schema["properties"][name]);
                let label = property.and_then(|p| p["title"].as_str());
                let hint = property.and_then(|p| p["description"].as_str());
                let place = match label {
                    Some(label) => format!("“{label}” (options{path})"),
                    None => format!("options{path}"),
                };
                match (path.is_empty(), hint) {
                    (true, _) => format!("options: {what}"),
                    (false, Some(hint)) => format!("{place}: {what} ({hint})"),
                    (false, None) => format!("{place}: {what}"),
                }
            })
            .collect();
        if problems.is_empty() {
            Ok(())
        } else {
            Err(PluginError::InvalidOptions(problems.join("; ")))
        }
    }
}

/// Compiles a plugin's options schema (JSON Schema draft 2020-12).
impl LoadedPlugin {
    /// How many of `rows_read` rows a file made with `options` holds, for a format whose
    /// manifest names the option that caps them (`[exporter] rows_option`); `None` for a
    /// format that writes every row it reads.
    pub fn rows_held(&self, options: Option<&serde_json::Value>, rows_read: i64) -> Option<i64> {
        let option = self.manifest.exporter.rows_option.as_deref()?;
        let schema: serde_json::Value =
            serde_json::from_str(&self.info.options_schema).unwrap_or_default();
        let cap = options
            .and_then(|o| o.get(option))
            .or_else(|| schema.pointer(&format!("/properties/{option}/default")))
            .and_then(serde_json::Value::as_i64)?;
        Some(rows_read.min(cap.max(0)))
    }
}

fn compile_options_schema(info: &FormatInfo) -> Result<jsonschema::Validator, PluginError> {
    let schema: serde_json::Value = serde_json::from_str(&info.options_schema)
        .map_err(|e| PluginError::BadOutput(format!("the options schema is not JSON: {e}")))?;
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .build(&schema)
        .map_err(|e| PluginError::BadOutput(format!("the options schema is not valid: {e}")))
}
