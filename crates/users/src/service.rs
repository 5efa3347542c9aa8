//! The users service's logic: profile rules, search pages, blocks, and its side of the
//! [`UserDirectory`] other services call. SQL stays in `store.rs`.

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use hybrid_chats_api::avatar;
use hybrid_core::outbox::Relay;
use hybrid_core::rate;
use hybrid_core::state::SharedState;
use hybrid_core::text::fold;
use hybrid_core::{ApiError, ApiResult, Page, now_ms, page_limit};
use hybrid_users_api::{AddPolicy, UserCard, UserDirectory, UserRef};

use crate::api::{Privacy, Profile, ProfileUpdate, SearchParams};
use crate::events;
use crate::settings::UsersConfig;
use crate::store::{ProfileChange, Store, UserRow};

pub struct Users {
    pub store: Store,
    /// Wakes the relay after a profile change commits.
    pub relay: Arc<Relay>,
    /// The keys of attach tokens, which name avatars (`hybrid_chats_api::avatar`).
    pub attach_keys: Vec<[u8; 32]>,
    /// Where the rate of profile changes is counted, across processes.
    pub state: Arc<dyn SharedState>,
    pub config: UsersConfig,
}

impl From<UserRow> for Profile {
    fn from(row: UserRow) -> Self {
        Profile {
            id: row.id,
            username: row.username,
            display_name: row.display_name,
            bio: row.bio,
            created_at: row.created_at,
            avatar: avatar::stored(row.avatar.as_deref()),
            is_bot: row.is_bot != 0,
        }
    }
}

impl Users {
    /// Drops profile events past their retention.
    pub async fn prune_events(&self) -> ApiResult<u64> {
        let cutoff = now_ms() - events::RETENTION_MS;
        Ok(self.store.prune_events(cutoff).await? + self.relay.prune(cutoff).await?)
    }

    pub async fn profile(&self, id: i64) -> ApiResult<Profile> {
        self.store
            .get(id)
            .await?
            .map(Profile::from)
            .ok_or_else(|| ApiError::not_found("user"))
    }

    /// A user by username, in any case or Unicode form of it.
    pub async fn by_username(&self, username: &str) -> ApiResult<Profile> {
        self.store
            .by_username(&fold(username))
            .await?
            .map(Profile::from)
            .ok_or_else(|| ApiError::not_found("user"))
    }

    pub async fn privacy(&self, me: i64) -> ApiResult<Privacy> {
        let code = self.store.add_policy(me).await?;
        Ok(Privacy {
            add_to_groups: AddPolicy::from_code(code),
        })
    }

    /// Takes effect on the next add: chats asks on every one.
    pub async fn set_privacy(&self, me: i64, privacy: Privacy) -> ApiResult<Privacy> {
        self.store.set_add_policy(me, privacy.add_to_groups.code()).await?;
        Ok(privacy)
    }

    pub async fn update(&self, me: i64, update: ProfileUpdate) -> ApiResult<Profile> {
        let display_name = clean_display_name("display_name", update.display_name)?;
        let bio = clean_text("bio", update.bio, 500)?;
        let avatar = avatar::change(&self.attach_keys, update.avatar.as_deref(), me)?;
        if display_name.is_none() && bio.is_none() && avatar.is_none() {
            return self.profile(me).await;
        }
        let limit = self.config.profile_changes_per_minute;
        let key = format!("profile:{me}");
        rate::take(
            self.state.as_ref(),
            &key,
            limit,
            Duration::from_secs(60),
            "changing your profile",
        )
        .await?;
        let change = ProfileChange {
            display_name,
            bio,
            avatar,
        };
        let profile = self.store.update_profile(me, change).await?.into();
        self.relay.wake();
        Ok(profile)
    }

    /// Users whose username starts with a prefix, in username order.
    pub async fn search(&self, params: SearchParams) -> ApiResult<Page<Profile>> {
        let prefix = fold(&params.prefix);
        if prefix.is_empty() || prefix.chars().count() > 32 || !prefix.is_ascii() {
            return Err(ApiError::validation(
                "prefix",
                "must be 1 to 32 characters a-z, 0-9 or _",
            ));
        }
        let limit = page_limit(params.limit, 20, 50)?;
        let after = params.cursor.filter(|c| !c.is_empty());
        let rows = self.store.search_prefix(&prefix, after.as_deref(), limit + 1).await?;
        let profiles = rows.into_iter().map(Profile::from).collect();
        Ok(Page::from_rows(profiles, limit, |profile: &Profile| {
            profile.username.clone()
        }))
    }

    pub async fn blocked_by(&self, me: i64) -> ApiResult<Vec<Profile>> {
        Ok(self
            .store
            .blocked_by(me)
            .await?
            .into_iter()
            .map(Profile::from)
            .collect())
    }

