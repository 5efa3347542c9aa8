//! HTTP API of the chats service: `/api/v1/chats…`, `/api/v1/invites…`, `/api/v1/sync`,
//! `/api/v1/search/messages`.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use hybrid_core::{ApiError, ApiResult, AuthUser, ErrorBody, Json, Page, Path, Query, page_limit, parse_cursor};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::api::{
    ChatInfo, HistoryVisibility, InviteLink, InvitePreview, MemberInfo, Message, ReactionCount, UpdateChat,
    UpdateMember,
};
use crate::bans::Ban;
use crate::body::Entity;
use crate::invites::{InviteOptions, JoinPending, JoinRequest, Joined};
use crate::membership::NewChat;
use crate::messages::{HistoryFrom, HistoryPage, NewMessage, Only};
use crate::policy::ChatKind;
use crate::service::Chats;
use crate::sync::{SyncRequest, SyncResponse};

type Svc = State<Arc<Chats>>;

/// The largest body a message write takes (a 4096-unit text with its entities fits many times
/// over), or the global `http.body_limit_bytes` when that is lower: the send path parses no
/// megabyte of JSON.
const MESSAGE_BODY_LIMIT: usize = 64 * 1024;

pub fn router(chats: Arc<Chats>, global_body_limit: usize) -> OpenApiRouter {
    let messages = OpenApiRouter::new()
        .routes(routes!(history, send))
        .routes(routes!(edit, delete))
        .layer(DefaultBodyLimit::max(MESSAGE_BODY_LIMIT.min(global_body_limit)));
    OpenApiRouter::new()
        .routes(routes!(list_chats, create_chat))
        .routes(routes!(get_chat, update_chat))
        .merge(messages)
        .routes(routes!(reactions))
        .routes(routes!(react, unreact))
        .routes(routes!(pins))
        .routes(routes!(pin, unpin))
        .routes(routes!(read))
        .routes(routes!(typing))
        .routes(routes!(members, add_members))
        .routes(routes!(update_member, remove_member))
        .routes(routes!(bans))
        .routes(routes!(ban, unban))
        .routes(routes!(leave))
        .routes(routes!(transfer))
        .routes(routes!(invites, create_chat_invite))
        .routes(routes!(edit_invite, revoke_invite))
        .routes(routes!(preview_invite))
        .routes(routes!(join_invite))
        .routes(routes!(join_requests))
        .routes(routes!(approve_join_request))
        .routes(routes!(decline_join_request))
        .routes(routes!(sync))
        .routes(routes!(search_messages))
        .with_state(chats)
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct PageParams {
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// 1 to 100, default 50.
    pub limit: Option<i64>,
}

/// My chats, most recent activity first, with the last message and unread count.
#[utoipa::path(get, path = "/chats", tag = "chats", security(("bearer" = [])), params(PageParams),
    responses((status = 200, body = Page<ChatInfo>), (status = 401, body = ErrorBody)))]
