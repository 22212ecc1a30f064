//! The outbound unit: `wasi:http/outgoing-handler`, through which a notifier plugin sends HTTP
//! requests (a webhook's POST, a chat message), every one of them checked and sent by the
//! host itself.
//!
//! What a plugin may reach is what its manifest asks (`outbound_hosts`) as far as an
//! administrator approved it: host names (`hooks.slack.com`), `*.` and a domain for any of its
//! subdomains (`*.example.org`), or `*` for any host, which is how a channel whose address its
//! users give (a webhook) asks, and which an administrator must approve as such. Exporters may
//! not ask for any. Whatever the grant, the address a host name resolves to must be public
//! unless the operator's `outbound_allow` setting says otherwise ([`crate::outbound`]): the
//! host connects only to the addresses it checked, so a name that resolves elsewhere a moment
//! later (DNS rebinding) gets nowhere.
//!
//! The host sends the request itself (hyper, HTTP/1.1; TLS with rustls and the system's
//! roots) and follows no redirect: a `3xx` is the plugin's answer, and a request to where it
//! points is checked like any other. Limits per call: at most [`MAX_REQUESTS_PER_CALL`]
//! requests, each within [`REQUEST_TIMEOUT`] and the rest of the plugin's time budget (the
//! plugin's deadline cannot interrupt the host while it waits for an answer, so the host's own
//! deadline is never later), and at most [`MAX_RESPONSE_BYTES`] of each answer's body. What a
//! plugin sends is bounded by its memory and time.
//!
//! A request refused by the grant, the address guard or the count fails the plugin's call as a
//! whole, naming the host and why ([`OutboundState::refusal`], turned into
//! `PluginError::NotGranted` by the caller), whatever the plugin makes of the error it gets.

use std::pin::Pin;
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body::{Body, Frame};
use http_body_util::BodyExt;
use wasmtime::component::Linker;
use wasmtime_wasi::{WasiCtxBuilder, WasiView};
use wasmtime_wasi_http::{
    Error as HttpError, RequestOptions, WasiBody, WasiHttpCtx, WasiHttpHooks, WasiHttpView,
};

use super::unit::Capability;
use crate::outbound::{OutboundAllow, OutboundError, is_host_name, normalise_host};
use crate::plugins::error::PluginError;
use crate::plugins::manifest::{Capabilities, Manifest, PluginKind};

/// The most requests one call may send; the next is refused.
pub const MAX_REQUESTS_PER_CALL: usize = 4;
/// The longest one request may take, from looking up its host to the last byte of its answer.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// The most bytes of an answer's body the host reads; past them the body fails.
pub const MAX_RESPONSE_BYTES: u64 = 1 << 20;

/// The outbound unit, with the operator's exceptions to the address guard.
#[derive(Debug, Clone, Default)]
pub struct Outbound {
    allow: Arc<OutboundAllow>,
}

impl Outbound {
    pub fn new(allow: OutboundAllow) -> Self {
        Self {
            allow: Arc::new(allow),
        }
    }
}

/// One pattern of `outbound_hosts`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostPattern {
    /// `*`: any host (whose addresses the guard still checks).
    Any,
    /// `*.example.org`: any subdomain of it (not the domain itself).
    SubdomainsOf(String),
    /// `hooks.example.org`, or an address.
    Exactly(String),
}

impl HostPattern {
    pub fn parse(text: &str) -> Result<Self, String> {
        if text == "*" {
            return Ok(HostPattern::Any);
        }
        if let Some(domain) = text.strip_prefix("*.") {
            if is_host_name(domain) && domain.contains('.') {
                return Ok(HostPattern::SubdomainsOf(normalise_host(domain)));
            }
        } else if is_host_name(text) || normalise_host(text).parse::<std::net::IpAddr>().is_ok() {
            return Ok(HostPattern::Exactly(normalise_host(text)));
        }
        Err(format!(
            "'{text}' is not a host name, '*.' and a domain, or '*' (no scheme, port or path)"
        ))
    }

