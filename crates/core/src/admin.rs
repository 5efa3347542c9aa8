//! Who administers the deployment. The auth service owns the answer (its accounts carry the
//! flag, `hybrid admin set-admin` changes it) and provides [`Administrators`] here or over
//! gRPC; any module's admin-only route asks through [`require_admin`]. The flag is read on
//! every call, never from the access token, so taking it away applies at once.

use futures::future::BoxFuture;

use crate::{ApiError, ApiResult, AuthUser, InternalApis};

/// Provided by `auth`.
pub trait Administrators: Send + Sync {
    /// Whether account `user_id` administers the deployment now.
    fn is_admin(&self, user_id: i64) -> BoxFuture<'_, ApiResult<bool>>;
}

/// 403 unless the caller is an administrator now; `doing` ends the error's sentence
/// ("only administrators can {doing}").
pub async fn require_admin(apis: &InternalApis, me: &AuthUser, doing: &str) -> ApiResult<()> {
    let admins = apis
        .get::<dyn Administrators>()
        .ok_or_else(|| ApiError::unavailable("the accounts service is not reachable from this process"))?;
    if admins.is_admin(me.user_id).await? {
        Ok(())
    } else {
        Err(ApiError::forbidden(format!("only administrators can {doing}")))
    }
}
