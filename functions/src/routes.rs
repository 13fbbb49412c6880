//! Every route of the API in one table, and the routers built from it: one per function for
//! Lambda, all of them together for `xycz serve`.

use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::from_fn_with_state;
use axum::response::IntoResponse;
use axum::routing::{delete, get, post, put, MethodRouter};
use axum::{Json, Router};
use serde_json::json;
use tower_http::cors::{AllowOrigin, CorsLayer};

use crate::net::network_gate;
use crate::state::AppState;
use crate::uploads::MULTIPART_OVERHEAD;
use crate::{admin, auth, history, openapi, records, uploads};

/// The HTTP functions; each is one Lambda binary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FunctionName {
    Auth,
    Uploads,
    History,
    Records,
    Admin,
}

/// One route: the function that answers it, its method and path, and its handler.
pub struct Route {
    pub function: FunctionName,
    pub method: &'static str,
    pub path: &'static str,
    handler: fn() -> MethodRouter<AppState>,
}

use FunctionName::{Admin, Auth, History, Records, Uploads};

/// The whole API. `/api/openapi.json` documents exactly these (a test keeps them equal).
pub const ROUTES: &[Route] = &[
    Route {
        function: Auth,
        method: "POST",
        path: "/api/auth/login",
        handler: || post(auth::login),
    },
    Route {
        function: Auth,
        method: "POST",
        path: "/api/auth/logout",
        handler: || post(auth::logout),
    },
    Route {
        function: Auth,
        method: "POST",
        path: "/api/auth/password",
        handler: || post(auth::change_password),
    },
    Route {
        function: Auth,
        method: "GET",
        path: "/api/me",
        handler: || get(auth::me),
    },
    Route {
        function: Auth,
        method: "GET",
        path: "/api/openapi.json",
        handler: || get(openapi::serve),
    },
    Route {
        function: Uploads,
        method: "POST",
        path: "/api/uploads",
        handler: || post(uploads::create),
    },
    Route {
        function: Uploads,
        method: "POST",
        path: "/api/uploads/presign",
        handler: || post(uploads::presign),
    },
    Route {
        function: Uploads,
        method: "POST",
        path: "/api/uploads/complete",
        handler: || post(uploads::complete),
    },
    Route {
        function: Uploads,
        method: "DELETE",
        path: "/api/uploads/{id}",
        handler: || delete(uploads::delete),
    },
    Route {
        function: Uploads,
        method: "DELETE",
        path: "/api/uploads/{id}/records",
        handler: || delete(uploads::withdraw_records),
    },
    Route {
        function: History,
        method: "GET",
        path: "/api/uploads",
        handler: || get(history::list),
    },
    Route {
        function: History,
        method: "GET",
        path: "/api/uploads/{id}",
        handler: || get(history::get),
    },
    Route {
        function: History,
        method: "GET",
        path: "/api/uploads/{id}/file",
        handler: || get(history::file),
    },
    Route {
        function: History,
        method: "GET",
        path: "/api/uploads/{id}/errors.xlsx",
        handler: || get(history::errors_xlsx),
    },
    Route {
        function: Records,
        method: "GET",
        path: "/api/records",
        handler: || get(records::list),
    },
    Route {
        function: Records,
        method: "POST",
        path: "/api/records",
        handler: || post(records::create),
    },
    Route {
        function: Records,
        method: "GET",
        path: "/api/records/{id}",
        handler: || get(records::get),
    },
    Route {
        function: Records,
        method: "PUT",
        path: "/api/records/{id}",
        handler: || put(records::modify),
    },
    Route {
        function: Records,
        method: "POST",
        path: "/api/records/{id}/revoke",
        handler: || post(records::revoke),
    },
    Route {
        function: Admin,
        method: "GET",
        path: "/api/admin/units",
        handler: || get(admin::list_units),
    },
    Route {
        function: Admin,
        method: "POST",
        path: "/api/admin/units",
        handler: || post(admin::create_unit),
    },
    Route {
        function: Admin,
        method: "GET",
        path: "/api/admin/users",
        handler: || get(admin::list_users),
    },
    Route {
        function: Admin,
        method: "POST",
        path: "/api/admin/users",
        handler: || post(admin::create_user),
    },
    Route {
        function: Admin,
        method: "POST",
        path: "/api/admin/users/{id}/password",
        handler: || post(admin::reset_password),
    },
    Route {
        function: Admin,
        method: "POST",
        path: "/api/admin/users/{id}/active",
        handler: || post(admin::set_active),
    },
    Route {
        function: Admin,
        method: "POST",
        path: "/api/admin/users/{id}/unlock",
        handler: || post(admin::unlock),
    },
    Route {
        function: Admin,
        method: "GET",
        path: "/api/admin/uscc-exceptions",
        handler: || get(admin::list_uscc_exceptions),
    },
    Route {
        function: Admin,
        method: "POST",
        path: "/api/admin/uscc-exceptions",
        handler: || post(admin::add_uscc_exception),
    },
    Route {
        function: Admin,
        method: "GET",
        path: "/api/admin/uploads",
        handler: || get(admin::list_uploads),
    },
    Route {
        function: Admin,
        method: "GET",
        path: "/api/admin/stats",
        handler: || get(admin::stats),
    },
];

