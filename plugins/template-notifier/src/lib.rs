//! ntfy push notifications (<https://docs.ntfy.sh/publish/>): each notification is POSTed to
//! `https://ntfy.sh/<topic>`, its body as the text, its title and link as headers, and ntfy
//! pushes it to the phones subscribed to the topic. The template for new notifiers: one
//! settings struct, one `Notifier` impl, one `export_notifier!` line, and its tests.

use schemars::JsonSchema;
use serde::Deserialize;
use tessera_plugin_sdk::http::{self, Request};
use tessera_plugin_sdk::{Delivery, DeliveryError, Message, Notifier, NotifierInfo};

struct Ntfy;

/// The settings a person gives the channel. serde reads them; the SDK derives from the same
/// struct the JSON Schema the server checks them against (doc comments are the help text).
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "ntfy")]
struct NtfySettings {
    /// The topic your phone subscribes to; anyone who knows it can read it, so make it hard
    /// to guess.
    #[schemars(
        title = "Topic",
        length(min = 8, max = 64),
        pattern(r"^[A-Za-z0-9_-]+$")
    )]
    topic: String,
}

impl Notifier for Ntfy {
    type Settings = NtfySettings;

    fn info() -> NotifierInfo {
        NotifierInfo::new(
            "ntfy",
            "ntfy push",
            "A push notification to your phone through ntfy.sh",
        )
        .with_settings::<NtfySettings>()
    }

    /// What the schema cannot say: here, nothing more to check.
    fn check(_settings: &NtfySettings) -> Result<(), String> {
        Ok(())
    }

    fn deliver(settings: NtfySettings, message: &Message) -> Result<Delivery, DeliveryError> {
        let request = Request::post(
            &format!("https://ntfy.sh/{}", settings.topic),
            message.body.clone(),
        )
        // Header values are one line of ASCII: the title goes as it is only when it is.
        .header("title", ascii_line(&message.title))
        .header("click", message.url.clone())
        .header("tags", message.kind.clone());
        // 2xx delivered; 408, 429, 5xx and no answer retried later; any other status not.
        http::send(&request)?.verdict()
    }
}

tessera_plugin_sdk::export_notifier!(Ntfy);

fn ascii_line(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii() && !c.is_ascii_control() {
                c
            } else {
                '?'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use tessera_plugin_sdk::testing_deliver;

    #[test]
    fn a_notification_is_posted_to_the_topic() {
        http::testing::answer_with(|_| http::Response::new(200, "{}"));
        let message = Message::example();
        let delivered = testing_deliver::<Ntfy>(r#"{"topic":"tessera-lab-7f3a"}"#, &message);
        assert_eq!(delivered.unwrap().status, Some(200));
        let sent = &http::testing::requests()[0];
        assert_eq!(sent.url, "https://ntfy.sh/tessera-lab-7f3a");
        assert_eq!(sent.body, message.body.as_bytes());
        assert!(
            sent.headers
                .contains(&("click".into(), message.url.clone()))
        );
    }

    #[test]
    fn a_busy_server_is_tried_again_later() {
        http::testing::answer_with(|_| http::Response::new(429, "slow down"));
        let failure =
            testing_deliver::<Ntfy>(r#"{"topic":"tessera-lab-7f3a"}"#, &Message::example());
        assert!(failure.unwrap_err().is_retryable());
    }
}
