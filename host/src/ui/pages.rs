//! The pages: sign-in, the dataset list with upload, and a dataset's page with its schema,
//! paged preview and versions. A page for signed-in people sends anyone else to sign in and
//! back.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::{html, render};
use crate::access::policy::RuleLine;
use crate::access::{self, Level};
use crate::api::datasets::parse_columns;
use crate::auth::extract::authenticate;
use crate::auth::{AuthMethod, CSRF_COOKIE, Caller, SESSION_COOKIE, signin};
use crate::db::dataset_versions::DatasetVersion;
use crate::db::datasets::{Dataset, DatasetFilter};
use crate::db::groups::UserGroup;
use crate::db::link_access_log::LinkAccess;
use crate::db::policy_rules::{PolicyRule, PolicyVersion};
use crate::db::sessions::Session;
use crate::db::share_links::ShareLink;
use crate::db::shares::Share;
use crate::db::teams::Team;
use crate::db::users::User;
use crate::error::{ApiError, ErrorCode};
use crate::ingest::preview;
use crate::state::AppState;
use crate::time::to_rfc3339;

/// Rows per preview page.
const PREVIEW_PAGE: i64 = 50;

#[derive(Serialize)]
struct UserContext {
    name: String,
    email: String,
    is_admin: bool,
}

fn user_context(caller: &Caller) -> UserContext {
    UserContext {
        name: caller.user.name.clone(),
        email: caller.user.email.clone(),
        is_admin: caller.is_admin(),
    }
}

fn see_other(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to.to_owned()))
        .finish()
}

/// Percent-encodes `text` for a query value.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                (b as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// Only paths on this site: never another host (`//evil.example`) or a scheme.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path) if path.starts_with('/') && !path.starts_with("//") && !path.contains('\\') => {
            path.to_owned()
        }
        _ => "/datasets".to_owned(),
    }
}

/// The signed-in caller, or where to send someone who is not.
async fn signed_in(req: &HttpRequest) -> Result<Caller, HttpResponse> {
    authenticate(req.clone()).await.map_err(|_| {
        let here = match req.uri().path_and_query() {
            Some(pq) => pq.as_str().to_owned(),
            None => req.path().to_owned(),
        };
        see_other(&format!("/login?next={}", encode(&here)))
    })
}

/// A failure as a page with a sentence, at its status.
fn error_page(caller: Option<&Caller>, err: &ApiError) -> HttpResponse {
    let heading = match err.code.status() {
        StatusCode::NOT_FOUND => "Not found",
        StatusCode::FORBIDDEN => "Not allowed",
        StatusCode::SERVICE_UNAVAILABLE => "Try again in a moment",
        _ => "Something went wrong",
    };
    let message = if err.code == ErrorCode::Internal {
        "Tessera could not show this page. The details are in the server's log."
    } else {
        err.message.as_str()
    };
    let body = render(
        "link_refused.html",
        serde_json::json!({
            "heading": heading,
            "message": message,
            "user": caller.map(user_context),
        }),
    )
    .unwrap_or_else(|_| "Tessera could not show this page.".to_owned());
    html(err.code.status(), body)
}

/// A page for a signed-in caller, or the error page if the template fails.
fn respond(caller: &Caller, template: &str, context: serde_json::Value) -> HttpResponse {
    match render(template, context) {
        Ok(body) => html(StatusCode::OK, body),
        Err(err) => error_page(Some(caller), &err),
    }
}

pub async fn home(req: HttpRequest) -> HttpResponse {
    match signed_in(&req).await {
        Ok(_) => see_other("/datasets"),
        Err(_) => see_other("/login"),
    }
}

#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
}

pub async fn login_page(query: web::Query<LoginQuery>) -> HttpResponse {
    let next = safe_next(query.next.as_deref());
    match render(
        "login.html",
        serde_json::json!({"next": next, "email": "", "error": null}),
    ) {
        Ok(body) => html(StatusCode::OK, body),
        Err(err) => error_page(None, &err),
    }
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    email: String,
    password: String,
    next: Option<String>,
}

