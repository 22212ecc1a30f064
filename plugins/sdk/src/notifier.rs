//! Notification channels: the [`Notifier`] trait a channel implements, the host's types it
//! reads and returns, and the glue behind [`crate::export_notifier!`].
//!
//! A channel gets a [`Message`] (what happened, for whom, with a stable id and the times) and
//! the settings a person gave it, parsed into its own struct, and takes the message to its
//! receiver: an HTTP request through [`crate::http`] (which the host checks against the hosts
//! the plugin was granted), or mail through [`crate::mail`]. It answers with a [`Delivery`] or
//! a [`DeliveryError`] that says whether trying again may help. The host makes a fresh
//! instance for every call, and the plugin has no clock: the times are in the message.
//!
//! ```
//! use serde::Deserialize;
//! use tessera_plugin_sdk::http::{self, Request};
//! use tessera_plugin_sdk::{Delivery, DeliveryError, Message, Notifier, NotifierInfo};
//!
//! /// Posts the title to a URL as plain text.
//! struct Ping;
//!
//! #[derive(Deserialize, schemars::JsonSchema)]
//! #[serde(deny_unknown_fields)]
//! struct PingSettings {
//!     /// Where to post.
//!     #[schemars(title = "URL")]
//!     url: String,
//! }
//!
//! impl Notifier for Ping {
//!     type Settings = PingSettings;
//!
//!     fn info() -> NotifierInfo {
//!         NotifierInfo::new("ping", "Ping", "Posts each notification's title to a URL")
//!             .with_settings::<PingSettings>()
//!     }
//!
//!     fn deliver(settings: PingSettings, message: &Message) -> Result<Delivery, DeliveryError> {
//!         let request = Request::post(&settings.url, message.title.as_bytes().to_vec())
//!             .header("content-type", "text/plain; charset=utf-8");
//!         http::send(&request)?.verdict()
//!     }
//! }
//!
//! tessera_plugin_sdk::export_notifier!(Ping);
//!
//! // Natively, requests go to a stand-in that the test answers.
//! http::testing::answer_with(|_| http::Response::new(204, ""));
//! let delivered = tessera_plugin_sdk::testing_deliver::<Ping>(
//!     r#"{"url": "https://example.org/ping"}"#,
//!     &Message::example(),
//! );
//! assert_eq!(delivered.unwrap().status, Some(204));
//! assert_eq!(http::testing::requests()[0].body, b"Shared with you");
//! ```

pub use crate::notifier_bindings::exports::tessera::plugin::notifier::{
    Delivery, DeliveryError, Message, NotifierInfo,
};
use serde::de::DeserializeOwned;

/// A notification channel, implemented once per plugin and registered with
/// [`crate::export_notifier!`].
pub trait Notifier: Sized + 'static {
    /// The settings a person gives the channel (an address, a URL and a secret), read from
    /// the JSON the host hands over with [`parse_settings`]. Describe them to the host with
    /// [`NotifierInfo::with_settings`], so that it refuses settings that cannot work before
    /// they are stored.
    type Settings: DeserializeOwned;

    /// What the channel is called and what its settings look like. Called when the plugin is
    /// loaded.
    fn info() -> NotifierInfo;

    /// Refuses settings that meet the schema but still cannot work (a URL's scheme, a secret's
    /// encoding), saying why for the person who gave them. Accepts them by default.
    fn check(settings: &Self::Settings) -> Result<(), String> {
        let _ = settings;
        Ok(())
    }

    /// Takes `message` to its receiver as `settings` say.
    fn deliver(settings: Self::Settings, message: &Message) -> Result<Delivery, DeliveryError>;
}

