//! The daily rollups, kept current as the dispatcher hands over each batch of events: one
//! count per day, kind and detail (an export's format, a refusal's reason), with a total of the
//! events' measure (bytes downloaded, an export's milliseconds), each kept at four scopes: the
//! link, its dataset, the dataset's team and the whole site. A report reads the rows of its own
//! scope only, never the raw events, so the admin's year of the whole site reads a few thousand
//! rows whether ten or ten million events made them.
//!
//! Unique visitors are counted per day, as Make Data Count counts unique investigations: a
//! visitor's daily hash is kept for two days, and its first event of the day on a link adds one
//! to the link's `visitors` count, its first on a dataset one to the dataset's, its team's and
//! the site's (a visitor of two datasets counts twice there).

use std::collections::{BTreeMap, HashMap};

use diesel::prelude::*;

use super::EventKind;
use super::visitor::day_of;
use crate::db::events::{EventRow, RollupKey, first_visit};
use crate::db::schema::{datasets, export_jobs, share_links};
use crate::db::{AnyConnection, DbResult};

/// The rollup kind of unique visitors.
pub const VISITORS: &str = "visitors";

/// Where a link's events count: its dataset (through its export, for a link to one file).
fn datasets_of_links(
    conn: &mut AnyConnection,
    links: &[String],
) -> DbResult<HashMap<String, String>> {
    if links.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(String, Option<String>, Option<String>)> = share_links::table
        .filter(share_links::id.eq_any(links))
        .select((
            share_links::id,
            share_links::dataset_id,
            share_links::export_job_id,
        ))
        .load(conn)?;
    let jobs: Vec<String> = rows.iter().filter_map(|r| r.2.clone()).collect();
    let job_datasets: HashMap<String, String> = if jobs.is_empty() {
        HashMap::new()
    } else {
        export_jobs::table
            .filter(export_jobs::id.eq_any(&jobs))
            .select((export_jobs::id, export_jobs::dataset_id))
            .load::<(String, String)>(conn)?
            .into_iter()
            .collect()
    };
    Ok(rows
        .into_iter()
        .filter_map(|(link, dataset, job)| {
            dataset
                .or_else(|| job.and_then(|j| job_datasets.get(&j).cloned()))
                .map(|d| (link, d))
        })
        .collect())
}

fn teams_of_datasets(
    conn: &mut AnyConnection,
    ids: &[String],
) -> DbResult<HashMap<String, String>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(datasets::table
        .filter(datasets::id.eq_any(ids))
        .select((datasets::id, datasets::team_id))
        .load::<(String, Option<String>)>(conn)?
        .into_iter()
        .filter_map(|(id, team)| team.map(|t| (id, t)))
        .collect())
}

/// What an event adds to its count's total, and the detail it is counted under.
fn measure(kind: EventKind, payload: &serde_json::Value) -> (String, i64) {
    let text = |key: &str| {
        payload
            .get(key)
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_owned()
    };
    let number = |key: &str| payload.get(key).and_then(|v| v.as_i64()).unwrap_or(0);
    match kind {
        EventKind::ExportStarted | EventKind::ExportFailed => (text("format"), 0),
        EventKind::ExportDone => (text("format"), number("duration_ms")),
        EventKind::LinkRefused => (text("reason"), 0),
        EventKind::LinkDownloaded => (String::new(), number("bytes")),
        _ => (String::new(), 0),
    }
}

/// The keys one count goes under: its link (when `with_link`), dataset, team and the site.
fn scoped(
    day: i64,
    kind: &str,
    dataset: &str,
    link: &str,
    team: &str,
    detail: &str,
    with_link: bool,
) -> Vec<RollupKey> {
    let key = |scope, dataset: &str, link: &str, team: &str| RollupKey {
        scope,
        day,
        kind: kind.to_owned(),
        dataset_id: dataset.to_owned(),
        link_id: link.to_owned(),
        team_id: team.to_owned(),
        detail: detail.to_owned(),
    };
    let mut keys = vec![key("site", "", "", "")];
    if with_link && !link.is_empty() {
        keys.push(key("link", dataset, link, team));
    }
    if !dataset.is_empty() {
        keys.push(key("dataset", dataset, "", team));
    }
    if !team.is_empty() {
        keys.push(key("team", "", "", team));
    }
    keys
}

/// Adds a batch of events to the rollups, in the caller's transaction.
pub fn apply(conn: &mut AnyConnection, events: &[EventRow]) -> DbResult<()> {
    let links: Vec<String> = events
        .iter()
        .filter(|e| e.dataset_id.is_none())
        .filter_map(|e| e.link_id.clone())
        .collect();
    let link_datasets = datasets_of_links(conn, &links)?;
    let dataset_of = |e: &EventRow| {
        e.dataset_id.clone().or_else(|| {
            e.link_id
                .as_ref()
                .and_then(|l| link_datasets.get(l).cloned())
        })
    };
    let mut dataset_ids: Vec<String> = events.iter().filter_map(dataset_of).collect();
    dataset_ids.sort();
    dataset_ids.dedup();
    let teams = teams_of_datasets(conn, &dataset_ids)?;

    let mut counts: BTreeMap<RollupKey, (i64, i64)> = BTreeMap::new();
    let mut first_visits = std::collections::HashSet::new();
    for event in events {
        let Some(kind) = EventKind::parse(&event.kind) else {
            continue;
        };
        let payload: serde_json::Value =
            serde_json::from_str(&event.payload).unwrap_or(serde_json::Value::Null);
        let (detail, total) = measure(kind, &payload);
        let dataset = dataset_of(event).unwrap_or_default();
        let team = teams.get(&dataset).cloned().unwrap_or_default();
        let link = event.link_id.clone().unwrap_or_default();
        let day = day_of(event.at);
        for key in scoped(day, kind.as_str(), &dataset, &link, &team, &detail, true) {
            let entry = counts.entry(key).or_default();
            entry.0 += 1;
            entry.1 += total;
        }
        let Some(visitor) = &event.visitor else {
            continue;
        };
        // A visitor once per day and link, and once per day and dataset.
        if !link.is_empty()
            && first_visits.insert((day, String::new(), link.clone(), visitor.clone()))
            && first_visit(conn, day, &dataset, &link, visitor)?
        {
            counts
                .entry(RollupKey {
                    scope: "link",
                    day,
                    kind: VISITORS.to_owned(),
                    dataset_id: dataset.clone(),
                    link_id: link.clone(),
                    team_id: team.clone(),
                    detail: String::new(),
                })
                .or_default()
                .0 += 1;
        }
        if !dataset.is_empty()
            && first_visits.insert((day, dataset.clone(), String::new(), visitor.clone()))
            && first_visit(conn, day, &dataset, "", visitor)?
        {
            for key in scoped(day, VISITORS, &dataset, "", &team, "", false) {
                counts.entry(key).or_default().0 += 1;
            }
        }
    }
    // In key order, so concurrent replicas take the rows' locks in one order.
    for (key, (count, total)) in counts {
        key.add(conn, count, total)?;
    }
    Ok(())
}
