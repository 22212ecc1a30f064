//! The trash page: the datasets the reader deleted (every one, for a site admin), each with
//! when it goes for good, and buttons to restore it or delete it for good now (a script calls
//! `POST /api/v1/datasets/{id}/restore` and `DELETE /api/v1/trash/{id}`).

use actix_web::{HttpResponse, web};

use crate::access::Caller;
use crate::db::users::User;
use crate::http::error::ApiError;
use crate::state::AppState;
use crate::time::to_rfc3339;

use super::page::{Page, error_page, respond, user_context};

pub async fn trash_page(page: Page<Caller>, state: web::Data<AppState>) -> HttpResponse {
    let Page(caller) = page;
    let list_caller = caller.clone();
    let trash_days = state.config.trash_days;
    let found = state
        .db
        .run(move |conn| {
            let now = crate::time::now_millis();
            let mut rows = Vec::new();
            for dataset in crate::datasets::trash_of(conn, &list_caller)? {
                let deleted_at = dataset.deleted_at.unwrap_or(dataset.updated_at);
                let purge_at = crate::datasets::purge_due(deleted_at, trash_days);
                let owner = if dataset.owner_id == list_caller.user.id {
                    "you".to_owned()
                } else {
                    User::find(conn, &dataset.owner_id)
                        .map(|u| u.name)
                        .unwrap_or_else(|_| "(deleted user)".to_owned())
                };
                rows.push(serde_json::json!({
                    "id": dataset.id,
                    "name": dataset.name,
                    "owner": owner,
                    "deleted": crate::human::relative_time(deleted_at, now),
                    "deleted_at": to_rfc3339(deleted_at),
                    "purge_at": to_rfc3339(purge_at),
                }));
            }
            Ok::<_, ApiError>(rows)
        })
        .await;
    let datasets = match found {
        Ok(rows) => rows,
        Err(err) => return error_page(Some(&caller), &err),
    };
    respond(
        &caller,
        "trash.html",
        serde_json::json!({
            "user": user_context(&caller),
            "section": "datasets",
            "datasets": datasets,
            "trash_days": trash_days,
        }),
    )
}
