//! The webhook notification channel: a JSON POST to a URL the person gives, signed as the
//! Standard Webhooks specification says (<https://www.standardwebhooks.com/>, "Signature
//! scheme"), so that the receiver can check it came from this server and drop repeats.
//!
//! Headers: `webhook-id` is the message's id, the same on every attempt of one delivery;
//! `webhook-timestamp` is the attempt's time in seconds; `webhook-signature` is `v1,` and the
//! base64 of the HMAC-SHA256, keyed with the secret, of `id.timestamp.body`. The secret is
//! given as the specification writes it, `whsec_` and the base64 of 24 to 64 random bytes.
//!
//! The body is the specification's recommended envelope: `type` (the event kind),
//! `timestamp` (when it happened, RFC 3339) and `data` (the message: id, title, body, URL,
//! recipient, and the event's own payload).
//!
//! The answer decides: `2xx` delivered; `408`, `429`, `5xx` and no answer at all are worth
//! another attempt; any other status is not.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use schemars::JsonSchema;
use serde::Deserialize;
use sha2::Sha256;
use tessera_plugin_sdk::http::{self, Request};
use tessera_plugin_sdk::{Delivery, DeliveryError, Message, Notifier, NotifierInfo};

struct Webhook;

/// Where to post, and the secret that signs.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "Webhook")]
struct WebhookSettings {
    /// The address the receiver listens at, https:// (or http:// where the server allows it).
    #[schemars(title = "URL", length(min = 8, max = 2048), pattern(r"^https?://"))]
    url: String,
    /// The signing secret, `whsec_` and base64, as the receiver gave it or as you made it
    /// (for example `whsec_` followed by `openssl rand -base64 32`).
    #[schemars(
        title = "Signing secret",
        length(min = 38, max = 100),
        pattern(r"^whsec_")
    )]
    secret: String,
}

impl Notifier for Webhook {
    type Settings = WebhookSettings;

    fn info() -> NotifierInfo {
        NotifierInfo::new(
            "webhook",
            "Webhook",
            "A signed JSON POST per notification (Standard Webhooks), for your own systems",
        )
        .with_settings::<WebhookSettings>()
    }

    fn check(settings: &WebhookSettings) -> Result<(), String> {
        http::parse_url(&settings.url).map_err(|e| format!("the URL: {e}"))?;
        signing_key(&settings.secret)?;
        Ok(())
    }

    fn deliver(settings: WebhookSettings, message: &Message) -> Result<Delivery, DeliveryError> {
        let key = signing_key(&settings.secret).map_err(DeliveryError::Permanent)?;
        let body = envelope(message).to_string();
        let timestamp = message.attempt_at.div_euclid(1000);
        let signature = sign(&key, &message.id, timestamp, &body);
        let request = Request::post(&settings.url, body)
            .header("content-type", "application/json")
            .header("webhook-id", message.id.clone())
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature);
        let delivered = http::send(&request)?.verdict()?;
        Ok(delivered.with_reference(message.id.clone()))
    }
}

tessera_plugin_sdk::export_notifier!(Webhook);

/// The key inside a `whsec_` secret: 24 to 64 bytes of base64.
fn signing_key(secret: &str) -> Result<Vec<u8>, String> {
    let encoded = secret
        .strip_prefix("whsec_")
        .ok_or("the signing secret must start with whsec_")?;
    let key = BASE64
        .decode(encoded)
        .map_err(|_| "the signing secret after whsec_ is not base64")?;
    if !(24..=64).contains(&key.len()) {
        return Err(format!(
            "the signing secret holds {} bytes; it should hold 24 to 64",
            key.len()
        ));
    }
    Ok(key)
}

/// `v1,` and the base64 of HMAC-SHA256(key, `id.timestamp.body`).
fn sign(key: &[u8], id: &str, timestamp: i64, body: &str) -> String {
    // HMAC takes a key of any length (RFC 2104), so `new_from_slice` cannot fail here.
    let mut mac = match Hmac::<Sha256>::new_from_slice(key) {
        Ok(mac) => mac,
        Err(_) => return String::new(),
    };
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body.as_bytes());
    format!("v1,{}", BASE64.encode(mac.finalize().into_bytes()))
}

