//! The numbers people look at, read from the rollups: activity over time in periods of a day,
//! a week or a month, totals, exports by format, refusals by reason, the busiest datasets and
//! links. The same report serves the owner's view of a dataset or link, the admin's dashboard
//! and the API.

use std::collections::{BTreeMap, HashMap};

use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::EventKind;
use super::rollup::VISITORS;
use crate::db::events::{RollupRow, RollupScope};
use crate::db::schema::{datasets, share_links};
use crate::db::{AnyConnection, DbResult};

const DAY_MS: i64 = 86_400_000;
/// The Julian day of 1970-01-01, to turn day numbers into dates.
const EPOCH_JULIAN_DAY: i64 = 2_440_588;
/// The most periods one report holds (a day each for about three years).
pub const MAX_PERIODS: i64 = 1100;

/// How the series is cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Grouping {
    #[default]
    Day,
    Week,
    Month,
}

impl Grouping {
    /// `day`, `week` or `month`, as the API names it.
    pub fn as_str(self) -> &'static str {
        match self {
            Grouping::Day => "day",
            Grouping::Week => "week",
            Grouping::Month => "month",
        }
    }
}

/// What a report covers: days `from..to` (UTC day numbers), narrowed to a dataset, a link or a
/// team.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    pub from_day: i64,
    pub to_day: i64,
    pub grouping: Grouping,
    pub dataset: Option<String>,
    pub link: Option<String>,
    pub team: Option<String>,
}

/// The counts of one period, or of the whole range.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct Counts {
    /// Link pages opened.
    pub views: i64,
    /// Link downloads completed.
    pub downloads: i64,
    /// Distinct visitors, counted once per day (per dataset, or per link in a link's report).
    pub unique_visitors: i64,
    pub bytes_downloaded: i64,
    /// Export jobs finished.
    pub exports: i64,
    pub export_failures: i64,
    /// Link requests refused (wrong password, expired, used up...).
    pub refusals: i64,
    pub shares_granted: i64,
    pub links_created: i64,
    pub versions_added: i64,
    pub sign_ins: i64,
}

/// One period of the series.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Period {
    /// The period's first day, `YYYY-MM-DD` (UTC).
    #[schema(example = "2026-12-07")]
    pub start: String,
    #[serde(flatten)]
    pub counts: Counts,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FormatCount {
    #[schema(example = "csv")]
    pub format: String,
    pub started: i64,
    pub done: i64,
    pub failed: i64,
    /// Mean duration of the finished jobs, in milliseconds.
    pub average_ms: Option<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReasonCount {
    /// The refusal's error code (`link_password_required`, `link_expired`...).
    #[schema(example = "link_password_required")]
    pub reason: String,
    pub count: i64,
}

/// A dataset or link among the busiest of the range.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Ranked {
    pub id: String,
    pub name: String,
    pub views: i64,
    pub downloads: i64,
    pub exports: i64,
}

/// A report over a range.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(examples(json!({
    "from": "2026-12-06", "to": "2026-12-07", "grouping": "day",
    "totals": {"views": 12, "downloads": 5, "unique_visitors": 4, "bytes_downloaded": 10240,
               "exports": 2, "export_failures": 0, "refusals": 3, "shares_granted": 1,
               "links_created": 1, "versions_added": 0, "sign_ins": 0},
    "series": [
        {"start": "2026-12-06", "views": 4, "downloads": 1, "unique_visitors": 2,
         "bytes_downloaded": 2048, "exports": 0, "export_failures": 0, "refusals": 0,
         "shares_granted": 1, "links_created": 1, "versions_added": 0, "sign_ins": 0},
        {"start": "2026-12-07", "views": 8, "downloads": 4, "unique_visitors": 2,
         "bytes_downloaded": 8192, "exports": 2, "export_failures": 0, "refusals": 3,
         "shares_granted": 0, "links_created": 0, "versions_added": 0, "sign_ins": 0}
    ],
    "exports_by_format": [{"format": "csv", "started": 2, "done": 2, "failed": 0, "average_ms": 140}],
    "refusals_by_reason": [{"reason": "wrong_password", "count": 2}, {"reason": "link_expired", "count": 1}],
    "top_datasets": [{"id": "01932f73-2b4d-7f60-9c8e-5a6b7c8d9e0f", "name": "Lake survey", "views": 12, "downloads": 5, "exports": 2}],
    "top_links": [{"id": "01932f75-1a2b-7c3d-8e4f-5a6b7c8d9e0f", "name": "For the lab", "views": 12, "downloads": 5, "exports": 0}]
})))]
pub struct Report {
    /// The first day covered, `YYYY-MM-DD`.
    pub from: String,
    /// The last day covered (included), `YYYY-MM-DD`.
    pub to: String,
    pub grouping: Grouping,
    pub totals: Counts,
    /// One entry per period of the range, empty periods included, oldest first.
    pub series: Vec<Period>,
    pub exports_by_format: Vec<FormatCount>,
    pub refusals_by_reason: Vec<ReasonCount>,
    /// The ten datasets with the most views, downloads and exports.
    pub top_datasets: Vec<Ranked>,
    /// The ten links with the most views and downloads.
    pub top_links: Vec<Ranked>,
}

