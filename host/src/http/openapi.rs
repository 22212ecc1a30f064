//! The OpenAPI 3.1 document, generated from the handlers' annotations, and a small page that
//! renders it at `/api/docs` (self-contained: no assets from elsewhere).

use actix_web::HttpResponse;
use utoipa::OpenApi;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};

use crate::http::api;

#[derive(OpenApi)]
#[openapi(
    info(title = "Tessera API", description = "Export research datasets and share them safely."),
    paths(
        api::ops::health::get_health,
        api::ops::readiness::get_readiness,
        api::ops::metrics::get_metrics,
        api::auth::login::login,
        api::auth::logout::logout,
        api::users::me::get_me,
        api::tokens::create::create_token,
        api::tokens::list::list_tokens,
        api::tokens::revoke::revoke_token,
        api::teams::list::list_teams,
        api::teams::create::create_team,
        api::teams::get::get_team,
        api::teams::update::update_team,
        api::teams::add_member::add_team_member,
        api::teams::remove_member::remove_team_member,
        api::groups::list::list_groups,
        api::groups::create::create_group,
        api::groups::get::get_group,
        api::groups::delete::delete_group,
        api::groups::add_member::add_group_member,
        api::groups::remove_member::remove_group_member,
        api::admin::users::list::list_users,
        api::admin::users::create::create_user,
        api::admin::users::update::update_user,
        api::admin::users::password_reset::create_password_reset,
        api::admin::plugins::list::list_admin_plugins,
        api::admin::plugins::install::install_plugin,
        api::admin::plugins::enable::enable_plugin,
        api::admin::plugins::disable::disable_plugin,
        api::admin::plugins::remove::remove_plugin,
        api::datasets::list::list_datasets,
        api::datasets::upload::create_dataset,
        api::datasets::get::get_dataset,
        api::datasets::update::update_dataset,
        api::datasets::delete::delete_dataset,
        api::datasets::restore::restore_dataset,
        api::trash::list::list_trash,
        api::trash::purge::purge_dataset,
        api::datasets::upload::create_version,
        api::datasets::versions::withdraw_version,
        api::datasets::versions::restore_version,
        api::datasets::versions::pin_links,
        api::datasets::rows::get_rows,
        api::datasets::summary::get_dataset_summary,
        api::datasets::activity::get_dataset_activity,
        api::admin::activity::get_admin_activity,
        api::notifications::list::list_notifications,
        api::notifications::read::mark_notifications_read,
        api::notifications::stream::stream_notifications,
        api::notifications::preferences::get_notification_preferences,
        api::notifications::preferences::set_notification_preference,
        api::notifications::channels::create_notification_channel,
        api::notifications::channels::delete_notification_channel,
        api::notifications::watch::get_dataset_watch,
        api::notifications::watch::set_dataset_watch,
        api::notifications::deliveries::list_deliveries,
        api::notifications::deliveries::retry_delivery,
        api::datasets::export::export_dataset,
        api::plugins::list::list_plugins,
        api::exports::create::create_export,
        api::exports::list::list_exports,
        api::exports::get::get_export,
        api::exports::cancel::cancel_export,
        api::exports::events::export_events,
        api::exports::download::download_export,
        api::shares::create::create_share,
        api::shares::list::list_shares,
        api::shares::update::update_share,
        api::shares::revoke::revoke_share,
        api::shares::shared_with_me::list_shared_with_me,
        api::people::search::search_people,
        api::admin::policies::list::list_policies,
        api::admin::policies::add::add_policy,
        api::admin::policies::remove::remove_policy,
        api::admin::policies::check::check_policy,
        api::admin::policies::dry_run::dry_run_policy,
        api::admin::audit::list::list_audit,
        api::admin::audit::verify::verify_audit,
        api::links::create::create_dataset_link,
        api::links::list::list_dataset_links,
        api::links::create::create_export_link,
        api::links::list::list_links,
        api::links::get::get_link,
        api::links::update::update_link,
        api::links::revoke::revoke_link,
        api::links::address::link_address,
        api::links::access_log::link_access_log,
        api::link::get::get_link_info,
        api::link::rows::list_link_rows,
        api::link::download::download_link,
        api::link::keys::list_token_keys,
    ),
    // Schemas a parameter names (utoipa collects those of bodies and answers by itself), and
    // the export jobs' states, for their views to name.
    components(schemas(
        crate::http::error::ErrorBody,
        crate::http::error::ErrorCode,
        crate::http::views::vocabulary::AuditFormat,
        crate::http::views::vocabulary::JobStatus,
    )),
    modifiers(
        &Security,
        &CommonAnswers,
        &ClosedFlattening,
        &NotBoth,
        &ExactlyOne,
        &ExportLinkBody
    ),
    tags(
        (name = "accounts", description = "Sign-in, the caller's account and API tokens"),
        (name = "teams", description = "Research teams owning datasets"),
        (name = "groups", description = "Groups of users to share with"),
        (name = "datasets", description = "Upload, read and manage datasets"),
        (name = "plugins", description = "Installed export formats"),
        (name = "exports", description = "Queued exports, their progress and files"),
        (name = "sharing", description = "Sharing datasets with people, groups, teams and links"),
        (name = "links", description = "What a share link's token grants (Authorization: Bearer <token>)"),
        (name = "activity", description = "Who used what: views, downloads, exports and refusals over time"),
        (name = "notifications", description = "What each person is told, in the app and through their channels"),
        (name = "admin", description = "Site administration"),
        (name = "operations", description = "Health, readiness and metrics"),
    )
)]
pub struct ApiDoc;

