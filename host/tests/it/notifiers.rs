//! Issue 17, "Channels are plugins" and "Real parts in the tests": the first-party notifier
//! plugins deliver to real receivers that the tests start on loopback, and the host's guards
//! hold against a plugin that reaches further than it may.
//!
//! - Email goes through a real SMTP server (Debian's `python3-aiosmtpd`,
//!   `host/tests/notifiers/smtp_receiver.py`), and the test reads what arrived as Python's own
//!   `email` package reads it: the headers, both parts, and an unsubscribe link that still
//!   leads where it should.
//! - Webhook and chat messages go to a real HTTP server (`http_receiver.py`); the webhook's
//!   signature is checked there by the Standard Webhooks reference library from PyPI
//!   (`standardwebhooks`, written independently of Tessera), and the receiver answers 500, then
//!   200, to prove the retry and its unchanged `webhook-id`.
//! - The outbound guard: loopback refused unless `outbound_allow` names it, a host outside the
//!   plugin's approved list refused whatever the operator allows.
//! - A hostile notifier (`plugins/hostile/rogue`) that loops, floods, traps or reaches for a
//!   host or for mail it was not granted fails its own call only, and a good notifier on the
//!   same runtime delivers right after.
//!
//! `scripts/setup` installs the two Python packages; every call runs as the outbox will run it,
//! on the blocking pool (`spawn_blocking`).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tessera::mail::MailRelay;
use tessera::outbound::OutboundAllow;
use tessera::plugins::notifier::{self, DeliveryFailure, DeliveryReceipt, NotifierMessage};
use tessera::plugins::{LoadedNotifier, PluginError, PluginRegistry, PluginRuntime};

use crate::common::{Backend, TestApp};
use crate::plugins::built;

/// A receiver the test started; killed when dropped.
pub struct Receiver {
    child: Child,
    pub port: u16,
    out: tempfile::TempDir,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Receiver {
    /// What an HTTP receiver recorded, oldest first.
    pub fn requests(&self) -> Vec<Value> {
        std::fs::read_to_string(self.out.path().join("requests.jsonl"))
            .unwrap_or_default()
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect()
    }

    /// The `n`th message the SMTP receiver took (from 1), waiting a little for it.
    pub fn mail(&self, n: usize) -> Value {
        let path = self.out.path().join(format!("{n}.json"));
        for _ in 0..100 {
            if let Ok(text) = std::fs::read_to_string(&path) {
                return serde_json::from_str(&text).unwrap();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("no message {n} arrived at the SMTP receiver");
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }
}

fn tests_folder() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/notifiers")
}

/// A Python that can import `module`: the one on the path (where `pip` puts the Standard
/// Webhooks library), or Debian's (where `python3-aiosmtpd` is).
fn python_with(module: &str) -> &'static str {
    for python in ["python3", "/usr/bin/python3"] {
        let found = Command::new(python)
            .args(["-c", &format!("import {module}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success());
        if found {
            return python;
        }
    }
    panic!(
        "no Python here can import {module}: run scripts/setup (it installs python3-aiosmtpd and \
         host/tests/notifiers/requirements.txt)"
    );
}

/// Starts `script` of `host/tests/notifiers/` with a folder of its own and `args`, and waits
/// for the port it prints.
pub fn start(module: &str, script: &str, args: &[&str]) -> Receiver {
    let out = tempfile::tempdir().unwrap();
    let mut child = Command::new(python_with(module))
        .arg(tests_folder().join(script))
        .arg(out.path())
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let port = line
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("{script} did not start: {line:?}"));
    Receiver { child, port, out }
}

pub fn http_receiver(statuses: &str, webhook_secret: Option<&str>) -> Receiver {
    let mut args = vec![statuses];
    args.extend(webhook_secret);
    start(
        if webhook_secret.is_some() {
            "standardwebhooks"
        } else {
            "json"
        },
        "http_receiver.py",
        &args,
    )
}

/// A plugin runtime as a server builds it, with the operator's `outbound_allow` and relay, and
/// these plugins (`(folder, id)`: `dist` or `dist-test`, or a folder of the test's own).
fn registry(allow: &str, relay: Option<MailRelay>, plugins: &[PathBuf]) -> PluginRegistry {
    let scratch = tempfile::tempdir().unwrap().keep();
    let runtime = PluginRuntime::new(
        &Path::new(env!("CARGO_TARGET_TMPDIR")).join("plugin-cache"),
        &scratch,
    )
    .unwrap()
    .with_outbound_allow(OutboundAllow::parse(allow).unwrap())
    .with_mail_relay(relay);
    let registry = PluginRegistry::new(runtime);
    for folder in plugins {
        registry.load_folder(folder).unwrap();
    }
    registry
}

fn shipped(id: &str) -> PathBuf {
    built("dist").join(id)
}

fn hostile(id: &str) -> PathBuf {
    built("dist-test").join(id)
}

/// A copy of a shipped plugin whose manifest asks for `outbound_hosts` instead.
fn asking_for_hosts(id: &str, hosts: &str) -> PathBuf {
    let folder = tempfile::tempdir().unwrap().keep().join(id);
    std::fs::create_dir_all(&folder).unwrap();
    for entry in std::fs::read_dir(shipped(id)).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), folder.join(entry.file_name())).unwrap();
    }
    let manifest = std::fs::read_to_string(folder.join("plugin.toml")).unwrap();
    let manifest = manifest.replace(
        "outbound_hosts = [\"*\"]",
        &format!("outbound_hosts = {hosts}"),
    );
    std::fs::write(folder.join("plugin.toml"), manifest).unwrap();
    folder
}

