//! [`ChatActions`]: another service (the bots service) acting in chats on a user's behalf.
//! Every action is one of the chats API's own operations, with the same rules, so a bot can do
//! in a chat exactly what a person with its role could.

use axum::http::StatusCode;
use futures::future::BoxFuture;
use hybrid_chats_api::{Action, ChatActions, ChatMessage, ChatView, InviteTerms, InviteView, MemberView, Outcome};
use hybrid_core::{ApiError, ApiResult};
use serde::de::DeserializeOwned;

use crate::api::{ChatInfo, InviteLink, Message, UpdateChat, UpdateMember, kind_str, parse_role, role_str};
use crate::invites::InviteOptions;
use crate::messages::{HistoryFrom, MessageEdit, NewMessage, Only, visible_message};
use crate::policy::{self, Access, Permission, Role};
use crate::service::{Chats, member};
use crate::store;

impl ChatActions for Chats {
    fn act(&self, user_id: i64, action: Action) -> BoxFuture<'_, ApiResult<Outcome>> {
        Box::pin(self.act_as(user_id, action))
    }
}

impl Chats {
    async fn act_as(&self, me: i64, action: Action) -> ApiResult<Outcome> {
        let done = Ok(Outcome::Done);
        match action {
            Action::Send {
                chat_id,
                text,
                entities,
                reply_to,
                reply_markup,
                attach,
                nonce,
            } => {
                let new = NewMessage {
                    text,
                    entities,
                    reply_to,
                    nonce,
                    attachment: attach.map(|token| self.attachment_from_token(me, &token)).transpose()?,
                    forwarded_from: None,
                    reply_markup: reply_markup.map(|markup| markup.to_string()),
                };
                let (message, _) = self.send(me, chat_id, new).await?;
                Ok(message_outcome(message, true))
            }
            Action::Forward {
                from_chat_id,
                seq,
                chat_id,
            } => {
                let new = self.forwarded(me, from_chat_id, seq).await?;
                let (message, _) = self.send(me, chat_id, new).await?;
                Ok(message_outcome(message, true))
            }
            Action::Edit {
                chat_id,
                seq,
                text,
                entities,
                reply_markup,
            } => {
                let edit = MessageEdit {
                    text: text.map(|text| (text, entities)),
                    reply_markup: reply_markup.map(|markup| markup.map(|m| m.to_string())),
                };
                let (message, changed) = self.edit_message(me, chat_id, seq, edit).await?;
                Ok(message_outcome(message, changed))
            }
            Action::Delete { chat_id, seq } => self.delete(me, chat_id, seq).await.and(done),
            Action::Pin { chat_id, seq, pinned } => self.pin(me, chat_id, seq, pinned).await.and(done),
            Action::React { chat_id, seq, emoji } => self.set_reactions(me, chat_id, seq, emoji).await.and(done),
            Action::Typing { chat_id } => self.typing(me, chat_id).await.and(done),
            Action::Leave { chat_id } => self.leave(me, chat_id).await.and(done),
            Action::Message { chat_id, seq } => {
                let mut reads = self.db.reads();
                let member = member(&mut reads, chat_id, me).await?;
                let row = visible_message(&mut reads, chat_id, seq, &member, false).await?;
                Ok(message_outcome(Message::from(row), false))
            }
            Action::Chat { chat_id } => Ok(Outcome::Chat(chat_view(self.chat(me, chat_id).await?))),
            Action::Direct { peer } => {
                let key = format!("{}:{}", me.min(peer), me.max(peer));
                let chat_id = crate::store::chats::direct(&mut self.db.reads(), &key).await?;
                Ok(Outcome::Direct { chat_id })
            }
            Action::Member { chat_id, user_id } => Ok(Outcome::Member(self.standing_of(me, chat_id, user_id).await?)),
            Action::Administrators { chat_id } => {
                let member = self.member(chat_id, me).await?;
                let staff = store::members::staff(&mut self.db.reads(), chat_id).await?;
                let members = staff
                    .into_iter()
                    .map(|(user_id, role, allow, deny, _)| {
                        member_view(
                            user_id,
                            &Access {
                                kind: member.kind(),
                                role: parse_role(&role),
                                allow,
                                deny,
                            },
                        )
                    })
                    .collect();
                Ok(Outcome::Members { members })
            }
            Action::Ban {
                chat_id,
                user_id,
                until,
            } => self.ban(me, chat_id, user_id, until).await.and(done),
            Action::Unban {
                chat_id,
                user_id,
                only_if_banned,
            } => {
                if !only_if_banned && self.member_if_any(chat_id, user_id).await?.is_some() {
                    self.remove_member(me, chat_id, user_id).await?;
                }
                match self.unban(me, chat_id, user_id).await {
                    // nobody to unban is what the caller wanted
                    Err(err) if err.status == StatusCode::NOT_FOUND && self.member(chat_id, me).await.is_ok() => done,
                    other => other.and(done),
                }
            }
            Action::SetMember {
                chat_id,
                user_id,
                role,
                allow,
                deny,
            } => {
                let update = UpdateMember {
                    role: role.map(|role| parse_name(&role, "role")).transpose()?,
                    allow: allow.map(|names| parse_names(&names, "allow")).transpose()?,
                    deny: deny.map(|names| parse_names(&names, "deny")).transpose()?,
                };
                self.update_member(me, chat_id, user_id, update).await?;
                Ok(Outcome::Member(self.standing_of(me, chat_id, user_id).await?))
            }
            Action::UpdateChat {
                chat_id,
                title,
                description,
            } => {
                let update = UpdateChat {
                    title,
                    description,
                    history_visibility: None,
                    avatar: None,
                };
                Ok(Outcome::Chat(chat_view(self.update(me, chat_id, update).await?)))
            }
            Action::CreateInvite { chat_id, terms } => {
                let link = self.create_invite(me, chat_id, terms.into()).await?;
                self.invite_outcome(link).await
            }
            Action::EditInvite { chat_id, code, terms } => {
                let link = self.edit_invite(me, chat_id, code, terms.into()).await?;
                self.invite_outcome(link).await
            }
            Action::RevokeInvite { chat_id, code } => {
                let link = self.revoke_invite(me, chat_id, code).await?;
                self.invite_outcome(link).await
            }
            Action::DecideJoin {
                chat_id,
                user_id,
                approve,
            } => self.decide_join(me, chat_id, user_id, approve).await.and(done),
            Action::AddMembers { chat_id, user_ids } => self.add_members(me, chat_id, user_ids).await.and(done),
            Action::OpenDirect { peer } => Ok(Outcome::Chat(chat_view(self.open_direct(me, peer).await?.0))),
            Action::Members { chat_id, after, limit } => {
                let members = self.members(me, chat_id, after, limit.clamp(1, MAX_PAGE)).await?;
                let members = members
                    .into_iter()
                    .map(|m| listed_member(m.user_id, m.role, [m.permissions, m.allow, m.deny]))
                    .collect();
                Ok(Outcome::Members { members })
            }
            Action::History { chat_id, before, limit } => {
                let from = before.map_or(HistoryFrom::Latest, HistoryFrom::Before);
                let page = self
                    .history(me, chat_id, from, limit.clamp(1, MAX_PAGE), Only::All)
                    .await?;
                let messages = page.messages.into_iter().rev().map(chat_message).collect();
                Ok(Outcome::Messages { messages })
            }
        }
    }

