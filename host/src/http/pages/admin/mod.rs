//! Pages for site admins: users, groups, access policies, plugins, the audit log and the
//! tracking dashboard (activity), each with the admin navigation
//! (`components/admin_nav.html`). The pages read through the models; their scripts change
//! things through the admin API, so a page never offers more than the API.
//! The offset query the paged lists share lives here; the pager itself is every page's
//! (`super::pager`).

mod activity;
mod audit;
mod groups;
mod plugins;
mod policies;
mod users;

pub use activity::admin_activity_page;
pub use audit::admin_audit_page;
pub use groups::admin_groups_page;
pub use plugins::admin_plugins_page;
pub use policies::admin_policies_page;
pub use users::admin_users_page;

use serde::Deserialize;

use super::pager::{offset_of, pager, query_string};

#[derive(Debug, Deserialize)]
pub struct OffsetQuery {
    offset: Option<String>,
}
