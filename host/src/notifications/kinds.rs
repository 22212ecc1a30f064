//! What people can be told, and how often by default on each channel.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A kind of notification: what a person chooses to hear about.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    /// A dataset was shared with you, your group or your team.
    ShareReceived,
    /// A dataset you follow has a new version.
    DatasetNewVersion,
    /// Your export finished.
    ExportFinished,
    /// Your export failed.
    ExportFailed,
    /// Your link was opened.
    LinkViewed,
    /// Your link was downloaded.
    LinkDownloaded,
    /// Someone gave a wrong password to your link three times in a day.
    LinkPasswordFailures,
    /// Your link expires within a day.
    LinkExpiring,
    /// Your link has no downloads left.
    LinkUsedUp,
    /// Your self-destructing link destroyed itself.
    LinkSelfDestructed,
}

impl NotificationKind {
    pub const ALL: [NotificationKind; 10] = [
        NotificationKind::ShareReceived,
        NotificationKind::DatasetNewVersion,
        NotificationKind::ExportFinished,
        NotificationKind::ExportFailed,
        NotificationKind::LinkViewed,
        NotificationKind::LinkDownloaded,
        NotificationKind::LinkPasswordFailures,
        NotificationKind::LinkExpiring,
        NotificationKind::LinkUsedUp,
        NotificationKind::LinkSelfDestructed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            NotificationKind::ShareReceived => "share_received",
            NotificationKind::DatasetNewVersion => "dataset_new_version",
            NotificationKind::ExportFinished => "export_finished",
            NotificationKind::ExportFailed => "export_failed",
            NotificationKind::LinkViewed => "link_viewed",
            NotificationKind::LinkDownloaded => "link_downloaded",
            NotificationKind::LinkPasswordFailures => "link_password_failures",
            NotificationKind::LinkExpiring => "link_expiring",
            NotificationKind::LinkUsedUp => "link_used_up",
            NotificationKind::LinkSelfDestructed => "link_self_destructed",
        }
    }

    pub fn parse(text: &str) -> Option<NotificationKind> {
        NotificationKind::ALL
            .into_iter()
            .find(|k| k.as_str() == text)
    }

    /// One line saying when it comes, for the preferences page.
    pub fn describe(self) -> &'static str {
        match self {
            NotificationKind::ShareReceived => {
                "A dataset is shared with you, your group or your team"
            }
            NotificationKind::DatasetNewVersion => "A dataset you follow has a new version",
            NotificationKind::ExportFinished => "Your export is ready",
            NotificationKind::ExportFailed => "Your export failed",
            NotificationKind::LinkViewed => "Your link is opened",
            NotificationKind::LinkDownloaded => "Your link is downloaded",
            NotificationKind::LinkPasswordFailures => {
                "Someone gives a wrong password to your link three times in a day"
            }
            NotificationKind::LinkExpiring => "Your link expires within a day",
            NotificationKind::LinkUsedUp => "Your link has no downloads left",
            NotificationKind::LinkSelfDestructed => "Your self-destructing link destroyed itself",
        }
    }

    /// Shown in the app unless the person turns it off: everything but each view and
    /// download of a link, which busy links would drown the bell in (opt-in).
    pub fn in_app_by_default(self) -> bool {
        !matches!(
            self,
            NotificationKind::LinkViewed | NotificationKind::LinkDownloaded
        )
    }

    /// How often a channel (email, chat...) carries it unless the person chose otherwise:
    /// what needs acting on at once; the rest only when asked for.
    pub fn channel_default(self) -> Cadence {
        match self {
            NotificationKind::ShareReceived
            | NotificationKind::ExportFailed
            | NotificationKind::LinkPasswordFailures
            | NotificationKind::LinkExpiring
            | NotificationKind::DatasetNewVersion => Cadence::Immediate,
            _ => Cadence::Off,
        }
    }
}

/// How often a channel carries a kind: not at all, each at once, or gathered in a digest
/// every hour or every day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Cadence {
    Off,
    Immediate,
    Hourly,
    Daily,
}

impl Cadence {
    pub fn as_str(self) -> &'static str {
        match self {
            Cadence::Off => "off",
            Cadence::Immediate => "immediate",
            Cadence::Hourly => "hourly",
            Cadence::Daily => "daily",
        }
    }

    pub fn parse(text: &str) -> Option<Cadence> {
        [
            Cadence::Off,
            Cadence::Immediate,
            Cadence::Hourly,
            Cadence::Daily,
        ]
        .into_iter()
        .find(|c| c.as_str() == text)
    }

    /// When a digest begun at `now` goes out: the next full hour or the next midnight (UTC).
    pub fn digest_due(self, now: i64) -> i64 {
        let period = match self {
            Cadence::Hourly => 3_600_000,
            Cadence::Daily => 86_400_000,
            Cadence::Off | Cadence::Immediate => return now,
        };
        (now.div_euclid(period) + 1) * period
    }
}

/// The in-app channel's name in preferences.
pub const APP: &str = "app";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_read_back_and_digests_wait_for_the_next_boundary() {
        for kind in NotificationKind::ALL {
            assert_eq!(NotificationKind::parse(kind.as_str()), Some(kind));
            assert_eq!(serde_json::to_value(kind).unwrap(), kind.as_str());
        }
        let now = 86_400_000 * 3 + 3_600_000 * 5 + 17;
        assert_eq!(
            Cadence::Hourly.digest_due(now),
            86_400_000 * 3 + 3_600_000 * 6
        );
        assert_eq!(Cadence::Daily.digest_due(now), 86_400_000 * 4);
        assert_eq!(Cadence::Immediate.digest_due(now), now);
    }
}
