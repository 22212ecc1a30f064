//! Hostile uploads: slow bodies that would hold the server's threads, too many at once, and
//! files that expand far beyond their size.

use std::io::{Cursor, Write};
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

/// Spreadsheet column letters of a 1-based column number (1 → A, 27 → AA).
fn column_letters(mut column: u32) -> String {
    let mut letters = Vec::new();
    while column > 0 {
        let rest = (column - 1) % 26;
        letters.push(b'A' + rest as u8);
        column = (column - 1) / 26;
    }
    letters.reverse();
    String::from_utf8(letters).unwrap()
}

fn text_cell(row: u32, column: u32, text: &str) -> String {
    format!(
        "<c r=\"{}{row}\" t=\"inlineStr\"><is><t>{text}</t></is></c>",
        column_letters(column)
    )
}

/// A part added to a hand-made workbook: its name, and what writes its content.
type ExtraPart = (&'static str, Box<dyn FnOnce(&mut dyn Write)>);

/// An .xlsx built by hand, for shapes no spreadsheet program writes: the package comes from
/// rust_xlsxwriter, the first worksheet's rows (the inside of `<sheetData>`) from `rows`, and
/// `extra` parts are added as given.
fn hand_made_xlsx(rows: impl FnOnce(&mut dyn Write), extra: Vec<ExtraPart>) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    book.add_worksheet().write_number(0, 0, 1).unwrap();
    let skeleton = book.save_to_buffer().unwrap();
    let mut source = zip::ZipArchive::new(Cursor::new(skeleton)).unwrap();
    let mut out = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let mut rows = Some(rows);
    for index in 0..source.len() {
        let mut part = source.by_index(index).unwrap();
        let name = part.name().unwrap().into_owned();
        out.start_file(name.as_str(), options).unwrap();
        if name == "xl/worksheets/sheet1.xml" {
            out.write_all(
                b"<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n\
                  <worksheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" \
                  xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\">\
                  <sheetData>",
            )
            .unwrap();
            (rows.take().unwrap())(&mut out);
            out.write_all(b"</sheetData></worksheet>").unwrap();
        } else {
            std::io::copy(&mut part, &mut out).unwrap();
        }
    }
    for (name, write) in extra {
        out.start_file(name, options).unwrap();
        write(&mut out);
    }
    out.finish().unwrap().into_inner()
}

/// Uploads `bytes` and checks the refusal: status, code, and phrases the message must have.
async fn assert_refused(
    app: &TestApp,
    user: &TestUser,
    filename: &str,
    bytes: Vec<u8>,
    status: StatusCode,
    code: &str,
    phrases: &[&str],
) {
    // A connection of its own: building the hostile files takes seconds, long enough for the
    // server to close an idle pooled connection just as it would be reused.
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(bytes).file_name(filename.to_owned()),
    );
    let response = reqwest::Client::new()
        .post(app.url("/api/v1/datasets"))
        .bearer_auth(user.token.as_deref().unwrap())
        .multipart(form)
        .send()
        .await
        .unwrap();
    let got = response.status();
    let body: Value = response.json().await.unwrap();
    assert_eq!(got, status, "{filename}: {body}");
    assert_eq!(body["error"]["code"], code, "{filename}: {body}");
    let message = body["error"]["message"].as_str().unwrap();
    for phrase in phrases {
        assert!(
            message.contains(phrase),
            "{filename}: '{message}' should mention '{phrase}'"
        );
    }
}

