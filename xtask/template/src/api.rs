//! The {{name}} service's contract: what its HTTP API takes and returns, its error codes, and
//! the internal API other services call ([`{{Name}}Api`]).

use futures::future::BoxFuture;
use hybrid_core::ApiResult;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// An item to add.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewItem {
    /// 1 to 1,000 characters.
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Item {
    pub id: i64,
    pub text: String,
    /// Epoch milliseconds.
    pub created_at: i64,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct PageParams {
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// 1 to 100 (default 50).
    pub limit: Option<i64>,
}

hybrid_core::error_codes! {
    /// Errors of the {{name}} service.
    pub enum {{Name}}Code {
        /// The caller keeps as many items as one may.
        Full = (CONFLICT, "{{name}}_full"),
    }
}

/// Provided by `{{name}}`: what other services ask it. In one process they call the module
/// directly; across processes `grpc.rs` serves it and stands in for it.
pub trait {{Name}}Api: Send + Sync {
    /// How many items `user_id` keeps.
    fn count_items(&self, user_id: i64) -> BoxFuture<'_, ApiResult<i64>>;
}
