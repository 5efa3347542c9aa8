//! The connector and the QR login against a scripted Telegram: each step names the request it
//! expects (decoded from the bytes the connector sent, so its fields are checked) and answers
//! with TL bytes or one of Telegram's errors by its real name. Telegram itself is unreachable
//! from tests; the bytes of the requests are checked against Telethon's in
//! `tests/telegram_wire.rs`.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use futures::future::BoxFuture;
use grammers_mtsender::RpcError;
use grammers_tl_types::{self as tl, Deserializable, Identifiable, RemoteCall, Serializable};
use hybrid_store::{Db, StoreConfig};

use super::login::{self, App, PasswordError};
use super::wire::{Failure, Session, Telegram, channel_chat_id};
use super::{TelegramUser, refusal_of};
use crate::connector::{Connector, Handle, Identity, Person, Refusal};
use crate::logins::{SignedInUser, Step};

type Answer = Result<Vec<u8>, RpcError>;
/// Reads the request's bytes (its constructor id checked already) and answers.
type Answerer = Box<dyn FnOnce(&[u8]) -> Answer + Send>;

struct Expected {
    constructor: u32,
    name: &'static str,
    dc: Option<i32>,
    answer: Answerer,
}

/// Telegram, scripted: requests must come in the order expected.
#[derive(Default)]
struct Fake {
    script: Mutex<VecDeque<Expected>>,
    closed: Mutex<Vec<u64>>,
}

impl Fake {
    fn expect<R>(&self, answer: impl FnOnce(R) -> Answer + Send + 'static) -> &Self
    where
        R: RemoteCall + Identifiable + Deserializable + 'static,
    {
        self.expect_in::<R>(None, answer)
    }

    /// A request sent to data centre `dc` (not the session's home).
    fn expect_in<R>(&self, dc: Option<i32>, answer: impl FnOnce(R) -> Answer + Send + 'static) -> &Self
    where
        R: RemoteCall + Identifiable + Deserializable + 'static,
    {
        self.script.lock().unwrap().push_back(Expected {
            constructor: R::CONSTRUCTOR_ID,
            name: std::any::type_name::<R>(),
            dc,
            // a function decodes without its constructor id, which the fake checked already
            answer: Box::new(move |bytes| answer(R::from_bytes(&bytes[4..]).expect("the request decodes"))),
        });
        self
    }

    fn finished(&self) {
        let left: Vec<_> = self.script.lock().unwrap().iter().map(|e| e.name).collect();
        assert!(left.is_empty(), "requests expected but not sent: {left:?}");
    }
}

impl Telegram for Fake {
    fn invoke<'a>(
        &'a self,
        session: &'a Session,
        dc: Option<i32>,
        body: Vec<u8>,
    ) -> BoxFuture<'a, Result<(Vec<u8>, Session), Failure>> {
        Box::pin(async move {
            let expected = self.script.lock().unwrap().pop_front();
            let constructor = u32::from_le_bytes(body[..4].try_into().unwrap());
            let expected = expected.unwrap_or_else(|| panic!("unexpected request {constructor:#x}"));
            assert_eq!(constructor, expected.constructor, "expected {}", expected.name);
            assert_eq!(dc, expected.dc, "data centre of {}", expected.name);
            // the first request to a data centre makes its auth key
            let mut after = session.clone();
            let dc = dc.unwrap_or(session.home_dc);
            if after.auth_key(dc).is_none() {
                after.set_auth_key(dc, format!("10.0.0.{dc}:443"), &[dc as u8; 256]);
            }
            (expected.answer)(&body)
                .map(|answer| (answer, after))
                .map_err(Failure::Rpc)
        })
    }

    fn close(&self, session: &Session) {
        self.closed.lock().unwrap().push(session.line);
    }
}

fn ok(answer: impl Serializable) -> Answer {
    Ok(answer.to_bytes())
}

/// One of Telegram's errors as it comes on the wire (`FLOOD_WAIT_30`, …).
fn error(code: i32, message: &str) -> RpcError {
    RpcError::from(tl::types::RpcError {
        error_code: code,
        error_message: message.into(),
    })
}

