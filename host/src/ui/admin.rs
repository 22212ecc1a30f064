//! Pages for site admins: users, groups, access policies, plugins and the audit log, each
//! with the admin navigation (`components/admin_nav.html`). The pages read through the models;
//! their scripts change things through the admin API, so a page never offers more than the API.

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use time::macros::format_description;
use time::{Date, OffsetDateTime};

use crate::access::audit::actor_user;
use crate::access::policy::RuleLine;
use crate::db::AnyConnection;
use crate::db::audit_log::{AuditFilter, AuditRow};
use crate::db::datasets::{Dataset, DatasetFilter};
use crate::db::groups::UserGroup;
use crate::db::plugins::{PluginRecord, SOURCE_INSTALLED};
use crate::db::policy_rules::{PolicyRule, PolicyVersion};
use crate::db::users::User;
use crate::error::{ApiError, ErrorCode};
use crate::plugins::Manifest;
use crate::plugins::manifest::Capabilities;
use crate::state::AppState;
use crate::time::{from_rfc3339, to_rfc3339};

use super::page::{admin_signed_in, encode, error_page, respond, user_context};

/// A rule's subject as people wrote it: `user:ana@example.org` rather than the stored id, and
/// group and team names; anything else (roles, dataset patterns) as it is.
fn readable_subject(conn: &mut AnyConnection, stored: &str) -> String {
    let named = if let Some(id) = stored.strip_prefix("user:") {
        User::find(conn, id)
            .ok()
            .map(|u| format!("user:{}", u.email))
    } else if let Some(id) = stored.strip_prefix("group:") {
        UserGroup::find(conn, id)
            .ok()
            .map(|g| format!("group:{}", g.name))
    } else if let Some(id) = stored.strip_prefix("team:") {
        crate::db::teams::Team::find(conn, id)
            .ok()
            .map(|t| format!("team:{}", t.name))
    } else {
        None
    };
    named.unwrap_or_else(|| stored.to_owned())
}

/// Datasets offered by the policy check's picker (any other is checked through the API).
const CHECK_DATASETS: i64 = 500;

/// The access policy for site admins: the rules, a form that previews a change (a new rule or
/// a removal) with the dry run before saving it, and a check of who may do what.
pub async fn admin_policies_page(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let caller = match admin_signed_in(&req).await {
        Ok(caller) => caller,
        Err(refusal) => return refusal,
    };
    let found = state
        .db
        .run(|conn| {
            let version = PolicyVersion::current(conn)?;
            let rules: Vec<serde_json::Value> = PolicyRule::all(conn)?
                .into_iter()
                .map(|r| {
                    let line = RuleLine {
                        ptype: r.ptype,
                        v0: readable_subject(conn, &r.v0),
                        v1: readable_subject(conn, &r.v1),
                        v2: r.v2,
                    };
                    serde_json::json!({
                        "id": r.id,
                        "rule": line.display(),
                        "note": r.note,
                        "created_at": to_rfc3339(r.created_at),
                    })
                })
                .collect();
            let datasets: Vec<serde_json::Value> =
                Dataset::list(conn, &DatasetFilter::default(), 0, CHECK_DATASETS)?
                    .0
                    .into_iter()
                    .map(|d| serde_json::json!({"id": d.id, "name": d.name}))
                    .collect();
            Ok::<_, ApiError>((version, rules, datasets))
        })
        .await;
    let (version, rules, datasets) = match found {
        Ok(found) => found,
        Err(err) => return error_page(Some(&caller), &err),
    };
    respond(
        &caller,
        "admin_policies.html",
        serde_json::json!({
            "user": user_context(&caller),
            "section": "admin",
            "admin_page": "policies",
            "version": version,
            "rules": rules,
            "datasets": datasets,
        }),
    )
}

/// A stored time as people read it, in UTC: `2026-11-26 10:04 UTC`. Templates put the exact
/// RFC 3339 time beside it in `<time datetime>`.
pub(super) fn readable_time(millis: i64) -> String {
    let format = format_description!("[year]-[month]-[day] [hour]:[minute] UTC");
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(millis) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_default()
}

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

const USERS_PAGE: i64 = 100;

