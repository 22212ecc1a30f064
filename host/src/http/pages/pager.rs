//! Paging a list a page shows: the offset a query string gives, and the links to the pages
//! before and after, keeping the list's filters. The admin lists and the datasets list share it.

use super::page::encode;

/// A page offset from the query string; anything unreadable is the first page.
pub fn offset_of(text: Option<&str>) -> i64 {
    text.and_then(|t| t.trim().parse::<i64>().ok())
        .unwrap_or(0)
        .max(0)
}

/// `key=value&…` for the non-empty pairs, each value percent-encoded.
pub fn query_string(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .filter(|(_, value)| !value.is_empty())
        .map(|(key, value)| format!("{key}={}", encode(value)))
        .collect::<Vec<_>>()
        .join("&")
}

/// Links to the previous and next page, keeping `filters`; `None` where there is none.
pub fn pager(filters: &[(&str, &str)], offset: i64, limit: i64, total: i64) -> serde_json::Value {
    let link = |to: i64| {
        let to = to.to_string();
        let mut pairs = filters.to_vec();
        if to != "0" {
            pairs.push(("offset", &to));
        }
        let query = query_string(&pairs);
        if query.is_empty() {
            "?".to_owned()
        } else {
            format!("?{query}")
        }
    };
    serde_json::json!({
        "first": if total == 0 { 0 } else { offset + 1 },
        "last": (offset + limit).min(total),
        "total": total,
        "previous": (offset > 0).then(|| link((offset - limit).max(0))),
        "next": (offset + limit < total).then(|| link(offset + limit)),
    })
}
