//! The reader's notifications (newest first, unread marked, each a link to the thing
//! concerned), their notification preferences and channels, and the page an unsubscribe link
//! in a message opens. The bell in every page's header counts the unread ones live
//! (`static/js/bell.js`, over `GET /api/v1/notifications/stream`).

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use crate::access::Caller;
use crate::http::error::ApiError;
use crate::notifications::{inbox, preferences};
use crate::state::AppState;
use crate::time::to_rfc3339;

use super::page::{Page, error_page, failure_page, respond, user_context};
use super::{html, render};
use crate::http::access::deferred;
use actix_web::ResponseError;

/// How many notifications one page shows.
const PER_PAGE: i64 = 50;

#[derive(Debug, Deserialize)]
pub struct Paging {
    page: Option<i64>,
}

pub async fn notifications_page(
    page: Page<Caller>,
    state: web::Data<AppState>,
    paging: deferred::Query<Paging>,
) -> HttpResponse {
    let Page(caller) = page;
    let number = match paging.read().await {
        Ok(paging) => paging.page.unwrap_or(1).max(1),
        Err(err) => return err.error_response(),
    };
    let user = caller.user.id.clone();
    let found = state
        .db
        .run(move |conn| inbox::page(conn, &user, false, (number - 1) * PER_PAGE, PER_PAGE))
        .await;
    let found = match found {
        Ok(found) => found,
        Err(err) => return error_page(Some(&caller), &ApiError::from(err)),
    };
    let now = crate::time::now_millis();
    let items: Vec<serde_json::Value> = found
        .items
        .iter()
        .map(|n| {
            serde_json::json!({
                "id": n.id, "title": n.title, "body": n.body, "url": n.url, "read": n.read,
                "at": to_rfc3339(n.created_at),
                "ago": crate::human::relative_time(n.created_at, now),
            })
        })
        .collect();
    respond(
        &caller,
        "notifications.html",
        serde_json::json!({
            "user": user_context(&caller),
            "section": "notifications",
            "items": items,
            "total": found.total,
            "unread": found.unread,
            "page": number,
            "next": (number * PER_PAGE < found.total).then_some(number + 1),
            "previous": (number > 1).then_some(number - 1),
        }),
    )
}

pub async fn preferences_page(page: Page<Caller>, state: web::Data<AppState>) -> HttpResponse {
    let Page(caller) = page;
    let user = caller.user.id.clone();
    let found = state
        .db
        .run(move |conn| preferences::of_user(conn, &user))
        .await;
    let prefs = match found {
        Ok(prefs) => prefs,
        Err(err) => return error_page(Some(&caller), &ApiError::from(err)),
    };
    let notifiers = state.notifier_choices();
    respond(
        &caller,
        "notification_preferences.html",
        serde_json::json!({
            "user": user_context(&caller),
            "section": "account",
            "preferences": prefs,
            "notifiers": notifiers,
        }),
    )
}

#[derive(Debug, Deserialize)]
pub struct UnsubscribeQuery {
    token: Option<String>,
}

/// What an unsubscribe link opens: a button that confirms, so that a mail scanner following
/// links does not unsubscribe anyone.
pub async fn unsubscribe_page(query: web::Query<UnsubscribeQuery>) -> HttpResponse {
    let token = query.token.clone().unwrap_or_default();
    match render(
        "unsubscribe.html",
        serde_json::json!({"token": token, "done": false}),
    ) {
        Ok(body) => html(actix_web::http::StatusCode::OK, body),
        Err(err) => error_page(None, &err),
    }
}

#[derive(Debug, Deserialize)]
pub struct UnsubscribeForm {
    token: String,
}

/// Turns the kind off on the channel the link came through (also what a mail client's
/// one-click unsubscribe posts, RFC 8058).
pub async fn unsubscribe(
    state: web::Data<AppState>,
    form: web::Form<UnsubscribeForm>,
) -> HttpResponse {
    let token = form.into_inner().token;
    let done = state
        .db
        .run(move |conn| preferences::unsubscribe(conn, &token))
        .await;
    match done {
        Ok(done) => match render(
            "unsubscribe.html",
            serde_json::json!({
                "done": true,
                "kind": done.kind.describe(),
                "channel": done.channel_label,
            }),
        ) {
            Ok(body) => html(actix_web::http::StatusCode::OK, body),
            Err(err) => error_page(None, &err),
        },
        Err(crate::notifications::NotificationError::NotFound) => failure_page(
            None,
            actix_web::http::StatusCode::NOT_FOUND,
            false,
            "This unsubscribe link is not known. Change what you receive on your account's notification settings.",
        ),
        Err(err) => error_page(None, &ApiError::from(err)),
    }
}
