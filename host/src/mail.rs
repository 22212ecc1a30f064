//! Mail the server sends through the operator's relay: notifications (for the email notifier
//! plugin, through `plugins::capabilities::mail`) and, later, the server's own messages
//! (password resets).
//!
//! The relay is the operator's: `smtp_url` (`smtp://127.0.0.1:2525` for a relay on the same
//! machine, `smtp://host:587?tls=required` for STARTTLS, `smtps://user:password@host:465` for
//! TLS from the start, credentials in the URL), and every message comes `From` the operator's
//! `mail_from`. Only this module reads either; a plugin that asks the host to send a message
//! gives a recipient, a subject, the text (and HTML) and a few header fields, nothing more.
//! Sending is blocking SMTP (lettre's), so callers run it where blocking is allowed: a plugin
//! call, the blocking pool.
//!
//! It knows nothing of configuration files, users or plugins: a foundation, below both.

use std::time::Duration;

use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::{SmtpTransport, SmtpTransportBuilder};
use lettre::{Message, Transport};

/// The most bytes of text and HTML together one message may carry.
pub const MAX_MESSAGE_BYTES: usize = 1 << 20;
/// The most extra header fields one message may carry.
pub const MAX_EXTRA_HEADERS: usize = 16;
/// How long one message may take to send, connection and all, when the caller says nothing.
pub const DEFAULT_SEND_TIMEOUT: Duration = Duration::from_secs(30);

/// Header fields the host sets or that would add recipients: a caller's extra headers may not
/// name them (compared case-insensitively; `Content-` and `Resent-` are prefixes).
const RESERVED_HEADERS: &[&str] = &[
    "from",
    "sender",
    "to",
    "cc",
    "bcc",
    "reply-to",
    "subject",
    "date",
    "message-id",
    "mime-version",
    "return-path",
    "received",
    "dkim-signature",
    "in-reply-to",
    "references",
];

/// Why a message was not sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MailError {
    /// The relay could not take it now (unreachable, timed out, a 4xx reply): later may work.
    #[error("the mail relay could not take the message now: {0}")]
    Temporary(String),
    /// The message or its recipient was refused (a 5xx reply, a malformed address or header):
    /// sending it again will not help.
    #[error("the message was refused: {0}")]
    Permanent(String),
    /// The relay or sender address is not configured or cannot be read.
    #[error("mail is not configured: {0}")]
    NotConfigured(String),
}

impl MailError {
    /// Whether a later attempt may succeed.
    pub fn is_temporary(&self) -> bool {
        matches!(self, MailError::Temporary(_))
    }
}

/// The operator's relay and sender, ready to send. Cheap to clone.
#[derive(Clone)]
pub struct MailRelay {
    builder: SmtpTransportBuilder,
    from: Mailbox,
    /// The domain of `from`, for the `Message-ID`s the server makes.
    domain: String,
}

impl std::fmt::Debug for MailRelay {
    // The builder holds the relay's credentials: never printed.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MailRelay")
            .field("from", &self.from.to_string())
            .finish_non_exhaustive()
    }
}

impl MailRelay {
    /// The relay `smtp_url` names, sending as `mail_from`; `None` when `smtp_url` is empty
    /// (mail is off). Nothing is connected to here: a wrong URL or address is refused, a relay
    /// that is down is found out when a message is sent.
    pub fn from_settings(smtp_url: &str, mail_from: &str) -> Result<Option<Self>, MailError> {
        let smtp_url = smtp_url.trim();
        if smtp_url.is_empty() {
            return Ok(None);
        }
        if !(smtp_url.starts_with("smtp://") || smtp_url.starts_with("smtps://")) {
            return Err(MailError::NotConfigured(
                "smtp_url must start with smtp:// or smtps://".into(),
            ));
        }
        let builder = SmtpTransport::from_url(smtp_url).map_err(|e| {
            MailError::NotConfigured(format!("smtp_url cannot be read: {}", root_cause(&e)))
        })?;
        if mail_from.trim().is_empty() {
            return Err(MailError::NotConfigured(
                "mail_from must be set when smtp_url is (the address every message comes from)"
                    .into(),
            ));
        }
        let from: Mailbox = mail_from.trim().parse().map_err(|e| {
            MailError::NotConfigured(format!("mail_from '{mail_from}' is not an address: {e}"))
        })?;
        let domain = from.email.domain().to_owned();
        Ok(Some(MailRelay {
            builder,
            from,
            domain,
        }))
    }

