//! Test fixtures: a running Tessera per test, and builders for users and uploads.

#![allow(dead_code)]

use std::net::TcpListener;

use actix_web::HttpServer;
use diesel::Connection;
use diesel::connection::SimpleConnection;
use reqwest::{Client, Method, RequestBuilder, Response, StatusCode};
use serde_json::{Value, json};
use tessera::{AppState, Config, build_app};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The PostgreSQL server the suite uses: `TESSERA_TEST_POSTGRES_URL`, pointing at a database
/// the suite may create others from. The README's test command starts one.
pub fn postgres_admin_url() -> Option<String> {
    match std::env::var("TESSERA_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var("TESSERA_TEST_SKIP_POSTGRES").as_deref() == Ok("1") => None,
        _ => panic!(
            "TESSERA_TEST_POSTGRES_URL is not set: run the suite with scripts/test, which starts \
             PostgreSQL, or set TESSERA_TEST_SKIP_POSTGRES=1 to run the SQLite half only"
        ),
    }
}

/// Creates a fresh, empty PostgreSQL database and returns its URL.
pub fn fresh_postgres_database(admin_url: &str) -> String {
    let name = format!("tessera_test_{}", uuid_hex());
    let mut admin = diesel::PgConnection::establish(admin_url).expect("connect to PostgreSQL");
    admin
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .expect("create test database");
    let base = admin_url
        .rsplit_once('/')
        .map(|(base, _)| base)
        .unwrap_or(admin_url);
    format!("{base}/{name}")
}

fn uuid_hex() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!("{:x}{:x}{:x}", nanos, std::process::id(), rand_u64())
}

fn rand_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(1);
    h.finish()
}

pub struct TestApp {
    pub base: String,
    pub state: AppState,
    pub client: Client,
    pub backend: Backend,
    pub data_dir: tempfile::TempDir,
    server: actix_web::dev::ServerHandle,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let handle = self.server.clone();
        std::mem::drop(handle.stop(false));
    }
}

impl TestApp {
    /// A running Tessera on its own database, or `None` when PostgreSQL was explicitly skipped.
    pub async fn start(backend: Backend) -> Option<TestApp> {
        Self::start_with(backend, |_| {}).await
    }

    pub async fn start_with(backend: Backend, tweak: impl FnOnce(&mut Config)) -> Option<TestApp> {
        Self::start_with_blocking_threads(backend, None, tweak).await
    }

    /// Like [`TestApp::start_with`], with at most `threads` blocking threads per server worker
    /// (the pool database calls run on), so that a test can show what would hold them all.
    pub async fn start_with_blocking_threads(
        backend: Backend,
        threads: Option<usize>,
        tweak: impl FnOnce(&mut Config),
    ) -> Option<TestApp> {
        let data_dir = tempfile::tempdir().expect("temp dir");
        let database_url = match backend {
            Backend::Sqlite => String::new(),
            Backend::Postgres => fresh_postgres_database(&postgres_admin_url()?),
        };
        let mut config = Config {
            data_dir: data_dir.path().to_path_buf(),
            database_url,
            database_pool_size: 4,
            // Compiling the plugins once for the whole suite, not once per test.
            plugin_cache_dir: std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
                .join("plugin-cache"),
            ..Config::default()
        };
        tweak(&mut config);
        Some(Self::start_on_with(backend, config, data_dir, threads).await)
    }

    /// Starts a server on an existing configuration (e.g. to restart over the same data).
    pub async fn start_on(
        backend: Backend,
        config: Config,
        data_dir: tempfile::TempDir,
    ) -> TestApp {
        Self::start_on_with(backend, config, data_dir, None).await
    }

