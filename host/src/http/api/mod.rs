//! The HTTP API: the route table of `/api/v1` and the operational endpoints.
//!
//! One folder per resource; each handler is a short `verb_noun` function whose first argument
//! decides access ([`crate::http::access`]: the caller, the site admin, or the dataset, export,
//! link, team or group the path names), so no handler runs undecided by accident; the few open
//! to anyone are marked [`routing::public`] in the table below. Wire types (`*View`, request bodies) live beside their handlers and are built
//! from database rows with `From`, so a migration never silently changes the public JSON.

pub mod activity;
pub mod admin;
pub mod auth;
pub mod datasets;
pub mod exports;
pub mod groups;
pub mod link;
pub mod links;
pub mod notifications;
pub mod ops;
pub mod pagination;
pub mod people;
pub mod plugins;
pub mod shares;
pub mod teams;
pub mod tokens;
pub mod trash;
pub mod users;

use actix_web::{HttpRequest, HttpResponse, web};

use crate::http::error::{ApiError, ErrorCode};
use crate::http::routing::{self, public};

/// Where the JSON API lives.
pub const API_PREFIX: &str = "/api/v1";

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(routing::path("/healthz").get(public(ops::health::get_health)))
        .service(
            routing::path("/.well-known/tessera/biscuit-keys")
                .get(public(link::keys::list_token_keys)),
        )
        .service(routing::path("/readyz").get(public(ops::readiness::get_readiness)))
        .service(routing::path("/metrics").get(public(ops::metrics::get_metrics)))
        .service(
            web::scope(API_PREFIX)
                .service(
                    routing::scoped(API_PREFIX, "/auth/login").post(public(auth::login::login)),
                )
                .service(routing::scoped(API_PREFIX, "/auth/logout").post(auth::logout::logout))
                .service(routing::scoped(API_PREFIX, "/me").get(users::me::get_me))
                .service(routing::scoped(API_PREFIX, "/people").get(people::search::search_people))
                .service(
                    routing::scoped(API_PREFIX, "/tokens")
                        .get(tokens::list::list_tokens)
                        .post(tokens::create::create_token),
                )
                .service(
                    routing::scoped(API_PREFIX, "/tokens/{id}")
                        .delete(tokens::revoke::revoke_token),
                )
                .service(
                    routing::scoped(API_PREFIX, "/teams")
                        .get(teams::list::list_teams)
                        .post(teams::create::create_team),
                )
                .service(
                    routing::scoped(API_PREFIX, "/teams/{id}")
                        .get(teams::get::get_team)
                        .patch(teams::update::update_team),
                )
                .service(
                    routing::scoped(API_PREFIX, "/teams/{id}/members")
                        .post(teams::add_member::add_team_member),
                )
                .service(
                    routing::scoped(API_PREFIX, "/teams/{id}/members/{user_id}")
                        .delete(teams::remove_member::remove_team_member),
                )
                .service(
                    routing::scoped(API_PREFIX, "/groups")
                        .get(groups::list::list_groups)
                        .post(groups::create::create_group),
                )
                .service(
                    routing::scoped(API_PREFIX, "/groups/{id}")
                        .get(groups::get::get_group)
                        .delete(groups::delete::delete_group),
                )
                .service(
                    routing::scoped(API_PREFIX, "/groups/{id}/members")
                        .post(groups::add_member::add_group_member),
                )
                .service(
                    routing::scoped(API_PREFIX, "/groups/{id}/members/{user_id}")
                        .delete(groups::remove_member::remove_group_member),
                )
                .service(
                    routing::scoped(API_PREFIX, "/admin/users")
                        .get(admin::users::list::list_users)
                        .post(admin::users::create::create_user),
                )
                .service(
                    routing::scoped(API_PREFIX, "/admin/users/{id}")
                        .patch(admin::users::update::update_user),
                )
                .service(
                    routing::scoped(API_PREFIX, "/admin/users/{id}/password-reset")
                        .post(admin::users::password_reset::create_password_reset),
                )
                .service(
                    routing::scoped(API_PREFIX, "/datasets")
                        .get(datasets::list::list_datasets)
                        .post(datasets::upload::create_dataset),
                )
                .service(
                    routing::scoped(API_PREFIX, "/datasets/{id}")
                        .get(datasets::get::get_dataset)
                        .patch(datasets::update::update_dataset)
                        .delete(datasets::delete::delete_dataset),
                )
                .service(
                    routing::scoped(API_PREFIX, "/datasets/{id}/restore")
                        .post(datasets::restore::restore_dataset),
                )
                .service(routing::scoped(API_PREFIX, "/trash").get(trash::list::list_trash))
                .service(
                    routing::scoped(API_PREFIX, "/trash/{id}").delete(trash::purge::purge_dataset),
                )
                .service(
                    routing::scoped(API_PREFIX, "/datasets/{id}/versions")
                        .post(datasets::upload::create_version),
                )
                .service(
                    routing::scoped(API_PREFIX, "/datasets/{id}/versions/{version}/withdraw")
                        .post(datasets::versions::withdraw_version),
                )
                .service(
                    routing::scoped(API_PREFIX, "/datasets/{id}/versions/{version}/restore")
                        .post(datasets::versions::restore_version),
                )
                .service(
                    routing::scoped(API_PREFIX, "/datasets/{id}/versions/{version}/pin-links")
                        .post(datasets::versions::pin_links),
                )
                .service(
                    routing::scoped(API_PREFIX, "/datasets/{id}/rows")
                        .get(datasets::rows::get_rows),
                )
                .service(
                    routing::scoped(API_PREFIX, "/datasets/{id}/summary")
                        .get(datasets::summary::get_dataset_summary),
                )
                .service(
                    routing::scoped(API_PREFIX, "/datasets/{id}/activity")
                        .get(datasets::activity::get_dataset_activity),
                )
                .service(
                    routing::scoped(API_PREFIX, "/datasets/{id}/watch")
                        .get(notifications::watch::get_dataset_watch)
                        .put(notifications::watch::set_dataset_watch),
                )
                .service(
                    routing::scoped(API_PREFIX, "/notifications")
                        .get(notifications::list::list_notifications),
                )
                .service(
                    routing::scoped(API_PREFIX, "/notifications/read")
                        .post(notifications::read::mark_notifications_read),
                )
                .service(
                    routing::scoped(API_PREFIX, "/notifications/stream")
                        .get(notifications::stream::stream_notifications),
                )
                .service(
                    routing::scoped(API_PREFIX, "/notifications/preferences")
                        .get(notifications::preferences::get_notification_preferences)
                        .put(notifications::preferences::set_notification_preference),
                )
                .service(
                    routing::scoped(API_PREFIX, "/notifications/channels")
                        .post(notifications::channels::create_notification_channel),
                )
                .service(
                    routing::scoped(API_PREFIX, "/notifications/channels/{id}")
                        .delete(notifications::channels::delete_notification_channel),
                )
                .service(
                    routing::scoped(API_PREFIX, "/datasets/{id}/export")
                        .get(datasets::export::export_dataset),
                )
                .service(routing::scoped(API_PREFIX, "/plugins").get(plugins::list::list_plugins))
                .service(
                    routing::scoped(API_PREFIX, "/admin/plugins")
                        .get(admin::plugins::list::list_admin_plugins)
                        .post(admin::plugins::install::install_plugin),
                )
                .service(
                    routing::scoped(API_PREFIX, "/admin/plugins/{id}/enable")
                        .post(admin::plugins::enable::enable_plugin),
                )
                .service(
                    routing::scoped(API_PREFIX, "/admin/plugins/{id}/disable")
                        .post(admin::plugins::disable::disable_plugin),
                )
                .service(
                    routing::scoped(API_PREFIX, "/admin/plugins/{id}")
                        .delete(admin::plugins::remove::remove_plugin),
                )
                .service(
                    routing::scoped(API_PREFIX, "/datasets/{id}/exports")
                        .post(exports::create::create_export)
                        .get(exports::list::list_exports),
                )
                .service(routing::scoped(API_PREFIX, "/exports/{id}").get(exports::get::get_export))
                .service(
                    routing::scoped(API_PREFIX, "/exports/{id}/cancel")
                        .post(exports::cancel::cancel_export),
                )
                .service(
                    routing::scoped(API_PREFIX, "/exports/{id}/events")
                        .get(exports::events::export_events),
                )
                .service(
                    routing::scoped(API_PREFIX, "/exports/{id}/download")
                        .get(exports::download::download_export),
                )
                .service(
                    routing::scoped(API_PREFIX, "/datasets/{id}/shares")
                        .post(shares::create::create_share)
                        .get(shares::list::list_shares),
                )
                .service(
                    routing::scoped(API_PREFIX, "/datasets/{id}/shares/{share_id}")
                        .patch(shares::update::update_share)
                        .delete(shares::revoke::revoke_share),
                )
                .service(
                    routing::scoped(API_PREFIX, "/datasets/{id}/links")
                        .post(links::create::create_dataset_link)
                        .get(links::list::list_dataset_links),
                )
                .service(
                    routing::scoped(API_PREFIX, "/exports/{id}/links")
                        .post(links::create::create_export_link),
                )
                .service(routing::scoped(API_PREFIX, "/links").get(links::list::list_links))
                .service(
                    routing::scoped(API_PREFIX, "/links/{id}")
                        .get(links::get::get_link)
                        .patch(links::update::update_link)
                        .delete(links::revoke::revoke_link),
                )
                .service(
                    routing::scoped(API_PREFIX, "/links/{id}/address")
                        .get(links::address::link_address),
                )
                .service(
                    routing::scoped(API_PREFIX, "/links/{id}/access-log")
                        .get(links::access_log::link_access_log),
                )
                .service(routing::scoped(API_PREFIX, "/link").get(public(link::get::get_link_info)))
                .service(
                    routing::scoped(API_PREFIX, "/link/rows")
                        .get(public(link::rows::list_link_rows)),
                )
                .service(
                    routing::scoped(API_PREFIX, "/link/download")
                        .get(public(link::download::download_link)),
                )
                .service(
                    routing::scoped(API_PREFIX, "/shared-with-me")
                        .get(shares::shared_with_me::list_shared_with_me),
                )
                .service(
                    routing::scoped(API_PREFIX, "/admin/policies")
                        .get(admin::policies::list::list_policies)
                        .post(admin::policies::add::add_policy),
                )
                .service(
                    routing::scoped(API_PREFIX, "/admin/policies/check")
                        .post(admin::policies::check::check_policy),
                )
                .service(
                    routing::scoped(API_PREFIX, "/admin/policies/dry-run")
                        .post(admin::policies::dry_run::dry_run_policy),
                )
                .service(
                    routing::scoped(API_PREFIX, "/admin/policies/{id}")
                        .delete(admin::policies::remove::remove_policy),
                )
                .service(
                    routing::scoped(API_PREFIX, "/admin/audit").get(admin::audit::list::list_audit),
                )
                .service(
                    routing::scoped(API_PREFIX, "/admin/activity")
                        .get(admin::activity::get_admin_activity),
                )
                .service(
                    routing::scoped(API_PREFIX, "/admin/notifications/deliveries")
                        .get(notifications::deliveries::list_deliveries),
                )
                .service(
                    routing::scoped(API_PREFIX, "/admin/notifications/deliveries/{id}/retry")
                        .post(notifications::deliveries::retry_delivery),
                )
                .service(
                    routing::scoped(API_PREFIX, "/admin/audit/verify")
                        .get(admin::audit::verify::verify_audit),
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

/// Trims a required text field and checks its length.
pub fn required_text(field: &str, value: &str, max: usize) -> Result<String, ApiError> {
    crate::human::required_text(field, value, max).map_err(ApiError::validation)
}

/// Tells an absent field (`None`) from an explicit `null` (`Some(None)`) in PATCH bodies.
pub fn double_option<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    serde::Deserialize::deserialize(deserializer).map(Some)
}
