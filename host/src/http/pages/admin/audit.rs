//! The audit log viewer: filters as a plain form, pages, CSV of the same selection, and the
//! chain check.

use std::collections::HashMap;

use actix_web::{HttpResponse, ResponseError, web};

use crate::access::AdminCaller;
use crate::http::access::deferred;
use serde::Deserialize;
use time::Date;
use time::macros::format_description;

use crate::access::audit::actor_user;
use crate::db::AnyConnection;
use crate::db::audit_log::{AuditFilter, AuditRow};
use crate::db::datasets::Dataset;
use crate::db::groups::UserGroup;
use crate::db::share_links::ShareLink;
use crate::db::teams::Team;
use crate::db::users::User;
use crate::http::error::ApiError;
use crate::state::AppState;
use crate::time::{from_rfc3339, to_rfc3339};

use super::{offset_of, pager, query_string};
use crate::http::pages::page::{Page, error_page, readable_time, respond, user_context};

/// The audit log's filters, named as `GET /api/v1/admin/audit` names them, so the same query
/// string serves the page, its pager and the CSV export.
#[derive(Debug, Default, Deserialize)]
pub struct AuditPageQuery {
    actor: Option<String>,
    action: Option<String>,
    target: Option<String>,
    outcome: Option<String>,
    since: Option<String>,
    until: Option<String>,
    /// "on" from the form's checkbox: leave out granted access checks (page views).
    hide_views: Option<String>,
    offset: Option<String>,
}

/// Entries a page shows: enough to scan, few enough to read down to the pager (issue 16).
const AUDIT_PAGE: i64 = 50;

/// Characters of an entry's details shown in its row; the rest folds away, so that one entry
/// with a long detail (a policy change, a dry run) does not stretch its row past a screen.
const DETAIL_SHOWN: usize = 160;

/// An entry's details split for its row: what is shown, and the rest behind "more".
fn folded(detail: &str) -> (String, String) {
    match detail.char_indices().nth(DETAIL_SHOWN) {
        Some((at, _)) => (detail[..at].to_owned(), detail[at..].to_owned()),
        None => (detail.to_owned(), String::new()),
    }
}

/// `since` or `until` as given: an RFC 3339 time, or a plain date meaning that whole day in UTC
/// (from its first moment for `since`, through its last for `until`).
fn time_bound(text: &str, until: bool) -> Option<i64> {
    if let Some(at) = from_rfc3339(text) {
        return Some(at);
    }
    let date = Date::parse(text, format_description!("[year]-[month]-[day]")).ok()?;
    let day = if until { date.next_day()? } else { date };
    Some(day.midnight().assume_utc().unix_timestamp() * 1000)
}

