//! The email notification channel: one message per notification, sent through the server's
//! relay (the host's `mail` interface), with a plain-text part and an HTML part.
//!
//! The subject is the notification's title; the text is its body, the address of the thing
//! concerned and, when the host gives one, the unsubscribe address, which also goes in a
//! `List-Unsubscribe` header (RFC 2369) so that mail programs offer it as a button. The HTML
//! part says the same with links; every piece of text in it is escaped.
//!
//! Settings: `{}` sends to the person's own address as Tessera knows it (`recipient-email`);
//! `{"address": "..."}` sends elsewhere. Which of the two a server lets people choose is the
//! notification preferences' business; an address a person types in should be confirmed
//! there before it is used.

use schemars::JsonSchema;
use serde::Deserialize;
use tessera_plugin_sdk::mail::{self, MailMessage};
use tessera_plugin_sdk::{Delivery, DeliveryError, Message, Notifier, NotifierInfo};

struct Email;

/// Where the mail goes.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
#[schemars(title = "Email")]
struct EmailSettings {
    /// Another address to send these notifications to; left out, they go to your own.
    #[schemars(title = "Address", length(min = 3, max = 254), email)]
    address: Option<String>,
}

impl Notifier for Email {
    type Settings = EmailSettings;

    fn info() -> NotifierInfo {
        NotifierInfo::new(
            "email",
            "Email",
            "An email per notification, with a link to what it is about",
        )
        .with_settings::<EmailSettings>()
    }

    fn check(settings: &EmailSettings) -> Result<(), String> {
        match &settings.address {
            Some(address) if !looks_like_an_address(address) => {
                Err(format!("“{address}” is not an email address"))
            }
            _ => Ok(()),
        }
    }

    fn deliver(settings: EmailSettings, message: &Message) -> Result<Delivery, DeliveryError> {
        let to = settings
            .address
            .or_else(|| message.recipient_email.clone())
            .ok_or_else(|| {
                DeliveryError::permanent("there is no address to send to: none in the settings, none known for the person")
            })?;
        let mail = compose(&to, message);
        let id = mail::send(&mail)?;
        Ok(Delivery {
            status: None,
            reference: Some(id),
        })
    }
}

tessera_plugin_sdk::export_notifier!(Email);

/// Enough of an address to catch a slip (RFC 5322's full grammar is the relay's business).
fn looks_like_an_address(text: &str) -> bool {
    match text.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !text
                    .chars()
                    .any(|c| c.is_whitespace() || c.is_control() || "<>,;\"".contains(c))
        }
        None => false,
    }
}

/// The message for `to`: subject, both parts, and the unsubscribe header.
fn compose(to: &str, message: &Message) -> MailMessage {
    // The subject is one line, whatever the title holds.
    let subject: String = message
        .title
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();

    let mut text = format!("{}\n\n{}\n", message.body.trim_end(), message.url);
    let mut html = String::from("<!doctype html>\n<html><body>\n");
    for paragraph in message.body.split("\n\n").filter(|p| !p.trim().is_empty()) {
        html.push_str("<p>");
        html.push_str(&escape(paragraph.trim()).replace('\n', "<br>\n"));
        html.push_str("</p>\n");
    }
    html.push_str(&format!(
        "<p><a href=\"{}\">Open in Tessera</a></p>\n",
        escape(&message.url)
    ));
    let mut mail = MailMessage::new(to, subject, String::new());
    if let Some(unsubscribe) = &message.unsubscribe_url {
        text.push_str(&format!(
            "\n-- \nYou get this email because of your notification settings.\n\
             To stop emails like this one: {unsubscribe}\n"
        ));
        html.push_str(&format!(
            "<hr>\n<p><small>You get this email because of your notification settings. \
             <a href=\"{}\">Stop emails like this one</a>.</small></p>\n",
            escape(unsubscribe)
        ));
        mail = mail.header("List-Unsubscribe", format!("<{unsubscribe}>"));
    }
    html.push_str("</body></html>\n");
    mail.text = text;
    // Sent by a machine, not a person: auto-responders stay quiet (RFC 3834).
    mail.html(html).header("Auto-Submitted", "auto-generated")
}

/// Text for HTML, in content and in attribute values.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use tessera_plugin_sdk::testing_deliver;

    #[test]
    fn a_notification_becomes_one_mail_with_both_parts_and_the_unsubscribe_link() {
        let message = Message::example();
        let delivered = testing_deliver::<Email>("{}", &message).unwrap();
        let sent = mail::testing::sent();
        assert_eq!(sent.len(), 1);
        let mail = &sent[0];
        assert_eq!(delivered.reference.as_deref(), Some("<test-1@localhost>"));
        assert_eq!(mail.to, "grace@example.org");
        assert_eq!(mail.subject, "Shared with you");
        let unsubscribe = message.unsubscribe_url.as_deref().unwrap();
        assert!(
            mail.text
                .contains("Ada Lovelace shared “Trial results” with you.")
        );
        assert!(mail.text.contains(&message.url));
        assert!(mail.text.contains(unsubscribe));
        let html = mail.html.as_deref().unwrap();
        assert!(html.contains(&format!("<a href=\"{}\">", message.url)));
        assert!(html.contains(&escape(unsubscribe)), "{html}");
        assert!(
            mail.headers
                .contains(&("List-Unsubscribe".into(), format!("<{unsubscribe}>")))
        );
    }

    #[test]
    fn html_is_escaped_and_the_subject_is_one_line() {
        let message = Message {
            title: "Line\r\nBcc: eve@example.org".into(),
            body: "<script>alert(1)</script> & more".into(),
            unsubscribe_url: None,
            ..Message::example()
        };
        let mail = compose("a@example.org", &message);
        assert!(!mail.subject.contains('\n') && !mail.subject.contains('\r'));
        let html = mail.html.unwrap();
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; more"));
        assert!(!html.contains("<script>"));
        assert!(
            !mail
                .headers
                .iter()
                .any(|(name, _)| name == "List-Unsubscribe")
        );
    }

    #[test]
    fn the_address_comes_from_the_settings_or_the_person() {
        testing_deliver::<Email>(r#"{"address":"lab@example.org"}"#, &Message::example()).unwrap();
        assert_eq!(mail::testing::sent()[0].to, "lab@example.org");
        let nobody = Message {
            recipient_email: None,
            ..Message::example()
        };
        let failure = testing_deliver::<Email>("{}", &nobody).unwrap_err();
        assert!(!failure.is_retryable());
        let typo = testing_deliver::<Email>(r#"{"address":"lab at example"}"#, &nobody);
        assert!(
            typo.unwrap_err()
                .message()
                .contains("is not an email address")
        );
    }

    #[test]
    fn a_relay_that_is_down_is_worth_another_attempt() {
        mail::testing::fail_with(Some(mail::MailError::Temporary("451 try later".into())));
        let failure = testing_deliver::<Email>("{}", &Message::example()).unwrap_err();
        assert!(failure.is_retryable());
        mail::testing::fail_with(None);
    }
}
