use std::time::Duration;

use actix_web::{HttpResponse, web};
use bytes::Bytes;

use crate::access::Caller;
use crate::http::error::ApiResult;
use crate::notifications::{inbox, live};
use crate::state::AppState;

/// How often an open stream asks the database, which is how it learns of notifications
/// written by another replica.
const POLL: Duration = Duration::from_secs(3);

/// How long one stream lasts: then it ends, and the browser's `EventSource` opens it again
/// after the `retry` the stream gave (so no proxy or client holds a connection for ever, and
/// each reconnection starts with the current count).
const LASTS: Duration = Duration::from_secs(15);

/// The caller's unread count, live: a server-sent event `unread` with `{"unread": n}` at once
/// and whenever it changes.
///
/// Any signed-in caller. The count changes as soon as this server notifies the caller (or
/// they read something), and within a few seconds when another replica does. A comment line
/// every few seconds keeps proxies from closing the stream; it ends after 15 seconds, and,
/// told `retry: 1000` first, an `EventSource` opens it again a second later.
#[utoipa::path(get, path = "/api/v1/notifications/stream", tag = "notifications", responses(
    (status = 200, description = "Server-sent events: `event: unread`, `data: {\"unread\": 3}`", content_type = "text/event-stream"),
))]
pub async fn stream_notifications(
    caller: Caller,
    state: web::Data<AppState>,
) -> ApiResult<HttpResponse> {
    let user = caller.user.id.clone();
    let first = {
        let user = user.clone();
        state.db.run(move |conn| inbox::unread(conn, &user)).await?
    };
    let mut woken = live::subscribe();
    let db = state.db.clone();
    let events = async_stream(move |tx| async move {
        let mut last = first;
        let opened = tokio::time::Instant::now();
        let hello = format!("retry: 1000\n\n{}", String::from_utf8_lossy(&frame(last)));
        if tx.send(Bytes::from(hello)).await.is_err() {
            return;
        }
        while opened.elapsed() < LASTS {
            let wait = tokio::time::sleep(POLL);
            tokio::select! {
                got = woken.recv() => match got {
                    Ok(who) if who != user => continue,
                    Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                    Err(_) => return,
                },
                () = wait => {}
            }
            let asked = user.clone();
            let Ok(now) = db.run(move |conn| inbox::unread(conn, &asked)).await else {
                continue;
            };
            let message = if now != last {
                last = now;
                frame(now)
            } else {
                Bytes::from_static(b": still here\n\n")
            };
            if tx.send(message).await.is_err() {
                return;
            }
        }
    });
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header(("Cache-Control", "no-store"))
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(events))
}

fn frame(unread: i64) -> Bytes {
    Bytes::from(format!("event: unread\ndata: {{\"unread\": {unread}}}\n\n"))
}

/// A body stream fed by a task, which ends when the client goes (its sends fail).
fn async_stream<F, Fut>(
    produce: F,
) -> impl futures_util::Stream<Item = Result<Bytes, std::convert::Infallible>>
where
    F: FnOnce(tokio::sync::mpsc::Sender<Bytes>) -> Fut,
    Fut: std::future::Future<Output = ()> + 'static,
{
    let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(4);
    actix_web::rt::spawn(produce(tx));
    futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|bytes| (Ok(bytes), rx))
    })
}