/// The audit log, newest first, filtered by a plain GET form and paged. The export link
/// carries the same filters to the API's CSV; verifying the chain needs `admin-audit.js`.
pub async fn admin_audit_page(
    page: Page<AdminCaller>,
    state: web::Data<AppState>,
    query: deferred::Query<AuditPageQuery>,
) -> HttpResponse {
    let Page(AdminCaller(caller)) = page;
    let query = match query.read().await {
        Ok(query) => query,
        Err(err) => return err.error_response(),
    };
    let query = query.into_inner();
    let text = |value: &Option<String>| value.as_deref().map(str::trim).unwrap_or("").to_owned();
    let (actor, action, target, outcome, since, until) = (
        text(&query.actor),
        text(&query.action),
        text(&query.target),
        text(&query.outcome),
        text(&query.since),
        text(&query.until),
    );
    let hide_views = query.hide_views.as_deref().is_some_and(|v| !v.is_empty());
    // What the form shows again: the filters as given, before emails become ids.
    let form = serde_json::json!({
        "actor": actor,
        "action": action,
        "target": target,
        "outcome": outcome,
        "since": since,
        "until": until,
        "hide_views": hide_views,
    });
    let offset = offset_of(query.offset.as_deref());

    let mut problems = Vec::new();
    let since_at = match since.as_str() {
        "" => None,
        given => time_bound(given, false).or_else(|| {
            problems.push(format!(
                "“From” must be a date such as 2030-01-31 or an RFC 3339 time such as \
                 2030-01-31T12:00:00Z, not “{given}”."
            ));
            None
        }),
    };
    let until_at = match until.as_str() {
        "" => None,
        given => time_bound(given, true).or_else(|| {
            problems.push(format!(
                "“Until” must be a date such as 2030-01-31 or an RFC 3339 time such as \
                 2030-01-31T12:00:00Z, not “{given}”."
            ));
            None
        }),
    };
    if !outcome.is_empty() && !["ok", "granted", "denied"].contains(&outcome.as_str()) {
        problems.push(format!(
            "The outcome must be ok, granted or denied, not “{outcome}”."
        ));
    }

    let page_filters = [
        ("actor", actor.as_str()),
        ("action", action.as_str()),
        ("target", target.as_str()),
        ("outcome", outcome.as_str()),
        ("since", since.as_str()),
        ("until", until.as_str()),
        ("hide_views", if hide_views { "on" } else { "" }),
    ];
    if !problems.is_empty() {
        return respond(
            &caller,
            "admin_audit.html",
            serde_json::json!({
                "user": user_context(&caller),
                "section": "admin",
                "admin_page": "audit",
                "form": form,
                "problems": problems,
                "entries": [],
            }),
        );
    }

    let (actor, action, target, outcome) = (
        actor.clone(),
        action.clone(),
        target.clone(),
        outcome.clone(),
    );
    let found = state
        .db
        .run(move |conn| {
            // People know each other by email; the log knows them by id.
            let actor = if actor.contains('@') && !actor.starts_with("user:") {
                match User::find_by_email(conn, &actor)? {
                    Some(user) => actor_user(&user.id),
                    None => {
                        return Ok::<_, ApiError>(Err(format!(
                            "There is no user with the email {actor}."
                        )));
                    }
                }
            } else {
                actor
            };
            let filter = AuditFilter {
                actor: Some(actor).filter(|a| !a.is_empty()),
                action: Some(action).filter(|a| !a.is_empty()),
                target: Some(target).filter(|t| !t.is_empty()),
                outcome: Some(outcome).filter(|o| !o.is_empty()),
                since: since_at,
                until: until_at,
                hide_granted_access: hide_views,
            };
            let (rows, total) = AuditRow::list(conn, &filter, offset, AUDIT_PAGE)?;
            // What an entry names, in words: a person by email, a dataset, group, team or link
            // by its name (the id stays on hover); one looked up once a page.
            let mut names: HashMap<String, Option<String>> = HashMap::new();
            let mut name_of = |conn: &mut AnyConnection, what: &str| -> Option<String> {
                let (kind, id) = what.split_once(':')?;
                names
                    .entry(what.to_owned())
                    .or_insert_with(|| match kind {
                        "user" => User::find(conn, id).ok().map(|u| u.email),
                        "dataset" => Dataset::find(conn, id)
                            .ok()
                            .map(|d| format!("dataset “{}”", d.name)),
                        "group" => UserGroup::find(conn, id)
                            .ok()
                            .map(|g| format!("group “{}”", g.name)),
                        "team" => Team::find(conn, id)
                            .ok()
                            .map(|t| format!("team “{}”", t.name)),
                        "link" => ShareLink::find(conn, id)
                            .ok()
                            .map(|l| format!("link “{}”", l.name)),
                        _ => None,
                    })
                    .clone()
            };
            let entries: Vec<serde_json::Value> = rows
                .into_iter()
                .map(|row| {
                    let (reason, detail) = reason_and_detail(&row.detail);
                    let (detail, detail_more) = folded(&detail);
                    serde_json::json!({
                        "seq": row.seq,
                        "at": to_rfc3339(row.at),
                        "when": readable_time(row.at),
                        "actor": row.actor,
                        "actor_name": name_of(conn, &row.actor),
                        "action": row.action,
                        "target": row.target,
                        "target_name": name_of(conn, &row.target),
                        "outcome": row.outcome,
                        "reason": reason,
                        "detail": detail,
                        "detail_more": detail_more,
                        "address": row.address,
                    })
                })
                .collect();
            Ok(Ok((entries, total, filter)))
        })
        .await;
    let (entries, total, filter) = match found {
        Ok(Ok(found)) => found,
        Ok(Err(problem)) => {
            return respond(
                &caller,
                "admin_audit.html",
                serde_json::json!({
                    "user": user_context(&caller),
                    "section": "admin",
                    "admin_page": "audit",
                    "form": form,
                    "problems": [problem],
                    "entries": [],
                }),
            );
        }
        Err(err) => return error_page(Some(&caller), &err),
    };
    let since_text = filter.since.map(to_rfc3339).unwrap_or_default();
    let until_text = filter.until.map(to_rfc3339).unwrap_or_default();
    let csv_query = query_string(&[
        ("format", "csv"),
        ("actor", filter.actor.as_deref().unwrap_or("")),
        ("action", filter.action.as_deref().unwrap_or("")),
        ("target", filter.target.as_deref().unwrap_or("")),
        ("outcome", filter.outcome.as_deref().unwrap_or("")),
        ("since", &since_text),
        ("until", &until_text),
        (
            "hide_granted_access",
            if filter.hide_granted_access {
                "true"
            } else {
                ""
            },
        ),
    ]);
    let filtered = page_filters.iter().any(|(_, value)| !value.is_empty());
    respond(
        &caller,
        "admin_audit.html",
        serde_json::json!({
            "user": user_context(&caller),
            "section": "admin",
            "admin_page": "audit",
            "form": form,
            "filtered": filtered,
            "problems": [],
            "entries": entries,
            "pager": pager(&page_filters, offset, AUDIT_PAGE, total),
            "csv_url": format!("/api/v1/admin/audit?{csv_query}"),
        }),
    )
}