    /// The address every message comes from.
    pub fn from_address(&self) -> String {
        self.from.to_string()
    }
}

/// One message to send.
#[derive(Debug, Clone, Default)]
pub struct OutgoingMail {
    /// One address (`ada@example.org` or `Ada <ada@example.org>`).
    pub to: String,
    /// One line.
    pub subject: String,
    pub text: String,
    /// Sent beside the text as `multipart/alternative` when given.
    pub html: Option<String>,
    /// More header fields (`List-Unsubscribe`); none that the host sets or that adds
    /// recipients.
    pub headers: Vec<(String, String)>,
}

/// A message the relay took.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    /// The `Message-ID` the server gave it, with its angle brackets.
    pub message_id: String,
    /// The relay's reply code (`250`).
    pub reply_code: u16,
}

/// Sends a plain message (and its HTML, when given) to `to`: the function the server's own
/// mail uses. Returns the `Message-ID`.
pub fn send_mail(
    relay: &MailRelay,
    to: &str,
    subject: &str,
    text: &str,
    html: Option<&str>,
) -> Result<String, MailError> {
    let mail = OutgoingMail {
        to: to.to_owned(),
        subject: subject.to_owned(),
        text: text.to_owned(),
        html: html.map(str::to_owned),
        headers: Vec::new(),
    };
    send(relay, &mail, DEFAULT_SEND_TIMEOUT).map(|sent| sent.message_id)
}

/// Checks `mail`, builds it and hands it to the relay, giving the whole exchange at most
/// `timeout`.
pub fn send(relay: &MailRelay, mail: &OutgoingMail, timeout: Duration) -> Result<Sent, MailError> {
    let (message, message_id) = build(relay, mail)?;
    let transport = relay
        .builder
        .clone()
        .timeout(Some(timeout.max(Duration::from_millis(1))))
        .build();
    match transport.send(&message) {
        Ok(response) => Ok(Sent {
            message_id,
            reply_code: u16::from(response.code()),
        }),
        Err(e) if e.is_permanent() => Err(MailError::Permanent(root_cause(&e))),
        Err(e) => Err(MailError::Temporary(root_cause(&e))),
    }
}

/// The message as it goes on the wire, and its `Message-ID`.
fn build(relay: &MailRelay, mail: &OutgoingMail) -> Result<(Message, String), MailError> {
    let refuse = |why: String| Err(MailError::Permanent(why));
    let to: Mailbox = match mail.to.trim().parse() {
        Ok(to) => to,
        Err(e) => return refuse(format!("'{}' is not an address: {e}", mail.to)),
    };
    if mail.subject.contains(['\r', '\n']) {
        return refuse("the subject is more than one line".into());
    }
    let size = mail.text.len() + mail.html.as_ref().map_or(0, String::len);
    if size > MAX_MESSAGE_BYTES {
        return refuse(format!(
            "the message is {size} bytes; the most is {MAX_MESSAGE_BYTES}"
        ));
    }
    if mail.headers.len() > MAX_EXTRA_HEADERS {
        return refuse(format!(
            "{} header fields; the most is {MAX_EXTRA_HEADERS}",
            mail.headers.len()
        ));
    }
    let message_id = format!("<{}@{}>", uuid::Uuid::new_v4().simple(), relay.domain);
    let mut builder = Message::builder()
        .from(relay.from.clone())
        .to(to)
        .subject(mail.subject.clone())
        .message_id(Some(message_id.clone()))
        .date_now();
    for (name, value) in &mail.headers {
        check_header(name, value).map_err(MailError::Permanent)?;
        let name = HeaderName::new_from_ascii(name.clone())
            .map_err(|_| MailError::Permanent(format!("'{name}' is not a header name")))?;
        builder = builder.raw_header(HeaderValue::new(name, value.clone()));
    }
    let message = match &mail.html {
        Some(html) => builder.multipart(MultiPart::alternative_plain_html(
            mail.text.clone(),
            html.clone(),
        )),
        None => builder
            .header(ContentType::TEXT_PLAIN)
            .body(mail.text.clone()),
    }
    .map_err(|e| MailError::Permanent(format!("the message cannot be built: {e}")))?;
    Ok((message, message_id))
}

