//! The chats service's state and the pieces every operation uses: committing a change with
//! its events, and reading a member's standing in a chat.

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use hybrid_core::bus::Bus;
use hybrid_core::outbox::Relay;
use hybrid_core::state::SharedState;
use hybrid_core::sync::SyncSources;
use hybrid_core::{ApiError, ApiResult};
use hybrid_store::{Db, Dialect, Sql};
use hybrid_users_api::UserDirectory;

use crate::api::HistoryVisibility;
use crate::events::Outbox;
use crate::policy::{Access, ChatKind, Permission, Role};
use crate::settings::ChatsConfig;
use crate::store;

pub struct Chats {
    pub(crate) db: Db,
    pub(crate) bus: Arc<dyn Bus>,
    pub(crate) relay: Arc<Relay>,
    pub(crate) state: Arc<dyn SharedState>,
    pub(crate) directory: Arc<dyn UserDirectory>,
    pub(crate) config: ChatsConfig,
    /// Other services' parts of `POST /sync`.
    pub(crate) sync_sources: Arc<SyncSources>,
    /// Check attach tokens (`hybrid_chats_api::attach`): the current key, then retired ones.
    pub(crate) attach_keys: Vec<[u8; 32]>,
}

/// A member's standing in a chat, with the chat facts checks need.
#[derive(Debug, Clone)]
pub struct Member {
    pub access: Access,
    pub history: HistoryVisibility,
    pub joined_seq: i64,
    pub joined_pts: i64,
    pub joined_at: i64,
    pub read_seq: i64,
    pub last_seq: i64,
    pub member_count: i64,
}

impl Member {
    /// The oldest message this member may read.
    pub fn first_visible_seq(&self) -> i64 {
        match self.history {
            HistoryVisibility::All => 1,
            HistoryVisibility::SinceJoin => self.joined_seq + 1,
        }
    }

    /// 403 unless the member holds `permission`; `what` completes "you may not … in this
    /// chat". Direct chats grant only sending and pinning, and say so.
    pub fn require(&self, permission: Permission, what: &str) -> ApiResult<()> {
        if self.access.can(permission) {
            Ok(())
        } else if self.kind() == ChatKind::Direct {
            Err(ApiError::forbidden(format!(
                "you may not {what} in a direct chat: it has two equal members and nothing to administer"
            )))
        } else {
            Err(ApiError::forbidden(format!("you may not {what} in this chat")))
        }
    }

    pub fn kind(&self) -> ChatKind {
        self.access.kind
    }

    /// A channel's plain subscriber: other subscribers are not named to them, nor they to
    /// other subscribers.
    pub fn is_channel_subscriber(&self) -> bool {
        self.kind() == ChatKind::Channel && self.access.role == Role::Member
    }
}

/// [`member`], when they hold `permission` (403 otherwise, see [`Member::require`]): the
/// check every action that needs a right starts with, before it looks at anything else.
pub async fn member_with(
    sql: &mut Sql<'_>,
    chat_id: i64,
    user_id: i64,
    permission: Permission,
    what: &str,
) -> ApiResult<Member> {
    let member = member(sql, chat_id, user_id).await?;
    member.require(permission, what)?;
    Ok(member)
}

/// `user_id`'s standing in `chat_id`; 404 for non-members (they may not learn the chat exists).
/// `sql` is a write's transaction or [`Db::reads`](hybrid_store::Db::reads).
pub async fn member(sql: &mut Sql<'_>, chat_id: i64, user_id: i64) -> ApiResult<Member> {
    store::members::standing(sql, chat_id, user_id)
        .await?
        .ok_or_else(|| ApiError::not_found("chat"))
}

/// The closure type of [`Chats::commit`]: statements go through the write's [`Sql`], events
/// through the [`Outbox`].
pub trait ChangeFn<T>:
    for<'a, 'c> FnOnce(&'a mut Sql<'c>, &'a mut Outbox) -> BoxFuture<'a, ApiResult<T>> + Send + 'static
{
}
impl<T, F> ChangeFn<T> for F where
    F: for<'a, 'c> FnOnce(&'a mut Sql<'c>, &'a mut Outbox) -> BoxFuture<'a, ApiResult<T>> + Send + 'static
{
}

impl Chats {
    /// Takes one from a per-minute budget of `limit` (shared by every process; 0: no limit):
    /// `429 rate_limited` with Retry-After once it is spent. `doing` names the action.
    pub(crate) async fn check_rate(&self, key: &str, limit: u32, doing: &str) -> ApiResult<()> {
        self.check_rate_in(key, limit, Duration::from_secs(60), doing).await
    }

    /// [`Chats::check_rate`] with a budget per `window`.
    pub(crate) async fn check_rate_in(&self, key: &str, limit: u32, window: Duration, doing: &str) -> ApiResult<()> {
        hybrid_core::rate::take(self.state.as_ref(), key, limit, window, doing).await
    }

    pub fn dialect(&self) -> Dialect {
        self.db.dialect()
    }

    /// Runs a change in one transaction; once it has committed, wakes the relay that publishes
    /// the events it logged (even if the request was cancelled meanwhile).
    pub async fn commit<T: Send + 'static>(&self, change: impl ChangeFn<T>) -> ApiResult<T> {
        self.commit_locked(None, change).await
    }

    /// [`commit`](Self::commit) for a change to one existing chat. On PostgreSQL it locks the
    /// chat's row first, so every change to a chat takes its locks in the same order (no
    /// deadlocks) and checks such as the member limit see a settled count. SQLite's single
    /// writer needs no lock.
    pub async fn commit_in<T: Send + 'static>(&self, chat_id: i64, change: impl ChangeFn<T>) -> ApiResult<T> {
        self.commit_locked(Some(chat_id), change).await
    }

    async fn commit_locked<T: Send + 'static>(&self, lock: Option<i64>, change: impl ChangeFn<T>) -> ApiResult<T> {
        let relay = self.relay.clone();
        let lock = lock.filter(|_| self.dialect() == Dialect::Postgres);
        // read here: the SQLite writer runs the change on its own thread, outside the request's span
        let trace = hybrid_core::trace_context::current();
        let (value, _) = self
            .db
            .write_then(
                move |tx| {
                    Box::pin(async move {
                        if let Some(chat_id) = lock {
                            store::chats::lock(tx, chat_id).await?;
                        }
                        let mut outbox = Outbox { logged: false, trace };
                        let value = change(tx, &mut outbox).await?;
                        Ok::<_, ApiError>((value, outbox))
                    })
                },
                move |(_, outbox): &mut (T, Outbox)| {
                    if outbox.logged {
                        relay.wake();
                    }
                },
            )
            .await?;
        Ok(value)
    }

    /// Reads `user_id`'s standing from the read pool.
    pub async fn member(&self, chat_id: i64, user_id: i64) -> ApiResult<Member> {
        member(&mut self.db.reads(), chat_id, user_id).await
    }

    /// Like [`member`](Self::member), with `None` for a non-member; other errors stay errors.
    pub async fn member_if_any(&self, chat_id: i64, user_id: i64) -> ApiResult<Option<Member>> {
        match self.member(chat_id, user_id).await {
            Ok(member) => Ok(Some(member)),
            Err(err) if err.status == axum::http::StatusCode::NOT_FOUND => Ok(None),
            Err(err) => Err(err),
        }
    }
}