/// The sign-in form, posted without any script: the same checks as `POST /api/v1/auth/login`.
pub async fn login_form(
    state: web::Data<AppState>,
    req: HttpRequest,
    form: web::Form<LoginForm>,
) -> HttpResponse {
    let LoginForm {
        email,
        password,
        next,
    } = form.into_inner();
    let next = safe_next(next.as_deref());
    match signin::sign_in(&state, &req, email.clone(), password).await {
        Ok(signed) => {
            let [session, csrf] = signin::session_cookies(&state.config, &signed);
            HttpResponse::SeeOther()
                .insert_header((header::LOCATION, next))
                .cookie(session)
                .cookie(csrf)
                .finish()
        }
        Err(err) => {
            let message = match err.code {
                ErrorCode::InvalidCredentials => {
                    "That email and password do not match an account. Check both and try again."
                        .to_owned()
                }
                ErrorCode::TooManyAttempts => format!(
                    "Too many failed sign-ins. Wait {} seconds and try again.",
                    err.retry_after.unwrap_or(60)
                ),
                _ => err.message.clone(),
            };
            match render(
                "login.html",
                serde_json::json!({"next": next, "email": email, "error": message}),
            ) {
                Ok(body) => html(err.code.status(), body),
                Err(err) => error_page(None, &err),
            }
        }
    }
}

pub async fn logout(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    if let Ok(caller) = authenticate(req.clone()).await
        && let AuthMethod::Session { token_hash } = caller.method
    {
        let _ = state
            .db
            .run(move |conn| Session::delete(conn, &token_hash))
            .await;
    }
    let mut session = actix_web::cookie::Cookie::new(SESSION_COOKIE, "");
    session.set_path("/");
    session.make_removal();
    let mut csrf = actix_web::cookie::Cookie::new(CSRF_COOKIE, "");
    csrf.set_path("/");
    csrf.make_removal();
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/login"))
        .cookie(session)
        .cookie(csrf)
        .finish()
}

#[derive(Debug, Deserialize)]
pub struct DatasetsQuery {
    q: Option<String>,
    team: Option<String>,
}

#[derive(Serialize)]
struct DatasetRow {
    id: String,
    name: String,
    rows: i64,
    version: i32,
    updated_at: String,
}

#[derive(Serialize)]
struct TeamOption {
    id: String,
    name: String,
}

pub async fn datasets_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    query: web::Query<DatasetsQuery>,
) -> HttpResponse {
    let caller = match signed_in(&req).await {
        Ok(caller) => caller,
        Err(redirect) => return redirect,
    };
    let query = query.into_inner();
    let page_caller = caller.clone();
    let team_filter = query.team.clone().filter(|t| !t.is_empty());
    let text = query.q.clone().filter(|t| !t.trim().is_empty());
    let listed = state
        .db
        .run(move |conn| {
            let teams = Team::list_for_user(conn, &page_caller.user.id)?;
            let visible_to = if page_caller.is_admin() {
                None
            } else {
                let all = Dataset::all_ids(conn)?;
                Some(access::viewable_datasets(conn, &page_caller, all)?)
            };
            let filter = DatasetFilter {
                visible_to,
                team_id: team_filter,
                text,
            };
            let (datasets, total) = Dataset::list(conn, &filter, 0, 200)?;
            let mut rows = Vec::new();
            for d in datasets {
                let count = DatasetVersion::find(conn, &d.id, d.latest_version)
                    .map(|v| v.row_count)
                    .unwrap_or(0);
                rows.push(DatasetRow {
                    rows: count,
                    version: d.latest_version,
                    updated_at: to_rfc3339(d.updated_at),
                    id: d.id,
                    name: d.name,
                });
            }
            let teams: Vec<TeamOption> = teams
                .into_iter()
                .map(|t| TeamOption {
                    id: t.id,
                    name: t.name,
                })
                .collect();
            Ok::<_, ApiError>((rows, total, teams))
        })
        .await;
    let (datasets, total, teams) = match listed {
        Ok(listed) => listed,
        Err(err) => return error_page(Some(&caller), &err),
    };
    let max_upload = format!("{} MB", state.config.max_upload_bytes / 1_000_000);
    respond(
        &caller,
        "datasets.html",
        serde_json::json!({
            "user": user_context(&caller),
            "section": "datasets",
            "datasets": datasets,
            "total": total,
            "teams": teams,
            "q": query.q.unwrap_or_default(),
            "team_filter": query.team.unwrap_or_default(),
            "max_upload": max_upload,
        }),
    )
}

#[derive(Debug, Deserialize)]
pub struct DatasetQuery {
    offset: Option<i64>,
}

#[derive(Serialize)]
struct ColumnRow {
    name: String,
    r#type: String,
}

#[derive(Serialize)]
struct VersionRow {
    version: i32,
    original_filename: String,
    row_count: i64,
    size: String,
    sha256: String,
    created_at: String,
}