/// Whether a caller may add this header field: a name of letters, digits and `-` that the
/// host does not set itself, and a value of one line.
pub fn check_header(name: &str, value: &str) -> Result<(), String> {
    let name_ok = (1..=76).contains(&name.len())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
    if !name_ok {
        return Err(format!("'{name}' is not a header name"));
    }
    let lower = name.to_ascii_lowercase();
    if RESERVED_HEADERS.contains(&lower.as_str())
        || lower.starts_with("content-")
        || lower.starts_with("resent-")
    {
        return Err(format!("the header {name} is the server's to set"));
    }
    if value.contains(['\r', '\n']) || value.len() > 998 {
        return Err(format!(
            "the value of {name} is not one line of at most 998 bytes"
        ));
    }
    Ok(())
}

fn root_cause(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let more = cause.to_string();
        if !text.contains(&more) {
            text = format!("{text}: {more}");
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn relay() -> MailRelay {
        MailRelay::from_settings("smtp://127.0.0.1:2525", "Tessera <tessera@example.org>")
            .unwrap()
            .unwrap()
    }

    #[test]
    fn the_relay_is_read_from_its_settings() {
        assert!(MailRelay::from_settings("", "").unwrap().is_none());
        assert!(MailRelay::from_settings("smtp://127.0.0.1:2525", "").is_err());
        assert!(MailRelay::from_settings("http://x", "a@example.org").is_err());
        assert!(MailRelay::from_settings("smtp://127.0.0.1", "not an address").is_err());
        let relay =
            MailRelay::from_settings("smtps://user:hunter2@mail.example.org", "a@example.org")
                .unwrap()
                .unwrap();
        assert!(!format!("{relay:?}").contains("hunter2"));
        assert_eq!(relay.from_address(), "a@example.org");
    }

    #[test]
    fn a_message_carries_both_parts_and_the_headers_given() {
        let mail = OutgoingMail {
            to: "Ada <ada@example.org>".into(),
            subject: "Shared with you".into(),
            text: "Plain text".into(),
            html: Some("<p>HTML</p>".into()),
            headers: vec![("List-Unsubscribe".into(), "<https://x/u>".into())],
        };
        let (message, id) = build(&relay(), &mail).unwrap();
        let wire = String::from_utf8(message.formatted()).unwrap();
        assert!(id.ends_with("@example.org>"), "{id}");
        for expected in [
            "From: Tessera <tessera@example.org>",
            "To: Ada <ada@example.org>",
            "Subject: Shared with you",
            "List-Unsubscribe: <https://x/u>",
            "multipart/alternative",
            "Plain text",
            "<p>HTML</p>",
        ] {
            assert!(wire.contains(expected), "{expected} in {wire}");
        }
        assert!(wire.contains(&format!("Message-ID: {id}")), "{wire}");
    }

    #[test]
    fn what_would_add_recipients_or_break_the_message_is_refused() {
        let base = OutgoingMail {
            to: "ada@example.org".into(),
            subject: "s".into(),
            text: "t".into(),
            ..Default::default()
        };
        for (name, value) in [
            ("Bcc", "eve@example.org"),
            ("content-type", "text/html"),
            ("X-Ok", "one\r\nBcc: eve@example.org"),
            ("Bad Name", "x"),
            ("Resent-To", "eve@example.org"),
        ] {
            let mail = OutgoingMail {
                headers: vec![(name.into(), value.into())],
                ..base.clone()
            };
            assert!(
                matches!(build(&relay(), &mail), Err(MailError::Permanent(_))),
                "{name}"
            );
        }
        let two_lines = OutgoingMail {
            subject: "a\nBcc: eve@example.org".into(),
            ..base.clone()
        };
        assert!(build(&relay(), &two_lines).is_err());
        let nobody = OutgoingMail {
            to: "nobody".into(),
            ..base.clone()
        };
        assert!(build(&relay(), &nobody).is_err());
        let huge = OutgoingMail {
            text: "x".repeat(MAX_MESSAGE_BYTES + 1),
            ..base
        };
        assert!(build(&relay(), &huge).is_err());
    }

    #[test]
    fn a_relay_that_is_not_there_is_a_temporary_failure() {
        // Port 9 (discard) on loopback: nothing listens there on a test machine.
        let relay = MailRelay::from_settings("smtp://127.0.0.1:9", "a@example.org")
            .unwrap()
            .unwrap();
        let failure = send_mail(&relay, "b@example.org", "s", "t", None).unwrap_err();
        assert!(failure.is_temporary(), "{failure}");
    }
}