/// TL bytes written by hand, for the big constructors (users, channels) whose Rust structs
/// have dozens of optional fields.
#[derive(Default)]
struct Tl(Vec<u8>);

impl Tl {
    fn int(mut self, v: u32) -> Self {
        self.0.extend(v.to_le_bytes());
        self
    }
    fn long(mut self, v: i64) -> Self {
        self.0.extend(v.to_le_bytes());
        self
    }
    fn string(mut self, s: &str) -> Self {
        assert!(s.len() < 254);
        self.0.push(s.len() as u8);
        self.0.extend(s.as_bytes());
        while !self.0.len().is_multiple_of(4) {
            self.0.push(0);
        }
        self
    }
}

/// `user#b1b8cc83` with an access hash, a first name and maybe a username.
fn user(id: i64, username: Option<&str>, bot: bool) -> tl::enums::User {
    let flags = 1 | 2 | if username.is_some() { 8 } else { 0 } | if bot { 1 << 14 } else { 0 };
    let mut tl = Tl::default()
        .int(0xb1b8cc83)
        .int(flags)
        .int(0)
        .long(id)
        .long(access_hash(id))
        .string("Person");
    if let Some(username) = username {
        tl = tl.string(username);
    }
    if bot {
        tl = tl.int(1); // bot_info_version
    }
    tl::enums::User::from_bytes(&tl.0).expect("a user")
}

/// `channel#d49f34c6`: a supergroup with an access hash.
fn channel(id: i64) -> tl::enums::Chat {
    let tl = Tl::default()
        .int(0xd49f34c6)
        .int(1 << 8 | 1 << 13)
        .int(0)
        .long(id)
        .long(access_hash(id))
        .string("Club")
        .int(0x37c1011c) // chatPhotoEmpty
        .int(1_700_000_000);
    tl::enums::Chat::from_bytes(&tl.0).expect("a channel")
}

fn access_hash(id: i64) -> i64 {
    id * 1000 + 7
}

const CHANNEL: i64 = 555;
const ME: i64 = 42;

async fn db() -> (Db, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open("automation", &StoreConfig::embedded(dir.path()))
        .await
        .unwrap();
    db.migrate(crate::MIGRATIONS).await.unwrap();
    (db, dir)
}

fn account(session: &Session) -> Identity {
    Identity {
        account_id: 1,
        actor_id: ME,
        session_id: 0,
        secret: String::from_utf8(session.to_bytes()).unwrap(),
        endpoint: String::new(),
    }
}

fn logged_in() -> Session {
    let mut session = Session::fresh(2, None);
    session.set_auth_key(2, "149.154.167.51:443".into(), &[9; 256]);
    session
}

/// The connector on a fresh database, its scripted Telegram, and a logged-in account.
async fn connector() -> (TelegramUser, Arc<Fake>, Identity, tempfile::TempDir) {
    let (db, dir) = db().await;
    let fake = Arc::new(Fake::default());
    let connector = TelegramUser {
        telegram: fake.clone(),
        db,
    };
    (connector, fake, account(&logged_in()), dir)
}

/// The answer to the channel lookup among the account's dialogs.
fn dialogs_with_channel(fake: &Fake) {
    fake.expect::<tl::functions::messages::GetDialogs>(|asked| {
        assert_eq!(asked.limit, 100);
        ok(tl::enums::messages::Dialogs::Dialogs(tl::types::messages::Dialogs {
            dialogs: vec![],
            messages: vec![],
            chats: vec![channel(CHANNEL)],
            users: vec![],
        }))
    });
}

fn invited(missing: Vec<i64>) -> Answer {
    ok(tl::enums::messages::InvitedUsers::Users(
        tl::types::messages::InvitedUsers {
            updates: tl::enums::Updates::Updates(tl::types::Updates {
                updates: vec![],
                users: vec![],
                chats: vec![],
                date: 0,
                seq: 0,
            }),
            missing_invitees: missing
                .into_iter()
                .map(|user_id| {
                    tl::enums::MissingInvitee::Invitee(tl::types::MissingInvitee {
                        premium_would_allow_invite: false,
                        premium_required_for_pm: false,
                        user_id,
                    })
                })
                .collect(),
        },
    ))
}

