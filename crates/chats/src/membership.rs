//! Chats and who is in them: create, list, update; add, remove, leave, promote, transfer.
//! Invite links and join requests are in `invites.rs`, bans in `bans.rs`.

use std::collections::HashMap;
use std::time::Duration;

use hybrid_chats_api::avatar;
use hybrid_core::{ApiError, ApiResult, Code, Page};
use hybrid_realtime_api::Membership;
use hybrid_store::Sql;
use hybrid_users_api::{AddPolicy, UserCard};

use crate::api::{
    ChatInfo, ChatsCode, HistoryVisibility, MemberInfo, Message, MessageRow, ServiceAction, UpdateChat, UpdateMember,
    kind_str, parse_kind, parse_role, role_str,
};
use crate::events::{
    ChatAdded, ChatEvent, ChatRemoved, ChatUpdated, MemberChange, MemberGone, MemberJoined, MemberUpdated, Outbox,
    UserEvent,
};
use crate::messages::announce;
use crate::policy::{self, Access, ChatKind, Permission, Role};
use crate::service::{Chats, member, member_with};
use crate::store;
use crate::store::chats::ChatRow;

pub struct NewChat {
    pub kind: ChatKind,
    pub title: String,
    pub description: String,
    pub member_ids: Vec<i64>,
    pub history_visibility: HistoryVisibility,
}

pub const MAX_INITIAL_MEMBERS: usize = 200;

fn check_title(title: &str) -> ApiResult<String> {
    let title = title.trim();
    if title.is_empty() || title.chars().count() > 128 || title.chars().any(char::is_control) {
        return Err(ApiError::validation("title", "must be 1 to 128 characters on one line"));
    }
    Ok(title.to_owned())
}

fn check_description(description: &str) -> ApiResult<String> {
    let description = description.trim();
    if description.chars().count() > 1024 {
        return Err(ApiError::validation("description", "must be at most 1024 characters"));
    }
    Ok(description.to_owned())
}

/// How a member comes in: with the chat being created (they may sync its log from the start),
/// or later (from their join on).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Joining {
    AtCreation,
    Later,
}

/// How a member goes: by themselves, or removed by someone who may.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Leaving {
    Left,
    /// Removed and banned until then (`None`: until lifted).
    Removed {
        until: Option<i64>,
    },
}

/// Adds `user_id` to a chat inside a transaction, with its events. A user who joins by
/// themselves (creating a chat, following a link) may be in at most `max_chats` groups and
/// channels (direct chats do not count); adds by others pass `None`, so nobody can fill
/// someone else's quota. In a channel, a subscriber's join event does not name them.
/// Returns the chat's kind.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn add_member(
    tx: &mut Sql<'_>,
    out: &mut Outbox,
    chat_id: i64,
    user_id: i64,
    role: Role,
    by: i64,
    joining: Joining,
    max_chats: Option<i64>,
) -> ApiResult<ChatKind> {
    let (last_seq, kind, title) = store::chats::count_in(tx, chat_id).await?;
    if let Some(max_chats) = max_chats.filter(|_| kind != "direct") {
        if store::members::groups_of(tx, user_id).await? >= max_chats {
            return Err(ApiError::new(
                ChatsCode::TooManyChats,
                format!("you are in {max_chats} groups and channels already, the most one may be in"),
            ));
        }
    }
    store::members::insert(tx, chat_id, user_id, role_str(role), last_seq).await?;
    let kind = parse_kind(&kind);
    let named = !(kind == ChatKind::Channel && role == Role::Member);
    let joined = MemberJoined {
        user_id: Some(user_id).filter(|_| named),
        role,
        by: Some(by).filter(|_| named),
    };
    let pts = out
        .chat_event(tx, chat_id, ChatEvent::MemberJoined(joined), None)
        .await?;
    if joining == Joining::Later {
        // `sync` serves this member's log from its join event on.
        store::members::set_joined_pts(tx, chat_id, user_id, pts - 1).await?;
    }
    // The user's own stream carries the control: realtime nodes only listen to chats their
    // sockets' users are in, so the chat's stream would not reach them.
    let added = ChatAdded {
        chat_id,
        kind,
        title,
        by,
    };
    out.user_event(
        tx,
        user_id,
        UserEvent::ChatAdded(added),
        Some(Membership::Joined { chat_id, user_id }),
    )
    .await?;
    Ok(kind)
}

