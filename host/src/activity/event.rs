//! What an event is, and writing one.

use serde::Serialize;
use utoipa::ToSchema;

use crate::db::events::EventRow;
use crate::db::{AnyConnection, DbResult, new_id};

/// What happened. The dotted names are the stream's public vocabulary: notifications,
/// webhooks and the API name events by them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, ToSchema)]
pub enum EventKind {
    #[serde(rename = "dataset.created")]
    DatasetCreated,
    #[serde(rename = "dataset.version_added")]
    DatasetVersionAdded,
    #[serde(rename = "dataset.deleted")]
    DatasetDeleted,
    #[serde(rename = "dataset.restored")]
    DatasetRestored,
    #[serde(rename = "share.granted")]
    ShareGranted,
    #[serde(rename = "share.changed")]
    ShareChanged,
    #[serde(rename = "share.revoked")]
    ShareRevoked,
    #[serde(rename = "link.created")]
    LinkCreated,
    #[serde(rename = "link.viewed")]
    LinkViewed,
    #[serde(rename = "link.downloaded")]
    LinkDownloaded,
    #[serde(rename = "link.refused")]
    LinkRefused,
    #[serde(rename = "link.expiring")]
    LinkExpiring,
    #[serde(rename = "link.expired")]
    LinkExpired,
    #[serde(rename = "link.used_up")]
    LinkUsedUp,
    #[serde(rename = "link.self_destructed")]
    LinkSelfDestructed,
    #[serde(rename = "link.revoked")]
    LinkRevoked,
    #[serde(rename = "export.started")]
    ExportStarted,
    #[serde(rename = "export.done")]
    ExportDone,
    #[serde(rename = "export.failed")]
    ExportFailed,
    #[serde(rename = "policy.changed")]
    PolicyChanged,
    #[serde(rename = "user.signed_in")]
    SignedIn,
}

impl EventKind {
    pub const ALL: [EventKind; 21] = [
        EventKind::DatasetCreated,
        EventKind::DatasetVersionAdded,
        EventKind::DatasetDeleted,
        EventKind::DatasetRestored,
        EventKind::ShareGranted,
        EventKind::ShareChanged,
        EventKind::ShareRevoked,
        EventKind::LinkCreated,
        EventKind::LinkViewed,
        EventKind::LinkDownloaded,
        EventKind::LinkRefused,
        EventKind::LinkExpiring,
        EventKind::LinkExpired,
        EventKind::LinkUsedUp,
        EventKind::LinkSelfDestructed,
        EventKind::LinkRevoked,
        EventKind::ExportStarted,
        EventKind::ExportDone,
        EventKind::ExportFailed,
        EventKind::PolicyChanged,
        EventKind::SignedIn,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::DatasetCreated => "dataset.created",
            EventKind::DatasetVersionAdded => "dataset.version_added",
            EventKind::DatasetDeleted => "dataset.deleted",
            EventKind::DatasetRestored => "dataset.restored",
            EventKind::ShareGranted => "share.granted",
            EventKind::ShareChanged => "share.changed",
            EventKind::ShareRevoked => "share.revoked",
            EventKind::LinkCreated => "link.created",
            EventKind::LinkViewed => "link.viewed",
            EventKind::LinkDownloaded => "link.downloaded",
            EventKind::LinkRefused => "link.refused",
            EventKind::LinkExpiring => "link.expiring",
            EventKind::LinkExpired => "link.expired",
            EventKind::LinkUsedUp => "link.used_up",
            EventKind::LinkSelfDestructed => "link.self_destructed",
            EventKind::LinkRevoked => "link.revoked",
            EventKind::ExportStarted => "export.started",
            EventKind::ExportDone => "export.done",
            EventKind::ExportFailed => "export.failed",
            EventKind::PolicyChanged => "policy.changed",
            EventKind::SignedIn => "user.signed_in",
        }
    }

    pub fn parse(text: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

impl std::fmt::Display for EventKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who acted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    User(String),
    Link(String),
    Token(String),
    Anonymous,
    System,
}

impl Actor {
    pub fn user(id: &str) -> Actor {
        Actor::User(id.to_owned())
    }

    /// `user:<id>`, `link:<id>`, `token:<id>`, `anonymous` or `system`, as the audit log
    /// names actors.
    pub fn encode(&self) -> String {
        match self {
            Actor::User(id) => format!("user:{id}"),
            Actor::Link(id) => format!("link:{id}"),
            Actor::Token(id) => format!("token:{id}"),
            Actor::Anonymous => "anonymous".to_owned(),
            Actor::System => "system".to_owned(),
        }
    }

    /// The user behind the actor, if one is.
    pub fn user_id(&self) -> Option<&str> {
        match self {
            Actor::User(id) => Some(id),
            _ => None,
        }
    }
}

/// One event to record.
#[derive(Debug, Clone)]
pub struct Event {
    pub kind: EventKind,
    pub actor: Actor,
    pub dataset: Option<String>,
    pub link: Option<String>,
    /// Whom the event concerns besides the resource's owner: `user:<id>` or `group:<id>` for a
    /// share, an export job's id.
    pub subject: Option<String>,
    /// A visitor's daily keyed hash ([`super::visitor`]), never an address.
    pub visitor: Option<String>,
    pub payload: serde_json::Value,
}

impl Event {
    pub fn new(kind: EventKind, actor: Actor) -> Self {
        Self {
            kind,
            actor,
            dataset: None,
            link: None,
            subject: None,
            visitor: None,
            payload: serde_json::Value::Object(Default::default()),
        }
    }

    pub fn dataset(mut self, id: &str) -> Self {
        self.dataset = Some(id.to_owned());
        self
    }

    pub fn link(mut self, id: &str) -> Self {
        self.link = Some(id.to_owned());
        self
    }

    pub fn subject(mut self, subject: impl Into<String>) -> Self {
        self.subject = Some(subject.into());
        self
    }

    pub fn visitor(mut self, visitor: Option<String>) -> Self {
        self.visitor = visitor;
        self
    }

    pub fn payload(mut self, payload: serde_json::Value) -> Self {
        self.payload = payload;
        self
    }
}

/// Writes `event`, which happened at `at`, and queues it for its readers. Call it in the
/// transaction of the action, so that neither exists without the other.
pub fn record(conn: &mut AnyConnection, at: i64, event: Event) -> DbResult<String> {
    let id = new_id();
    EventRow::append(
        conn,
        &EventRow {
            id: id.clone(),
            at,
            kind: event.kind.as_str().to_owned(),
            actor: event.actor.encode(),
            dataset_id: event.dataset,
            link_id: event.link,
            subject: event.subject,
            visitor: event.visitor,
            payload: event.payload.to_string(),
        },
    )?;
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_reads_back_from_its_name() {
        for kind in EventKind::ALL {
            assert_eq!(EventKind::parse(kind.as_str()), Some(kind));
            let json = serde_json::to_value(kind).unwrap();
            assert_eq!(json, kind.as_str());
        }
        assert_eq!(EventKind::parse("dataset.eaten"), None);
    }
}
