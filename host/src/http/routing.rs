//! Route tables grouped by path: each path is one resource holding every method it serves, so
//! that a method it does not serve answers `405 Method Not Allowed` with an `Allow` header
//! (RFC 9110, section 15.5.6) instead of falling through to "no such endpoint".
//!
//! Registering each method as a resource of its own (actix-web's `route(path, ...)`) makes a
//! path with a wrong method look unrouted: `TRACE /api/v1/datasets` answered 404 (issue 14,
//! item 26).
//!
//! Every endpoint also records itself, with its full path, in the process's [`registered`]
//! table when an app registers it: the router's own table, which tests walk (every route is
//! guarded, every route is documented) instead of trusting a list kept by hand.
//!
//! An endpoint takes only handlers that decide access in their type: the first argument an
//! access extractor, the others inert ([`Guarded`]), or a handler the table marks as open to
//! anyone with [`public`]. A handler that decides nothing does not compile here.

use actix_web::dev::HttpServiceFactory;
use actix_web::http::Method;
use actix_web::http::header::{ALLOW, HeaderValue};
use actix_web::{FromRequest, Handler, HttpRequest, Resource, Responder, ResponseError, web};

use crate::http::access::{Guarded, Public};
use crate::http::error::{ApiError, ErrorCode};

/// One path and the methods it serves.
pub struct Endpoint {
    resource: Resource,
    /// The path as clients write it: the scope's prefix and the resource's pattern.
    full_path: String,
    methods: Vec<Method>,
}

/// Starts the resource of `path` at the root; add its methods, then register it.
pub fn path(path: &str) -> Endpoint {
    scoped("", path)
}

/// Starts the resource of `path` inside the scope `prefix` it is registered in.
pub fn scoped(prefix: &str, path: &str) -> Endpoint {
    Endpoint {
        resource: web::resource(path),
        full_path: format!("{prefix}{path}"),
        methods: Vec::new(),
    }
}

/// A route as the router serves it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Route {
    /// The full path pattern, `/api/v1/datasets/{id}`.
    pub path: String,
    /// The methods it serves, upper case.
    pub methods: Vec<String>,
}

static REGISTERED: std::sync::Mutex<std::collections::BTreeSet<Route>> =
    std::sync::Mutex::new(std::collections::BTreeSet::new());

/// Every route an app built in this process has registered (the same for every app: the
/// route table is code), in path order.
pub fn registered() -> Vec<Route> {
    REGISTERED
        .lock()
        .map(|routes| routes.iter().cloned().collect())
        .unwrap_or_default()
}

impl Endpoint {
    fn method<F, Args>(mut self, method: Method, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + Guarded + 'static,
        F::Output: Responder + 'static,
    {
        self.resource = self.resource.route(web::method(method.clone()).to(handler));
        self.methods.push(method);
        self
    }

    pub fn get<F, Args>(self, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + Guarded + 'static,
        F::Output: Responder + 'static,
    {
        self.method(Method::GET, handler)
    }

    pub fn post<F, Args>(self, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + Guarded + 'static,
        F::Output: Responder + 'static,
    {
        self.method(Method::POST, handler)
    }

    pub fn patch<F, Args>(self, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + Guarded + 'static,
        F::Output: Responder + 'static,
    {
        self.method(Method::PATCH, handler)
    }

    pub fn delete<F, Args>(self, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + Guarded + 'static,
        F::Output: Responder + 'static,
    {
        self.method(Method::DELETE, handler)
    }

    pub fn put<F, Args>(self, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + Guarded + 'static,
        F::Output: Responder + 'static,
    {
        self.method(Method::PUT, handler)
    }
}

/// A handler anyone may call (sign-in, the API document, health checks, a link's own routes,
/// the pages' scripts), said so where the route is registered; it runs as it is, after the
/// [`Public`] marker that lets the route table take it.
pub fn public<F>(handler: F) -> Open<F> {
    Open(handler)
}

/// A handler [`public`] opened to anyone.
#[derive(Clone)]
pub struct Open<F>(F);

impl<F, Args> Handler<(Public, Args)> for Open<F>
where
    F: Handler<Args>,
{
    type Output = F::Output;
    type Future = F::Future;

    fn call(&self, (_, args): (Public, Args)) -> Self::Future {
        self.0.call(args)
    }
}

impl HttpServiceFactory for Endpoint {
    fn register(self, config: &mut actix_web::dev::AppService) {
        if let Ok(mut routes) = REGISTERED.lock() {
            routes.insert(Route {
                path: self.full_path.clone(),
                methods: self.methods.iter().map(|m| m.as_str().to_owned()).collect(),
            });
        }
        let allow = self
            .methods
            .iter()
            .map(Method::as_str)
            .collect::<Vec<_>>()
            .join(", ");
        self.resource
            .default_service(web::to(move |req: HttpRequest| {
                let allow = allow.clone();
                async move { method_not_allowed(&req, &allow) }
            }))
            .register(config)
    }
}

fn method_not_allowed(req: &HttpRequest, allow: &str) -> actix_web::HttpResponse {
    let err = ApiError::new(
        ErrorCode::MethodNotAllowed,
        format!(
            "{} is not allowed here; this path takes {allow}",
            req.method()
        ),
    );
    let mut response = err.error_response();
    if let Ok(value) = HeaderValue::from_str(allow) {
        response.headers_mut().insert(ALLOW, value);
    }
    response
}
