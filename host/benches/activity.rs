//! Activity benchmark: how fast events are recorded and rolled up, and how fast the owner's and
//! the admin's reports answer over millions of events, against counting the raw events.
//!
//! Run with `cargo bench -p tessera --bench activity` (release build); flags
//! `--events N` (default 10,000,000), `--datasets N`, `--links N`, `--days N`. SQLite in a
//! temporary folder, and PostgreSQL too when `TESSERA_BENCH_POSTGRES_URL` names a server whose
//! database may be emptied (a fresh database is made there and dropped).
//!
//! The events are generated as a year of traffic would write them (link views and downloads
//! from returning visitors, refusals, exports, shares, sign-ins), inserted with their outbox
//! rows in large transactions, then handed to the real dispatcher, which keeps the rollups.

// A benchmark has no one to report an error to: it stops at the first failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use diesel::prelude::*;
use tessera::activity::report::{self, Grouping, Scope};
use tessera::db::{AnyConnection, Database, run_migrations};

struct Options {
    events: usize,
    datasets: usize,
    links: usize,
    days: i64,
}

fn options() -> Options {
    let mut options = Options {
        events: 10_000_000,
        datasets: 1_000,
        links: 5_000,
        days: 365,
    };
    let args: Vec<String> = std::env::args().collect();
    let mut i = 1;
    while i < args.len() {
        let value = args.get(i + 1).and_then(|v| v.parse::<usize>().ok());
        match (args[i].as_str(), value) {
            ("--events", Some(v)) => options.events = v,
            ("--datasets", Some(v)) => options.datasets = v,
            ("--links", Some(v)) => options.links = v,
            ("--days", Some(v)) => options.days = v as i64,
            _ => {
                i += 1;
                continue;
            }
        }
        i += 2;
    }
    options
}

const DAY: i64 = 86_400_000;
const TEAMS: usize = 20;

/// A small deterministic generator (xorshift), so every run writes the same events.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn exec(conn: &mut AnyConnection, sql: &str) {
    diesel::sql_query(sql)
        .execute(conn)
        .unwrap_or_else(|e| panic!("{e}: {}", &sql[..sql.len().min(200)]));
}

/// Users, teams, datasets and links for the events to name.
fn populate(conn: &mut AnyConnection, o: &Options, now: i64) {
    exec(
        conn,
        &format!(
            "INSERT INTO users (id, email, name, password_hash, is_admin, is_active, created_at, updated_at) \
             VALUES ('u0', 'owner@example.org', 'Owner', 'x', false, true, {now}, {now})"
        ),
    );
    let teams: Vec<String> = (0..TEAMS)
        .map(|t| format!("('t{t}', 'Team {t}', '', 'u0', {now})"))
        .collect();
    exec(
        conn,
        &format!(
            "INSERT INTO teams (id, name, description, created_by, created_at) VALUES {}",
            teams.join(",")
        ),
    );
    for chunk in (0..o.datasets).collect::<Vec<_>>().chunks(500) {
        let rows: Vec<String> = chunk
            .iter()
            .map(|d| {
                format!(
                    "('d{d}', 'u0', 't{}', 'Dataset {d}', '', '[]', NULL, 1, {now}, {now}, NULL, NULL)",
                    d % TEAMS
                )
            })
            .collect();
        exec(
            conn,
            &format!(
                "INSERT INTO datasets (id, owner_id, team_id, name, description, tags, licence, \
                 latest_version, created_at, updated_at, deleted_at, deleted_by) VALUES {}",
                rows.join(",")
            ),
        );
    }
    for chunk in (0..o.links).collect::<Vec<_>>().chunks(500) {
        let rows: Vec<String> = chunk
            .iter()
            .map(|l| {
                format!(
                    "('l{l}', 'u0', 'd{}', 'slug{l}', 'Link {l}', 'download', {now})",
                    l % o.datasets
                )
            })
            .collect();
        exec(
            conn,
            &format!(
                "INSERT INTO share_links (id, owner_id, dataset_id, slug_hash, name, level, created_at) VALUES {}",
                rows.join(",")
            ),
        );
    }
}

