//! Access benchmark: the latency of one Casbin decision, of one Biscuit verification with its
//! checks (fresh, and presented again), and authorized share-link downloads per second of a
//! small file against a plain static file served by the same server, over loopback.
//!
//! Run with `cargo bench -p tessera --bench access` (release build). The database is SQLite in
//! a temporary folder, filled with a synthetic organisation whose size the flags set:
//! `--users N --datasets N --shares N --seconds N --clients N`.

// A benchmark has no one to report an error to: it stops at the first failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use actix_web::HttpServer;
use diesel::prelude::*;
use tessera::access::Level;
use tessera::access::policy::{Snapshot, dataset_object, user_subject};
use tessera::access::token::{self, AccessRequest, Attenuation, Operation};
use tessera::db::export_jobs::ExportJob;
use tessera::db::schema::{datasets, group_members, user_groups, users};
use tessera::db::share_links::ShareLink;
use tessera::db::shares::Share;
use tessera::http::app::build_app;
use tessera::state::AppState;
use tessera::{Config, links};

struct Options {
    users: usize,
    datasets: usize,
    shares: usize,
    seconds: u64,
    clients: usize,
}

fn options() -> Options {
    let mut options = Options {
        users: 1_000,
        datasets: 2_000,
        shares: 5_000,
        seconds: 5,
        clients: 8,
    };
    let args: Vec<String> = std::env::args().collect();
    let mut i = 1;
    while i < args.len() {
        let value = args.get(i + 1).and_then(|v| v.parse::<usize>().ok());
        match (args[i].as_str(), value) {
            ("--users", Some(v)) => options.users = v,
            ("--datasets", Some(v)) => options.datasets = v,
            ("--shares", Some(v)) => options.shares = v,
            ("--seconds", Some(v)) => options.seconds = v as u64,
            ("--clients", Some(v)) => options.clients = v,
            _ => {
                i += 1;
                continue;
            }
        }
        i += 2;
    }
    options
}

/// A deterministic sequence, so every run builds the same organisation.
struct Sequence(u64);

impl Sequence {
    fn next(&mut self, below: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % below as u64) as usize
    }
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn micros(d: Duration) -> String {
    format!("{:.1} µs", d.as_secs_f64() * 1e6)
}

/// Users, groups of ten, datasets with owners, and shares with users and groups.
fn populate(state: &AppState, o: &Options) {
    let mut conn = state.db.get().unwrap();
    let now = tessera::time::now_millis();
    let mut seq = Sequence(0x9E37_79B9_7F4A_7C15);
    tessera::db::write_transaction(&mut conn, |conn| {
        for u in 0..o.users {
            diesel::insert_into(users::table)
                .values((
                    users::id.eq(format!("u{u}")),
                    users::email.eq(format!("user{u}@example.org")),
                    users::name.eq(format!("User {u}")),
                    users::password_hash.eq("x"),
                    users::is_admin.eq(false),
                    users::is_active.eq(true),
                    users::created_at.eq(now),
                    users::updated_at.eq(now),
                ))
                .execute(conn)?;
        }
        let groups = (o.users / 10).max(1);
        for g in 0..groups {
            diesel::insert_into(user_groups::table)
                .values((
                    user_groups::id.eq(format!("g{g}")),
                    user_groups::name.eq(format!("group {g}")),
                    user_groups::description.eq(""),
                    user_groups::created_at.eq(now),
                ))
                .execute(conn)?;
        }
        for u in 0..o.users {
            diesel::insert_into(group_members::table)
                .values((
                    group_members::group_id.eq(format!("g{}", u % groups)),
                    group_members::user_id.eq(format!("u{u}")),
                    group_members::added_at.eq(now),
                ))
                .execute(conn)?;
        }
        for d in 0..o.datasets {
            diesel::insert_into(datasets::table)
                .values((
                    datasets::id.eq(format!("d{d}")),
                    datasets::owner_id.eq(format!("u{}", seq.next(o.users))),
                    datasets::name.eq(format!("dataset {d}")),
                    datasets::description.eq(""),
                    datasets::tags.eq("[]"),
                    datasets::latest_version.eq(1),
                    datasets::created_at.eq(now),
                    datasets::updated_at.eq(now),
                ))
                .execute(conn)?;
        }
        for s in 0..o.shares {
            let (kind, subject) = if s % 3 == 0 {
                ("group", format!("g{}", seq.next(groups)))
            } else {
                ("user", format!("u{}", seq.next(o.users)))
            };
            Share::create(
                conn,
                &Share {
                    id: format!("s{s}"),
                    dataset_id: format!("d{}", seq.next(o.datasets)),
                    subject_kind: kind.into(),
                    subject_id: subject,
                    level: ["view", "edit", "admin"][seq.next(3)].into(),
                    expires_at: None,
                    created_by: None,
                    created_at: now,
                    updated_at: now,
                    accepted_at: None,
                },
            )
            .or_else(|e| match e {
                tessera::db::DbError::Conflict(_) => Ok(()),
                other => Err(other),
            })?;
        }
        Ok::<_, tessera::db::DbError>(())
    })
    .unwrap();
}

