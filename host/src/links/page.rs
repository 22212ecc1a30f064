//! The public pages of a link (`/s/{slug}`): what is shared, the password prompt, and the
//! friendly refusals, rendered from `templates/` like every page.

use serde::Serialize;

use crate::http::pages::render;

/// What the shared item page shows.
#[derive(Serialize)]
pub struct ItemPage<'a> {
    pub name: &'a str,
    pub owner: &'a str,
    pub what: &'a str,
    pub size: &'a str,
    pub expires: &'a str,
    pub downloads_left: &'a str,
    /// Where the download button points, for download links.
    pub download_href: Option<&'a str>,
    /// Column names and rows, for view links.
    pub preview_columns: Option<Vec<String>>,
    pub preview_rows: Option<Vec<Vec<String>>>,
}

const FALLBACK: &str = "This page cannot be shown right now.";

pub fn shared_item(item: &ItemPage) -> String {
    render("shared_item.html", item).unwrap_or_else(|_| FALLBACK.to_owned())
}

pub fn password_prompt(action: &str, wrong: bool) -> String {
    render(
        "link_password.html",
        serde_json::json!({"action": action, "wrong": wrong}),
    )
    .unwrap_or_else(|_| FALLBACK.to_owned())
}

pub fn refused(heading: &str, message: &str) -> String {
    render(
        "link_refused.html",
        serde_json::json!({"heading": heading, "message": message}),
    )
    .unwrap_or_else(|_| FALLBACK.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_escaped() {
        let html = shared_item(&ItemPage {
            name: "<script>alert(1)</script>",
            owner: "Ada & co",
            what: "dataset",
            size: "1 KB",
            expires: "never",
            downloads_left: "2",
            download_href: Some("/s/abc/download"),
            preview_columns: None,
            preview_rows: None,
        });
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;")
                || html.contains("&lt;script&gt;")
        );
        assert!(!html.contains("<script>alert"));
        assert!(html.contains("Ada &amp; co"));
        assert!(
            html.contains("href=\"&#x2f;s&#x2f;abc&#x2f;download\"")
                || html.contains("href=\"/s/abc/download\"")
        );
    }
}
