//! Bans: who may not come back into a chat, and until when. Removing a member bans them (as
//! Telegram's "remove" does; an admin who adds them back lifts it); every way in checks it:
//! invite links, being added, and join requests when they come.

use hybrid_core::{ApiError, ApiResult, now_ms};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::membership::{Leaving, drop_member, names};
use crate::policy::Permission;
use crate::service::{Chats, member, member_with};
use crate::store;

/// A ban, as admins see it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Ban {
    pub user_id: i64,
    /// Empty for a user that no longer exists.
    pub username: String,
    pub display_name: String,
    pub banned_by: i64,
    pub banned_at: i64,
    /// When the ban ends (Unix ms); absent: until lifted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<i64>,
}

/// Managing bans takes the right to remove members.
const BAN_RIGHT: Permission = Permission::RemoveMembers;

impl Chats {
    /// Bans `user` until `until` (Unix ms; `None` until lifted), removing them if they are a
    /// member (needs `remove_members` and a higher role than theirs).
    pub async fn ban(&self, me: i64, chat_id: i64, user: i64, until: Option<i64>) -> ApiResult<()> {
        if user == me {
            return Err(ApiError::validation("user_id", "you cannot ban yourself"));
        }
        if until.is_some_and(|until| until <= now_ms()) {
            return Err(ApiError::validation("until", "must be in the future"));
        }
        if self.directory.cards(&[user]).await?.is_empty() {
            return Err(ApiError::not_found("user"));
        }
        self.commit_in(chat_id, move |tx, out| {
            Box::pin(async move {
                let actor = member_with(tx, chat_id, me, BAN_RIGHT, "ban members").await?;
                if let Ok(target) = member(tx, chat_id, user).await {
                    if !actor.access.can_act_on(target.access.role, Permission::RemoveMembers) {
                        return Err(ApiError::forbidden("you may not remove this member"));
                    }
                    drop_member(tx, out, chat_id, user, Leaving::Removed { until }, me).await?;
                }
                store::bans::ban(tx, chat_id, user, me, until).await
            })
        })
        .await
    }

    /// Lifts `user`'s ban (needs `remove_members`).
    pub async fn unban(&self, me: i64, chat_id: i64, user: i64) -> ApiResult<()> {
        self.commit_in(chat_id, move |tx, _out| {
            Box::pin(async move {
                member_with(tx, chat_id, me, BAN_RIGHT, "lift bans").await?;
                if !store::bans::lift(tx, chat_id, user).await? {
                    return Err(ApiError::not_found("ban"));
                }
                Ok(())
            })
        })
        .await
    }

    /// Bans in force, in user id order after `after` (needs `remove_members`).
    pub async fn bans(&self, me: i64, chat_id: i64, after: i64, limit: i64) -> ApiResult<Vec<Ban>> {
        member_with(&mut self.db.reads(), chat_id, me, BAN_RIGHT, "see bans").await?;
        let rows = store::bans::in_force(&mut self.db.reads(), chat_id, after, limit).await?;
        let mut cards = self.cards_by_id(rows.iter().map(|r| r.0)).await?;
        Ok(rows
            .into_iter()
            .map(|(user_id, banned_by, banned_at, until)| {
                let (username, display_name) = names(cards.remove(&user_id));
                Ban {
                    user_id,
                    username,
                    display_name,
                    banned_by,
                    banned_at,
                    until,
                }
            })
            .collect())
    }
}
