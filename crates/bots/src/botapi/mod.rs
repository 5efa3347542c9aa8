//! The Telegram Bot API at `/bot<token>/<method>` (docs/bots.md): what Telegram's server
//! answers, so bots written for Telegram (aiogram, python-telegram-bot, …) run on Hybrid with
//! only the server URL and the token changed. Each method is one of the chats service's own
//! operations done as the bot ([`ChatActions`]); nothing here repeats chats' rules.
//!
//! - `params.rs`: a call's parameters from any of the encodings Telegram accepts;
//! - `reply.rs`: the `{"ok": …}` envelope and Telegram's errors;
//! - `shapes.rs`: how Hybrid's ids, users, chats and messages look in the Bot API;
//! - `markup.rs`: keyboards (`reply_markup`);
//! - `file_ids.rs`: Telegram's file ids for Hybrid's files;
//! - `messages.rs`, `files.rs`, `bot.rs`, `admin.rs`, `updates.rs`: the methods.

mod admin;
mod bot;
pub mod file_ids;
mod files;
pub mod markup;
mod messages;
pub mod params;
pub mod reply;
pub mod shapes;
pub mod updates;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::extract::{Path, Request, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use hybrid_chats_api::{Action, ChatActions, ChatMessage, ChatView, Outcome};
use hybrid_core::ApiError;
use params::Params;
use reply::{BotError, BotResult};
use serde_json::Value;
use shapes::{Cards, ChatMeta, ChatRef};

use crate::service::Bots;
use crate::store::BotRow;
use crate::token;
use files::Kind;

/// The routes bots call, outside `/api/v1` (Telegram's paths): methods, whose bodies may
/// carry uploads up to `bots.max_upload_bytes`, and file downloads.
pub fn router(bots: Arc<Bots>) -> Router {
    // the multipart framing and the other parameters on top of the largest file
    let body_limit = bots.config.max_upload_bytes + (1 << 20);
    Router::new()
        .route(
            "/bot{token}/{method}",
            any(call).layer(DefaultBodyLimit::max(body_limit)),
        )
        .route("/file/bot{token}/{*path}", get(files::download))
        .with_state(bots)
}

async fn call(
    State(bots): State<Arc<Bots>>,
    Path((token, method)): Path<(String, String)>,
    request: Request,
) -> Response {
    let answer = async {
        let bot = bots.authenticate(&token).await?;
        let params = Params::from_request(request).await?;
        let call = Call { bots: &bots, bot };
        call.method(&method.to_ascii_lowercase(), params).await
    };
    match answer.await {
        Ok(result) => reply::ok(result),
        Err(err) => err.into_response(),
    }
}

impl Bots {
    /// The bot a token belongs to; 401 for anything else.
    pub async fn authenticate(&self, token: &str) -> BotResult<BotRow> {
        let id = token::bot_id(token).ok_or_else(BotError::unauthorized)?;
        match self.store.get(id).await.map_err(BotError::from)? {
            Some(bot) if token::matches(token, &bot.token_hash) => Ok(bot),
            _ => Err(BotError::unauthorized()),
        }
    }
}

/// One call of one bot.
pub struct Call<'a> {
    pub bots: &'a Bots,
    pub bot: BotRow,
}