    /// Blocks a user; blocking twice is fine.
    pub async fn block(&self, me: i64, id: i64) -> ApiResult<()> {
        if id == me {
            return Err(ApiError::validation("id", "you cannot block yourself"));
        }
        self.profile(id).await?;
        self.store.block(me, id).await
    }

    pub async fn unblock(&self, me: i64, id: i64) -> ApiResult<()> {
        self.profile(id).await?;
        self.store.unblock(me, id).await
    }
}

/// Longest display name, in characters.
const DISPLAY_NAME_MAX: usize = 64;

/// Trims a display name and checks it: one line, no bidi controls (they make one name read as
/// another), visible characters unless empty (empty clears a person's name).
fn clean_display_name(field: &str, value: Option<String>) -> ApiResult<Option<String>> {
    let display_name = clean_text(field, value, DISPLAY_NAME_MAX)?;
    if let Some(name) = display_name.as_deref() {
        if name.contains('\n') {
            return Err(ApiError::validation(field, "must be one line"));
        }
        if name.chars().any(hybrid_core::text::is_bidi_control) {
            return Err(ApiError::validation(
                field,
                "must not contain bidirectional control characters",
            ));
        }
        if !name.is_empty() && !hybrid_core::text::has_visible(name) {
            return Err(ApiError::validation(field, "must contain visible characters"));
        }
    }
    Ok(display_name)
}

/// A bot's name: a display name that is not empty.
fn bot_name(name: String) -> ApiResult<String> {
    match clean_display_name("name", Some(name))? {
        Some(name) if !name.is_empty() => Ok(name),
        _ => Err(ApiError::validation("name", "must contain visible characters")),
    }
}

/// Trims an optional text field and checks its length and characters.
fn clean_text(field: &str, value: Option<String>, max: usize) -> ApiResult<Option<String>> {
    let Some(value) = value else { return Ok(None) };
    let value = value.trim().to_owned();
    if value.chars().count() > max {
        return Err(ApiError::validation(field, format!("must be at most {max} characters")));
    }
    if value.chars().any(|c| c.is_control() && c != '\n') {
        return Err(ApiError::validation(field, "must not contain control characters"));
    }
    Ok(Some(value))
}

fn user_ref(row: UserRow) -> UserRef {
    UserRef {
        id: row.id,
        username: row.username,
        created_at: row.created_at,
        is_bot: row.is_bot != 0,
    }
}

impl UserDirectory for Users {
    fn create(&self, username: String) -> BoxFuture<'_, ApiResult<UserRef>> {
        Box::pin(async move { self.store.create(username, String::new(), false).await.map(user_ref) })
    }

    fn create_bot(&self, username: String, display_name: String) -> BoxFuture<'_, ApiResult<UserRef>> {
        Box::pin(async move {
            let display_name = bot_name(display_name)?;
            self.store.create(username, display_name, true).await.map(user_ref)
        })
    }

    fn rename_bot(&self, id: i64, display_name: String) -> BoxFuture<'_, ApiResult<()>> {
        Box::pin(async move {
            let change = ProfileChange {
                display_name: Some(bot_name(display_name)?),
                ..Default::default()
            };
            self.store.update_profile(id, change).await.map(|_| ())
        })
    }

    fn find_by_username<'a>(&'a self, username: &'a str) -> BoxFuture<'a, ApiResult<Option<UserRef>>> {
        Box::pin(async move { Ok(self.store.by_username(username).await?.map(user_ref)) })
    }

    fn get(&self, id: i64) -> BoxFuture<'_, ApiResult<Option<UserRef>>> {
        Box::pin(async move { Ok(self.store.get(id).await?.map(user_ref)) })
    }

    fn cards<'a>(&'a self, ids: &'a [i64]) -> BoxFuture<'a, ApiResult<Vec<UserCard>>> {
        Box::pin(async move {
            let rows = self.store.many(ids).await?;
            Ok(rows
                .into_iter()
                .map(|row| UserCard {
                    id: row.id,
                    username: row.username,
                    display_name: row.display_name,
                    is_bot: row.is_bot != 0,
                })
                .collect())
        })
    }

    fn delete(&self, id: i64) -> BoxFuture<'_, ApiResult<()>> {
        Box::pin(self.store.delete(id))
    }

    fn is_blocked(&self, blocker: i64, target: i64) -> BoxFuture<'_, ApiResult<bool>> {
        Box::pin(self.store.is_blocked(blocker, target))
    }

    fn blocks_between<'a>(&'a self, user: i64, others: &'a [i64]) -> BoxFuture<'a, ApiResult<Vec<i64>>> {
        Box::pin(self.store.blocks_between(user, others))
    }

    fn add_policies<'a>(&'a self, ids: &'a [i64]) -> BoxFuture<'a, ApiResult<Vec<(i64, AddPolicy)>>> {
        Box::pin(async move {
            let rows = self.store.add_policies(ids).await?;
            Ok(rows
                .into_iter()
                .map(|(id, code)| (id, AddPolicy::from_code(code)))
                .collect())
        })
    }
}