/// Writes `o.events` events over `o.days` days ending at `now`, with their outbox rows.
fn generate(conn: &mut AnyConnection, o: &Options, now: i64) -> Duration {
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    let start = now - o.days * DAY;
    let span = o.days * DAY;
    let began = Instant::now();
    let mut written = 0;
    while written < o.events {
        let n = (o.events - written).min(20_000);
        conn.transaction::<_, diesel::result::Error, _>(|conn| {
            for block in 0..n.div_ceil(1_000) {
                let rows = (n - block * 1_000).min(1_000);
                let mut events = Vec::with_capacity(rows);
                let mut queued = Vec::with_capacity(rows);
                for _ in 0..rows {
                    let r = rng.next();
                    let at = start + (r % span as u64) as i64;
                    let link = (r >> 20) as usize % o.links;
                    let dataset = link % o.datasets;
                    // Visitors return: a few thousand addresses a day.
                    let visitor = format!("'v{}'", (r >> 40) % 5_000);
                    let (kind, actor, dataset_id, link_id, visitor, payload) = match r % 100 {
                        0..=59 => ("link.viewed", format!("link:l{link}"), "NULL".to_owned(), format!("'l{link}'"), visitor, "{}".to_owned()),
                        60..=84 => ("link.downloaded", format!("link:l{link}"), "NULL".to_owned(), format!("'l{link}'"), visitor, format!("{{\"bytes\": {}}}", 1_000 + r % 100_000)),
                        85..=89 => ("link.refused", format!("link:l{link}"), "NULL".to_owned(), format!("'l{link}'"), visitor, "{\"reason\": \"wrong_password\"}".to_owned()),
                        90..=94 => ("export.done", "user:u0".to_owned(), format!("'d{dataset}'"), "NULL".to_owned(), "NULL".to_owned(), format!("{{\"format\": \"{}\", \"duration_ms\": {}}}", ["csv", "json", "xlsx", "pdf"][(r >> 8) as usize % 4], 50 + r % 5_000)),
                        95..=97 => ("share.granted", "user:u0".to_owned(), format!("'d{dataset}'"), "NULL".to_owned(), "NULL".to_owned(), "{\"level\": \"view\"}".to_owned()),
                        _ => ("user.signed_in", "user:u0".to_owned(), "NULL".to_owned(), "NULL".to_owned(), "NULL".to_owned(), "{}".to_owned()),
                    };
                    let id = tessera::db::new_id();
                    events.push(format!(
                        "('{id}', {at}, '{kind}', '{actor}', {dataset_id}, {link_id}, NULL, {visitor}, '{payload}')"
                    ));
                    queued.push(format!("('{id}', {at})"));
                }
                exec(
                    conn,
                    &format!(
                        "INSERT INTO events (id, at, kind, actor, dataset_id, link_id, subject, visitor, payload) VALUES {}",
                        events.join(",")
                    ),
                );
                exec(
                    conn,
                    &format!("INSERT INTO event_outbox (event_id, at) VALUES {}", queued.join(",")),
                );
            }
            Ok(())
        })
        .unwrap();
        written += n;
    }
    began.elapsed()
}

/// The best and the median of `runs` timings of `f`.
fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, Duration, T) {
    let mut times = Vec::with_capacity(runs);
    let mut last = None;
    for _ in 0..runs {
        let began = Instant::now();
        last = Some(f());
        times.push(began.elapsed());
    }
    times.sort();
    (times[0], times[runs / 2], last.unwrap())
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1_000.0)
}

