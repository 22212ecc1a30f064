//! The HTTP API: the route table of `/api/v1` and the operational endpoints.
//!
//! One folder per resource; each handler is a short `verb_noun` function that takes its
//! caller as an extractor ([`crate::auth::Caller`]), so no handler runs unauthenticated by
//! accident. Wire types (`*View`, request bodies) live beside their handlers and are built
//! from database rows with `From`, so a migration never silently changes the public JSON.

pub mod admin;
pub mod auth;
pub mod datasets;
pub mod exports;
pub mod groups;
pub mod links;
pub mod openapi;
pub mod ops;
pub mod pagination;
pub mod plugins;
pub mod shared;
pub mod shares;
pub mod teams;
pub mod tokens;
pub mod users;

use actix_web::{HttpRequest, HttpResponse, web};

use crate::error::{ApiError, ErrorCode};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(ops::healthz))
        .route("/s/{slug}", web::get().to(shared::show_link))
        .route("/s/{slug}", web::post().to(shared::open_link))
        .route(
            "/s/{slug}/download",
            web::get().to(shared::download_by_slug),
        )
        .route("/s/{slug}/rows", web::get().to(shared::rows_by_slug))
        .route(
            "/.well-known/tessera/biscuit-keys",
            web::get().to(shared::token_keys),
        )
        .route("/readyz", web::get().to(ops::readyz))
        .route("/metrics", web::get().to(ops::metrics))
        .route("/api/docs", web::get().to(openapi::docs_page))
        .route(
            "/static/js/api-docs.js",
            web::get().to(openapi::docs_script),
        )
        .service(
            web::scope("/api/v1")
                .wrap(actix_web::middleware::from_fn(
                    crate::access::guard::guard_api,
                ))
                .route("/openapi.json", web::get().to(openapi::openapi_json))
                .route("/auth/login", web::post().to(auth::login::login))
                .route("/auth/logout", web::post().to(auth::logout::logout))
                .route("/me", web::get().to(users::get_me))
                .route("/tokens", web::get().to(tokens::list::list_tokens))
                .route("/tokens", web::post().to(tokens::create::create_token))
                .route(
                    "/tokens/{id}",
                    web::delete().to(tokens::revoke::revoke_token),
                )
                .route("/teams", web::get().to(teams::list_teams))
                .route("/teams", web::post().to(teams::create_team))
                .route("/teams/{id}", web::get().to(teams::get_team))
                .route(
                    "/teams/{id}/members",
                    web::post().to(teams::put_team_member),
                )
                .route(
                    "/teams/{id}/members/{user_id}",
                    web::delete().to(teams::remove_team_member),
                )
                .route("/groups", web::get().to(groups::list_groups))
                .route("/groups", web::post().to(groups::create_group))
                .route("/groups/{id}", web::get().to(groups::get_group))
                .route("/groups/{id}", web::delete().to(groups::delete_group))
                .route(
                    "/groups/{id}/members",
                    web::post().to(groups::add_group_member),
                )
                .route(
                    "/groups/{id}/members/{user_id}",
                    web::delete().to(groups::remove_group_member),
                )
                .route("/admin/users", web::get().to(admin::users::list_users))
                .route("/admin/users", web::post().to(admin::users::create_user))
                .route(
                    "/admin/users/{id}",
                    web::patch().to(admin::users::update_user),
                )
                .route("/datasets", web::get().to(datasets::list::list_datasets))
                .route(
                    "/datasets",
                    web::post().to(datasets::upload::create_dataset),
                )
                .route("/datasets/{id}", web::get().to(datasets::get::get_dataset))
                .route(
                    "/datasets/{id}",
                    web::patch().to(datasets::update::update_dataset),
                )
                .route(
                    "/datasets/{id}",
                    web::delete().to(datasets::delete::delete_dataset),
                )
                .route(
                    "/datasets/{id}/versions",
                    web::post().to(datasets::upload::create_version),
                )
                .route(
                    "/datasets/{id}/rows",
                    web::get().to(datasets::rows::get_rows),
                )
                .route(
                    "/datasets/{id}/export",
                    web::get().to(datasets::export::export_dataset),
                )
                .route("/plugins", web::get().to(plugins::list_plugins))
                .route(
                    "/admin/plugins",
                    web::get().to(admin::plugins::list_admin_plugins),
                )
                .route(
                    "/admin/plugins",
                    web::post().to(admin::plugins::install_plugin),
                )
                .route(
                    "/admin/plugins/{id}/enable",
                    web::post().to(admin::plugins::enable_plugin),
                )
                .route(
                    "/admin/plugins/{id}/disable",
                    web::post().to(admin::plugins::disable_plugin),
                )
                .route(
                    "/admin/plugins/{id}",
                    web::delete().to(admin::plugins::remove_plugin),
                )
                .route(
                    "/datasets/{id}/exports",
                    web::post().to(exports::create_export),
                )
                .route(
                    "/datasets/{id}/exports",
                    web::get().to(exports::list_exports),
                )
                .route("/exports/{id}", web::get().to(exports::get_export))
                .route(
                    "/exports/{id}/cancel",
                    web::post().to(exports::cancel_export),
                )
                .route(
                    "/exports/{id}/events",
                    web::get().to(exports::export_events),
                )
                .route(
                    "/exports/{id}/download",
                    web::get().to(exports::download_export),
                )
                .route(
                    "/datasets/{id}/shares",
                    web::post().to(shares::create_share),
                )
                .route("/datasets/{id}/shares", web::get().to(shares::list_shares))
                .route(
                    "/datasets/{id}/shares/{share_id}",
                    web::patch().to(shares::update_share),
                )
                .route(
                    "/datasets/{id}/shares/{share_id}",
                    web::delete().to(shares::revoke_share),
                )
                .route(
                    "/datasets/{id}/links",
                    web::post().to(links::create_dataset_link),
                )
                .route(
                    "/datasets/{id}/links",
                    web::get().to(links::list_dataset_links),
                )
                .route(
                    "/exports/{id}/links",
                    web::post().to(links::create_export_link),
                )
                .route("/links", web::get().to(links::list_links))
                .route("/links/{id}", web::get().to(links::get_link))
                .route("/links/{id}", web::patch().to(links::update_link))
                .route("/links/{id}", web::delete().to(links::revoke_link))
                .route(
                    "/links/{id}/access-log",
                    web::get().to(links::link_access_log),
                )
                .route("/link", web::get().to(shared::link_info))
                .route("/link/rows", web::get().to(shared::rows_by_token))
                .route("/link/download", web::get().to(shared::download_by_token))
                .route(
                    "/shared-with-me",
                    web::get().to(shares::list_shared_with_me),
                )
                .route(
                    "/admin/policies",
                    web::get().to(admin::policies::list_policies),
                )
                .route(
                    "/admin/policies",
                    web::post().to(admin::policies::add_policy),
                )
                .route(
                    "/admin/policies/check",
                    web::post().to(admin::policies::check_policy),
                )
                .route(
                    "/admin/policies/dry-run",
                    web::post().to(admin::policies::dry_run_policy),
                )
                .route(
                    "/admin/policies/{id}",
                    web::delete().to(admin::policies::remove_policy),
                )
                .route("/admin/audit", web::get().to(admin::audit::list_audit))
                .route(
                    "/admin/audit/verify",
                    web::get().to(admin::audit::verify_audit),
                ),
        );
}

