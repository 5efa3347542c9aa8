//! The native connector: an account is a Hybrid user of this server acting through one of
//! their sessions. Every action goes through the chats service's own rules
//! ([`ChatActions`]), exactly as if the user did it, so an account can do nothing its user
//! could not; the session must still be signed in ([`TokenAuthority::live_sessions`]).

use std::collections::HashMap;
use std::sync::Arc;

use hybrid_auth_api::TokenAuthority;
use hybrid_chats_api::body::Entity;
use hybrid_chats_api::{Action, ChatActions, InviteTerms, Outcome};
use hybrid_core::{ApiError, TokenVerifier};
use hybrid_users_api::UserDirectory;

use crate::connector::{Connector, Credentials, Found, Handle, Identity, Person, Refusal, Reply, Scan, SignedIn};

/// The connector's name, as accounts give it.
pub const NAME: &str = "hybrid";

pub struct Native {
    pub chats: Arc<dyn ChatActions>,
    pub users: Arc<dyn UserDirectory>,
    pub sessions: Arc<dyn TokenAuthority>,
    /// Checks the access tokens accounts connect with.
    pub tokens: Arc<TokenVerifier>,
    /// Where people open the web client: links are `<web_url>/join/<code>`.
    pub web_url: String,
}

impl Native {
    async fn act(&self, account: &Identity, action: Action) -> Result<Outcome, Refusal> {
        self.chats.act(account.actor_id, action).await.map_err(refusal)
    }

    /// `ids` (in their order, repeats kept) as people, their usernames read in one call.
    async fn found(&self, ids: &[i64]) -> Result<Vec<Found>, Refusal> {
        let mut distinct = ids.to_vec();
        distinct.sort_unstable();
        distinct.dedup();
        let cards = self.users.cards(&distinct).await.map_err(unavailable)?;
        let cards: HashMap<i64, _> = cards.into_iter().map(|c| (c.id, c)).collect();
        Ok(ids
            .iter()
            .filter_map(|id| cards.get(id))
            .map(|card| Found {
                user_id: card.id,
                username: Some(card.username.clone()),
                is_bot: card.is_bot,
            })
            .collect())
    }
}

/// A message of text with its formatting, sent once per `nonce` when one is given.
fn message(chat_id: i64, text: &str, entities: &[Entity], nonce: Option<&str>) -> Action {
    Action::Send {
        chat_id,
        text: text.to_owned(),
        entities: entities.to_vec(),
        reply_to: None,
        reply_markup: None,
        attach: None,
        nonce: nonce.map(str::to_owned),
    }
}

fn unexpected(outcome: Outcome) -> Refusal {
    Refusal::Failed {
        reason: format!("unexpected answer {outcome:?}"),
        transient: false,
    }
}

/// The chats API's answer in campaign words.
fn refusal(err: ApiError) -> Refusal {
    match (err.status.as_u16(), err.code) {
        (_, "privacy_restricted") => Refusal::PrivacyRestricted,
        (_, "already_member") => Refusal::AlreadyMember,
        (429, _) => Refusal::FloodWait(err.retry_after.unwrap_or(60) as i64),
        (401, _) => Refusal::LoggedOut,
        (403 | 404, _) => Refusal::Forbidden(err.message.into_owned()),
        (422, _) if err.field.as_deref().is_some_and(|field| field.starts_with("entities")) => {
            Refusal::Formatting(err.message.into_owned())
        }
        (status, _) => Refusal::Failed {
            reason: err.message.into_owned(),
            transient: status >= 500,
        },
    }
}

fn unavailable(err: ApiError) -> Refusal {
    Refusal::Failed {
        reason: err.message.into_owned(),
        transient: true,
    }
}

