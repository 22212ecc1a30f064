//! Where a request's access is decided: extractors that verify the caller, load the resource
//! the path names, ask the access layer ([`crate::access`]) and write the decision to the audit
//! log, before the handler runs. A handler receives the decision as a value it cannot get any
//! other way: `OnDataset<Edit>` holds the dataset, the caller and the level they hold, and
//! exists only once that level was granted. Modelled on meilisearch's `GuardedData`.
//!
//! - [`Caller`] (in [`crate::http::extract`]): a verified, active caller; `401` otherwise.
//! - [`AdminCaller`]: a site admin; a refusal is `403` and audited (`access.admin`).
//! - [`OnDataset`] at [`View`], [`Edit`] or [`Admin`]: the `{id}` dataset. A caller who cannot
//!   see it at all is told it does not exist (`404`, audited as a refusal to view); one who sees
//!   it but holds less than needed gets `403`; site admins hold admin on every dataset.
//! - [`OnExport`]: the `{id}` export job and its dataset (`404` "export" for anyone it is not
//!   for); [`OnLink`]: a share link the caller manages; [`OnTeam`], [`OnGroup`]: a team or a
//!   group, with their own rules.
//! - Pages take the same decisions through `pages::page::Page`, which sends an anonymous
//!   visitor to sign in and shows a refusal as a page.
//!
//! # Every route decides, by its type
//!
//! The route table ([`crate::http::routing`]) takes only handlers whose first argument is an
//! [`Access`] extractor, or handlers wrapped in [`crate::http::routing::public`] (sign-in, the
//! API document, health checks, the link-token routes, the pages' scripts): registering a
//! handler that decides nothing does not compile. The route-walk tests (`tests/it/routes.rs`)
//! prove the outcome on the router's own table.
//!
//! # Nothing reads the request before the decision
//!
//! actix-web polls all of a handler's extractors at once and answers with the first error, so
//! a `web::Json` or `web::Query` argument would answer `400`, `413` or `415` to someone who is
//! not signed in, or who has no rights, while the access extractor is still waiting for the
//! database: a stranger could learn what a route takes, and a caller without rights would not
//! be turned away the same way on every route. So every argument after the access extractor
//! must be [`Inert`]: it neither reads the body nor refuses the request. A body or query string
//! comes as a [`Deferred`] (`deferred::Json<T>`, `deferred::Query<T>`, `deferred::Bytes`),
//! which only takes hold of the payload; the handler reads it once it holds the decision
//! (`let request = body.read().await?`), through the app's own JSON and query configurations,
//! so their error answers are unchanged. (The `/api/v1` middleware that classified URLs gave
//! this guarantee before; issue 15 replaced it.)

mod admin;
mod dataset;
pub mod deferred;
mod export;
mod group;
mod link;
mod team;

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;

pub use crate::access::{AdminCaller, Caller};
pub use dataset::{Admin, Edit, Needs, OnDataset, View};
pub use deferred::{Deferred, Later};
pub use export::{ExportRule, OnExport, ShareFile};
pub use group::OnGroup;
pub use link::OnLink;
pub use team::{Member, OnTeam, Owner, TeamRole};

use crate::db::AnyConnection;
use crate::http::error::ApiError;
use crate::state::AppState;

/// An extractor that decides whether the request may go on: the first argument of every
/// handler the route table takes (but the public ones).
pub trait Access: FromRequest {}

/// A decision made for a verified caller. Each access extractor is one; pages reuse them
/// through `pages::page::Page`, which authenticates differently (a redirect to sign in).
pub trait Decide: Sized + 'static {
    /// Decides what `caller` may do with what the request names.
    fn decide(req: &HttpRequest, caller: Caller)
    -> LocalBoxFuture<'static, Result<Self, ApiError>>;

    /// The same decision for a page; the same unless a page says it otherwise.
    fn decide_for_page(
        req: &HttpRequest,
        caller: Caller,
    ) -> LocalBoxFuture<'static, Result<Self, ApiError>> {
        Self::decide(req, caller)
    }
}

