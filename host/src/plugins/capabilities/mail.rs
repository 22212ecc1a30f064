//! The mail unit: the `mail` interface of `tessera:plugin@0.3.0`, mail a notifier plugin asks
//! the host to send through the operator's relay ([`crate::mail`]).
//!
//! A plugin gets it only when its manifest asks (`mail = true`) and an administrator approved
//! it (for a plugin of the plugins folder, placing it there did); exporters may not ask. The
//! plugin gives the recipient, subject, text, HTML and a few header fields; the host adds
//! `From` (the operator's `mail_from`), `Date`, `Message-ID` and the MIME structure, and
//! refuses header fields that would add recipients or reshape the message. The plugin never
//! sees the relay or its credentials.
//!
//! Limits per call: at most [`MAX_MESSAGES_PER_CALL`] messages, each at most
//! [`crate::mail::MAX_MESSAGE_BYTES`] and sent within the rest of the plugin's time budget
//! (the plugin's deadline cannot interrupt the host while the relay answers). A plugin that
//! sends without the grant or past the count gets `permanent` and fails its call as a whole
//! ([`MailState::refusal`]); a relay that is down, or a server with no relay, is an ordinary
//! failure the plugin reports.

use std::sync::Arc;
use std::time::{Duration, Instant};

use wasmtime::component::Linker;
use wasmtime_wasi::{WasiCtxBuilder, WasiView};
use wasmtime_wasi_http::WasiHttpView;

use super::unit::{Capability, StateOf};
use crate::mail::{MailError, MailRelay, OutgoingMail};
use crate::plugins::bindings::v0_3_0::notifier_world::tessera::plugin::mail;
use crate::plugins::error::PluginError;
use crate::plugins::manifest::{Capabilities, Manifest, PluginKind};

/// The most messages one call may send; the next is refused.
pub const MAX_MESSAGES_PER_CALL: usize = 4;

/// The mail unit, with the operator's relay when one is configured.
#[derive(Debug, Clone, Default)]
pub struct Mail {
    relay: Option<Arc<MailRelay>>,
}

impl Mail {
    pub fn new(relay: Option<MailRelay>) -> Self {
        Self {
            relay: relay.map(Arc::new),
        }
    }
}

/// Whether a plugin may send mail, and its time budget per call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MailGrant {
    pub granted: bool,
    pub time_ms: u64,
}

/// One store's mail: the relay, what this call sent, and why the plugin was refused.
pub struct MailState {
    relay: Option<Arc<MailRelay>>,
    granted: bool,
    deadline: Instant,
    sent: usize,
    refusal: Option<String>,
}

impl MailState {
    /// Why this call was refused mail, when it was.
    pub fn refusal(&self) -> Option<String> {
        self.refusal.clone()
    }

    /// How many messages this call sent.
    pub fn sent(&self) -> usize {
        self.sent
    }

    fn refuse(&mut self, reason: String) -> mail::MailError {
        if self.refusal.is_none() {
            self.refusal = Some(reason.clone());
        }
        mail::MailError::Permanent(reason)
    }
}

impl Capability for Mail {
    type Grant = MailGrant;
    type State = MailState;

    fn validate(manifest: &Manifest, approved: &Capabilities) -> Result<MailGrant, String> {
        if manifest.capabilities.mail && manifest.kind == PluginKind::Exporter {
            return Err(format!(
                "plugin '{}': an exporter sends no mail, but the manifest asks for mail",
                manifest.id
            ));
        }
        Ok(MailGrant {
            granted: approved.mail,
            time_ms: manifest.capabilities.time_ms,
        })
    }