fn bench_casbin(state: &AppState, o: &Options) {
    let mut conn = state.db.get().unwrap();
    let now = tessera::time::now_millis();
    let started = Instant::now();
    let snapshot = Snapshot::load(&mut conn, now, None).unwrap();
    let build = started.elapsed();
    let mut seq = Sequence(42);
    let mut enforce = Vec::new();
    let mut granted = 0;
    for _ in 0..20_000 {
        let subject = user_subject(&format!("u{}", seq.next(o.users)));
        let object = dataset_object(&format!("d{}", seq.next(o.datasets)));
        let t = Instant::now();
        let allowed = snapshot.allows(&subject, &object, Level::View).unwrap();
        enforce.push(t.elapsed());
        granted += usize::from(allowed);
    }
    // As a request decides: the access-version check, the cached enforcer, the explanation.
    let mut request = Vec::new();
    for _ in 0..5_000 {
        let subject = user_subject(&format!("u{}", seq.next(o.users)));
        let object = dataset_object(&format!("d{}", seq.next(o.datasets)));
        let t = Instant::now();
        let current = state.access.snapshot(&mut conn, now).unwrap();
        let why = current.explain(&subject, &object, Level::View).unwrap();
        request.push(t.elapsed());
        std::hint::black_box(why);
    }
    println!(
        "casbin: {} users, {} datasets, {} shares; enforcer built in {:.0} ms",
        o.users,
        o.datasets,
        o.shares,
        build.as_secs_f64() * 1e3
    );
    println!(
        "  one decision (enforce):                  median {}  ({} of 20000 granted)",
        micros(median(enforce)),
        granted
    );
    println!(
        "  one decision as a request makes it:      median {}  (version query + enforce + explanation)",
        micros(median(request))
    );
}

/// The cost every recorded decision adds: one audit entry, chained, in its own transaction.
fn bench_audit(state: &AppState) {
    use tessera::access::audit::{self, AuditEvent};
    let mut conn = state.db.get().unwrap();
    let mut samples = Vec::new();
    for i in 0..2_000 {
        let t = Instant::now();
        audit::record(
            &mut conn,
            tessera::time::now_millis(),
            AuditEvent::new("user:u1", "access.dataset", format!("dataset:d{i}"))
                .outcome("granted"),
        )
        .unwrap();
        samples.push(t.elapsed());
    }
    println!(
        "audit: one entry appended: median {}",
        micros(median(samples))
    );
}

