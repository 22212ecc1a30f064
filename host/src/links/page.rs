//! The public pages of a link (`/s/{slug}`): what is shared, the password prompt, and the
//! friendly refusals. Templates live in `templates/`; every value is HTML-escaped when it is
//! put in (`{{name}}`), and only fragments built here from escaped parts go in raw
//! (`{{{name}}}`).

const BASE: &str = include_str!("../../../templates/base.html");
const SHARED_ITEM: &str = include_str!("../../../templates/shared_item.html");
const PASSWORD: &str = include_str!("../../../templates/link_password.html");
const REFUSED: &str = include_str!("../../../templates/link_refused.html");

pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

/// Fills `template` in one pass: `{{{key}}}` with `raw` values as they are, `{{key}}` with
/// escaped ones. Values are never scanned again, so a value that looks like a placeholder
/// stays text.
fn fill(template: &str, escaped: &[(&str, &str)], raw: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start..];
        let (is_raw, open, close) = if after.starts_with("{{{") {
            (true, 3, "}}}")
        } else {
            (false, 2, "}}")
        };
        let Some(end) = after[open..].find(close) else {
            out.push_str(after);
            return out;
        };
        let key = after[open..open + end].trim();
        let value = if is_raw {
            raw.iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| (*v).to_owned())
        } else {
            escaped
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| escape(v))
        };
        out.push_str(&value.unwrap_or_default());
        rest = &after[open + end + close.len()..];
    }
    out.push_str(rest);
    out
}

fn page(title: &str, content: &str) -> String {
    fill(BASE, &[("title", title)], &[("content", content)])
}

/// What the shared item page shows.
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
    pub preview: Option<(Vec<String>, Vec<Vec<String>>)>,
}

pub fn shared_item(item: &ItemPage) -> String {
    let mut action = String::new();
    if let Some(href) = item.download_href {
        action.push_str(&format!(
            "<p><a class=\"button\" href=\"{}\" download>Download</a></p>",
            escape(href)
        ));
    }
    if let Some((columns, rows)) = &item.preview {
        action.push_str("<table><caption>First rows</caption><thead><tr>");
        for column in columns {
            action.push_str(&format!("<th scope=\"col\">{}</th>", escape(column)));
        }
        action.push_str("</tr></thead><tbody>");
        for row in rows {
            action.push_str("<tr>");
            for cell in row {
                action.push_str(&format!("<td>{}</td>", escape(cell)));
            }
            action.push_str("</tr>");
        }
        action.push_str("</tbody></table>");
    }
    let content = fill(
        SHARED_ITEM,
        &[
            ("name", item.name),
            ("owner", item.owner),
            ("what", item.what),
            ("size", item.size),
            ("expires", item.expires),
            ("downloads_left", item.downloads_left),
        ],
        &[("action", &action)],
    );
    page(item.name, &content)
}

pub fn password_prompt(action: &str, wrong: bool) -> String {
    let message = if wrong {
        "<p class=\"notice error\" role=\"alert\">That password is not right. Try again.</p>"
    } else {
        "<p>Enter the password you were given with this link.</p>"
    };
    page(
        "Password needed",
        &fill(PASSWORD, &[("action", action)], &[("message", message)]),
    )
}

pub fn refused(heading: &str, message: &str) -> String {
    page(
        heading,
        &fill(REFUSED, &[("heading", heading), ("message", message)], &[]),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_escaped_and_fragments_are_not() {
        let html = shared_item(&ItemPage {
            name: "<script>alert(1)</script>",
            owner: "Ada & co",
            what: "dataset",
            size: "1 KB",
            expires: "never",
            downloads_left: "2",
            download_href: Some("/s/abc/download"),
            preview: None,
        });
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(!html.contains("<script>"));
        assert!(html.contains("Ada &amp; co"));
        assert!(html.contains("<a class=\"button\" href=\"/s/abc/download\" download>"));
        let tricky = refused("{{{content}}}", "{{heading}}");
        assert!(tricky.contains("<h1>{{{content}}}</h1>"));
    }
}
