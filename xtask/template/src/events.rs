//! The frames the {{name}} service sends to its users' sockets (through realtime's user topic).
//! The API reference lists them under `ServerFrame`; clients ignore types they do not know.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::Item;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type")]
pub enum {{Name}}Frame {
    /// An item was added, on any of the user's devices.
    #[serde(rename = "{{name}}.item_added")]
    ItemAdded { item: Item },
}
