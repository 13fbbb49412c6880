//! The OpenAPI 3 document of the routes, written by hand and kept true by a test.

use axum::http::header;
use axum::response::IntoResponse;

/// The document as served at `/api/openapi.json`.
pub const OPENAPI_JSON: &str = include_str!("openapi.json");

/// The document parsed (it is checked by a test, so parsing does not fail in practice).
pub fn openapi_document() -> serde_json::Value {
    serde_json::from_str(OPENAPI_JSON).unwrap_or_default()
}

/// `GET /api/openapi.json`
pub(crate) async fn serve() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], OPENAPI_JSON)
}
