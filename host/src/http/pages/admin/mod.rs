//! Pages for site admins: users, groups, access policies, plugins and the audit log, each
//! with the admin navigation (`components/admin_nav.html`). The pages read through the models;
//! their scripts change things through the admin API, so a page never offers more than the API.
//! What the paged lists share lives here.

mod audit;
mod groups;
mod plugins;
mod policies;
mod users;

pub use audit::admin_audit_page;
pub use groups::admin_groups_page;
pub use plugins::admin_plugins_page;
pub use policies::admin_policies_page;
pub use users::admin_users_page;

use serde::Deserialize;

use super::page::encode;

/// A page offset from the query string; anything unreadable is the first page.
fn offset_of(text: Option<&str>) -> i64 {
    text.and_then(|t| t.trim().parse::<i64>().ok())
        .unwrap_or(0)
        .max(0)
}

/// `key=value&…` for the non-empty pairs, each value percent-encoded.
fn query_string(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .filter(|(_, value)| !value.is_empty())
        .map(|(key, value)| format!("{key}={}", encode(value)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Links to the previous and next page, keeping `filters`; `None` where there is none.
fn pager(filters: &[(&str, &str)], offset: i64, limit: i64, total: i64) -> serde_json::Value {
    let link = |to: i64| {
        let to = to.to_string();
        let mut pairs = filters.to_vec();
        if to != "0" {
            pairs.push(("offset", &to));
        }
        let query = query_string(&pairs);
        if query.is_empty() {
            "?".to_owned()
        } else {
            format!("?{query}")
        }
    };
    serde_json::json!({
        "first": if total == 0 { 0 } else { offset + 1 },
        "last": (offset + limit).min(total),
        "total": total,
        "previous": (offset > 0).then(|| link((offset - limit).max(0))),
        "next": (offset + limit < total).then(|| link(offset + limit)),
    })
}

#[derive(Debug, Deserialize)]
pub struct OffsetQuery {
    offset: Option<String>,
}