/// The body: the Standard Webhooks envelope around the message.
fn envelope(message: &Message) -> serde_json::Value {
    let payload: serde_json::Value =
        serde_json::from_str(&message.payload).unwrap_or(serde_json::Value::Null);
    serde_json::json!({
        "type": message.kind,
        "timestamp": rfc3339(message.occurred_at),
        "data": {
            "id": message.id,
            "title": message.title,
            "body": message.body,
            "url": message.url,
            "recipient": {
                "name": message.recipient_name,
                "email": message.recipient_email,
            },
            "unsubscribe_url": message.unsubscribe_url,
            "payload": payload,
        }
    })
}

/// Milliseconds since the epoch as RFC 3339 in UTC, to the millisecond.
fn rfc3339(millis: i64) -> String {
    let seconds = millis.div_euclid(1000);
    let days = seconds.div_euclid(86_400);
    let of_day = seconds.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        of_day / 3600,
        of_day % 3600 / 60,
        of_day % 60,
        millis.rem_euclid(1000)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use tessera_plugin_sdk::testing_deliver;

    // The example of the Standard Webhooks specification's reference libraries: this secret,
    // id, timestamp and body sign to this signature.
    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    const TIMESTAMP: i64 = 1_614_265_330;
    const BODY: &str = r#"{"test": 2432232314}"#;
    const SIGNATURE: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    #[test]
    fn signatures_match_the_reference_example() {
        let key = signing_key(SECRET).unwrap();
        assert_eq!(sign(&key, ID, TIMESTAMP, BODY), SIGNATURE);
    }

    #[test]
    fn a_delivery_posts_the_signed_envelope() {
        http::testing::answer_with(|_| http::Response::new(200, "ok"));
        let message = Message::example();
        let settings = format!(r#"{{"url":"https://hooks.example.org/in","secret":"{SECRET}"}}"#);
        let delivered = testing_deliver::<Webhook>(&settings, &message).unwrap();
        assert_eq!(delivered.status, Some(200));
        let sent = &http::testing::requests()[0];
        let header = |name: &str| {
            sent.headers
                .iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.clone())
                .unwrap()
        };
        assert_eq!(header("webhook-id"), message.id);
        assert_eq!(header("webhook-timestamp"), "1767225605");
        let body = String::from_utf8(sent.body.clone()).unwrap();
        let key = signing_key(SECRET).unwrap();
        assert_eq!(
            header("webhook-signature"),
            sign(&key, &message.id, 1_767_225_605, &body)
        );
        let envelope: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(envelope["type"], "share.granted");
        assert_eq!(envelope["timestamp"], "2026-01-01T00:00:00.000Z");
        assert_eq!(envelope["data"]["payload"]["dataset"], "ds_1");
    }

    #[test]
    fn answers_decide_whether_to_try_again() {
        let settings = format!(r#"{{"url":"https://hooks.example.org/in","secret":"{SECRET}"}}"#);
        for (status, retryable) in [
            (500, true),
            (503, true),
            (429, true),
            (404, false),
            (400, false),
        ] {
            http::testing::answer_with(move |_| http::Response::new(status, "no"));
            let failure = testing_deliver::<Webhook>(&settings, &Message::example()).unwrap_err();
            assert_eq!(failure.is_retryable(), retryable, "{status}");
        }
        http::testing::answer_or_fail_with(|_| {
            Err(http::HttpError::Unreachable("timed out".into()))
        });
        let failure = testing_deliver::<Webhook>(&settings, &Message::example()).unwrap_err();
        assert!(failure.is_retryable());
    }

    #[test]
    fn settings_that_cannot_sign_or_post_are_refused() {
        for (settings, why) in [
            (
                r#"{"url":"ftp://x/y","secret":"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}"#,
                "the URL",
            ),
            (
                r#"{"url":"https://x/y","secret":"MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}"#,
                "whsec_",
            ),
            (r#"{"url":"https://x/y","secret":"whsec_!!!"}"#, "base64"),
            (
                r#"{"url":"https://x/y","secret":"whsec_c2hvcnQ="}"#,
                "24 to 64",
            ),
        ] {
            let error =
                tessera_plugin_sdk::__private_notifier::validate_settings::<Webhook>(settings)
                    .unwrap_err();
            assert!(error.contains(why), "{settings}: {error}");
        }
    }

    #[test]
    fn times_are_written_in_rfc_3339() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(951_782_400_123), "2000-02-29T00:00:00.123Z");
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59.999Z");
    }
}