fn run(name: &str, url: &str, o: &Options) {
    let db = Database::connect(url, 4).expect("connect");
    let mut conn = db.get().unwrap();
    run_migrations(&mut conn).unwrap();
    let now = (tessera::time::now_millis() / DAY) * DAY + DAY / 2;
    populate(&mut conn, o, now);
    let wrote = generate(&mut conn, o, now);
    println!(
        "{name}: wrote {} events with their outbox rows in {:.1} s ({:.0} events/s)",
        o.events,
        wrote.as_secs_f64(),
        o.events as f64 / wrote.as_secs_f64()
    );
    let began = Instant::now();
    let handed = tessera::dispatch::drain(&mut conn).unwrap();
    let rolled = began.elapsed();
    let rows: i64 = tessera::db::schema::activity_daily::table
        .count()
        .get_result(&mut *conn)
        .unwrap();
    println!(
        "{name}: the dispatcher rolled {handed} events up in {:.1} s ({:.0} events/s) into {rows} daily rows",
        rolled.as_secs_f64(),
        handed as f64 / rolled.as_secs_f64()
    );

    let today = now / DAY;
    let cases = [
        (
            "owner, one dataset, 30 days by day",
            Scope {
                from_day: today - 29,
                to_day: today + 1,
                grouping: Grouping::Day,
                dataset: Some("d7".into()),
                ..Scope::default()
            },
        ),
        (
            "owner, one dataset, a year by week",
            Scope {
                from_day: today - o.days + 1,
                to_day: today + 1,
                grouping: Grouping::Week,
                dataset: Some("d7".into()),
                ..Scope::default()
            },
        ),
        (
            "owner, one link, a year by day",
            Scope {
                from_day: today - o.days + 1,
                to_day: today + 1,
                grouping: Grouping::Day,
                link: Some("l7".into()),
                ..Scope::default()
            },
        ),
        (
            "admin, every dataset, 30 days by day",
            Scope {
                from_day: today - 29,
                to_day: today + 1,
                grouping: Grouping::Day,
                ..Scope::default()
            },
        ),
        (
            "admin, every dataset, a year by month",
            Scope {
                from_day: today - o.days + 1,
                to_day: today + 1,
                grouping: Grouping::Month,
                ..Scope::default()
            },
        ),
        (
            "admin, one team, a year by week",
            Scope {
                from_day: today - o.days + 1,
                to_day: today + 1,
                grouping: Grouping::Week,
                team: Some("t3".into()),
                ..Scope::default()
            },
        ),
    ];
    println!("| {name}: report | best | median of 5 | downloads counted |");
    println!("|---|---|---|---|");
    for (what, scope) in cases {
        let (best, median, made) = time(5, || report::report(&mut conn, &scope).unwrap());
        println!(
            "| {what} | {} | {} | {} |",
            ms(best),
            ms(median),
            made.totals.downloads
        );
    }
    // What the reports would cost without the rollups: the year's downloads counted from the
    // raw events, for the whole installation.
    let from = now - o.days * DAY;
    let (best, median, counted) = time(3, || {
        use tessera::db::schema::events;
        events::table
            .filter(events::kind.eq("link.downloaded"))
            .filter(events::at.ge(from))
            .count()
            .get_result::<i64>(&mut *conn)
            .unwrap()
    });
    println!(
        "| baseline: a year's downloads counted from the raw events | {} | {} (of 3) | {counted} |",
        ms(best),
        ms(median)
    );
}

fn main() {
    let o = options();
    let dir = tempfile::tempdir().unwrap();
    let sqlite = format!("sqlite://{}", dir.path().join("bench.db").display());
    run("SQLite", &sqlite, &o);
    if let Ok(admin) = std::env::var("TESSERA_BENCH_POSTGRES_URL") {
        let database = format!("tessera_bench_activity_{}", std::process::id());
        let mut conn = diesel::PgConnection::establish(&admin).expect("connect to PostgreSQL");
        diesel::sql_query(format!("CREATE DATABASE {database}"))
            .execute(&mut conn)
            .unwrap();
        let url = match admin.rsplit_once('/') {
            Some((server, _)) => format!("{server}/{database}"),
            None => panic!("TESSERA_BENCH_POSTGRES_URL must name a database"),
        };
        run("PostgreSQL", &url, &o);
        diesel::sql_query(format!("DROP DATABASE {database} WITH (FORCE)"))
            .execute(&mut conn)
            .unwrap();
    }
}