#[test]
fn telegram_errors_map_onto_outcomes_and_account_states() {
    let cases = [
        (420, "FLOOD_WAIT_30", Refusal::FloodWait(30)),
        (420, "FLOOD_PREMIUM_WAIT_7", Refusal::FloodWait(7)),
        (400, "PEER_FLOOD", Refusal::PeerFlood),
        (403, "USER_PRIVACY_RESTRICTED", Refusal::PrivacyRestricted),
        (400, "USER_NOT_MUTUAL_CONTACT", Refusal::NotMutualContact),
        (400, "USER_ALREADY_PARTICIPANT", Refusal::AlreadyMember),
        (401, "AUTH_KEY_UNREGISTERED", Refusal::LoggedOut),
        (401, "SESSION_REVOKED", Refusal::LoggedOut),
        (401, "USER_DEACTIVATED_BAN", Refusal::Banned),
        (400, "USERNAME_NOT_OCCUPIED", Refusal::NotFound),
        (
            400,
            "ENTITIES_TOO_LONG",
            Refusal::Formatting("Telegram refused the formatting: ENTITIES_TOO_LONG".into()),
        ),
        (
            400,
            "CHAT_ADMIN_REQUIRED",
            Refusal::Forbidden("Telegram refused: CHAT_ADMIN_REQUIRED".into()),
        ),
    ];
    for (code, message, outcome) in cases {
        assert_eq!(refusal_of(Failure::Rpc(error(code, message))), outcome, "{message}");
    }
    assert!(matches!(
        refusal_of(Failure::Rpc(error(500, "INTERNAL"))),
        Refusal::Failed { transient: true, .. }
    ));
    assert!(matches!(
        refusal_of(Failure::Transport("reset".into())),
        Refusal::Failed { transient: true, .. }
    ));
    assert_eq!(refusal_of(Failure::NoSession), Refusal::LoggedOut);
}

#[tokio::test]
async fn invites_a_person_found_by_username_naming_both_by_their_access_hashes() {
    let (connector, fake, me, _dir) = connector().await;
    let chat = channel_chat_id(CHANNEL);

    fake.expect::<tl::functions::contacts::ResolveUsername>(|asked| {
        assert_eq!(asked.username, "anna");
        ok(tl::enums::contacts::ResolvedPeer::Peer(
            tl::types::contacts::ResolvedPeer {
                peer: tl::enums::Peer::User(tl::types::PeerUser { user_id: 7 }),
                chats: vec![],
                users: vec![user(7, Some("anna"), false)],
            },
        ))
    });
    let anna = connector.resolve(&me, &Handle::Username("anna".into())).await.unwrap();
    assert_eq!(
        anna,
        Person {
            user_id: 7,
            is_bot: false
        }
    );

    // the channel is found among the dialogs once, then known
    dialogs_with_channel(&fake);
    fake.expect::<tl::functions::channels::InviteToChannel>(|asked| {
        assert_eq!(
            asked.channel,
            tl::enums::InputChannel::Channel(tl::types::InputChannel {
                channel_id: CHANNEL,
                access_hash: access_hash(CHANNEL)
            })
        );
        assert_eq!(
            asked.users,
            vec![tl::enums::InputUser::User(tl::types::InputUser {
                user_id: 7,
                access_hash: access_hash(7)
            })]
        );
        invited(vec![])
    });
    connector.invite(&me, chat, 7).await.unwrap();

    // privacy: Telegram answers, naming whom it could not add
    fake.expect::<tl::functions::channels::InviteToChannel>(|_| invited(vec![7]));
    assert_eq!(connector.invite(&me, chat, 7).await, Err(Refusal::PrivacyRestricted));
    // and the errors by name
    for (code, message, outcome) in [
        (400, "USER_ALREADY_PARTICIPANT", Refusal::AlreadyMember),
        (400, "USER_NOT_MUTUAL_CONTACT", Refusal::NotMutualContact),
        (400, "PEER_FLOOD", Refusal::PeerFlood),
        (420, "FLOOD_WAIT_120", Refusal::FloodWait(120)),
        (401, "AUTH_KEY_UNREGISTERED", Refusal::LoggedOut),
    ] {
        fake.expect::<tl::functions::channels::InviteToChannel>(move |_| Err(error(code, message)));
        assert_eq!(connector.invite(&me, chat, 7).await, Err(outcome), "{message}");
    }
    // someone never seen has no access hash: not found, nothing sent
    assert_eq!(connector.invite(&me, chat, 8).await, Err(Refusal::NotFound));
    // a basic group (or anything not -100…) is refused before Telegram is asked
    assert!(matches!(
        connector.invite(&me, -4242, 7).await,
        Err(Refusal::Forbidden(_))
    ));
    fake.finished();
}

