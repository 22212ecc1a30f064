//! The dataset list with search, team filter and upload, and a dataset's own page: metadata,
//! schema, paged preview, versions, export and sharing.

use actix_web::{HttpResponse, ResponseError, web};
use serde::{Deserialize, Serialize};

use crate::access::Caller;
use crate::access::{self, Level};
use crate::db::dataset_versions::DatasetVersion;
use crate::db::datasets::{Dataset, DatasetFilter, DatasetOrder};
use crate::db::export_jobs::ExportJob;
use crate::db::groups::UserGroup;
use crate::db::share_links::ShareLink;
use crate::db::shares::Share;
use crate::db::teams::Team;
use crate::db::users::User;
use crate::http::access::{OnDataset, View, deferred};
use crate::http::error::ApiError;
use crate::http::views::exports::JobView;
use crate::state::AppState;
use crate::time::to_rfc3339;

/// Queued exports listed in a dataset's export history.
const EXPORT_HISTORY: i64 = 20;

/// Rows per preview page.
const PREVIEW_PAGE: i64 = 50;
use super::activity;
use super::options_form;
use super::page::{Page, error_page, respond, user_context};
use super::table_view;

#[derive(Debug, Deserialize)]
pub struct DatasetsQuery {
    q: Option<String>,
    team: Option<String>,
    offset: Option<String>,
    /// The list's order, as the API names it (`-updated`, `updated`, `name`, `-name`); an
    /// order it does not know shows the default.
    sort: Option<String>,
}

/// Datasets a page of the list shows; the pager reaches the rest.
const DATASETS_PAGE: i64 = 100;

#[derive(Serialize)]
struct DatasetRow {
    id: String,
    name: String,
    rows: i64,
    /// The latest version's stored size, as people read sizes.
    size: String,
    version: i32,
    /// When it last changed, in words ("3 hours ago"), and exactly.
    updated: String,
    updated_at: String,
    /// The owner's name, and whether someone else shared it with the reader.
    owner: String,
    shared_with_me: bool,
    /// The reader owns it, so may delete it (move it to the trash).
    owned: bool,
    tags: Vec<String>,
}

#[derive(Serialize)]
struct TeamOption {
    id: String,
    name: String,
}

