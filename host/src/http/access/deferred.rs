//! `Deferred<E>`: an extractor `E` (a JSON body, a query string, raw bytes) run only when the
//! handler asks, after the access decision; see the parent module for why.

use std::marker::PhantomData;

use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpRequest, web};

use super::Inert;
use crate::http::error::{ApiError, ErrorCode};

/// An extractor that may wait for the access decision, and whether it reads the body (a query
/// string must leave the payload to the body's own reader, a form's parts, say).
pub trait Later: FromRequest {
    const READS_BODY: bool;
}

impl<T: serde::de::DeserializeOwned + 'static> Later for web::Json<T> {
    const READS_BODY: bool = true;
}
impl<T: serde::de::DeserializeOwned + 'static> Later for web::Query<T> {
    const READS_BODY: bool = false;
}
impl Later for web::Bytes {
    const READS_BODY: bool = true;
}

/// A JSON body, read once access is decided. The names end as actix-web's do (`Json`,
/// `Query`), which is how utoipa tells a body or a query string in a handler's arguments.
pub type Json<T> = Deferred<web::Json<T>>;
/// A query string, read once access is decided.
pub type Query<T> = Deferred<web::Query<T>>;
/// The raw body, read once access is decided.
pub type Bytes = Deferred<web::Bytes>;

/// The request's body or query string, to be read with `E` once access is decided.
pub struct Deferred<E> {
    req: HttpRequest,
    payload: Payload,
    extractor: PhantomData<fn() -> E>,
}

impl<E: Later> Deferred<E> {
    /// Runs `E` now, with the app's configuration for it (the JSON and query error handlers of
    /// `crate::http::app`), so its errors answer exactly as they would have as an argument.
    pub async fn read(mut self) -> Result<E, ApiError> {
        E::from_request(&self.req, &mut self.payload)
            .await
            .map_err(|err| refusal(err.into()))
    }
}

/// An extractor's error as the catalogue's: the app's error handlers already make each an
/// [`ApiError`]; the byte-reading extractors, which have none, keep their status and message.
fn refusal(err: actix_web::Error) -> ApiError {
    if let Some(api) = err.as_error::<ApiError>() {
        return api.clone();
    }
    let code = match err.as_response_error().status_code() {
        StatusCode::PAYLOAD_TOO_LARGE => ErrorCode::PayloadTooLarge,
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ErrorCode::UnsupportedMediaType,
        StatusCode::NOT_FOUND => ErrorCode::NotFound,
        status if status.is_client_error() => ErrorCode::BadRequest,
        _ => return ApiError::internal(err),
    };
    ApiError::new(code, err.to_string())
}

impl<E: Later> FromRequest for Deferred<E> {
    type Error = std::convert::Infallible;
    type Future = std::future::Ready<Result<Self, Self::Error>>;

    /// Takes hold of the payload if `E` reads it; reads nothing.
    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        std::future::ready(Ok(Deferred {
            req: req.clone(),
            payload: if E::READS_BODY {
                payload.take()
            } else {
                Payload::None
            },
            extractor: PhantomData,
        }))
    }
}

impl<E> Inert for Deferred<E> {}