#[tokio::test]
async fn finds_people_by_phone_and_says_who_is_a_member() {
    let (connector, fake, me, _dir) = connector().await;
    fake.expect::<tl::functions::contacts::ImportContacts>(|asked| {
        let [tl::enums::InputContact::InputPhoneContact(contact)] = &asked.contacts[..] else {
            panic!("one contact")
        };
        assert_eq!(contact.phone, "+79001234567");
        ok(tl::enums::contacts::ImportedContacts::Contacts(
            tl::types::contacts::ImportedContacts {
                imported: vec![tl::enums::ImportedContact::Contact(tl::types::ImportedContact {
                    user_id: 9,
                    client_id: contact.client_id,
                })],
                popular_invites: vec![],
                retry_contacts: vec![],
                users: vec![user(9, None, false)],
            },
        ))
    });
    let phone = Handle::Phone("+79001234567".into());
    assert_eq!(connector.resolve(&me, &phone).await.unwrap().user_id, 9);
    // nobody has it
    fake.expect::<tl::functions::contacts::ImportContacts>(|_| {
        ok(tl::enums::contacts::ImportedContacts::Contacts(
            tl::types::contacts::ImportedContacts {
                imported: vec![],
                popular_invites: vec![],
                retry_contacts: vec![],
                users: vec![],
            },
        ))
    });
    assert_eq!(connector.resolve(&me, &phone).await, Err(Refusal::NotFound));
    // a channel's name is no person
    fake.expect::<tl::functions::contacts::ResolveUsername>(|_| {
        ok(tl::enums::contacts::ResolvedPeer::Peer(
            tl::types::contacts::ResolvedPeer {
                peer: tl::enums::Peer::Channel(tl::types::PeerChannel { channel_id: CHANNEL }),
                chats: vec![channel(CHANNEL)],
                users: vec![],
            },
        ))
    });
    assert_eq!(
        connector.resolve(&me, &Handle::Username("club".into())).await,
        Err(Refusal::NotFound)
    );

    // the channel came with that answer: no dialogs are read for it
    let chat = channel_chat_id(CHANNEL);
    fake.expect::<tl::functions::channels::GetParticipant>(|asked| {
        assert_eq!(
            asked.participant,
            tl::enums::InputPeer::User(tl::types::InputPeerUser {
                user_id: 9,
                access_hash: access_hash(9)
            })
        );
        ok(tl::enums::channels::ChannelParticipant::Participant(
            tl::types::channels::ChannelParticipant {
                participant: tl::enums::ChannelParticipant::Participant(tl::types::ChannelParticipant {
                    user_id: 9,
                    date: 0,
                    subscription_until_date: None,
                    rank: None,
                }),
                chats: vec![],
                users: vec![],
            },
        ))
    });
    assert_eq!(connector.is_member(&me, chat, 9).await, Ok(true));
    fake.expect::<tl::functions::channels::GetParticipant>(|asked| {
        // the account itself is named as itself
        assert_eq!(asked.participant, tl::enums::InputPeer::PeerSelf);
        Err(error(400, "USER_NOT_PARTICIPANT"))
    });
    assert_eq!(connector.is_member(&me, chat, ME).await, Ok(false));
    fake.finished();
}