pub async fn datasets_page(
    page: Page<Caller>,
    state: web::Data<AppState>,
    query: deferred::Query<DatasetsQuery>,
) -> HttpResponse {
    let Page(caller) = page;
    let query = match query.read().await {
        Ok(query) => query.into_inner(),
        Err(err) => return err.error_response(),
    };
    let page_caller = caller.clone();
    let team_filter = query.team.clone().filter(|t| !t.is_empty());
    let text = query.q.clone().filter(|t| !t.trim().is_empty());
    let offset = super::pager::offset_of(query.offset.as_deref());
    let order = DatasetOrder::parse(query.sort.as_deref().unwrap_or_default()).unwrap_or_default();
    let listed = state
        .db
        .run(move |conn| {
            let teams = Team::list_for_user(conn, &page_caller.user.id)?;
            let visible_to = if page_caller.is_admin() {
                None
            } else {
                let all = Dataset::all_ids(conn)?;
                Some(access::viewable_datasets(conn, &page_caller, all)?)
            };
            let filter = DatasetFilter {
                visible_to,
                team_id: team_filter,
                text,
                order,
            };
            let (datasets, total) = Dataset::list(conn, &filter, offset, DATASETS_PAGE)?;
            let ids: Vec<String> = datasets.iter().map(|d| d.id.clone()).collect();
            let sizes = DatasetVersion::latest_sizes(conn, &ids)?;
            let owner_ids: Vec<String> = datasets.iter().map(|d| d.owner_id.clone()).collect();
            let owners = User::names_of(conn, &owner_ids)?;
            let now = crate::time::now_millis();
            let rows: Vec<DatasetRow> = datasets
                .into_iter()
                .map(|d| {
                    let (rows, bytes) = sizes.get(&d.id).copied().unwrap_or((0, 0));
                    DatasetRow {
                        rows,
                        size: crate::human::stored_size(bytes),
                        version: d.latest_version,
                        updated: crate::human::relative_time(d.updated_at, now),
                        updated_at: to_rfc3339(d.updated_at),
                        owner: owners
                            .get(&d.owner_id)
                            .cloned()
                            .unwrap_or_else(|| "(deleted user)".to_owned()),
                        shared_with_me: d.owner_id != page_caller.user.id,
                        owned: d.owner_id == page_caller.user.id,
                        tags: serde_json::from_str(&d.tags).unwrap_or_default(),
                        id: d.id,
                        name: d.name,
                    }
                })
                .collect();
            let teams: Vec<TeamOption> = teams
                .into_iter()
                .map(|t| TeamOption {
                    id: t.id,
                    name: t.name,
                })
                .collect();
            Ok::<_, ApiError>((rows, total, teams))
        })
        .await;
    let (datasets, total, teams) = match listed {
        Ok(listed) => listed,
        Err(err) => return error_page(Some(&caller), &err),
    };
    let max_upload = crate::human::size(state.config.max_upload_bytes);
    respond(
        &caller,
        "datasets.html",
        serde_json::json!({
            "user": user_context(&caller),
            "section": "datasets",
            "datasets": datasets,
            "total": total,
            "pager": super::pager::pager(
                &[
                    ("q", query.q.as_deref().unwrap_or_default()),
                    ("team", query.team.as_deref().unwrap_or_default()),
                    // The default order needs no word in the address.
                    (
                        "sort",
                        if order == DatasetOrder::default() { "" } else { order.as_str() },
                    ),
                ],
                offset,
                DATASETS_PAGE,
                total,
            ),
            "teams": teams,
            "q": query.q.unwrap_or_default(),
            "team_filter": query.team.unwrap_or_default(),
            "sort": order.as_str(),
            // Each sortable header's next order: the other direction when it is the one shown.
            "sort_by_name": if order == DatasetOrder::NameAscending { "-name" } else { "name" },
            "sort_by_updated": if order == DatasetOrder::NewestFirst { "updated" } else { "-updated" },
            "max_upload": max_upload,
        }),
    )
}

#[derive(Debug, Deserialize)]
pub struct DatasetQuery {
    offset: Option<i64>,
    /// The version the preview shows (the latest when absent).
    version: Option<i32>,
    /// The table's view (see [`table_view`]).
    filter: Option<String>,
    sort: Option<String>,
    q: Option<String>,
    /// "Go to row": the row (from 1) to show first.
    row: Option<String>,
    /// "Add a filter": a column, a comparison and a value, added to the view's filter.
    add_column: Option<String>,
    add_op: Option<String>,
    add_value: Option<String>,
}

/// Columns offered as facets at most, and values listed in each.
const FACET_COLUMNS: usize = 4;
const FACET_VALUES: u32 = 10;
/// A column is a facet when it holds between 2 and this many different values.
const FACET_MOST_DISTINCT: i64 = 20;

#[derive(Serialize)]
struct ColumnRow {
    name: String,
    r#type: String,
}

#[derive(Serialize)]
struct VersionRow {
    version: i32,
    original_filename: String,
    row_count: i64,
    size: String,
    sha256: String,
    created_at: String,
    /// The uploader's name, and their change note.
    uploaded_by: String,
    message: String,
    /// The dataset's current version (the one its details and following links show).
    current: bool,
    /// When, by whom and why it was withdrawn, in words; absent while it is served.
    withdrawn: Option<String>,
}

/// Which version the dataset's live links serve, for its admins (issue 16): how many follow the
/// latest version and how many are pinned to each.
#[derive(Serialize, Default)]
struct LinkVersions {
    following: usize,
    /// `(version, links)`, oldest version first.
    pinned: Vec<(i32, usize)>,
}

