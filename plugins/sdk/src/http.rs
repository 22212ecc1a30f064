//! HTTP requests from a notifier, through the host's `wasi:http/outgoing-handler`.
//!
//! One blocking call, [`send`]: a [`Request`] in, the whole [`Response`] out. The host checks
//! every request before anything is connected to: the host must be one the plugin's manifest
//! asked for and an administrator approved (`outbound_hosts`), its addresses public unless the
//! operator allowed otherwise; redirects are not followed (a `3xx` comes back as it is); a call
//! may send a few requests, each within a deadline, and read at most 1 MiB of each answer. A
//! refused request fails the plugin's whole call, whatever the plugin does with the error.
//!
//! [`Response::verdict`] turns an answer into what a channel reports, the way webhooks are
//! usually judged: `2xx` delivered; `408`, `429` and `5xx` worth another attempt; any other
//! status not.
//!
//! Natively (a plugin's `cargo test`) there is no host: requests go to [`testing`], which
//! records them and answers as the test says.

use crate::{Delivery, DeliveryError};

/// What to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// `GET`, `POST`, ...
    pub method: String,
    /// `https://host[:port]/path?query`; no user or password in it.
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    /// A `POST` of `body` to `url`.
    pub fn post(url: &str, body: impl Into<Vec<u8>>) -> Self {
        Request {
            method: "POST".into(),
            url: url.to_owned(),
            headers: Vec::new(),
            body: body.into(),
        }
    }

    /// The same request with one more header.
    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }
}

/// What came back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, Vec<u8>)>,
    pub body: Vec<u8>,
}

impl Response {
    /// An answer with this status and body, no headers (for tests).
    pub fn new(status: u16, body: impl Into<Vec<u8>>) -> Self {
        Response {
            status,
            headers: Vec::new(),
            body: body.into(),
        }
    }

    /// The first value of a header, as text.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| String::from_utf8_lossy(value).into_owned())
    }

    /// `2xx` delivered; `408`, `429` and `5xx` retryable; anything else permanent. The error
    /// quotes the start of the answer's body, which usually says why.
    pub fn verdict(&self) -> Result<Delivery, DeliveryError> {
        let status = self.status;
        if (200..300).contains(&status) {
            return Ok(Delivery::with_status(status));
        }
        let said: String = String::from_utf8_lossy(&self.body)
            .chars()
            .filter(|c| !c.is_control())
            .take(200)
            .collect();
        let message = if said.trim().is_empty() {
            format!("the receiver answered {status}")
        } else {
            format!("the receiver answered {status}: {}", said.trim())
        };
        if status == 408 || status == 429 || (500..600).contains(&status) {
            Err(DeliveryError::Retryable(message))
        } else {
            Err(DeliveryError::Permanent(message))
        }
    }
}

/// Why no answer came back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HttpError {
    /// The URL cannot be sent to (not `http`/`https`, no host, a user in it).
    BadUrl(String),
    /// The host refused the request (not granted, not a public address, too many): the call
    /// fails whatever the plugin does next.
    Refused(String),
    /// No answer in time, or the connection failed: another attempt may work.
    Unreachable(String),
}

impl std::fmt::Display for HttpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HttpError::BadUrl(why) => write!(f, "bad URL: {why}"),
            HttpError::Refused(why) => write!(f, "the request was refused: {why}"),
            HttpError::Unreachable(why) => write!(f, "no answer: {why}"),
        }
    }
}

impl std::error::Error for HttpError {}

/// A failed request as a channel reports it: unreachable is retryable, the rest permanent.
impl From<HttpError> for DeliveryError {
    fn from(error: HttpError) -> Self {
        match error {
            HttpError::Unreachable(_) => DeliveryError::Retryable(error.to_string()),
            HttpError::BadUrl(_) | HttpError::Refused(_) => {
                DeliveryError::Permanent(error.to_string())
            }
        }
    }
}

/// A URL split as `wasi:http` wants it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub https: bool,
    /// `host` or `host:port`.
    pub authority: String,
    /// `/path?query`, without the fragment.
    pub path_with_query: String,
}