/// Removes `user_id` from a chat inside a transaction (`Leaving::Left` or `Leaving::Removed`). Their invite links stop working: a link admits people on behalf of a
/// member who may invite.
pub(crate) async fn drop_member(
    tx: &mut Sql<'_>,
    out: &mut Outbox,
    chat_id: i64,
    user_id: i64,
    leaving: Leaving,
    by: i64,
) -> ApiResult<()> {
    let role = store::members::delete(tx, chat_id, user_id).await?;
    let chat_kind = store::chats::count_out(tx, chat_id).await?;
    store::invites::revoke_made_by(tx, chat_id, user_id).await?;
    // The chat's own stream carries the control, so sockets get this event and nothing after.
    let left = Some(Membership::Left { chat_id, user_id });
    // a channel's subscribers do not learn who else reads it
    let named = !(parse_kind(&chat_kind) == ChatKind::Channel && parse_role(&role) == Role::Member);
    let mut gone = MemberGone {
        user_id: Some(user_id).filter(|_| named),
        by: Some(by).filter(|_| named),
        role: parse_role(&role),
        until: None,
    };
    let event = match leaving {
        Leaving::Left => ChatEvent::MemberLeft(gone),
        Leaving::Removed { until } => {
            gone.until = until;
            ChatEvent::MemberRemoved(gone)
        }
    };
    out.chat_event(tx, chat_id, event, left).await?;
    out.user_event(tx, user_id, UserEvent::ChatRemoved(ChatRemoved { chat_id, by }), None)
        .await?;
    if parse_kind(&chat_kind) != ChatKind::Channel {
        announce(tx, out, chat_id, by, &ServiceAction::MemberLeft { user_id }).await?;
    }
    Ok(())
}

impl Chats {
    /// The directory's cards of these users, by id (users that no longer exist are absent).
    pub(crate) async fn cards_by_id(&self, ids: impl Iterator<Item = i64>) -> ApiResult<HashMap<i64, UserCard>> {
        let ids: Vec<i64> = ids.collect();
        Ok(self
            .directory
            .cards(&ids)
            .await?
            .into_iter()
            .map(|c| (c.id, c))
            .collect())
    }
}

/// Username and display name from a user's card (empty for a user that no longer exists).
pub(crate) fn names(card: Option<UserCard>) -> (String, String) {
    card.map(|c| (c.username, c.display_name)).unwrap_or_default()
}

impl Chats {
    fn chat_info(&self, row: ChatRow, last_message: Option<Message>) -> ChatInfo {
        let kind = parse_kind(&row.kind);
        let role = parse_role(&row.role);
        let access = Access {
            kind,
            role,
            allow: row.allow_bits,
            deny: row.deny_bits,
        };
        let history = HistoryVisibility::parse(&row.history_visibility);
        let visible_from = if history == HistoryVisibility::All {
            1
        } else {
            row.joined_seq + 1
        };
        ChatInfo {
            id: row.id,
            kind,
            title: row.title,
            description: row.description,
            history_visibility: history,
            avatar: avatar::stored(row.avatar.as_deref()),
            member_count: row.member_count,
            created_at: row.created_at,
            pts: row.pts,
            last_seq: row.last_seq,
            last_activity_at: row.last_activity_at,
            peer_id: row.peer_id,
            peer_read_seq: row.peer_read_seq,
            my_role: role,
            my_permissions: policy::names(access.effective()),
            read_seq: row.read_seq,
            unread_count: row.unread_count,
            last_message: last_message.filter(|m| m.seq >= visible_from),
        }
    }

    /// The last message of each chat of the page, in one query.
    async fn last_messages(&self, rows: &[ChatRow]) -> ApiResult<Vec<Option<Message>>> {
        let with_messages = rows.iter().filter(|r| r.last_seq > 0).map(|r| r.id);
        let found = store::chats::last_messages(&mut self.db.reads(), with_messages).await?;
        let mut by_chat: HashMap<i64, MessageRow> = found.into_iter().map(|m| (m.chat_id, m)).collect();
        Ok(rows
            .iter()
            .map(|row| by_chat.remove(&row.id).map(Message::from))
            .collect())
    }

