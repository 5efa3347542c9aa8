//! The `telegram_user` connector: a Telegram user account over MTProto, as the legacy Telegram
//! Invite ran its accounts. It adds people to channels and supergroups (`-100…` chat ids, as
//! the Bot API names them), finds them by username or phone (imported as contacts), reads
//! members and history for the parser, sends and posts. Accounts come from a QR login
//! (`login.rs`); the account's secret is its MTProto session. Telegram wants an access hash
//! with every user and channel named, so those an answer gives are kept per account
//! (`telegram_peers`). Telegram's errors map onto campaign outcomes in [`refusal_of`].

pub mod login;
pub mod mtproto;
pub mod requests;
pub mod wire;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod wire_check;

use std::sync::Arc;

use grammers_tl_types::{self as tl, RemoteCall};
use hybrid_chats_api::body::Entity;
use hybrid_store::Db;

use crate::connector::{Connector, Credentials, Found, Handle, Identity, Person, Refusal, Reply, Scan, SignedIn};
use crate::store::{self, peers};
use wire::{Failure, Session, Telegram, channel_chat_id, channel_of, channels_of, users_of};

pub const NAME: &str = "telegram_user";

/// Dialogs read to find a channel the account was never shown by an answer.
const DIALOGS_SCANNED: i32 = 100;

pub struct TelegramUser {
    pub telegram: Arc<dyn Telegram>,
    pub db: Db,
}

/// Telegram's error, in the campaign's words.
pub fn refusal_of(failure: Failure) -> Refusal {
    let rpc = match failure {
        Failure::Rpc(rpc) => rpc,
        Failure::Transport(reason) => {
            return Refusal::Failed {
                reason,
                transient: true,
            };
        }
        Failure::NoSession => return Refusal::LoggedOut,
    };
    let wait = || i64::from(rpc.value.unwrap_or(60));
    match rpc.name.as_str() {
        "FLOOD_WAIT" | "FLOOD_PREMIUM_WAIT" | "SLOWMODE_WAIT" | "FLOOD_TEST_PHONE_WAIT" => Refusal::FloodWait(wait()),
        "PEER_FLOOD" => Refusal::PeerFlood,
        "USER_PRIVACY_RESTRICTED" => Refusal::PrivacyRestricted,
        "USER_NOT_MUTUAL_CONTACT" => Refusal::NotMutualContact,
        "USER_ALREADY_PARTICIPANT" => Refusal::AlreadyMember,
        "AUTH_KEY_UNREGISTERED"
        | "AUTH_KEY_INVALID"
        | "AUTH_KEY_PERM_EMPTY"
        | "SESSION_REVOKED"
        | "SESSION_EXPIRED"
        | "AUTH_KEY_DUPLICATED" => Refusal::LoggedOut,
        "USER_DEACTIVATED" | "USER_DEACTIVATED_BAN" | "PHONE_NUMBER_BANNED" => Refusal::Banned,
        "USERNAME_NOT_OCCUPIED" | "USERNAME_INVALID" | "USER_ID_INVALID" | "PHONE_NOT_OCCUPIED" => Refusal::NotFound,
        // formatting Telegram will not take: ENTITY_BOUNDS_INVALID, ENTITIES_TOO_LONG,
        // ENTITY_TEXTURL_INVALID, …
        name if name.starts_with("ENTIT") => Refusal::Formatting(format!("Telegram refused the formatting: {name}")),
        _ if rpc.code == 403 || rpc.code == 400 => Refusal::Forbidden(format!("Telegram refused: {}", rpc.name)),
        _ => Refusal::Failed {
            reason: format!("Telegram: {} ({})", rpc.name, rpc.code),
            // 5xx: Telegram's own trouble, asked again later
            transient: rpc.code >= 500 || rpc.code < 0,
        },
    }
}

fn failed(reason: &str) -> Refusal {
    Refusal::Failed {
        reason: reason.into(),
        transient: false,
    }
}

