//! Typed export options.
//!
//! The host validates the options against the plugin's JSON Schema before `begin`, but the
//! plugin still has to turn the JSON into its own struct, and a schema written by hand can drift
//! from that struct. When it does, the user should read which option is wrong, not a parser's
//! line and column: errors name the field's path and become [`PluginError::InvalidOptions`].

use crate::PluginError;
use serde::de::DeserializeOwned;

/// Parses the request's options into `T`. An empty string or `null` counts as `{}`, so a
/// struct with `#[serde(default)]` gets its defaults.
///
/// ```
/// #[derive(serde::Deserialize)]
/// #[serde(default, deny_unknown_fields)]
/// struct Options {
///     header: bool,
/// }
///
/// impl Default for Options {
///     fn default() -> Self {
///         Options { header: true }
///     }
/// }
///
/// let options: Options = tessera_plugin_sdk::parse_options("").unwrap();
/// assert!(options.header);
/// let error = tessera_plugin_sdk::parse_options::<Options>(r#"{"header": "yes"}"#).err().unwrap();
/// assert_eq!(error.message(), "option `header`: invalid type: string \"yes\", expected a boolean");
/// ```
pub fn parse_options<T: DeserializeOwned>(options_json: &str) -> Result<T, PluginError> {
    let trimmed = options_json.trim();
    let json = if trimmed.is_empty() || trimmed == "null" {
        "{}"
    } else {
        trimmed
    };
    // serde's derived structs also accept arrays, which no options schema means.
    if !json.starts_with('{') {
        return Err(PluginError::invalid_options(
            "options: expected a JSON object",
        ));
    }
    let mut deserializer = serde_json::Deserializer::from_str(json);
    let options = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let reason = without_position(error.inner());
        let mut path = error.path().to_string();
        // The path of an unknown field ends in that field, which serde's message already names;
        // the option at fault is the object holding it.
        if reason.starts_with("unknown field") {
            path = match path.rsplit_once('.') {
                Some((parent, _)) => parent.to_owned(),
                None => String::new(),
            };
        }
        // serde_path_to_error renders the top level as "." and an unknown position as "?".
        match path.as_str() {
            "" | "." | "?" => PluginError::invalid_options(format!("options: {reason}")),
            _ => PluginError::invalid_options(format!("option `{path}`: {reason}")),
        }
    })?;
    deserializer.end().map_err(|error| {
        PluginError::invalid_options(format!("options: {}", without_position(&error)))
    })?;
    Ok(options)
}

/// serde_json's message without its " at line L column C" suffix, which only makes sense to
/// someone looking at the raw JSON.
fn without_position(error: &serde_json::Error) -> String {
    let message = error.to_string();
    let suffix = format!(" at line {} column {}", error.line(), error.column());
    match message.strip_suffix(&suffix) {
        Some(reason) => reason.to_owned(),
        None => message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(default, deny_unknown_fields)]
    struct Options {
        delimiter: char,
        header: bool,
        nested: Nested,
    }

    #[derive(Debug, Default, Deserialize, PartialEq)]
    #[serde(default, deny_unknown_fields)]
    struct Nested {
        depth: u8,
    }

    impl Default for Options {
        fn default() -> Self {
            Options {
                delimiter: ',',
                header: true,
                nested: Nested::default(),
            }
        }
    }

    fn message(json: &str) -> String {
        match parse_options::<Options>(json) {
            Err(PluginError::InvalidOptions(message)) => message,
            other => panic!("expected invalid options, got {other:?}"),
        }
    }

    #[test]
    fn empty_and_null_options_mean_defaults() {
        for json in ["", "  ", "null", "{}"] {
            assert_eq!(
                parse_options::<Options>(json).unwrap(),
                Options::default(),
                "{json:?}"
            );
        }
    }

    #[test]
    fn given_options_override_defaults() {
        let options: Options =
            parse_options(r#"{"delimiter": ";", "nested": {"depth": 2}}"#).unwrap();
        assert_eq!(options.delimiter, ';');
        assert!(options.header);
        assert_eq!(options.nested.depth, 2);
    }

    #[test]
    fn errors_name_the_field() {
        assert_eq!(
            message(r#"{"header": 1}"#),
            "option `header`: invalid type: integer `1`, expected a boolean"
        );
        assert_eq!(
            message(r#"{"delimiter": ";;"}"#),
            "option `delimiter`: invalid value: string \";;\", expected a character"
        );
        assert_eq!(
            message(r#"{"nested": {"depth": 300}}"#),
            "option `nested.depth`: invalid value: integer `300`, expected u8"
        );
        assert_eq!(
            message(r#"{"colour": "red"}"#),
            "options: unknown field `colour`, expected one of `delimiter`, `header`, `nested`"
        );
        assert_eq!(
            message(r#"{"nested": {"width": 1}}"#),
            "option `nested`: unknown field `width`, expected `depth`"
        );
    }

    #[test]
    fn malformed_json_is_invalid_options() {
        assert!(message("{").starts_with("options: EOF while parsing"));
        assert_eq!(message("{} {}"), "options: trailing characters");
        for not_an_object in ["[]", "1", "\"header\""] {
            assert_eq!(message(not_an_object), "options: expected a JSON object");
        }
    }
}
