//! Making a share link: the terms every link must meet (its level, expiry, download limit,
//! self-destruct, password), what a dataset link may narrow (a version, formats, columns) and
//! what an export's file may not, then the link stored and audited in one transaction, with
//! its slug and its Biscuit token made. Both secrets are given back at once: the slug is stored
//! as its hash (to find the link) and sealed under the link address key (so that its owners can
//! copy it again: [`super::address`]), and the token can be minted again by nobody but this
//! server's keys.
//!
//! Who may make a link (admin on the dataset, or the export's own runner with view) is decided
//! above (`crate::http::access`), and that level is what the link keeps needing
//! ([`ShareLink::needs_level`]).

use super::LinkError;
use super::address::AddressKey;
use crate::access::audit::{self, AuditEvent};
use crate::access::token::{self, Operation, TokenKeys};
use crate::access::{Caller, Level};
use crate::activity::{self, Actor, Event, EventKind};
use crate::auth::password;
use crate::db::dataset_versions::DatasetVersion;
use crate::db::datasets::Dataset;
use crate::db::export_jobs::{ExportJob, JobStatus};
use crate::db::share_links::ShareLink;
use crate::db::{AnyConnection, new_id, write_transaction};
use crate::time::{resolve_expiry, to_rfc3339};

/// The shortest password a link takes.
const MIN_PASSWORD_CHARS: usize = 6;

/// The keys a new link is made with: the one that signs its token, and the one that seals its
/// address.
pub struct LinkKeys<'a> {
    pub tokens: &'a TokenKeys,
    pub addresses: &'a AddressKey,
}

/// A new link as its creator asks for it; `version`, `formats` and `columns` are for dataset
/// links only.
pub struct NewLink<'a> {
    /// `view` or `download`.
    pub level: &'a str,
    /// Seconds from now until the link expires; not with `expires_at`.
    pub expires_in: Option<i64>,
    /// When the link expires (RFC 3339).
    pub expires_at: Option<&'a str>,
    pub max_downloads: Option<i64>,
    pub password: Option<&'a str>,
    pub self_destruct: bool,
    pub version: Option<i32>,
    pub formats: Option<&'a [String]>,
    pub columns: Option<&'a [String]>,
    /// A name for the owner's list; the item's name when absent.
    pub name: Option<&'a str>,
}

/// A link just made, with the two secrets shown this once.
pub struct Created {
    pub link: ShareLink,
    /// The link's address is `/s/{slug}`.
    pub slug: String,
    /// A Biscuit token with the link's rights, for scripts.
    pub token: String,
}

/// The hash of a link's password, once it is long enough.
pub(super) fn hash_password(text: &str) -> Result<String, LinkError> {
    if text.chars().count() < MIN_PASSWORD_CHARS {
        return Err(LinkError::Invalid(format!(
            "a link password needs at least {MIN_PASSWORD_CHARS} characters"
        )));
    }
    password::hash(text).map_err(LinkError::Hashing)
}

/// The checks every new link passes, whatever it shares.
struct Terms {
    level: Operation,
    expires_at: Option<i64>,
    max_downloads: Option<i64>,
    password_hash: Option<String>,
}

impl Terms {
    fn check(new: &NewLink, now: i64) -> Result<Terms, LinkError> {
        let level = Operation::parse(new.level).ok_or_else(|| {
            LinkError::Invalid(format!(
                "level must be view or download (got '{}')",
                new.level
            ))
        })?;
        let expires_at = resolve_expiry(new.expires_in, new.expires_at, now)?;
        if new.max_downloads.is_some_and(|n| n < 1) {
            return Err(LinkError::Invalid(
                "max_downloads must be at least 1".to_owned(),
            ));
        }
        if new.max_downloads.is_some() && level == Operation::View {
            return Err(LinkError::Invalid(
                "a view link has no downloads to limit; use level download".to_owned(),
            ));
        }
        if new.self_destruct && new.max_downloads.is_none() && expires_at.is_none() {
            return Err(LinkError::Invalid(
                "self_destruct needs max_downloads or an expiry to know when to destroy the link"
                    .to_owned(),
            ));
        }
        let password_hash = new.password.map(hash_password).transpose()?;
        Ok(Terms {
            level,
            expires_at,
            max_downloads: new.max_downloads,
            password_hash,
        })
    }