    pub fn matches(&self, host: &str) -> bool {
        let host = normalise_host(host);
        match self {
            HostPattern::Any => true,
            HostPattern::SubdomainsOf(domain) => host
                .strip_suffix(domain.as_str())
                .is_some_and(|rest| rest.len() > 1 && rest.ends_with('.')),
            HostPattern::Exactly(name) => host == *name,
        }
    }
}

/// The hosts one plugin may reach, and its time budget per call (which bounds every request).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundGrant {
    pub hosts: Vec<HostPattern>,
    pub time_ms: u64,
}

/// One store's HTTP context, and the guard every request of it passes.
pub struct OutboundState {
    ctx: WasiHttpCtx,
    guard: Guard,
}

impl OutboundState {
    /// What wasmtime-wasi-http works on, given the table of the store's WASI resources (its
    /// bodies are WASI streams).
    pub fn view<'a>(
        &'a mut self,
        table: &'a mut wasmtime::component::ResourceTable,
    ) -> wasmtime_wasi_http::WasiHttpCtxView<'a> {
        wasmtime_wasi_http::WasiHttpCtxView {
            ctx: &mut self.ctx,
            table,
            hooks: &mut self.guard,
        }
    }

    /// Why a request of this call was refused, when one was: the first refusal.
    pub fn refusal(&self) -> Option<String> {
        lock(&self.guard.refusals).first().cloned()
    }

    /// How many requests this call sent (or tried to).
    pub fn requests(&self) -> usize {
        self.guard.sent
    }
}

/// The hooks wasmtime-wasi-http calls for every request: the grant, the count, the deadline,
/// and the host's own sender.
struct Guard {
    hosts: Vec<HostPattern>,
    allow: Arc<OutboundAllow>,
    /// The end of this call's time budget.
    deadline: Instant,
    sent: usize,
    /// Filled by the request futures too, which run apart from the store.
    refusals: Arc<Mutex<Vec<String>>>,
}

fn lock(refusals: &Mutex<Vec<String>>) -> std::sync::MutexGuard<'_, Vec<String>> {
    refusals
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

type SendFuture = Box<
    dyn Future<
            Output = Result<
                (
                    http::Response<WasiBody>,
                    Box<dyn Future<Output = Result<(), HttpError>> + Send>,
                ),
                HttpError,
            >,
        > + Send,
>;

impl Guard {
    fn refuse(&self, reason: String) -> SendFuture {
        lock(&self.refusals).push(reason);
        Box::new(async { Err(HttpError::HttpRequestDenied) })
    }
}

impl WasiHttpHooks for Guard {
    fn send_request(
        &mut self,
        mut request: http::Request<WasiBody>,
        _options: Option<RequestOptions>,
        _fut: Box<dyn Future<Output = Result<(), HttpError>> + Send>,
    ) -> SendFuture {
        self.sent += 1;
        let uri = request.uri().clone();
        let host = uri.host().unwrap_or_default().to_owned();
        if self.sent > MAX_REQUESTS_PER_CALL {
            return self.refuse(format!(
                "{host}: more than {MAX_REQUESTS_PER_CALL} requests in one call"
            ));
        }
        if host.is_empty() {
            return self.refuse("a request without a host".into());
        }
        if !self.hosts.iter().any(|pattern| pattern.matches(&host)) {
            return self.refuse(format!(
                "{host}: not among the hosts this plugin was granted"
            ));
        }
        let https = uri.scheme() == Some(&http::uri::Scheme::HTTPS);
        let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
        let left = self.deadline.saturating_duration_since(Instant::now());
        let budget = left.min(REQUEST_TIMEOUT);
        let deadline = tokio::time::Instant::now() + budget;
        let allow = self.allow.clone();
        let refusals = self.refusals.clone();
        // On the wire the request line carries only the path; the host is in `Host`.
        let path = uri
            .path_and_query()
            .map_or("/", http::uri::PathAndQuery::as_str)
            .to_owned();
        Box::new(async move {
            if budget.is_zero() {
                return Err(HttpError::ConnectionTimeout);
            }
            let stream = match crate::outbound::connect(&host, port, &allow, budget).await {
                Ok(stream) => stream,
                Err(OutboundError::Refused(refused)) => {
                    lock(&refusals).push(refused.to_string());
                    return Err(HttpError::HttpRequestDenied);
                }
                Err(OutboundError::Unreachable { reason, .. }) => {
                    tracing::debug!(%host, %reason, "a plugin's request found no one");
                    return Err(HttpError::ConnectionRefused);
                }
            };
            *request.uri_mut() = path.parse().map_err(|_| HttpError::HttpRequestUriInvalid)?;
            let talk = async {
                if https {
                    let server_name = server_name(&host)?;
                    let tls = tokio_rustls::TlsConnector::from(tls_config()?)
                        .connect(server_name, stream)
                        .await
                        .map_err(HttpError::Tls)?;
                    exchange(request, tls, deadline).await
                } else {
                    exchange(request, stream, deadline).await
                }
            };
            match tokio::time::timeout_at(deadline, talk).await {
                Ok(result) => result,
                Err(_) => Err(HttpError::ConnectionReadTimeout),
            }
        })
    }
}