/// `YYYY-MM-DD` of a day number.
pub fn date_of_day(day: i64) -> String {
    i32::try_from(day + EPOCH_JULIAN_DAY)
        .ok()
        .and_then(|j| time::Date::from_julian_day(j).ok())
        .map(|d| format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day()))
        .unwrap_or_default()
}

/// The day number of a date.
pub fn day_of_date(date: time::Date) -> i64 {
    i64::from(date.to_julian_day()) - EPOCH_JULIAN_DAY
}

/// The first day of the period `day` falls in.
fn period_start(day: i64, grouping: Grouping) -> i64 {
    match grouping {
        Grouping::Day => day,
        // 1970-01-01 was a Thursday; weeks start on Monday (ISO 8601).
        Grouping::Week => day - (day + 3).rem_euclid(7),
        Grouping::Month => {
            let date = i32::try_from(day + EPOCH_JULIAN_DAY)
                .ok()
                .and_then(|j| time::Date::from_julian_day(j).ok());
            match date.and_then(|d| d.replace_day(1).ok()) {
                Some(first) => day_of_date(first),
                None => day,
            }
        }
    }
}

/// The periods of the range, in order.
fn periods(scope: &Scope) -> Vec<i64> {
    let mut starts = Vec::new();
    let mut day = scope.from_day;
    while day < scope.to_day {
        let start = period_start(day, scope.grouping);
        if starts.last() != Some(&start) {
            starts.push(start);
        }
        day += 1;
    }
    starts
}

/// The rollup rows a scope reads: its link's, else its dataset's, else its team's, else the
/// site's.
fn rollup_scope(scope: &Scope) -> RollupScope {
    match (&scope.link, &scope.dataset, &scope.team) {
        (Some(link), _, _) => RollupScope::Link(link.clone()),
        (None, Some(dataset), _) => RollupScope::Dataset(dataset.clone()),
        (None, None, Some(team)) => RollupScope::Team(team.clone()),
        (None, None, None) => RollupScope::Site,
    }
}

/// Adds a rollup row to `counts`.
fn add(counts: &mut Counts, row: &RollupRow) {
    if row.kind == VISITORS {
        counts.unique_visitors += row.count;
        return;
    }
    match EventKind::parse(&row.kind) {
        Some(EventKind::LinkViewed) => counts.views += row.count,
        Some(EventKind::LinkDownloaded) => {
            counts.downloads += row.count;
            counts.bytes_downloaded += row.total;
        }
        Some(EventKind::ExportDone) => counts.exports += row.count,
        Some(EventKind::ExportFailed) => counts.export_failures += row.count,
        Some(EventKind::LinkRefused) => counts.refusals += row.count,
        Some(EventKind::ShareGranted) => counts.shares_granted += row.count,
        Some(EventKind::LinkCreated) => counts.links_created += row.count,
        Some(EventKind::DatasetVersionAdded) => counts.versions_added += row.count,
        Some(EventKind::SignedIn) => counts.sign_ins += row.count,
        _ => {}
    }
}

/// The report of `scope`, from the rollups.
pub fn report(conn: &mut AnyConnection, scope: &Scope) -> DbResult<Report> {
    let within = rollup_scope(scope);
    let rows = RollupRow::between(conn, scope.from_day, scope.to_day, &within)?;
    let mut report = build(scope, &rows);
    if scope.link.is_none() {
        if scope.dataset.is_none() {
            report.top_datasets = ranked(conn, scope, &within, Names::Datasets)?;
        }
        report.top_links = ranked(conn, scope, &within, Names::Links)?;
    }
    Ok(report)
}

