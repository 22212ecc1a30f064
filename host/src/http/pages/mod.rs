//! The web interface: pages rendered on the server from `templates/` (HTML auto-escaped), with
//! plain JavaScript modules and CSS from `static/` that need no build step. Every page reads
//! without JavaScript; scripts add what needs it (uploads with progress). Pages read through
//! the same models and access checks as the API, and scripts call `/api/v1` itself.

mod account;
mod activity;
mod admin;
mod datasets;
mod link;
mod options_form;
mod page;
mod pager;
mod password_reset;

pub use page::failure_page;
mod notifications;
mod sharing;
mod signin;
mod table_view;
mod teams;
mod trash;

use std::sync::LazyLock;

use actix_web::http::header;
use actix_web::{HttpResponse, web};
use minijinja::Environment;
use serde::Serialize;

use crate::http::error::ApiError;
use crate::http::routing::{self, public};

/// Every template, compiled into the binary so a deployment is one file.
const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../../../../templates/base.html")),
    (
        "components/header.html",
        include_str!("../../../../templates/components/header.html"),
    ),
    (
        "components/export_dialog.html",
        include_str!("../../../../templates/components/export_dialog.html"),
    ),
    (
        "components/share_dialog.html",
        include_str!("../../../../templates/components/share_dialog.html"),
    ),
    (
        "components/link_list.html",
        include_str!("../../../../templates/components/link_list.html"),
    ),
    (
        "login.html",
        include_str!("../../../../templates/login.html"),
    ),
    (
        "datasets.html",
        include_str!("../../../../templates/datasets.html"),
    ),
    (
        "dataset.html",
        include_str!("../../../../templates/dataset.html"),
    ),
    (
        "shared_item.html",
        include_str!("../../../../templates/shared_item.html"),
    ),
    (
        "link_password.html",
        include_str!("../../../../templates/link_password.html"),
    ),
    (
        "link_refused.html",
        include_str!("../../../../templates/link_refused.html"),
    ),
    (
        "links.html",
        include_str!("../../../../templates/links.html"),
    ),
    (
        "admin_policies.html",
        include_str!("../../../../templates/admin_policies.html"),
    ),
    (
        "components/admin_nav.html",
        include_str!("../../../../templates/components/admin_nav.html"),
    ),
    (
        "account.html",
        include_str!("../../../../templates/account.html"),
    ),
    (
        "admin_users.html",
        include_str!("../../../../templates/admin_users.html"),
    ),
    (
        "admin_groups.html",
        include_str!("../../../../templates/admin_groups.html"),
    ),
    (
        "admin_plugins.html",
        include_str!("../../../../templates/admin_plugins.html"),
    ),
    (
        "admin_audit.html",
        include_str!("../../../../templates/admin_audit.html"),
    ),
    (
        "link_log.html",
        include_str!("../../../../templates/link_log.html"),
    ),
    (
        "shared_with_me.html",
        include_str!("../../../../templates/shared_with_me.html"),
    ),
    (
        "trash.html",
        include_str!("../../../../templates/trash.html"),
    ),
    (
        "notifications.html",
        include_str!("../../../../templates/notifications.html"),
    ),
    (
        "notification_preferences.html",
        include_str!("../../../../templates/notification_preferences.html"),
    ),
    (
        "unsubscribe.html",
        include_str!("../../../../templates/unsubscribe.html"),
    ),
    (
        "reset_password.html",
        include_str!("../../../../templates/reset_password.html"),
    ),
    (
        "teams.html",
        include_str!("../../../../templates/teams.html"),
    ),
    (
        "export_tracking.html",
        include_str!("../../../../templates/export_tracking.html"),
    ),
    (
        "components/activity_report.html",
        include_str!("../../../../templates/components/activity_report.html"),
    ),
];

/// Static files, by the path they are served at.
const STATIC: &[(&str, &str, &str)] = &[
    (
        "css/app.css",
        "text/css; charset=utf-8",
        include_str!("../../../../static/css/app.css"),
    ),
    (
        "js/http.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../../static/js/http.js"),
    ),
    (
        "js/field-errors.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../../static/js/field-errors.js"),
    ),
    (
        "js/combobox.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../../static/js/combobox.js"),
    ),
    (
        "js/export-dialog.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../../static/js/export-dialog.js"),
    ),
    (
        "js/dataset-edit.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../../static/js/dataset-edit.js"),
    ),
    (
        "js/upload.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../../static/js/upload.js"),
    ),
    (
        "js/dataset-versions.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../../static/js/dataset-versions.js"),
    ),
    (
        "js/export-sharing.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../../static/js/export-sharing.js"),
    ),
    (
        "js/admin-policies.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../../static/js/admin-policies.js"),
    ),
    (
        "js/export-links.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../../static/js/export-links.js"),
    ),
    (
        "js/account.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../../static/js/account.js"),
    ),
    (
        "js/admin-users.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../../static/js/admin-users.js"),
    ),
    (
        "js/admin-groups.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../../static/js/admin-groups.js"),
    ),
    (
        "js/admin-plugins.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../../static/js/admin-plugins.js"),
    ),
    (
        "js/human.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../../static/js/human.js"),
    ),
    (
        "js/dataset-page.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../../static/js/dataset-page.js"),
    ),
    (
        "vendor/chart.js/chart.umd.min.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../../static/vendor/chart.js/chart.umd.min.js"),
    ),
    (
        "vendor/qrcode-generator/qrcode.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../../static/vendor/qrcode-generator/qrcode.js"),
    ),
    (
        "js/admin-audit.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../../static/js/admin-audit.js"),
    ),
    (
        "js/dataset-watch.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../../static/js/dataset-watch.js"),
    ),
    (
        "js/bell.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../../static/js/bell.js"),
    ),
    (
        "js/notifications.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../../static/js/notifications.js"),
    ),
    (
        "js/notification-preferences.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../../static/js/notification-preferences.js"),
    ),
    (
        "js/trash.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../../static/js/trash.js"),
    ),
    (
        "js/teams.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../../static/js/teams.js"),
    ),
    (
        "js/export-analytics.js",
        "text/javascript; charset=utf-8",
        include_str!("../../../../static/js/export-analytics.js"),
    ),
];