    /// A new link with these terms that shares nothing yet; the caller names the item and the
    /// level the creator must keep on its dataset (`needs`).
    fn into_link(
        self,
        owner_id: &str,
        name: String,
        self_destruct: bool,
        needs: Level,
        now: i64,
    ) -> ShareLink {
        ShareLink {
            id: new_id(),
            owner_id: owner_id.to_owned(),
            dataset_id: None,
            export_job_id: None,
            slug_hash: String::new(),
            name,
            level: self.level.as_str().to_owned(),
            version: None,
            allowed_formats: None,
            allowed_columns: None,
            expires_at: self.expires_at,
            max_downloads: self.max_downloads,
            downloads_taken: 0,
            downloads_completed: 0,
            password_hash: self.password_hash,
            password_epoch: 0,
            self_destruct,
            created_at: now,
            revoked_at: None,
            destroyed_at: None,
            last_access_at: None,
            needs_level: needs.as_str().to_owned(),
            sealed_address: None,
        }
    }
}

/// A link to the dataset, for one of its admins (making a dataset link needs admin; so does
/// keeping it working). `installed` are the export formats that can be named.
pub fn dataset_link(
    conn: &mut AnyConnection,
    keys: &LinkKeys,
    caller: &Caller,
    dataset: &Dataset,
    installed: &[String],
    new: &NewLink,
    now: i64,
) -> Result<Created, LinkError> {
    let terms = Terms::check(new, now)?;
    let number = new.version.unwrap_or(dataset.latest_version);
    let version = DatasetVersion::find(conn, &dataset.id, number)
        .map_err(|_| LinkError::Invalid(format!("this dataset has no version {number}")))?;
    let version =
        crate::datasets::served(version).map_err(|w| LinkError::Invalid(w.to_string()))?;
    if let Some(formats) = new.formats {
        if formats.is_empty() {
            return Err(LinkError::Invalid(
                "formats, when given, must name at least one".to_owned(),
            ));
        }
        if let Some(unknown) = formats.iter().find(|f| !installed.contains(f)) {
            return Err(LinkError::Invalid(format!(
                "there is no export format '{unknown}'; installed: {}",
                installed.join(", ")
            )));
        }
    }
    if let Some(columns) = new.columns {
        let known: Vec<String> = crate::ingest::stored_columns(&version.schema_json)
            .into_iter()
            .map(|c| c.name)
            .collect();
        if columns.is_empty() {
            return Err(LinkError::Invalid(
                "columns, when given, must name at least one".to_owned(),
            ));
        }
        if let Some(unknown) = columns.iter().find(|c| !known.contains(c)) {
            return Err(LinkError::Invalid(format!(
                "version {number} has no column '{unknown}'"
            )));
        }
    }
    let level = terms.level;
    let name = link_name(new.name, &dataset.name, &terms, now)?;
    let link = ShareLink {
        dataset_id: Some(dataset.id.clone()),
        version: new.version,
        allowed_formats: new.formats.map(|f| serde_json::json!(f).to_string()),
        allowed_columns: new.columns.map(|c| serde_json::json!(c).to_string()),
        ..terms.into_link(&caller.user.id, name, new.self_destruct, Level::Admin, now)
    };
    store(conn, keys, caller, link, level)
}

/// The link's name: the one given (trimmed, 1 to 200 characters), else one that tells it from
/// the item's other links in the owner's list: the item, what the link lets people do and its
/// terms, and when it was made ("Lake temperatures: download, 2 downloads, password, until
/// 2026-12-10; made 2026-12-07 18:44 UTC").
fn link_name(
    given: Option<&str>,
    item: &str,
    terms: &Terms,
    now: i64,
) -> Result<String, LinkError> {
    if let Some(given) = given {
        return crate::human::required_text("name", given, 200).map_err(LinkError::Invalid);
    }
    let mut parts = vec![terms.level.as_str().to_owned()];
    if let Some(max) = terms.max_downloads {
        parts.push(format!("{max} download{}", if max == 1 { "" } else { "s" }));
    }
    if terms.password_hash.is_some() {
        parts.push("password".to_owned());
    }
    if let Some(until) = terms.expires_at {
        parts.push(format!("until {}", day_of(until)));
    }
    let made = crate::time::to_rfc3339(now);
    let made = format!(
        "{} {} UTC",
        made.get(..10).unwrap_or_default(),
        made.get(11..16).unwrap_or_default()
    );
    let name = format!("{item}: {}; made {made}", parts.join(", "));
    Ok(name.chars().take(200).collect())
}

