//! The Bot API's methods about the bot itself and its chats: getMe, the command menu, getChat.

use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::Call;
use super::params::Params;
use super::reply::{BotError, BotResult};
use super::shapes::{Chat, User};
pub use crate::api::BotCommand;
use crate::store::BotChange;

/// Commands one list may hold (Telegram: 100).
const MAX_COMMANDS: usize = 100;

#[derive(Debug, Deserialize)]
struct Scope {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    chat_id: Option<Value>,
    #[serde(default)]
    user_id: Option<i64>,
}

impl Call<'_> {
    pub(super) async fn get_me(&self) -> BotResult<Value> {
        let card = self
            .bots
            .directory
            .cards(&[self.id()])
            .await?
            .pop()
            .ok_or_else(BotError::unauthorized)?;
        let mut me = User::of(&card);
        me.can_join_groups = Some(true);
        me.can_read_all_group_messages = Some(self.bot.privacy == 0);
        me.supports_inline_queries = Some(false);
        let mut me = serde_json::to_value(me).expect("users serialise");
        me["can_connect_to_business"] = Value::Bool(false);
        me["has_main_web_app"] = Value::Bool(false);
        Ok(me)
    }

    /// Telegram's ChatFullInfo of a chat of the bot's, with the fields libraries require.
    pub(super) async fn get_chat(&self, params: &Params) -> BotResult<Value> {
        let mut meta = self.chat(params, "chat_id").await?;
        let view = self.chat_view(meta.chat_id).await?;
        // chats' title, not the copy updates keep (it may lag a change just made)
        meta.title = view.title.clone();
        let cards = self.cards(&meta.peer_id.into_iter().collect::<Vec<_>>()).await?;
        let mut chat = Chat::of(&meta, &cards);
        if view.kind != "direct" {
            chat.description = Some(view.description).filter(|d| !d.is_empty());
        }
        let mut chat = serde_json::to_value(chat).expect("chats serialise");
        chat["accent_color_id"] = json!(view.id.rem_euclid(7));
        chat["max_reaction_count"] = json!(3);
        chat["accepted_gift_types"] = json!({
            "unlimited_gifts": false, "limited_gifts": false, "unique_gifts": false, "premium_subscription": false
        });
        Ok(chat)
    }

    pub(super) async fn set_my_commands(&self, params: &Params) -> BotResult<Value> {
        let commands: Vec<BotCommand> = params
            .json("commands", "commands")?
            .ok_or_else(|| BotError::bad_request("commands is empty"))?;
        if commands.len() > MAX_COMMANDS {
            return Err(BotError::bad_request("too many commands specified"));
        }
        for command in &commands {
            check_command(command)?;
        }
        let key = scope_key(params)?;
        let mut all = self.command_lists();
        if commands.is_empty() {
            all.remove(&key);
        } else {
            all.insert(key, serde_json::to_value(commands).expect("commands serialise"));
        }
        self.save_commands(all).await
    }

    pub(super) async fn get_my_commands(&self, params: &Params) -> BotResult<Value> {
        let key = scope_key(params)?;
        Ok(self.command_lists().remove(&key).unwrap_or_else(|| json!([])))
    }

    pub(super) async fn delete_my_commands(&self, params: &Params) -> BotResult<Value> {
        let key = scope_key(params)?;
        let mut all = self.command_lists();
        all.remove(&key);
        self.save_commands(all).await
    }

    /// The bot's command lists by scope and language (`bots.commands`).
    fn command_lists(&self) -> Map<String, Value> {
        match serde_json::from_str(&self.bot.commands) {
            Ok(Value::Object(lists)) => lists,
            _ => Map::new(),
        }
    }

    async fn save_commands(&self, lists: Map<String, Value>) -> BotResult<Value> {
        let change = BotChange {
            commands: Some(Value::Object(lists).to_string()),
            ..Default::default()
        };
        self.bots.store.update(self.id(), change).await?;
        Ok(Value::Bool(true))
    }
}

/// The key of a command list: its scope (`default`, `all_group_chats`, `chat:<id>` …) and
/// language. People's clients show the `default` list with no language.
fn scope_key(params: &Params) -> BotResult<String> {
    let scope = params.json::<Scope>("scope", "scope")?;
    let scope = match scope {
        None => "default".to_owned(),
        Some(scope) => {
            const KINDS: &[&str] = &[
                "default",
                "all_private_chats",
                "all_group_chats",
                "all_chat_administrators",
                "chat",
                "chat_administrators",
                "chat_member",
            ];
            if !KINDS.contains(&scope.kind.as_str()) {
                return Err(BotError::bad_request("wrong parameter scope in request"));
            }
            let chat = scope.chat_id.map(|c| c.to_string().trim_matches('"').to_owned());
            match (chat, scope.user_id) {
                (Some(chat), Some(user)) => format!("{}:{chat}:{user}", scope.kind),
                (Some(chat), None) => format!("{}:{chat}", scope.kind),
                _ => scope.kind,
            }
        }
    };
    let language = params.string("language_code")?.unwrap_or_default();
    if !(language.is_empty() || (language.len() == 2 && language.bytes().all(|b| b.is_ascii_lowercase()))) {
        return Err(BotError::bad_request("invalid language code specified"));
    }
    Ok(format!("{scope}|{language}"))
}

/// Telegram's rules: a command is 1 to 32 of `a-z0-9_`, its description 1 to 256 characters.
fn check_command(command: &BotCommand) -> BotResult<()> {
    let name = &command.command;
    let name_ok = (1..=32).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if !name_ok {
        return Err(BotError::bad_request("BOT_COMMAND_INVALID"));
    }
    if !(1..=256).contains(&command.description.chars().count()) {
        return Err(BotError::bad_request("command description must be 1-256 characters"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_follow_telegrams_rules() {
        let command = |c: &str, d: &str| BotCommand {
            command: c.into(),
            description: d.into(),
        };
        assert!(check_command(&command("start", "Start the bot")).is_ok());
        assert!(check_command(&command("Start", "x")).is_err());
        assert!(check_command(&command("", "x")).is_err());
        assert!(check_command(&command("a-b", "x")).is_err());
        assert!(check_command(&command("help", "")).is_err());
        assert!(check_command(&command(&"a".repeat(33), "x")).is_err());
    }

    #[test]
    fn lists_are_kept_per_scope_and_language() {
        let key = |v: Value| scope_key(&Params::of(v)).unwrap();
        assert_eq!(key(json!({})), "default|");
        assert_eq!(
            key(json!({"scope": {"type": "all_group_chats"}, "language_code": "ru"})),
            "all_group_chats|ru"
        );
        assert_eq!(
            key(json!({"scope": "{\"type\":\"chat\",\"chat_id\":-1000000000005}"})),
            "chat:-1000000000005|"
        );
        assert!(scope_key(&Params::of(json!({"scope": {"type": "everyone"}}))).is_err());
        assert!(scope_key(&Params::of(json!({"language_code": "english"}))).is_err());
    }
}
