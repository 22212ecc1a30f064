//! The dataset page's table as its address names it: the version, the filter, the search, the
//! sort and the first row shown. Every link that changes one of them (a column's sort, a
//! facet's value, a filter taken off, the next rows) keeps the rest, and ends in `#data` so
//! that the browser stays at the table instead of jumping to the top of the page.

use serde::Serialize;
use serde_json::{Value, json};

use crate::explore::view::TableView;
use crate::export::SortKey;

/// A view of the table and the version it looks at.
#[derive(Debug, Clone, Default)]
pub(super) struct Address {
    pub version: Option<i32>,
    pub view: TableView,
}

/// A condition of the filter as the page lists it: what it says, and the address without it.
#[derive(Serialize)]
pub(super) struct Condition {
    pub text: String,
    pub without: String,
}

/// A column header: its name, type, how the view sorts it, and the address sorting it next
/// (ascending, then descending, then unsorted).
#[derive(Serialize)]
pub(super) struct Header {
    pub name: String,
    pub r#type: String,
    /// `ascending`, `descending` or `none`, as `aria-sort` says it.
    pub sorted: &'static str,
    pub sort_link: String,
}

impl Address {
    /// The page's address for this view, starting at row `offset` (0 for the first).
    pub fn href(&self, offset: i64) -> String {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        if let Some(version) = self.version {
            query.append_pair("version", &version.to_string());
        }
        if let Some(filter) = &self.view.filter {
            query.append_pair("filter", &filter.to_string());
        }
        if let Some(search) = &self.view.search {
            query.append_pair("q", search);
        }
        if !self.view.sort.is_empty() {
            query.append_pair("sort", &sort_text(&self.view.sort));
        }
        if offset > 0 {
            query.append_pair("offset", &offset.to_string());
        }
        let query = query.finish();
        if query.is_empty() {
            "?#data".to_owned()
        } else {
            format!("?{query}#data")
        }
    }

    /// The filter's conditions, each with the address that takes it off.
    pub fn conditions(&self) -> Vec<Condition> {
        let parts = parts(self.view.filter.as_ref());
        (0..parts.len())
            .map(|i| {
                let mut rest = parts.clone();
                let part = rest.remove(i);
                let mut without = self.clone();
                without.view.filter = joined(rest);
                Condition {
                    text: describe(&part),
                    without: without.href(0),
                }
            })
            .collect()
    }

    /// The address with one more condition, from the first row.
    pub fn with_condition(&self, condition: Value) -> Address {
        let mut parts = parts(self.view.filter.as_ref());
        if !parts.contains(&condition) {
            parts.push(condition);
        }
        let mut next = self.clone();
        next.view.filter = joined(parts);
        next
    }

    /// The headers of `columns` (name, type), with the link that sorts each next.
    pub fn headers(&self, columns: &[(String, String)]) -> Vec<Header> {
        columns
            .iter()
            .map(|(name, r#type)| {
                let current = self.view.sort.first().filter(|k| &k.column == name);
                let (sorted, next) = match current {
                    None => ("none", Some(false)),
                    Some(key) if !key.descending => ("ascending", Some(true)),
                    Some(_) => ("descending", None),
                };
                let mut sorting = self.clone();
                sorting.view.sort = next
                    .map(|descending| {
                        vec![SortKey {
                            column: name.clone(),
                            descending,
                        }]
                    })
                    .unwrap_or_default();
                Header {
                    name: name.clone(),
                    r#type: r#type.clone(),
                    sorted,
                    sort_link: sorting.href(0),
                }
            })
            .collect()
    }
}

/// Sort keys as the `sort` parameter writes them: `depth_m,-site`.
pub(super) fn sort_text(keys: &[SortKey]) -> String {
    keys.iter()
        .map(|k| format!("{}{}", if k.descending { "-" } else { "" }, k.column))
        .collect::<Vec<_>>()
        .join(",")
}

/// The top-level conditions of a filter: the parts of an `and`, or the filter itself.
fn parts(filter: Option<&Value>) -> Vec<Value> {
    match filter {
        None => Vec::new(),
        Some(filter) => match filter.get("and").and_then(Value::as_array) {
            Some(parts) if filter.as_object().is_some_and(|o| o.len() == 1) => parts.clone(),
            _ => vec![filter.clone()],
        },
    }
}

fn joined(mut parts: Vec<Value>) -> Option<Value> {
    match parts.len() {
        0 => None,
        1 => parts.pop(),
        _ => Some(json!({ "and": parts })),
    }
}