/// The report of what one user did in `scope`'s range, from the raw events (the rollups do
/// not keep who acted), so within `activity_retention_days` only.
pub fn report_for_user(conn: &mut AnyConnection, scope: &Scope, user_id: &str) -> DbResult<Report> {
    let events = crate::db::events::EventRow::by_actor(
        conn,
        &super::Actor::user(user_id).encode(),
        scope.from_day * DAY_MS,
        scope.to_day * DAY_MS,
    )?;
    let mut counts: BTreeMap<(i64, String), i64> = BTreeMap::new();
    for (kind, at) in events {
        *counts.entry((at.div_euclid(DAY_MS), kind)).or_default() += 1;
    }
    let rows: Vec<RollupRow> = counts
        .into_iter()
        .map(|((day, kind), count)| RollupRow {
            scope: "site".to_owned(),
            day,
            kind,
            dataset_id: String::new(),
            link_id: String::new(),
            team_id: String::new(),
            detail: String::new(),
            count,
            total: 0,
        })
        .collect();
    Ok(build(scope, &rows))
}

fn build(scope: &Scope, rows: &[RollupRow]) -> Report {
    let starts = periods(scope);
    let mut by_period: BTreeMap<i64, Counts> =
        starts.iter().map(|s| (*s, Counts::default())).collect();
    let mut totals = Counts::default();
    let mut formats: BTreeMap<String, (i64, i64, i64, i64)> = BTreeMap::new();
    let mut reasons: BTreeMap<String, i64> = BTreeMap::new();
    for row in rows {
        add(&mut totals, row);
        if let Some(counts) = by_period.get_mut(&period_start(row.day, scope.grouping)) {
            add(counts, row);
        }
        let kind = EventKind::parse(&row.kind);
        match kind {
            Some(EventKind::ExportStarted) => {
                formats.entry(row.detail.clone()).or_default().0 += row.count
            }
            Some(EventKind::ExportDone) => {
                let f = formats.entry(row.detail.clone()).or_default();
                f.1 += row.count;
                f.3 += row.total;
            }
            Some(EventKind::ExportFailed) => {
                formats.entry(row.detail.clone()).or_default().2 += row.count
            }
            Some(EventKind::LinkRefused) => {
                *reasons.entry(row.detail.clone()).or_default() += row.count
            }
            _ => {}
        }
    }
    let mut refusals_by_reason: Vec<ReasonCount> = reasons
        .into_iter()
        .map(|(reason, count)| ReasonCount { reason, count })
        .collect();
    refusals_by_reason.sort_by(|a, b| b.count.cmp(&a.count).then(a.reason.cmp(&b.reason)));
    Report {
        from: date_of_day(scope.from_day),
        to: date_of_day(scope.to_day - 1),
        grouping: scope.grouping,
        totals,
        series: by_period
            .into_iter()
            .map(|(start, counts)| Period {
                start: date_of_day(start),
                counts,
            })
            .collect(),
        exports_by_format: formats
            .into_iter()
            .map(|(format, (started, done, failed, ms))| FormatCount {
                format,
                started,
                done,
                failed,
                average_ms: (done > 0).then(|| ms / done),
            })
            .collect(),
        refusals_by_reason,
        top_datasets: Vec::new(),
        top_links: Vec::new(),
    }
}

enum Names {
    Datasets,
    Links,
}