fn now_ms() -> i64 {
    tessera::time::now_millis()
}

fn message(id: &str) -> NotifierMessage {
    NotifierMessage {
        id: id.into(),
        kind: "share.granted".into(),
        occurred_at: now_ms() - 5_000,
        attempt_at: now_ms(),
        title: "Ada shared “Trial results” with you".into(),
        body: "Ada Lovelace shared the dataset “Trial results” with you.\n\nYou can view it."
            .into(),
        url: "https://data.example.org/datasets/ds_1".into(),
        recipient_name: "Grace Hopper".into(),
        recipient_email: Some("grace@example.org".into()),
        unsubscribe_url: None,
        payload: json!({"dataset": "ds_1", "by": "ada", "rights": "view"}),
    }
}

/// Delivers on the blocking pool, as the outbox will.
async fn deliver(
    plugin: &Arc<LoadedNotifier>,
    settings: Value,
    message: &NotifierMessage,
) -> Result<DeliveryReceipt, DeliveryFailure> {
    let plugin = plugin.clone();
    let message = message.clone();
    tokio::task::spawn_blocking(move || notifier::deliver(&plugin, &settings, &message))
        .await
        .unwrap()
}

/// The reason a delivery failed for reaching what the plugin was not granted.
fn not_granted(result: Result<DeliveryReceipt, DeliveryFailure>) -> String {
    match result {
        Err(DeliveryFailure::Plugin(PluginError::NotGranted(reason))) => reason,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// A fresh Standard Webhooks secret: `whsec_` and the base64 of 32 random bytes.
pub fn webhook_secret() -> String {
    use base64::Engine;
    let bytes: [u8; 32] = rand::random();
    format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    )
}

#[actix_web::test]
async fn email_arrives_through_a_real_smtp_server_with_both_parts_and_a_working_unsubscribe_link() {
    let smtp = start("aiosmtpd", "smtp_receiver.py", &[]);
    // The page an unsubscribe link leads to, stood in for by a receiver that records visits.
    let unsubscribe_page = http_receiver("200", None);
    let relay = MailRelay::from_settings(
        &format!("smtp://127.0.0.1:{}", smtp.port),
        "Tessera <tessera@example.org>",
    )
    .unwrap();
    let registry = registry("", relay, &[shipped("email")]);
    let email = registry.notifier("email").unwrap();

    let unsubscribe =
        unsubscribe_page.url("/notifications/unsubscribe?kind=share.granted&t=c2VjcmV0&x=1");
    let sent = NotifierMessage {
        unsubscribe_url: Some(unsubscribe.clone()),
        ..message("msg_email_1")
    };
    let receipt = deliver(&email, json!({}), &sent).await.unwrap();
    let message_id = receipt.reference.unwrap();
    assert!(message_id.ends_with("@example.org>"), "{message_id}");

    let arrived = smtp.mail(1);
    assert_eq!(arrived["rcpt_tos"], json!(["grace@example.org"]));
    assert_eq!(arrived["mail_from"], "tessera@example.org");
    let headers = &arrived["headers"];
    assert_eq!(headers["subject"], sent.title);
    assert_eq!(headers["from"], "Tessera <tessera@example.org>");
    assert_eq!(headers["to"], "grace@example.org");
    assert_eq!(headers["message-id"], message_id.as_str());
    assert_eq!(headers["list-unsubscribe"], format!("<{unsubscribe}>"));
    assert_eq!(headers["auto-submitted"], "auto-generated");
    assert_eq!(arrived["content_type"], "multipart/alternative");

    let text = arrived["text"].as_str().unwrap();
    assert!(
        text.contains("Ada Lovelace shared the dataset “Trial results” with you."),
        "{text}"
    );
    assert!(text.contains(&sent.url), "{text}");
    let html = arrived["html"].as_str().unwrap();
    assert!(
        html.contains(&format!("<a href=\"{}\">", sent.url)),
        "{html}"
    );
    assert!(
        html.contains(&format!(
            "<a href=\"{}\">",
            unsubscribe.replace('&', "&amp;")
        )),
        "{html}"
    );

    // The link in the text, as a person would copy it, still leads to the page it named.
    let link = text
        .lines()
        .find_map(|line| line.strip_prefix("To stop emails like this one: "))
        .unwrap()
        .trim();
    assert_eq!(link, unsubscribe);
    let followed = reqwest::Client::new().get(link).send().await.unwrap();
    assert_eq!(followed.status(), StatusCode::OK);
    let visits = unsubscribe_page.requests();
    assert_eq!(visits.len(), 1);
    assert_eq!(
        visits[0]["path"],
        "/notifications/unsubscribe?kind=share.granted&t=c2VjcmV0&x=1"
    );
}

#[actix_web::test]
async fn mail_without_a_relay_fails_plainly_and_a_relay_that_is_down_is_retried() {
    let registry = registry("", None, &[shipped("email")]);
    let email = registry.notifier("email").unwrap();
    let failure = deliver(&email, json!({}), &message("msg_no_relay"))
        .await
        .unwrap_err();
    assert!(!failure.is_retryable(), "{failure}");
    assert!(failure.to_string().contains("smtp_url"), "{failure}");

    // A relay nobody listens at: port 9 (discard) on loopback.
    let relay = MailRelay::from_settings("smtp://127.0.0.1:9", "tessera@example.org").unwrap();
    let registry = self::registry("", relay, &[shipped("email")]);
    let email = registry.notifier("email").unwrap();
    let failure = deliver(&email, json!({}), &message("msg_down"))
        .await
        .unwrap_err();
    assert!(
        matches!(failure, DeliveryFailure::Retryable(_)),
        "{failure:?}"
    );
}

#[actix_web::test]
async fn a_webhook_is_signed_for_the_reference_verifier_and_retried_under_the_same_id() {
    let secret = webhook_secret();
    let receiver = http_receiver("500,200", Some(&secret));
    let registry = registry("127.0.0.1", None, &[shipped("webhook")]);
    let webhook = registry.notifier("webhook").unwrap();
    let settings = json!({"url": receiver.url("/hooks/tessera?team=lab"), "secret": secret});
    let sent = message("msg_2zQ3f9LhKc1B8sVd");

    let first = deliver(&webhook, settings.clone(), &sent)
        .await
        .unwrap_err();
    assert!(
        matches!(&first, DeliveryFailure::Retryable(why) if why.contains("500")),
        "{first:?}"
    );
    assert!(first.is_retryable());
    let retry = NotifierMessage {
        attempt_at: now_ms(),
        ..sent.clone()
    };
    let receipt = deliver(&webhook, settings, &retry).await.unwrap();
    assert_eq!(receipt.status, Some(200));
    assert_eq!(receipt.reference.as_deref(), Some(sent.id.as_str()));

    let requests = receiver.requests();
    assert_eq!(requests.len(), 2, "{requests:?}");
    for (request, answered) in requests.iter().zip([500, 200]) {
        assert_eq!(request["method"], "POST");
        assert_eq!(request["path"], "/hooks/tessera?team=lab");
        assert_eq!(request["answered"], answered);
        assert_eq!(request["signature"], "verified", "{request}");
        assert_eq!(request["headers"]["webhook-id"], sent.id.as_str());
        assert_eq!(request["headers"]["content-type"], "application/json");
        let body: Value = serde_json::from_str(request["body"].as_str().unwrap()).unwrap();
        assert_eq!(body["type"], "share.granted");
        assert_eq!(body["data"]["id"], sent.id.as_str());
        assert_eq!(body["data"]["payload"], sent.payload);
    }
    assert_eq!(
        requests[1]["headers"]["webhook-timestamp"],
        (retry.attempt_at / 1000).to_string()
    );

    // A signature made with another secret is refused by the same verifier: the check is real.
    let impostor = http_receiver("200", Some(&webhook_secret()));
    let settings = json!({"url": impostor.url("/"), "secret": secret});
    deliver(&webhook, settings, &sent).await.unwrap();
    let refused = impostor.requests();
    assert!(
        refused[0]["signature"]
            .as_str()
            .unwrap()
            .starts_with("refused"),
        "{refused:?}"
    );
}

#[actix_web::test]
async fn a_chat_message_arrives_as_the_json_text_incoming_webhooks_take() {
    let receiver = http_receiver("200", None);
    let registry = registry("127.0.0.1", None, &[shipped("chat")]);
    let chat = registry.notifier("chat").unwrap();
    let sent = message("msg_chat_1");
    let receipt = deliver(&chat, json!({"url": receiver.url("/hooks/xyz")}), &sent)
        .await
        .unwrap();
    assert_eq!(receipt.status, Some(200));
    let requests = receiver.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0]["path"], "/hooks/xyz");
    assert_eq!(requests[0]["headers"]["content-type"], "application/json");
    let body: Value = serde_json::from_str(requests[0]["body"].as_str().unwrap()).unwrap();
    assert_eq!(
        body,
        json!({"text": format!("{}\n{}\n{}", sent.title, sent.body, sent.url)})
    );
}