/// Authenticates the request, then decides: what an access extractor's `from_request` does.
fn decided<D: Decide>(req: &HttpRequest) -> LocalBoxFuture<'static, Result<D, ApiError>> {
    let caller = Caller::from_request(req, &mut Payload::None);
    let req = req.clone();
    Box::pin(async move { D::decide(&req, caller.await?).await })
}

/// Makes a [`Decide`] type an access extractor: a handler's first argument, which
/// authenticates the caller and then decides ([`decided`]).
macro_rules! access_extractor {
    ($extractor:ident $(<$param:ident: $bound:ident>)?) => {
        impl$(<$param: $bound>)? actix_web::FromRequest for $extractor$(<$param>)? {
            type Error = crate::http::error::ApiError;
            type Future = futures_util::future::LocalBoxFuture<'static, Result<Self, Self::Error>>;

            fn from_request(
                req: &actix_web::HttpRequest,
                _: &mut actix_web::dev::Payload,
            ) -> Self::Future {
                super::decided(req)
            }
        }

        impl$(<$param: $bound>)? super::Access for $extractor$(<$param>)? {}
    };
}
use access_extractor;

/// A decision about what the path's `{id}` names, for `caller`: `decide` loads it and decides
/// with a connection, on the database pool. What every extractor of a resource does.
fn decide_on_path<T: Send + 'static>(
    req: &HttpRequest,
    caller: &Caller,
    decide: impl FnOnce(&mut AnyConnection, &str, &Caller) -> Result<T, ApiError> + Send + 'static,
) -> LocalBoxFuture<'static, Result<T, ApiError>> {
    let id = path_segment(req, "id");
    let state = app_state(req);
    let deciding = caller.clone();
    Box::pin(async move {
        let (id, state) = (id?, state?);
        state.db.run(move |conn| decide(conn, &id, &deciding)).await
    })
}

impl Decide for Caller {
    fn decide(_: &HttpRequest, caller: Caller) -> LocalBoxFuture<'static, Result<Self, ApiError>> {
        Box::pin(async move { Ok(caller) })
    }
}

impl Access for Caller {}

/// The first argument of a route anyone may call; it decides nothing. Routes get it through
/// [`crate::http::routing::public`], so the route table says which routes are public.
pub struct Public;

impl FromRequest for Public {
    type Error = std::convert::Infallible;
    type Future = std::future::Ready<Result<Self, Self::Error>>;

    fn from_request(_: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(Ok(Public))
    }
}

/// An extractor that may run beside an access decision: it reads nothing of the request's
/// body or query string and cannot refuse the request (see the module's documentation).
pub trait Inert {}

impl<T: ?Sized + 'static> Inert for web::Data<T> {}
impl Inert for HttpRequest {}
impl Inert for web::Payload {}
impl Inert for actix_multipart::Multipart {}
// Path segments that are text cannot fail to parse; a number or an enum could.
impl Inert for web::Path<String> {}
impl Inert for web::Path<(String, String)> {}

/// The arguments of a handler the route table takes: an [`Access`] extractor first and
/// [`Inert`] ones after it, or a public route's.
pub trait Guarded {}

macro_rules! guarded {
    ($($rest:ident),*) => {
        impl<A: Access, $($rest: Inert),*> Guarded for (A, $($rest,)*) {}
    };
}

guarded!();
guarded!(B);
guarded!(B, C);
guarded!(B, C, D);
guarded!(B, C, D, E);
guarded!(B, C, D, E, F);
guarded!(B, C, D, E, F, G);

/// A public route's arguments: whatever the handler takes, after the [`Public`] marker.
impl<Args: FromRequest> Guarded for (Public, Args) {}

/// The application's state, from the request.
fn app_state(req: &HttpRequest) -> Result<web::Data<AppState>, ApiError> {
    req.app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| ApiError::internal("application state missing"))
}

/// The `{name}` segment of the path, as the router matched and decoded it: the same value
/// whichever way the path was percent-encoded (issue 14, item 2).
fn path_segment(req: &HttpRequest, name: &str) -> Result<String, ApiError> {
    req.match_info()
        .get(name)
        .map(str::to_owned)
        .ok_or_else(|| ApiError::internal(format!("the route has no {{{name}}} segment")))
}