    async fn start_on_with(
        backend: Backend,
        config: Config,
        data_dir: tempfile::TempDir,
        blocking_threads: Option<usize>,
    ) -> TestApp {
        let state = tokio::task::spawn_blocking(move || AppState::open(config))
            .await
            .unwrap()
            .expect("open state");
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server_state = state.clone();
        let mut server = HttpServer::new(move || build_app(server_state.clone()))
            .on_connect(tessera::http::app::on_connect)
            .workers(2)
            .disable_signals();
        if let Some(threads) = blocking_threads {
            server = server.worker_max_blocking_threads(threads);
        }
        let server = server.listen(listener).unwrap().run();
        let handle = server.handle();
        tokio::spawn(server);
        tessera::background::start(&state);
        TestApp {
            base: format!("http://127.0.0.1:{port}"),
            state,
            client: Client::new(),
            backend,
            data_dir,
            server: handle,
        }
    }

    /// Another server on the same database and configuration, with its own process state
    /// and data folder: a second replica, or this one restarted.
    pub async fn replica(&self) -> TestApp {
        self.replica_with(|_| {}).await
    }

    /// [`TestApp::replica`], its configuration changed by `tweak` first. Replicas share the
    /// link address key file, as the operator guide says they must.
    pub async fn replica_with(&self, tweak: impl FnOnce(&mut Config)) -> TestApp {
        let mut config = (*self.state.config).clone();
        config.link_address_key_file = self.state.config.effective_link_address_key_file();
        if self.backend == Backend::Sqlite {
            config.database_url = self
                .data_dir
                .path()
                .join("tessera.db")
                .display()
                .to_string();
        }
        let data_dir = tempfile::tempdir().expect("temp dir");
        config.data_dir = data_dir.path().to_path_buf();
        tweak(&mut config);
        TestApp::start_on(self.backend, config, data_dir).await
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.client.request(method, self.url(path))
    }

    /// Creates a user directly through the account service (as `tessera user create` does).
    pub async fn create_user(&self, email: &str, admin: bool) -> TestUser {
        let password = "correct horse battery staple";
        let user = tessera::accounts::create_user(
            &self.state.db,
            None,
            email,
            "Test User",
            password,
            admin,
        )
        .await
        .expect("create user");
        TestUser {
            id: user.id,
            email: email.to_owned(),
            password: password.to_owned(),
            token: None,
            session: None,
        }
    }

    /// A signed-in user holding a read-write API token.
    pub async fn user(&self, email: &str) -> TestUser {
        let mut user = self.create_user(email, false).await;
        user.token = Some(self.token_for(&mut user, &["read", "write"]).await);
        user
    }

    pub async fn admin(&self, email: &str) -> TestUser {
        let mut user = self.create_user(email, true).await;
        user.token = Some(self.token_for(&mut user, &["read", "write", "admin"]).await);
        user
    }

    pub async fn login(&self, user: &mut TestUser) -> Response {
        let response = self
            .request(Method::POST, "/api/v1/auth/login")
            .json(&json!({"email": user.email, "password": user.password}))
            .send()
            .await
            .unwrap();
        if response.status() == StatusCode::OK {
            let cookie = response
                .headers()
                .get_all("set-cookie")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .find(|v| v.starts_with("tessera_session="))
                .map(|v| v.split(';').next().unwrap().to_owned())
                .expect("session cookie");
            user.session = Some(Session {
                cookie,
                csrf: String::new(),
            });
        }
        response
    }

