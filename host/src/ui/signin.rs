//! Signing in and out with a plain form, so the way in needs no script.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::{html, render};
use crate::auth::extract::authenticate;
use crate::auth::{AuthMethod, CSRF_COOKIE, SESSION_COOKIE, signin};
use crate::db::sessions::Session;
use crate::error::ErrorCode;
use crate::state::AppState;

use super::page::{error_page, safe_next, see_other, signed_in};

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
                ErrorCode::Forbidden => {
                    "This account is disabled. Ask a site admin to enable it again.".to_owned()
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
