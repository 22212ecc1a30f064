use actix_web::http::header;
use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::http::error::ApiResult;
use crate::state::AppState;
use crate::time::to_rfc3339;

/// One key that signs (or signed) link tokens.
#[derive(Debug, Serialize, ToSchema)]
#[schema(examples(json!({
    "id": "root",
    "algorithm": "ed25519",
    "public_key": "2d7a1f3c5e9b0a4d6f8e2c1b3a5d7f9e0c2b4a6d8f1e3c5b7a9d0f2e4c6b8a1d",
    "biscuit_public_key": "ed25519/2d7a1f3c5e9b0a4d6f8e2c1b3a5d7f9e0c2b4a6d8f1e3c5b7a9d0f2e4c6b8a1d",
    "status": "current",
    "created_at": "2026-03-01T08:00:00Z"
})))]
pub struct TokenKeyView {
    /// The key's id.
    pub id: String,
    /// `ed25519`.
    pub algorithm: String,
    /// The public key, hex.
    pub public_key: String,
    /// The same in Biscuit's own text form, `ed25519/<hex>`, as its libraries and command
    /// line take it.
    pub biscuit_public_key: String,
    #[schema(value_type = crate::http::views::vocabulary::KeyStatus)]
    pub status: String,
    #[schema(format = DateTime)]
    pub created_at: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(examples(json!({"keys": [{
    "id": "root",
    "algorithm": "ed25519",
    "public_key": "2d7a1f3c5e9b0a4d6f8e2c1b3a5d7f9e0c2b4a6d8f1e3c5b7a9d0f2e4c6b8a1d",
    "biscuit_public_key": "ed25519/2d7a1f3c5e9b0a4d6f8e2c1b3a5d7f9e0c2b4a6d8f1e3c5b7a9d0f2e4c6b8a1d",
    "status": "current",
    "created_at": "2026-03-01T08:00:00Z"
}]})))]
pub struct TokenKeysView {
    pub keys: Vec<TokenKeyView>,
}

/// The public keys that sign share-link tokens, so that standard Biscuit libraries can verify
/// (and then attenuate) a token offline. Public: a public key reveals nothing.
///
/// Anyone may call it. The key that signs tokens now is `current`; earlier ones kept in the
/// database are `retired`. Cached for five minutes (`Cache-Control: public, max-age=300`).
/// Changes nothing.
// The document's operationId predates this handler's name; clients generated from it keep it.
#[utoipa::path(get, path = "/.well-known/tessera/biscuit-keys", tag = "links", operation_id = "token_keys", responses(
    (status = 200, body = TokenKeysView),
))]
pub async fn list_token_keys(state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let current = state.token_keys.public_hex();
    let stored = state
        .db
        .run(crate::db::token_keys::PublicTokenKey::all)
        .await?;
    let keys = stored
        .into_iter()
        .map(|key| TokenKeyView {
            status: if key.public_key == current {
                "current"
            } else {
                "retired"
            }
            .to_owned(),
            biscuit_public_key: format!("ed25519/{}", key.public_key),
            algorithm: "ed25519".to_owned(),
            created_at: to_rfc3339(key.created_at),
            public_key: key.public_key,
            id: key.id,
        })
        .collect();
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .json(TokenKeysView { keys }))
}