    async fn token_for(&self, user: &mut TestUser, scopes: &[&str]) -> String {
        let response = self.login(user).await;
        assert_eq!(response.status(), StatusCode::OK);
        let body: Value = response.json().await.unwrap();
        let session = user.session.as_mut().unwrap();
        session.csrf = body["csrf_token"].as_str().unwrap().to_owned();
        let response = self
            .request(Method::POST, "/api/v1/tokens")
            .header("cookie", &session.cookie)
            .header("x-csrf-token", &session.csrf)
            .json(&json!({"name": "tests", "scopes": scopes}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
        let body: Value = response.json().await.unwrap();
        body["token"].as_str().unwrap().to_owned()
    }

    /// A request made with the user's API token.
    pub fn as_user(&self, user: &TestUser, method: Method, path: &str) -> RequestBuilder {
        self.request(method, path)
            .bearer_auth(user.token.as_deref().expect("user has a token"))
    }

    /// POSTs `body` as JSON with the user's token and returns the JSON answer.
    pub async fn post_json(&self, user: &TestUser, path: &str, body: Value) -> Value {
        self.as_user(user, Method::POST, path)
            .json(&body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// GETs `path` with the user's token and returns the JSON body.
    pub async fn get_json(&self, user: &TestUser, path: &str) -> Value {
        self.as_user(user, Method::GET, path)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// GETs the page at `path` with the user's token and returns its HTML.
    pub async fn page_html(&self, user: &TestUser, path: &str) -> String {
        self.as_user(user, Method::GET, path)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// Uploads `bytes` as a file named `filename` and returns the response.
    pub async fn upload(&self, user: &TestUser, filename: &str, bytes: Vec<u8>) -> Response {
        self.upload_to(user, "/api/v1/datasets", filename, bytes, &[])
            .await
    }

    /// Uploads a CSV as `filename`, asserts it was created and returns the dataset's id.
    pub async fn upload_dataset(&self, user: &TestUser, filename: &str, csv: &[u8]) -> String {
        let response = self.upload(user, filename, csv.to_vec()).await;
        assert_eq!(
            response.status(),
            StatusCode::CREATED,
            "uploading {filename}"
        );
        let created: Value = response.json().await.unwrap();
        created["id"].as_str().unwrap().to_owned()
    }

    /// Makes a share link by POSTing `body` to `path` (a dataset's or an export's links),
    /// asserts it was created and returns it.
    pub async fn make_link(&self, owner: &TestUser, path: &str, body: Value) -> Value {
        let response = self
            .as_user(owner, Method::POST, path)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED, "{body}");
        response.json().await.unwrap()
    }

    pub async fn upload_to(
        &self,
        user: &TestUser,
        path: &str,
        filename: &str,
        bytes: Vec<u8>,
        fields: &[(&str, &str)],
    ) -> Response {
        let mut form = reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(bytes).file_name(filename.to_owned()),
        );
        for (name, value) in fields {
            form = form.text(name.to_string(), value.to_string());
        }
        self.as_user(user, Method::POST, path)
            .multipart(form)
            .send()
            .await
            .unwrap()
    }

    /// Files under the data folder (relative paths), to prove nothing was left behind.
    pub fn stored_files(&self) -> Vec<String> {
        let mut files = Vec::new();
        let root = self.data_dir.path();
        for dir in ["datasets", "tmp"] {
            walk(&root.join(dir), root, &mut files);
        }
        files.sort();
        files
    }

    pub fn dataset_count(&self) -> i64 {
        let mut conn = self.state.db.get().unwrap();
        use diesel::prelude::*;
        tessera::db::schema::datasets::table
            .count()
            .get_result(&mut *conn)
            .unwrap()
    }
}

fn walk(dir: &std::path::Path, root: &std::path::Path, out: &mut Vec<String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            walk(&path, root, out);
        } else {
            out.push(
                path.strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned(),
            );
        }
    }
}

#[derive(Debug, Clone)]
pub struct Session {
    pub cookie: String,
    pub csrf: String,
}

#[derive(Debug, Clone)]
pub struct TestUser {
    pub id: String,
    pub email: String,
    pub password: String,
    pub token: Option<String>,
    pub session: Option<Session>,
}

/// `text` percent-encoded for a URL's query or path segment: every byte but RFC 3986's
/// unreserved characters.
pub fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                char::from(b).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// Reads a JSON error body and returns its code.
pub async fn error_code(response: Response) -> String {
    let body: Value = response.json().await.expect("JSON error body");
    body["error"]["code"]
        .as_str()
        .expect("error.code")
        .to_owned()
}

/// Declares each listed `async fn name(backend: Backend)` as two tests: `sqlite::name` and
/// `postgres::name`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $( #[actix_web::test] async fn $name() { super::$name($crate::common::Backend::Sqlite).await } )*
        }
        mod postgres {
            $( #[actix_web::test] async fn $name() { super::$name($crate::common::Backend::Postgres).await } )*
        }
    };
}