/// Registers a type implementing [`Notifier`] as this component's `notifier` export.
///
/// Use it once, at the root of the plugin crate: `tessera_plugin_sdk::export_notifier!(MyChannel);`.
#[macro_export]
macro_rules! export_notifier {
    ($notifier:ty) => {
        // Generated code needs `unsafe` for the canonical ABI; the plugin's own code need not.
        #[allow(unsafe_code)]
        const _: () = {
            struct TesseraNotifierGlue;

            impl $crate::notifier_bindings::exports::tessera::plugin::notifier::Guest
                for TesseraNotifierGlue
            {
                fn describe() -> $crate::NotifierInfo {
                    $crate::__private_notifier::describe::<$notifier>()
                }

                fn validate_settings(
                    settings: ::std::string::String,
                ) -> ::core::result::Result<(), ::std::string::String> {
                    $crate::__private_notifier::validate_settings::<$notifier>(&settings)
                }

                fn deliver(
                    settings: ::std::string::String,
                    message: $crate::Message,
                ) -> ::core::result::Result<$crate::Delivery, $crate::DeliveryError> {
                    $crate::__private_notifier::deliver::<$notifier>(&settings, &message)
                }
            }

            $crate::notifier_bindings::export_notifier_world!(
                TesseraNotifierGlue with_types_in $crate::notifier_bindings
            );
        };
    };
}

/// The calls behind the macro, plain Rust so that they are tested natively.
pub mod glue {
    use super::{Delivery, DeliveryError, Message, Notifier, NotifierInfo, parse_settings};

    pub fn describe<N: Notifier>() -> NotifierInfo {
        N::info()
    }

    pub fn validate_settings<N: Notifier>(settings: &str) -> Result<(), String> {
        N::check(&parse_settings::<N::Settings>(settings)?)
    }

    /// Settings the host already checked, that still do not parse, cannot work: a permanent
    /// failure.
    pub fn deliver<N: Notifier>(
        settings: &str,
        message: &Message,
    ) -> Result<Delivery, DeliveryError> {
        let settings = parse_settings::<N::Settings>(settings).map_err(DeliveryError::Permanent)?;
        N::deliver(settings, message)
    }
}

/// Runs `N`'s `validate-settings` and `deliver` as the host would, natively: for a plugin's
/// tests, with [`crate::http::testing`] and [`crate::mail::testing`] standing in for the host.
pub fn testing_deliver<N: Notifier>(
    settings: &str,
    message: &Message,
) -> Result<Delivery, DeliveryError> {
    glue::validate_settings::<N>(settings).map_err(DeliveryError::Permanent)?;
    glue::deliver::<N>(settings, message)
}

/// Reads settings JSON into `T`, naming the setting at fault (`setting `url`: ...`).
pub fn parse_settings<T: DeserializeOwned>(settings: &str) -> Result<T, String> {
    let trimmed = settings.trim();
    let json = if trimmed.is_empty() || trimmed == "null" {
        "{}"
    } else {
        trimmed
    };
    let mut deserializer = serde_json::Deserializer::from_str(json);
    let parsed = serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
        let reason = crate::options::without_position(error.inner());
        match error.path().to_string().as_str() {
            "" | "." | "?" => format!("settings: {reason}"),
            path => format!("setting `{path}`: {reason}"),
        }
    })?;
    deserializer
        .end()
        .map_err(|error| format!("settings: {}", crate::options::without_position(&error)))?;
    Ok(parsed)
}

/// The schema of a channel without settings: an empty object and nothing else.
pub const NO_SETTINGS_SCHEMA: &str = r#"{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object","properties":{},"additionalProperties":false}"#;

impl NotifierInfo {
    /// A channel without settings; describe them with [`NotifierInfo::with_settings`].
    pub fn new(
        id: impl Into<String>,
        name: impl Into<String>,
        description: impl Into<String>,
    ) -> Self {
        NotifierInfo {
            id: id.into(),
            name: name.into(),
            description: description.into(),
            settings_schema: NO_SETTINGS_SCHEMA.to_owned(),
        }
    }

    /// Sets the settings schema to the one schemars derives from `T` (each field's doc
    /// comment its help, `title` its label), as [`crate::options_schema`] does for options.
    /// `T` here is the settings struct described, usually [`Notifier::Settings`].
    pub fn with_settings<T>(mut self) -> Self
    where
        T: schemars::JsonSchema,
    {
        self.settings_schema = crate::options::schema_of::<T>();
        self
    }

    /// Sets the settings schema, written by hand.
    pub fn with_settings_schema(mut self, schema: impl Into<String>) -> Self {
        self.settings_schema = schema.into();
        self
    }
}

impl Delivery {
    /// Taken, with the receiver's status.
    pub fn with_status(status: u16) -> Self {
        Delivery {
            status: Some(status),
            reference: None,
        }
    }