/// A condition in words: `depth_m ≥ 1.5`, `site contains "lake"`, `observer is empty`.
pub(super) fn describe(condition: &Value) -> String {
    let text = |v: &Value| match v {
        Value::String(s) => format!("“{s}”"),
        Value::Null => "empty".to_owned(),
        other => other.to_string(),
    };
    let column = condition.get("column").and_then(Value::as_str);
    let op = condition.get("op").and_then(Value::as_str);
    let value = condition.get("value");
    match (column, op, value) {
        (Some(c), Some("is_null"), _) => format!("{c} is empty"),
        (Some(c), Some("is_not_null"), _) => format!("{c} is not empty"),
        (Some(c), Some(op @ ("in" | "not_in")), Some(Value::Array(values))) => format!(
            "{c} {} {}",
            if op == "in" {
                "is one of"
            } else {
                "is none of"
            },
            values.iter().map(text).collect::<Vec<_>>().join(", ")
        ),
        (Some(c), Some(op), Some(v)) => {
            let word = match op {
                "=" => "is",
                "!=" => "is not",
                "<" => "<",
                "<=" => "≤",
                ">" => ">",
                ">=" => "≥",
                "contains" => "contains",
                other => other,
            };
            format!("{c} {word} {}", text(v))
        }
        // Anything else (an `or`, a `not`) is shown as written.
        _ => condition.to_string(),
    }
}

/// A condition from the page's "add a filter" controls, the value read as the column's type
/// wants it; `Err` says in words what is wrong with the value.
pub(super) fn condition_from_form(
    column: &str,
    column_type: &str,
    op: &str,
    value: &str,
) -> Result<Value, String> {
    let value = value.trim();
    if matches!(op, "is_null" | "is_not_null") {
        return Ok(json!({"column": column, "op": op}));
    }
    if !matches!(op, "=" | "!=" | "<" | "<=" | ">" | ">=" | "contains") {
        return Err(format!("“{op}” is not a comparison the filter knows."));
    }
    let typed = match column_type {
        "integer" | "float" => {
            let number: f64 = value
                .replace([',', '_', ' '], "")
                .parse()
                .map_err(|_| format!("“{value}” is not a number, and {column} holds numbers."))?;
            // A whole number is written as one ("5", not "5.0"), which compares with either.
            if number.fract() == 0.0 && number.abs() < 9.0e15 {
                json!(number as i64)
            } else {
                json!(number)
            }
        }
        "boolean" => match value.to_ascii_lowercase().as_str() {
            "true" | "yes" => json!(true),
            "false" | "no" => json!(false),
            _ => return Err(format!("{column} holds true or false, not “{value}”.")),
        },
        _ => json!(value),
    };
    if op == "contains" && column_type != "string" {
        return Err(format!(
            "“contains” looks in text, and {column} holds {column_type} values: compare it instead."
        ));
    }
    if value.is_empty() && column_type != "string" {
        return Err(format!("Give a value to compare {column} with."));
    }
    Ok(json!({"column": column, "op": op, "value": typed}))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn address(filter: Option<Value>) -> Address {
        Address {
            version: Some(2),
            view: TableView {
                filter,
                search: Some("lake".into()),
                sort: vec![SortKey {
                    column: "depth".into(),
                    descending: true,
                }],
            },
        }
    }

    #[test]
    fn each_condition_is_said_and_taken_off_alone() {
        let both = json!({"and": [
            {"column": "depth", "op": ">=", "value": 1.5},
            {"column": "site", "op": "is_null"}
        ]});
        let conditions = address(Some(both)).conditions();
        assert_eq!(conditions[0].text, "depth ≥ 1.5");
        assert_eq!(conditions[1].text, "site is empty");
        // Taking off the first keeps the second, the search, the sort and the version.
        let without = &conditions[0].without;
        assert!(without.contains("version=2"), "{without}");
        assert!(without.contains("q=lake"), "{without}");
        assert!(without.contains("sort=-depth"), "{without}");
        assert!(without.contains("is_null"), "{without}");
        assert!(!without.contains("1.5"), "{without}");
        assert!(without.ends_with("#data"));
    }

    #[test]
    fn a_header_sorts_ascending_then_descending_then_not() {
        let columns = [
            ("depth".to_owned(), "float".to_owned()),
            ("site".to_owned(), "string".to_owned()),
        ];
        let headers = address(None).headers(&columns);
        assert_eq!(headers[0].sorted, "descending");
        assert!(
            !headers[0].sort_link.contains("sort="),
            "{}",
            headers[0].sort_link
        );
        assert_eq!(headers[1].sorted, "none");
        assert!(
            headers[1].sort_link.contains("sort=site&")
                || headers[1].sort_link.contains("sort=site#")
        );
    }

    #[test]
    fn a_form_value_is_read_as_its_column_wants() {
        assert_eq!(
            condition_from_form("n", "integer", ">", "1,000").unwrap(),
            json!({"column": "n", "op": ">", "value": 1000})
        );
        assert!(
            condition_from_form("n", "integer", ">", "many")
                .unwrap_err()
                .contains("not a number")
        );
        assert!(
            condition_from_form("n", "integer", "contains", "1")
                .unwrap_err()
                .contains("looks in text")
        );
        assert_eq!(
            condition_from_form("ok", "boolean", "=", "Yes").unwrap(),
            json!({"column": "ok", "op": "=", "value": true})
        );
        assert_eq!(
            condition_from_form("site", "string", "contains", "Étang").unwrap(),
            json!({"column": "site", "op": "contains", "value": "Étang"})
        );
    }
}