impl Call<'_> {
    async fn method(&self, method: &str, params: Params) -> BotResult<Value> {
        match method {
            "getme" => self.get_me().await,
            "logout" | "close" => Ok(Value::Bool(true)),
            "getupdates" => self.get_updates(&params).await,
            "setwebhook" => self.set_webhook(&params).await,
            "deletewebhook" => self.delete_webhook(&params).await,
            "getwebhookinfo" => self.webhook_info().await,
            "sendmessage" => self.send_message(&params).await,
            "forwardmessage" => self.forward_message(&params).await,
            "copymessage" => self.copy_message(&params).await,
            "editmessagetext" => self.edit_message_text(&params).await,
            "editmessagereplymarkup" => self.edit_message_reply_markup(&params).await,
            "deletemessage" => self.delete_message(&params).await,
            "deletemessages" => self.delete_messages(&params).await,
            "sendchataction" => self.send_chat_action(&params).await,
            "pinchatmessage" => self.pin_chat_message(&params, true).await,
            "unpinchatmessage" => self.pin_chat_message(&params, false).await,
            "setmessagereaction" => self.set_message_reaction(&params).await,
            "getchat" => self.get_chat(&params).await,
            "answercallbackquery" => self.answer_callback_query(&params).await,
            "setmycommands" => self.set_my_commands(&params).await,
            "getmycommands" => self.get_my_commands(&params).await,
            "deletemycommands" => self.delete_my_commands(&params).await,
            "sendphoto" => self.send_file(&params, Kind::Photo).await,
            "senddocument" => self.send_file(&params, Kind::Document).await,
            "sendaudio" => self.send_file(&params, Kind::Audio).await,
            "sendvoice" => self.send_file(&params, Kind::Voice).await,
            "sendvideo" => self.send_file(&params, Kind::Video).await,
            "sendanimation" => self.send_file(&params, Kind::Animation).await,
            "sendmediagroup" => self.send_media_group(&params).await,
            "getfile" => self.get_file(&params).await,
            "getchatmember" => self.get_chat_member(&params).await,
            "getchatmembercount" | "getchatmemberscount" => self.get_chat_member_count(&params).await,
            "getchatadministrators" => self.get_chat_administrators(&params).await,
            "banchatmember" | "kickchatmember" => self.ban_chat_member(&params).await,
            "unbanchatmember" => self.unban_chat_member(&params).await,
            "restrictchatmember" => self.restrict_chat_member(&params).await,
            "promotechatmember" => self.promote_chat_member(&params).await,
            "setchattitle" => self.set_chat_title(&params).await,
            "setchatdescription" => self.set_chat_description(&params).await,
            "leavechat" => self.leave_chat(&params).await,
            "createchatinvitelink" => self.create_chat_invite_link(&params).await,
            "editchatinvitelink" => self.edit_chat_invite_link(&params).await,
            "revokechatinvitelink" => self.revoke_chat_invite_link(&params).await,
            "exportchatinvitelink" => self.export_chat_invite_link(&params).await,
            "approvechatjoinrequest" => self.decide_join_request(&params, true).await,
            "declinechatjoinrequest" => self.decide_join_request(&params, false).await,
            _ => Err(BotError::unknown_method()),
        }
    }

    fn id(&self) -> i64 {
        self.bot.user_id
    }

    fn chats(&self) -> &dyn ChatActions {
        self.bots.chats.as_ref()
    }

    async fn act(&self, action: Action) -> Result<Outcome, ApiError> {
        self.chats().act(self.id(), action).await
    }

    /// The Hybrid chat a `chat_id` parameter names, with what rendering needs of it. A chat
    /// the bot is not in is "chat not found", as in Telegram; a person who never wrote to the
    /// bot cannot be written to first.
    async fn chat(&self, params: &Params, name: &str) -> BotResult<ChatMeta> {
        let raw = params
            .string(name)?
            .ok_or_else(|| BotError::bad_request(format!("{name} is empty")))?;
        let id: i64 = raw.trim().parse().map_err(|_| BotError::chat_not_found())?;
        match ChatRef::parse(id).ok_or_else(BotError::chat_not_found)? {
            ChatRef::Chat(chat_id) => self.chat_meta(chat_id).await,
            ChatRef::User(user_id) => {
                if let Some(meta) = self.bots.store.direct_with(self.id(), user_id).await? {
                    return Ok(meta);
                }
                match self.act(Action::Direct { peer: user_id }).await? {
                    Outcome::Direct { chat_id: Some(chat_id) } => self.chat_meta(chat_id).await,
                    _ if self.bots.directory.get(user_id).await?.is_some() => {
                        Err(BotError::forbidden("bot can't initiate conversation with a user"))
                    }
                    _ => Err(BotError::chat_not_found()),
                }
            }
        }
    }

    /// A chat of the bot's ("chat not found" unless it is in it).
    async fn chat_meta(&self, chat_id: i64) -> BotResult<ChatMeta> {
        self.bots.bot_chat(self.id(), chat_id).await.map_err(not_found_as_chat)
    }

    async fn chat_view(&self, chat_id: i64) -> BotResult<ChatView> {
        match self.act(Action::Chat { chat_id }).await.map_err(not_found_as_chat)? {
            Outcome::Chat(view) => Ok(view),
            _ => Err(BotError::chat_not_found()),
        }
    }

    /// A message as the Bot API shows it to this bot.
    async fn render(&self, message: &ChatMessage, meta: &ChatMeta) -> BotResult<Value> {
        let cards = self.cards(&shapes::users_of(message, meta)).await?;
        let sent_as = match &message.attachment {
            Some(_) => self.bots.store.sent_as(message.chat_id, message.seq).await?,
            None => None,
        };
        let files = self.bots.file_ids(self.id());
        let rendered = shapes::Message::of(message, meta, &cards, None).with_media(message, &files, sent_as.as_deref());
        Ok(serde_json::to_value(rendered).expect("messages serialise"))
    }

    async fn cards(&self, ids: &[i64]) -> BotResult<Cards> {
        Ok(self.bots.cards_of(ids).await?)
    }

    async fn answer_callback_query(&self, params: &Params) -> BotResult<Value> {
        let id = params.required_string("callback_query_id", "callback_query_id is empty")?;
        let answer = crate::api::CallbackAnswer {
            answered: true,
            text: params.string("text")?,
            show_alert: params.boolean("show_alert")?.unwrap_or(false),
            url: params.string("url")?,
        };
        self.bots.answer_callback(self.id(), &id, answer).await?;
        Ok(Value::Bool(true))
    }
}

/// Chats' 404 for a chat, in the Bot API's words.
fn not_found_as_chat(err: ApiError) -> BotError {
    if err.status == axum::http::StatusCode::NOT_FOUND {
        BotError::chat_not_found()
    } else {
        err.into()
    }
}