/// The day of a stored time, `2026-12-10`.
fn day_of(millis: i64) -> String {
    crate::time::to_rfc3339(millis)
        .get(..10)
        .unwrap_or_default()
        .to_owned()
}

/// An export's file to share: the job that made it, its dataset, and the level that let the
/// caller share it, which the link keeps needing.
pub struct ExportFile<'a> {
    pub job: &'a ExportJob,
    pub dataset: &'a Dataset,
    pub needs: Level,
}

/// A download link to a finished export's file.
pub fn export_link(
    conn: &mut AnyConnection,
    keys: &LinkKeys,
    caller: &Caller,
    file: ExportFile,
    new: &NewLink,
    now: i64,
) -> Result<Created, LinkError> {
    let ExportFile {
        job,
        dataset,
        needs,
    } = file;
    if job.status != JobStatus::Done {
        return Err(LinkError::ExportNotDone(job.status));
    }
    // The file holds its version's data: a withdrawn version's is not shared.
    crate::datasets::served(DatasetVersion::find(conn, &dataset.id, job.version)?)
        .map_err(|w| LinkError::Invalid(w.to_string()))?;
    if new.level != "download" {
        return Err(LinkError::Invalid(
            "an export's file can only be shared for download (level download)".to_owned(),
        ));
    }
    if new.formats.is_some() || new.columns.is_some() || new.version.is_some() {
        return Err(LinkError::Invalid(
            "formats, columns and version apply to dataset links; an export's file is fixed"
                .to_owned(),
        ));
    }
    let terms = Terms::check(new, now)?;
    let level = terms.level;
    let item = job.file_name.clone().unwrap_or_else(|| "export".into());
    let name = link_name(new.name, &item, &terms, now)?;
    let link = ShareLink {
        dataset_id: Some(dataset.id.clone()),
        export_job_id: Some(job.id.clone()),
        version: Some(job.version),
        ..terms.into_link(&caller.user.id, name, new.self_destruct, needs, now)
    };
    store(conn, keys, caller, link, level)
}

/// Gives the link its slug and token, and stores and audits it in one transaction.
fn store(
    conn: &mut AnyConnection,
    keys: &LinkKeys,
    caller: &Caller,
    mut link: ShareLink,
    level: Operation,
) -> Result<Created, LinkError> {
    let slug = super::new_slug();
    link.slug_hash = super::slug_hash(&slug);
    link.sealed_address = Some(keys.addresses.seal(&link.id, &slug)?);
    let token = token::mint(keys.tokens, &link.id, level).map_err(LinkError::Minting)?;
    write_transaction(conn, |conn| {
        ShareLink::create(conn, &link)?;
        let mut event = Event::new(EventKind::LinkCreated, Actor::user(&caller.user.id))
            .link(&link.id)
            .payload(serde_json::json!({
                "name": link.name,
                "level": link.level,
                "export": link.export_job_id,
                "expires_at": link.expires_at,
                "max_downloads": link.max_downloads,
            }));
        if let Some(dataset) = &link.dataset_id {
            event = event.dataset(dataset);
        }
        activity::record(conn, link.created_at, event)?;
        audit::record(
            conn,
            link.created_at,
            AuditEvent::new(
                audit::actor_user(&caller.user.id),
                "link.create",
                format!("link:{}", link.id),
            )
            .detail(serde_json::json!({
                "dataset": link.dataset_id,
                "export": link.export_job_id,
                "level": link.level,
                "expires_at": link.expires_at.map(to_rfc3339),
                "max_downloads": link.max_downloads,
                "password": link.password_hash.is_some(),
                "self_destruct": link.self_destruct,
            }))
            .address(caller.address.clone()),
        )?;
        Ok::<_, LinkError>(())
    })?;
    Ok(Created { link, slug, token })
}
