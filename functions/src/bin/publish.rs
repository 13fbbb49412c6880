//! The `publish` Lambda function: builds the public site (incrementally after change notices
//! from the queue, in full for `{"mode":"full"}`) and copies it to the site bucket.

use lambda_http::lambda_runtime::{self, LambdaEvent};
use serde_json::Value;
use xycz_functions::lambda::{init_logging, parse_publish_event, SitePublisher};

#[tokio::main]
async fn main() -> Result<(), lambda_runtime::Error> {
    init_logging();
    let publisher = SitePublisher::from_env().await?;
    let publisher = &publisher;
    lambda_runtime::run(lambda_runtime::service_fn(
        move |event: LambdaEvent<Value>| async move {
            let request = parse_publish_event(&event.payload)?;
            let outcome = publisher.publish(&request).await?;
            tracing::info!(outcome = %outcome, "site published");
            Ok::<Value, lambda_runtime::Error>(outcome)
        },
    ))
    .await
}
