//! The `history` Lambda function: [`xycz_functions::history_router`] under lambda_http.

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    xycz_functions::lambda::init_logging();
    let state = xycz_functions::AppState::from_lambda_env().await?;
    xycz_functions::lambda::run(xycz_functions::history_router(state)).await
}