/// A router of the routes `include` selects, behind the network gate.
fn router(state: AppState, include: impl Fn(FunctionName) -> bool) -> Router {
    let body_limit = state.config().max_upload_bytes + MULTIPART_OVERHEAD;
    let mut router = Router::new();
    for route in ROUTES.iter().filter(|r| include(r.function)) {
        router = router.route(route.path, (route.handler)());
    }
    let router = router
        .fallback(no_route)
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(from_fn_with_state(state.clone(), network_gate));
    // Outside the gate, so that a refusal also reaches a console on another host readably.
    let router = match cors(&state.config().cors_origins) {
        Some(cors) => router.layer(cors),
        None => router,
    };
    router.with_state(state)
}

/// Cross-origin calls with the session cookie from the configured console origins, if any.
fn cors(origins: &[String]) -> Option<CorsLayer> {
    let origins: Vec<HeaderValue> = origins
        .iter()
        .filter_map(|origin| HeaderValue::from_str(origin).ok())
        .collect();
    if origins.is_empty() {
        return None;
    }
    Some(
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins))
            .allow_credentials(true)
            .allow_methods([Method::GET, Method::POST, Method::PUT, Method::DELETE])
            .allow_headers([
                header::CONTENT_TYPE,
                header::ACCEPT,
                HeaderName::from_static("x-csrf-token"),
            ])
            .max_age(std::time::Duration::from_secs(3600)),
    )
}

async fn no_route() -> impl IntoResponse {
    (
        StatusCode::NOT_FOUND,
        Json(json!({ "code": "no_route", "message": "接口不存在" })),
    )
}

/// Login, logout, `/api/me` and the OpenAPI document.
pub fn auth_router(state: AppState) -> Router {
    router(state, |f| f == Auth)
}

/// Upload, delete an upload, withdraw its data.
pub fn uploads_router(state: AppState) -> Router {
    router(state, |f| f == Uploads)
}

/// 我的上报: the upload list, reports, originals, invalid rows.
pub fn history_router(state: AppState) -> Router {
    router(state, |f| f == History)
}

/// Records: list, 新增, 修改, 撤销.
pub fn records_router(state: AppState) -> Router {
    router(state, |f| f == Records)
}

/// Units, users, all uploads, statistics.
pub fn admin_router(state: AppState) -> Router {
    router(state, |f| f == Admin)
}

/// Every function under one router (`xycz serve`).
pub fn api_router(state: AppState) -> Router {
    router(state, |_| true)
}