#[actix_web::test]
async fn the_outbound_guard_refuses_loopback_unless_allowed_and_hosts_never_approved() {
    let receiver = http_receiver("200", None);
    let settings = json!({"url": receiver.url("/hooks/xyz")});

    // No `outbound_allow`: loopback is refused, after resolution, naming the host and why.
    let strict = registry("", None, &[shipped("chat")]);
    let chat = strict.notifier("chat").unwrap();
    let reason = not_granted(deliver(&chat, settings.clone(), &message("msg_a")).await);
    assert!(reason.contains("127.0.0.1"), "{reason}");
    assert!(reason.contains("loopback"), "{reason}");
    assert!(reason.contains("outbound_allow"), "{reason}");
    // Refused as a name too: `localhost` resolves to loopback.
    let by_name = json!({"url": format!("http://localhost:{}/hooks/xyz", receiver.port)});
    let reason = not_granted(deliver(&chat, by_name, &message("msg_b")).await);
    assert!(
        reason.contains("localhost") && reason.contains("loopback"),
        "{reason}"
    );
    assert!(receiver.requests().is_empty(), "nothing was connected to");

    // The operator lets 127.0.0.1 through: it goes.
    let allowing = registry("127.0.0.1", None, &[shipped("chat")]);
    let chat = allowing.notifier("chat").unwrap();
    deliver(&chat, settings.clone(), &message("msg_c"))
        .await
        .unwrap();
    assert_eq!(receiver.requests().len(), 1);

    // A plugin approved for one host reaches no other, whatever the operator allows.
    let narrow = registry(
        "127.0.0.1",
        None,
        &[asking_for_hosts("chat", "[\"hooks.slack.com\"]")],
    );
    let chat = narrow.notifier("chat").unwrap();
    let reason = not_granted(deliver(&chat, settings, &message("msg_d")).await);
    assert!(
        reason.contains("127.0.0.1") && reason.contains("not among the hosts"),
        "{reason}"
    );
    assert_eq!(
        receiver.requests().len(),
        1,
        "the refused request never left"
    );

    // The cloud's metadata service is refused as such.
    let metadata = json!({"url": "http://169.254.169.254/latest/meta-data/"});
    let reason = not_granted(
        deliver(
            &strict.notifier("chat").unwrap(),
            metadata,
            &message("msg_e"),
        )
        .await,
    );
    assert!(reason.contains("metadata"), "{reason}");
}

