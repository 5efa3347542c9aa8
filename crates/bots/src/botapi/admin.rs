//! The Bot API's chat administration: members (get, ban, unban, restrict, promote), the chat's
//! title and description, leaving, invite links and join requests. Each is one chats action
//! done as the bot, so the bot needs the rights a person would (docs/bots.md, "Administration").

use axum::http::StatusCode;
use hybrid_chats_api::{Action, InviteTerms, InviteView, MemberView, Outcome};
use hybrid_core::{ApiError, now_ms};
use serde::Deserialize;
use serde_json::{Value, json};

use super::Call;
use super::params::Params;
use super::reply::{BotError, BotResult};
use super::shapes::{self, ChatMeta};

/// Telegram: a ban or restriction for less than 30 seconds or more than 366 days is forever.
const SHORTEST_SECS: i64 = 30;
const LONGEST_SECS: i64 = 366 * 24 * 3600;

/// Telegram's `ChatPermissions` (restrictChatMember), the fields Hybrid has rights for.
#[derive(Debug, Default, Deserialize)]
struct ChatPermissions {
    can_send_messages: Option<bool>,
    can_invite_users: Option<bool>,
    can_pin_messages: Option<bool>,
    can_change_info: Option<bool>,
}

/// promoteChatMember's rights and the chats permission each one is.
const ADMIN_RIGHTS: &[(&str, &str)] = &[
    ("can_delete_messages", "delete_others"),
    ("can_restrict_members", "remove_members"),
    ("can_promote_members", "manage_admins"),
    ("can_change_info", "change_info"),
    ("can_invite_users", "invite"),
    ("can_pin_messages", "pin"),
    ("can_post_messages", "send_messages"),
    ("can_edit_messages", "edit_others"),
];

/// The rights of [`ADMIN_RIGHTS`] that only channels have.
const CHANNEL_RIGHTS: &[&str] = &["can_post_messages", "can_edit_messages"];

/// Rights promoteChatMember may grant that Hybrid has no permission for: any of them alone
/// still makes the user an admin.
const OTHER_ADMIN_RIGHTS: &[&str] = &[
    "can_manage_chat",
    "can_manage_video_chats",
    "can_post_stories",
    "can_edit_stories",
    "can_delete_stories",
    "can_manage_topics",
];

