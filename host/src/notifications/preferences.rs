//! A person's choices: per kind, whether the app shows it and how often each of their channels
//! carries it; their channels (a notifier plugin and its settings); the datasets they follow or
//! mute; and unsubscribing from a kind through a message's link.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use utoipa::ToSchema;

use super::kinds::APP;
use super::{Cadence, NotificationError, NotificationKind};
use crate::db::notifications::{self as rows, ChannelRow};
use crate::db::{AnyConnection, new_id, write_transaction};

/// Everything a person chose, with the defaults filled in.
#[derive(Debug, Clone)]
pub struct Choices {
    stored: HashMap<(String, String), Cadence>,
    pub channels: Vec<ChannelRow>,
}

impl Choices {
    pub fn load(conn: &mut AnyConnection, user_id: &str) -> Result<Choices, NotificationError> {
        let stored = rows::preferences(conn, user_id)?
            .into_iter()
            .filter_map(|(kind, channel, cadence)| {
                Cadence::parse(&cadence).map(|c| ((kind, channel), c))
            })
            .collect();
        Ok(Choices {
            stored,
            channels: ChannelRow::of_user(conn, user_id)?,
        })
    }

    /// Whether the app shows `kind`.
    pub fn in_app(&self, kind: NotificationKind) -> bool {
        match self.stored.get(&(kind.as_str().to_owned(), APP.to_owned())) {
            Some(cadence) => *cadence != Cadence::Off,
            None => kind.in_app_by_default(),
        }
    }

    /// How often the channel `channel_id` carries `kind`.
    pub fn cadence(&self, kind: NotificationKind, channel_id: &str) -> Cadence {
        self.stored
            .get(&(kind.as_str().to_owned(), channel_id.to_owned()))
            .copied()
            .unwrap_or_else(|| kind.channel_default())
    }
}

/// One kind in a person's preferences.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct KindChoice {
    pub kind: NotificationKind,
    pub description: String,
    /// Whether the bell and the notifications page show it.
    pub app: bool,
    /// How often each of the person's channels carries it, by channel id.
    pub channels: BTreeMap<String, Cadence>,
}

/// A channel as its owner sees it (its settings included: they are the owner's own).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Channel {
    pub id: String,
    /// The notifier plugin's id (`email`, `webhook`, `chat`...).
    pub plugin: String,
    pub label: String,
    pub settings: serde_json::Value,
    pub created_at: i64,
}

impl From<ChannelRow> for Channel {
    fn from(row: ChannelRow) -> Self {
        Channel {
            id: row.id,
            plugin: row.plugin,
            label: row.label,
            settings: serde_json::from_str(&row.settings).unwrap_or(serde_json::Value::Null),
            created_at: row.created_at,
        }
    }
}

/// A person's preferences: every kind with their choice or its default, and their channels.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(examples(json!({
        "kinds": [{"kind": "share_received", "description": "A dataset is shared with you, your group or your team",
                   "app": true, "channels": {"01932f81-1a2b-7c3d-8e4f-5a6b7c8d9e0f": "immediate"}},
                  {"kind": "link_downloaded", "description": "Your link is downloaded",
                   "app": false, "channels": {"01932f81-1a2b-7c3d-8e4f-5a6b7c8d9e0f": "daily"}}],
        "channels": [{"id": "01932f81-1a2b-7c3d-8e4f-5a6b7c8d9e0f", "plugin": "email", "label": "Work mail",
                      "settings": {"address": "ada@example.org"}, "created_at": 1796774400000_i64}]
    })))]
pub struct Preferences {
    pub kinds: Vec<KindChoice>,
    pub channels: Vec<Channel>,
}

pub fn of_user(conn: &mut AnyConnection, user_id: &str) -> Result<Preferences, NotificationError> {
    let choices = Choices::load(conn, user_id)?;
    let kinds = NotificationKind::ALL
        .into_iter()
        .map(|kind| KindChoice {
            kind,
            description: kind.describe().to_owned(),
            app: choices.in_app(kind),
            channels: choices
                .channels
                .iter()
                .map(|c| (c.id.clone(), choices.cadence(kind, &c.id)))
                .collect(),
        })
        .collect();
    Ok(Preferences {
        kinds,
        channels: choices.channels.into_iter().map(Channel::from).collect(),
    })
}