struct Security;

impl utoipa::Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "A personal API token (`POST /api/v1/tokens`). Each operation names the \
                         scope it needs: none for reading (any token reads), `write` for a \
                         change (an `admin`-scoped token may change too), `admin` for the admin \
                         API (a site admin's token with that scope). A token without the scope \
                         gets `403 insufficient_scope` or `403 forbidden`.",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "link_token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("Biscuit")
                    .description(Some(
                        "A share link's token, as its creator was given it or narrowed offline",
                    ))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "metrics_token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("The operator's `metrics_token` setting"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                crate::auth::SESSION_COOKIE,
                "The session cookie `POST /api/v1/auth/login` sets. A request that changes \
                 something (any method but GET) must also carry the `csrf_token` sign-in \
                 answered as the `X-CSRF-Token` header (`403 csrf_token_missing` otherwise). \
                 The admin API needs a site admin's session.",
            ))),
        );
    }
}

/// What every operation can answer besides what its handler names, and who may call it.
///
/// The answers the transport produces for every route alike — the access extractors' 401, 403
/// and 404, the body and query parsers' 400, 413 and 415, a throttle's 429, the database's
/// 503 — are documented here once, from what the route is, so that the document tells the truth
/// about every operation (issue 14, item 25) without each handler repeating them. A handler's
/// own description of a status is kept.
struct CommonAnswers;

/// Routes anyone may call.
const PUBLIC: &[&str] = &[
    "/healthz",
    "/readyz",
    "/api/v1/auth/login",
    "/.well-known/tessera/biscuit-keys",
];

/// Routes a share link's token opens (`Authorization: Bearer <link token>`).
const LINK_TOKEN_ROUTES: &[&str] = &["/api/v1/link", "/api/v1/link/rows", "/api/v1/link/download"];

/// Routes whose callers are throttled.
fn throttled(path: &str) -> bool {
    PUBLIC.contains(&path) && path.starts_with("/api/") || LINK_TOKEN_ROUTES.contains(&path)
}

/// The shared error answers: (status, component name, description).
const ERRORS: &[(&str, &str, &str)] = &[
    (
        "400",
        "BadRequest",
        "`invalid_json`: the body is not JSON this operation takes (unknown fields included); `bad_request`: a query parameter does not parse; or another code the message explains",
    ),
    (
        "401",
        "Unauthenticated",
        "`unauthenticated`: no valid session or token (or the account is deactivated)",
    ),
    (
        "403",
        "Forbidden",
        "`forbidden`, `insufficient_scope` or `csrf_token_missing`: authenticated, but not allowed to do this",
    ),
    (
        "404",
        "NotFound",
        "`not_found`: no such thing, or nothing the caller may see",
    ),
    (
        "413",
        "PayloadTooLarge",
        "`payload_too_large`: the body is larger than this operation takes",
    ),
    (
        "415",
        "UnsupportedMediaType",
        "`unsupported_media_type`: the body is not of the content type this operation takes",
    ),
    (
        "422",
        "ValidationFailed",
        "`validation_failed`: a value is out of its range or not acceptable (the message names it)",
    ),
    (
        "429",
        "TooManyAttempts",
        "`too_many_attempts`: throttled; `Retry-After` says when to try again",
    ),
    (
        "500",
        "Internal",
        "`internal`: a fault on the server's side; the details are in its log only",
    ),
    (
        "503",
        "Unavailable",
        "`unavailable`: the database does not answer; try again",
    ),
];