impl LinkVersions {
    fn of(links: &[ShareLink]) -> Self {
        let mut counts = LinkVersions::default();
        let mut pinned = std::collections::BTreeMap::new();
        let live = links.iter().filter(|l| {
            l.export_job_id.is_none() && l.revoked_at.is_none() && l.destroyed_at.is_none()
        });
        for link in live {
            match link.version {
                Some(version) => *pinned.entry(version).or_insert(0) += 1,
                None => counts.following += 1,
            }
        }
        counts.pinned = pinned.into_iter().collect();
        counts
    }
}

/// The Activity tab's link: only this link's use (`?link=<id>#activity`).
#[derive(Debug, Default, Deserialize)]
pub struct ActivityLink {
    link: Option<String>,
}

pub async fn dataset_page(
    page: Page<OnDataset<View>>,
    state: web::Data<AppState>,
    query: deferred::Query<DatasetQuery>,
    activity_range: deferred::Query<activity::RangeForm>,
    activity_link: deferred::Query<ActivityLink>,
) -> HttpResponse {
    let Page(OnDataset {
        dataset,
        caller,
        held: level,
        ..
    }) = page;
    let (query, activity_range, activity_link) = match (
        query.read().await,
        activity_range.read().await,
        activity_link.read().await,
    ) {
        (Ok(query), Ok(range), Ok(link)) => (query, range.into_inner(), link.into_inner()),
        (Err(err), _, _) | (_, Err(err), _) | (_, _, Err(err)) => return err.error_response(),
    };
    let (mut activity_scope, activity_range) =
        activity::scope_of(&activity_range, crate::time::now_millis());
    activity_scope.dataset = Some(dataset.id.clone());
    let activity_link = activity_link.link.filter(|l| !l.trim().is_empty());
    let page_caller = caller.clone();
    let found = state
        .db
        .run(move |conn| {
            let versions = DatasetVersion::list(conn, &dataset.id)?;
            // Who uploaded each version, by name.
            let people: Vec<String> = versions
                .iter()
                .flat_map(|v| [v.created_by.clone(), v.withdrawn_by.clone()])
                .flatten()
                .collect();
            let uploaders = User::names_of(conn, &people)?;
            let only = (!page_caller.is_admin()).then_some(page_caller.user.id.as_str());
            let exports: Vec<JobView> =
                ExportJob::list_for_dataset(conn, &dataset.id, only, EXPORT_HISTORY)?
                    .into_iter()
                    .map(JobView::from)
                    .collect();
            let mut shares = Vec::new();
            let mut holders = Vec::new();
            let mut links = LinkVersions::default();
            let mut link_rows = Vec::new();
            let mut activity = None;
            if level == Level::Admin {
                holders = access::holders::for_dataset(conn, &page_caller, &dataset.id)?;
                let dataset_links = ShareLink::list_for_dataset(conn, &dataset.id)?;
                links = LinkVersions::of(&dataset_links);
                activity = Some(activity_tab(
                    conn,
                    activity_scope,
                    activity_link,
                    &dataset_links,
                )?);
                // The same rows as "My links" (`GET /api/v1/datasets/{id}/links`).
                link_rows =
                    crate::http::views::links::link_views(conn, &page_caller, &dataset_links)?;
                for share in Share::for_dataset(conn, &dataset.id)? {
                    let name = match share.subject_kind.as_str() {
                        "user" => User::find(conn, &share.subject_id)
                            .map(|u| format!("{} <{}>", u.name, u.email))
                            .unwrap_or_default(),
                        "group" => UserGroup::find(conn, &share.subject_id)
                            .map(|g| g.name)
                            .unwrap_or_default(),
                        // The address only, whether or not an account holds it.
                        crate::db::shares::EMAIL => share.subject_id.clone(),
                        _ => Team::find(conn, &share.subject_id)
                            .map(|t| t.name)
                            .unwrap_or_default(),
                    };
                    shares.push(serde_json::json!({
                        "id": share.id,
                        "pending": share.is_pending(),
                        "kind": share.subject_kind,
                        "name": name,
                        "level": share.level,
                        "expires_at": share.expires_at.map(to_rfc3339),
                    }));
                }
            }
            Ok::<_, ApiError>((
                dataset,
                level,
                versions,
                uploaders,
                shares,
                holders,
                exports,
                (links, link_rows, activity),
            ))
        })
        .await;
    let (
        dataset,
        level,
        versions,
        uploaders,
        shares,
        holders,
        exports,
        (links, link_rows, activity),
    ) = match found {
        Ok(found) => found,
        Err(err) => return error_page(Some(&caller), &err),
    };
    let Some(latest) = versions
        .iter()
        .find(|v| v.version == dataset.latest_version)
        .cloned()
    else {
        return error_page(Some(&caller), &ApiError::not_found("dataset version"));
    };
    // The preview shows any version asked for; the details stay the latest's.
    let shown_number = query.version.unwrap_or(dataset.latest_version);
    let Some(shown) = versions.iter().find(|v| v.version == shown_number).cloned() else {
        return error_page(
            Some(&caller),
            &ApiError::not_found(&format!("version {shown_number} of this dataset")),
        );
    };
    let shown = match crate::datasets::served(shown) {
        Ok(shown) => shown,
        Err(withdrawn) => return error_page(Some(&caller), &withdrawn.into()),
    };
    let columns: Vec<(String, String)> = crate::ingest::stored_columns(&shown.schema_json)
        .into_iter()
        .map(|c| (c.name, c.data_type))
        .collect();
    let table = match explore_table(&state, &query, &shown, &columns, dataset.latest_version).await
    {
        Ok(Explored::Table(table)) => table,
        Ok(Explored::Redirect(to)) => return super::page::see_other(&to),
        Err(err) => return error_page(Some(&caller), &err),
    };
    let columns: Vec<ColumnRow> = columns
        .into_iter()
        .map(|(name, r#type)| ColumnRow { name, r#type })
        .collect();
    let versions: Vec<VersionRow> = versions
        .into_iter()
        .rev()
        .map(|v| VersionRow {
            version: v.version,
            original_filename: v.original_filename,
            row_count: v.row_count,
            size: crate::human::stored_size(v.size_bytes),
            sha256: v.sha256,
            created_at: to_rfc3339(v.created_at),
            uploaded_by: v
                .created_by
                .as_ref()
                .and_then(|id| uploaders.get(id).cloned())
                .unwrap_or_else(|| "(deleted user)".to_owned()),
            message: v.message,
            current: v.version == dataset.latest_version,
            withdrawn: v.withdrawn_at.map(|at| {
                let by = v
                    .withdrawn_by
                    .as_ref()
                    .and_then(|id| uploaders.get(id).cloned())
                    .unwrap_or_else(|| "(deleted user)".to_owned());
                match &v.withdraw_reason {
                    Some(reason) => format!("on {} by {by}: {reason}", to_rfc3339(at)),
                    None => format!("on {} by {by}", to_rfc3339(at)),
                }
            }),
        })
        .collect();
    let formats: Vec<serde_json::Value> = state
        .plugins
        .list()
        .iter()
        .map(|p| {
            serde_json::json!({
                "id": p.manifest.id,
                "name": p.manifest.name,
                "description": p.manifest.description,
                "options": options_form::fields(&p.info.options_schema),
            })
        })
        .collect();
    let tags = dataset.tag_list().join(", ");
    let exports: Vec<serde_json::Value> = exports
        .into_iter()
        .map(|job| {
            let manifest = job
                .manifest
                .as_ref()
                .and_then(|m| serde_json::to_string_pretty(m).ok());
            // A format that keeps only some rows (a PDF report's table) says how many.
            let held = state.plugins.get_any(&job.format).and_then(|plugin| {
                let options = job
                    .manifest
                    .as_ref()
                    .and_then(|m| m.pointer("/export/options"));
                plugin.rows_held(options, job.rows_done)
            });
            serde_json::json!({
                "job": job,
                "size": crate::human::stored_size(job.bytes_done),
                "manifest": manifest,
                "rows_held": held.filter(|held| *held != job.rows_done),
            })
        })
        .collect();
    respond(
        &caller,
        "dataset.html",
        serde_json::json!({
            "user": user_context(&caller),
            "section": "datasets",
            "dataset": {
                "id": dataset.id,
                "name": dataset.name,
                "description": dataset.description,
                "licence": dataset.licence,
                "latest_version": dataset.latest_version,
                "team": dataset.team_id,
                "tags": tags,
            },
            "access": level.as_str(),
            "can_edit": level >= Level::Edit,
            // The licence field's suggestions, for those who may change it.
            "licences": if level >= Level::Edit { crate::licences::all() } else { &[] },
            "can_admin": level >= Level::Admin,
            "rows": latest.row_count,
            "columns": columns,
            "table": table,
            "preview_rows": shown.row_count,
            "shown_version": shown.version,
            "versions": versions,
            "formats": formats,
            "shares": shares,
            "holders": holders,
            "exports": exports,
            "links": links,
            "link_rows": link_rows,
            "activity": activity.map(|tab| tab.with_range(activity_range)),
        }),
    )
}

/// The Activity tab, for those who may read the dataset's report: the report of the range
/// chosen, narrowed to one of the dataset's links when one is chosen (a link of another
/// dataset is said to be unknown, and the whole dataset's report shown).
fn activity_tab(
    conn: &mut crate::db::AnyConnection,
    mut scope: crate::activity::report::Scope,
    link: Option<String>,
    dataset_links: &[ShareLink],
) -> Result<ActivityTab, ApiError> {
    let chosen = link
        .as_ref()
        .and_then(|id| dataset_links.iter().find(|l| &l.id == id));
    let link_problem = match (&link, chosen) {
        (Some(_), None) => {
            Some("That link is not one of this dataset's: every link's use is shown.".to_owned())
        }
        _ => None,
    };
    scope.link = chosen.map(|l| l.id.clone());
    let report = crate::activity::report::report(conn, &scope)?;
    Ok(ActivityTab {
        report: activity::report_context(
            report,
            &[("chart-link-use", "Link use over time", &activity::LINK_USE)],
        ),
        link: chosen.map(|l| l.id.clone()).unwrap_or_default(),
        link_name: chosen.map(|l| l.name.clone()),
        link_problem,
        links: dataset_links
            .iter()
            .map(|l| ActivityLinkOption {
                id: l.id.clone(),
                name: l.name.clone(),
            })
            .collect(),
        range: None,
        query: String::new(),
    })
}

#[derive(Serialize)]
struct ActivityLinkOption {
    id: String,
    name: String,
}

/// What the Activity tab shows.
#[derive(Serialize)]
struct ActivityTab {
    report: activity::ReportContext,
    /// The link chosen (its id, empty for all), its name, and why the one asked for is not.
    link: String,
    link_name: Option<String>,
    link_problem: Option<String>,
    links: Vec<ActivityLinkOption>,
    range: Option<activity::RangeContext>,
    /// The range and link as a query string, for the download links.
    query: String,
}

impl ActivityTab {
    fn with_range(mut self, range: activity::RangeContext) -> Self {
        self.query = range.query_text().to_owned();
        if !self.link.is_empty() {
            self.query
                .push_str(&format!("&link={}", super::page::encode(&self.link)));
        }
        self.range = Some(range);
        self
    }
}

/// What the dataset page's table needs, or where to send the browser instead (after "add a
/// filter", to the address of the view it made).
enum Explored {
    Table(Box<TableContext>),
    Redirect(String),
}

#[derive(Serialize)]
struct TableContext {
    headers: Vec<table_view::Header>,
    rows: Vec<Vec<String>>,
    /// The first row shown (from 0), the rows the view keeps, the version's rows.
    offset: i64,
    matching: i64,
    total: i64,
    previous: Option<String>,
    next: Option<String>,
    /// Whether the first row shown is the one "go to row" asked for.
    jumped: bool,
    conditions: Vec<table_view::Condition>,
    /// The view's parameters as given, for the forms that keep them.
    search: String,
    filter: String,
    sort: String,
    /// Whether the view keeps or orders rows, and the address without it.
    narrowed: bool,
    whole: String,
    /// The view's rows as an export takes them: the filter with the search in it, the sort.
    export_filter: String,
    export_sort: String,
    /// What was wrong with the view's address, or with the filter being added.
    view_error: Option<String>,
    add_error: Option<String>,
    add_column: String,
    add_op: String,
    add_value: String,
    facets: Vec<FacetContext>,
    summaries: Vec<SummaryContext>,
}

#[derive(Serialize)]
struct FacetContext {
    column: String,
    values: Vec<FacetLink>,
}

#[derive(Serialize)]
struct FacetLink {
    text: String,
    count: i64,
    /// The view with this value as a condition; `active` when it is one already.
    href: String,
    active: bool,
}

#[derive(Serialize)]
struct SummaryContext {
    #[serde(flatten)]
    summary: crate::explore::summary::ColumnSummary,
    /// The chart's bars, `{"kind", "labels", "counts"}`, as JSON for the page's script.
    chart: Option<String>,
}

async fn explore_table(
    state: &AppState,
    query: &DatasetQuery,
    shown: &DatasetVersion,
    columns: &[(String, String)],
    latest: i32,
) -> Result<Explored, ApiError> {
    use crate::explore::summary;

    let mut view_error = None;
    let view = match crate::http::table_view::from_query(
        query.filter.as_deref(),
        query.sort.as_deref(),
        query.q.as_deref(),
    ) {
        Ok(view) => view,
        Err(err) => {
            view_error = Some(err.message.clone());
            Default::default()
        }
    };
    let mut address = table_view::Address {
        version: (shown.version != latest).then_some(shown.version),
        view,
    };

    // "Add a filter" becomes the address of the view with it, or a sentence beside the form.
    let mut add_error = None;
    if let Some(column) = query.add_column.as_deref().filter(|c| !c.is_empty()) {
        let op = query.add_op.as_deref().unwrap_or("=");
        let value = query.add_value.as_deref().unwrap_or_default();
        match columns.iter().find(|(name, _)| name == column) {
            None => add_error = Some(format!("This version has no column “{column}”.")),
            Some((_, r#type)) => match table_view::condition_from_form(column, r#type, op, value) {
                Ok(condition) => {
                    return Ok(Explored::Redirect(
                        address.with_condition(condition).href(0),
                    ));
                }
                Err(message) => add_error = Some(message),
            },
        }
    }

    let jumped = query
        .row
        .as_deref()
        .and_then(|r| r.trim().parse::<i64>().ok());
    let offset = match jumped {
        Some(row) => (row - 1).max(0),
        None => query.offset.unwrap_or(0).max(0),
    };
    let path = state.storage.absolute(&shown.file_path);
    let total = shown.row_count;
    let read = {
        let (view, path) = (address.view.clone(), path.clone());
        web::block(move || view.window(&path, total, offset, PREVIEW_PAGE as u32)).await
    };
    let window = match read.map_err(ApiError::internal)? {
        Ok(window) => window,
        // A view the version cannot give (a column it lacks) shows the whole table, and why.
        Err(crate::explore::ExploreError::Invalid(message)) => {
            view_error = Some(message);
            address.view = Default::default();
            let (view, path) = (address.view.clone(), path.clone());
            web::block(move || view.window(&path, total, offset, PREVIEW_PAGE as u32))
                .await
                .map_err(ApiError::internal)??
        }
        Err(other) => return Err(other.into()),
    };

    // Summaries are computed once per version; a failure leaves the table without them.
    let summaries = match summary::for_version(&state.db, &state.storage, shown).await {
        Ok(summaries) => summaries,
        Err(err) => {
            tracing::warn!(error = %err, "column summaries failed");
            Vec::new()
        }
    };
    let faceted: Vec<String> = summaries
        .iter()
        .filter(|s| matches!(s.data_type.as_str(), "string" | "boolean" | "integer"))
        .filter(|s| (2..=FACET_MOST_DISTINCT).contains(&s.distinct))
        .map(|s| s.name.clone())
        .take(FACET_COLUMNS)
        .collect();
    let facets = if faceted.is_empty() {
        Vec::new()
    } else {
        let view = address.view.clone();
        web::block(move || view.facets(&path, &faceted, FACET_VALUES))
            .await
            .map_err(ApiError::internal)?
            .unwrap_or_else(|err| {
                tracing::warn!(error = %err, "facets failed");
                Vec::new()
            })
    };
    let current = address.view.filter.clone();
    let facets = facets
        .into_iter()
        .map(|facet| FacetContext {
            values: facet
                .values
                .into_iter()
                .map(|v| {
                    let condition = if v.value.is_null() {
                        serde_json::json!({"column": facet.column, "op": "is_null"})
                    } else {
                        serde_json::json!({"column": facet.column, "op": "=", "value": v.value})
                    };
                    let active = current.as_ref().is_some_and(|f| {
                        f == &condition
                            || f.get("and")
                                .and_then(|a| a.as_array())
                                .is_some_and(|parts| parts.contains(&condition))
                    });
                    FacetLink {
                        text: if v.value.is_null() {
                            "(empty)".to_owned()
                        } else {
                            super::cell_text(&v.value)
                        },
                        count: v.count,
                        href: address.with_condition(condition).href(0),
                        active,
                    }
                })
                .collect(),
            column: facet.column,
        })
        .collect();

    let schema_filter = {
        let mut schema = polars::prelude::Schema::default();
        for (name, r#type) in columns {
            if r#type == "string" {
                schema.insert(name.as_str().into(), polars::prelude::DataType::String);
            }
        }
        address.view.combined_filter(&schema).ok().flatten()
    };
    let page = PREVIEW_PAGE;
    let whole = table_view::Address {
        version: address.version,
        view: Default::default(),
    };
    Ok(Explored::Table(Box::new(TableContext {
        headers: address.headers(columns),
        rows: window
            .rows
            .into_iter()
            .map(|row| row.into_iter().map(|v| super::cell_text(&v)).collect())
            .collect(),
        offset,
        matching: window.matching,
        total,
        previous: (offset > 0).then(|| address.href((offset - page).max(0))),
        next: (offset + page < window.matching).then(|| address.href(offset + page)),
        jumped: jumped.is_some(),
        conditions: address.conditions(),
        search: address.view.search.clone().unwrap_or_default(),
        filter: address
            .view
            .filter
            .as_ref()
            .map(|f| f.to_string())
            .unwrap_or_default(),
        sort: table_view::sort_text(&address.view.sort),
        narrowed: !address.view.keeps_all() || !address.view.sort.is_empty(),
        whole: whole.href(0),
        export_filter: schema_filter.map(|f| f.to_string()).unwrap_or_default(),
        export_sort: table_view::sort_text(&address.view.sort),
        view_error,
        add_error,
        add_column: query.add_column.clone().unwrap_or_default(),
        add_op: query.add_op.clone().unwrap_or_default(),
        add_value: query.add_value.clone().unwrap_or_default(),
        facets,
        summaries: summaries
            .into_iter()
            .map(|summary| SummaryContext {
                chart: chart_of(&summary),
                summary,
            })
            .collect(),
    })))
}

/// A summary's bars for the page's chart: a histogram's ranges or the most frequent values.
fn chart_of(summary: &crate::explore::summary::ColumnSummary) -> Option<String> {
    let (kind, labels, counts): (&str, Vec<String>, Vec<i64>) =
        if let Some(bins) = summary.histogram.as_ref().filter(|b| !b.is_empty()) {
            (
                "histogram",
                bins.iter()
                    .map(|b| {
                        let (from, to) = (super::cell_text(&b.from), super::cell_text(&b.to));
                        if from == to {
                            from
                        } else {
                            format!("{from} – {to}")
                        }
                    })
                    .collect(),
                bins.iter().map(|b| b.count).collect(),
            )
        } else if let Some(top) = summary.top_values.as_ref().filter(|t| !t.is_empty()) {
            (
                "top",
                top.iter().map(|t| super::cell_text(&t.value)).collect(),
                top.iter().map(|t| t.count).collect(),
            )
        } else {
            return None;
        };
    Some(serde_json::json!({"kind": kind, "labels": labels, "counts": counts}).to_string())
}