static ENVIRONMENT: LazyLock<Result<Environment<'static>, String>> = LazyLock::new(|| {
    let mut env = Environment::new();
    for (name, source) in TEMPLATES {
        env.add_template(name, source)
            .map_err(|e| format!("template {name}: {e}"))?;
    }
    Ok(env)
});

/// Renders a template with `context`.
pub fn render(name: &str, context: impl Serialize) -> Result<String, ApiError> {
    let env = ENVIRONMENT.as_ref().map_err(ApiError::internal)?;
    env.get_template(name)
        .and_then(|t| t.render(context))
        .map_err(|e| ApiError::internal(format!("rendering {name}: {e}")))
}

/// An HTML response that no cache keeps and that runs only our own scripts.
pub fn html(status: actix_web::http::StatusCode, body: String) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ))
        .body(body)
}

async fn static_file(path: web::Path<String>) -> HttpResponse {
    match STATIC.iter().find(|(name, _, _)| *name == path.as_str()) {
        Some((_, media_type, body)) => HttpResponse::Ok()
            .content_type(*media_type)
            .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
            .body(*body),
        None => HttpResponse::NotFound().finish(),
    }
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(routing::path("/").get(public(signin::home)))
        .service(
            routing::path("/login")
                .get(public(signin::login_page))
                .post(public(signin::login_form)),
        )
        .service(routing::path("/logout").post(public(signin::logout)))
        .service(routing::path("/datasets").get(datasets::datasets_page))
        .service(routing::path("/datasets/{id}").get(datasets::dataset_page))
        .service(routing::path("/trash").get(trash::trash_page))
        .service(routing::path("/notifications").get(notifications::notifications_page))
        .service(
            routing::path("/account/notifications").get(notifications::preferences_page),
        )
        .service(
            routing::path("/notifications/unsubscribe")
                .get(public(notifications::unsubscribe_page))
                .post(public(notifications::unsubscribe)),
        )
        .service(routing::path("/teams").get(teams::teams_page))
        .service(routing::path("/shared").get(sharing::shared_page))
        .service(routing::path("/links").get(sharing::links_page))
        .service(routing::path("/links/{id}/log").get(sharing::link_log_page))
        .service(
            routing::path("/s/{slug}")
                .get(public(link::item::show_link))
                .post(public(link::password::open_link)),
        )
        .service(routing::path("/s/{slug}/download").get(public(link::download_by_slug)))
        .service(routing::path("/s/{slug}/rows").get(public(link::list_rows_by_slug)))
        .service(routing::path("/account").get(account::account_page))
        .service(
            routing::path("/reset-password/{token}")
                .get(public(password_reset::reset_password_page))
                .post(public(password_reset::reset_password_form)),
        )
        .service(routing::path("/admin/users").get(admin::admin_users_page))
        .service(routing::path("/admin/groups").get(admin::admin_groups_page))
        .service(routing::path("/admin/policies").get(admin::admin_policies_page))
        .service(routing::path("/admin/plugins").get(admin::admin_plugins_page))
        .service(routing::path("/admin/audit").get(admin::admin_audit_page))
        .service(routing::path("/admin/activity").get(admin::admin_activity_page))
        .service(
            routing::path(
                "/static/{path:((css|js)/[a-z0-9-]+\\.(css|js)|vendor/[a-z0-9.-]+/[a-z0-9.-]+\\.js)}",
            )
            .get(public(static_file)),
        );
}

/// A cell (or an option's value) as a page shows it: text as it is, an empty cell as nothing,
/// numbers and booleans as JSON writes them. The dataset page, a link's page and the export
/// options form all show values through this.
pub(crate) fn cell_text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn every_template_compiles_and_escapes() {
        let html = render(
            "link_refused.html",
            serde_json::json!({"heading": "<b>No</b>", "message": "a & b"}),
        )
        .unwrap();
        assert!(html.contains("&lt;b&gt;No&lt;&#x2f;b&gt;"));
        assert!(html.contains("a &amp; b"));
        assert!(!html.contains("<b>No</b>"));
    }
}