#[tokio::test]
async fn posts_once_per_key_and_links_carry_the_campaign_name() {
    let (connector, fake, me, _dir) = connector().await;
    let chat = channel_chat_id(CHANNEL);
    dialogs_with_channel(&fake);
    let random_ids = Arc::new(Mutex::new(Vec::new()));
    let seen = random_ids.clone();
    fake.expect::<tl::functions::messages::SendMessage>(move |asked| {
        assert_eq!(asked.message, "Hello, club");
        seen.lock().unwrap().push(asked.random_id);
        ok(tl::enums::Updates::UpdateShortSentMessage(
            tl::types::UpdateShortSentMessage {
                out: true,
                id: 77,
                pts: 1,
                pts_count: 1,
                date: 0,
                media: None,
                entities: None,
                ttl_period: None,
            },
        ))
    });
    assert_eq!(connector.post(&me, chat, "Hello, club", &[], "k1").await, Ok(77));
    // the same key: the first post's id, nothing sent
    assert_eq!(connector.post(&me, chat, "Hello, club", &[], "k1").await, Ok(77));
    // a key's random id is the same every time (Telegram takes a random id once)
    assert_eq!(random_ids.lock().unwrap()[..], [super::random_id_of(1, "k1")]);

    fake.expect::<tl::functions::messages::ExportChatInvite>(|asked| {
        assert_eq!(asked.title.as_deref(), Some("Spring campaign"));
        assert!(!asked.request_needed);
        ok(tl::enums::ExportedChatInvite::ChatInviteExported(
            tl::types::ChatInviteExported {
                revoked: false,
                permanent: false,
                request_needed: false,
                link: "https://t.me/+abc".into(),
                admin_id: ME,
                date: 0,
                start_date: None,
                expire_date: None,
                usage_limit: None,
                usage: None,
                requested: None,
                subscription_expired: None,
                title: asked.title,
                subscription_pricing: None,
            },
        ))
    });
    assert_eq!(
        connector.create_link(&me, chat, "Spring campaign").await.as_deref(),
        Ok("https://t.me/+abc")
    );
    fake.finished();
}

#[tokio::test]
async fn the_parser_pages_members_and_the_authors_of_history() {
    let (connector, fake, me, _dir) = connector().await;
    let chat = channel_chat_id(CHANNEL);
    dialogs_with_channel(&fake);
    let member = |user_id| {
        tl::enums::ChannelParticipant::Participant(tl::types::ChannelParticipant {
            user_id,
            date: 0,
            subscription_until_date: None,
            rank: None,
        })
    };
    fake.expect::<tl::functions::channels::GetParticipants>(move |asked| {
        assert_eq!((asked.offset, asked.limit), (0, 2));
        ok(tl::enums::channels::ChannelParticipants::Participants(
            tl::types::channels::ChannelParticipants {
                count: 3,
                participants: vec![member(1), member(2)],
                chats: vec![],
                // 9 invited someone: named in the answer, not a member on this page
                users: vec![
                    user(1, Some("one"), false),
                    user(9, Some("inviter"), false),
                    user(2, None, true),
                ],
            },
        ))
    });
    let page = connector.members(&me, chat, None, 2).await.unwrap();
    assert_eq!(page.read, 2);
    assert_eq!(page.next, Some(2));
    assert_eq!(page.people.iter().map(|p| p.user_id).collect::<Vec<_>>(), [1, 2]);
    assert_eq!(page.people[0].username.as_deref(), Some("one"));
    assert!(page.people[1].is_bot && page.people[1].username.is_none());
    fake.expect::<tl::functions::channels::GetParticipants>(move |asked| {
        assert_eq!(asked.offset, 2);
        ok(tl::enums::channels::ChannelParticipants::Participants(
            tl::types::channels::ChannelParticipants {
                count: 3,
                participants: vec![member(3)],
                chats: vec![],
                users: vec![user(3, Some("three"), false)],
            },
        ))
    });
    let last = connector.members(&me, chat, page.next, 2).await.unwrap();
    assert_eq!((last.read, last.next), (1, None));

    // history: the authors of plain messages, back from the oldest one read
    fake.expect::<tl::functions::messages::GetHistory>(|asked| {
        assert_eq!((asked.offset_id, asked.limit), (0, 1));
        let message = Tl::default()
            .int(0x7600b9d3)
            .int(1 << 8) // from_id
            .int(0)
            .int(50) // id
            .int(0x59511722) // peerUser
            .long(3)
            .int(0xa2a5371e) // peerChannel
            .long(CHANNEL)
            .int(1_700_000_000)
            .string("hi");
        let message = tl::enums::Message::from_bytes(&message.0).expect("a message");
        ok(tl::enums::messages::Messages::ChannelMessages(
            tl::types::messages::ChannelMessages {
                inexact: false,
                pts: 1,
                count: 10,
                offset_id_offset: None,
                messages: vec![message],
                topics: vec![],
                chats: vec![],
                users: vec![user(3, Some("three"), false)],
            },
        ))
    });
    let history = connector.authors(&me, chat, None, 1).await.unwrap();
    assert_eq!(history.people.iter().map(|p| p.user_id).collect::<Vec<_>>(), [3]);
    assert_eq!(history.next, Some(50));
    fake.finished();
}

