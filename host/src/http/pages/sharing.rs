//! What others shared with the caller, the caller's links and each link's access log.

use actix_web::{HttpResponse, web};

use crate::access::Caller;
use crate::http::access::OnLink;

use crate::access::holders::Recipient;
use crate::db::link_access_log::LinkAccess;
use crate::http::error::ApiError;
use crate::state::AppState;
use crate::time::to_rfc3339;

use super::page::{Page, error_page, respond, user_context};

pub async fn shared_page(page: Page<Caller>, state: web::Data<AppState>) -> HttpResponse {
    let Page(caller) = page;
    let user = caller.user.clone();
    let found = state
        .db
        .run(move |conn| {
            let mut rows = Vec::new();
            for found in crate::sharing::shared_with(conn, &user, crate::time::now_millis())? {
                let through = match Recipient::of(conn, &found.share) {
                    Recipient::User { .. } => "you".to_owned(),
                    Recipient::Email(_) => "your email address".to_owned(),
                    Recipient::Group(name) => format!("group {name}"),
                    Recipient::Team(name) => format!("team {name}"),
                    Recipient::Gone(kind) => format!("a {kind}"),
                };
                rows.push(serde_json::json!({
                    "dataset_id": found.dataset.id,
                    "dataset_name": found.dataset.name,
                    "level": found.share.level,
                    "through": through,
                    "shared_by": found.shared_by,
                    "expires_at": found.share.expires_at.map(to_rfc3339),
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
