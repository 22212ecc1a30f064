//! Builds the actix-web application: the one function both `tessera serve` and the
//! integration tests call, so the tests exercise exactly what runs in production.

use std::time::Instant;

use actix_web::body::BoxBody;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::{Next, NormalizePath, TrailingSlash};
use actix_web::{App, Error, web};
use futures_util::FutureExt;

use crate::http::api;
use crate::http::error::{json_error_handler, path_error_handler, query_error_handler};
use crate::state::AppState;

pub fn build_app(
    state: AppState,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = Error,
        InitError = (),
    >,
> {
    let metrics = state.metrics.clone();
    App::new()
        .app_data(web::Data::new(state))
        .app_data(
            web::JsonConfig::default()
                .limit(1 << 20)
                .error_handler(json_error_handler),
        )
        .app_data(web::QueryConfig::default().error_handler(query_error_handler))
        .app_data(web::PathConfig::default().error_handler(path_error_handler))
        .configure(crate::http::openapi::routes)
        .configure(api::routes)
        .configure(crate::http::pages::routes)
        .default_service(web::to(api::not_found))
        .wrap(actix_web::middleware::from_fn(errors_as_pages))
        .wrap(actix_web::middleware::from_fn(security_headers))
        .wrap(NormalizePath::new(TrailingSlash::Trim))
        .wrap_fn(move |req, srv| {
            let started = Instant::now();
            let method = req.method().to_string();
            let route = req
                .match_pattern()
                .unwrap_or_else(|| "unmatched".to_owned());
            let metrics = metrics.clone();
            actix_web::dev::Service::call(srv, req).map(move |result| {
                let status = match &result {
                    Ok(response) => response.status().as_u16(),
                    Err(err) => err.as_response_error().status_code().as_u16(),
                };
                metrics.observe(&method, &route, status, started.elapsed());
                result
            })
        })
}

/// A browser that opens an address and meets an error gets it as a page, with the sentence
/// the API would give, never as raw JSON: an unknown address, a used-up download, a refusal.
/// Only where the request asks for HTML (`Accept: text/html`, as a browser's navigation does)
/// and outside `/api/`; scripts and API clients keep the JSON they read. The status and the
/// headers that explain it (`Retry-After`, `Content-Range`, `Allow`) are kept.
async fn errors_as_pages(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let wants_page = !req.path().starts_with("/api/")
        && req
            .headers()
            .get(header::ACCEPT)
            .and_then(|accept| accept.to_str().ok())
            .is_some_and(|accept| accept.contains("text/html"));
    let response = next.call(req).await?.map_into_boxed_body();
    let status = response.status();
    let json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|kind| kind.as_bytes().starts_with(b"application/json"));
    if !wants_page || !json || !(status.is_client_error() || status.is_server_error()) {
        return Ok(response);
    }
    let (req, res) = response.into_parts();
    let kept: Vec<(header::HeaderName, HeaderValue)> =
        [header::RETRY_AFTER, header::CONTENT_RANGE, header::ALLOW]
            .into_iter()
            .filter_map(|name| res.headers().get(&name).cloned().map(|value| (name, value)))
            .collect();
    let body = actix_web::body::to_bytes(res.into_body())
        .await
        .unwrap_or_default();
    let error: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    let code = error["error"]["code"].as_str().unwrap_or("internal");
    let message = error["error"]["message"].as_str().unwrap_or_default();
    let mut page = crate::http::pages::failure_page(None, status, code == "internal", message);
    for (name, value) in kept {
        page.headers_mut().insert(name, value);
    }
    Ok(ServiceResponse::new(req, page))
}

/// Headers every response carries, errors included.
///
/// An error a middleware returns as an `Err` is only turned into a response after every
/// middleware has returned, so headers added here would miss it (issue 14, item 13); refusals
/// come from extractors (access is decided in them, `crate::http::access`), whose errors are
/// responses by the time they get here. A response that names no caching policy is not
/// stored: answers carry people's data (rows, link metadata, exports), and only the static
/// assets say otherwise. With an `https` public address, browsers are told to keep to HTTPS.
async fn security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let https = req
        .app_data::<web::Data<AppState>>()
        .is_some_and(|state| state.config.public_url.starts_with("https://"));
    let mut response = next.call(req).await?.map_into_boxed_body();
    let headers = response.headers_mut();
    for (name, value) in [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "no-referrer"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::CACHE_CONTROL, "no-store"),
    ] {
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    }
    if https {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    Ok(response)
}

/// Set on every accepted connection (`HttpServer::on_connect`): responses that stream their
/// body (downloads, exports) write the headers and the body separately, and with Nagle's
/// algorithm on, the body would wait for the client's delayed acknowledgement of the headers.
/// The connection's own address is kept for [`LocalAddress`](crate::http::client::LocalAddress).
pub fn on_connect(connection: &dyn std::any::Any, data: &mut actix_web::dev::Extensions) {
    let Some(tcp) = connection.downcast_ref::<actix_web::rt::net::TcpStream>() else {
        return;
    };
    if let Err(err) = tcp.set_nodelay(true) {
        tracing::debug!(error = %err, "cannot set TCP_NODELAY");
    }
    if let Ok(local) = tcp.local_addr() {
        data.insert(crate::http::client::LocalAddress(local));
    }
}