impl utoipa::Modify for CommonAnswers {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::path::ParameterIn;
        use utoipa::openapi::schema::{SchemaType, Type};
        use utoipa::openapi::{
            Content, Ref, RefOr, ResponseBuilder, Schema, security::SecurityRequirement,
        };
        let components = openapi.components.get_or_insert_with(Default::default);
        for (_, name, description) in ERRORS {
            components.responses.insert(
                (*name).to_owned(),
                RefOr::T(
                    ResponseBuilder::new()
                        .description(*description)
                        .content(
                            "application/json",
                            Content::new(Some(Ref::from_schema_name("ErrorBody"))),
                        )
                        .build(),
                ),
            );
        }
        for (path, item) in openapi.paths.paths.iter_mut() {
            let metrics = path == "/metrics";
            let public = PUBLIC.contains(&path.as_str()) || metrics;
            let link = LINK_TOKEN_ROUTES.contains(&path.as_str());
            let names_something = path.contains('{');
            for (reads, operation) in [
                (true, item.get.as_mut()),
                (false, item.post.as_mut()),
                (false, item.put.as_mut()),
                (false, item.patch.as_mut()),
                (false, item.delete.as_mut()),
            ] {
                let Some(operation) = operation else { continue };
                let no_scopes = Vec::<String>::new;
                // What an API token must hold (OpenAPI 3.1 lets a requirement list the roles
                // any scheme needs): reading needs nothing beyond a valid token, a change
                // `write`, the admin API `admin` (see `auth::extract`).
                let token_scopes = if path.starts_with("/api/v1/admin/") {
                    vec!["admin".to_owned()]
                } else if reads {
                    no_scopes()
                } else {
                    vec!["write".to_owned()]
                };
                operation.security = Some(if link {
                    vec![SecurityRequirement::new("link_token", no_scopes())]
                } else if metrics {
                    vec![SecurityRequirement::new("metrics_token", no_scopes())]
                } else if public {
                    vec![SecurityRequirement::default()]
                } else {
                    vec![
                        SecurityRequirement::new("bearer", token_scopes),
                        SecurityRequirement::new("session", no_scopes()),
                    ]
                });
                let mut statuses = vec!["500", "503"];
                if !public {
                    statuses.extend(["401", "403"]);
                }
                // A link's token may name a link that is gone; a path's id, nothing visible.
                if (names_something || link) && !public {
                    statuses.push("404");
                }
                // A body or a parameter that parses may still hold a value the operation
                // refuses (an empty name, a level that does not exist, a range).
                let takes_input = operation.request_body.is_some()
                    || operation.parameters.as_ref().is_some_and(|parameters| {
                        parameters
                            .iter()
                            .any(|p| matches!(p.parameter_in, ParameterIn::Query))
                    });
                if operation.request_body.is_some() {
                    statuses.extend(["413", "415"]);
                }
                if takes_input {
                    statuses.extend(["400", "422"]);
                }
                if throttled(path) {
                    statuses.push("429");
                }
                for status in statuses {
                    let Some((_, name, _)) = ERRORS.iter().find(|(code, _, _)| *code == status)
                    else {
                        continue;
                    };
                    operation
                        .responses
                        .responses
                        .entry(status.to_owned())
                        .or_insert_with(|| RefOr::Ref(Ref::from_response_name(*name)));
                }
                // An optional body is one that may be left out: no handler takes the JSON
                // `null` utoipa offers as its alternative (`Option<T>` as a body).
                if let Some(body) = operation.request_body.as_mut() {
                    for content in body.content.values_mut() {
                        if let Some(RefOr::T(Schema::OneOf(one))) = &content.schema
                            && let [first, second] = one.items.as_slice()
                        {
                            let is_null = |schema: &RefOr<Schema>| {
                                matches!(schema, RefOr::T(Schema::Object(object))
                                    if object.schema_type == SchemaType::Type(Type::Null))
                            };
                            let kept = match (is_null(first), is_null(second)) {
                                (true, false) => Some(second.clone()),
                                (false, true) => Some(first.clone()),
                                _ => None,
                            };
                            if kept.is_some() {
                                content.schema = kept;
                            }
                        }
                    }
                }
                // A status a handler names without words gets the catalogue's.
                for (status, response) in operation.responses.responses.iter_mut() {
                    if let RefOr::T(response) = response
                        && response.description.is_empty()
                    {
                        response.description = default_description(status).to_owned();
                    }
                }
            }
        }
    }
}