// Issue 14, item 7: a 1.25 MB workbook of 2,000,000 rows was read whole into memory (66 to
// 1,456 MiB) and accepted although Excel stops at 1,048,576 rows; a 0.9 MB CSV of 100,000
// columns took the server to 996 MiB. Each hostile file is built here, with the defaults in
// force, and must be refused with a clear error.
async fn workbook_bombs_and_wide_files_are_refused(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let user = app.user("ada@example.org").await;

    // One row more than Excel has (a header, then 1,048,576 rows of data).
    let rows = hand_made_xlsx(
        |out| {
            out.write_all(format!("<row r=\"1\">{}</row>", text_cell(1, 1, "n")).as_bytes())
                .unwrap();
            for row in 2..=1_048_577u32 {
                write!(out, "<row><c><v>{row}</v></c></row>").unwrap();
            }
        },
        vec![],
    );
    assert_refused(
        &app,
        &user,
        "rows.xlsx",
        rows,
        StatusCode::PAYLOAD_TOO_LARGE,
        "too_many_rows",
        &["1048577", "1048576"],
    )
    .await;

    // A few cells, far to the right: past max_columns (4,096 by default), and past Excel's
    // 16,384 columns.
    for (column, phrases) in [
        (5_000u32, ["5000", "4096"]),
        (16_385u32, ["16385", "16384"]),
    ] {
        let wide = hand_made_xlsx(
            move |out| {
                write!(
                    out,
                    "<row r=\"1\">{}{}</row><row r=\"2\"><c r=\"A2\"><v>1</v></c></row>",
                    text_cell(1, 1, "a"),
                    text_cell(1, column, "z")
                )
                .unwrap();
            },
            vec![],
        );
        assert_refused(
            &app,
            &user,
            "wide.xlsx",
            wide,
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_many_columns",
            &phrases,
        )
        .await;
    }

    // A part that expands a thousandfold: 64 MiB of shared string from about 64 KiB.
    let bomb = hand_made_xlsx(
        |out| {
            write!(out, "<row r=\"1\">{}</row>", text_cell(1, 1, "a")).unwrap();
        },
        vec![(
            "xl/sharedStrings.xml",
            Box::new(|out: &mut dyn Write| {
                out.write_all(
                    b"<sst xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\" \
                      count=\"1\" uniqueCount=\"1\"><si><t>",
                )
                .unwrap();
                let block = vec![b'a'; 1 << 20];
                for _ in 0..64 {
                    out.write_all(&block).unwrap();
                }
                out.write_all(b"</t></si></sst>").unwrap();
            }),
        )],
    );
    assert!(bomb.len() < 1 << 20, "the bomb is {} bytes", bomb.len());
    assert_refused(
        &app,
        &user,
        "bomb.xlsx",
        bomb,
        StatusCode::PAYLOAD_TOO_LARGE,
        "workbook_too_large",
        &["xl/sharedStrings.xml", "max_xlsx_compression_ratio"],
    )
    .await;

    // 100,000 columns of CSV in 0.9 MB.
    let mut csv = (0..100_000)
        .map(|i| format!("c{i}"))
        .collect::<Vec<_>>()
        .join(",");
    csv.push('\n');
    csv.push_str(&vec!["1"; 100_000].join(","));
    csv.push('\n');
    assert_refused(
        &app,
        &user,
        "wide.csv",
        csv.into_bytes(),
        StatusCode::PAYLOAD_TOO_LARGE,
        "too_many_columns",
        &["100000", "4096"],
    )
    .await;

    assert_eq!(app.dataset_count(), 0);
    assert_eq!(app.stored_files(), Vec::<String>::new());
}

/// A Parquet file with `columns` integer columns named c0, c1, ….
fn parquet_with_columns(columns: usize) -> Vec<u8> {
    use polars::prelude::*;
    let columns: Vec<Column> = (0..columns)
        .map(|i| Series::new(format!("c{i}").into(), [1i64, 2]).into())
        .collect();
    let mut frame = DataFrame::new(2, columns).unwrap();
    let mut bytes = Vec::new();
    ParquetWriter::new(&mut bytes).finish(&mut frame).unwrap();
    bytes
}

