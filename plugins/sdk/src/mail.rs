//! Mail through the server's relay (`tessera:plugin/mail`), for a notifier whose manifest
//! asks for it (`mail = true`) and an administrator approved.
//!
//! The plugin gives the recipient, subject, text, optional HTML and a few header fields
//! (`List-Unsubscribe`); the host adds `From`, `Date`, `Message-ID` and the MIME structure and
//! sends through the relay its operator configured, which the plugin never sees. A call may
//! send at most 4 messages of at most 1 MiB each. Sending without the grant, or more than that,
//! fails the plugin's whole call.
//!
//! Natively (a plugin's `cargo test`) messages go to [`testing`] instead.

use crate::DeliveryError;

pub use crate::notifier_bindings::tessera::plugin::mail::{MailError, MailMessage};

/// Sends one message; returns the `Message-ID` the host gave it.
pub fn send(message: &MailMessage) -> Result<String, MailError> {
    imp::send(message)
}

impl MailMessage {
    /// A plain-text message to `to`.
    pub fn new(to: impl Into<String>, subject: impl Into<String>, text: impl Into<String>) -> Self {
        MailMessage {
            to: to.into(),
            subject: subject.into(),
            text: text.into(),
            html: None,
            headers: Vec::new(),
        }
    }

    /// The same message with an HTML part beside the text.
    pub fn html(mut self, html: impl Into<String>) -> Self {
        self.html = Some(html.into());
        self
    }

    /// The same message with one more header field.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }
}

/// A relay that could not take the message now is worth another attempt; a refusal is not.
impl From<MailError> for DeliveryError {
    fn from(error: MailError) -> Self {
        match error {
            MailError::Temporary(why) => DeliveryError::Retryable(why),
            MailError::Permanent(why) => DeliveryError::Permanent(why),
        }
    }
}

#[cfg(target_family = "wasm")]
mod imp {
    use super::{MailError, MailMessage};

    pub fn send(message: &MailMessage) -> Result<String, MailError> {
        crate::notifier_bindings::tessera::plugin::mail::send(message)
    }
}

#[cfg(not(target_family = "wasm"))]
mod imp {
    use super::{MailError, MailMessage, testing};

    pub fn send(message: &MailMessage) -> Result<String, MailError> {
        testing::take(message)
    }
}

/// The stand-in for the host's relay in a plugin's native tests: the messages sent on this
/// thread, and a failure to answer with.
#[cfg(not(target_family = "wasm"))]
pub mod testing {
    use super::{MailError, MailMessage};
    use std::cell::RefCell;

    thread_local! {
        static SENT: RefCell<Vec<MailMessage>> = const { RefCell::new(Vec::new()) };
        static FAILURE: RefCell<Option<MailError>> = const { RefCell::new(None) };
    }

    /// The messages sent on this thread so far.
    pub fn sent() -> Vec<MailMessage> {
        SENT.with(|sent| sent.borrow().clone())
    }

    /// Fails every message from now on with `error` (`None`: take them again).
    pub fn fail_with(error: Option<MailError>) {
        FAILURE.with(|failure| *failure.borrow_mut() = error);
    }

    pub(super) fn take(message: &MailMessage) -> Result<String, MailError> {
        if let Some(error) = FAILURE.with(|failure| failure.borrow().clone()) {
            return Err(error);
        }
        SENT.with(|sent| {
            let mut sent = sent.borrow_mut();
            sent.push(message.clone());
            Ok(format!("<test-{}@localhost>", sent.len()))
        })
    }
}