    fn link<T: WasiView + WasiHttpView + 'static>(
        linker: &mut Linker<T>,
        state: fn(&mut T) -> &mut MailState,
    ) -> wasmtime::Result<()> {
        mail::add_to_linker::<T, StateOf<MailState>>(linker, state)
    }

    fn instantiate(
        &self,
        grant: &MailGrant,
        _wasi: &mut WasiCtxBuilder,
    ) -> Result<MailState, PluginError> {
        Ok(MailState {
            relay: self.relay.clone(),
            granted: grant.granted,
            deadline: Instant::now() + Duration::from_millis(grant.time_ms),
            sent: 0,
            refusal: None,
        })
    }
}

impl mail::Host for MailState {
    fn send(
        &mut self,
        message: mail::MailMessage,
    ) -> wasmtime::Result<Result<String, mail::MailError>> {
        if !self.granted {
            return Ok(Err(self.refuse(
                "this plugin was not granted mail (its manifest must ask for `mail = true`, \
                 and an administrator approve it)"
                    .into(),
            )));
        }
        if self.sent >= MAX_MESSAGES_PER_CALL {
            return Ok(Err(self.refuse(format!(
                "more than {MAX_MESSAGES_PER_CALL} messages in one call"
            ))));
        }
        let Some(relay) = self.relay.clone() else {
            return Ok(Err(mail::MailError::Permanent(
                "this server sends no mail (its operator has not set smtp_url)".into(),
            )));
        };
        let left = self.deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Ok(Err(mail::MailError::Temporary(
                "no time was left to send the message".into(),
            )));
        }
        self.sent += 1;
        let outgoing = OutgoingMail {
            to: message.to,
            subject: message.subject,
            text: message.text,
            html: message.html,
            headers: message.headers,
        };
        let timeout = left.min(crate::mail::DEFAULT_SEND_TIMEOUT);
        Ok(match crate::mail::send(&relay, &outgoing, timeout) {
            Ok(sent) => Ok(sent.message_id),
            Err(MailError::Temporary(reason)) => Err(mail::MailError::Temporary(reason)),
            Err(MailError::Permanent(reason) | MailError::NotConfigured(reason)) => {
                Err(mail::MailError::Permanent(reason))
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(granted: bool, relay: Option<MailRelay>) -> MailState {
        Mail::new(relay)
            .instantiate(
                &MailGrant {
                    granted,
                    time_ms: 1000,
                },
                &mut WasiCtxBuilder::new(),
            )
            .unwrap()
    }

    fn message() -> mail::MailMessage {
        mail::MailMessage {
            to: "ada@example.org".into(),
            subject: "s".into(),
            text: "t".into(),
            html: None,
            headers: Vec::new(),
        }
    }

    #[test]
    fn mail_without_the_grant_is_refused_and_remembered() {
        let mut state = state(false, None);
        let result = mail::Host::send(&mut state, message()).unwrap();
        assert!(matches!(result, Err(mail::MailError::Permanent(_))));
        assert!(state.refusal().unwrap().contains("not granted mail"));
    }

    #[test]
    fn no_relay_is_a_failure_but_not_the_plugins_fault() {
        let mut state = state(true, None);
        let result = mail::Host::send(&mut state, message()).unwrap();
        assert!(
            matches!(&result, Err(mail::MailError::Permanent(m)) if m.contains("smtp_url")),
            "{result:?}"
        );
        assert!(state.refusal().is_none());
    }

    #[test]
    fn more_messages_than_a_call_may_send_are_refused() {
        // Port 9 on loopback: nothing listens, every send fails fast but counts.
        let relay = MailRelay::from_settings("smtp://127.0.0.1:9", "a@example.org")
            .unwrap()
            .unwrap();
        let mut state = state(true, Some(relay));
        for _ in 0..MAX_MESSAGES_PER_CALL {
            let result = mail::Host::send(&mut state, message()).unwrap();
            assert!(
                matches!(result, Err(mail::MailError::Temporary(_))),
                "{result:?}"
            );
        }
        let result = mail::Host::send(&mut state, message()).unwrap();
        assert!(matches!(result, Err(mail::MailError::Permanent(_))));
        assert!(state.refusal().unwrap().contains("more than 4 messages"));
    }
}