/// One closed object in place of an `allOf` whose members include a closed object.
///
/// utoipa writes a `#[serde(flatten)]` field as `allOf` of the flattened type and the outer
/// fields. When the flattened type denies unknown fields (`additionalProperties: false`, as
/// [`crate::export::ExportSpec`] does), that `allOf` accepts nothing: each member refuses the
/// other's properties, and a validator or a generated client refuses every body (issue 14,
/// item 25). serde reads the union of both sets (the outer struct takes its fields, the
/// flattened one every other, and refuses what neither knows), so the schema that tells the
/// truth is one object with every member's properties, the union of their `required`, closed.
struct ClosedFlattening;

impl utoipa::Modify for ClosedFlattening {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{RefOr, Schema};
        let Some(components) = openapi.components.as_mut() else {
            return;
        };
        let named = components.schemas.clone();
        for schema in components.schemas.values_mut() {
            if let Some(merged) = merged_closed_all_of(schema, &named) {
                *schema = RefOr::T(Schema::Object(merged));
            }
        }
    }
}

/// The one object an `allOf` of objects, one of them closed, stands for; `None` for any other
/// schema (an `allOf` of open objects is left as it is: it accepts what each member does).
fn merged_closed_all_of(
    schema: &utoipa::openapi::RefOr<utoipa::openapi::Schema>,
    named: &std::collections::BTreeMap<String, utoipa::openapi::RefOr<utoipa::openapi::Schema>>,
) -> Option<utoipa::openapi::schema::Object> {
    use utoipa::openapi::schema::{AdditionalProperties, Object, ObjectBuilder};
    use utoipa::openapi::{RefOr, Schema};
    let RefOr::T(Schema::AllOf(all)) = schema else {
        return None;
    };
    let mut members: Vec<&Object> = Vec::new();
    for item in &all.items {
        let object = match item {
            RefOr::T(Schema::Object(object)) => object,
            RefOr::Ref(reference) => match reference
                .ref_location
                .strip_prefix("#/components/schemas/")
                .and_then(|name| named.get(name))
            {
                Some(RefOr::T(Schema::Object(object))) => object,
                _ => return None,
            },
            _ => return None,
        };
        members.push(object);
    }
    let closed = |object: &Object| {
        matches!(
            object.additional_properties.as_deref(),
            Some(AdditionalProperties::FreeForm(false))
        )
    };
    if !members.iter().any(|object| closed(object)) {
        return None;
    }
    let mut merged = ObjectBuilder::new()
        .title(all.title.clone())
        .description(all.description.clone())
        .examples(all.examples.clone())
        .additional_properties(Some(AdditionalProperties::FreeForm(false)))
        .build();
    merged.example = all.example.clone();
    for object in members {
        for (name, property) in &object.properties {
            merged
                .properties
                .entry(name.clone())
                .or_insert_with(|| property.clone());
        }
        for name in &object.required {
            if !merged.required.contains(name) {
                merged.required.push(name.clone());
            }
        }
        if merged.description.is_none() {
            merged.description = object.description.clone();
        }
        if merged.example.is_none() {
            merged.example = object.example.clone();
        }
    }
    Some(merged)
}

/// Bodies that take either of two fields or neither, never both: (schema, field, field, whether
/// a `null` second field is a value of its own). In a change, `expires_at: null` means "no
/// expiry", which `expires_in` contradicts; elsewhere a `null` is as good as absent.
const NOT_BOTH: &[(&str, &str, &str, bool)] = &[
    ("NewTokenRequest", "expires_in", "expires_at", false),
    ("NewShareRequest", "expires_in", "expires_at", false),
    ("ShareChangeRequest", "expires_in", "expires_at", true),
    ("NewLinkRequest", "expires_in", "expires_at", false),
    ("LinkChangeRequest", "expires_in", "expires_at", true),
];