/// Every account, by email, with what an admin changes on it: the role and whether it may sign
/// in. Creating and changing go through `/api/v1/admin/users` from `admin-users.js`.
pub async fn admin_users_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<OffsetQuery>,
) -> HttpResponse {
    let caller = match admin_signed_in(&req).await {
        Ok(caller) => caller,
        Err(refusal) => return refusal,
    };
    let offset = offset_of(query.offset.as_deref());
    let found = state
        .db
        .run(move |conn| {
            Ok::<_, ApiError>((User::list(conn, offset, USERS_PAGE)?, User::count(conn)?))
        })
        .await;
    let (users, total) = match found {
        Ok(found) => found,
        Err(err) => return error_page(Some(&caller), &err),
    };
    let users: Vec<serde_json::Value> = users
        .into_iter()
        .map(|u| {
            serde_json::json!({
                "id": u.id,
                "name": u.name,
                "email": u.email,
                "is_admin": u.is_admin,
                "is_active": u.is_active,
                "is_self": u.id == caller.user.id,
                "created": readable_time(u.created_at),
                "created_at": to_rfc3339(u.created_at),
            })
        })
        .collect();
    respond(
        &caller,
        "admin_users.html",
        serde_json::json!({
            "user": user_context(&caller),
            "section": "admin",
            "admin_page": "users",
            "users": users,
            "pager": pager(&[], offset, USERS_PAGE, total),
        }),
    )
}

#[derive(Debug, Deserialize)]
pub struct GroupQuery {
    /// The group whose members are shown.
    group: Option<String>,
}

/// Every group with its number of members; `?group=<id>` also shows that group's members. Creating,
/// deleting and changing members go through `/api/v1/groups` from `admin-groups.js`.
pub async fn admin_groups_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<GroupQuery>,
) -> HttpResponse {
    let caller = match admin_signed_in(&req).await {
        Ok(caller) => caller,
        Err(refusal) => return refusal,
    };
    let chosen = query.into_inner().group.filter(|g| !g.is_empty());
    let found = state
        .db
        .run(move |conn| {
            let mut groups = Vec::new();
            let mut selected = None;
            for group in UserGroup::list_all(conn)? {
                let members = UserGroup::members(conn, &group.id)?;
                let created_by = group
                    .created_by
                    .as_deref()
                    .and_then(|id| User::find(conn, id).ok())
                    .map(|u| u.name);
                let view = serde_json::json!({
                    "id": group.id,
                    "name": group.name,
                    "description": group.description,
                    "members": members.len(),
                    "created_by": created_by,
                    "created": readable_time(group.created_at),
                    "created_at": to_rfc3339(group.created_at),
                });
                if chosen.as_deref() == Some(group.id.as_str()) {
                    let members: Vec<serde_json::Value> = members
                        .into_iter()
                        .map(|(member, user)| {
                            serde_json::json!({
                                "id": user.id,
                                "name": user.name,
                                "email": user.email,
                                "added": readable_time(member.added_at),
                                "added_at": to_rfc3339(member.added_at),
                            })
                        })
                        .collect();
                    selected = Some(serde_json::json!({
                        "id": group.id,
                        "name": group.name,
                        "members": members,
                    }));
                }
                groups.push(view);
            }
            if chosen.is_some() && selected.is_none() {
                return Err(ApiError::new(
                    ErrorCode::NotFound,
                    "There is no such group. It may have been deleted.",
                ));
            }
            Ok::<_, ApiError>((groups, selected))
        })
        .await;
    let (groups, selected) = match found {
        Ok(found) => found,
        Err(err) => return error_page(Some(&caller), &err),
    };
    respond(
        &caller,
        "admin_groups.html",
        serde_json::json!({
            "user": user_context(&caller),
            "section": "admin",
            "admin_page": "groups",
            "groups": groups,
            "selected": selected,
        }),
    )
}

