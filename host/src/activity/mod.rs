//! The event stream: every action that matters, written in the transaction of the action, so
//! that no event is lost and none is written for an action that rolled back.
//!
//! One stream, many readers: the rollups behind the analytics ([`rollup`]), notifications and
//! (later) webhooks all read the events [`record`] writes, through the outbox beside them
//! (`event_outbox`), which the dispatcher ([`crate::dispatch`]) empties batch by batch.
//!
//! - [`event`]: what an event is: its kind, actor, resource and small typed payload.
//! - [`visitor`]: a visitor's address as a keyed hash whose key changes every day, so unique
//!   visitors are counted without keeping addresses.
//! - [`rollup`]: counts per day, kind, dataset, link, team and detail, kept as events arrive;
//!   they outlive the raw events, which [`retention`] removes after `activity_retention_days`.
//! - [`report`]: the numbers people look at, read from the rollups.
//! - [`table`]: a report's series as a table, for the numbers to leave as a file.

pub mod event;
pub mod report;
pub mod retention;
pub mod rollup;
pub mod table;
pub mod visitor;

pub use event::{Actor, Event, EventKind, record};
