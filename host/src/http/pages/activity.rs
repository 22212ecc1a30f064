//! Activity reports as the pages show them: the owner's Activity tab on a dataset's page and
//! the admin's tracking dashboard (`/admin/activity`) share the range form (the last 7, 30 or
//! 90 days, or two dates, and the grouping), the report read from the domain, and what a
//! chart needs: its numbers as JSON for `static/js/export-analytics.js`, which draws them with
//! the vendored Chart.js, and the same numbers in a table beneath it, so that nothing is told
//! by a chart (or by colour) alone and the page reads without scripts.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::activity::report::{self, Counts, Grouping, Report, Scope};

/// Days a range shows when none is chosen.
const DEFAULT_DAYS: i64 = 30;
/// The ranges offered, in days ending today.
const RANGES: [i64; 3] = [7, 30, 90];

/// The range form, as a plain GET form sends it: `range` is `7`, `30` or `90` (days ending
/// today) or `dates` (from `from` to `to`, both `YYYY-MM-DD`); `group` is `day`, `week` or
/// `month`.
#[derive(Debug, Default, Deserialize)]
pub struct RangeForm {
    range: Option<String>,
    from: Option<String>,
    to: Option<String>,
    group: Option<String>,
}

/// The form as it shows again: what was chosen, and what was wrong with it.
#[derive(Debug, Serialize)]
pub struct RangeContext {
    /// `7`, `30`, `90` or `dates`.
    range: String,
    /// The dates shown in the date fields: those given, else the report's own.
    from: String,
    to: String,
    group: &'static str,
    /// Why the range asked for could not be shown (the default one is, instead).
    problem: Option<String>,
    /// This range as the API's query string (`from`, `to`, `group`), for the download links.
    query: String,
    /// This range as these pages' query string, for links to another page's report of it.
    page_query: String,
}

impl RangeContext {
    /// The range as a query string: `from=...&to=...&group=...`.
    pub fn query_text(&self) -> &str {
        &self.query
    }
}