    /// `me` may put these users into a chat: they exist, do not block `me`, and their privacy
    /// setting lets `me` add them.
    async fn check_addable(&self, me: i64, users: &[i64], field: &str) -> ApiResult<()> {
        let restricted = self.directory.add_policies(users).await?;
        if !restricted.is_empty() {
            let limited: Vec<i64> = restricted
                .iter()
                .filter(|(_, policy)| *policy == AddPolicy::SharedChats)
                .map(|(id, _)| *id)
                .collect();
            let shared = store::members::sharing_a_chat(&mut self.db.reads(), me, &limited).await?;
            if let Some((user, _)) = restricted
                .iter()
                .find(|(id, policy)| *policy == AddPolicy::Nobody || !shared.contains(id))
            {
                return Err(ApiError::new(
                    ChatsCode::PrivacyRestricted,
                    format!("user {user}'s privacy settings do not let you add them; send them an invite link"),
                )
                .with_field(field));
            }
        }
        for &user in users {
            if self.directory.get(user).await?.is_none() {
                return Err(ApiError::validation(field, format!("no user with id {user}")));
            }
            if self.directory.is_blocked(user, me).await? {
                return Err(
                    ApiError::forbidden(format!("user {user} does not accept invitations from you")).with_field(field),
                );
            }
        }
        Ok(())
    }

    /// A chat as `me` sees it (404 for non-members).
    pub async fn chat(&self, me: i64, chat_id: i64) -> ApiResult<ChatInfo> {
        let row = store::chats::one(&mut self.db.reads(), me, chat_id)
            .await?
            .ok_or_else(|| ApiError::not_found("chat"))?;
        let last = self.last_messages(std::slice::from_ref(&row)).await?.pop().flatten();
        Ok(self.chat_info(row, last))
    }

    /// A page of my chats, most recent activity first, after the cursor `(last_activity_at, id)`.
    pub async fn my_chats(&self, me: i64, after: Option<(i64, i64)>, limit: i64) -> ApiResult<Page<ChatInfo>> {
        let after = after.unwrap_or((i64::MAX, i64::MAX));
        let rows = store::chats::page(&mut self.db.reads(), me, after, limit + 1).await?;
        // last messages only for the chats on the page, not for the one that tells there is more
        let page = Page::from_rows(rows, limit, |c| format!("{}:{}", c.last_activity_at, c.id));
        let last = self.last_messages(&page.items).await?;
        Ok(Page {
            items: page
                .items
                .into_iter()
                .zip(last)
                .map(|(row, last)| self.chat_info(row, last))
                .collect(),
            next_cursor: page.next_cursor,
        })
    }

    /// The direct chat of `me` and `peer`, created on first use. Returns it and whether it is new.
    pub async fn open_direct(&self, me: i64, peer: i64) -> ApiResult<(ChatInfo, bool)> {
        if peer == me {
            return Err(ApiError::validation("user_id", "a direct chat needs another user"));
        }
        self.directory
            .get(peer)
            .await?
            .ok_or_else(|| ApiError::not_found("user"))?;
        let key = format!("{}:{}", me.min(peer), me.max(peer));
        if let Some(id) = store::chats::direct(&mut self.db.reads(), &key).await? {
            return Ok((self.chat(me, id).await?, false));
        }
        if self.directory.is_blocked(peer, me).await? {
            return Err(ApiError::forbidden("this user does not accept your messages"));
        }
        let direct_key = key.clone();
        let created = self
            .commit(move |tx, out| {
                Box::pin(async move {
                    let id = store::chats::insert_direct(tx, &direct_key, me)
                        .await?
                        .ok_or_else(|| ApiError::new(Code::Conflict, "created concurrently"))?;
                    for user in [me.min(peer), me.max(peer)] {
                        add_member(tx, out, id, user, Role::Member, me, Joining::AtCreation, None).await?;
                    }
                    Ok(id)
                })
            })
            .await;
        match created {
            Ok(id) => Ok((self.chat(me, id).await?, true)),
            // Another request made it first: return that one.
            Err(err) if err.is(Code::Conflict) => {
                let id = store::chats::direct(&mut self.db.reads(), &key)
                    .await?
                    .ok_or_else(|| ApiError::not_found("chat"))?;
                Ok((self.chat(me, id).await?, false))
            }
            Err(err) => Err(err),
        }
    }

