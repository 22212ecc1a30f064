//! The tracking dashboard (`/admin/activity`): how the installation is used over a range
//! (views, downloads, unique visitors, sign-ins, exports and their mean durations by format,
//! refusals by reason, the busiest datasets and links) and its state now (active links and
//! how soon they expire, storage by team), narrowed by a plain GET form to a team, a person
//! and a range. The numbers come from the same domain reports as `GET /api/v1/admin/activity`;
//! `static/js/export-analytics.js` draws the charts and offers people as one types.

use actix_web::{HttpResponse, ResponseError, web};
use serde::Deserialize;
use serde_json::json;

use crate::access::AdminCaller;
use crate::activity::report;
use crate::db::teams::Team;
use crate::db::users::User;
use crate::http::access::deferred;
use crate::http::error::ApiError;
use crate::http::pages::activity::{self, LINK_USE, RangeForm, WORK};
use crate::http::pages::page::{Page, encode, error_page, respond, user_context};
use crate::state::AppState;
use crate::time::to_rfc3339;

/// Who the dashboard is narrowed to: a team's id, and a person by email address (or id).
#[derive(Debug, Default, Deserialize)]
pub struct DashboardFilter {
    team: Option<String>,
    user: Option<String>,
}

pub async fn admin_activity_page(
    page: Page<AdminCaller>,
    state: web::Data<AppState>,
    range: deferred::Query<RangeForm>,
    filter: deferred::Query<DashboardFilter>,
) -> HttpResponse {
    let Page(AdminCaller(caller)) = page;
    let (range, filter) = match (range.read().await, filter.read().await) {
        (Ok(range), Ok(filter)) => (range.into_inner(), filter.into_inner()),
        (Err(err), _) | (_, Err(err)) => return err.error_response(),
    };
    let now = crate::time::now_millis();
    let (mut scope, range) = activity::scope_of(&range, now);
    let team = filter
        .team
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned);
    let person = filter
        .user
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .map(str::to_owned);
    let found = state
        .db
        .run(move |conn| {
            let teams = Team::list_all(conn)?;
            // A team not among them narrows to nothing; the form says so.
            scope.team = team.clone();
            let mut problem = None;
            let user = match &person {
                Some(reference) => match User::find_by_reference(conn, reference) {
                    Ok(user) => Some(user),
                    Err(crate::db::DbError::NotFound) => {
                        problem = Some(format!("No one has the address or id “{reference}”."));
                        None
                    }
                    Err(err) => return Err(err.into()),
                },
                None => None,
            };
            let report = match &user {
                Some(user) => report::report_for_user(conn, &scope, &user.id)?,
                None => report::report(conn, &scope)?,
            };
            let installation = report::installation(conn, now, team.as_deref())?;
            Ok::<_, ApiError>((teams, user, problem, report, installation))
        })
        .await;
    let (teams, user, user_problem, report, installation) = match found {
        Ok(found) => found,
        Err(err) => return error_page(Some(&caller), &err),
    };
    let team_name = teams
        .iter()
        .find(|t| Some(&t.id) == filter.team.as_ref())
        .map(|t| t.name.clone());
    let mut query = range.query_text().to_owned();
    if let Some(team) = filter.team.as_deref().filter(|t| !t.is_empty()) {
        query.push_str(&format!("&team={}", encode(team)));
    }
    if let Some(user) = &user {
        query.push_str(&format!("&user={}", encode(&user.id)));
    }
    let (storage_chart, storage) = activity::storage_context(&installation.storage_by_team);
    let expiring: Vec<serde_json::Value> = installation
        .expiring_links
        .iter()
        .map(|l| {
            json!({
                "id": l.id,
                "name": l.name,
                "dataset_id": l.dataset_id,
                "expires_at": to_rfc3339(l.expires_at),
                "in_words": crate::human::relative_time(l.expires_at, now),
            })
        })
        .collect();
    let report = activity::report_context(
        report,
        &[
            ("chart-link-use", "Link use over time", &LINK_USE),
            ("chart-work", "Sign-ins and work over time", &WORK),
        ],
    );
    respond(
        &caller,
        "export_tracking.html",
        json!({
            "user": user_context(&caller),
            "section": "admin",
            "admin_page": "activity",
            "activity_range": range,
            "query": query,
            "teams": teams.iter().map(|t| json!({"id": t.id, "name": t.name})).collect::<Vec<_>>(),
            "team": filter.team.unwrap_or_default(),
            "team_name": team_name,
            "person": user.as_ref().map(|u| u.email.clone()).or(filter.user).unwrap_or_default(),
            "person_name": user.as_ref().map(|u| u.name.clone()),
            "person_problem": user_problem,
            "report": report,
            "active_links": installation.active_links,
            "expiring": expiring,
            "storage": storage,
            "storage_chart": storage_chart,
        }),
    )
}
