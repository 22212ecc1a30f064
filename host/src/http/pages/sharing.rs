//! What others shared with the caller, the caller's links and each link's access log.

use actix_web::{HttpResponse, web};

use crate::access::Caller;
use crate::http::access::OnLink;

use crate::access::holders::Recipient;
use crate::db::datasets::Dataset;
use crate::db::groups::UserGroup;
use crate::db::link_access_log::LinkAccess;
use crate::db::shares::Share;
use crate::db::teams::Team;
use crate::db::users::User;
use crate::http::error::ApiError;
use crate::state::AppState;
use crate::time::to_rfc3339;

use super::page::{Page, error_page, respond, user_context};

pub async fn shared_page(page: Page<Caller>, state: web::Data<AppState>) -> HttpResponse {
    let Page(caller) = page;
    let user_id = caller.user.id.clone();
    let email = crate::db::users::normalize_email(&caller.user.email);
    let found = state
        .db
        .run(move |conn| {
            // Seeing a share made to one's address is what makes it no longer pending.
            let now = crate::time::now_millis();
            if Share::has_unseen_for_email(conn, &email)? {
                crate::db::write_transaction(conn, |conn| {
                    Share::accept_for_email(conn, &email, now)
                })?;
            }
            let mut subjects = vec![
                ("user".to_owned(), user_id.clone()),
                (crate::db::shares::EMAIL.to_owned(), email.clone()),
            ];
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
                let through = match Recipient::of(conn, &share) {
                    Recipient::User { .. } => "you".to_owned(),
                    Recipient::Email(_) => "your email address".to_owned(),
                    Recipient::Group(name) => format!("group {name}"),
                    Recipient::Team(name) => format!("team {name}"),
                    Recipient::Gone(kind) => format!("a {kind}"),
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
pub async fn links_page(page: Page<Caller>, state: web::Data<AppState>) -> HttpResponse {
    let Page(caller) = page;
    let list_caller = caller.clone();
    let found = state
        .db
        .run(move |conn| {
            // The same links as `GET /api/v1/links`: the caller's, and every link on the
            // datasets they administer.
            let links = crate::links::manage::visible_links(conn, &list_caller, None)?;
            crate::http::views::links::link_views(conn, &list_caller, &links)
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
pub async fn link_log_page(page: Page<OnLink>, state: web::Data<AppState>) -> HttpResponse {
    let Page(OnLink { link, caller }) = page;
    let found = state
        .db
        .run(move |conn| {
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