/// Splits an `http://` or `https://` URL; refuses anything else, and URLs with a user.
pub fn parse_url(url: &str) -> Result<Target, HttpError> {
    let url = url.trim();
    let (https, rest) = if let Some(rest) = url.strip_prefix("https://") {
        (true, rest)
    } else if let Some(rest) = url.strip_prefix("http://") {
        (false, rest)
    } else {
        return Err(HttpError::BadUrl(
            "it must start with https:// or http://".into(),
        ));
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let authority = &rest[..end];
    if authority.is_empty() {
        return Err(HttpError::BadUrl("it names no host".into()));
    }
    if authority.contains('@') {
        return Err(HttpError::BadUrl(
            "it carries a user name or password".into(),
        ));
    }
    if authority
        .chars()
        .any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(HttpError::BadUrl("its host has spaces in it".into()));
    }
    let rest = &rest[end..];
    let without_fragment = rest.split('#').next().unwrap_or_default();
    let path_with_query = match without_fragment {
        "" => "/".to_owned(),
        query if query.starts_with('?') => format!("/{query}"),
        path => path.to_owned(),
    };
    Ok(Target {
        https,
        authority: authority.to_owned(),
        path_with_query,
    })
}

/// Sends `request` and reads the whole answer.
pub fn send(request: &Request) -> Result<Response, HttpError> {
    let target = parse_url(&request.url)?;
    imp::send(request, &target)
}

#[cfg(target_family = "wasm")]
mod imp {
    use super::{HttpError, Request, Response, Target};
    use crate::notifier_bindings::wasi::http::outgoing_handler;
    use crate::notifier_bindings::wasi::http::types::{
        ErrorCode, Fields, IncomingBody, Method, OutgoingBody, OutgoingRequest, Scheme,
    };
    use crate::notifier_bindings::wasi::io::streams::StreamError;

    /// The most bytes one blocking write may hand the host (`wasi:io/streams`).
    const WRITE_CHUNK: usize = 4096;

    fn failed(what: &str) -> HttpError {
        HttpError::Unreachable(what.to_owned())
    }

    fn from_code(code: ErrorCode) -> HttpError {
        match code {
            ErrorCode::HttpRequestDenied => {
                HttpError::Refused("the host does not let this plugin reach it".into())
            }
            other => HttpError::Unreachable(format!("{other:?}")),
        }
    }

    pub fn send(request: &Request, target: &Target) -> Result<Response, HttpError> {
        let mut entries: Vec<(String, Vec<u8>)> = request
            .headers
            .iter()
            .map(|(name, value)| (name.to_ascii_lowercase(), value.as_bytes().to_vec()))
            .collect();
        // The length is known: say it, rather than have the body sent in chunks, which some
        // receivers do not read.
        if !entries.iter().any(|(name, _)| name == "content-length") {
            entries.push((
                "content-length".into(),
                request.body.len().to_string().into_bytes(),
            ));
        }
        let headers = Fields::from_list(&entries)
            .map_err(|e| HttpError::BadUrl(format!("a header is not allowed: {e:?}")))?;
        let outgoing = OutgoingRequest::new(headers);
        let method = match request.method.to_ascii_uppercase().as_str() {
            "GET" => Method::Get,
            "POST" => Method::Post,
            "PUT" => Method::Put,
            "PATCH" => Method::Patch,
            "DELETE" => Method::Delete,
            "HEAD" => Method::Head,
            other => Method::Other(other.to_owned()),
        };
        outgoing
            .set_method(&method)
            .map_err(|()| HttpError::BadUrl(format!("method {}", request.method)))?;
        let scheme = if target.https {
            Scheme::Https
        } else {
            Scheme::Http
        };
        outgoing
            .set_scheme(Some(&scheme))
            .map_err(|()| failed("scheme"))?;
        outgoing
            .set_authority(Some(&target.authority))
            .map_err(|()| HttpError::BadUrl(format!("host {}", target.authority)))?;
        outgoing
            .set_path_with_query(Some(&target.path_with_query))
            .map_err(|()| HttpError::BadUrl(format!("path {}", target.path_with_query)))?;
        let body = outgoing.body().map_err(|()| failed("the request body"))?;
        let pending = outgoing_handler::handle(outgoing, None).map_err(from_code)?;
        {
            let stream = body
                .write()
                .map_err(|()| failed("the request body stream"))?;
            for chunk in request.body.chunks(WRITE_CHUNK) {
                stream
                    .blocking_write_and_flush(chunk)
                    .map_err(|e| failed(&format!("writing the request: {e:?}")))?;
            }
        }
        OutgoingBody::finish(body, None).map_err(from_code)?;

        let answer = loop {
            match pending.get() {
                Some(answer) => break answer,
                None => pending.subscribe().block(),
            }
        };
        let response = answer
            .map_err(|()| failed("the answer was already taken"))?
            .map_err(from_code)?;
        let status = response.status();
        let headers = response.headers().entries();
        let incoming = response
            .consume()
            .map_err(|()| failed("the answer's body"))?;
        let mut body = Vec::new();
        {
            let stream = incoming
                .stream()
                .map_err(|()| failed("the answer's body stream"))?;
            loop {
                match stream.blocking_read(64 * 1024) {
                    Ok(bytes) => body.extend_from_slice(&bytes),
                    Err(StreamError::Closed) => break,
                    Err(StreamError::LastOperationFailed(e)) => {
                        return Err(failed(&format!(
                            "reading the answer: {}",
                            e.to_debug_string()
                        )));
                    }
                }
            }
        }
        drop(IncomingBody::finish(incoming));
        Ok(Response {
            status,
            headers,
            body,
        })
    }
}