/// Every plugin, enabled or not: what it is, its state, what its manifest asks for and what an
/// admin approved. Installing, approving, enabling, disabling and removing go through
/// `/api/v1/admin/plugins` from `admin-plugins.js`.
pub async fn admin_plugins_page(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let caller = match admin_signed_in(&req).await {
        Ok(caller) => caller,
        Err(refusal) => return refusal,
    };
    let records = match state.db.run(PluginRecord::list).await {
        Ok(records) => records,
        Err(err) => return error_page(Some(&caller), &ApiError::from(err)),
    };
    let mut plugins = Vec::new();
    for record in records {
        let manifest: Manifest = match serde_json::from_str(&record.manifest) {
            Ok(manifest) => manifest,
            Err(e) => {
                let err =
                    ApiError::internal(format!("stored manifest of plugin {}: {e}", record.id));
                return error_page(Some(&caller), &err);
            }
        };
        let approved: Option<Capabilities> = record
            .approved
            .as_deref()
            .and_then(|a| serde_json::from_str(a).ok());
        let requests = manifest.capabilities.access_requests();
        let covered = manifest.capabilities.approved_by(approved.as_ref());
        let approved_text = if requests.is_empty() {
            "nothing to approve".to_owned()
        } else if covered {
            "all of it".to_owned()
        } else {
            match approved.map(|a| a.access_requests()).unwrap_or_default() {
                some if !some.is_empty() => format!("only {}", some.join(", ")),
                _ => "nothing yet".to_owned(),
            }
        };
        let loaded = state.plugins.get_any(&record.id).is_some();
        let (state_name, state_text) = match (record.enabled, loaded, covered) {
            (true, true, _) => ("enabled", "enabled".to_owned()),
            (true, false, _) => (
                "failed",
                format!(
                    "enabled, but not loaded: {}",
                    state
                        .plugins
                        .failure(&record.id)
                        .unwrap_or_else(|| "not loaded in this process yet".into())
                ),
            ),
            (false, _, false) => ("pending", "pending approval".to_owned()),
            (false, _, true) => ("disabled", "disabled".to_owned()),
        };
        let limits = format!(
            "{} MiB of memory, {} per export",
            manifest.capabilities.memory_mb,
            seconds(manifest.capabilities.time_ms)
        );
        plugins.push(serde_json::json!({
            "id": record.id,
            "name": manifest.name,
            "version": record.version,
            "kind": record.kind,
            "author": manifest.author,
            "description": manifest.description,
            "source": record.source,
            "removable": record.source == SOURCE_INSTALLED,
            "enabled": record.enabled,
            "state": state_name,
            "state_text": state_text,
            "limits": limits,
            "requests": requests,
            "approved": covered,
            "approved_text": approved_text,
            "sha256": record.component_sha256,
        }));
    }
    respond(
        &caller,
        "admin_plugins.html",
        serde_json::json!({
            "user": user_context(&caller),
            "section": "admin",
            "admin_page": "plugins",
            "plugins": plugins,
        }),
    )
}

/// `30 s`, `1.5 s`, `10 min`.
fn seconds(millis: u64) -> String {
    if millis >= 60_000 && millis.is_multiple_of(60_000) {
        format!("{} min", millis / 60_000)
    } else if millis.is_multiple_of(1000) {
        format!("{} s", millis / 1000)
    } else {
        format!("{:.1} s", millis as f64 / 1000.0)
    }
}

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
    offset: Option<String>,
}

const AUDIT_PAGE: i64 = 50;

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
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<AuditPageQuery>,
) -> HttpResponse {
    let caller = match admin_signed_in(&req).await {
        Ok(caller) => caller,
        Err(refusal) => return refusal,
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
    // What the form shows again: the filters as given, before emails become ids.
    let form = serde_json::json!({
        "actor": actor,
        "action": action,
        "target": target,
        "outcome": outcome,
        "since": since,
        "until": until,
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
            };
            let (rows, total) = AuditRow::list(conn, &filter, offset, AUDIT_PAGE)?;
            let mut emails: HashMap<String, Option<String>> = HashMap::new();
            let mut name_of = |conn: &mut AnyConnection, who: &str| -> Option<String> {
                let id = who.strip_prefix("user:")?;
                emails
                    .entry(id.to_owned())
                    .or_insert_with(|| User::find(conn, id).ok().map(|u| u.email))
                    .clone()
            };
            let entries: Vec<serde_json::Value> = rows
                .into_iter()
                .map(|row| {
                    let (reason, detail) = reason_and_detail(&row.detail);
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
