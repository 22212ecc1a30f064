//! The people picker: whom a signed-in user may pick to share a dataset with, found as they
//! type a part of a name or an email address (`GET /api/v1/people?q=`). It answers only the
//! people around the caller (their teams and groups), so it tells no one who else has an
//! account; see [`crate::sharing::people_around`].

pub mod search;

use serde::Serialize;
use utoipa::ToSchema;

use crate::sharing::Candidate;

/// One suggestion: a person, a group or a team, as a share names them.
#[derive(Debug, Serialize, ToSchema)]
#[schema(examples(json!({
    "kind": "user",
    "id": "01932f6e-4c1a-7d2b-9a51-3f0e8c2d7b10",
    "name": "Ada Lovelace",
    "email": "ada@example.org"
})))]
pub struct PersonView {
    /// `user`, `group` or `team`: the field a share names it in.
    #[schema(pattern = "^(user|group|team)$")]
    pub kind: &'static str,
    pub id: String,
    pub name: String,
    /// A person's address (lower case); absent for groups and teams.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

impl From<Candidate> for PersonView {
    fn from(candidate: Candidate) -> Self {
        match candidate {
            Candidate::User(user) => Self {
                kind: "user",
                id: user.id,
                name: user.name,
                email: Some(user.email),
            },
            Candidate::Group(group) => Self {
                kind: "group",
                id: group.id,
                name: group.name,
                email: None,
            },
            Candidate::Team(team) => Self {
                kind: "team",
                id: team.id,
                name: team.name,
                email: None,
            },
        }
    }
}
