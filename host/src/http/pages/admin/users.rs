//! Accounts: every user with role and state; scripts create, promote and disable.

use actix_web::{HttpResponse, ResponseError, web};

use crate::access::AdminCaller;
use crate::http::access::deferred;

use crate::db::users::User;
use crate::http::error::ApiError;
use crate::state::AppState;
use crate::time::to_rfc3339;

use super::{OffsetQuery, offset_of, pager};
use crate::http::pages::page::{Page, error_page, readable_time, respond, user_context};

const USERS_PAGE: i64 = 100;

/// Every account, by email, with what an admin changes on it: the role and whether it may sign
/// in. Creating and changing go through `/api/v1/admin/users` from `admin-users.js`.
pub async fn admin_users_page(
    page: Page<AdminCaller>,
    state: web::Data<AppState>,
    query: deferred::Query<OffsetQuery>,
) -> HttpResponse {
    let Page(AdminCaller(caller)) = page;
    let query = match query.read().await {
        Ok(query) => query,
        Err(err) => return err.error_response(),
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