/// Sends `request` over `stream` and returns the answer's head, its body capped at
/// [`MAX_RESPONSE_BYTES`] and `deadline`, and the connection's driver, also bounded by the
/// deadline.
async fn exchange<S>(
    request: http::Request<WasiBody>,
    stream: S,
    deadline: tokio::time::Instant,
) -> Result<
    (
        http::Response<WasiBody>,
        Box<dyn Future<Output = Result<(), HttpError>> + Send>,
    ),
    HttpError,
>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Send + Unpin + 'static,
{
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(wasmtime_wasi_http::io::TokioIo::new(stream))
            .await
            .map_err(HttpError::from)?;
    let driver = tokio::spawn(async move {
        match tokio::time::timeout_at(deadline, connection).await {
            Ok(result) => result.map_err(HttpError::from),
            Err(_) => Err(HttpError::ConnectionReadTimeout),
        }
    });
    let response = sender
        .send_request(request)
        .await
        .map_err(HttpError::from)?;
    let response = response.map(|incoming| {
        Capped {
            inner: incoming,
            left: MAX_RESPONSE_BYTES,
            deadline: Box::pin(tokio::time::sleep_until(deadline)),
        }
        .boxed_unsync()
    });
    let finished: Box<dyn Future<Output = Result<(), HttpError>> + Send> = Box::new(async move {
        match driver.await {
            Ok(result) => result,
            Err(e) => Err(HttpError::InternalError(Some(e.to_string()))),
        }
    });
    Ok((response, finished))
}

/// An answer's body, failing past [`MAX_RESPONSE_BYTES`] or the request's deadline.
struct Capped {
    inner: hyper::body::Incoming,
    left: u64,
    deadline: Pin<Box<tokio::time::Sleep>>,
}

impl Body for Capped {
    type Data = Bytes;
    type Error = HttpError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, HttpError>>> {
        if self.deadline.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Some(Err(HttpError::ConnectionReadTimeout)));
        }
        match Pin::new(&mut self.inner).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                let size = frame.data_ref().map_or(0, |data| data.len() as u64);
                if size > self.left {
                    return Poll::Ready(Some(Err(HttpError::HttpResponseBodySize(Some(
                        MAX_RESPONSE_BYTES,
                    )))));
                }
                self.left -= size;
                Poll::Ready(Some(Ok(frame)))
            }
            Poll::Ready(Some(Err(e))) => Poll::Ready(Some(Err(HttpError::from(e)))),
            Poll::Ready(None) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }
}

