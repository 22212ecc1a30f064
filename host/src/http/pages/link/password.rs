//! A link's password form: a right password opens a session bound to the link and its
//! current password, kept in a cookie scoped to the link's address.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::FALLBACK;
use super::refusal::refusal_page;
use crate::auth::{password, secrets};
use crate::db::link_sessions::LinkSession;
use crate::db::share_links::ShareLink;
use crate::db::write_transaction;
use crate::http::error::ApiError;
use crate::http::pages::{html, render};
use crate::links::{self, Visitor};
use crate::state::AppState;
use crate::time::now_millis;

/// How long a password session lasts.
const LINK_SESSION_HOURS: i64 = 12;

#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    pub password: String,
}

/// The password form: opens a session bound to this link and its current password.
///
/// Before any hashing: the link must exist and have a password (a link without one has
/// nothing to check, so nothing is hashed), and the attempt is taken from the throttles per
/// address and per link in one atomic statement each ([`crate::auth::throttle`]). The hash
/// then waits its turn at the password gate. A right password gives its attempt back.
pub async fn open_link(
    state: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
    form: web::Form<PasswordForm>,
) -> HttpResponse {
    use crate::auth::throttle;

    /// What the first trip to the database found.
    enum Opening {
        /// No password to check: nothing to unlock.
        NoPassword,
        Check(Box<(ShareLink, Visitor, throttle::Admitted)>),
    }

    let slug = slug.into_inner();
    let given = form.into_inner().password;
    let visitor = crate::http::client::visitor(&req, &state.config);
    let app = state.clone();
    let inner_slug = slug.clone();
    let found = state
        .db
        .run(move |conn| {
            let now = now_millis();
            links::check_throttle(conn, &visitor, now)?;
            let link = match ShareLink::find_by_slug_hash(conn, &links::slug_hash(&inner_slug))? {
                Some(link) if link.state(now) != crate::db::share_links::LinkState::Revoked => link,
                _ => {
                    links::count_failure(conn, &visitor, &app.config, now)?;
                    return Err(ApiError::not_found("link"));
                }
            };
            if link.password_hash.is_none() {
                return Ok(Opening::NoPassword);
            }
            let taken = write_transaction(conn, |conn| {
                throttle::take_link_password(conn, &link.id, visitor.address, now, &app.config)
            })?;
            match taken {
                Ok(admitted) => Ok(Opening::Check(Box::new((link, visitor, admitted)))),
                Err(wait_ms) => {
                    tracing::info!(
                        decision = "deny",
                        link = %link.id,
                        reason = "too many password attempts",
                        "link password refused before checking it"
                    );
                    Err(ApiError::too_many_attempts(throttle::wait_seconds(wait_ms)))
                }
            }
        })
        .await;
    let (link, visitor, admitted) = match found {
        Ok(Opening::Check(found)) => *found,
        Ok(Opening::NoPassword) => {
            return HttpResponse::SeeOther()
                .insert_header((header::LOCATION, format!("/s/{slug}")))
                .finish();
        }
        Err(err) => return refusal_page(&slug, &err),
    };
    let stored = link.password_hash.clone();
    let matches = match state
        .password_gate
        .run(move || password::verify(&given, stored.as_deref()))
        .await
    {
        Ok(matches) => matches,
        Err(busy) => {
            // Nothing was tried: the attempt goes back.
            if let Err(err) = state.db.run(move |conn| admitted.give_back(conn)).await {
                tracing::warn!(error = %err, "cannot give back a link password attempt");
            }
            return refusal_page(&slug, &busy.into());
        }
    };
    let session = secrets::generate("tsl_");
    let session_hash = secrets::hash(&session);
    let outcome = state
        .db
        .run(move |conn| {
            let now = now_millis();
            if !matches {
                links::log_access(
                    conn,
                    &link.id,
                    "refused",
                    Some("wrong password"),
                    &visitor,
                    now,
                )?;
                return Ok(false);
            }
            write_transaction(conn, |conn| {
                admitted.give_back(conn)?;
                LinkSession::create(
                    conn,
                    &LinkSession {
                        token_hash: session_hash,
                        link_id: link.id.clone(),
                        password_epoch: link.password_epoch,
                        expires_at: now + LINK_SESSION_HOURS * 3600 * 1000,
                    },
                )?;
                links::log_access(conn, &link.id, "unlocked", None, &visitor, now)?;
                Ok::<_, ApiError>(true)
            })
        })
        .await;
    match outcome {
        Ok(true) => HttpResponse::SeeOther()
            .insert_header((header::LOCATION, format!("/s/{slug}")))
            .cookie(
                Cookie::build(links::LINK_SESSION_COOKIE, session)
                    .path(format!("/s/{slug}"))
                    .http_only(true)
                    .same_site(SameSite::Lax)
                    .secure(state.config.secure_cookies)
                    .finish(),
            )
            .finish(),
        Ok(false) => html(
            StatusCode::UNAUTHORIZED,
            password_prompt(&format!("/s/{slug}"), true),
        ),
        Err(err) => refusal_page(&slug, &err),
    }
}

/// The password form posting to `action`, saying the last password was wrong if `wrong`.
pub fn password_prompt(action: &str, wrong: bool) -> String {
    render(
        "link_password.html",
        serde_json::json!({"action": action, "wrong": wrong}),
    )
    .unwrap_or_else(|_| FALLBACK.to_owned())
}