impl Connector for Native {
    /// The token must be an access token this server signed, of a session still signed in.
    fn sign_in<'a>(&'a self, credentials: &'a Credentials<'a>) -> Reply<'a, SignedIn> {
        Box::pin(async move {
            let claims = self
                .tokens
                .verify(credentials.token.trim())
                .map_err(|_| Refusal::Forbidden("not a valid access token of this server".into()))?;
            let actor_id = claims
                .user_id()
                .ok_or_else(|| Refusal::Forbidden("the token names no user".into()))?;
            let identity = Identity {
                account_id: 0,
                actor_id,
                session_id: claims.sid,
                secret: String::new(),
                endpoint: String::new(),
            };
            self.check(&identity).await?;
            let actor_name = self
                .users
                .get(actor_id)
                .await
                .map_err(unavailable)?
                .map(|u| u.username)
                .unwrap_or_default();
            Ok(SignedIn {
                actor_id,
                actor_name,
                session_id: claims.sid,
            })
        })
    }

    fn check<'a>(&'a self, account: &'a Identity) -> Reply<'a, ()> {
        Box::pin(async move {
            let live = self
                .sessions
                .live_sessions(vec![account.session_id])
                .await
                .map_err(unavailable)?;
            if live.is_empty() {
                return Err(Refusal::LoggedOut);
            }
            match self.users.get(account.actor_id).await.map_err(unavailable)? {
                Some(_) => Ok(()),
                None => Err(Refusal::Banned),
            }
        })
    }

    fn resolve<'a>(&'a self, _account: &'a Identity, handle: &'a Handle) -> Reply<'a, Person> {
        Box::pin(async move {
            match handle {
                // Hybrid accounts have no phone numbers: nobody is found by one
                Handle::Phone(_) => Err(Refusal::NotFound),
                Handle::Username(name) => {
                    let folded = hybrid_core::text::fold(name);
                    match self.users.find_by_username(&folded).await.map_err(unavailable)? {
                        Some(user) => Ok(Person {
                            user_id: user.id,
                            is_bot: user.is_bot,
                        }),
                        None => Err(Refusal::NotFound),
                    }
                }
            }
        })
    }

    fn is_member<'a>(&'a self, account: &'a Identity, chat_id: i64, user_id: i64) -> Reply<'a, bool> {
        Box::pin(async move {
            match self.act(account, Action::Member { chat_id, user_id }).await? {
                Outcome::Member(member) => Ok(matches!(member.status.as_str(), "owner" | "admin" | "member")),
                other => Err(unexpected(other)),
            }
        })
    }

    fn invite<'a>(&'a self, account: &'a Identity, chat_id: i64, user_id: i64) -> Reply<'a, ()> {
        Box::pin(async move {
            let action = Action::AddMembers {
                chat_id,
                user_ids: vec![user_id],
            };
            self.act(account, action).await.map(|_| ())
        })
    }

    fn create_link<'a>(&'a self, account: &'a Identity, chat_id: i64, name: &'a str) -> Reply<'a, String> {
        Box::pin(async move {
            let terms = InviteTerms {
                name: name.chars().take(32).collect(),
                ..InviteTerms::default()
            };
            match self.act(account, Action::CreateInvite { chat_id, terms }).await? {
                Outcome::Invite(link) => Ok(format!("{}/join/{}", self.web_url.trim_end_matches('/'), link.code)),
                other => Err(unexpected(other)),
            }
        })
    }

    fn send_private<'a>(&'a self, account: &'a Identity, user_id: i64, text: &'a str) -> Reply<'a, ()> {
        Box::pin(async move {
            let chat_id = match self.act(account, Action::OpenDirect { peer: user_id }).await {
                Ok(Outcome::Chat(chat)) => chat.id,
                // a person who blocks the account does not take its messages
                Err(Refusal::Forbidden(_)) => return Err(Refusal::PrivacyRestricted),
                Err(refusal) => return Err(refusal),
                Ok(other) => return Err(unexpected(other)),
            };
            self.act(account, message(chat_id, text, &[], None)).await.map(|_| ())
        })
    }

    fn post<'a>(
        &'a self,
        account: &'a Identity,
        chat_id: i64,
        text: &'a str,
        entities: &'a [Entity],
        key: &'a str,
    ) -> Reply<'a, i64> {
        Box::pin(async move {
            match self.act(account, message(chat_id, text, entities, Some(key))).await? {
                Outcome::Message(message) => Ok(message.seq),
                other => Err(unexpected(other)),
            }
        })
    }

    fn members<'a>(&'a self, account: &'a Identity, chat_id: i64, cursor: Option<i64>, limit: i64) -> Reply<'a, Scan> {
        Box::pin(async move {
            let after = cursor.unwrap_or(0);
            let members = match self.act(account, Action::Members { chat_id, after, limit }).await? {
                Outcome::Members { members } => members,
                other => return Err(unexpected(other)),
            };
            let ids: Vec<i64> = members.iter().map(|m| m.user_id).collect();
            Ok(Scan {
                read: ids.len() as i64,
                next: (ids.len() as i64 >= limit).then(|| ids.last().copied()).flatten(),
                people: self.found(&ids).await?,
            })
        })
    }

    fn authors<'a>(&'a self, account: &'a Identity, chat_id: i64, cursor: Option<i64>, limit: i64) -> Reply<'a, Scan> {
        Box::pin(async move {
            let history = Action::History {
                chat_id,
                before: cursor,
                limit,
            };
            let messages = match self.act(account, history).await? {
                Outcome::Messages { messages } => messages,
                other => return Err(unexpected(other)),
            };
            let oldest = messages.iter().map(|m| m.seq).min();
            let ids: Vec<i64> = messages.iter().filter(|m| !m.service).map(|m| m.sender_id).collect();
            Ok(Scan {
                read: messages.len() as i64,
                next: (messages.len() as i64 >= limit).then_some(oldest).flatten(),
                people: self.found(&ids).await?,
            })
        })
    }
}
