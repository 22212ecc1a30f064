//! Hostile uploads: slow bodies that would hold the server's threads, too many at once, and
//! files that expand far beyond their size.

use std::sync::Arc;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{Notify, mpsc};

use crate::common::{Backend, TestApp, TestUser};

/// What a hand-written HTTP client got back.
#[derive(Debug)]
struct Answer {
    status: u16,
    retry_after: Option<String>,
    code: String,
    message: String,
}

/// Answers are awaited this long at most, so that a server that never answers fails the test
/// instead of hanging it. A liveness bound, far above any answer's normal time.
const NO_ANSWER: Duration = Duration::from_secs(60);

/// Sends a CSV upload the way a slow client does, over a raw connection: the headers announce a
/// 10 MB body, which then arrives in small pieces. Until `release` is notified it sends 2 KiB
/// every half second (faster than the minimum rate the tests configure); then it trickles
/// 4 bytes a second and never finishes. The answer, whenever it comes, goes to `answers`.
fn slow_upload(
    app: &TestApp,
    user: &TestUser,
    release: Arc<Notify>,
    answers: mpsc::UnboundedSender<(String, Answer)>,
) {
    let address = app.base.trim_start_matches("http://").to_owned();
    let token = user.token.clone().unwrap();
    let who = user.email.clone();
    tokio::spawn(async move {
        let stream = tokio::net::TcpStream::connect(&address).await.unwrap();
        let (mut reader, mut writer) = stream.into_split();
        let boundary = "tessera-slow-upload";
        let head = format!(
            "POST /api/v1/datasets HTTP/1.1\r\nHost: {address}\r\n\
             Authorization: Bearer {token}\r\n\
             Content-Type: multipart/form-data; boundary={boundary}\r\n\
             Content-Length: 10000000\r\n\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"slow.csv\"\r\n\
             Content-Type: text/csv\r\n\r\na,b\n"
        );
        let sending = tokio::spawn(async move {
            if writer.write_all(head.as_bytes()).await.is_err() {
                return;
            }
            let released = release.notified();
            tokio::pin!(released);
            let piece = "1,2\n".repeat(512);
            loop {
                tokio::select! {
                    _ = &mut released => break,
                    _ = tokio::time::sleep(Duration::from_millis(500)) => {
                        if writer.write_all(piece.as_bytes()).await.is_err() {
                            return;
                        }
                    }
                }
            }
            loop {
                tokio::time::sleep(Duration::from_secs(1)).await;
                if writer.write_all(b"3,4\n").await.is_err() {
                    return;
                }
            }
        });
        let answer = tokio::time::timeout(NO_ANSWER, read_answer(&mut reader))
            .await
            .unwrap_or_else(|_| panic!("an upload by {who} got no answer"));
        sending.abort();
        let _ = answers.send((who, answer));
    });
}

