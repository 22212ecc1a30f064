//! Groups and their members.

use actix_web::{HttpResponse, ResponseError, web};

use crate::access::AdminCaller;
use crate::http::access::deferred;
use serde::Deserialize;

use crate::db::groups::UserGroup;
use crate::db::users::User;
use crate::http::error::{ApiError, ErrorCode};
use crate::state::AppState;
use crate::time::to_rfc3339;

use crate::http::pages::page::{Page, error_page, readable_time, respond, user_context};

#[derive(Debug, Deserialize)]
pub struct GroupQuery {
    /// The group whose members are shown.
    group: Option<String>,
}

/// Every group with its number of members; `?group=<id>` also shows that group's members. Creating,
/// deleting and changing members go through `/api/v1/groups` from `admin-groups.js`.
pub async fn admin_groups_page(
    page: Page<AdminCaller>,
    state: web::Data<AppState>,
    query: deferred::Query<GroupQuery>,
) -> HttpResponse {
    let Page(AdminCaller(caller)) = page;
    let query = match query.read().await {
        Ok(query) => query,
        Err(err) => return err.error_response(),
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
                    "managed": group.managed,
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