#[actix_web::test]
async fn a_hostile_notifier_fails_only_its_own_call() {
    let receiver = http_receiver("200", None);
    let relay = MailRelay::from_settings("smtp://127.0.0.1:9", "tessera@example.org").unwrap();
    let registry = registry("127.0.0.1", relay, &[hostile("rogue"), shipped("chat")]);
    let rogue = registry.notifier("rogue").unwrap();
    let chat = registry.notifier("chat").unwrap();
    let chat_settings = json!({"url": receiver.url("/room")});
    let mut delivered = 0;

    for act in ["loop", "flood", "trap", "reach", "mail"] {
        let settings = json!({"act": act, "url": receiver.url("/stolen")});
        let started = std::time::Instant::now();
        let failure = deliver(&rogue, settings, &message(&format!("msg_{act}")))
            .await
            .unwrap_err();
        match (act, &failure) {
            ("loop", DeliveryFailure::Plugin(PluginError::Timeout(2000))) => {
                assert!(started.elapsed() < Duration::from_secs(10));
            }
            ("flood", DeliveryFailure::Plugin(PluginError::MemoryLimit(32))) => {}
            ("trap", DeliveryFailure::Plugin(PluginError::Trapped(_))) => {}
            ("reach", DeliveryFailure::Plugin(PluginError::NotGranted(why))) => {
                assert!(why.contains("not among the hosts"), "{why}");
            }
            ("mail", DeliveryFailure::Plugin(PluginError::NotGranted(why))) => {
                assert!(why.contains("not granted mail"), "{why}");
            }
            _ => panic!("{act}: {failure:?}"),
        }
        assert!(!failure.is_retryable() || act == "loop", "{act}");
        // The good channel on the same runtime delivers right after.
        deliver(
            &chat,
            chat_settings.clone(),
            &message(&format!("msg_after_{act}")),
        )
        .await
        .unwrap();
        delivered += 1;
    }
    let requests = receiver.requests();
    assert_eq!(
        requests.len(),
        delivered,
        "only the good channel's: {requests:?}"
    );
    assert!(requests.iter().all(|r| r["path"] == "/room"));
    // Behaving, the hostile plugin itself works: its failures were its own acts.
    let behaved = deliver(&rogue, json!({"act": "behave"}), &message("msg_ok")).await;
    assert_eq!(behaved.unwrap().reference.as_deref(), Some("behaved"));
}

