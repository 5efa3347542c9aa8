//! The notify service's logic for its HTTP API: the list, marking read, a chat's setting.
//! Entries are made by `follow.rs`; SQL stays in `store.rs`.

use std::sync::Arc;

use hybrid_chats_api::ChatMembership;
use hybrid_core::bus::{Bus, Bytes, Envelope};
use hybrid_core::{ApiError, ApiResult, now_ms, page_limit, parse_cursor};

use hybrid_store::Db;

use crate::api::{
    ChatSetting, ChatSettingUpdate, NewPushSubscription, NotificationPage, PushSubscription, UserSettings,
};
use crate::events::NotifyFrame;
use crate::settings::NotifyConfig;
use crate::store::Store;
use crate::webpush::{BadKeys, Receiver};
use crate::{defaults, push, quiet};

/// Entries are kept this long, read or not.
pub const RETENTION_MS: i64 = 90 * 24 * 3600 * 1000;

pub struct Notify {
    pub store: Store,
    pub db: Db,
    pub bus: Arc<dyn Bus>,
    pub chats: Arc<dyn ChatMembership>,
    /// This server's VAPID public key, base64url.
    pub push_key: String,
    pub config: NotifyConfig,
    pub email: crate::email::EmailSettingsStore,
    pub hooks: Arc<crate::hooks::Hooks>,
}

impl Notify {
    /// A page of `user_id`'s entries, newest first, with the unread count.
    pub async fn page(&self, user_id: i64, cursor: Option<&str>, limit: Option<i64>) -> ApiResult<NotificationPage> {
        let limit = page_limit(limit, 50, 100)?;
        let before = parse_cursor::<1>(cursor)?.map_or(i64::MAX, |[id]| id);
        let (mut items, unread_count) = self.store.page(user_id, before, limit + 1).await?;
        let next_cursor = (items.len() as i64 > limit).then(|| {
            items.truncate(limit as usize);
            items.last().map_or_else(String::new, |n| n.id.to_string())
        });
        Ok(NotificationPage {
            items,
            next_cursor,
            unread_count,
        })
    }

    /// Marks entries read and tells the user's other devices; the unread count after.
    pub async fn mark_read(&self, user_id: i64, up_to: Option<i64>) -> ApiResult<i64> {
        let unread_count = self.store.mark_read(user_id, up_to, now_ms()).await?;
        let frame = NotifyFrame::Read {
            up_to,
            ids: None,
            unread_count,
        };
        let topic = hybrid_realtime_api::user(user_id);
        self.bus
            .publish(Envelope::ephemeral(topic, Bytes::from(hybrid_core::frame_text(&frame))));
        Ok(unread_count)
    }

    /// `user_id`'s setting for a chat they are in (404 otherwise).
    pub async fn setting(&self, user_id: i64, chat_id: i64) -> ApiResult<ChatSetting> {
        self.require_member(user_id, chat_id).await?;
        self.store.setting(user_id, chat_id).await
    }

    pub async fn set(&self, user_id: i64, chat_id: i64, update: ChatSettingUpdate) -> ApiResult<ChatSetting> {
        let muted_until = update.muted_until.filter(|until| *until > 0);
        if muted_until.is_some_and(|until| until <= now_ms()) {
            return Err(ApiError::validation("muted_until", "must be in the future"));
        }
        self.require_member(user_id, chat_id).await?;
        let setting = ChatSetting {
            chat_id,
            level: update.level,
            muted_until,
        };
        self.store.set(user_id, setting).await?;
        Ok(setting)
    }

    /// `user_id`'s chats with a setting of their own.
    pub async fn settings(&self, user_id: i64) -> ApiResult<Vec<ChatSetting>> {
        self.store.settings(user_id).await
    }

    /// Subscribes a browser of `user_id`, signed in as `session_id`, to their notifications
    /// (again: the endpoint moves to them, with its new keys).
    pub async fn subscribe(
        &self,
        user_id: i64,
        session_id: i64,
        new: NewPushSubscription,
    ) -> ApiResult<PushSubscription> {
        let endpoint = new.endpoint.trim().to_owned();
        if endpoint.len() > 2048 || !(endpoint.starts_with("https://") || endpoint.starts_with("http://")) {
            return Err(ApiError::validation(
                "endpoint",
                "must be an http(s) URL of at most 2048 characters",
            ));
        }
        if let Err(bad) = Receiver::from_base64(&new.keys.p256dh, &new.keys.auth) {
            let (field, message) = match bad {
                BadKeys::PublicKey => ("keys.p256dh", "must be an uncompressed P-256 public key, base64url"),
                BadKeys::AuthSecret => ("keys.auth", "must be 16 bytes, base64url"),
            };
            return Err(ApiError::validation(field, message));
        }
        let subscription = push::NewSubscription {
            user_id,
            session_id,
            endpoint,
            p256dh: new.keys.p256dh,
            auth: new.keys.auth,
            hide_content: new.hide_content,
        };
        push::subscribe(&self.db, subscription, self.config.max_push_subscriptions_per_user).await
    }

    pub async fn subscriptions(&self, user_id: i64) -> ApiResult<Vec<PushSubscription>> {
        push::subscriptions(&self.db, user_id).await
    }

    pub async fn unsubscribe(&self, user_id: i64, id: i64) -> ApiResult<()> {
        match push::unsubscribe(&self.db, user_id, id).await? {
            true => Ok(()),
            false => Err(ApiError::not_found("push subscription")),
        }
    }

    pub async fn user_settings(&self, user_id: i64) -> ApiResult<UserSettings> {
        let mut reads = self.db.reads();
        Ok(UserSettings {
            quiet_hours: quiet::get(&mut reads, user_id).await?,
            defaults: defaults::get(&mut reads, user_id).await?,
        })
    }

    pub async fn set_user_settings(&self, user_id: i64, settings: UserSettings) -> ApiResult<UserSettings> {
        Ok(UserSettings {
            quiet_hours: quiet::set(&self.db, user_id, settings.quiet_hours).await?,
            defaults: defaults::set(&self.db, user_id, settings.defaults).await?,
        })
    }

    /// Drops entries past their retention, and each user's oldest beyond the cap.
    pub async fn prune(&self) -> ApiResult<u64> {
        self.store
            .prune(now_ms() - RETENTION_MS, self.config.max_entries_per_user)
            .await
    }

    /// Adds a webhook of `user_id`'s, for one of their chats or all.
    pub async fn add_webhook(&self, user_id: i64, new: crate::api::NewWebhook) -> ApiResult<crate::api::Webhook> {
        if let Some(chat_id) = new.chat_id {
            self.require_member(user_id, chat_id).await?;
        }
        self.hooks.add(user_id, new).await
    }

    /// A page of a webhook's delivery log.
    pub async fn webhook_deliveries(
        &self,
        user_id: i64,
        id: i64,
        cursor: Option<&str>,
        limit: Option<i64>,
    ) -> ApiResult<crate::api::DeliveryPage> {
        let limit = page_limit(limit, 50, 100)?;
        let before = parse_cursor::<1>(cursor)?.map(|[id]| id);
        self.hooks.deliveries(user_id, id, before, limit).await
    }

    async fn require_member(&self, user_id: i64, chat_id: i64) -> ApiResult<()> {
        match self.chats.membership(chat_id, user_id).await? {
            Some(_) => Ok(()),
            None => Err(ApiError::not_found("chat")),
        }
    }
}
