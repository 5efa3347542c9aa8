//! The seam between the connector and Telegram: [`Telegram`] sends one serialised TL request
//! as a [`Session`] and gives the serialised answer. `mtproto.rs` does it over the network
//! (grammers' sender pool); the tests script it. Everything above this line is plain TL values,
//! built and read with `grammers_tl_types`, so the bytes the tests see are the bytes Telegram
//! would get.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use futures::future::BoxFuture;
use grammers_mtsender::RpcError;
use grammers_tl_types::{self as tl, Deserializable, RemoteCall};
use serde::{Deserialize, Serialize};

/// What a login or an account keeps to act as a Telegram user: its home data centre and the
/// permanent auth key per data centre it has talked to. Sealed at rest; never logged.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// Names the live connection that serves this session (one per login, then per account).
    pub line: u64,
    pub home_dc: i32,
    pub dcs: Vec<DataCentre>,
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataCentre {
    pub id: i32,
    /// `ip:port` (IPv4).
    pub address: String,
    /// The 256-byte auth key, base64; absent until one was made.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_key: Option<String>,
}

impl std::fmt::Debug for Session {
    // auth keys stay out of logs and panics
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("line", &self.line)
            .field("home_dc", &self.home_dc)
            .finish_non_exhaustive()
    }
}

impl Session {
    /// A session that has talked to nobody yet, homed at `dc` (at `address` when given, else
    /// where grammers knows Telegram's data centres to be).
    pub fn fresh(dc: i32, address: Option<&str>) -> Session {
        let dcs = address
            .map(|address| {
                vec![DataCentre {
                    id: dc,
                    address: address.to_owned(),
                    auth_key: None,
                }]
            })
            .unwrap_or_default();
        let mut line = [0u8; 8];
        getrandom::fill(&mut line).expect("the OS has randomness");
        Session {
            line: u64::from_le_bytes(line),
            home_dc: dc,
            dcs,
        }
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).expect("serialises")
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Session, serde_json::Error> {
        serde_json::from_slice(bytes)
    }

    pub fn auth_key(&self, dc: i32) -> Option<[u8; 256]> {
        let dc = self.dcs.iter().find(|d| d.id == dc)?;
        STANDARD.decode(dc.auth_key.as_deref()?).ok()?.try_into().ok()
    }

    /// Keeps `key` (and the address it was made at) for data centre `dc`.
    pub fn set_auth_key(&mut self, dc: i32, address: String, key: &[u8; 256]) {
        let key = Some(STANDARD.encode(key));
        match self.dcs.iter_mut().find(|d| d.id == dc) {
            Some(known) => {
                known.address = address;
                known.auth_key = key;
            }
            None => self.dcs.push(DataCentre {
                id: dc,
                address,
                auth_key: key,
            }),
        }
    }
}

/// Why a request got no answer.
#[derive(Debug, Clone)]
pub enum Failure {
    /// Telegram's error: `FLOOD_WAIT_30` is `name` `FLOOD_WAIT`, `value` 30.
    Rpc(RpcError),
    /// No answer (network, a data centre down, an answer that did not parse).
    Transport(String),
    /// The account's session could not be read: it must log in again.
    NoSession,
}

impl Failure {
    pub fn is(&self, name: &str) -> bool {
        matches!(self, Failure::Rpc(e) if e.name == name)
    }
}

/// Sends serialised requests to Telegram as a session.
pub trait Telegram: Send + Sync {
    /// Sends `body` to data centre `dc` (the session's home one when `None`) and gives the
    /// answer's bytes, with the session as it is after (it gains an auth key the first time it
    /// talks to a data centre).
    fn invoke<'a>(
        &'a self,
        session: &'a Session,
        dc: Option<i32>,
        body: Vec<u8>,
    ) -> BoxFuture<'a, Result<(Vec<u8>, Session), Failure>>;

    /// Closes the session's connection, if one is open (a login ended, an account went).
    fn close(&self, session: &Session);
}

/// One request, typed: serialised, sent, its answer read back.
pub async fn call<R: RemoteCall>(
    telegram: &dyn Telegram,
    session: &Session,
    dc: Option<i32>,
    request: &R,
) -> Result<(R::Return, Session), Failure> {
    let (answer, session) = telegram.invoke(session, dc, request.to_bytes()).await?;
    let answer = R::Return::from_bytes(&answer)
        .map_err(|e| Failure::Transport(format!("Telegram's answer did not parse: {e}")))?;
    Ok((answer, session))
}

/// The id Bot API and this connector give a channel or supergroup: `-100` and its id.
pub fn channel_chat_id(channel_id: i64) -> i64 {
    -(1_000_000_000_000 + channel_id)
}

/// The channel id in a chat id, if it names a channel or supergroup.
pub fn channel_of(chat_id: i64) -> Option<i64> {
    let channel = -chat_id - 1_000_000_000_000;
    (channel > 0).then_some(channel)
}

/// `(id, access_hash)` of the users in an answer (the ones it can be acted on with later).
pub fn users_of(users: &[tl::enums::User]) -> impl Iterator<Item = &tl::types::User> {
    users.iter().filter_map(|u| match u {
        tl::enums::User::User(user) => Some(user),
        tl::enums::User::Empty(_) => None,
    })
}

/// The channels in an answer, with their access hashes.
pub fn channels_of(chats: &[tl::enums::Chat]) -> impl Iterator<Item = (i64, i64)> + '_ {
    chats.iter().filter_map(|c| match c {
        tl::enums::Chat::Channel(channel) => channel.access_hash.map(|hash| (channel.id, hash)),
        tl::enums::Chat::ChannelForbidden(channel) => Some((channel.id, channel.access_hash)),
        _ => None,
    })
}
