//! Per-user rates shared by every process (through the shared state): a budget of `limit`
//! actions per window, answered past it with `429 rate_limited` and `Retry-After`.

use std::time::Duration;

use crate::state::{Budget, SharedState};
use crate::{ApiError, ApiResult, Code};

/// Takes one from the budget `key` of `limit` per `window` (0: no limit); past it, a 429 that
/// says the caller is `doing` ("sending", "changing your profile") too fast.
pub async fn take(state: &dyn SharedState, key: &str, limit: u32, window: Duration, doing: &str) -> ApiResult<()> {
    if limit == 0 {
        return Ok(());
    }
    match state.take(&[(key, limit)], window).await? {
        Budget::Taken => Ok(()),
        Budget::Spent { retry_after_secs } => Err(ApiError::new(
            Code::RateLimited,
            format!(
                "you are {doing} too fast; try again in {}",
                crate::wait_in_words(retry_after_secs)
            ),
        )
        .with_retry_after(retry_after_secs)),
    }
}
