//! The OpenAPI 3.1 document, generated from the handlers' annotations, and a small page that
//! renders it at `/api/docs` (self-contained: no assets from elsewhere).

use actix_web::HttpResponse;
use utoipa::OpenApi;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};

use crate::api;

#[derive(OpenApi)]
#[openapi(
    info(title = "Tessera API", description = "Export research datasets and share them safely."),
    paths(
        api::ops::healthz,
        api::ops::readyz,
        api::ops::metrics,
        api::auth::login::login,
        api::auth::logout::logout,
        api::users::get_me,
        api::tokens::create::create_token,
        api::tokens::list::list_tokens,
        api::tokens::revoke::revoke_token,
        api::teams::list_teams,
        api::teams::create_team,
        api::teams::get_team,
        api::teams::put_team_member,
        api::teams::remove_team_member,
        api::groups::list_groups,
        api::groups::create_group,
        api::groups::get_group,
        api::groups::delete_group,
        api::groups::add_group_member,
        api::groups::remove_group_member,
        api::admin::users::list_users,
        api::admin::users::create_user,
        api::admin::users::update_user,
        api::admin::plugins::list_admin_plugins,
        api::admin::plugins::install_plugin,
        api::admin::plugins::enable_plugin,
        api::admin::plugins::disable_plugin,
        api::admin::plugins::remove_plugin,
        api::datasets::list::list_datasets,
        api::datasets::upload::create_dataset,
        api::datasets::get::get_dataset,
        api::datasets::update::update_dataset,
        api::datasets::delete::delete_dataset,
        api::datasets::upload::create_version,
        api::datasets::rows::get_rows,
        api::datasets::export::export_dataset,
        api::plugins::list_plugins,
        api::exports::create_export,
        api::exports::list_exports,
        api::exports::get_export,
        api::exports::cancel_export,
        api::exports::export_events,
        api::exports::download_export,
        api::shares::create_share,
        api::shares::list_shares,
        api::shares::update_share,
        api::shares::revoke_share,
        api::shares::list_shared_with_me,
        api::admin::policies::list_policies,
        api::admin::policies::add_policy,
        api::admin::policies::remove_policy,
        api::admin::policies::check_policy,
        api::admin::policies::dry_run_policy,
        api::admin::audit::list_audit,
        api::admin::audit::verify_audit,
        api::links::create_dataset_link,
        api::links::list_dataset_links,
        api::links::create_export_link,
        api::links::list_links,
        api::links::get_link,
        api::links::update_link,
        api::links::revoke_link,
        api::links::link_access_log,
        api::shared::link_info,
        api::shared::rows_by_token,
        api::shared::download_by_token,
        api::shared::token_keys,
    ),
    components(schemas(crate::error::ErrorBody, crate::error::ErrorCode)),
    modifiers(&Security),
    tags(
        (name = "accounts", description = "Sign-in, the caller's account and API tokens"),
        (name = "teams", description = "Research teams owning datasets"),
        (name = "groups", description = "Groups of users to share with"),
        (name = "datasets", description = "Upload, read and manage datasets"),
        (name = "plugins", description = "Installed export formats"),
        (name = "exports", description = "Queued exports, their progress and files"),
        (name = "sharing", description = "Sharing datasets with people, groups, teams and links"),
        (name = "links", description = "What a share link's token grants (Authorization: Bearer <token>)"),
        (name = "admin", description = "Site administration"),
        (name = "operations", description = "Health, readiness and metrics"),
    )
)]
pub struct ApiDoc;

struct Security;

impl utoipa::Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(
                crate::auth::SESSION_COOKIE,
            ))),
        );
    }
}

/// The document as JSON text, pretty-printed (and stable, for the drift test).
pub fn document() -> String {
    let mut doc = ApiDoc::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    doc.to_pretty_json().unwrap_or_else(|_| "{}".to_owned())
}

pub async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(document())
}

pub async fn docs_page() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((
            "Content-Security-Policy",
            "default-src 'self'; style-src 'self' 'unsafe-inline'",
        ))
        .body(DOCS_PAGE)
}

pub async fn docs_script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .body(DOCS_SCRIPT)
}

const DOCS_PAGE: &str = include_str!("../../../static/api-docs.html");
const DOCS_SCRIPT: &str = include_str!("../../../static/js/api-docs.js");