#[cfg(not(target_family = "wasm"))]
mod imp {
    use super::{HttpError, Request, Response, Target, testing};

    pub fn send(request: &Request, _target: &Target) -> Result<Response, HttpError> {
        testing::answer(request)
    }
}

/// The stand-in for the host in a plugin's native tests: what the plugin sent, and the answers
/// the test gives. Per thread, so tests running side by side do not see each other's requests.
#[cfg(not(target_family = "wasm"))]
pub mod testing {
    use super::{HttpError, Request, Response};
    use std::cell::RefCell;

    type Answer = Box<dyn FnMut(&Request) -> Result<Response, HttpError>>;

    thread_local! {
        static SENT: RefCell<Vec<Request>> = const { RefCell::new(Vec::new()) };
        static ANSWER: RefCell<Option<Answer>> = const { RefCell::new(None) };
    }

    /// Answers every request of this thread from now on with `answer`, and forgets the
    /// requests sent so far.
    pub fn answer_with(mut answer: impl FnMut(&Request) -> Response + 'static) {
        answer_or_fail_with(move |request| Ok(answer(request)));
    }

    /// Like [`answer_with`], with failures too (an unreachable receiver, a refusal).
    pub fn answer_or_fail_with(
        answer: impl FnMut(&Request) -> Result<Response, HttpError> + 'static,
    ) {
        SENT.with(|sent| sent.borrow_mut().clear());
        ANSWER.with(|slot| *slot.borrow_mut() = Some(Box::new(answer)));
    }

    /// The requests sent on this thread since the last [`answer_with`].
    pub fn requests() -> Vec<Request> {
        SENT.with(|sent| sent.borrow().clone())
    }

    pub(super) fn answer(request: &Request) -> Result<Response, HttpError> {
        SENT.with(|sent| sent.borrow_mut().push(request.clone()));
        ANSWER.with(|slot| match slot.borrow_mut().as_mut() {
            Some(answer) => answer(request),
            None => Err(HttpError::Unreachable(
                "no network in native tests: answer with http::testing::answer_with".into(),
            )),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_split_as_wasi_http_wants_them() {
        let target = parse_url("https://hooks.example.org:8443/a/b?x=1#frag").unwrap();
        assert!(target.https);
        assert_eq!(target.authority, "hooks.example.org:8443");
        assert_eq!(target.path_with_query, "/a/b?x=1");
        assert_eq!(parse_url("http://127.0.0.1").unwrap().path_with_query, "/");
        assert_eq!(parse_url("http://h?q").unwrap().path_with_query, "/?q");
        assert_eq!(parse_url("http://[::1]:80/").unwrap().authority, "[::1]:80");
        for bad in [
            "ftp://h/",
            "https:///x",
            "https://user:pw@h/",
            "h/x",
            "https://a b/",
        ] {
            assert!(parse_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn answers_are_judged_as_webhooks_are() {
        assert_eq!(Response::new(204, "").verdict().unwrap().status, Some(204));
        for retryable in [408, 429, 500, 503] {
            assert!(
                Response::new(retryable, "busy")
                    .verdict()
                    .unwrap_err()
                    .is_retryable(),
                "{retryable}"
            );
        }
        let gone = Response::new(410, "no such hook\n").verdict().unwrap_err();
        assert!(!gone.is_retryable());
        assert_eq!(gone.message(), "the receiver answered 410: no such hook");
        assert!(!Response::new(302, "").verdict().unwrap_err().is_retryable());
    }

    #[test]
    fn native_requests_go_to_the_test() {
        testing::answer_with(|request| Response::new(200, request.body.clone()));
        let answer = send(&Request::post("https://example.org/x", "hi")).unwrap();
        assert_eq!(answer.body, b"hi");
        assert_eq!(testing::requests().len(), 1);
        assert!(matches!(
            send(&Request::post("gopher://x", "")),
            Err(HttpError::BadUrl(_))
        ));
        assert_eq!(testing::requests().len(), 1, "a bad URL is never sent");
    }
}
