//! Invite links and join requests. A link admits people on behalf of a member who may invite;
//! a link that needs approval admits nobody by itself: who follows it asks to join, and an
//! admin who may invite (a person in the web client, or a bot) approves or declines. Every way
//! in checks the chat's bans.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hybrid_core::{ApiError, ApiResult, now_ms};
use hybrid_store::Sql;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::{ChatInfo, ChatsCode, InviteLink, InvitePreview, ServiceAction, parse_kind, parse_role};
use crate::events::{JoinDecided, JoinRequested, Outbox, UserEvent};
use crate::membership::{Joining, add_member, names};
use crate::messages::announce;
use crate::policy::{Access, ChatKind, Permission, Role};
use crate::service::{Chats, Member, member, member_with};
use crate::store;
use crate::store::invites::InviteTerms;

/// What a new or edited link admits; every field absent means "no such rule".
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct InviteOptions {
    /// Seconds until the link stops working (60 to 31622400); omit for never.
    pub expires_in_secs: Option<i64>,
    /// How many people may join with it (1 to 100000); omit for no limit. Not with
    /// `needs_approval` (each request is decided on its own).
    pub usage_limit: Option<i64>,
    /// What admins call the link (at most 32 characters).
    #[serde(default)]
    pub name: String,
    /// People who follow it ask to join and wait for an admin (needs the admin role).
    #[serde(default)]
    pub needs_approval: bool,
}

impl InviteOptions {
    fn terms(self) -> ApiResult<InviteTerms> {
        if let Some(secs) = self.expires_in_secs
            && !(60..=366 * 24 * 3600).contains(&secs)
        {
            return Err(ApiError::validation(
                "expires_in_secs",
                "must be between 60 and 31622400",
            ));
        }
        if let Some(limit) = self.usage_limit
            && !(1..=100_000).contains(&limit)
        {
            return Err(ApiError::validation("usage_limit", "must be between 1 and 100000"));
        }
        if self.usage_limit.is_some() && self.needs_approval {
            return Err(ApiError::validation(
                "usage_limit",
                "a link that needs approval has no usage limit",
            ));
        }
        let name = self.name.trim().to_owned();
        if name.chars().count() > 32 || name.chars().any(char::is_control) {
            return Err(ApiError::validation("name", "at most 32 characters on one line"));
        }
        Ok(InviteTerms {
            expires_at: self.expires_in_secs.map(|s| now_ms() + s * 1000),
            usage_limit: self.usage_limit,
            name,
            needs_approval: self.needs_approval,
        })
    }
}

/// A request to join, as the chat's deciders see it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct JoinRequest {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    /// The link they followed.
    pub code: String,
    /// Unix ms.
    pub requested_at: i64,
}

/// What following a link did.
pub enum Joined {
    /// You are in.
    Member(Box<ChatInfo>),
    /// You asked; an admin decides.
    Requested(JoinPending),
}

/// A request waiting for an admin.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct JoinPending {
    pub chat_id: i64,
    pub title: String,
    /// Always true: you wait for a decision.
    pub requested: bool,
}

/// The 404 of a link that does not admit anyone (now).
fn unusable_invite() -> ApiError {
    ApiError::not_found("invite link (unknown, revoked, expired or used up)")
}

/// Whether `access` decides on join requests and makes links that need approval: an admin (or
/// the owner) who may invite.
fn decides(access: &Access) -> bool {
    access.role >= Role::Admin && access.can(Permission::Invite)
}

fn require_decider(member: &Member) -> ApiResult<()> {
    member.require(Permission::Invite, "decide on join requests")?;
    if !decides(&member.access) {
        return Err(ApiError::forbidden("only admins decide on join requests"));
    }
    Ok(())
}

impl Chats {
    /// Creates an invite link (needs `invite`; one that needs approval also the admin role).
    pub async fn create_invite(&self, me: i64, chat_id: i64, options: InviteOptions) -> ApiResult<InviteLink> {
        let terms = options.terms()?;
        let mut bytes = [0u8; 12];
        getrandom::fill(&mut bytes).map_err(ApiError::internal)?;
        let code = URL_SAFE_NO_PAD.encode(bytes);
        let max_links = self.config.max_invite_links_per_chat;
        self.commit_in(chat_id, move |tx, _out| {
            Box::pin(async move {
                let member = member_with(tx, chat_id, me, Permission::Invite, "invite people").await?;
                if terms.needs_approval {
                    require_decider(&member)?;
                }
                if store::invites::working(tx, chat_id).await? >= max_links {
                    return Err(ApiError::new(
                        ChatsCode::TooManyInviteLinks,
                        format!("a chat has at most {max_links} working invite links; revoke some first"),
                    ));
                }
                let row = store::invites::insert(tx, &code, chat_id, me, terms).await?;
                Ok(row.into())
            })
        })
        .await
    }