/// The name the server's certificate must carry: the host name, or the address.
fn server_name(host: &str) -> Result<rustls::pki_types::ServerName<'static>, HttpError> {
    let bare = normalise_host(host);
    if let Ok(ip) = bare.parse::<std::net::IpAddr>() {
        return Ok(rustls::pki_types::ServerName::from(ip));
    }
    rustls::pki_types::ServerName::try_from(bare)
        .map_err(|_| HttpError::InternalError(Some(format!("'{host}' is not a TLS name"))))
}

/// One TLS client configuration per process: ring's cryptography, the system's roots.
fn tls_config() -> Result<Arc<rustls::ClientConfig>, HttpError> {
    static CONFIG: OnceLock<Result<Arc<rustls::ClientConfig>, String>> = OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let mut roots = rustls::RootCertStore::empty();
            let found = rustls_native_certs::load_native_certs();
            let (added, _ignored) = roots.add_parsable_certificates(found.certs);
            if added == 0 {
                return Err("no trusted root certificates found on this system".into());
            }
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let config = rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .map_err(|e| e.to_string())?
                .with_root_certificates(roots)
                .with_no_client_auth();
            Ok(Arc::new(config))
        })
        .clone()
        .map_err(|e| HttpError::InternalError(Some(e)))
}

impl Capability for Outbound {
    type Grant = OutboundGrant;
    type State = OutboundState;

    fn validate(manifest: &Manifest, approved: &Capabilities) -> Result<OutboundGrant, String> {
        let asked = &manifest.capabilities.outbound_hosts;
        if !asked.is_empty() && manifest.kind == PluginKind::Exporter {
            return Err(format!(
                "plugin '{}': an exporter gets no network, but the manifest asks for \
                 outbound_hosts",
                manifest.id
            ));
        }
        for host in asked {
            HostPattern::parse(host)
                .map_err(|e| format!("plugin '{}': outbound_hosts: {e}", manifest.id))?;
        }
        let hosts = approved
            .outbound_hosts
            .iter()
            .map(|host| HostPattern::parse(host))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("plugin '{}': outbound_hosts: {e}", manifest.id))?;
        Ok(OutboundGrant {
            hosts,
            time_ms: manifest.capabilities.time_ms,
        })
    }

    fn link<T: WasiView + WasiHttpView + 'static>(
        linker: &mut Linker<T>,
        _state: fn(&mut T) -> &mut OutboundState,
    ) -> wasmtime::Result<()> {
        // wasmtime-wasi-http finds its state through the store data's `WasiHttpView`, which
        // hands over this unit's `OutboundState::view`.
        wasmtime_wasi_http::p2::add_only_http_to_linker_sync(linker)
    }

    fn instantiate(
        &self,
        grant: &OutboundGrant,
        _wasi: &mut WasiCtxBuilder,
    ) -> Result<OutboundState, PluginError> {
        Ok(OutboundState {
            ctx: WasiHttpCtx::new(),
            guard: Guard {
                hosts: grant.hosts.clone(),
                allow: self.allow.clone(),
                deadline: Instant::now() + Duration::from_millis(grant.time_ms),
                sent: 0,
                refusals: Arc::default(),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_patterns_match_names_subdomains_or_anything() {
        let any = HostPattern::parse("*").unwrap();
        assert!(any.matches("example.org") && any.matches("127.0.0.1"));
        let sub = HostPattern::parse("*.Example.org").unwrap();
        assert!(sub.matches("hooks.example.org"));
        assert!(sub.matches("a.b.example.org."));
        assert!(!sub.matches("example.org"));
        assert!(!sub.matches("badexample.org"));
        let exact = HostPattern::parse("hooks.slack.com").unwrap();
        assert!(exact.matches("HOOKS.slack.com"));
        assert!(!exact.matches("evil.hooks.slack.com"));
        assert!(HostPattern::parse("::1").unwrap().matches("[::1]"));
        for bad in [
            "https://x.org",
            "x.org:443",
            "x.org/path",
            "*.org",
            "",
            "a b",
        ] {
            assert!(HostPattern::parse(bad).is_err(), "{bad}");
        }
    }
}