// Issue 14, item 7: the column bound holds for every format, and the decompressed size of a
// workbook is bounded too (small limits here, so that small files show it).
async fn every_format_is_held_to_the_column_and_size_limits(backend: Backend) {
    let Some(app) = TestApp::start_with(backend, |c| {
        c.max_columns = 10;
        c.max_xlsx_uncompressed_bytes = 1024 * 1024;
    })
    .await
    else {
        return;
    };
    let user = app.user("ada@example.org").await;
    let header = |n: usize, sep: &str| {
        (0..n)
            .map(|i| format!("c{i}"))
            .collect::<Vec<_>>()
            .join(sep)
    };
    let row = |n: usize, sep: &str| vec!["1"; n].join(sep);
    let xlsx = |n: u16| {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet();
        for i in 0..n {
            sheet.write_string(0, i, format!("c{i}")).unwrap();
            sheet.write_number(1, i, 1).unwrap();
        }
        book.save_to_buffer().unwrap()
    };
    let ndjson = |n: usize| {
        // Records need not share their fields: the columns are all the names used.
        (0..n)
            .map(|i| format!("{{\"c{i}\": {i}}}\n"))
            .collect::<String>()
            .into_bytes()
    };
    let json_array = |n: usize| {
        let records: Vec<String> = (0..n).map(|i| format!("{{\"c{i}\": {i}}}")).collect();
        format!("[{}]", records.join(",")).into_bytes()
    };
    let files = |n: usize| -> Vec<(&'static str, Vec<u8>)> {
        vec![
            (
                "t.csv",
                format!("{}\n{}\n", header(n, ","), row(n, ",")).into_bytes(),
            ),
            (
                "t.tsv",
                format!("{}\n{}\n", header(n, "\t"), row(n, "\t")).into_bytes(),
            ),
            ("t.ndjson", ndjson(n)),
            ("t.json", json_array(n)),
            ("t.parquet", parquet_with_columns(n)),
            ("t.xlsx", xlsx(n as u16)),
        ]
    };
    for (name, bytes) in files(11) {
        assert_refused(
            &app,
            &user,
            name,
            bytes,
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_many_columns",
            &["11", "10", "max_columns"],
        )
        .await;
    }
    for (name, bytes) in files(10) {
        let response = app.upload(&user, name, bytes).await;
        assert_eq!(response.status(), StatusCode::CREATED, "{name}");
    }

    // About 2 MiB of worksheet once decompressed, compressed an ordinary amount.
    let big = hand_made_xlsx(
        |out| {
            write!(out, "<row r=\"1\">{}</row>", text_cell(1, 1, "n")).unwrap();
            for row in 2..=60_000u32 {
                write!(
                    out,
                    "<row r=\"{row}\"><c r=\"A{row}\"><v>{}</v></c></row>",
                    row * 7919
                )
                .unwrap();
            }
        },
        vec![],
    );
    assert_refused(
        &app,
        &user,
        "big.xlsx",
        big,
        StatusCode::PAYLOAD_TOO_LARGE,
        "workbook_too_large",
        &["1.0 MiB", "max_xlsx_uncompressed_bytes"],
    )
    .await;
}

// The streaming reader keeps the table a workbook's used range gives: header on the first row
// with a value, columns from the leftmost to the rightmost value, an empty header cell named
// after its place, blank rows kept, each column typed by all its cells.
async fn workbooks_keep_their_shape_and_types(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let user = app.user("ada@example.org").await;
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let when = rust_xlsxwriter::ExcelDateTime::parse_from_str("2024-01-02T03:04:05").unwrap();
    let format = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd hh:mm:ss");
    // The table starts at B3; D3 (the third header cell) is left empty.
    for (column, name) in [
        (1u16, "id"),
        (2, "score"),
        (4, "ok"),
        (5, "when"),
        (6, "mixed"),
    ] {
        sheet.write_string(2, column, name).unwrap();
    }
    sheet.write_number(3, 1, 1).unwrap();
    sheet.write_number(3, 2, 1.5).unwrap();
    sheet.write_string(3, 3, "note").unwrap();
    sheet.write_boolean(3, 4, true).unwrap();
    sheet
        .write_datetime_with_format(3, 5, &when, &format)
        .unwrap();
    sheet.write_number(3, 6, 7).unwrap();
    // Row 5 is blank; row 6 has some cells.
    sheet.write_number(5, 1, 3).unwrap();
    sheet.write_number(5, 2, 2).unwrap();
    sheet.write_boolean(5, 4, false).unwrap();
    sheet.write_string(5, 6, "seven").unwrap();
    let response = app
        .upload(&user, "shape.xlsx", book.save_to_buffer().unwrap())
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let created: Value = response.json().await.unwrap();
    assert_eq!(created["rows"], 3);
    assert_eq!(
        created["columns"],
        serde_json::json!([
            {"name": "id", "type": "integer"},
            {"name": "score", "type": "float"},
            {"name": "column_3", "type": "string"},
            {"name": "ok", "type": "boolean"},
            {"name": "when", "type": "datetime"},
            {"name": "mixed", "type": "string"},
        ])
    );
    let id = created["id"].as_str().unwrap();
    let rows = app
        .get_json(&user, &format!("/api/v1/datasets/{id}/rows"))
        .await;
    assert_eq!(
        rows["rows"],
        serde_json::json!([
            [1, 1.5, "note", true, "2024-01-02T03:04:05", "7"],
            [null, null, null, null, null, null],
            [3, 2.0, null, false, null, "seven"],
        ])
    );
}

