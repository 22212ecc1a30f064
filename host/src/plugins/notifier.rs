//! Notification channels as plugins: a notifier component loaded and described
//! ([`LoadedNotifier`]), the settings a person gives a channel checked ([`check_settings`]),
//! and one message delivered by it ([`deliver`]).
//!
//! This is the whole interface the rest of the server has to a channel. Which events become
//! messages, for whom, the preferences, the outbox and its retries are the notification
//! domain's; what a channel may reach is the capability units' (`outbound`, `mail`). Every call
//! runs in a fresh store with the plugin's memory and time limits, as an export does, so a
//! plugin that traps, loops, eats memory or reaches for a host or for mail it was not granted
//! fails that one delivery ([`DeliveryFailure::Plugin`]) and nothing else; the next call, of
//! this plugin or another, starts clean.
//!
//! The calls are synchronous and block while the plugin waits for a receiver (at most its
//! time budget): call them where blocking is allowed, such as `tokio::task::spawn_blocking`.
//! [`LoadedNotifier`] is `Send + Sync` and cheap to share (`Arc`).

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use wasmtime::Store;

use super::bindings::{Delivery, DeliveryError, Notifier, NotifierMessageV, NotifierPre};
use super::capabilities::{Grants, InstanceState};
use super::error::PluginError;
use super::manifest::Manifest;
use super::runtime::{PluginRuntime, classify};

pub use super::bindings::NotifierInfo;

/// The most characters of a plugin's own words (a failure's message, a receipt's reference)
/// kept: they end up in logs and in the attempt log.
const MAX_PLUGIN_TEXT: usize = 1000;

/// A compiled notifier, described and granted, ready to deliver.
pub struct LoadedNotifier {
    pub manifest: Manifest,
    /// What its instances get: the manifest's requests, less anything not approved.
    pub grants: Grants,
    /// What it said of itself when it was loaded.
    pub info: NotifierInfo,
    /// Hex SHA-256 of the component file.
    pub component_sha256: String,
    /// `folder` or `installed`.
    pub source: &'static str,
    pre: NotifierPre<InstanceState>,
    runtime: PluginRuntime,
    /// The settings schema, compiled.
    settings_validator: Arc<jsonschema::Validator>,
}

impl LoadedNotifier {
    /// Describes a linked notifier component in a fresh store (with nothing but memory and
    /// time: describing reaches nothing), checks what it says against its manifest and
    /// compiles its settings schema.
    pub fn load(
        runtime: &PluginRuntime,
        manifest: Manifest,
        grants: Grants,
        pre: NotifierPre<InstanceState>,
        component_sha256: String,
        source: &'static str,
    ) -> Result<Self, PluginError> {
        let mut store = runtime.store(&grants.without_access())?;
        let notifier = instantiate(&pre, &mut store)?;
        let info = notifier
            .describe(&mut store)
            .map_err(|e| classify(e, store.data()))?;
        validate_info(&info, &manifest.id)?;
        let settings_validator = Arc::new(compile_settings_schema(&info)?);
        Ok(Self {
            manifest,
            grants,
            info,
            component_sha256,
            source,
            pre,
            runtime: runtime.clone(),
            settings_validator,
        })
    }

    /// The settings' problems as the schema sees them, each naming the setting by its title.
    fn schema_problems(&self, settings: &serde_json::Value) -> Vec<String> {
        let schema: serde_json::Value =
            serde_json::from_str(&self.info.settings_schema).unwrap_or_default();
        self.settings_validator
            .iter_errors(settings)
            .take(10)
            .map(|error| {
                let path = error.instance_path().to_string();
                let title = path
                    .strip_prefix('/')
                    .filter(|name| !name.contains('/'))
                    .and_then(|name| schema["properties"][name]["title"].as_str());
                match (path.is_empty(), title) {
                    (true, _) => format!("settings: {error}"),
                    (false, Some(title)) => format!("“{title}” (settings{path}): {error}"),
                    (false, None) => format!("settings{path}: {error}"),
                }
            })
            .collect()
    }
}

/// What a channel says of itself: its id, name, one-line description and settings schema.
pub fn describe(plugin: &LoadedNotifier) -> NotifierInfo {
    plugin.info.clone()
}