pub async fn dataset_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
    query: web::Query<DatasetQuery>,
) -> HttpResponse {
    let caller = match signed_in(&req).await {
        Ok(caller) => caller,
        Err(redirect) => return redirect,
    };
    let id = id.into_inner();
    let page_caller = caller.clone();
    let found = state
        .db
        .run(move |conn| {
            let dataset =
                Dataset::find(conn, &id).map_err(|e| crate::api::not_found_as(e, "dataset"))?;
            let level = access::require_dataset(conn, &page_caller, &dataset, Level::View)?;
            let versions = DatasetVersion::list(conn, &dataset.id)?;
            let mut shares = Vec::new();
            if level == Level::Admin {
                for share in Share::for_dataset(conn, &dataset.id)? {
                    let name = match share.subject_kind.as_str() {
                        "user" => User::find(conn, &share.subject_id)
                            .map(|u| format!("{} <{}>", u.name, u.email))
                            .unwrap_or_default(),
                        "group" => UserGroup::find(conn, &share.subject_id)
                            .map(|g| g.name)
                            .unwrap_or_default(),
                        _ => Team::find(conn, &share.subject_id)
                            .map(|t| t.name)
                            .unwrap_or_default(),
                    };
                    shares.push(serde_json::json!({
                        "id": share.id,
                        "kind": share.subject_kind,
                        "name": name,
                        "level": share.level,
                        "expires_at": share.expires_at.map(to_rfc3339),
                    }));
                }
            }
            Ok::<_, ApiError>((dataset, level, versions, shares))
        })
        .await;
    let (dataset, level, versions, shares) = match found {
        Ok(found) => found,
        Err(err) => return error_page(Some(&caller), &err),
    };
    let Some(latest) = versions
        .iter()
        .find(|v| v.version == dataset.latest_version)
        .cloned()
    else {
        return error_page(Some(&caller), &ApiError::not_found("dataset version"));
    };
    let offset = query
        .offset
        .unwrap_or(0)
        .clamp(0, (latest.row_count - 1).max(0));
    let path = state.storage.absolute(&latest.file_path);
    let rows =
        match web::block(move || preview::read_rows(&path, offset, PREVIEW_PAGE as u32)).await {
            Ok(Ok(rows)) => rows,
            Ok(Err(err)) => return error_page(Some(&caller), &err.into()),
            Err(err) => return error_page(Some(&caller), &ApiError::internal(err)),
        };
    let preview: Vec<Vec<String>> = rows
        .into_iter()
        .map(|row| {
            row.into_iter()
                .map(|v| match v {
                    serde_json::Value::String(s) => s,
                    serde_json::Value::Null => String::new(),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect();
    let columns: Vec<ColumnRow> = parse_columns(&latest.schema_json)
        .into_iter()
        .map(|c| ColumnRow {
            name: c.name,
            r#type: c.data_type,
        })
        .collect();
    let versions: Vec<VersionRow> = versions
        .into_iter()
        .rev()
        .map(|v| VersionRow {
            version: v.version,
            original_filename: v.original_filename,
            row_count: v.row_count,
            size: super::human_size(v.size_bytes),
            sha256: v.sha256,
            created_at: to_rfc3339(v.created_at),
        })
        .collect();
    let formats: Vec<serde_json::Value> = state
        .plugins
        .list()
        .iter()
        .map(|p| serde_json::json!({"id": p.manifest.id, "name": p.manifest.name}))
        .collect();
    respond(
        &caller,
        "dataset.html",
        serde_json::json!({
            "user": user_context(&caller),
            "section": "datasets",
            "dataset": {
                "id": dataset.id,
                "name": dataset.name,
                "description": dataset.description,
                "licence": dataset.licence,
                "latest_version": dataset.latest_version,
                "team": dataset.team_id,
            },
            "access": level.as_str(),
            "rows": latest.row_count,
            "columns": columns,
            "preview": preview,
            "offset": offset,
            "page": PREVIEW_PAGE,
            "versions": versions,
            "formats": formats,
            "shares": shares,
        }),
    )
}

/// Everything shared with the caller, directly or through a group or team.
pub async fn shared_page(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let caller = match signed_in(&req).await {
        Ok(caller) => caller,
        Err(redirect) => return redirect,
    };
    let user_id = caller.user.id.clone();
    let found = state
        .db
        .run(move |conn| {
            let mut subjects = vec![("user".to_owned(), user_id.clone())];
            for group in UserGroup::ids_for_user(conn, &user_id)? {
                subjects.push(("group".to_owned(), group));
            }
            for team in Team::ids_for_user(conn, &user_id)? {
                subjects.push(("team".to_owned(), team));
            }
            let mut rows = Vec::new();
            for share in Share::to_subjects(conn, &subjects, crate::time::now_millis())? {
                let Ok(dataset) = Dataset::find(conn, &share.dataset_id) else {
                    continue;
                };
                let through = match share.subject_kind.as_str() {
                    "user" => "you".to_owned(),
                    "group" => UserGroup::find(conn, &share.subject_id)
                        .map(|g| format!("group {}", g.name))
                        .unwrap_or_else(|_| "a group".into()),
                    _ => Team::find(conn, &share.subject_id)
                        .map(|t| format!("team {}", t.name))
                        .unwrap_or_else(|_| "a team".into()),
                };
                let shared_by = share
                    .created_by
                    .as_deref()
                    .and_then(|id| User::find(conn, id).ok())
                    .map(|u| u.name);
                rows.push(serde_json::json!({
                    "dataset_id": dataset.id,
                    "dataset_name": dataset.name,
                    "level": share.level,
                    "through": through,
                    "shared_by": shared_by,
                    "expires_at": share.expires_at.map(to_rfc3339),
                }));
            }
            Ok::<_, ApiError>(rows)
        })
        .await;
    let shares = match found {
        Ok(rows) => rows,
        Err(err) => return error_page(Some(&caller), &err),
    };
    respond(
        &caller,
        "shared_with_me.html",
        serde_json::json!({"user": user_context(&caller), "section": "shared", "shares": shares}),
    )
}

/// The caller's links with their state, downloads and last access; revoking needs a script.
pub async fn links_page(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let caller = match signed_in(&req).await {
        Ok(caller) => caller,
        Err(redirect) => return redirect,
    };
    let user_id = caller.user.id.clone();
    let found = state
        .db
        .run(move |conn| {
            let now = crate::time::now_millis();
            let links = ShareLink::list_for_owner(conn, &user_id)?;
            Ok::<_, ApiError>(
                links
                    .iter()
                    .map(|l| crate::api::links::link_view(conn, l, now))
                    .collect::<Vec<_>>(),
            )
        })
        .await;
    let links = match found {
        Ok(links) => links,
        Err(err) => return error_page(Some(&caller), &err),
    };
    respond(
        &caller,
        "links.html",
        serde_json::json!({"user": user_context(&caller), "section": "links", "links": links}),
    )
}

/// One link's access log, for its owner.
pub async fn link_log_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> HttpResponse {
    let caller = match signed_in(&req).await {
        Ok(caller) => caller,
        Err(redirect) => return redirect,
    };
    let id = id.into_inner();
    let page_caller = caller.clone();
    let found = state
        .db
        .run(move |conn| {
            let link =
                ShareLink::find(conn, &id).map_err(|e| crate::api::not_found_as(e, "link"))?;
            if link.owner_id != page_caller.user.id && !page_caller.is_admin() {
                return Err(ApiError::not_found("link"));
            }
            let entries: Vec<serde_json::Value> = LinkAccess::for_link(conn, &link.id, 500)?
                .into_iter()
                .map(|e| {
                    serde_json::json!({
                        "at": to_rfc3339(e.at),
                        "event": e.event,
                        "reason": e.reason,
                        "address": e.address,
                        "user_agent": e.user_agent,
                    })
                })
                .collect();
            Ok::<_, ApiError>((link.name, entries))
        })
        .await;
    let (name, entries) = match found {
        Ok(found) => found,
        Err(err) => return error_page(Some(&caller), &err),
    };
    respond(
        &caller,
        "link_log.html",
        serde_json::json!({
            "user": user_context(&caller),
            "section": "links",
            "link": {"name": name},
            "entries": entries,
        }),
    )
}

/// The access policy for site admins: the rules, and a form that previews a change with the
/// dry run before saving it.
pub async fn admin_policies_page(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    let caller = match signed_in(&req).await {
        Ok(caller) => caller,
        Err(redirect) => return redirect,
    };
    if !caller.is_admin() {
        return error_page(
            Some(&caller),
            &ApiError::forbidden("Only site admins manage access policies."),
        );
    }
    let found = state
        .db
        .run(|conn| {
            let version = PolicyVersion::current(conn)?;
            let rules: Vec<serde_json::Value> = PolicyRule::all(conn)?
                .into_iter()
                .map(|r| {
                    let line = RuleLine {
                        ptype: r.ptype,
                        v0: r.v0,
                        v1: r.v1,
                        v2: r.v2,
                    };
                    serde_json::json!({
                        "rule": line.display(),
                        "note": r.note,
                        "created_at": to_rfc3339(r.created_at),
                    })
                })
                .collect();
            Ok::<_, ApiError>((version, rules))
        })
        .await;
    let (version, rules) = match found {
        Ok(found) => found,
        Err(err) => return error_page(Some(&caller), &err),
    };
    respond(
        &caller,
        "admin_policies.html",
        serde_json::json!({
            "user": user_context(&caller),
            "section": "admin",
            "version": version,
            "rules": rules,
        }),
    )
}