/// Issue 16: a quoted header name with a doubled quote is one quote, as RFC 4180 reads it (it
/// was stored doubled), and the rows beneath it are read as before.
async fn quoted_header_names_are_read_as_rfc_4180_says(backend: Backend) {
    let Some(app) = TestApp::start(backend).await else {
        return;
    };
    let user = app.user("ada@example.org").await;
    let csv = b"\"we\"\"ird col\",\"plain\",\"a, b\"\n1,x,2\n".to_vec();
    let response = app.upload(&user, "quoted.csv", csv).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let created: Value = response.json().await.unwrap();
    let names: Vec<&str> = created["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["we\"ird col", "plain", "a, b"], "{created}");
    let id = created["id"].as_str().unwrap();
    let rows = app
        .get_json(&user, &format!("/api/v1/datasets/{id}/rows"))
        .await;
    assert_eq!(rows["rows"], serde_json::json!([[1, "x", 2]]));
}

/// Issue 16: an empty string can be uploaded. A quoted empty field (`""`) is an empty string,
/// an unquoted one is missing (null), as most tools read CSV; a CSV export writes them back
/// the same way, so the difference survives a round trip.
async fn quoted_empty_fields_are_empty_strings(backend: Backend) {
    let Some(app) = crate::plugins::app_with_plugins(backend, &["csv"], &[]).await else {
        return;
    };
    let user = app.user("ada@example.org").await;
    let csv = b"a,b,c\n\"\",1,x\n,2,\n\"q\",3,\"\"\n".to_vec();
    let response = app.upload(&user, "empty.csv", csv).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let created: Value = response.json().await.unwrap();
    let id = created["id"].as_str().unwrap();
    let rows = app
        .get_json(&user, &format!("/api/v1/datasets/{id}/rows"))
        .await;
    assert_eq!(
        rows["rows"],
        serde_json::json!([["", 1, "x"], [null, 2, null], ["q", 3, ""]])
    );
    let exported = app
        .as_user(
            &user,
            reqwest::Method::GET,
            &format!("/api/v1/datasets/{id}/export?format=csv"),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(exported.status(), StatusCode::OK);
    let text = exported.text().await.unwrap();
    let again = app
        .upload(&user, "again.csv", text.clone().into_bytes())
        .await;
    let again: Value = again.json().await.unwrap();
    let rows_again = app
        .get_json(
            &user,
            &format!("/api/v1/datasets/{}/rows", again["id"].as_str().unwrap()),
        )
        .await;
    assert_eq!(rows_again["rows"], rows["rows"], "exported as:\n{text}");
}

crate::on_both_backends!(
    quoted_empty_fields_are_empty_strings,
    quoted_header_names_are_read_as_rfc_4180_says,
    slow_uploads_are_bounded_and_others_still_answer,
    workbook_bombs_and_wide_files_are_refused,
    every_format_is_held_to_the_column_and_size_limits,
    workbooks_keep_their_shape_and_types,
);