fn app() -> App {
    App {
        api_id: 1234,
        api_hash: "0123456789abcdef".into(),
    }
}

fn authorization(user_id: i64) -> tl::enums::auth::Authorization {
    tl::enums::auth::Authorization::Authorization(tl::types::auth::Authorization {
        setup_password_required: false,
        otherwise_relogin_days: None,
        tmp_sessions: None,
        future_auth_token: None,
        user: user(user_id, Some("seller"), false),
    })
}

#[tokio::test]
async fn a_qr_login_shows_codes_until_scanned_and_follows_the_account_to_its_data_centre() {
    let fake = Fake::default();
    fake.expect::<tl::functions::auth::ExportLoginToken>(|asked| {
        assert_eq!((asked.api_id, asked.api_hash.as_str()), (1234, "0123456789abcdef"));
        ok(tl::enums::auth::LoginToken::Token(tl::types::auth::LoginToken {
            expires: 1_700_000_030,
            token: vec![1, 2, 3, 250],
        }))
    });
    let fresh = Session::fresh(2, Some("127.0.0.1:1"));
    let (step, session) = login::poll(&fake, &app(), fresh.clone()).await;
    assert_eq!(
        step.unwrap(),
        Step::Waiting {
            qr_url: "tg://login?token=AQID-g".into(),
            qr_expires_at: 1_700_000_030_000
        }
    );
    assert!(session.auth_key(2).is_some(), "the session keeps the auth key it made");
    assert_eq!(session.line, fresh.line);

    // scanned by a phone whose account lives in data centre 4
    fake.expect::<tl::functions::auth::ExportLoginToken>(|_| {
        ok(tl::enums::auth::LoginToken::MigrateTo(
            tl::types::auth::LoginTokenMigrateTo {
                dc_id: 4,
                token: vec![9, 9],
            },
        ))
    });
    fake.expect_in::<tl::functions::auth::ImportLoginToken>(Some(4), |asked| {
        assert_eq!(asked.token, vec![9, 9]);
        ok(tl::enums::auth::LoginToken::Success(
            tl::types::auth::LoginTokenSuccess {
                authorization: authorization(600),
            },
        ))
    });
    let (step, session) = login::poll(&fake, &app(), session).await;
    assert_eq!(
        step.unwrap(),
        Step::Done(SignedInUser {
            user_id: 600,
            name: "Person (@seller)".into()
        })
    );
    assert_eq!(session.home_dc, 4);
    assert!(session.auth_key(4).is_some());
    fake.finished();
}

/// Telegram's 2048-bit prime for SRP, with g = 3 (as `account.getPassword` gives it).
const TELEGRAM_P: &str = "c71caeb9c6b1c9048e6c522f70f13f73980d40238e3e21c14934d037563d930f48198a0aa7c14058229493d22530f4dbfa336f6e0ac925139543aed44cce7c3720fd51f69458705ac68cd4fe6b6b13abdc9746512969328454f18faf8c595f642477fe96bb2a941d5bcd1d4ac8cc49880708fa9b378e3c4f3a9060bee67cf9a4a4a695811051907e162753b56b0f6b410dba74d8a84b2a14b3144e0ef1284754fd17ed950d5965b4b9dd46582db1178d169c6bc465b0d6ff9ca3928fef5b9ae4e418fc15e83ebea0f87fa9ff5eed70050ded2849f47bf959d956850ce929851f0d8115f635b105ee2e4e15d04b2454bf6f4fadf034b10403119cd8e3b92fcc5b";