/// The ten busiest datasets or links of the scope's range, by views, downloads and exports,
/// summed in the database, named.
fn ranked(
    conn: &mut AnyConnection,
    scope: &Scope,
    within: &RollupScope,
    names: Names,
) -> DbResult<Vec<Ranked>> {
    let kinds = [
        EventKind::LinkViewed.as_str(),
        EventKind::LinkDownloaded.as_str(),
        EventKind::ExportDone.as_str(),
    ];
    let by_link = matches!(names, Names::Links);
    let mut seen: HashMap<String, (i64, i64, i64)> = HashMap::new();
    for (id, kind, sum) in
        RollupRow::busiest(conn, scope.from_day, scope.to_day, &kinds, by_link, within)?
    {
        if id.is_empty() {
            continue;
        }
        let entry = seen.entry(id).or_default();
        match EventKind::parse(&kind) {
            Some(EventKind::LinkViewed) => entry.0 += sum,
            Some(EventKind::LinkDownloaded) => entry.1 += sum,
            _ => entry.2 += sum,
        }
    }
    let mut all: Vec<(String, (i64, i64, i64))> = seen.into_iter().collect();
    all.sort_by(|a, b| {
        let score = |c: &(i64, i64, i64)| c.0 + c.1 + c.2;
        score(&b.1).cmp(&score(&a.1)).then(a.0.cmp(&b.0))
    });
    all.truncate(10);
    let ids: Vec<String> = all.iter().map(|(id, _)| id.clone()).collect();
    let named: HashMap<String, String> = match names {
        Names::Datasets => datasets::table
            .filter(datasets::id.eq_any(&ids))
            .select((datasets::id, datasets::name))
            .load::<(String, String)>(conn)?,
        Names::Links => share_links::table
            .filter(share_links::id.eq_any(&ids))
            .select((share_links::id, share_links::name))
            .load::<(String, String)>(conn)?,
    }
    .into_iter()
    .collect();
    Ok(all
        .into_iter()
        .map(|(id, (views, downloads, exports))| Ranked {
            name: named
                .get(&id)
                .cloned()
                .unwrap_or_else(|| "(deleted)".to_owned()),
            id,
            views,
            downloads,
            exports,
        })
        .collect())
}