/// Checks settings a person gives the channel, before they are stored: against the plugin's
/// schema, then by the plugin itself (`validate-settings`, in a fresh store that reaches
/// nothing). The refusal ([`PluginError::InvalidOptions`]) says what is wrong, for the person
/// who gave them; any other error is the plugin failing.
pub fn check_settings(
    plugin: &LoadedNotifier,
    settings: &serde_json::Value,
) -> Result<(), PluginError> {
    let problems = plugin.schema_problems(settings);
    if !problems.is_empty() {
        return Err(PluginError::InvalidOptions(problems.join("; ")));
    }
    let mut store = plugin.runtime.store(&plugin.grants.without_access())?;
    let notifier = instantiate(&plugin.pre, &mut store)?;
    let verdict = notifier
        .validate_settings(&mut store, &settings.to_string())
        .map_err(|e| classify(e, store.data()))?;
    verdict.map_err(|reason| PluginError::InvalidOptions(bounded(reason)))
}

/// One message for one person, as the host gives it to a channel (see the WIT record
/// `message` of `tessera:plugin@0.3.0`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NotifierMessage {
    /// Stable id of this delivery, the same on every attempt (the Standard Webhooks
    /// `webhook-id`), so that a receiver can drop what it already took.
    pub id: String,
    /// The kind of event: `share.granted`, `link.downloaded`, `export.done`...
    pub kind: String,
    /// When it happened, milliseconds since the Unix epoch.
    pub occurred_at: i64,
    /// When this attempt is made, milliseconds since the Unix epoch.
    pub attempt_at: i64,
    /// One plain sentence.
    pub title: String,
    /// Plain text, a few lines.
    pub body: String,
    /// Absolute address of the thing concerned.
    pub url: String,
    pub recipient_name: String,
    pub recipient_email: Option<String>,
    /// Absolute address that stops messages of this kind to this person.
    pub unsubscribe_url: Option<String>,
    /// The event, as a JSON object.
    pub payload: serde_json::Value,
}

impl NotifierMessage {
    fn to_wit(&self) -> NotifierMessageV {
        NotifierMessageV {
            id: self.id.clone(),
            kind: self.kind.clone(),
            occurred_at: self.occurred_at,
            attempt_at: self.attempt_at,
            title: self.title.clone(),
            body: self.body.clone(),
            url: self.url.clone(),
            recipient_name: self.recipient_name.clone(),
            recipient_email: self.recipient_email.clone(),
            unsubscribe_url: self.unsubscribe_url.clone(),
            payload: self.payload.to_string(),
        }
    }
}

/// A message the channel took.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryReceipt {
    /// What the receiver answered, in its protocol's terms (an HTTP status, an SMTP code).
    pub status: Option<u16>,
    /// What the receiver called the message (a `Message-ID`), or a short note.
    pub reference: Option<String>,
}

/// A message the channel did not take.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryFailure {
    /// The plugin says a later attempt may work (a timeout, a 5xx or 429 answer).
    #[error("not delivered, may work later: {0}")]
    Retryable(String),
    /// The plugin says trying again will not help (a 4xx answer, unusable settings).
    #[error("not delivered: {0}")]
    Permanent(String),
    /// The plugin itself failed: trapped, ran out of time or memory, reached for a host or
    /// for mail it was not granted, or returned garbage.
    #[error(transparent)]
    Plugin(#[from] PluginError),
}

impl DeliveryFailure {
    /// Whether the outbox should try again later. A plugin that ran out of time was most
    /// likely waiting for a slow receiver, so that is worth another attempt; a plugin that
    /// trapped, flooded its memory or reached for what it was not granted will do it again.
    pub fn is_retryable(&self) -> bool {
        match self {
            DeliveryFailure::Retryable(_) => true,
            DeliveryFailure::Permanent(_) => false,
            DeliveryFailure::Plugin(error) => matches!(error, PluginError::Timeout(_)),
        }
    }
}

/// Delivers `message` by `plugin` as `settings` say, in a fresh store with the plugin's grants.
/// Settings that no longer fit the plugin's schema (a plugin updated since they were stored)
/// fail as [`DeliveryFailure::Permanent`] without running the plugin.
pub fn deliver(
    plugin: &LoadedNotifier,
    settings: &serde_json::Value,
    message: &NotifierMessage,
) -> Result<DeliveryReceipt, DeliveryFailure> {
    let problems = plugin.schema_problems(settings);
    if !problems.is_empty() {
        return Err(DeliveryFailure::Permanent(format!(
            "the channel's settings no longer fit it: {}",
            problems.join("; ")
        )));
    }
    let mut store = plugin.runtime.store(&plugin.grants)?;
    let notifier = instantiate(&plugin.pre, &mut store)?;
    let result = notifier.deliver(&mut store, &settings.to_string(), &message.to_wit());
    // A refused host or mail fails the delivery whatever the plugin made of the refusal.
    store.data().check_refusals()?;
    store.data().check_scratch()?;
    match result {
        Err(trap) => Err(DeliveryFailure::Plugin(classify(trap, store.data()))),
        Ok(Ok(Delivery { status, reference })) => Ok(DeliveryReceipt {
            status,
            reference: reference.map(bounded),
        }),
        Ok(Err(DeliveryError::Retryable(reason))) => {
            Err(DeliveryFailure::Retryable(bounded(reason)))
        }
        Ok(Err(DeliveryError::Permanent(reason))) => {
            Err(DeliveryFailure::Permanent(bounded(reason)))
        }
    }
}