    /// `user`'s standing in a chat, asked by member `me` (a channel's subscriber learns only
    /// about its staff and themselves, as `members` shows them; only who may see the ban list
    /// learns of a ban).
    async fn standing_of(&self, me: i64, chat_id: i64, user: i64) -> ApiResult<MemberView> {
        let asker = self.member(chat_id, me).await?;
        let mut reads = self.db.reads();
        if let Some(member) = store::members::standing(&mut reads, chat_id, user).await?
            && !(asker.is_channel_subscriber() && member.is_channel_subscriber() && user != me)
        {
            return Ok(member_view(user, &member.access));
        }
        let ban = match asker.access.can(Permission::RemoveMembers) {
            true => store::bans::ban_of(&mut reads, chat_id, user).await?,
            false => None,
        };
        Ok(MemberView {
            user_id: user,
            status: if ban.is_some() { "banned" } else { "none" }.to_owned(),
            permissions: Vec::new(),
            allow: Vec::new(),
            deny: Vec::new(),
            until: ban.flatten(),
        })
    }

    async fn invite_outcome(&self, link: InviteLink) -> ApiResult<Outcome> {
        let pending = store::join_requests::count_for(&mut self.db.reads(), link.chat_id, &link.code).await?;
        Ok(Outcome::Invite(InviteView {
            code: link.code,
            created_by: link.created_by,
            expires_at: link.expires_at,
            usage_limit: link.usage_limit,
            uses: link.uses,
            revoked: link.revoked,
            name: link.name,
            needs_approval: link.needs_approval,
            pending,
        }))
    }