fn bench_biscuit(state: &AppState) {
    let keys = &state.token_keys;
    let link_id = "bench-link";
    let fresh = token::mint(keys, link_id, Operation::Download).unwrap();
    let narrowed = token::attenuate(
        &token::attenuate(
            &token::attenuate(
                &fresh,
                &Attenuation {
                    expires_at: Some(time::OffsetDateTime::now_utc() + time::Duration::hours(1)),
                    ..Attenuation::default()
                },
            )
            .unwrap(),
            &Attenuation {
                columns: Some(vec!["a".into(), "b".into()]),
                ..Attenuation::default()
            },
        )
        .unwrap(),
        &Attenuation {
            max_downloads: Some(5),
            ..Attenuation::default()
        },
    )
    .unwrap();
    let columns = vec!["a".to_owned()];
    let counts = [0u64, 0, 0];
    let check = |presented: &token::Presented| {
        token::authorize(
            presented,
            &AccessRequest {
                link_id,
                now: time::OffsetDateTime::now_utc(),
                operation: Operation::Download,
                format: Some("csv"),
                columns: &columns,
                version: 1,
                block_downloads: &counts,
            },
        )
        .unwrap();
    };
    println!("biscuit:");
    for (name, token) in [
        ("minted (1 block)", &fresh),
        ("narrowed 3 times (4 blocks)", &narrowed),
    ] {
        let mut first = Vec::new();
        for _ in 0..2_000 {
            let t = Instant::now();
            let presented = token::verify(keys, token).unwrap();
            check(&presented);
            first.push(t.elapsed());
        }
        let cache = links::VerifiedTokens::default();
        cache.verify(keys, token).unwrap();
        let mut again = Vec::new();
        for _ in 0..2_000 {
            let t = Instant::now();
            let presented = cache.verify(keys, token).unwrap();
            check(&presented);
            again.push(t.elapsed());
        }
        println!(
            "  {name:<28} verify + checks: median {}; presented again: median {}",
            micros(median(first)),
            micros(median(again))
        );
    }
}

/// Requests per second over `seconds`, from `clients` concurrent loopback clients.
async fn throughput(url: String, clients: usize, seconds: u64) -> (f64, usize) {
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let client = client.clone();
        let url = url.clone();
        tasks.push(tokio::spawn(async move {
            let (mut ok, mut failed) = (0usize, 0usize);
            while Instant::now() < deadline {
                match client.get(&url).send().await {
                    Ok(r) if r.status().is_success() => {
                        if r.bytes().await.is_ok() {
                            ok += 1;
                        } else {
                            failed += 1;
                        }
                    }
                    _ => failed += 1,
                }
            }
            (ok, failed)
        }));
    }
    let (mut ok, mut failed) = (0, 0);
    for task in tasks {
        let (o, f) = task.await.unwrap();
        ok += o;
        failed += f;
    }
    (ok as f64 / seconds as f64, failed)
}

