//! The chat notification channel: a message to a room through its incoming webhook, as Slack
//! (<https://api.slack.com/messaging/webhooks>) and Mattermost
//! (<https://developers.mattermost.com/integrate/webhooks/incoming/>) both accept it: a JSON
//! POST of `{"text": ...}`.
//!
//! The text is the title, the body and the address of the thing concerned, on lines of their
//! own: both chats turn a bare address into a link, and neither needs markup for that.
//!
//! The answer decides, as for any webhook: `2xx` delivered; `408`, `429`, `5xx` and no answer
//! worth another attempt; any other status (Slack's `403 invalid_token`, `404
//! no_service`) not.

use schemars::JsonSchema;
use serde::Deserialize;
use tessera_plugin_sdk::http::{self, Request};
use tessera_plugin_sdk::{Delivery, DeliveryError, Message, Notifier, NotifierInfo};

struct Chat;

/// The room's incoming webhook.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Chat")]
struct ChatSettings {
    /// The incoming-webhook address the chat gave you (Slack: `https://hooks.slack.com/...`,
    /// Mattermost: `https://<server>/hooks/...`).
    #[schemars(
        title = "Incoming webhook URL",
        length(min = 8, max = 2048),
        pattern(r"^https?://")
    )]
    url: String,
}

impl Notifier for Chat {
    type Settings = ChatSettings;

    fn info() -> NotifierInfo {
        NotifierInfo::new(
            "chat",
            "Chat room",
            "A message in a Slack or Mattermost room, through its incoming webhook",
        )
        .with_settings::<ChatSettings>()
    }

    fn check(settings: &ChatSettings) -> Result<(), String> {
        http::parse_url(&settings.url)
            .map(|_| ())
            .map_err(|e| format!("the URL: {e}"))
    }

    fn deliver(settings: ChatSettings, message: &Message) -> Result<Delivery, DeliveryError> {
        let body = serde_json::json!({ "text": text(message) }).to_string();
        let request = Request::post(&settings.url, body).header("content-type", "application/json");
        http::send(&request)?.verdict()
    }
}

tessera_plugin_sdk::export_notifier!(Chat);

/// The message as the room shows it.
fn text(message: &Message) -> String {
    let mut text = message.title.trim().to_owned();
    let body = message.body.trim();
    if !body.is_empty() && body != text {
        text.push('\n');
        text.push_str(body);
    }
    text.push('\n');
    text.push_str(&message.url);
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use tessera_plugin_sdk::testing_deliver;

    #[test]
    fn the_room_gets_title_body_and_link_as_json_text() {
        http::testing::answer_with(|_| http::Response::new(200, "ok"));
        let message = Message::example();
        let delivered =
            testing_deliver::<Chat>(r#"{"url":"https://chat.example.org/hooks/abc"}"#, &message)
                .unwrap();
        assert_eq!(delivered.status, Some(200));
        let sent = &http::testing::requests()[0];
        assert_eq!(sent.url, "https://chat.example.org/hooks/abc");
        let body: serde_json::Value = serde_json::from_slice(&sent.body).unwrap();
        assert_eq!(
            body["text"],
            "Shared with you\nAda Lovelace shared “Trial results” with you.\n\
             https://data.example.org/datasets/ds_1"
        );
        assert_eq!(body.as_object().unwrap().len(), 1);
    }

    #[test]
    fn a_hook_that_is_gone_is_not_tried_again() {
        http::testing::answer_with(|_| http::Response::new(404, "no_service"));
        let failure = testing_deliver::<Chat>(
            r#"{"url":"https://hooks.slack.com/x"}"#,
            &Message::example(),
        )
        .unwrap_err();
        assert!(!failure.is_retryable());
        assert!(failure.message().contains("no_service"));
        assert!(testing_deliver::<Chat>(r#"{"url":"slack://x"}"#, &Message::example()).is_err());
    }
}
