//! The frames the example sends to sockets; the API reference lists them under `ServerFrame`.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type")]
pub enum ExampleFrame {
    /// A notice for you.
    #[serde(rename = "example.notice")]
    Notice { text: String },
}
