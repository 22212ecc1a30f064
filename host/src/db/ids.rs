//! Ids that say what they identify. Every row's id is text (the schema and the row structs keep
//! their `String`s), so a query taking two ids of different kinds, a team's and a user's, would
//! take them swapped as well, and a swap matches no row or the wrong one without a word. The
//! queries that take two kinds take these instead, so that a swap does not compile:
//! `Team::role_of(conn, team.team_id(), caller.user.user_id())`.
//!
//! An id borrows its text (`UserId<'a>` is a `&'a str` with a name), so making one copies
//! nothing; it says what an id is where the text is known to be one (a row's field, a path
//! segment the route names). `std::path::Path`'s unsized form (`struct UserId(str)`, made by a
//! pointer cast) would need `unsafe`, which this workspace forbids; a copyable wrapper around
//! the reference gives the same guarantee without it.

use std::fmt;

use super::datasets::Dataset;
use super::groups::UserGroup;
use super::share_links::ShareLink;
use super::teams::Team;
use super::users::User;

macro_rules! id_kinds {
    ($($(#[$doc:meta])* $kind:ident;)*) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub struct $kind<'a>(&'a str);

        impl<'a> $kind<'a> {
            /// `id`, known to be an id of this kind.
            pub fn new(id: &'a str) -> Self {
                Self(id)
            }

            pub fn as_str(self) -> &'a str {
                self.0
            }
        }

        impl fmt::Display for $kind<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.0)
            }
        }
    )*};
}

id_kinds! {
    /// An account's id (`users.id`).
    UserId;
    /// A team's id (`teams.id`).
    TeamId;
    /// A user group's id (`user_groups.id`).
    GroupId;
    /// A dataset's id (`datasets.id`).
    DatasetId;
    /// A share's id (`shares.id`).
    ShareId;
    /// A personal API token's id (`api_tokens.id`), not its secret.
    TokenId;
    /// A share link's id (`share_links.id`), not its slug.
    LinkId;
    /// An export job's id (`export_jobs.id`).
    ExportJobId;
}

impl User {
    pub fn user_id(&self) -> UserId<'_> {
        UserId::new(&self.id)
    }
}

impl Team {
    pub fn team_id(&self) -> TeamId<'_> {
        TeamId::new(&self.id)
    }
}

impl UserGroup {
    pub fn group_id(&self) -> GroupId<'_> {
        GroupId::new(&self.id)
    }
}

impl Dataset {
    pub fn dataset_id(&self) -> DatasetId<'_> {
        DatasetId::new(&self.id)
    }
}

impl ShareLink {
    pub fn link_id(&self) -> LinkId<'_> {
        LinkId::new(&self.id)
    }
}