fn unhex(hex: &str) -> Vec<u8> {
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
        .collect()
}

fn password_info() -> tl::enums::account::Password {
    let mut srp_b = vec![0u8; 256];
    srp_b[255] = 5;
    tl::enums::account::Password::Password(tl::types::account::Password {
        has_recovery: false,
        has_secure_values: false,
        has_password: true,
        current_algo: Some(
            tl::enums::PasswordKdfAlgo::Sha256Sha256Pbkdf2Hmacsha512iter100000Sha256ModPow(
                tl::types::PasswordKdfAlgoSha256Sha256Pbkdf2Hmacsha512iter100000Sha256ModPow {
                    salt1: vec![1; 40],
                    salt2: vec![2; 16],
                    g: 3,
                    p: unhex(TELEGRAM_P),
                },
            ),
        ),
        srp_b: Some(srp_b),
        srp_id: Some(31337),
        hint: Some("my cat".into()),
        email_unconfirmed_pattern: None,
        new_algo: tl::enums::PasswordKdfAlgo::Unknown,
        new_secure_algo: tl::enums::SecurePasswordKdfAlgo::Unknown,
        secure_random: vec![0; 32],
        pending_reset_date: None,
        login_email_pattern: None,
    })
}

/// Telegram's side of the password check: the proof `M1` for `password` with the client's
/// random `a`, as an honest client computes it.
fn proof(password: &str, a: [u8; 256]) -> Vec<u8> {
    let tl::enums::account::Password::Password(info) = password_info();
    let Some(tl::enums::PasswordKdfAlgo::Sha256Sha256Pbkdf2Hmacsha512iter100000Sha256ModPow(algo)) = info.current_algo
    else {
        unreachable!()
    };
    let (m1, _) = grammers_crypto::two_factor_auth::calculate_2fa(
        &algo.salt1,
        &algo.salt2,
        &algo.p,
        &algo.g,
        info.srp_b.unwrap(),
        a.to_vec(),
        password,
    );
    m1.to_vec()
}

#[tokio::test]
async fn an_account_with_a_cloud_password_asks_for_it_and_a_wrong_one_is_told_apart() {
    let fake = Fake::default();
    fake.expect::<tl::functions::auth::ExportLoginToken>(|_| Err(error(401, "SESSION_PASSWORD_NEEDED")));
    fake.expect::<tl::functions::account::GetPassword>(|_| ok(password_info()));
    let (step, session) = login::poll(&fake, &app(), Session::fresh(2, None)).await;
    assert_eq!(step.unwrap(), Step::PasswordNeeded { hint: "my cat".into() });

    let a = [7u8; 256];
    let right = proof("correct horse", a);
    for (password, accepted) in [("wrong", false), ("correct horse", true)] {
        let right = right.clone();
        fake.expect::<tl::functions::account::GetPassword>(|_| ok(password_info()));
        fake.expect::<tl::functions::auth::CheckPassword>(move |asked| {
            let tl::enums::InputCheckPasswordSrp::Srp(srp) = asked.password else {
                panic!("an SRP proof")
            };
            assert_eq!(srp.srp_id, 31337);
            assert_eq!(srp.a.len(), 256);
            if srp.m1 == right {
                ok(authorization(600))
            } else {
                Err(error(400, "PASSWORD_HASH_INVALID"))
            }
        });
        let (step, _) = login::check_password(&fake, session.clone(), password, a).await;
        match step {
            Ok(Step::Done(user)) => assert!(accepted && user.user_id == 600),
            Err(PasswordError::Wrong) => assert!(!accepted),
            other => panic!("{other:?}"),
        }
    }
    fake.finished();
}
