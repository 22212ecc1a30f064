//! What the activity endpoints share: the range and grouping a report is asked for.

use serde::Deserialize;
use utoipa::IntoParams;

use crate::activity::report::{self, Grouping, Scope};
use crate::http::error::ApiError;

#[derive(Debug, Deserialize, IntoParams)]
pub struct RangeQuery {
    /// The first day, `YYYY-MM-DD` (UTC; default: 29 days before `to`).
    #[param(format = Date)]
    pub from: Option<String>,
    /// The last day, included, `YYYY-MM-DD` (UTC; default: today).
    #[param(format = Date)]
    pub to: Option<String>,
    /// `day` (default), `week` (from Monday) or `month`.
    #[param(value_type = Option<Grouping>)]
    pub group: Option<Grouping>,
}

fn date(field: &str, text: &str) -> Result<time::Date, ApiError> {
    time::Date::parse(
        text,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .map_err(|_| ApiError::validation(format!("{field} must be a date such as 2026-12-07")))
}

/// The scope of `query`, checked (`422` for a date that is not one, `to` before `from`, or a
/// range too long).
pub fn scope_of(query: &RangeQuery, now: i64) -> Result<Scope, ApiError> {
    let (default_from, default_to) = report::last_thirty_days(now);
    let to_day = match &query.to {
        Some(text) => report::day_of_date(date("to", text)?) + 1,
        None => default_to,
    };
    let from_day = match &query.from {
        Some(text) => report::day_of_date(date("from", text)?),
        None => to_day - (default_to - default_from),
    };
    if to_day <= from_day {
        return Err(ApiError::validation("`to` must not be before `from`"));
    }
    if to_day - from_day > report::MAX_PERIODS * 31 {
        return Err(ApiError::validation(format!(
            "a report covers at most {} days",
            report::MAX_PERIODS * 31
        )));
    }
    let grouping = query.group.unwrap_or_default();
    if grouping == Grouping::Day && to_day - from_day > report::MAX_PERIODS {
        return Err(ApiError::validation(format!(
            "a report by day covers at most {} days: group by week or month",
            report::MAX_PERIODS
        )));
    }
    Ok(Scope {
        from_day,
        to_day,
        grouping,
        ..Scope::default()
    })
}