async fn list_chats(
    State(chats): Svc,
    me: AuthUser,
    Query(page): Query<PageParams>,
) -> ApiResult<Json<Page<ChatInfo>>> {
    let limit = page_limit(page.limit, 50, 100)?;
    let after = parse_cursor::<2>(page.cursor.as_deref())?.map(|[at, id]| (at, id));
    chats.my_chats(me.user_id, after, limit).await.map(Json)
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateChat {
    pub kind: ChatKind,
    /// Direct chats: the other user.
    pub user_id: Option<i64>,
    /// Groups and channels: 1 to 128 characters.
    pub title: Option<String>,
    pub description: Option<String>,
    /// Groups and channels: users to add (at most 200).
    #[serde(default)]
    pub member_ids: Vec<i64>,
    pub history_visibility: Option<HistoryVisibility>,
}

/// Create a group or channel, or open the direct chat with a user (the same chat every time:
/// 200 when it existed, 201 when new).
#[utoipa::path(post, path = "/chats", tag = "chats", security(("bearer" = [])), request_body = CreateChat,
    responses((status = 429, description = "over the caller's rate; see Retry-After", body = ErrorBody), (status = 404, description = "no such user (direct chats)", body = ErrorBody), (status = 201, body = ChatInfo), (status = 200, body = ChatInfo),
        (status = 403, description = "the user blocks you", body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_chat(
    State(chats): Svc,
    me: AuthUser,
    Json(req): Json<CreateChat>,
) -> ApiResult<(StatusCode, Json<ChatInfo>)> {
    if req.kind == ChatKind::Direct {
        let peer = req
            .user_id
            .ok_or_else(|| ApiError::validation("user_id", "is required for a direct chat"))?;
        let (chat, created) = chats.open_direct(me.user_id, peer).await?;
        let status = if created { StatusCode::CREATED } else { StatusCode::OK };
        return Ok((status, Json(chat)));
    }
    let chat = chats
        .create(
            me.user_id,
            NewChat {
                kind: req.kind,
                title: req.title.ok_or_else(|| ApiError::validation("title", "is required"))?,
                description: req.description.unwrap_or_default(),
                member_ids: req.member_ids,
                history_visibility: req.history_visibility.unwrap_or(HistoryVisibility::All),
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(chat)))
}

/// A chat I am in.
#[utoipa::path(get, path = "/chats/{chat_id}", tag = "chats", security(("bearer" = [])),
    params(("chat_id" = i64, Path)), responses((status = 200, body = ChatInfo), (status = 404, body = ErrorBody)))]
async fn get_chat(State(chats): Svc, me: AuthUser, Path(chat_id): Path<i64>) -> ApiResult<Json<ChatInfo>> {
    Ok(Json(chats.chat(me.user_id, chat_id).await?))
}

/// Rename, describe, or change who sees old history (needs `change_info`).
#[utoipa::path(patch, path = "/chats/{chat_id}", tag = "chats", security(("bearer" = [])),
    params(("chat_id" = i64, Path)), request_body = UpdateChat,
    responses((status = 200, body = ChatInfo), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn update_chat(
    State(chats): Svc,
    me: AuthUser,
    Path(chat_id): Path<i64>,
    Json(req): Json<UpdateChat>,
) -> ApiResult<Json<ChatInfo>> {
    Ok(Json(chats.update(me.user_id, chat_id, req).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct HistoryParams {
    /// Messages before this seq (older). Without `before` or `after`: the latest.
    pub before: Option<i64>,
    /// Messages after this seq (newer).
    pub after: Option<i64>,
    /// Messages around this seq (it included): half older, half newer, for jumping to a
    /// search hit or a reply.
    pub around: Option<i64>,
    /// 1 to 100, default 50.
    pub limit: Option<i64>,
    /// Only messages that carry an attachment (a file, a picture, a voice message …): the
    /// chat's files and media, paged the same way.
    pub with_attachment: Option<bool>,
}

/// History, oldest first within the page.
#[utoipa::path(get, path = "/chats/{chat_id}/messages", tag = "messages", security(("bearer" = [])),
    params(("chat_id" = i64, Path), HistoryParams),
    responses((status = 200, body = HistoryPage), (status = 404, body = ErrorBody)))]
async fn history(
    State(chats): Svc,
    me: AuthUser,
    Path(chat_id): Path<i64>,
    Query(q): Query<HistoryParams>,
) -> ApiResult<Json<HistoryPage>> {
    let limit = page_limit(q.limit, 50, 100)?;
    let only = if q.with_attachment == Some(true) {
        Only::WithAttachment
    } else {
        Only::All
    };
    let from = match (q.before, q.after, q.around) {
        (Some(before), None, None) => HistoryFrom::Before(before),
        (None, Some(after), None) => HistoryFrom::After(after),
        (None, None, Some(around)) => {
            return Ok(Json(
                chats.history_around(me.user_id, chat_id, around, limit, only).await?,
            ));
        }
        (None, None, None) => HistoryFrom::Latest,
        _ => return Err(ApiError::validation("before", "use one of before, after, around")),
    };
    Ok(Json(chats.history(me.user_id, chat_id, from, limit, only).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct SendMessage {
    pub text: String,
    #[serde(default)]
    pub entities: Vec<Entity>,
    pub reply_to: Option<i64>,
    /// Client idempotency key (up to 64 bytes): a retried send with the same key returns the
    /// first message instead of sending again.
    pub nonce: Option<String>,
    /// An attach token from the service that owns an object (`attach_token` of an uploaded
    /// file): the message carries that object's card. The text may then be empty.
    pub attach: Option<String>,
    /// Forward this message (one you may read): its text, entities and attachment are
    /// copied, with its author as `forwarded_from`; send `text` empty. `reply_to` and
    /// `nonce` still apply.
    pub forward: Option<MessageAddress>,
}

/// A message, by its chat and place.
#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
pub struct MessageAddress {
    pub chat_id: i64,
    pub seq: i64,
}

/// Send a message (201; 200 with the original when the nonce was already used).
#[utoipa::path(post, path = "/chats/{chat_id}/messages", tag = "messages", security(("bearer" = [])),
    params(("chat_id" = i64, Path)), request_body = SendMessage,
    responses((status = 429, description = "over the caller's rate; see Retry-After", body = ErrorBody), (status = 201, body = Message), (status = 200, body = Message),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn send(
    State(chats): Svc,
    me: AuthUser,
    Path(chat_id): Path<i64>,
    Json(req): Json<SendMessage>,
) -> ApiResult<(StatusCode, Json<Message>)> {
    let new = match req.forward {
        Some(source) => {
            if !req.text.is_empty() || !req.entities.is_empty() || req.attach.is_some() {
                return Err(ApiError::validation(
                    "forward",
                    "a forward copies its message: leave text, entities and attach out",
                ));
            }
            NewMessage {
                reply_to: req.reply_to,
                nonce: req.nonce,
                ..chats.forwarded(me.user_id, source.chat_id, source.seq).await?
            }
        }
        None => NewMessage {
            text: req.text,
            entities: req.entities,
            reply_to: req.reply_to,
            nonce: req.nonce,
            attachment: req
                .attach
                .map(|token| chats.attachment_from_token(me.user_id, &token))
                .transpose()?,
            forwarded_from: None,
            reply_markup: None,
        },
    };
    let (message, created) = chats.send(me.user_id, chat_id, new).await?;
    Ok((
        if created { StatusCode::CREATED } else { StatusCode::OK },
        Json(message),
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct EditMessage {
    pub text: String,
    #[serde(default)]
    pub entities: Vec<Entity>,
}

/// Edit a message (its author, or with `edit_others`).
#[utoipa::path(patch, path = "/chats/{chat_id}/messages/{seq}", tag = "messages", security(("bearer" = [])),
    params(("chat_id" = i64, Path), ("seq" = i64, Path)), request_body = EditMessage,
    responses((status = 200, body = Message), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn edit(
    State(chats): Svc,
    me: AuthUser,
    Path((chat_id, seq)): Path<(i64, i64)>,
    Json(req): Json<EditMessage>,
) -> ApiResult<Json<Message>> {
    Ok(Json(
        chats.edit(me.user_id, chat_id, seq, req.text, req.entities).await?,
    ))
}

/// Delete a message for everyone (its author, or with `delete_others`); a tombstone stays.
#[utoipa::path(delete, path = "/chats/{chat_id}/messages/{seq}", tag = "messages", security(("bearer" = [])),
    params(("chat_id" = i64, Path), ("seq" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn delete(State(chats): Svc, me: AuthUser, Path((chat_id, seq)): Path<(i64, i64)>) -> ApiResult<StatusCode> {
    chats.delete(me.user_id, chat_id, seq).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Who reacted, by emoji (up to 100 users each).
#[utoipa::path(get, path = "/chats/{chat_id}/messages/{seq}/reactions", tag = "messages", security(("bearer" = [])),
    params(("chat_id" = i64, Path), ("seq" = i64, Path)),
    responses((status = 200, body = BTreeMap<String, Vec<i64>>), (status = 404, body = ErrorBody)))]
async fn reactions(
    State(chats): Svc,
    me: AuthUser,
    Path((chat_id, seq)): Path<(i64, i64)>,
) -> ApiResult<Json<BTreeMap<String, Vec<i64>>>> {
    Ok(Json(chats.reactions(me.user_id, chat_id, seq).await?))
}

/// Add my reaction.
#[utoipa::path(put, path = "/chats/{chat_id}/messages/{seq}/reactions/{emoji}", tag = "messages", security(("bearer" = [])),
    params(("chat_id" = i64, Path), ("seq" = i64, Path), ("emoji" = String, Path)),
    responses((status = 200, body = Vec<ReactionCount>), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn react(
    State(chats): Svc,
    me: AuthUser,
    Path((chat_id, seq, emoji)): Path<(i64, i64, String)>,
) -> ApiResult<Json<Vec<ReactionCount>>> {
    Ok(Json(chats.react(me.user_id, chat_id, seq, &emoji, true).await?))
}

/// Remove my reaction.
#[utoipa::path(delete, path = "/chats/{chat_id}/messages/{seq}/reactions/{emoji}", tag = "messages", security(("bearer" = [])),
    params(("chat_id" = i64, Path), ("seq" = i64, Path), ("emoji" = String, Path)),
    responses((status = 200, body = Vec<ReactionCount>), (status = 404, body = ErrorBody)))]
async fn unreact(
    State(chats): Svc,
    me: AuthUser,
    Path((chat_id, seq, emoji)): Path<(i64, i64, String)>,
) -> ApiResult<Json<Vec<ReactionCount>>> {
    Ok(Json(chats.react(me.user_id, chat_id, seq, &emoji, false).await?))
}

/// Pinned messages, most recently pinned first.
#[utoipa::path(get, path = "/chats/{chat_id}/pins", tag = "messages", security(("bearer" = [])),
    params(("chat_id" = i64, Path)), responses((status = 200, body = Vec<Message>), (status = 404, body = ErrorBody)))]
async fn pins(State(chats): Svc, me: AuthUser, Path(chat_id): Path<i64>) -> ApiResult<Json<Vec<Message>>> {
    Ok(Json(chats.pins(me.user_id, chat_id).await?))
}

/// Pin a message (needs `pin`).
#[utoipa::path(put, path = "/chats/{chat_id}/pins/{seq}", tag = "messages", security(("bearer" = [])),
    params(("chat_id" = i64, Path), ("seq" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn pin(State(chats): Svc, me: AuthUser, Path((chat_id, seq)): Path<(i64, i64)>) -> ApiResult<StatusCode> {
    chats.pin(me.user_id, chat_id, seq, true).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Unpin a message (needs `pin`).
#[utoipa::path(delete, path = "/chats/{chat_id}/pins/{seq}", tag = "messages", security(("bearer" = [])),
    params(("chat_id" = i64, Path), ("seq" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn unpin(State(chats): Svc, me: AuthUser, Path((chat_id, seq)): Path<(i64, i64)>) -> ApiResult<StatusCode> {
    chats.pin(me.user_id, chat_id, seq, false).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ReadMarker {
    /// Everything up to this seq is read.
    pub seq: i64,
}

/// Move my read marker forward (never back).
#[utoipa::path(post, path = "/chats/{chat_id}/read", tag = "messages", security(("bearer" = [])),
    params(("chat_id" = i64, Path)), request_body = ReadMarker,
    responses((status = 200, body = ReadMarker), (status = 404, body = ErrorBody)))]
async fn read(
    State(chats): Svc,
    me: AuthUser,
    Path(chat_id): Path<i64>,
    Json(req): Json<ReadMarker>,
) -> ApiResult<Json<ReadMarker>> {
    Ok(Json(ReadMarker {
        seq: chats.mark_read(me.user_id, chat_id, req.seq).await?,
    }))
}

/// Tell the chat I am typing (lasts 6 s; repeat while typing). Ignored in large chats.
#[utoipa::path(post, path = "/chats/{chat_id}/typing", tag = "messages", security(("bearer" = [])),
    params(("chat_id" = i64, Path)), responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn typing(State(chats): Svc, me: AuthUser, Path(chat_id): Path<i64>) -> ApiResult<StatusCode> {
    chats.typing(me.user_id, chat_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct MemberParams {
    /// Members with a user id above this one.
    pub after: Option<i64>,
    /// 1 to 200, default 100.
    pub limit: Option<i64>,
}

/// Members, in user id order.
#[utoipa::path(get, path = "/chats/{chat_id}/members", tag = "chats", security(("bearer" = [])),
    params(("chat_id" = i64, Path), MemberParams),
    responses((status = 200, body = Vec<MemberInfo>), (status = 404, body = ErrorBody)))]
async fn members(
    State(chats): Svc,
    me: AuthUser,
    Path(chat_id): Path<i64>,
    Query(q): Query<MemberParams>,
) -> ApiResult<Json<Vec<MemberInfo>>> {
    let limit = page_limit(q.limit, 100, 200)?;
    Ok(Json(
        chats.members(me.user_id, chat_id, q.after.unwrap_or(0), limit).await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct AddMembers {
    /// 1 to 200 users.
    pub user_ids: Vec<i64>,
}

/// Add users (needs `invite`).
#[utoipa::path(post, path = "/chats/{chat_id}/members", tag = "chats", security(("bearer" = [])),
    params(("chat_id" = i64, Path)), request_body = AddMembers,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn add_members(
    State(chats): Svc,
    me: AuthUser,
    Path(chat_id): Path<i64>,
    Json(req): Json<AddMembers>,
) -> ApiResult<StatusCode> {
    if req.user_ids.is_empty() || req.user_ids.len() > 200 {
        return Err(ApiError::validation("user_ids", "1 to 200 users"));
    }
    chats.add_members(me.user_id, chat_id, req.user_ids).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Promote, demote or restrict a member (needs `manage_admins` and a higher role).
#[utoipa::path(patch, path = "/chats/{chat_id}/members/{user_id}", tag = "chats", security(("bearer" = [])),
    params(("chat_id" = i64, Path), ("user_id" = i64, Path)), request_body = UpdateMember,
    responses((status = 200, body = MemberInfo), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn update_member(
    State(chats): Svc,
    me: AuthUser,
    Path((chat_id, user_id)): Path<(i64, i64)>,
    Json(req): Json<UpdateMember>,
) -> ApiResult<Json<MemberInfo>> {
    Ok(Json(chats.update_member(me.user_id, chat_id, user_id, req).await?))
}

/// Remove a member (needs `remove_members` and a higher role); they are banned until the ban
/// is lifted or an admin adds them back. My own id leaves.
#[utoipa::path(delete, path = "/chats/{chat_id}/members/{user_id}", tag = "chats", security(("bearer" = [])),
    params(("chat_id" = i64, Path), ("user_id" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn remove_member(
    State(chats): Svc,
    me: AuthUser,
    Path((chat_id, user_id)): Path<(i64, i64)>,
) -> ApiResult<StatusCode> {
    chats.remove_member(me.user_id, chat_id, user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Bans in force in a chat, in user id order (needs `remove_members`).
#[utoipa::path(get, path = "/chats/{chat_id}/bans", tag = "chats", security(("bearer" = [])),
    params(("chat_id" = i64, Path), MemberParams),
    responses((status = 200, body = Vec<Ban>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn bans(
    State(chats): Svc,
    me: AuthUser,
    Path(chat_id): Path<i64>,
    Query(q): Query<MemberParams>,
) -> ApiResult<Json<Vec<Ban>>> {
    let limit = page_limit(q.limit, 100, 200)?;
    Ok(Json(
        chats.bans(me.user_id, chat_id, q.after.unwrap_or(0), limit).await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct BanParams {
    /// When the ban ends (Unix ms, in the future); omit for until lifted.
    pub until: Option<i64>,
}

/// Ban a user from a chat, removing them if they are a member (needs `remove_members` and a
/// higher role). A banned user cannot join by link or be added except by someone who may
/// remove members (which lifts the ban).
#[utoipa::path(put, path = "/chats/{chat_id}/bans/{user_id}", tag = "chats", security(("bearer" = [])),
    params(("chat_id" = i64, Path), ("user_id" = i64, Path), BanParams),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn ban(
    State(chats): Svc,
    me: AuthUser,
    Path((chat_id, user_id)): Path<(i64, i64)>,
    Query(q): Query<BanParams>,
) -> ApiResult<StatusCode> {
    chats.ban(me.user_id, chat_id, user_id, q.until).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Lift a ban (needs `remove_members`).
#[utoipa::path(delete, path = "/chats/{chat_id}/bans/{user_id}", tag = "chats", security(("bearer" = [])),
    params(("chat_id" = i64, Path), ("user_id" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn unban(State(chats): Svc, me: AuthUser, Path((chat_id, user_id)): Path<(i64, i64)>) -> ApiResult<StatusCode> {
    chats.unban(me.user_id, chat_id, user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Leave a group or channel (an owner transfers ownership first).
#[utoipa::path(post, path = "/chats/{chat_id}/leave", tag = "chats", security(("bearer" = [])),
    params(("chat_id" = i64, Path)), responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn leave(State(chats): Svc, me: AuthUser, Path(chat_id): Path<i64>) -> ApiResult<StatusCode> {
    chats.leave(me.user_id, chat_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct Transfer {
    pub user_id: i64,
}

/// Make another member the owner; I become an admin.
#[utoipa::path(post, path = "/chats/{chat_id}/transfer", tag = "chats", security(("bearer" = [])),
    params(("chat_id" = i64, Path)), request_body = Transfer,
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn transfer(
    State(chats): Svc,
    me: AuthUser,
    Path(chat_id): Path<i64>,
    Json(req): Json<Transfer>,
) -> ApiResult<StatusCode> {
    chats.transfer(me.user_id, chat_id, req.user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct InviteParams {
    /// `<created_at>:<code>` of the last link of the previous page: older links.
    pub before: Option<String>,
    /// 1 to 200, default 100.
    pub limit: Option<i64>,
}

/// Invite links of a chat, newest first (needs `invite`).
#[utoipa::path(get, path = "/chats/{chat_id}/invites", tag = "chats", security(("bearer" = [])),
    params(("chat_id" = i64, Path), InviteParams),
    responses((status = 404, body = ErrorBody), (status = 200, body = Vec<InviteLink>), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn invites(
    State(chats): Svc,
    me: AuthUser,
    Path(chat_id): Path<i64>,
    Query(q): Query<InviteParams>,
) -> ApiResult<Json<Vec<InviteLink>>> {
    let limit = page_limit(q.limit, 100, 200)?;
    let before = match q.before.as_deref().filter(|b| !b.is_empty()) {
        None => None,
        Some(cursor) => match cursor.split_once(':') {
            Some((at, code)) if at.parse::<i64>().is_ok() && !code.is_empty() => {
                Some((at.parse().unwrap_or_default(), code.to_owned()))
            }
            _ => {
                return Err(ApiError::validation(
                    "before",
                    "not a cursor from this API: <created_at>:<code>",
                ));
            }
        },
    };
    Ok(Json(chats.invites(me.user_id, chat_id, before, limit).await?))
}

/// Create an invite link (needs `invite`; `needs_approval` also the admin role); people join
/// at `/invites/{code}/join`.
#[utoipa::path(post, path = "/chats/{chat_id}/invites", tag = "chats", security(("bearer" = [])),
    params(("chat_id" = i64, Path)), request_body = InviteOptions,
    responses((status = 404, body = ErrorBody), (status = 201, body = InviteLink), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn create_chat_invite(
    State(chats): Svc,
    me: AuthUser,
    Path(chat_id): Path<i64>,
    Json(req): Json<InviteOptions>,
) -> ApiResult<(StatusCode, Json<InviteLink>)> {
    let link = chats.create_invite(me.user_id, chat_id, req).await?;
    Ok((StatusCode::CREATED, Json(link)))
}

/// Replace an invite link's terms (its creator, or with `change_info`); absent fields remove
/// their rule.
#[utoipa::path(patch, path = "/chats/{chat_id}/invites/{code}", tag = "chats", security(("bearer" = [])),
    params(("chat_id" = i64, Path), ("code" = String, Path)), request_body = InviteOptions,
    responses((status = 200, body = InviteLink), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn edit_invite(
    State(chats): Svc,
    me: AuthUser,
    Path((chat_id, code)): Path<(i64, String)>,
    Json(req): Json<InviteOptions>,
) -> ApiResult<Json<InviteLink>> {
    Ok(Json(chats.edit_invite(me.user_id, chat_id, code, req).await?))
}

/// Revoke an invite link (its creator, or with `change_info`).
#[utoipa::path(delete, path = "/chats/{chat_id}/invites/{code}", tag = "chats", security(("bearer" = [])),
    params(("chat_id" = i64, Path), ("code" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn revoke_invite(
    State(chats): Svc,
    me: AuthUser,
    Path((chat_id, code)): Path<(i64, String)>,
) -> ApiResult<StatusCode> {
    chats.revoke_invite(me.user_id, chat_id, code).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// What an invite link leads to.
#[utoipa::path(get, path = "/invites/{code}", tag = "chats", security(("bearer" = [])),
    params(("code" = String, Path)), responses((status = 200, body = InvitePreview), (status = 404, body = ErrorBody)))]
async fn preview_invite(State(chats): Svc, me: AuthUser, Path(code): Path<String>) -> ApiResult<Json<InvitePreview>> {
    Ok(Json(chats.preview_invite(me.user_id, &code).await?))
}

/// Join a chat with an invite link: 200 with the chat, or 202 when the link needs approval
/// (you wait for an admin; `chat.added` comes when they approve).
#[utoipa::path(post, path = "/invites/{code}/join", tag = "chats", security(("bearer" = [])),
    params(("code" = String, Path)), responses((status = 200, body = ChatInfo), (status = 202, body = JoinPending), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn join_invite(State(chats): Svc, me: AuthUser, Path(code): Path<String>) -> ApiResult<Response> {
    Ok(match chats.join_invite(me.user_id, code).await? {
        Joined::Member(chat) => Json(chat).into_response(),
        Joined::Requested(pending) => (StatusCode::ACCEPTED, Json(pending)).into_response(),
    })
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct JoinRequestParams {
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// 1 to 200, default 100.
    pub limit: Option<i64>,
}

/// People waiting to join, oldest first (admins who may invite).
#[utoipa::path(get, path = "/chats/{chat_id}/join-requests", tag = "chats", security(("bearer" = [])),
    params(("chat_id" = i64, Path), JoinRequestParams),
    responses((status = 200, body = Page<JoinRequest>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn join_requests(
    State(chats): Svc,
    me: AuthUser,
    Path(chat_id): Path<i64>,
    Query(q): Query<JoinRequestParams>,
) -> ApiResult<Json<Page<JoinRequest>>> {
    let limit = page_limit(q.limit, 100, 200)?;
    let after = parse_cursor::<2>(q.cursor.as_deref())?.map_or((0, 0), |[at, id]| (at, id));
    let rows = chats.join_requests(me.user_id, chat_id, after, limit + 1).await?;
    Ok(Json(Page::from_rows(rows, limit, |r| {
        format!("{}:{}", r.requested_at, r.user_id)
    })))
}

/// Let a person who asked into the chat (admins who may invite).
#[utoipa::path(post, path = "/chats/{chat_id}/join-requests/{user_id}/approve", tag = "chats", security(("bearer" = [])),
    params(("chat_id" = i64, Path), ("user_id" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn approve_join_request(
    State(chats): Svc,
    me: AuthUser,
    Path((chat_id, user_id)): Path<(i64, i64)>,
) -> ApiResult<StatusCode> {
    chats.decide_join(me.user_id, chat_id, user_id, true).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Turn a request down; the person may ask again (admins who may invite).
#[utoipa::path(post, path = "/chats/{chat_id}/join-requests/{user_id}/decline", tag = "chats", security(("bearer" = [])),
    params(("chat_id" = i64, Path), ("user_id" = i64, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
async fn decline_join_request(
    State(chats): Svc,
    me: AuthUser,
    Path((chat_id, user_id)): Path<(i64, i64)>,
) -> ApiResult<StatusCode> {
    chats.decide_join(me.user_id, chat_id, user_id, false).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Catch up after being offline: every missed event, or `too_long` per chat. See
/// docs/protocol.md.
#[utoipa::path(post, path = "/sync", tag = "realtime", security(("bearer" = [])), request_body = SyncRequest,
    responses((status = 200, body = SyncResponse), (status = 422, body = ErrorBody)))]
async fn sync(State(chats): Svc, me: AuthUser, Json(req): Json<SyncRequest>) -> ApiResult<axum::Json<SyncResponse>> {
    Ok(axum::Json(chats.sync(me.user_id, req).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct SearchParams {
    /// Words to find (all of them; the last also as a prefix).
    pub q: String,
    /// Only this chat.
    pub chat_id: Option<i64>,
    pub cursor: Option<String>,
    /// 1 to 100, default 20.
    pub limit: Option<i64>,
}

/// Search the messages I can read, newest first.
#[utoipa::path(get, path = "/search/messages", tag = "messages", security(("bearer" = [])), params(SearchParams),
    responses((status = 429, description = "over the caller's rate; see Retry-After", body = ErrorBody), (status = 200, body = Page<Message>), (status = 422, body = ErrorBody)))]
async fn search_messages(
    State(chats): Svc,
    me: AuthUser,
    Query(q): Query<SearchParams>,
) -> ApiResult<Json<Page<Message>>> {
    let limit = page_limit(q.limit, 20, 100)?;
    if q.q.chars().count() > 256 {
        return Err(ApiError::validation("q", "at most 256 characters"));
    }
    let before = parse_cursor::<3>(q.cursor.as_deref())?.map(|[at, chat, seq]| (at, chat, seq));
    let rows = chats.search(me.user_id, &q.q, q.chat_id, before, limit + 1).await?;
    Ok(Json(Page::from_rows(rows, limit, |m| {
        format!("{}:{}:{}", m.created_at, m.chat_id, m.seq)
    })))
}
