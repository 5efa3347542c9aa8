//! [`Connector`]: what campaigns and the parser need from a platform, asked as one account.
//! The native connector (`native.rs`) acts on this server's chats; Telegram's follow. Errors
//! are [`Refusal`]s in the platform-neutral words the campaign outcomes use.

use futures::future::BoxFuture;
use hybrid_chats_api::body::Entity;

/// Whom an account acts as, and how to reach the platform as them.
#[derive(Clone)]
pub struct Identity {
    /// The automation account's own id (what a connector keeps per account is keyed by it).
    pub account_id: i64,
    /// The platform's user id of the account.
    pub actor_id: i64,
    /// The platform session it acts through (0 where the platform has none).
    pub session_id: i64,
    /// The account's secret, unsealed: a bot's token (the native connector needs none).
    pub secret: String,
    /// Where the platform's API is (a bot's Bot API base URL); empty for the native one.
    pub endpoint: String,
}

impl std::fmt::Debug for Identity {
    // the secret stays out of logs and panics
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Identity")
            .field("account_id", &self.account_id)
            .field("actor_id", &self.actor_id)
            .field("endpoint", &self.endpoint)
            .finish_non_exhaustive()
    }
}

/// What an account is connected with.
pub struct Credentials<'a> {
    /// The access token (native) or bot token (Bot API).
    pub token: &'a str,
    /// The Bot API base URL; empty for the native connector.
    pub endpoint: &'a str,
}

/// Whom valid credentials act as.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub actor_id: i64,
    pub actor_name: String,
    pub session_id: i64,
}

/// A person a contact names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Person {
    pub user_id: i64,
    pub is_bot: bool,
}

/// Someone the parser found in a chat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub user_id: i64,
    /// Absent for people without one (Telegram's): the parser cannot keep them.
    pub username: Option<String>,
    pub is_bot: bool,
}

/// One page of a chat, as the parser reads it.
#[derive(Debug, Clone, Default)]
pub struct Scan {
    /// The members on the page, or the authors of its messages (a person may repeat).
    pub people: Vec<Found>,
    /// How many members or messages the page held.
    pub read: i64,
    /// Where the next page starts; `None`: this was the last.
    pub next: Option<i64>,
}

/// What a contact line holds.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Handle {
    /// E.164, with the `+`.
    Phone(String),
    /// Without the `@`.
    Username(String),
}

/// A platform's no, mapped onto campaign outcomes and account states.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Nobody has this phone or username (or they do not let themselves be found).
    NotFound,
    /// The person's privacy settings forbid this account to add them.
    PrivacyRestricted,
    /// The platform adds only mutual contacts (Telegram, for some invites).
    #[cfg_attr(not(feature = "telegram-user"), allow(dead_code))] // only the user connector gives it
    NotMutualContact,
    /// The person is in the chat already.
    AlreadyMember,
    /// Too many actions: wait this many seconds (the account rests as long).
    FloodWait(i64),
    /// Too many requests to strangers: the account rests for hours.
    #[cfg_attr(not(feature = "telegram-user"), allow(dead_code))] // as NotMutualContact
    PeerFlood,
    /// The account's session ended.
    LoggedOut,
    /// The account is banned or deleted.
    Banned,
    /// The account may not do this (not an admin of the target, …): fails the contact.
    Forbidden(String),
    /// The platform refused the message's formatting (its entities): sent again as plain
    /// text, it may pass.
    Formatting(String),
    /// Anything else; `transient` ones are retried by the job.
    Failed { reason: String, transient: bool },
}

pub type Reply<'a, T> = BoxFuture<'a, Result<T, Refusal>>;

/// A refusal that passes — a flood wait, a transient failure — as its job's outcome: tried
/// again then. `None` for the others, and on the job's last attempt.
pub fn retry_later(refusal: &Refusal, last_attempt: bool) -> Option<hybrid_core::jobs::Outcome> {
    use hybrid_core::jobs::Outcome;
    match refusal {
        _ if last_attempt => None,
        Refusal::FloodWait(secs) => Some(Outcome::RetryAfter(
            "the platform asked to wait".into(),
            std::time::Duration::from_secs((*secs).max(1) as u64),
        )),
        Refusal::Failed {
            reason,
            transient: true,
        } => Some(Outcome::Retry(reason.clone())),
        _ => None,
    }
}

/// One platform, asked as one account. Implementations map their errors onto [`Refusal`].
pub trait Connector: Send + Sync {
    /// Whom the credentials act as: `Err(LoggedOut | Banned)` when the platform refuses them.
    fn sign_in<'a>(&'a self, credentials: &'a Credentials<'a>) -> Reply<'a, SignedIn>;
    /// Whether the account can act (its session alive): `Err(LoggedOut | Banned)` when not.
    fn check<'a>(&'a self, account: &'a Identity) -> Reply<'a, ()>;
    /// Whether its accounts can add people to chats (a bot cannot: it sends links instead).
    fn adds_people(&self) -> bool {
        true
    }
    /// What a `not_found` contact's detail says.
    fn not_found_detail(&self) -> &'static str {
        "no such user"
    }
    fn resolve<'a>(&'a self, account: &'a Identity, handle: &'a Handle) -> Reply<'a, Person>;
    fn is_member<'a>(&'a self, account: &'a Identity, chat_id: i64, user_id: i64) -> Reply<'a, bool>;
    /// Adds the person to the chat.
    fn invite<'a>(&'a self, account: &'a Identity, chat_id: i64, user_id: i64) -> Reply<'a, ()>;
    /// An invite link of the chat the account may hand out (made once per campaign and account).
    fn create_link<'a>(&'a self, account: &'a Identity, chat_id: i64, name: &'a str) -> Reply<'a, String>;
    /// Sends a message to the person, privately.
    fn send_private<'a>(&'a self, account: &'a Identity, user_id: i64, text: &'a str) -> Reply<'a, ()>;
    /// Publishes a message (text with its formatting) into the chat (a group or channel the
    /// account may post in) and gives the message's id there. `key` (1 to 64 bytes) makes it
    /// idempotent: posting again with the same key gives the first message's id instead of a
    /// second message, so a job retried after a crash never posts twice.
    fn post<'a>(
        &'a self,
        account: &'a Identity,
        chat_id: i64,
        text: &'a str,
        entities: &'a [Entity],
        key: &'a str,
    ) -> Reply<'a, i64>;
    /// A page of the chat's members from `cursor` on (`None`: the first page).
    fn members<'a>(&'a self, account: &'a Identity, chat_id: i64, cursor: Option<i64>, limit: i64) -> Reply<'a, Scan>;
    /// A page of the chat's history back from `cursor` (`None`: the latest), as the authors of
    /// its messages (service messages left out).
    fn authors<'a>(&'a self, account: &'a Identity, chat_id: i64, cursor: Option<i64>, limit: i64) -> Reply<'a, Scan>;
}