    /// Replaces a link's terms (its creator, or a member who may change the chat's info);
    /// a revoked link stays revoked (404).
    pub async fn edit_invite(
        &self,
        me: i64,
        chat_id: i64,
        code: String,
        options: InviteOptions,
    ) -> ApiResult<InviteLink> {
        let terms = options.terms()?;
        self.commit_in(chat_id, move |tx, _out| {
            Box::pin(async move {
                let member = member_with(tx, chat_id, me, Permission::Invite, "edit invite links").await?;
                let link = store::invites::get(tx, chat_id, &code)
                    .await?
                    .filter(|link| link.revoked_at.is_none())
                    .ok_or_else(|| ApiError::not_found("invite link"))?;
                if link.created_by != me {
                    member.require(Permission::ChangeInfo, "edit others' invite links")?;
                }
                if terms.needs_approval {
                    require_decider(&member)?;
                }
                let row = store::invites::set_terms(tx, chat_id, &code, terms)
                    .await?
                    .ok_or_else(|| ApiError::not_found("invite link"))?;
                Ok(row.into())
            })
        })
        .await
    }

    /// A chat's invite links, newest first, from before `before` (`created_at` and code of
    /// the last link of the previous page).
    pub async fn invites(
        &self,
        me: i64,
        chat_id: i64,
        before: Option<(i64, String)>,
        limit: i64,
    ) -> ApiResult<Vec<InviteLink>> {
        let member = self.member(chat_id, me).await?;
        member.require(Permission::Invite, "see invite links")?;
        let (before_at, before_code) = before.unwrap_or((i64::MAX, String::new()));
        let rows = store::invites::page(&mut self.db.reads(), chat_id, (before_at, &before_code), limit).await?;
        Ok(rows.into_iter().map(InviteLink::from).collect())
    }

    /// Revokes a link: its creator, or a member who may change the chat's info. The link as
    /// it is now.
    pub async fn revoke_invite(&self, me: i64, chat_id: i64, code: String) -> ApiResult<InviteLink> {
        self.commit_in(chat_id, move |tx, _out| {
            Box::pin(async move {
                let member = member(tx, chat_id, me).await?;
                let creator = store::invites::creator(tx, chat_id, &code)
                    .await?
                    .ok_or_else(|| ApiError::not_found("invite link"))?;
                if creator != me {
                    member.require(Permission::ChangeInfo, "revoke others' invite links")?;
                }
                store::invites::revoke(tx, &code).await?;
                let link = store::invites::get(tx, chat_id, &code)
                    .await?
                    .ok_or_else(|| ApiError::not_found("invite link"))?;
                Ok(link.into())
            })
        })
        .await
    }

    pub async fn preview_invite(&self, me: i64, code: &str) -> ApiResult<InvitePreview> {
        let (chat_id, kind, title, description, member_count, needs_approval) =
            store::invites::usable(&mut self.db.reads(), code)
                .await?
                .ok_or_else(unusable_invite)?;
        let joined = self.member_if_any(chat_id, me).await?.is_some();
        let requested = store::join_requests::exists(&mut self.db.reads(), chat_id, me).await?;
        Ok(InvitePreview {
            chat_id,
            kind: parse_kind(&kind),
            title,
            description,
            member_count,
            joined,
            needs_approval,
            requested,
        })
    }

    /// Follows an invite link: joins its chat, or asks to when the link needs approval.
    /// Following a link of a chat you are in changes nothing; asking twice asks once.
    pub async fn join_invite(&self, me: i64, code: String) -> ApiResult<Joined> {
        let (chat_id, _, title, _, _, needs_approval) = store::invites::usable(&mut self.db.reads(), &code)
            .await?
            .ok_or_else(unusable_invite)?;
        if self.member_if_any(chat_id, me).await?.is_some() {
            return Ok(Joined::Member(Box::new(self.chat(me, chat_id).await?)));
        }
        if needs_approval {
            self.ask_to_join(me, chat_id, code).await?;
            return Ok(Joined::Requested(JoinPending {
                chat_id,
                title,
                requested: true,
            }));
        }
        let max = self.config.max_members;
        let max_chats = self.config.max_chats_per_user;
        let joined = self.commit_in(chat_id, move |tx, out| {
            Box::pin(async move {
                if store::members::is_member(tx, chat_id, me).await? {
                    return Ok(()); // joined meanwhile (two taps on the link)
                }
                if store::bans::is_banned(tx, chat_id, me).await? {
                    return Err(ApiError::forbidden("you are banned from this chat"));
                }
                let (chat_id, by) = store::invites::use_once(tx, &code).await?.ok_or_else(unusable_invite)?;
                admit(tx, out, chat_id, me, by, max, max_chats).await
            })
        });
        joined.await?;
        Ok(Joined::Member(Box::new(self.chat(me, chat_id).await?)))
    }