fn date(text: &str) -> Option<time::Date> {
    time::Date::parse(
        text.trim(),
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .ok()
}

/// The scope `form` asks for, and the form as it shows again. A range that cannot be shown
/// (a date that is not one, `to` before `from`, too long) is said in words, and the default
/// one (the last thirty days, by day) is shown instead, so the page is never empty.
pub fn scope_of(form: &RangeForm, now: i64) -> (Scope, RangeContext) {
    let grouping = match form.group.as_deref() {
        Some("week") => Grouping::Week,
        Some("month") => Grouping::Month,
        _ => Grouping::Day,
    };
    let text = |value: &Option<String>| value.as_deref().map(str::trim).unwrap_or("").to_owned();
    let (from_text, to_text) = (text(&form.from), text(&form.to));
    let days = form
        .range
        .as_deref()
        .and_then(|r| r.parse::<i64>().ok())
        .filter(|d| RANGES.contains(d));
    let dates = form.range.as_deref() == Some("dates");
    let asked = if dates {
        let parse = |name: &str, text: &str| match text {
            "" => Ok(None),
            given => date(given).map(Some).ok_or_else(|| {
                format!("“{name}” must be a date such as 2026-12-07, not “{given}”.")
            }),
        };
        parse("From", &from_text).and_then(|from| {
            let to = parse("To", &to_text)?;
            report::scope_of_range(from, to, DEFAULT_DAYS, grouping, now)
                .map_err(|reason| format!("{}.", capitalised(&reason)))
        })
    } else {
        report::scope_of_range(None, None, days.unwrap_or(DEFAULT_DAYS), grouping, now)
    };
    let (scope, problem) = match asked {
        Ok(scope) => (scope, None),
        Err(problem) => (
            report::scope_of_range(None, None, DEFAULT_DAYS, Grouping::Day, now)
                .unwrap_or_default(),
            Some(problem),
        ),
    };
    let range = if dates {
        "dates".to_owned()
    } else {
        days.unwrap_or(DEFAULT_DAYS).to_string()
    };
    let (from, to) = (
        report::date_of_day(scope.from_day),
        report::date_of_day(scope.to_day - 1),
    );
    let query = format!("from={from}&to={to}&group={}", scope.grouping.as_str());
    let context = RangeContext {
        page_query: format!("range=dates&{query}"),
        query,
        range,
        from: if dates && problem.is_some() && !from_text.is_empty() {
            from_text
        } else {
            from
        },
        to: if dates && problem.is_some() && !to_text.is_empty() {
            to_text
        } else {
            to
        },
        group: scope.grouping.as_str(),
        problem,
    };
    (scope, context)
}

/// `text` with its first letter in upper case, and the API's backquotes as quotes.
fn capitalised(text: &str) -> String {
    let text = text.replace("`from`", "“From”").replace("`to`", "“To”");
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// One series of a chart: its name in the legend and its numbers, one per label.
#[derive(Debug, Serialize)]
struct Series {
    label: &'static str,
    data: Vec<i64>,
}

/// What `export-analytics.js` draws: a line or bar chart of `series` over `labels`. Each
/// series is told apart by its point style or fill pattern as well as its colour.
fn chart(kind: &str, labels: Vec<String>, series: Vec<Series>, horizontal: bool) -> String {
    json!({
        "kind": kind,
        "labels": labels,
        "series": series,
        "horizontal": horizontal,
    })
    .to_string()
}

/// A count of each period, picked from its counts, with its name in the legend and table.
type Pick = (&'static str, fn(&Counts) -> i64);

/// The counts the owner's chart of a dataset shows over time.
pub const LINK_USE: [Pick; 3] = [
    ("Views", |c| c.views),
    ("Downloads", |c| c.downloads),
    ("Unique visitors", |c| c.unique_visitors),
];

/// The admin's second chart over time: the work done in the installation.
pub const WORK: [Pick; 4] = [
    ("Sign-ins", |c| c.sign_ins),
    ("Exports", |c| c.exports),
    ("Shares granted", |c| c.shares_granted),
    ("Links created", |c| c.links_created),
];

/// A report as a page shows it.
#[derive(Debug, Serialize)]
pub struct ReportContext {
    from: String,
    to: String,
    /// What a period is called in the table's heading: "Day", "Week from", "Month".
    period: &'static str,
    totals: Counts,
    /// One table per chart over time, with the chart's numbers as JSON.
    over_time: Vec<OverTime>,
    exports: Vec<Value>,
    exports_chart: Option<String>,
    refusals: Vec<Value>,
    refusals_chart: Option<String>,
    top_datasets: Vec<report::Ranked>,
    top_datasets_chart: Option<String>,
    top_links: Vec<report::Ranked>,
}

/// A chart over time and the table beneath it.
#[derive(Debug, Serialize)]
struct OverTime {
    /// The canvas's id, for the table to be named after it.
    id: &'static str,
    title: &'static str,
    columns: Vec<&'static str>,
    /// `[period, count, count...]`, oldest first.
    rows: Vec<(String, Vec<i64>)>,
    chart: String,
}

/// How a period is labelled: its first day, or its month.
fn period_label(start: &str, grouping: Grouping) -> String {
    match grouping {
        Grouping::Month => start.get(..7).unwrap_or(start).to_owned(),
        Grouping::Day | Grouping::Week => start.to_owned(),
    }
}

fn over_time(report: &Report, id: &'static str, title: &'static str, picks: &[Pick]) -> OverTime {
    let labels: Vec<String> = report
        .series
        .iter()
        .map(|p| period_label(&p.start, report.grouping))
        .collect();
    let series = picks
        .iter()
        .map(|(label, pick)| Series {
            label,
            data: report.series.iter().map(|p| pick(&p.counts)).collect(),
        })
        .collect();
    OverTime {
        id,
        title,
        columns: picks.iter().map(|(label, _)| *label).collect(),
        rows: report
            .series
            .iter()
            .zip(&labels)
            .map(|(p, label)| {
                (
                    label.clone(),
                    picks.iter().map(|(_, pick)| pick(&p.counts)).collect(),
                )
            })
            .collect(),
        chart: chart("line", labels, series, false),
    }
}

/// A refusal's error code in words: `wrong_password` is "wrong password".
fn reason_words(code: &str) -> String {
    code.replace('_', " ")
}

/// A mean duration in words: "140 ms", "2.5 s", "3 min".
fn duration(millis: i64) -> String {
    if millis < 1000 {
        format!("{millis} ms")
    } else if millis < 60_000 {
        format!("{:.1} s", millis as f64 / 1000.0)
    } else {
        format!("{:.1} min", millis as f64 / 60_000.0)
    }
}

/// The page's view of `report`, with charts over time of each of `charts`: `(canvas id,
/// title, counts)`.
pub fn report_context(
    report: Report,
    charts: &[(&'static str, &'static str, &[Pick])],
) -> ReportContext {
    let over = charts
        .iter()
        .map(|(id, title, picks)| over_time(&report, id, title, picks))
        .collect();
    let exports_chart = (!report.exports_by_format.is_empty()).then(|| {
        let formats = &report.exports_by_format;
        chart(
            "bar",
            formats.iter().map(|f| f.format.clone()).collect(),
            vec![
                Series {
                    label: "Done",
                    data: formats.iter().map(|f| f.done).collect(),
                },
                Series {
                    label: "Failed",
                    data: formats.iter().map(|f| f.failed).collect(),
                },
            ],
            false,
        )
    });
    let exports = report
        .exports_by_format
        .iter()
        .map(|f| {
            json!({
                "format": f.format,
                "started": f.started,
                "done": f.done,
                "failed": f.failed,
                "mean": f.average_ms.map(duration),
            })
        })
        .collect();
    let refusals_chart = (!report.refusals_by_reason.is_empty()).then(|| {
        let reasons = &report.refusals_by_reason;
        chart(
            "bar",
            reasons.iter().map(|r| reason_words(&r.reason)).collect(),
            vec![Series {
                label: "Refusals",
                data: reasons.iter().map(|r| r.count).collect(),
            }],
            true,
        )
    });
    let refusals = report
        .refusals_by_reason
        .iter()
        .map(|r| json!({"reason": reason_words(&r.reason), "code": r.reason, "count": r.count}))
        .collect();
    let top_datasets_chart = (!report.top_datasets.is_empty()).then(|| {
        let top = &report.top_datasets;
        chart(
            "bar",
            top.iter().map(|d| d.name.clone()).collect(),
            vec![
                Series {
                    label: "Views",
                    data: top.iter().map(|d| d.views).collect(),
                },
                Series {
                    label: "Downloads",
                    data: top.iter().map(|d| d.downloads).collect(),
                },
                Series {
                    label: "Exports",
                    data: top.iter().map(|d| d.exports).collect(),
                },
            ],
            true,
        )
    });
    ReportContext {
        period: match report.grouping {
            Grouping::Day => "Day",
            Grouping::Week => "Week from",
            Grouping::Month => "Month",
        },
        from: report.from,
        to: report.to,
        totals: report.totals,
        over_time: over,
        exports,
        exports_chart,
        refusals,
        refusals_chart,
        top_datasets: report.top_datasets,
        top_datasets_chart,
        top_links: report.top_links,
    }
}

/// The storage of each team as a bar chart's JSON, and its rows with sizes in words.
pub fn storage_context(storage: &[report::TeamStorage]) -> (Option<String>, Vec<Value>) {
    let chart = (!storage.is_empty()).then(|| {
        // The unit the largest team's storage reads in: whole units, rounded up so that a
        // small team's bar is never empty.
        let largest = storage.iter().map(|t| t.bytes).max().unwrap_or(0);
        let (unit, label) = [
            (1_000_000_000, "Gigabytes stored"),
            (1_000_000, "Megabytes stored"),
            (1_000, "Kilobytes stored"),
        ]
        .into_iter()
        .find(|(unit, _)| largest >= 10 * unit)
        .unwrap_or((1, "Bytes stored"));
        chart(
            "bar",
            storage.iter().map(|t| t.team.clone()).collect(),
            vec![Series {
                label,
                data: storage
                    .iter()
                    .map(|t| (t.bytes + unit - 1) / unit)
                    .collect(),
            }],
            true,
        )
    });
    let rows = storage
        .iter()
        .map(|t| {
            json!({
                "team": t.team,
                "team_id": t.team_id,
                "datasets": t.datasets,
                "size": crate::human::stored_size(t.bytes),
            })
        })
        .collect();
    (chart, rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(range: &str, from: &str, to: &str, group: &str) -> RangeForm {
        let some = |t: &str| (!t.is_empty()).then(|| t.to_owned());
        RangeForm {
            range: some(range),
            from: some(from),
            to: some(to),
            group: some(group),
        }
    }

    #[test]
    fn a_range_is_days_ending_today_or_two_dates() {
        // 2026-12-07, noon.
        let now =
            report::day_of_date(time::macros::date!(2026 - 12 - 07)) * 86_400_000 + 43_200_000;
        let (scope, shown) = scope_of(&form("7", "", "", "week"), now);
        assert_eq!(scope.to_day - scope.from_day, 7);
        assert_eq!(
            (shown.from.as_str(), shown.to.as_str()),
            ("2026-12-01", "2026-12-07")
        );
        assert_eq!((shown.range.as_str(), shown.group), ("7", "week"));
        assert_eq!(shown.query, "from=2026-12-01&to=2026-12-07&group=week");

        let (scope, shown) = scope_of(&form("dates", "2026-11-01", "2026-11-03", ""), now);
        assert_eq!(scope.to_day - scope.from_day, 3);
        assert_eq!(shown.range, "dates");
        assert!(shown.problem.is_none());

        // Dates are read only when chosen; a range not offered is the default.
        let (scope, shown) = scope_of(&form("12", "2026-11-01", "", ""), now);
        assert_eq!(scope.to_day - scope.from_day, 30);
        assert_eq!(shown.range, "30");
    }

    #[test]
    fn a_range_that_cannot_be_shown_says_why_and_shows_the_default() {
        let now = report::day_of_date(time::macros::date!(2026 - 12 - 07)) * 86_400_000;
        let (scope, shown) = scope_of(&form("dates", "2026-12-07", "2026-12-01", ""), now);
        assert_eq!(scope.to_day - scope.from_day, 30);
        assert_eq!(
            shown.problem.as_deref(),
            Some("“To” must not be before “From”.")
        );
        // The dates stay as given, to be corrected.
        assert_eq!(
            (shown.from.as_str(), shown.to.as_str()),
            ("2026-12-07", "2026-12-01")
        );
        let (_, shown) = scope_of(&form("dates", "yesterday", "", ""), now);
        assert_eq!(
            shown.problem.as_deref(),
            Some("“From” must be a date such as 2026-12-07, not “yesterday”.")
        );
    }
}