#[actix_web::test]
async fn settings_are_refused_with_the_reason_before_they_are_stored() {
    let registry = registry("", None, &[shipped("webhook"), shipped("email")]);
    let webhook = registry.notifier("webhook").unwrap();
    let check = |plugin: &Arc<LoadedNotifier>, settings: Value| {
        let plugin = plugin.clone();
        async move {
            tokio::task::spawn_blocking(move || notifier::check_settings(&plugin, &settings))
                .await
                .unwrap()
        }
    };
    let refusal = |result: Result<(), PluginError>| match result {
        Err(PluginError::InvalidOptions(why)) => why,
        other => panic!("expected a refusal, got {other:?}"),
    };
    // The schema: a missing secret, an unknown setting.
    let why = refusal(check(&webhook, json!({"url": "https://example.org/h"})).await);
    assert!(why.contains("secret"), "{why}");
    let why = refusal(check(&webhook, json!({"url": "https://x.org/h", "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "extra": 1})).await);
    assert!(why.contains("extra"), "{why}");
    // The plugin: what the schema cannot say.
    let not_base64 = format!("whsec_{}", "*".repeat(40));
    let why = refusal(
        check(
            &webhook,
            json!({"url": "https://x.org/h", "secret": not_base64}),
        )
        .await,
    );
    assert!(why.contains("base64"), "{why}");
    check(
        &webhook,
        json!({"url": "https://x.org/h", "secret": webhook_secret()}),
    )
    .await
    .unwrap();
    let email = registry.notifier("email").unwrap();
    check(&email, json!({})).await.unwrap();
    let why = refusal(check(&email, json!({"address": "not an address"})).await);
    assert!(why.contains("not an email address"), "{why}");

    // Settings that stopped fitting are a permanent failure, without running the plugin.
    let failure = deliver(&webhook, json!({"url": 3}), &message("msg_x"))
        .await
        .unwrap_err();
    assert!(
        matches!(failure, DeliveryFailure::Permanent(_)),
        "{failure:?}"
    );

    let info = notifier::describe(&webhook);
    assert_eq!(info.id, "webhook");
    let schema: Value = serde_json::from_str(&info.settings_schema).unwrap();
    assert_eq!(schema["properties"]["secret"]["title"], "Signing secret");
}

/// The plugins listing shows each plugin's kind; notifiers come with their settings schema,
/// and the administrator sees what they ask for.
async fn notifiers_are_listed_with_their_kind(backend: Backend) {
    let plugins = tempfile::tempdir().unwrap().keep();
    for (folder, id) in [("dist", "csv"), ("dist", "webhook"), ("dist", "email")] {
        let to = plugins.join(id);
        std::fs::create_dir_all(&to).unwrap();
        for entry in std::fs::read_dir(built(folder).join(id)).unwrap() {
            let entry = entry.unwrap();
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
    let Some(app) = TestApp::start_with(backend, |config| config.plugins_dir = plugins).await
    else {
        return;
    };
    let user = app.user("ada@example.org").await;
    let listed = app.get_json(&user, "/api/v1/plugins").await;
    let kinds: Vec<(&str, &str)> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["id"].as_str().unwrap(), p["kind"].as_str().unwrap()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("csv", "exporter"),
            ("email", "notifier"),
            ("webhook", "notifier")
        ]
    );
    let webhook = &listed[2];
    assert_eq!(webhook["api_version"], "0.3.0");
    assert!(webhook.get("media_type").is_none(), "{webhook}");
    assert_eq!(
        webhook["settings_schema"]["properties"]["url"]["type"],
        "string"
    );
    assert!(listed[0].get("settings_schema").is_none());
    assert_eq!(listed[0]["media_type"], "text/csv");
    assert!(app.state.plugins.notifier("webhook").is_some());

    let admin = app.admin("root@example.org").await;
    let response = app
        .as_user(&admin, Method::GET, "/api/v1/admin/plugins")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let admin_view: Value = response.json().await.unwrap();
    let find = |id: &str| {
        admin_view
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["id"] == id)
            .cloned()
            .unwrap()
    };
    assert_eq!(find("webhook")["kind"], "notifier");
    assert_eq!(find("webhook")["loaded"], true);
    assert_eq!(
        find("webhook")["access_requests"],
        json!(["connections to any public host"])
    );
    assert_eq!(
        find("email")["access_requests"],
        json!(["mail through the server's relay"])
    );
    assert_eq!(find("csv")["kind"], "exporter");
}

crate::on_both_backends!(notifiers_are_listed_with_their_kind);