impl Call<'_> {
    /// A group or channel of the bot's named by `chat_id` (private chats have nothing to
    /// administer).
    async fn group(&self, params: &Params) -> BotResult<ChatMeta> {
        let meta = self.chat(params, "chat_id").await?;
        if meta.kind == "direct" {
            return Err(BotError::bad_request(
                "method is available for supergroup and channel chats only",
            ));
        }
        Ok(meta)
    }

    fn user_id(params: &Params) -> BotResult<i64> {
        let id = params.required_integer("user_id")?;
        if id <= 0 {
            return Err(BotError::bad_request("invalid user_id specified"));
        }
        Ok(id)
    }

    /// Runs an administration action; chats' 403 is Telegram's "not enough rights" (400), its
    /// 404 for a user "user not found".
    async fn administer(&self, action: Action, doing: &str) -> BotResult<Outcome> {
        self.act(action).await.map_err(|err| admin_error(err, doing))
    }

    async fn member_of(&self, meta: &ChatMeta, user_id: i64) -> BotResult<Value> {
        let action = Action::Member {
            chat_id: meta.chat_id,
            user_id,
        };
        let Outcome::Member(view) = self.administer(action, "get chat member").await? else {
            return Err(BotError::bad_request("user not found"));
        };
        self.render_member(meta, &view).await
    }

    async fn render_member(&self, meta: &ChatMeta, view: &MemberView) -> BotResult<Value> {
        let cards = self.cards(&[view.user_id]).await?;
        if !cards.contains_key(&view.user_id) {
            return Err(BotError::bad_request("user not found"));
        }
        let user = shapes::user(&cards, view.user_id);
        Ok(shapes::chat_member(user, view, &meta.kind))
    }

    pub(super) async fn get_chat_member(&self, params: &Params) -> BotResult<Value> {
        let meta = self.chat(params, "chat_id").await?;
        self.member_of(&meta, Self::user_id(params)?).await
    }

    pub(super) async fn get_chat_member_count(&self, params: &Params) -> BotResult<Value> {
        let meta = self.chat(params, "chat_id").await?;
        Ok(json!(self.chat_view(meta.chat_id).await?.member_count))
    }

    pub(super) async fn get_chat_administrators(&self, params: &Params) -> BotResult<Value> {
        let meta = self.group(params).await?;
        let action = Action::Administrators { chat_id: meta.chat_id };
        let Outcome::Members { members } = self.administer(action, "get administrators").await? else {
            return Ok(json!([]));
        };
        let ids: Vec<i64> = members.iter().map(|m| m.user_id).collect();
        let cards = self.cards(&ids).await?;
        Ok(Value::Array(
            members
                .iter()
                .filter(|m| cards.contains_key(&m.user_id))
                .map(|m| shapes::chat_member(shapes::user(&cards, m.user_id), m, &meta.kind))
                .collect(),
        ))
    }

    pub(super) async fn ban_chat_member(&self, params: &Params) -> BotResult<Value> {
        let meta = self.group(params).await?;
        let user_id = Self::user_id(params)?;
        let until = until(params.integer("until_date")?);
        let action = Action::Ban {
            chat_id: meta.chat_id,
            user_id,
            until,
        };
        self.administer(action, "restrict/unrestrict chat member").await?;
        Ok(Value::Bool(true))
    }

    pub(super) async fn unban_chat_member(&self, params: &Params) -> BotResult<Value> {
        let meta = self.group(params).await?;
        let action = Action::Unban {
            chat_id: meta.chat_id,
            user_id: Self::user_id(params)?,
            only_if_banned: params.boolean("only_if_banned")?.unwrap_or(false),
        };
        self.administer(action, "restrict/unrestrict chat member").await?;
        Ok(Value::Bool(true))
    }

    /// Sets a member's rights: each `true` an allow, each `false` (or left out, as in
    /// Telegram) a deny. Hybrid's restrictions last until lifted (`until_date` is not kept), and changing
    /// a member's rights takes `manage_admins` (docs/bots.md).
    pub(super) async fn restrict_chat_member(&self, params: &Params) -> BotResult<Value> {
        let meta = self.group(params).await?;
        let user_id = Self::user_id(params)?;
        let permissions: ChatPermissions = params
            .json("permissions", "permissions")?
            .ok_or_else(|| BotError::bad_request("permissions is empty"))?;
        let current = self.standing(&meta, user_id).await?;
        if current.status != "member" {
            return Err(BotError::bad_request(match current.status.as_str() {
                "owner" | "admin" => "can't restrict self or an administrator",
                _ => "user is not a member of the chat",
            }));
        }
        let (mut allow, mut deny) = (current.allow.clone(), current.deny.clone());
        let rules = [
            (permissions.can_send_messages, "send_messages"),
            (permissions.can_invite_users, "invite"),
            (permissions.can_pin_messages, "pin"),
            (permissions.can_change_info, "change_info"),
        ];
        for (can, name) in rules {
            // as in Telegram, a right left out is not granted
            let can = can.unwrap_or(false);
            let (add_to, take_from) = if can {
                (&mut allow, &mut deny)
            } else {
                (&mut deny, &mut allow)
            };
            take_from.retain(|p| p != name);
            if !add_to.iter().any(|p| p == name) {
                add_to.push(name.to_owned());
            }
        }
        let action = Action::SetMember {
            chat_id: meta.chat_id,
            user_id,
            role: None,
            allow: Some(allow),
            deny: Some(deny),
        };
        self.administer(action, "restrict/unrestrict chat member").await?;
        Ok(Value::Bool(true))
    }

    /// Makes a member an admin with the rights given (rights left out are denied), or, with
    /// no right at all, a plain member again.
    pub(super) async fn promote_chat_member(&self, params: &Params) -> BotResult<Value> {
        let meta = self.group(params).await?;
        let user_id = Self::user_id(params)?;
        let mut granted = Vec::new();
        let mut denied = Vec::new();
        for (right, permission) in ADMIN_RIGHTS {
            // posting and editing posts are channels' rights; a group's admins have them anyway
            if CHANNEL_RIGHTS.contains(right) && meta.kind != "channel" {
                continue;
            }
            match params.boolean(right)? {
                Some(true) => granted.push(permission.to_string()),
                _ => denied.push(permission.to_string()),
            }
        }
        let mut other = false;
        for right in OTHER_ADMIN_RIGHTS {
            other |= params.boolean(right)?.unwrap_or(false);
        }
        let admin = other || !granted.is_empty();
        let action = Action::SetMember {
            chat_id: meta.chat_id,
            user_id,
            role: Some(if admin { "admin" } else { "member" }.into()),
            allow: Some(if admin {
                granted.into_iter().filter(|p| p == "manage_admins").collect()
            } else {
                Vec::new()
            }),
            deny: Some(if admin {
                denied.into_iter().filter(|p| p != "manage_admins").collect()
            } else {
                Vec::new()
            }),
        };
        self.administer(action, "promote chat member").await?;
        Ok(Value::Bool(true))
    }

    async fn standing(&self, meta: &ChatMeta, user_id: i64) -> BotResult<MemberView> {
        let action = Action::Member {
            chat_id: meta.chat_id,
            user_id,
        };
        match self.administer(action, "get chat member").await? {
            Outcome::Member(view) => Ok(view),
            _ => Err(BotError::bad_request("user not found")),
        }
    }

    pub(super) async fn set_chat_title(&self, params: &Params) -> BotResult<Value> {
        let meta = self.group(params).await?;
        let title = params.required_string("title", "chat title is empty")?;
        let action = Action::UpdateChat {
            chat_id: meta.chat_id,
            title: Some(title),
            description: None,
        };
        self.administer(action, "change chat title").await?;
        Ok(Value::Bool(true))
    }

    pub(super) async fn set_chat_description(&self, params: &Params) -> BotResult<Value> {
        let meta = self.group(params).await?;
        let action = Action::UpdateChat {
            chat_id: meta.chat_id,
            title: None,
            description: Some(params.string("description")?.unwrap_or_default()),
        };
        self.administer(action, "change chat description").await?;
        Ok(Value::Bool(true))
    }

    pub(super) async fn leave_chat(&self, params: &Params) -> BotResult<Value> {
        let meta = self.group(params).await?;
        self.act(Action::Leave { chat_id: meta.chat_id }).await?;
        Ok(Value::Bool(true))
    }

    pub(super) async fn create_chat_invite_link(&self, params: &Params) -> BotResult<Value> {
        let meta = self.group(params).await?;
        let action = Action::CreateInvite {
            chat_id: meta.chat_id,
            terms: terms(params)?,
        };
        self.invite(action).await
    }

    pub(super) async fn edit_chat_invite_link(&self, params: &Params) -> BotResult<Value> {
        let meta = self.group(params).await?;
        let action = Action::EditInvite {
            chat_id: meta.chat_id,
            code: link_code(params)?,
            terms: terms(params)?,
        };
        self.invite(action).await
    }

    pub(super) async fn revoke_chat_invite_link(&self, params: &Params) -> BotResult<Value> {
        let meta = self.group(params).await?;
        let action = Action::RevokeInvite {
            chat_id: meta.chat_id,
            code: link_code(params)?,
        };
        self.invite(action).await
    }

    /// A new primary link: the bot's previous one stops working, as in Telegram.
    pub(super) async fn export_chat_invite_link(&self, params: &Params) -> BotResult<Value> {
        let meta = self.group(params).await?;
        let action = Action::CreateInvite {
            chat_id: meta.chat_id,
            terms: InviteTerms::default(),
        };
        let Outcome::Invite(link) = self.administer(action, "invite users via link").await? else {
            return Err(BotError::bad_request("can't create invite link"));
        };
        let old = self
            .bots
            .store
            .swap_primary_invite(self.id(), meta.chat_id, &link.code)
            .await?;
        if let Some(code) = old {
            let revoke = Action::RevokeInvite {
                chat_id: meta.chat_id,
                code,
            };
            // a link revoked meanwhile (by an admin) is what we want
            if let Err(err) = self.act(revoke).await
                && err.status != StatusCode::NOT_FOUND
            {
                return Err(err.into());
            }
        }
        Ok(json!(self.bots.invite_url(&link.code)))
    }

    async fn invite(&self, action: Action) -> BotResult<Value> {
        match self.administer(action, "invite users via link").await? {
            Outcome::Invite(link) => self.render_invite(&link).await,
            _ => Err(BotError::bad_request("invite link not found")),
        }
    }

    async fn render_invite(&self, link: &InviteView) -> BotResult<Value> {
        let cards = self.cards(&[link.created_by]).await?;
        let creator = shapes::user(&cards, link.created_by);
        Ok(shapes::invite_link(link, creator, self.bots.invite_url(&link.code)))
    }

    pub(super) async fn decide_join_request(&self, params: &Params, approve: bool) -> BotResult<Value> {
        let meta = self.group(params).await?;
        let action = Action::DecideJoin {
            chat_id: meta.chat_id,
            user_id: Self::user_id(params)?,
            approve,
        };
        match self.act(action).await {
            Ok(_) => Ok(Value::Bool(true)),
            Err(err) if err.status == StatusCode::NOT_FOUND => Err(BotError::bad_request("HIDE_REQUESTER_MISSING")),
            Err(err) => Err(admin_error(err, "invite users")),
        }
    }
}