    /// Creates a group or channel owned by `me`.
    pub async fn create(&self, me: i64, new: NewChat) -> ApiResult<ChatInfo> {
        let title = check_title(&new.title)?;
        let description = check_description(&new.description)?;
        let mut members = new.member_ids;
        members.sort_unstable();
        members.dedup();
        members.retain(|&id| id != me);
        if members.len() > MAX_INITIAL_MEMBERS {
            return Err(ApiError::validation(
                "member_ids",
                format!("at most {MAX_INITIAL_MEMBERS} at creation; add more later"),
            ));
        }
        self.check_addable(me, &members, "member_ids").await?;
        self.check_rate_in(
            &format!("create:{me}"),
            self.config.max_chats_created_per_day,
            Duration::from_secs(24 * 3600),
            "creating groups and channels",
        )
        .await?;
        let kind = new.kind;
        let history = new.history_visibility;
        let max_chats = self.config.max_chats_per_user;
        let id = self
            .commit(move |tx, out| {
                Box::pin(async move {
                    let id =
                        store::chats::insert(tx, kind_str(kind), &title, &description, history.as_str(), me).await?;
                    // In id order, so concurrent creations lock users' rows in one order.
                    let mut everyone = members;
                    everyone.push(me);
                    everyone.sort_unstable();
                    for user in everyone {
                        let role = if user == me { Role::Owner } else { Role::Member };
                        let own = (user == me).then_some(max_chats);
                        add_member(tx, out, id, user, role, me, Joining::AtCreation, own).await?;
                    }
                    announce(tx, out, id, me, &ServiceAction::ChatCreated { title }).await?;
                    Ok(id)
                })
            })
            .await?;
        self.chat(me, id).await
    }

    /// Renames a chat, changes its description or history visibility.
    pub async fn update(&self, me: i64, chat_id: i64, update: UpdateChat) -> ApiResult<ChatInfo> {
        let title = update.title.as_deref().map(check_title).transpose()?;
        let description = update.description.as_deref().map(check_description).transpose()?;
        let history = update.history_visibility;
        let avatar = avatar::change(&self.attach_keys, update.avatar.as_deref(), me)?;
        self.commit_in(chat_id, move |tx, out| {
            Box::pin(async move {
                // a direct chat has no info to change (403): it shows the other member's picture
                member_with(tx, chat_id, me, Permission::ChangeInfo, "change the chat's info").await?;
                let renamed = match &title {
                    Some(new) => *new != store::chats::title(tx, chat_id).await?,
                    None => false,
                };
                let change = store::chats::InfoChange {
                    title: title.as_deref(),
                    description: description.as_deref(),
                    history_visibility: history.map(|h| h.as_str()),
                    avatar: avatar.as_deref(),
                };
                let (title, description, history, avatar) = store::chats::update_info(tx, chat_id, change).await?;
                let updated = ChatUpdated {
                    title,
                    description,
                    history_visibility: HistoryVisibility::parse(&history),
                    avatar: avatar::stored(avatar.as_deref()),
                    by: me,
                };
                let title = updated.title.clone();
                out.chat_event(tx, chat_id, ChatEvent::ChatUpdated(updated), None)
                    .await?;
                if renamed {
                    announce(tx, out, chat_id, me, &ServiceAction::TitleChanged { title }).await?;
                }
                Ok(())
            })
        })
        .await?;
        self.chat(me, chat_id).await
    }