fn instantiate(
    pre: &NotifierPre<InstanceState>,
    store: &mut Store<InstanceState>,
) -> Result<Notifier, PluginError> {
    pre.instantiate(store)
        .map_err(|e| classify(e, store.data()))
}

/// A plugin's words, cut to [`MAX_PLUGIN_TEXT`] characters.
fn bounded(text: String) -> String {
    if text.chars().count() <= MAX_PLUGIN_TEXT {
        return text;
    }
    let mut cut: String = text.chars().take(MAX_PLUGIN_TEXT).collect();
    cut.push('…');
    cut
}

/// Checks what a notifier says of itself against its manifest: the same id, a name and a
/// description of one line each, a settings schema that is a JSON object.
pub fn validate_info(info: &NotifierInfo, manifest_id: &str) -> Result<(), PluginError> {
    if info.id != manifest_id {
        return Err(PluginError::BadOutput(format!(
            "describe() names notifier '{}' but the manifest says '{manifest_id}'",
            info.id
        )));
    }
    let one_line = |text: &str, most: usize| {
        !text.trim().is_empty()
            && text.chars().count() <= most
            && !text.chars().any(char::is_control)
    };
    if !one_line(&info.name, 100) {
        return Err(PluginError::BadOutput(
            "describe() gives no name, or one that is not one short line".into(),
        ));
    }
    if !one_line(&info.description, 300) {
        return Err(PluginError::BadOutput(
            "describe() gives no description, or one that is not one line".into(),
        ));
    }
    Ok(())
}

fn compile_settings_schema(info: &NotifierInfo) -> Result<jsonschema::Validator, PluginError> {
    let schema: serde_json::Value = serde_json::from_str(&info.settings_schema)
        .map_err(|e| PluginError::BadOutput(format!("the settings schema is not JSON: {e}")))?;
    if !schema.is_object() {
        return Err(PluginError::BadOutput(
            "the settings schema is not a JSON object".into(),
        ));
    }
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .build(&schema)
        .map_err(|e| PluginError::BadOutput(format!("the settings schema is not valid: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_notifier_can_be_shared_with_a_blocking_worker() {
        fn shared<T: Send + Sync + 'static>() {}
        shared::<LoadedNotifier>();
        shared::<NotifierMessage>();
        fn sent<T: Send + 'static>() {}
        sent::<Result<DeliveryReceipt, DeliveryFailure>>();
    }

    #[test]
    fn what_a_notifier_says_of_itself_is_checked() {
        let info = |id: &str, name: &str, schema: &str| NotifierInfo {
            id: id.into(),
            name: name.into(),
            description: "Posts to a URL".into(),
            settings_schema: schema.into(),
        };
        assert!(validate_info(&info("hook", "Webhook", "{}"), "hook").is_ok());
        assert!(validate_info(&info("other", "Webhook", "{}"), "hook").is_err());
        assert!(validate_info(&info("hook", "Web\r\nhook", "{}"), "hook").is_err());
        assert!(validate_info(&info("hook", " ", "{}"), "hook").is_err());
        assert!(compile_settings_schema(&info("h", "H", "[]")).is_err());
        assert!(compile_settings_schema(&info("h", "H", "not json")).is_err());
        assert!(compile_settings_schema(&info("h", "H", r#"{"type":"object"}"#)).is_ok());
    }

    #[test]
    fn only_a_timeout_among_plugin_failures_is_worth_retrying() {
        assert!(DeliveryFailure::Retryable("503".into()).is_retryable());
        assert!(!DeliveryFailure::Permanent("404".into()).is_retryable());
        assert!(DeliveryFailure::Plugin(PluginError::Timeout(1)).is_retryable());
        assert!(!DeliveryFailure::Plugin(PluginError::Trapped("x".into())).is_retryable());
        assert!(!DeliveryFailure::Plugin(PluginError::NotGranted("x".into())).is_retryable());
        assert_eq!(bounded("é".repeat(1001)).chars().count(), 1001);
    }
}
