//! The signed-in person's own account: who they are, and their personal API tokens. The page
//! lists the tokens; `static/js/account.js` creates and revokes them through `/api/v1/tokens`,
//! so a secret only ever travels in the API's response, shown once.

use actix_web::{HttpResponse, web};

use crate::access::Caller;

use crate::db::api_tokens::ApiToken;
use crate::http::error::ApiError;
use crate::state::AppState;
use crate::time::{now_millis, to_rfc3339};

use super::page::readable_time;
use super::page::{Page, error_page, respond, user_context};

pub async fn account_page(page: Page<Caller>, state: web::Data<AppState>) -> HttpResponse {
    let Page(caller) = page;
    let user_id = caller.user.id.clone();
    let found = state
        .db
        .run(move |conn| ApiToken::list_for_user(conn, &user_id))
        .await;
    let tokens = match found {
        Ok(tokens) => tokens,
        Err(err) => return error_page(Some(&caller), &ApiError::from(err)),
    };
    let now = now_millis();
    // A revoked token cannot come back, so it is not listed; an expired one still is, marked,
    // so that its owner sees why a script stopped working.
    let tokens: Vec<serde_json::Value> = tokens
        .into_iter()
        .filter(|t| t.revoked_at.is_none())
        .map(|t| {
            serde_json::json!({
                "id": t.id,
                "name": t.name,
                "prefix": t.prefix,
                "scopes": t.scopes.split_whitespace().collect::<Vec<_>>().join(", "),
                "created_at": to_rfc3339(t.created_at),
                "created": readable_time(t.created_at),
                "expires_at": t.expires_at.map(to_rfc3339),
                "expires": t.expires_at.map(readable_time),
                "expired": t.expires_at.is_some_and(|at| at <= now),
                "last_used_at": t.last_used_at.map(to_rfc3339),
                "last_used": t.last_used_at.map(readable_time),
            })
        })
        .collect();
    respond(
        &caller,
        "account.html",
        serde_json::json!({
            "user": user_context(&caller),
            "section": "account",
            "account": {
                "name": caller.user.name,
                "email": caller.user.email,
                "is_admin": caller.user.is_admin,
                "created": readable_time(caller.user.created_at),
                "created_at": to_rfc3339(caller.user.created_at),
            },
            "tokens": tokens,
        }),
    )
}