    /// Makes `me`'s reactions on a message exactly `emoji`: removes the others, adds the
    /// missing ones.
    async fn set_reactions(&self, me: i64, chat_id: i64, seq: i64, emoji: Vec<String>) -> ApiResult<()> {
        if emoji.len() > 3 {
            return Err(ApiError::validation("reaction", "at most 3 reactions"));
        }
        let current = crate::store::messages::reactions_of(&mut self.db.reads(), chat_id, seq, me).await?;
        for old in current.iter().filter(|old| !emoji.contains(old)) {
            self.react(me, chat_id, seq, old, false).await?;
        }
        for new in emoji.iter().filter(|new| !current.contains(new)) {
            self.react(me, chat_id, seq, new, true).await?;
        }
        Ok(())
    }
}

/// The most members or messages one action reads.
const MAX_PAGE: i64 = 200;

fn message_outcome(message: Message, changed: bool) -> Outcome {
    Outcome::Message(ChatMessage {
        changed,
        ..chat_message(message)
    })
}

fn chat_message(message: Message) -> ChatMessage {
    ChatMessage {
        chat_id: message.chat_id,
        seq: message.seq,
        sender_id: message.sender_id,
        text: message.text,
        entities: message.entities,
        reply_to: message.reply_to,
        created_at: message.created_at,
        edited_at: message.edited_at,
        forwarded_from: message.forwarded_from,
        reply_markup: message.reply_markup,
        attachment: message
            .attachment
            .map(|card| serde_json::to_value(card).expect("cards serialise")),
        service: message.action.is_some(),
        changed: false,
    }
}

fn member_view(user_id: i64, access: &Access) -> MemberView {
    let [permissions, allow, deny] = [access.effective(), access.allow, access.deny].map(policy::names);
    listed_member(user_id, access.role, [permissions, allow, deny])
}

/// A member with their effective, granted and withheld permissions.
fn listed_member(user_id: i64, role: Role, [permissions, allow, deny]: [Vec<Permission>; 3]) -> MemberView {
    MemberView {
        user_id,
        status: role_str(role).to_owned(),
        permissions: permission_names(permissions),
        allow: permission_names(allow),
        deny: permission_names(deny),
        until: None,
    }
}

fn permission_names(permissions: Vec<Permission>) -> Vec<String> {
    permissions
        .into_iter()
        .map(|p| {
            serde_json::to_value(p)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default()
        })
        .collect()
}

/// A value of the chats API's (a role, a permission) from its name.
fn parse_name<T: DeserializeOwned>(name: &str, field: &str) -> ApiResult<T> {
    serde_json::from_value(serde_json::Value::String(name.to_owned()))
        .map_err(|_| ApiError::validation(field, format!("`{name}` is not one of the chats API's names")))
}

fn parse_names<T: DeserializeOwned>(names: &[String], field: &str) -> ApiResult<Vec<T>> {
    names.iter().map(|name| parse_name(name, field)).collect()
}

impl From<InviteTerms> for InviteOptions {
    fn from(terms: InviteTerms) -> Self {
        InviteOptions {
            expires_in_secs: terms.expires_in_secs,
            usage_limit: terms.usage_limit,
            name: terms.name,
            needs_approval: terms.needs_approval,
        }
    }
}

fn chat_view(chat: ChatInfo) -> ChatView {
    ChatView {
        id: chat.id,
        kind: kind_str(chat.kind).to_owned(),
        title: chat.title,
        description: chat.description,
        peer_id: chat.peer_id,
        member_count: chat.member_count,
        role: role_str(chat.my_role).to_owned(),
    }
}