    /// The same, with what the receiver called the message.
    pub fn with_reference(mut self, reference: impl Into<String>) -> Self {
        self.reference = Some(reference.into());
        self
    }
}

impl DeliveryError {
    /// A later attempt may work.
    pub fn retryable(message: impl Into<String>) -> Self {
        DeliveryError::Retryable(message.into())
    }

    /// Trying again will not help.
    pub fn permanent(message: impl Into<String>) -> Self {
        DeliveryError::Permanent(message.into())
    }

    /// The text without its kind.
    pub fn message(&self) -> &str {
        match self {
            DeliveryError::Retryable(message) | DeliveryError::Permanent(message) => message,
        }
    }

    pub fn is_retryable(&self) -> bool {
        matches!(self, DeliveryError::Retryable(_))
    }
}

impl PartialEq for DeliveryError {
    fn eq(&self, other: &Self) -> bool {
        self.is_retryable() == other.is_retryable() && self.message() == other.message()
    }
}

impl Message {
    /// A message as the host might send it, for tests: Ada shared a dataset with Grace.
    pub fn example() -> Self {
        Message {
            id: "msg_2zQ3f9LhKc1B8sVd".into(),
            kind: "share.granted".into(),
            occurred_at: 1_767_225_600_000,
            attempt_at: 1_767_225_605_000,
            title: "Shared with you".into(),
            body: "Ada Lovelace shared “Trial results” with you.".into(),
            url: "https://data.example.org/datasets/ds_1".into(),
            recipient_name: "Grace Hopper".into(),
            recipient_email: Some("grace@example.org".into()),
            unsubscribe_url: Some(
                "https://data.example.org/notifications/unsubscribe?kind=share.granted&t=abc"
                    .into(),
            ),
            payload: r#"{"dataset":"ds_1","by":"ada"}"#.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, schemars::JsonSchema)]
    #[serde(deny_unknown_fields)]
    struct Settings {
        /// Where to.
        url: String,
        #[serde(default)]
        loud: bool,
    }

    struct Echo;

    impl Notifier for Echo {
        type Settings = Settings;

        fn info() -> NotifierInfo {
            NotifierInfo::new("echo", "Echo", "Says what it got").with_settings::<Settings>()
        }

        fn check(settings: &Settings) -> Result<(), String> {
            if settings.url.starts_with("https://") {
                Ok(())
            } else {
                Err("the URL must start with https://".into())
            }
        }

        fn deliver(settings: Settings, message: &Message) -> Result<Delivery, DeliveryError> {
            if settings.loud {
                return Err(DeliveryError::retryable("too loud"));
            }
            Ok(Delivery::with_status(200).with_reference(message.id.clone()))
        }
    }

    #[test]
    fn settings_are_parsed_checked_and_described() {
        let schema: serde_json::Value =
            serde_json::from_str(&glue::describe::<Echo>().settings_schema).unwrap();
        assert_eq!(schema["properties"]["url"]["type"], "string");
        assert_eq!(schema["required"][0], "url");
        assert!(glue::validate_settings::<Echo>(r#"{"url":"https://x"}"#).is_ok());
        assert_eq!(
            glue::validate_settings::<Echo>(r#"{"url":"http://x"}"#).unwrap_err(),
            "the URL must start with https://"
        );
        let error = glue::validate_settings::<Echo>(r#"{"url": 3}"#).unwrap_err();
        assert!(error.starts_with("setting `url`: invalid type"), "{error}");
        let error = glue::validate_settings::<Echo>("{}").unwrap_err();
        assert_eq!(error, "settings: missing field `url`");
    }

    #[test]
    fn delivery_reaches_the_channel_with_parsed_settings() {
        let message = Message::example();
        let delivered = testing_deliver::<Echo>(r#"{"url":"https://x"}"#, &message).unwrap();
        assert_eq!(delivered.reference.as_deref(), Some(message.id.as_str()));
        assert_eq!(
            testing_deliver::<Echo>(r#"{"url":"https://x","loud":true}"#, &message).unwrap_err(),
            DeliveryError::retryable("too loud")
        );
        assert!(
            !glue::deliver::<Echo>("[]", &message)
                .unwrap_err()
                .is_retryable()
        );
    }
}