/// Reads one HTTP/1.1 response with a JSON error body.
async fn read_answer(reader: &mut tokio::net::tcp::OwnedReadHalf) -> Answer {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    let header_end = loop {
        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        let read = reader.read(&mut chunk).await.unwrap();
        assert!(read > 0, "the connection closed before an answer");
        buffer.extend_from_slice(&chunk[..read]);
    };
    let head = String::from_utf8_lossy(&buffer[..header_end]).to_string();
    let status: u16 = head.split_whitespace().nth(1).unwrap().parse().unwrap();
    let header = |name: &str| {
        head.lines().find_map(|line| {
            let (key, value) = line.split_once(':')?;
            key.trim()
                .eq_ignore_ascii_case(name)
                .then(|| value.trim().to_owned())
        })
    };
    let length: usize = header("content-length").unwrap().parse().unwrap();
    while buffer.len() < header_end + length {
        let read = reader.read(&mut chunk).await.unwrap();
        assert!(read > 0, "the connection closed inside the answer");
        buffer.extend_from_slice(&chunk[..read]);
    }
    let body: Value = serde_json::from_slice(&buffer[header_end..header_end + length]).unwrap();
    Answer {
        status,
        retry_after: header("retry-after"),
        code: body["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        message: body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    }
}

async fn next_answers(
    answers: &mut mpsc::UnboundedReceiver<(String, Answer)>,
    count: usize,
) -> Vec<(String, Answer)> {
    let mut got = Vec::new();
    while got.len() < count {
        let next = tokio::time::timeout(NO_ANSWER, answers.recv())
            .await
            .expect("slow uploads got no answer")
            .unwrap();
        got.push(next);
    }
    got
}

/// Waits until `done` holds (it depends on requests in flight), within the liveness bound.
async fn wait_until(what: &str, done: impl Fn() -> bool) {
    let started = std::time::Instant::now();
    while !done() {
        assert!(started.elapsed() < NO_ANSWER, "never reached: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

// Issue 14, item 6: each slow upload held a thread of the pool every database call runs on,
// so 1,100 slow uploads from one token made another user's `GET /api/v1/me` time out. The
// server here has 4 such threads per worker: before the fix the attacker's slow uploads took
// them all and the other user's requests never answered.
async fn slow_uploads_are_bounded_and_others_still_answer(backend: Backend) {
    let Some(app) = TestApp::start_with_blocking_threads(backend, Some(4), |c| {
        c.max_concurrent_uploads = 6;
        c.max_concurrent_uploads_per_user = 2;
        c.min_upload_bytes_per_second = 1024;
        c.upload_rate_window_seconds = 2;
    })
    .await
    else {
        return;
    };
    let victim = app.user("victim@example.org").await;
    let attacker = app.user("attacker@example.org").await;
    let mut others = Vec::new();
    for n in 1..=3 {
        others.push(app.user(&format!("other{n}@example.org")).await);
    }
    let release = Arc::new(Notify::new());
    let (sender, mut answers) = mpsc::unbounded_channel();

    // One token opens 12 slow uploads: 2 are admitted, the other 10 refused at once.
    for _ in 0..12 {
        slow_upload(&app, &attacker, release.clone(), sender.clone());
    }
    for (who, answer) in next_answers(&mut answers, 10).await {
        assert_eq!(who, attacker.email);
        assert_eq!(answer.status, 429, "{answer:?}");
        assert_eq!(answer.code, "too_many_uploads", "{answer:?}");
        assert!(answer.message.contains('2'), "{answer:?}");
        assert_eq!(answer.retry_after.as_deref(), Some("10"), "{answer:?}");
    }
    wait_until("the attacker's 2 uploads in progress", || {
        app.state.uploads.in_progress_of(&attacker.id) == 2
    })
    .await;

    // Two more users fill the server's 6 places; a third is told the server is busy.
    for user in &others[..2] {
        for _ in 0..2 {
            slow_upload(&app, user, release.clone(), sender.clone());
        }
    }
    wait_until("6 uploads in progress", || {
        app.state.uploads.in_progress() == 6
    })
    .await;
    for _ in 0..2 {
        slow_upload(&app, &others[2], release.clone(), sender.clone());
    }
    for (who, answer) in next_answers(&mut answers, 2).await {
        assert_eq!(who, others[2].email);
        assert_eq!(answer.status, 503, "{answer:?}");
        assert_eq!(answer.code, "uploads_busy", "{answer:?}");
        assert_eq!(answer.retry_after.as_deref(), Some("10"), "{answer:?}");
    }

    // While six slow uploads are in progress, another user's requests answer.
    for _ in 0..5 {
        let response = tokio::time::timeout(
            NO_ANSWER,
            app.as_user(&victim, Method::GET, "/api/v1/me").send(),
        )
        .await
        .expect("GET /api/v1/me did not answer while slow uploads were in progress")
        .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
    }
    let response = app
        .as_user(&victim, Method::GET, "/api/v1/datasets")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);

    // Then the admitted uploads slow to a trickle, and each is dropped with the documented
    // error (not left to time out), giving its place back.
    release.notify_waiters();
    let dropped = next_answers(&mut answers, 6).await;
    for (_, answer) in &dropped {
        assert_eq!(answer.status, 408, "{answer:?}");
        assert_eq!(answer.code, "upload_too_slow", "{answer:?}");
        assert!(answer.message.contains("1.0 KiB"), "{answer:?}");
    }
    wait_until("no upload in progress", || {
        app.state.uploads.in_progress() == 0
    })
    .await;
    let response = app
        .upload(&victim, "after.csv", b"a,b\n1,2\n".to_vec())
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    assert_eq!(app.dataset_count(), 1);
}

crate::on_both_backends!(slow_uploads_are_bounded_and_others_still_answer);