/// A Telegram `until_date` (Unix seconds; 0, absent, too near or too far: forever) as the
/// end of a Hybrid ban (Unix ms).
fn until(date: Option<i64>) -> Option<i64> {
    let date = date?;
    (SHORTEST_SECS..=LONGEST_SECS)
        .contains(&(date - now_ms() / 1000))
        .then_some(date * 1000)
}

/// An invite link's terms from createChatInviteLink/editChatInviteLink's parameters.
fn terms(params: &Params) -> BotResult<InviteTerms> {
    let expires_in_secs = match params.integer("expire_date")? {
        None | Some(0) => None,
        Some(date) => match date - now_ms() / 1000 {
            secs if secs < 60 => return Err(BotError::bad_request("EXPIRE_DATE_INVALID")),
            secs => Some(secs),
        },
    };
    let needs_approval = params.boolean("creates_join_request")?.unwrap_or(false);
    let usage_limit = params.integer("member_limit")?.filter(|&n| n != 0);
    if needs_approval && usage_limit.is_some() {
        return Err(BotError::bad_request(
            "member_limit can't be specified for links requiring administrator approval",
        ));
    }
    Ok(InviteTerms {
        expires_in_secs,
        usage_limit,
        name: params.string("name")?.unwrap_or_default(),
        needs_approval,
    })
}

fn link_code(params: &Params) -> BotResult<String> {
    let link = params.required_string("invite_link", "invite_link is empty")?;
    Ok(shapes::invite_code(&link).to_owned())
}

/// Chats' refusals in Telegram's words for administration.
fn admin_error(err: ApiError, doing: &str) -> BotError {
    match err.status {
        StatusCode::FORBIDDEN => BotError::bad_request(format!("not enough rights to {doing}")),
        StatusCode::NOT_FOUND if err.message.contains("user") || err.message.contains("member") => {
            BotError::bad_request("user not found")
        }
        StatusCode::NOT_FOUND if err.message.contains("invite") => BotError::bad_request("INVITE_HASH_EXPIRED"),
        StatusCode::NOT_FOUND => BotError::chat_not_found(),
        _ => err.into(),
    }
}