/// What only the admin's dashboard shows: the state of the installation now.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Installation {
    /// Stored bytes (every version's file) and datasets, per team; `team_id` null for datasets
    /// in no team.
    pub storage_by_team: Vec<TeamStorage>,
    /// Links that can still be used (not revoked, destroyed or expired).
    pub active_links: i64,
    /// Active links that expire within seven days, soonest first (at most twenty).
    pub expiring_links: Vec<ExpiringLink>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TeamStorage {
    pub team_id: Option<String>,
    pub team: String,
    pub datasets: i64,
    pub bytes: i64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ExpiringLink {
    pub id: String,
    pub name: String,
    pub dataset_id: Option<String>,
    /// Milliseconds since the epoch.
    pub expires_at: i64,
}

/// The installation's state at `now`, narrowed to a team when one is given.
pub fn installation(
    conn: &mut AnyConnection,
    now: i64,
    team: Option<&str>,
) -> DbResult<Installation> {
    use crate::db::schema::{dataset_versions, teams};
    let mut versions = datasets::table
        .inner_join(dataset_versions::table.on(dataset_versions::dataset_id.eq(datasets::id)))
        .filter(datasets::deleted_at.is_null())
        .select((
            datasets::id,
            datasets::team_id,
            dataset_versions::size_bytes,
        ))
        .into_boxed();
    if let Some(team) = team {
        versions = versions.filter(datasets::team_id.eq(team.to_owned()));
    }
    let mut by_team: BTreeMap<Option<String>, (std::collections::BTreeSet<String>, i64)> =
        BTreeMap::new();
    for (dataset, team_id, bytes) in versions.load::<(String, Option<String>, i64)>(conn)? {
        let entry = by_team.entry(team_id).or_default();
        entry.0.insert(dataset);
        entry.1 += bytes;
    }
    let ids: Vec<String> = by_team.keys().flatten().cloned().collect();
    let names: HashMap<String, String> = teams::table
        .filter(teams::id.eq_any(&ids))
        .select((teams::id, teams::name))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect();
    let mut storage_by_team: Vec<TeamStorage> = by_team
        .into_iter()
        .map(|(team_id, (datasets, bytes))| TeamStorage {
            team: team_id
                .as_ref()
                .and_then(|id| names.get(id).cloned())
                .unwrap_or_else(|| "(no team)".to_owned()),
            team_id,
            datasets: datasets.len() as i64,
            bytes,
        })
        .collect();
    storage_by_team.sort_by_key(|t| std::cmp::Reverse(t.bytes));

    let mut active = share_links::table
        .filter(share_links::revoked_at.is_null())
        .filter(share_links::destroyed_at.is_null())
        .filter(
            share_links::expires_at
                .is_null()
                .or(share_links::expires_at.gt(now)),
        )
        .into_boxed();
    if let Some(team) = team {
        let of_team: Vec<String> = datasets::table
            .filter(datasets::team_id.eq(team.to_owned()))
            .select(datasets::id)
            .load(conn)?;
        active = active.filter(share_links::dataset_id.eq_any(of_team));
    }
    let links: Vec<(String, String, Option<String>, Option<i64>)> = active
        .select((
            share_links::id,
            share_links::name,
            share_links::dataset_id,
            share_links::expires_at,
        ))
        .load(conn)?;
    let week = now + 7 * DAY_MS;
    let mut expiring_links: Vec<ExpiringLink> = links
        .iter()
        .filter_map(|(id, name, dataset_id, expires_at)| {
            expires_at.filter(|at| *at <= week).map(|at| ExpiringLink {
                id: id.clone(),
                name: name.clone(),
                dataset_id: dataset_id.clone(),
                expires_at: at,
            })
        })
        .collect();
    expiring_links.sort_by_key(|l| l.expires_at);
    expiring_links.truncate(20);
    Ok(Installation {
        storage_by_team,
        active_links: links.len() as i64,
        expiring_links,
    })
}

/// The range of `from..=to` (dates), checked: `to` not before `from`, at most
/// [`MAX_PERIODS`] days when grouped by day.
pub fn days_between(from: time::Date, to: time::Date) -> Result<(i64, i64), String> {
    let (from, to) = (day_of_date(from), day_of_date(to) + 1);
    if to <= from {
        return Err("`to` must not be before `from`".to_owned());
    }
    if to - from > MAX_PERIODS * 31 {
        return Err(format!("a report covers at most {} days", MAX_PERIODS * 31));
    }
    Ok((from, to))
}

/// The default range: the thirty days ending today.
pub fn last_thirty_days(now: i64) -> (i64, i64) {
    let today = now.div_euclid(DAY_MS);
    (today - 29, today + 1)
}

/// The scope of the days `from..=to`, checked: `to` is today when absent, `from` the first of
/// `days` days ending on `to`; `to` may not be before `from`, a report covers at most
/// [`MAX_PERIODS`] months, and at most [`MAX_PERIODS`] days when grouped by day. The reason
/// for a refusal is a sentence for the person who asked.
pub fn scope_of_range(
    from: Option<time::Date>,
    to: Option<time::Date>,
    days: i64,
    grouping: Grouping,
    now: i64,
) -> Result<Scope, String> {
    let to_day = match to {
        Some(date) => day_of_date(date) + 1,
        None => now.div_euclid(DAY_MS) + 1,
    };
    let from_day = match from {
        Some(date) => day_of_date(date),
        None => to_day - days.max(1),
    };
    if to_day <= from_day {
        return Err("`to` must not be before `from`".to_owned());
    }
    if to_day - from_day > MAX_PERIODS * 31 {
        return Err(format!("a report covers at most {} days", MAX_PERIODS * 31));
    }
    if grouping == Grouping::Day && to_day - from_day > MAX_PERIODS {
        return Err(format!(
            "a report by day covers at most {MAX_PERIODS} days: group by week or month"
        ));
    }
    Ok(Scope {
        from_day,
        to_day,
        grouping,
        ..Scope::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weeks_start_on_monday_and_months_on_the_first() {
        // 2026-12-07 is a Monday.
        let monday = day_of_date(time::macros::date!(2026 - 12 - 07));
        assert_eq!(date_of_day(monday), "2026-12-07");
        assert_eq!(period_start(monday + 6, Grouping::Week), monday);
        assert_eq!(period_start(monday + 7, Grouping::Week), monday + 7);
        assert_eq!(
            date_of_day(period_start(monday + 20, Grouping::Month)),
            "2026-12-01"
        );
        assert_eq!(
            date_of_day(period_start(monday + 25, Grouping::Month)),
            "2027-01-01"
        );
    }

    #[test]
    fn every_period_of_the_range_is_there_once() {
        let from = day_of_date(time::macros::date!(2026 - 11 - 28));
        let scope = Scope {
            from_day: from,
            to_day: from + 10,
            grouping: Grouping::Week,
            ..Scope::default()
        };
        let starts: Vec<String> = periods(&scope).into_iter().map(date_of_day).collect();
        assert_eq!(starts, ["2026-11-23", "2026-11-30", "2026-12-07"]);
    }
}