    /// Records `me`'s request and tells the chat's deciders.
    async fn ask_to_join(&self, me: i64, chat_id: i64, code: String) -> ApiResult<()> {
        let max = self.config.max_join_requests_per_chat;
        self.commit_in(chat_id, move |tx, out| {
            Box::pin(async move {
                if store::bans::is_banned(tx, chat_id, me).await? {
                    return Err(ApiError::forbidden("you are banned from this chat"));
                }
                let pending = store::join_requests::count(tx, chat_id).await?;
                if store::join_requests::exists(tx, chat_id, me).await? {
                    return Ok(());
                }
                if pending >= max {
                    return Err(ApiError::new(
                        ChatsCode::TooManyJoinRequests,
                        format!("{max} people already wait to join this chat; try again later"),
                    ));
                }
                let link = store::invites::get(tx, chat_id, &code)
                    .await?
                    .ok_or_else(unusable_invite)?;
                store::join_requests::insert(tx, chat_id, me, &code).await?;
                let requested = JoinRequested {
                    chat_id,
                    user_id: me,
                    code,
                    link_created_by: link.created_by,
                    link_name: link.name,
                    requested_at: now_ms(),
                    pending: pending + 1,
                };
                for decider in deciders(tx, chat_id).await? {
                    out.user_event(tx, decider, UserEvent::JoinRequested(requested.clone()), None)
                        .await?;
                }
                Ok(())
            })
        })
        .await
    }

    /// A chat's waiting requests, oldest first, after (`requested_at`, `user_id`) (deciders
    /// only).
    pub async fn join_requests(
        &self,
        me: i64,
        chat_id: i64,
        after: (i64, i64),
        limit: i64,
    ) -> ApiResult<Vec<JoinRequest>> {
        require_decider(&self.member(chat_id, me).await?)?;
        let rows = store::join_requests::page(&mut self.db.reads(), chat_id, after, limit).await?;
        let mut cards = self.cards_by_id(rows.iter().map(|r| r.0)).await?;
        Ok(rows
            .into_iter()
            .map(|(user_id, code, requested_at)| {
                let (username, display_name) = names(cards.remove(&user_id));
                JoinRequest {
                    user_id,
                    username,
                    display_name,
                    code,
                    requested_at,
                }
            })
            .collect())
    }

    /// Approves or declines `user`'s request (deciders only; 404 when there is none). An
    /// approved person joins as if the link had admitted them; one banned meanwhile is
    /// declined.
    pub async fn decide_join(&self, me: i64, chat_id: i64, user: i64, approve: bool) -> ApiResult<()> {
        let max = self.config.max_members;
        let max_chats = self.config.max_chats_per_user;
        self.commit_in(chat_id, move |tx, out| {
            Box::pin(async move {
                require_decider(&member(tx, chat_id, me).await?)?;
                store::join_requests::take(tx, chat_id, user)
                    .await?
                    .ok_or_else(|| ApiError::not_found("join request"))?;
                let approved = approve && !store::bans::is_banned(tx, chat_id, user).await?;
                if approved && !store::members::is_member(tx, chat_id, user).await? {
                    admit(tx, out, chat_id, user, me, max, max_chats).await?;
                }
                let decided = JoinDecided {
                    chat_id,
                    user_id: user,
                    approved,
                    by: me,
                    pending: store::join_requests::count(tx, chat_id).await?,
                };
                let mut told = deciders(tx, chat_id).await?;
                told.push(user);
                told.sort_unstable();
                told.dedup();
                for id in told {
                    out.user_event(tx, id, UserEvent::JoinDecided(decided), None).await?;
                }
                Ok(())
            })
        })
        .await
    }
}

/// Adds `user` who came by a link of `by`'s (or was let in by `by`), and announces them in a
/// group.
async fn admit(
    tx: &mut Sql<'_>,
    out: &mut Outbox,
    chat_id: i64,
    user: i64,
    by: i64,
    max: i64,
    max_chats: i64,
) -> ApiResult<()> {
    if store::chats::member_count(tx, chat_id).await? >= max {
        return Err(ApiError::new(
            ChatsCode::ChatFull,
            format!("a chat holds at most {max} members"),
        ));
    }
    let kind = add_member(
        tx,
        out,
        chat_id,
        user,
        Role::Member,
        by,
        Joining::Later,
        Some(max_chats),
    )
    .await?;
    if kind != ChatKind::Channel {
        let joined = ServiceAction::MembersAdded { user_ids: vec![user] };
        announce(tx, out, chat_id, user, &joined).await?;
    }
    Ok(())
}

/// The members of a chat who decide on its join requests.
async fn deciders(tx: &mut Sql<'_>, chat_id: i64) -> ApiResult<Vec<i64>> {
    Ok(store::members::staff(tx, chat_id)
        .await?
        .into_iter()
        .filter(|(_, role, allow, deny, kind)| {
            decides(&Access {
                kind: parse_kind(kind),
                role: parse_role(role),
                allow: *allow,
                deny: *deny,
            })
        })
        .map(|(id, ..)| id)
        .collect())
}