async fn bench_downloads(state: AppState, o: &Options) {
    let now = tessera::time::now_millis();
    // A finished export's file of the static file's size, shared by two links.
    let body = include_bytes!("../../static/js/api-docs.js");
    std::fs::create_dir_all(state.storage.absolute("exports")).unwrap();
    std::fs::write(state.storage.absolute("exports/bench.csv"), body).unwrap();
    let mut conn = state.db.get().unwrap();
    // The links act with their creator's rights: made by the dataset's owner, who keeps them.
    let owner: String = datasets::table
        .find("d0")
        .select(datasets::owner_id)
        .get_result(&mut *conn)
        .unwrap();
    ExportJob::create(
        &mut conn,
        &ExportJob {
            id: "bench-job".into(),
            dataset_id: "d0".into(),
            version: 1,
            format: "csv".into(),
            spec: "{}".into(),
            status: tessera::db::export_jobs::JobStatus::Done,
            total_rows: Some(1),
            rows_done: 1,
            bytes_done: body.len() as i64,
            error_code: None,
            error_message: None,
            artifact_path: Some("exports/bench.csv".into()),
            file_name: Some("bench.csv".into()),
            media_type: Some("text/csv".into()),
            manifest: None,
            attempts: 1,
            created_by: Some(owner.clone()),
            created_at: now,
            started_at: Some(now),
            heartbeat_at: None,
            finished_at: Some(now),
            expires_at: Some(now + 86_400_000),
        },
    )
    .unwrap();
    let mut slugs = Vec::new();
    for (name, limit) in [("unlimited", None), ("limited", Some(1_000_000_000i64))] {
        let slug = links::new_slug();
        ShareLink::create(
            &mut conn,
            &ShareLink {
                id: format!("link-{name}"),
                owner_id: owner.clone(),
                dataset_id: Some("d0".into()),
                export_job_id: Some("bench-job".into()),
                slug_hash: links::slug_hash(&slug),
                name: name.into(),
                level: "download".into(),
                version: Some(1),
                allowed_formats: None,
                allowed_columns: None,
                expires_at: None,
                max_downloads: limit,
                downloads_taken: 0,
                downloads_completed: 0,
                password_hash: None,
                password_epoch: 0,
                self_destruct: false,
                created_at: now,
                revoked_at: None,
                destroyed_at: None,
                last_access_at: None,
                needs_level: "view".into(),
                sealed_address: None,
            },
        )
        .unwrap();
        slugs.push((name, slug));
    }
    {
        // Where a download's time goes on the database side (one statement each).
        let slug_hash = links::slug_hash(&slugs[0].1);
        let mut timings: Vec<(&str, Vec<Duration>)> = vec![
            ("find link by slug", vec![]),
            ("find export job", vec![]),
            ("access log insert", vec![]),
            ("touch link", vec![]),
            ("pool checkout", vec![]),
        ];
        for _ in 0..500 {
            let t = Instant::now();
            ShareLink::find_by_slug_hash(&mut conn, &slug_hash).unwrap();
            timings[0].1.push(t.elapsed());
            let t = Instant::now();
            ExportJob::find(&mut conn, "bench-job").unwrap();
            timings[1].1.push(t.elapsed());
            let t = Instant::now();
            tessera::db::link_access_log::LinkAccess::record(
                &mut conn,
                &tessera::db::link_access_log::LinkAccess {
                    id: tessera::db::new_id(),
                    link_id: "link-unlimited".into(),
                    at: now,
                    event: "view".into(),
                    reason: None,
                    address: None,
                    user_agent: None,
                },
            )
            .unwrap();
            timings[2].1.push(t.elapsed());
            let t = Instant::now();
            ShareLink::touch(&mut conn, "link-unlimited", now).unwrap();
            timings[3].1.push(t.elapsed());
            let t = Instant::now();
            drop(state.db.get().unwrap());
            timings[4].1.push(t.elapsed());
        }
        println!("database statements a download makes (among others):");
        for (name, samples) in timings {
            println!("  {name:<20} median {}", micros(median(samples)));
        }
    }
    drop(conn);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server_state = state.clone();
    let server = HttpServer::new(move || build_app(server_state.clone()))
        .on_connect(tessera::http::app::on_connect)
        .workers(2)
        .disable_signals()
        .listen(listener)
        .unwrap()
        .run();
    let handle = server.handle();
    tokio::spawn(server);
    let base = format!("http://127.0.0.1:{port}");
    println!(
        "downloads of a {} byte file, {} clients on loopback, {} s each:",
        body.len(),
        o.clients,
        o.seconds
    );
    let (static_rate, _) = throughput(
        format!("{base}/static/js/api-docs.js"),
        o.clients,
        o.seconds,
    )
    .await;
    println!("  plain static file:                  {static_rate:>8.0} /s");
    for (name, slug) in &slugs {
        let (rate, failed) =
            throughput(format!("{base}/s/{slug}/download"), o.clients, o.seconds).await;
        println!(
            "  share link, {name:<9} downloads:   {rate:>8.0} /s  ({:.1}x slower; {failed} failed)",
            static_rate / rate.max(1e-9)
        );
    }
    handle.stop(true).await;
}

fn main() {
    let o = options();
    let dir = tempfile::tempdir().unwrap();
    let config = Config {
        data_dir: dir.path().to_path_buf(),
        plugins_dir: dir.path().join("no-plugins"),
        log_level: "warn".into(),
        ..Config::default()
    };
    let state = AppState::open(config).expect("open state");
    populate(&state, &o);
    bench_casbin(&state, &o);
    bench_audit(&state);
    bench_biscuit(&state);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let local = tokio::task::LocalSet::new();
    let state = Arc::new(state);
    local.block_on(&runtime, bench_downloads((*state).clone(), &o));
}