/// A key's random id: the same key sends the same id, which Telegram takes once.
fn random_id_of(account_id: i64, key: &str) -> i64 {
    // FNV-1a: stable across builds, unlike std's hasher
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in account_id.to_le_bytes().iter().chain(key.as_bytes()) {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    hash as i64
}

fn fresh_random_id() -> i64 {
    let mut id = [0u8; 8];
    getrandom::fill(&mut id).expect("the OS has randomness");
    i64::from_le_bytes(id)
}

fn found(user: &tl::types::User) -> Found {
    let username = user.username.clone().or_else(|| {
        user.usernames.as_ref().and_then(|names| {
            names
                .iter()
                .find_map(|tl::enums::Username::Username(name)| name.active.then(|| name.username.clone()))
        })
    });
    Found {
        user_id: user.id,
        username,
        is_bot: user.bot,
    }
}

/// The id Telegram gave the message sent with `random_id`, from the answer to the send.
fn sent_message_id(updates: &tl::enums::Updates, random_id: i64) -> Option<i64> {
    let updates = match updates {
        tl::enums::Updates::UpdateShortSentMessage(sent) => return Some(sent.id.into()),
        tl::enums::Updates::Updates(all) => &all.updates,
        tl::enums::Updates::Combined(all) => &all.updates,
        tl::enums::Updates::UpdateShort(one) => std::slice::from_ref(&one.update),
        _ => return None,
    };
    updates.iter().find_map(|update| match update {
        tl::enums::Update::MessageId(sent) if sent.random_id == random_id => Some(sent.id.into()),
        _ => None,
    })
}

impl TelegramUser {
    /// One request as the account, Telegram's error as it came.
    async fn ask<R: RemoteCall>(&self, account: &Identity, request: &R) -> Result<R::Return, Failure> {
        let session = Session::from_bytes(account.secret.as_bytes()).map_err(|_| Failure::NoSession)?;
        wire::call(self.telegram.as_ref(), &session, None, request)
            .await
            .map(|(answer, _)| answer)
    }

    /// One request as the account; the access hashes its answer gives are kept by the caller.
    async fn call<R: RemoteCall>(&self, account: &Identity, request: &R) -> Result<R::Return, Refusal> {
        self.ask(account, request).await.map_err(refusal_of)
    }

    /// Keeps the access hashes of the users and channels an answer named.
    async fn remember(
        &self,
        account: &Identity,
        users: &[tl::enums::User],
        chats: &[tl::enums::Chat],
    ) -> Result<(), Refusal> {
        let peers: Vec<(i64, i64)> = users_of(users)
            .filter_map(|u| u.access_hash.map(|hash| (u.id, hash)))
            .chain(channels_of(chats).map(|(id, hash)| (channel_chat_id(id), hash)))
            .collect();
        if peers.is_empty() {
            return Ok(());
        }
        let account_id = account.account_id;
        self.db
            .write(move |tx| Box::pin(async move { peers::remember_peers(tx, account_id, &peers).await }))
            .await
            .map_err(|e| Refusal::Failed {
                reason: e.to_string(),
                transient: true,
            })
    }

    async fn known_hash(&self, account: &Identity, peer_id: i64) -> Result<Option<i64>, Refusal> {
        peers::access_hash(&mut self.db.reads(), account.account_id, peer_id)
            .await
            .map_err(|e| Refusal::Failed {
                reason: e.to_string(),
                transient: true,
            })
    }

    async fn input_user(&self, account: &Identity, user_id: i64) -> Result<tl::enums::InputUser, Refusal> {
        if user_id == account.actor_id {
            return Ok(tl::enums::InputUser::UserSelf);
        }
        let access_hash = self.known_hash(account, user_id).await?.ok_or(Refusal::NotFound)?;
        Ok(tl::enums::InputUser::User(tl::types::InputUser {
            user_id,
            access_hash,
        }))
    }

    async fn input_user_peer(&self, account: &Identity, user_id: i64) -> Result<tl::enums::InputPeer, Refusal> {
        Ok(match self.input_user(account, user_id).await? {
            tl::enums::InputUser::User(user) => tl::enums::InputPeer::User(tl::types::InputPeerUser {
                user_id: user.user_id,
                access_hash: user.access_hash,
            }),
            _ => tl::enums::InputPeer::PeerSelf,
        })
    }

    /// The channel a `-100…` chat id names, with its access hash: kept from an earlier answer,
    /// or found among the account's latest dialogs.
    async fn input_channel(&self, account: &Identity, chat_id: i64) -> Result<tl::types::InputChannel, Refusal> {
        let channel_id = channel_of(chat_id).ok_or_else(|| {
            Refusal::Forbidden("a Telegram user account acts on channels and supergroups (ids -100…)".into())
        })?;
        if let Some(access_hash) = self.known_hash(account, chat_id).await? {
            return Ok(tl::types::InputChannel {
                channel_id,
                access_hash,
            });
        }
        let dialogs = self.call(account, &requests::latest_dialogs(DIALOGS_SCANNED)).await?;
        let (chats, users) = match &dialogs {
            tl::enums::messages::Dialogs::Dialogs(d) => (&d.chats[..], &d.users[..]),
            tl::enums::messages::Dialogs::Slice(d) => (&d.chats[..], &d.users[..]),
            tl::enums::messages::Dialogs::NotModified(_) => (&[][..], &[][..]),
        };
        self.remember(account, users, chats).await?;
        let access_hash = channels_of(chats)
            .find_map(|(id, hash)| (id == channel_id).then_some(hash))
            .ok_or_else(|| {
                Refusal::Forbidden(format!(
                    "the account is not in this channel (not among its latest {DIALOGS_SCANNED} chats)"
                ))
            })?;
        Ok(tl::types::InputChannel {
            channel_id,
            access_hash,
        })
    }

    async fn channel_peer(&self, account: &Identity, chat_id: i64) -> Result<tl::enums::InputPeer, Refusal> {
        let channel = self.input_channel(account, chat_id).await?;
        Ok(tl::enums::InputPeer::Channel(tl::types::InputPeerChannel {
            channel_id: channel.channel_id,
            access_hash: channel.access_hash,
        }))
    }
}

impl Connector for TelegramUser {
    fn sign_in<'a>(&'a self, _credentials: &'a Credentials<'a>) -> Reply<'a, SignedIn> {
        Box::pin(async {
            Err(Refusal::Forbidden(
                "Telegram user accounts connect by QR code: POST /api/v1/automation/logins".into(),
            ))
        })
    }

    fn check<'a>(&'a self, account: &'a Identity) -> Reply<'a, ()> {
        Box::pin(async move {
            let users = self.call(account, &requests::get_self()).await?;
            match users.first() {
                Some(tl::enums::User::User(me)) if me.deleted => Err(Refusal::Banned),
                Some(tl::enums::User::User(_)) => Ok(()),
                _ => Err(Refusal::LoggedOut),
            }
        })
    }

    fn not_found_detail(&self) -> &'static str {
        "no Telegram user has this username or phone (or they do not let themselves be found)"
    }

    fn resolve<'a>(&'a self, account: &'a Identity, handle: &'a Handle) -> Reply<'a, Person> {
        Box::pin(async move {
            let person = |users: &[tl::enums::User], id: i64| {
                users_of(users).find(|u| u.id == id).map(|u| Person {
                    user_id: u.id,
                    is_bot: u.bot,
                })
            };
            match handle {
                Handle::Username(username) => {
                    let tl::enums::contacts::ResolvedPeer::Peer(resolved) =
                        self.call(account, &requests::resolve_username(username)).await?;
                    self.remember(account, &resolved.users, &resolved.chats).await?;
                    match resolved.peer {
                        tl::enums::Peer::User(user) => person(&resolved.users, user.user_id).ok_or(Refusal::NotFound),
                        // a channel or group by that name: not a person to invite
                        _ => Err(Refusal::NotFound),
                    }
                }
                Handle::Phone(phone) => {
                    let tl::enums::contacts::ImportedContacts::Contacts(imported) =
                        self.call(account, &requests::import_contact(phone)).await?;
                    self.remember(account, &imported.users, &[]).await?;
                    match imported.imported.first() {
                        Some(tl::enums::ImportedContact::Contact(contact)) => {
                            person(&imported.users, contact.user_id).ok_or(Refusal::NotFound)
                        }
                        // Telegram asks to try these again later: too many imports for now
                        None if !imported.retry_contacts.is_empty() => Err(Refusal::FloodWait(3600)),
                        None => Err(Refusal::NotFound),
                    }
                }
            }
        })
    }

    fn is_member<'a>(&'a self, account: &'a Identity, chat_id: i64, user_id: i64) -> Reply<'a, bool> {
        Box::pin(async move {
            let channel = self.input_channel(account, chat_id).await?;
            let participant = self.input_user_peer(account, user_id).await?;
            let answer = self
                .ask(account, &requests::get_participant(channel, participant))
                .await;
            match answer {
                Ok(tl::enums::channels::ChannelParticipant::Participant(found)) => Ok(!matches!(
                    found.participant,
                    tl::enums::ChannelParticipant::Left(_) | tl::enums::ChannelParticipant::Banned(_)
                )),
                Err(failure) if failure.is("USER_NOT_PARTICIPANT") => Ok(false),
                Err(other) => Err(refusal_of(other)),
            }
        })
    }

    fn invite<'a>(&'a self, account: &'a Identity, chat_id: i64, user_id: i64) -> Reply<'a, ()> {
        Box::pin(async move {
            let channel = self.input_channel(account, chat_id).await?;
            let user = self.input_user(account, user_id).await?;
            let tl::enums::messages::InvitedUsers::Users(invited) =
                self.call(account, &requests::invite_to_channel(channel, user)).await?;
            // Telegram answers without an error but names who could not be added (their privacy)
            if invited.missing_invitees.is_empty() {
                Ok(())
            } else {
                Err(Refusal::PrivacyRestricted)
            }
        })
    }

    fn create_link<'a>(&'a self, account: &'a Identity, chat_id: i64, name: &'a str) -> Reply<'a, String> {
        Box::pin(async move {
            let peer = self.channel_peer(account, chat_id).await?;
            let invite = self.call(account, &requests::export_invite(peer, name)).await?;
            match invite {
                tl::enums::ExportedChatInvite::ChatInviteExported(invite) => Ok(invite.link),
                tl::enums::ExportedChatInvite::ChatInvitePublicJoinRequests => {
                    Err(failed("Telegram gave no link (the channel takes join requests only)"))
                }
            }
        })
    }

    fn send_private<'a>(&'a self, account: &'a Identity, user_id: i64, text: &'a str) -> Reply<'a, ()> {
        Box::pin(async move {
            let peer = self.input_user_peer(account, user_id).await?;
            self.call(account, &requests::send_message(peer, text, &[], fresh_random_id()))
                .await
                .map(|_| ())
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
            let db_failed = |e: hybrid_store::StoreError| Refusal::Failed {
                reason: e.to_string(),
                transient: true,
            };
            if let Some((_, message_id)) = store::post_by_key(&mut self.db.reads(), account.account_id, key)
                .await
                .map_err(db_failed)?
            {
                return Ok(message_id);
            }
            let peer = self.channel_peer(account, chat_id).await?;
            let random_id = random_id_of(account.account_id, key);
            let updates = match self
                .ask(account, &requests::send_message(peer, text, entities, random_id))
                .await
            {
                Err(failure) if failure.is("RANDOM_ID_DUPLICATE") => {
                    return Err(failed("posted with this key before, but the message's id was not kept"));
                }
                other => other.map_err(refusal_of)?,
            };
            let message_id = sent_message_id(&updates, random_id)
                .ok_or_else(|| failed("Telegram's answer did not name the message"))?;
            let (account_id, key) = (account.account_id, key.to_owned());
            self.db
                .write(move |tx| {
                    Box::pin(async move { store::remember_post(tx, account_id, &key, chat_id, message_id).await })
                })
                .await
                .map_err(db_failed)?;
            Ok(message_id)
        })
    }

    fn members<'a>(&'a self, account: &'a Identity, chat_id: i64, cursor: Option<i64>, limit: i64) -> Reply<'a, Scan> {
        Box::pin(async move {
            let channel = self.input_channel(account, chat_id).await?;
            let offset = cursor.unwrap_or(0);
            let first: i32 = offset.try_into().map_err(|_| failed("cursor out of range"))?;
            let answer = self
                .call(
                    account,
                    &requests::get_participants(channel, first, limit.clamp(1, 200) as i32),
                )
                .await?;
            let tl::enums::channels::ChannelParticipants::Participants(page) = answer else {
                return Ok(Scan::default());
            };
            self.remember(account, &page.users, &page.chats).await?;
            let read = page.participants.len() as i64;
            // the answer's users also name who invited or promoted a member: only members count
            let people = page
                .participants
                .iter()
                .filter_map(member_id)
                .filter_map(|id| users_of(&page.users).find(|u| u.id == id).map(found))
                .collect();
            let next = (read > 0 && offset + read < i64::from(page.count)).then_some(offset + read);
            Ok(Scan { people, read, next })
        })
    }

    fn authors<'a>(&'a self, account: &'a Identity, chat_id: i64, cursor: Option<i64>, limit: i64) -> Reply<'a, Scan> {
        Box::pin(async move {
            let peer = self.channel_peer(account, chat_id).await?;
            let limit = limit.clamp(1, 100) as i32;
            let from: i32 = cursor
                .unwrap_or(0)
                .try_into()
                .map_err(|_| failed("cursor out of range"))?;
            let answer = self.call(account, &requests::get_history(peer, from, limit)).await?;
            let (messages, chats, users) = match &answer {
                tl::enums::messages::Messages::Messages(m) => (&m.messages, &m.chats, &m.users),
                tl::enums::messages::Messages::Slice(m) => (&m.messages, &m.chats, &m.users),
                tl::enums::messages::Messages::ChannelMessages(m) => (&m.messages, &m.chats, &m.users),
                tl::enums::messages::Messages::NotModified(_) => return Ok(Scan::default()),
            };
            self.remember(account, users, chats).await?;
            let people = messages
                .iter()
                .filter_map(|message| match message {
                    tl::enums::Message::Message(m) => match &m.from_id {
                        Some(tl::enums::Peer::User(from)) => users_of(users).find(|u| u.id == from.user_id).map(found),
                        _ => None,
                    },
                    _ => None,
                })
                .collect();
            let read = messages.len() as i64;
            let oldest = messages.iter().filter_map(message_id).min();
            let next = (read == i64::from(limit)).then_some(oldest).flatten();
            Ok(Scan { people, read, next })
        })
    }
}

/// A member's user id (those banned or gone are no members).
fn member_id(participant: &tl::enums::ChannelParticipant) -> Option<i64> {
    match participant {
        tl::enums::ChannelParticipant::Participant(p) => Some(p.user_id),
        tl::enums::ChannelParticipant::ParticipantSelf(p) => Some(p.user_id),
        tl::enums::ChannelParticipant::Creator(p) => Some(p.user_id),
        tl::enums::ChannelParticipant::Admin(p) => Some(p.user_id),
        tl::enums::ChannelParticipant::Banned(_) | tl::enums::ChannelParticipant::Left(_) => None,
    }
}

fn message_id(message: &tl::enums::Message) -> Option<i64> {
    match message {
        tl::enums::Message::Message(m) => Some(m.id.into()),
        tl::enums::Message::Service(m) => Some(m.id.into()),
        tl::enums::Message::Empty(m) => Some(m.id.into()),
    }
}