/// An entry's `reason`, if its detail gives one, and the rest of the detail as `key: value`
/// pairs for people.
fn reason_and_detail(detail: &str) -> (Option<String>, String) {
    let Ok(serde_json::Value::Object(fields)) = serde_json::from_str::<serde_json::Value>(detail)
    else {
        return (None, detail.to_owned());
    };
    let mut reason = None;
    let mut rest = Vec::new();
    for (key, value) in fields {
        let text = match value {
            serde_json::Value::String(text) => text,
            other => other.to_string(),
        };
        if key == "reason" {
            reason = Some(text);
        } else {
            rest.push(format!("{key}: {text}"));
        }
    }
    (reason, rest.join("; "))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::http::pages::admin::pager;

    #[test]
    fn long_details_fold_after_their_first_characters() {
        let long = "é".repeat(DETAIL_SHOWN + 5);
        let (shown, more) = folded(&long);
        assert_eq!(shown.chars().count(), DETAIL_SHOWN);
        assert_eq!(more.chars().count(), 5);
        assert_eq!(folded("short"), ("short".to_owned(), String::new()));
    }

    #[test]
    fn a_plain_date_is_a_whole_day_in_utc() {
        let since = time_bound("2030-01-31", false).unwrap();
        let until = time_bound("2030-01-31", true).unwrap();
        assert_eq!(to_rfc3339(since), "2030-01-31T00:00:00Z");
        assert_eq!(to_rfc3339(until), "2030-02-01T00:00:00Z");
        assert_eq!(
            time_bound("2030-01-31T12:00:00Z", true),
            from_rfc3339("2030-01-31T12:00:00Z")
        );
        assert_eq!(time_bound("last tuesday", false), None);
    }

    #[test]
    fn pages_keep_their_filters() {
        let page = pager(&[("action", "share"), ("actor", "")], 50, 50, 120);
        assert_eq!(page["previous"], "?action=share");
        assert_eq!(page["next"], "?action=share&offset=100");
        assert_eq!(page["first"], 51);
        assert_eq!(page["last"], 100);
    }

    #[test]
    fn a_reason_is_told_apart_from_the_rest() {
        let (reason, rest) = reason_and_detail(r#"{"reason":"expired","code":"gone","n":2}"#);
        assert_eq!(reason.as_deref(), Some("expired"));
        assert_eq!(rest, "code: gone; n: 2");
    }
}
