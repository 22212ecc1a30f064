//! The shared item's page (`/s/{slug}`): what is shared, by whom, its size, expiry and
//! downloads left, and either the download button or the first rows.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;

use super::FALLBACK;
use super::refusal::refusal_page;
use crate::db::share_links::ShareLink;
use crate::http::error::ApiError;
use crate::http::link_access::{owner_of, shared_of};
use crate::http::pages::{html, render};
use crate::ingest::preview;
use crate::links::{self, Credential};
use crate::state::AppState;
use crate::time::{now_millis, to_rfc3339};

/// What the shared item page shows.
#[derive(Serialize)]
pub struct ItemPage<'a> {
    pub name: &'a str,
    pub owner: &'a str,
    pub what: &'a str,
    pub size: &'a str,
    /// The dataset's description, licence and how to cite it, when the link shares a dataset
    /// or one of its exports.
    pub description: Option<&'a str>,
    pub licence: Option<&'a str>,
    pub citation: Option<&'a str>,
    /// "never", or the time in words ("in 3 days") with the exact time beside it.
    pub expires: &'a str,
    pub expires_at: Option<&'a str>,
    /// The formats a download link lets the visitor choose (a dataset link), or the one its
    /// file is in (an export link).
    pub formats: Vec<String>,
    /// An export's file: its one format is not asked for in the download's address.
    pub is_export: bool,
    /// For download links only: a view link has no downloads to count.
    pub downloads_left: Option<&'a str>,
    /// Where the download button points, for download links.
    pub download_href: Option<&'a str>,
    /// Column names and rows, for view links.
    pub preview_columns: Option<Vec<String>>,
    pub preview_rows: Option<Vec<Vec<String>>>,
}

/// The page, or a sentence saying it cannot be shown.
pub fn shared_item(item: &ItemPage) -> String {
    render("shared_item.html", item).unwrap_or_else(|_| FALLBACK.to_owned())
}

/// The shared item's page: what it is, its size, expiry and downloads left, and either the
/// download button or the first rows.
pub async fn show_link(
    state: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
) -> HttpResponse {
    let slug = slug.into_inner();
    let visitor = crate::http::client::visitor(&req, &state.config);
    let app = state.clone();
    let credential = Credential::Slug {
        session: req
            .cookie(links::LINK_SESSION_COOKIE)
            .map(|c| c.value().to_owned()),
        slug: slug.clone(),
    };
    let result = state
        .db
        .run(move |conn| {
            let now = now_millis();
            let resolved = links::resolve(conn, &app.links(), &credential, &visitor, now)?;
            let shared = shared_of(conn, &resolved.link)?;
            let owner = owner_of(conn, &resolved.link);
            links::log_access(conn, &resolved.link.id, "view", None, &visitor, now)?;
            ShareLink::touch(conn, &resolved.link.id, now)?;
            Ok::<_, ApiError>((resolved.link, shared, owner))
        })
        .await;
    let (link, shared, owner) = match result {
        Ok(found) => found,
        Err(err) => return refusal_page(&slug, &err),
    };
    let (what, size) = match (&shared.job, &shared.version) {
        (Some(job), _) => (
            format!("an export in {}", job.format),
            std::fs::metadata(
                state
                    .storage
                    .absolute(job.artifact_path.as_deref().unwrap_or("")),
            )
            .map(|m| crate::human::size(m.len()))
            .unwrap_or_else(|_| "unknown".into()),
        ),
        (None, Some(version)) => (
            format!(
                "a dataset (version {}, {} rows, {} columns)",
                version.version,
                version.row_count,
                shared.columns.len()
            ),
            // A dataset link serves an export made while it is sent, in the format the
            // visitor picks: its size is not known before, and the upload's would mislead.
            "made as you download it; it depends on the format".to_owned(),
        ),
        _ => ("nothing".into(), "0 bytes".into()),
    };
    let preview = if link.level == "view" {
        match (&shared.version, &shared.dataset) {
            (Some(version), Some(_)) => {
                let path = state.storage.absolute(&version.file_path);
                let columns = shared.columns.clone();
                let all = shared.version_columns.clone();
                let first = state.config.link_view_rows as u32;
                web::block(move || preview::read_rows(&path, 0, first))
                    .await
                    .ok()
                    .and_then(Result::ok)
                    .map(|rows| {
                        let rows = rows
                            .into_iter()
                            .map(|row| {
                                row.into_iter()
                                    .zip(&all)
                                    .filter(|(_, name)| columns.contains(name))
                                    .map(|(v, _)| crate::http::pages::cell_text(&v))
                                    .collect()
                            })
                            .collect();
                        (columns, rows)
                    })
            }
            _ => None,
        }
    } else {
        None
    };
    let download_href = (link.level == "download").then(|| format!("/s/{slug}/download"));
    let now = now_millis();
    let formats = match (&shared.job, link.formats()) {
        (Some(job), _) => vec![job.format.clone()],
        (None, Some(allowed)) => allowed,
        // Every installed format the visitor can pick.
        (None, None) => state
            .plugins
            .list()
            .iter()
            .map(|p| p.manifest.id.clone())
            .collect(),
    };
    // The first is the one the plain "Download" gives: CSV when the link allows it.
    let mut formats = formats;
    formats.sort_by_key(|f| (f != "csv", f.clone()));
    let citation = shared.dataset.as_ref().map(|dataset| {
        let year = to_rfc3339(dataset.created_at)
            .get(..4)
            .unwrap_or_default()
            .to_owned();
        let version = shared
            .version
            .as_ref()
            .map(|v| format!(" (version {})", v.version))
            .unwrap_or_default();
        format!(
            "{owner} ({year}). {}{version} [Data set]. Shared through Tessera.",
            dataset.name
        )
    });
    let downloads_left = link
        .downloads_left()
        .map(|n| n.to_string())
        .unwrap_or_else(|| "no limit".into());
    html(
        StatusCode::OK,
        shared_item(&ItemPage {
            name: &link.name,
            owner: &owner,
            what: &what,
            size: &size,
            description: shared
                .dataset
                .as_ref()
                .map(|d| d.description.as_str())
                .filter(|d| !d.trim().is_empty()),
            licence: shared.dataset.as_ref().and_then(|d| d.licence.as_deref()),
            citation: citation.as_deref(),
            expires: &link
                .expires_at
                .map(|at| crate::human::relative_time(at, now))
                .unwrap_or_else(|| "never".into()),
            expires_at: link.expires_at.map(to_rfc3339).as_deref(),
            formats: if download_href.is_some() {
                formats
            } else {
                Vec::new()
            },
            is_export: shared.job.is_some(),
            downloads_left: download_href.as_ref().map(|_| downloads_left.as_str()),
            download_href: download_href.as_deref(),
            preview_columns: preview.as_ref().map(|(columns, _)| columns.clone()),
            preview_rows: preview.map(|(_, rows)| rows),
        }),
    )
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
            description: None,
            licence: None,
            citation: None,
            expires: "never",
            expires_at: None,
            formats: vec!["csv".into()],
            is_export: false,
            downloads_left: Some("2"),
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
            html.contains("href=\"&#x2f;s&#x2f;abc&#x2f;download?format=csv\"")
                || html.contains("href=\"/s/abc/download?format=csv\"")
        );
    }
}