    /// Members of a chat in user id order, after `after`. A channel's subscribers see only
    /// its owner and admins, and themselves (as in Telegram): who else reads it is not theirs
    /// to know.
    pub async fn members(&self, me: i64, chat_id: i64, after: i64, limit: i64) -> ApiResult<Vec<MemberInfo>> {
        let member = self.member(chat_id, me).await?;
        let only_staff_and = member.is_channel_subscriber().then_some(me);
        let rows = store::members::page(&mut self.db.reads(), chat_id, after, limit, only_staff_and).await?;
        let mut cards = self.cards_by_id(rows.iter().map(|r| r.0)).await?;
        Ok(rows
            .into_iter()
            .map(|(user_id, role, allow, deny, joined_at)| {
                let (username, display_name) = names(cards.remove(&user_id));
                let access = Access {
                    kind: member.kind(),
                    role: parse_role(&role),
                    allow,
                    deny,
                };
                MemberInfo {
                    user_id,
                    username,
                    display_name,
                    role: access.role,
                    permissions: policy::names(access.effective()),
                    allow: policy::names(allow),
                    deny: policy::names(deny),
                    joined_at,
                }
            })
            .collect())
    }

    /// Adds users to a group or channel (needs the invite right).
    pub async fn add_members(&self, me: i64, chat_id: i64, mut users: Vec<i64>) -> ApiResult<()> {
        // In id order, so concurrent changes lock users' rows in one order.
        users.sort_unstable();
        users.dedup();
        self.check_addable(me, &users, "user_ids").await?;
        let max = self.config.max_members;
        self.commit_in(chat_id, move |tx, out| {
            Box::pin(async move {
                let member = member_with(tx, chat_id, me, Permission::Invite, "add members").await?;
                if member.member_count + users.len() as i64 > max {
                    return Err(ApiError::new(
                        ChatsCode::ChatFull,
                        format!("a chat holds at most {max} members"),
                    ));
                }
                for &user in &users {
                    if store::members::is_member(tx, chat_id, user).await? {
                        return Err(ApiError::new(
                            ChatsCode::AlreadyMember,
                            format!("user {user} is already a member"),
                        ));
                    }
                    // Someone who may remove members lifts a ban by adding; others may not.
                    if store::bans::is_banned(tx, chat_id, user).await? {
                        if !member.access.can(Permission::RemoveMembers) {
                            return Err(ApiError::forbidden(format!("user {user} is banned from this chat")));
                        }
                        store::bans::lift(tx, chat_id, user).await?;
                    }
                    add_member(tx, out, chat_id, user, Role::Member, me, Joining::Later, None).await?;
                }
                if member.kind() != ChatKind::Channel {
                    announce(tx, out, chat_id, me, &ServiceAction::MembersAdded { user_ids: users }).await?;
                }
                Ok(())
            })
        })
        .await
    }

    /// Removes `user` from a chat and bans them from coming back (an admin may add them back,
    /// or lift the ban); removing yourself is leaving.
    pub async fn remove_member(&self, me: i64, chat_id: i64, user: i64) -> ApiResult<()> {
        if user == me {
            return self.leave(me, chat_id).await;
        }
        self.commit_in(chat_id, move |tx, out| {
            Box::pin(async move {
                // the right first: someone without it learns nothing about who is a member
                let actor = member_with(tx, chat_id, me, Permission::RemoveMembers, "remove members").await?;
                let target = member(tx, chat_id, user)
                    .await
                    .map_err(|_| ApiError::not_found("member"))?;
                if !actor.access.can_act_on(target.access.role, Permission::RemoveMembers) {
                    return Err(ApiError::forbidden("you may not remove this member"));
                }
                drop_member(tx, out, chat_id, user, Leaving::Removed { until: None }, me).await?;
                store::bans::ban(tx, chat_id, user, me, None).await
            })
        })
        .await
    }

    pub async fn leave(&self, me: i64, chat_id: i64) -> ApiResult<()> {
        self.commit_in(chat_id, move |tx, out| {
            Box::pin(async move {
                let member = member(tx, chat_id, me).await?;
                if member.kind() == ChatKind::Direct {
                    return Err(ApiError::new(ChatsCode::DirectChat, "you cannot leave a direct chat"));
                }
                if member.access.role == Role::Owner && member.member_count > 1 {
                    return Err(ApiError::new(
                        ChatsCode::OwnerMustTransfer,
                        "transfer ownership before leaving",
                    ));
                }
                drop_member(tx, out, chat_id, me, Leaving::Left, me).await
            })
        })
        .await
    }