/// An expiry is given in seconds or as a time, not both (`422` otherwise): stated as `anyOf`
/// "the one is absent or `null`" and "the other is" (or, where its `null` means something,
/// "the other is absent"), which is exactly what the handlers refuse. utoipa's object has no
/// field for `anyOf` next to `properties`, so it goes in as an extension key, which serialises
/// in place.
struct NotBoth;

impl utoipa::Modify for NotBoth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{RefOr, Schema};
        let Some(components) = openapi.components.as_mut() else {
            return;
        };
        for (name, first, second, null_is_a_value) in NOT_BOTH {
            let Some(RefOr::T(Schema::Object(object))) = components.schemas.get_mut(*name) else {
                continue;
            };
            let absent_or_null =
                |field: &str| serde_json::json!({"properties": {field: {"type": "null"}}});
            // `false` admits no value: the field is absent.
            let other = if *null_is_a_value {
                serde_json::json!({"properties": {*second: false}})
            } else {
                absent_or_null(second)
            };
            object
                .extensions
                .get_or_insert_with(Default::default)
                .insert(
                    "anyOf".to_owned(),
                    serde_json::json!([absent_or_null(first), other]),
                );
        }
    }
}

/// Bodies that take exactly one of some fields: (schema, [(field, name of its form)]).
const EXACTLY_ONE_OF: &[(&str, &[(&str, &str)])] = &[(
    "NewShareRequest",
    &[
        ("user", "ShareWithUser"),
        ("group", "ShareWithGroup"),
        ("team", "ShareWithTeam"),
    ],
)];

/// A body that takes exactly one of some fields, stated as `oneOf` one closed object per
/// field, each requiring its field, so that validators refuse none or several and client
/// generators make one type per form (issue 14, item 25). The forms are cut from the type's
/// own derived schema (its other fields, descriptions and examples), so they cannot drift
/// from what the handler reads.
struct ExactlyOne;

impl utoipa::Modify for ExactlyOne {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::schema::{OneOf, SchemaType, Type};
        use utoipa::openapi::{Ref, RefOr, Schema};
        let Some(components) = openapi.components.as_mut() else {
            return;
        };
        for (name, forms) in EXACTLY_ONE_OF {
            let Some(RefOr::T(Schema::Object(whole))) = components.schemas.get(*name).cloned()
            else {
                continue;
            };
            let mut one_of = OneOf::new();
            one_of.description = whole.description.clone();
            one_of.examples = whole.examples.clone();
            for (field, form_name) in *forms {
                let mut form = whole.clone();
                form.description = Some(format!("{name} with `{field}`."));
                form.properties.retain(|property, _| {
                    property == field || !forms.iter().any(|(other, _)| other == property)
                });
                if let Some(RefOr::T(Schema::Object(chosen))) = form.properties.get_mut(*field) {
                    // Present and a string: `null` does not name anyone.
                    chosen.schema_type = SchemaType::Type(Type::String);
                }
                form.required.insert(0, (*field).to_owned());
                form.examples = whole
                    .examples
                    .iter()
                    .filter(|example| example.get(*field).is_some())
                    .cloned()
                    .collect();
                components
                    .schemas
                    .insert((*form_name).to_owned(), RefOr::T(Schema::Object(form)));
                one_of
                    .items
                    .push(RefOr::Ref(Ref::from_schema_name(*form_name)));
            }
            components
                .schemas
                .insert((*name).to_owned(), RefOr::T(Schema::OneOf(one_of)));
        }
    }
}

/// The body of a link to an export's file, as its own schema: the handler reads the same
/// struct as for a dataset link, but refuses `formats`, `columns` and `version` (the file is
/// fixed) and any level but `download` (`422`), so a body the dataset link's schema allows is
/// not one this operation takes. Cut from `NewLinkRequest` (its "not both" expiry included),
/// so it cannot drift from it.
struct ExportLinkBody;

