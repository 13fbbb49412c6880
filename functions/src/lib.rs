//! The HTTP functions of the reporting side: one axum router per function (auth, uploads,
//! history, records, admin) plus the site publisher. The same routers run under Lambda (one
//! binary each, see `src/bin`) and all together in `xycz serve`.
//!
//! Handlers are thin: they authenticate, call one domain or store function and map its result.

mod admin;
mod auth;
mod checked;
mod config;
mod error;
mod extract;
mod history;
pub mod lambda;
pub mod local;
mod net;
mod openapi;
mod publish;
mod records;
mod routes;
mod state;
mod uploads;

pub use admin::new_unit_checked;
pub use config::{Config, CookieSecurity};
pub use error::ApiError;
pub use net::Cidr;
pub use openapi::{openapi_document, OPENAPI_JSON};
pub use publish::{LocalPublisher, NoPublisher, Publisher, SiteBuilder};
pub use routes::{
    admin_router, api_router, auth_router, history_router, records_router, uploads_router,
    FunctionName, Route, ROUTES,
};
pub use state::{AppState, SESSION_COOKIE};