/// Sets how `channel` (`app` or one of the person's channels) carries `kind`. The app shows a
/// kind or not (`immediate` or `off`); a channel may also gather digests.
pub fn set(
    conn: &mut AnyConnection,
    user_id: &str,
    kind: NotificationKind,
    channel: &str,
    cadence: Cadence,
) -> Result<(), NotificationError> {
    if channel == APP {
        if matches!(cadence, Cadence::Hourly | Cadence::Daily) {
            return Err(NotificationError::Invalid(
                "the app shows a notification at once or not at all: use `immediate` or `off`"
                    .to_owned(),
            ));
        }
    } else {
        match ChannelRow::find(conn, channel) {
            Ok(found) if found.user_id == user_id => {}
            Ok(_) | Err(crate::db::DbError::NotFound) => {
                return Err(NotificationError::Invalid(format!(
                    "you have no channel '{channel}': use `app` or the id of one of your channels"
                )));
            }
            Err(err) => return Err(err.into()),
        }
    }
    Ok(rows::set_preference(
        conn,
        user_id,
        kind.as_str(),
        channel,
        cadence.as_str(),
    )?)
}

/// Adds a channel; `settings` were checked against the plugin's schema by the caller.
pub fn add_channel(
    conn: &mut AnyConnection,
    user_id: &str,
    plugin: &str,
    label: &str,
    settings: &serde_json::Value,
    now: i64,
) -> Result<Channel, NotificationError> {
    let label = label.trim();
    if label.is_empty() || label.chars().count() > 80 {
        return Err(NotificationError::Invalid(
            "label must be 1 to 80 characters".to_owned(),
        ));
    }
    let row = ChannelRow {
        id: new_id(),
        user_id: user_id.to_owned(),
        plugin: plugin.to_owned(),
        label: label.to_owned(),
        settings: settings.to_string(),
        created_at: now,
    };
    ChannelRow::insert(conn, &row)?;
    Ok(row.into())
}

pub fn remove_channel(
    conn: &mut AnyConnection,
    user_id: &str,
    id: &str,
) -> Result<(), NotificationError> {
    let removed = write_transaction(conn, |conn| ChannelRow::delete(conn, user_id, id))?;
    if removed {
        Ok(())
    } else {
        Err(NotificationError::NotFound)
    }
}

/// How a person watches a dataset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Watch {
    /// Told of its new versions.
    Follow,
    /// Told nothing about it (its links, exports, versions), shares with you aside.
    Mute,
    /// The defaults.
    None,
}

impl Watch {
    fn stored(self) -> Option<&'static str> {
        match self {
            Watch::Follow => Some("follow"),
            Watch::Mute => Some("mute"),
            Watch::None => None,
        }
    }
}

pub fn watch(
    conn: &mut AnyConnection,
    user_id: &str,
    dataset_id: &str,
) -> Result<Watch, NotificationError> {
    Ok(match rows::watch(conn, user_id, dataset_id)?.as_deref() {
        Some("follow") => Watch::Follow,
        Some("mute") => Watch::Mute,
        _ => Watch::None,
    })
}

pub fn set_watch(
    conn: &mut AnyConnection,
    user_id: &str,
    dataset_id: &str,
    watch: Watch,
) -> Result<(), NotificationError> {
    Ok(write_transaction(conn, |conn| {
        rows::set_watch(conn, user_id, dataset_id, watch.stored())
    })?)
}

/// What an unsubscribe link turned off.
#[derive(Debug, Clone)]
pub struct Unsubscribed {
    pub kind: NotificationKind,
    pub channel_label: String,
}

/// Follows an unsubscribe link: the kind is no longer carried by that channel. Idempotent; an
/// unknown token is [`NotificationError::NotFound`].
pub fn unsubscribe(
    conn: &mut AnyConnection,
    token: &str,
) -> Result<Unsubscribed, NotificationError> {
    let hash = crate::auth::secrets::hash(token);
    let Some((user, kind, channel)) = rows::unsubscribe_target(conn, &hash)? else {
        return Err(NotificationError::NotFound);
    };
    let kind = NotificationKind::parse(&kind).ok_or(NotificationError::NotFound)?;
    let label = match ChannelRow::find(conn, &channel) {
        Ok(row) => row.label,
        Err(crate::db::DbError::NotFound) => return Err(NotificationError::NotFound),
        Err(err) => return Err(err.into()),
    };
    rows::set_preference(conn, &user, kind.as_str(), &channel, Cadence::Off.as_str())?;
    Ok(Unsubscribed {
        kind,
        channel_label: label,
    })
}

/// A fresh unsubscribe token for a message (128 random bits), its hash stored.
pub fn unsubscribe_token(
    conn: &mut AnyConnection,
    user_id: &str,
    kind: NotificationKind,
    channel: &str,
    now: i64,
) -> Result<String, NotificationError> {
    let token = crate::auth::secrets::generate("tsu_");
    rows::insert_unsubscribe(
        conn,
        &crate::auth::secrets::hash(&token),
        user_id,
        kind.as_str(),
        channel,
        now,
    )?;
    Ok(token)
}
