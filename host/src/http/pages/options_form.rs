//! A plugin's options, as form fields: the JSON Schema an exporter declares becomes labelled
//! controls (a choice for an `enum`, a checkbox for a boolean, a number field with its bounds,
//! a text field), each with the schema's description as its help text. Only the schema's
//! top-level properties are offered; anything more intricate stays reachable through the API.

use std::fmt;

use serde::de::{Deserializer, MapAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// How an option is entered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FieldKind {
    Choice,
    Flag,
    Integer,
    Number,
    Text,
}

#[derive(Debug, Clone, Serialize)]
pub struct OptionField {
    /// The property's name, sent back as the option's key.
    pub name: String,
    pub label: String,
    pub help: Option<String>,
    pub kind: FieldKind,
    /// The allowed values of a choice, as text.
    pub choices: Vec<String>,
    /// The default as the control shows it (`"true"`/`"false"` for a flag); empty when none.
    pub default: String,
    pub minimum: Option<f64>,
    pub maximum: Option<f64>,
    pub max_length: Option<u64>,
}

/// "null_text" reads "Null text".
fn label_for(name: &str) -> String {
    let spaced = name.replace(['_', '-'], " ");
    let mut chars = spaced.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// A schema's `properties` in the order its author wrote them (a JSON object read into a map
/// would sort them), so the form follows the plugin's own order.
#[derive(Default, Deserialize)]
struct SchemaProperties {
    #[serde(default)]
    properties: InOrder,
}

#[derive(Default)]
struct InOrder(Vec<(String, Value)>);

impl<'de> Deserialize<'de> for InOrder {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Entries;
        impl<'de> Visitor<'de> for Entries {
            type Value = InOrder;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object of properties")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<InOrder, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry::<String, Value>()? {
                    entries.push(entry);
                }
                Ok(InOrder(entries))
            }
        }
        deserializer.deserialize_map(Entries)
    }
}

/// The fields for the properties of the schema in `schema_text`, in the order it lists them;
/// none when the text is not a schema with properties.
pub fn fields(schema_text: &str) -> Vec<OptionField> {
    let properties = serde_json::from_str::<SchemaProperties>(schema_text)
        .map(|s| s.properties.0)
        .unwrap_or_default();
    properties
        .into_iter()
        .filter_map(|(name, property)| {
            let choices: Vec<String> = property
                .get("enum")
                .and_then(Value::as_array)
                .map(|values| values.iter().map(super::cell_text).collect())
                .unwrap_or_default();
            let kind = if !choices.is_empty() {
                FieldKind::Choice
            } else {
                match property.get("type").and_then(Value::as_str) {
                    Some("boolean") => FieldKind::Flag,
                    Some("integer") => FieldKind::Integer,
                    Some("number") => FieldKind::Number,
                    Some("string") => FieldKind::Text,
                    // Objects, arrays and untyped properties have no simple control.
                    _ => return None,
                }
            };
            let default = match (kind, property.get("default")) {
                (FieldKind::Flag, Some(Value::Bool(b))) => b.to_string(),
                (FieldKind::Flag, _) => "false".to_owned(),
                (_, Some(value)) => super::cell_text(value),
                (_, None) => String::new(),
            };
            Some(OptionField {
                label: property
                    .get("title")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
                    .unwrap_or_else(|| label_for(&name)),
                help: property
                    .get("description")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                kind,
                choices,
                default,
                minimum: property.get("minimum").and_then(Value::as_f64),
                maximum: property.get("maximum").and_then(Value::as_f64),
                max_length: property.get("maxLength").and_then(Value::as_u64),
                name,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn each_schema_type_becomes_its_control() {
        let schema = r#"{
            "type": "object",
            "properties": {
                "line_ending": {"enum": ["lf", "crlf"], "default": "lf", "description": "End of each record."},
                "header": {"type": "boolean", "default": true},
                "max_rows": {"type": "integer", "minimum": 0, "maximum": 100, "default": 10},
                "delimiter": {"type": "string", "maxLength": 1, "title": "Field separator"},
                "nested": {"type": "object"}
            }
        }"#;
        let fields = fields(schema);
        let names: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["line_ending", "header", "max_rows", "delimiter"]);
        assert_eq!(fields[0].kind, FieldKind::Choice);
        assert_eq!(fields[0].choices, ["lf", "crlf"]);
        assert_eq!(fields[0].label, "Line ending");
        assert_eq!(fields[0].help.as_deref(), Some("End of each record."));
        assert_eq!(
            (fields[1].kind, fields[1].default.as_str()),
            (FieldKind::Flag, "true")
        );
        assert_eq!(fields[2].kind, FieldKind::Integer);
        assert_eq!(
            (fields[2].minimum, fields[2].maximum),
            (Some(0.0), Some(100.0))
        );
        assert_eq!(fields[2].default, "10");
        assert_eq!(fields[3].label, "Field separator");
        assert_eq!(fields[3].max_length, Some(1));
        assert_eq!(fields[3].default, "");
    }

    #[test]
    fn a_schema_without_properties_has_no_fields() {
        assert!(fields(r#"{"type": "object"}"#).is_empty());
        assert!(fields("not json").is_empty());
    }
}