impl utoipa::Modify for ExportLinkBody {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        use utoipa::openapi::{Ref, RefOr, Schema};
        const NAME: &str = "NewExportLinkRequest";
        let Some(components) = openapi.components.as_mut() else {
            return;
        };
        let Some(RefOr::T(Schema::Object(mut body))) =
            components.schemas.get("NewLinkRequest").cloned()
        else {
            return;
        };
        body.description = Some(
            "A link to an export's file: for download only; `formats`, `columns` and `version` \
             do not apply, the file is fixed."
                .to_owned(),
        );
        body.properties
            .retain(|name, _| !matches!(name.as_str(), "formats" | "columns" | "version"));
        body.properties.insert(
            "level".to_owned(),
            RefOr::T(Schema::Object(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .enum_values(Some(["download"]))
                    .description(Some("An export's file is shared for download."))
                    .build(),
            )),
        );
        body.examples
            .retain(|example| example["formats"].is_null() && example["columns"].is_null());
        components
            .schemas
            .insert(NAME.to_owned(), RefOr::T(Schema::Object(body)));
        let operation = openapi
            .paths
            .paths
            .get_mut("/api/v1/exports/{id}/links")
            .and_then(|item| item.post.as_mut());
        if let Some(content) = operation
            .and_then(|operation| operation.request_body.as_mut())
            .and_then(|body| body.content.get_mut("application/json"))
        {
            content.schema = Some(RefOr::Ref(Ref::from_schema_name(NAME)));
        }
    }
}

/// Words for a status a handler documents without any.
fn default_description(status: &str) -> &'static str {
    match status {
        "200" => "OK",
        "201" => "Created",
        "202" => "Accepted: the work is queued",
        "204" => "Done; nothing to return",
        "206" => "Partial content: the requested byte range",
        "400" => {
            "`bad_request` or a more precise code: the request is not what this operation takes"
        }
        "403" => "`forbidden`: not allowed to do this",
        "404" => "`not_found`: no such thing, or nothing the caller may see",
        "409" => "`conflict`: it exists already, or the change would break an invariant",
        "410" => "`gone`, `link_expired` or `link_used_up`: it was here and is no longer",
        "416" => "`range_not_satisfiable`: the range is outside the file",
        "422" => {
            "`validation_failed` or a more precise code: a value is not acceptable (the message names it)"
        }
        "429" => "`too_many_attempts`: throttled; `Retry-After` says when to try again",
        "502" => {
            "a plugin failed (`plugin_trapped`, `plugin_timeout`, ...); only this request is affected"
        }
        _ => "See the error code in the body",
    }
}

/// The document a server with the default settings serves, as JSON text, pretty-printed
/// (and stable, for the drift test and `docs/openapi.json`).
pub fn document() -> String {
    document_for(&crate::Config::default())
}

/// The document as a server with `config` serves it: the bounds an operator sets are stated as
/// they are set, so that clients are refused nothing the document allows.
pub fn document_for(config: &crate::Config) -> String {
    use utoipa::openapi::{RefOr, Schema};
    let mut doc = ApiDoc::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    // A window of rows is at most `max_preview_rows` long.
    for path in ["/api/v1/datasets/{id}/rows", "/api/v1/link/rows"] {
        let parameters = doc
            .paths
            .paths
            .get_mut(path)
            .and_then(|item| item.get.as_mut())
            .and_then(|operation| operation.parameters.as_mut());
        for parameter in parameters.into_iter().flatten() {
            if parameter.name == "limit"
                && let Some(RefOr::T(Schema::Object(schema))) = parameter.schema.as_mut()
            {
                schema.maximum = Some(utoipa::Number::UInt(config.max_preview_rows));
            }
        }
    }
    doc.to_pretty_json().unwrap_or_else(|_| "{}".to_owned())
}

/// The document and its reader: `/api/v1/openapi.json` (registered ahead of the API's scope,
/// which it sits in), the page that renders it and that page's script. Composed by the app
/// beside the API's own routes, since the document is written from them.
pub fn routes(cfg: &mut actix_web::web::ServiceConfig) {
    use crate::http::routing::{self, public};
    cfg.service(
        routing::path(&format!("{}/openapi.json", api::API_PREFIX)).get(public(openapi_json)),
    )
    .service(routing::path("/api/docs").get(public(docs_page)))
    .service(routing::path("/static/js/api-docs.js").get(public(docs_script)));
}

pub async fn openapi_json(state: actix_web::web::Data<crate::state::AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(document_for(&state.config))
}

pub async fn docs_page() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((
            "Content-Security-Policy",
            "default-src 'self'; style-src 'self' 'unsafe-inline'",
        ))
        .body(DOCS_PAGE)
}

pub async fn docs_script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .body(DOCS_SCRIPT)
}

const DOCS_PAGE: &str = include_str!("../../../static/api-docs.html");
const DOCS_SCRIPT: &str = include_str!("../../../static/js/api-docs.js");
