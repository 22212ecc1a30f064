//! The audit chain: every grant, refusal, share, revocation, policy change, sign-in and admin
//! action, appended in the transaction of the action it records.
//!
//! Each entry's hash covers its own fields and the previous entry's hash, and the head row
//! holds the newest sequence number and hash, so `tessera audit verify` finds an entry that was
//! changed, removed from the middle or cut from the end.

use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::db::audit_log::AuditRow;
use crate::db::{AnyConnection, DbResult};

/// Who acted: `user:<id>`, `link:<id>`, `anonymous` or `system`.
pub fn actor_user(user_id: &str) -> String {
    format!("user:{user_id}")
}

/// One thing to record.
#[derive(Debug, Clone)]
pub struct AuditEvent {
    pub actor: String,
    /// Dotted, most general first: `access.dataset`, `share.create`, `policy.add`.
    pub action: &'static str,
    pub target: String,
    /// `ok`, `granted` or `denied`.
    pub outcome: &'static str,
    pub detail: serde_json::Value,
    pub address: Option<String>,
}

impl AuditEvent {
    pub fn new(actor: impl Into<String>, action: &'static str, target: impl Into<String>) -> Self {
        Self {
            actor: actor.into(),
            action,
            target: target.into(),
            outcome: "ok",
            detail: serde_json::Value::Object(Default::default()),
            address: None,
        }
    }

    pub fn outcome(mut self, outcome: &'static str) -> Self {
        self.outcome = outcome;
        self
    }

    pub fn detail(mut self, detail: serde_json::Value) -> Self {
        self.detail = detail;
        self
    }

    pub fn address(mut self, address: Option<String>) -> Self {
        self.address = address;
        self
    }
}

/// Appends `event`. Call inside the transaction of the action, so that neither exists
/// without the other.
pub fn record(conn: &mut AnyConnection, at: i64, event: AuditEvent) -> DbResult<i64> {
    // Its own (nested, if need be) transaction: the head update, the row and the new head hash
    // go together or not at all. The first statement writes, so SQLite takes its write lock
    // at once rather than failing a later upgrade.
    crate::db::write_transaction(conn, |conn| append(conn, at, event))
}

/// [`record`] for a caller inside a transaction or savepoint that an error from this call
/// undoes (it returns the error): the entry then needs no savepoint of its own, which saves
/// two statements and the copies of changed pages a savepoint keeps (the writer's hot path,
/// [`crate::db::writer`]). Outside a transaction it is [`record`].
pub fn record_in_callers_transaction(
    conn: &mut AnyConnection,
    at: i64,
    event: AuditEvent,
) -> DbResult<i64> {
    if crate::db::in_transaction(conn)? {
        append(conn, at, event)
    } else {
        record(conn, at, event)
    }
}

fn append(conn: &mut AnyConnection, at: i64, event: AuditEvent) -> DbResult<i64> {
    let (seq, prev_hash) = AuditRow::claim_next(conn)?;
    let mut row = AuditRow {
        seq,
        at,
        actor: event.actor,
        action: event.action.to_owned(),
        target: event.target,
        outcome: event.outcome.to_owned(),
        detail: event.detail.to_string(),
        address: event.address,
        prev_hash,
        hash: String::new(),
    };
    row.hash = entry_hash(&row);
    AuditRow::insert(conn, &row)?;
    Ok(seq)
}

/// Records an action a signed-in caller (an admin, a group manager...) took on `target`.
pub fn caller_action(
    conn: &mut AnyConnection,
    caller: &crate::access::Caller,
    action: &'static str,
    target: String,
    detail: serde_json::Value,
) -> DbResult<i64> {
    record(
        conn,
        crate::time::now_millis(),
        AuditEvent::new(actor_user(&caller.user.id), action, target)
            .detail(detail)
            .address(caller.address.clone()),
    )
}

/// SHA-256 over the previous hash and every field, each length-prefixed so that no two
/// different entries hash the same input.
pub fn entry_hash(row: &AuditRow) -> String {
    let mut hasher = Sha256::new();
    let mut field = |bytes: &[u8]| {
        hasher.update((bytes.len() as u64).to_be_bytes());
        hasher.update(bytes);
    };
    field(row.prev_hash.as_bytes());
    field(&row.seq.to_be_bytes());
    field(&row.at.to_be_bytes());
    field(row.actor.as_bytes());
    field(row.action.as_bytes());
    field(row.target.as_bytes());
    field(row.outcome.as_bytes());
    field(row.detail.as_bytes());
    field(row.address.as_deref().unwrap_or("\u{0}none").as_bytes());
    hex::encode(hasher.finalize())
}

/// The result of walking the whole chain.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChainReport {
    pub entries: i64,
    pub intact: bool,
    /// Each problem found, as a sentence naming the entry.
    pub problems: Vec<String>,
}

/// Walks the chain from the first entry to the head.
pub fn verify(conn: &mut AnyConnection) -> DbResult<ChainReport> {
    let (head_seq, head_hash) = AuditRow::head(conn)?;
    let mut problems = Vec::new();
    let mut expected_seq = 1;
    let mut prev_hash = "0".repeat(64);
    let mut entries = 0;
    loop {
        let page = AuditRow::page_after(conn, expected_seq - 1, 1000)?;
        if page.is_empty() {
            break;
        }
        for row in page {
            entries += 1;
            if row.seq != expected_seq {
                problems.push(format!(
                    "entries {expected_seq} to {} are missing",
                    row.seq - 1
                ));
            }
            if row.prev_hash != prev_hash {
                problems.push(format!(
                    "entry {} does not follow the entry before it (an entry was changed or removed)",
                    row.seq
                ));
            }
            if entry_hash(&row) != row.hash {
                problems.push(format!(
                    "entry {} was changed after it was written",
                    row.seq
                ));
            }
            prev_hash = row.hash.clone();
            expected_seq = row.seq + 1;
        }
    }
    if expected_seq - 1 != head_seq {
        problems.push(format!(
            "the log ends at entry {} but {head_seq} were written (the newest were removed)",
            expected_seq - 1
        ));
    } else if head_seq > 0 && prev_hash != head_hash {
        problems.push(format!("entry {head_seq}, the newest, was changed"));
    }
    Ok(ChainReport {
        entries,
        intact: problems.is_empty(),
        problems,
    })
}