/// Anything unrouted: a JSON 404 in the catalogue's shape.
pub async fn not_found(req: HttpRequest) -> HttpResponse {
    let err = ApiError::new(
        ErrorCode::NotFound,
        format!("no such endpoint: {} {}", req.method(), req.path()),
    );
    actix_web::ResponseError::error_response(&err)
}

/// A row that is not there, named for the client (`dataset not found`).
pub fn not_found_as(err: crate::db::DbError, what: &str) -> ApiError {
    match err {
        crate::db::DbError::NotFound => ApiError::not_found(what),
        other => other.into(),
    }
}

/// Trims a required text field and checks its length.
pub fn required_text(field: &str, value: &str, max: usize) -> Result<String, ApiError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(ApiError::validation(format!("{field} must not be empty")));
    }
    if value.chars().count() > max {
        return Err(ApiError::validation(format!(
            "{field} must be at most {max} characters"
        )));
    }
    Ok(value.to_owned())
}

/// An expiry given as seconds from now or as an RFC 3339 time (not both), in the future.
pub fn resolve_expiry(
    expires_in: Option<i64>,
    expires_at: Option<&str>,
    now: i64,
) -> Result<Option<i64>, ApiError> {
    match (expires_in, expires_at) {
        (None, None) => Ok(None),
        (Some(_), Some(_)) => Err(ApiError::validation(
            "give expires_in or expires_at, not both",
        )),
        (Some(seconds), None) if seconds > 0 && seconds <= 100 * 365 * 24 * 3600 => {
            Ok(Some(now + seconds * 1000))
        }
        (Some(_), None) => Err(ApiError::validation(
            "expires_in must be a positive number of seconds (at most a hundred years)",
        )),
        (None, Some(text)) => match crate::time::from_rfc3339(text) {
            Some(at) if at > now => Ok(Some(at)),
            Some(_) => Err(ApiError::validation("expires_at must be in the future")),
            None => Err(ApiError::validation(format!(
                "expires_at must be an RFC 3339 time such as 2030-01-31T12:00:00Z (got '{text}')"
            ))),
        },
    }
}

/// Tells an absent field (`None`) from an explicit `null` (`Some(None)`) in PATCH bodies.
pub fn double_option<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    serde::Deserialize::deserialize(deserializer).map(Some)
}