    /// Changes a member's role or rights (needs the manage-admins right and a higher role than
    /// theirs; the new role may be at most the actor's own).
    pub async fn update_member(&self, me: i64, chat_id: i64, user: i64, update: UpdateMember) -> ApiResult<MemberInfo> {
        if update.role == Some(Role::Owner) {
            return Err(ApiError::validation(
                "role",
                "use the transfer endpoint to change the owner",
            ));
        }
        let (username, display_name) = names(self.directory.cards(&[user]).await?.pop());
        self.commit_in(chat_id, move |tx, out| {
            Box::pin(async move {
                let actor = member_with(tx, chat_id, me, Permission::ManageAdmins, "change members").await?;
                let target = member(tx, chat_id, user)
                    .await
                    .map_err(|_| ApiError::not_found("member"))?;
                let role = update.role.unwrap_or(target.access.role);
                // an admin who may manage admins makes members admins, never more than itself
                if !actor.access.can_act_on(target.access.role, Permission::ManageAdmins) || role > actor.access.role {
                    return Err(ApiError::forbidden("you may not change this member"));
                }
                let allow = update.allow.map(|p| policy::bits(&p)).unwrap_or(target.access.allow);
                let deny = update.deny.map(|p| policy::bits(&p)).unwrap_or(target.access.deny);
                // Nobody hands out a right they do not hold: whatever the change adds to the
                // member's effective rights (by allow, by lifting a deny or by role) must be
                // the actor's own.
                let after = Access {
                    kind: actor.kind(),
                    role,
                    allow,
                    deny,
                }
                .effective();
                let gained = after & !target.access.effective();
                if actor.access.role != Role::Owner && gained & !actor.access.effective() != 0 {
                    return Err(ApiError::forbidden("you may not grant rights you do not have"));
                }
                store::members::set_role(tx, chat_id, user, role_str(role), allow, deny).await?;
                if after & Permission::Invite.bit() == 0 {
                    store::invites::revoke_made_by(tx, chat_id, user).await?;
                }
                let access = Access {
                    kind: actor.kind(),
                    role,
                    allow,
                    deny,
                };
                let info = MemberInfo {
                    user_id: user,
                    username,
                    display_name,
                    role,
                    permissions: policy::names(access.effective()),
                    allow: policy::names(allow),
                    deny: policy::names(deny),
                    joined_at: target.joined_at,
                };
                let updated = MemberUpdated {
                    member: MemberChange::of(user, &access),
                    by: me,
                    previous: MemberChange::of(user, &target.access),
                };
                out.chat_event(tx, chat_id, ChatEvent::MemberUpdated(updated), None)
                    .await?;
                Ok(info)
            })
        })
        .await
    }

    /// Makes `user` the owner; the old owner becomes an admin.
    pub async fn transfer(&self, me: i64, chat_id: i64, user: i64) -> ApiResult<()> {
        self.commit_in(chat_id, move |tx, out| {
            Box::pin(async move {
                let actor = member(tx, chat_id, me).await?;
                if actor.access.role != Role::Owner || actor.kind() == ChatKind::Direct {
                    return Err(ApiError::forbidden("only the owner can transfer ownership"));
                }
                let heir = member(tx, chat_id, user)
                    .await
                    .map_err(|_| ApiError::not_found("member"))?;
                if user == me {
                    return Err(ApiError::validation("user_id", "you already own this chat"));
                }
                for (who, role, previous) in [(user, Role::Owner, heir.access), (me, Role::Admin, actor.access)] {
                    store::members::set_role(tx, chat_id, who, role_str(role), 0, 0).await?;
                    let now = Access {
                        role,
                        allow: 0,
                        deny: 0,
                        ..previous
                    };
                    let updated = MemberUpdated {
                        member: MemberChange::of(who, &now),
                        by: me,
                        previous: MemberChange::of(who, &previous),
                    };
                    out.chat_event(tx, chat_id, ChatEvent::MemberUpdated(updated), None)
                        .await?;
                }
                Ok(())
            })
        })
        .await
    }
}
