//! The bytes of every request the connector sends, built by `requests.rs` (grammers' TL
//! types), against Telethon's serialisation of the same requests (`tests/telethon_requests.py`,
//! run with the test Python that `scripts/backends.sh` sets up). Two implementations of
//! Telegram's TL agreeing is the check here that Telegram would read what we send.

use std::collections::BTreeMap;
use std::process::Command;

use grammers_tl_types::{self as tl, Serializable};

use hybrid_chats_api::body::{Entity, EntityKind};

use super::requests;

/// A post's formatting; the mention of a Hybrid user by id is left out of what Telegram gets.
fn post_entities() -> Vec<Entity> {
    vec![
        Entity::new(EntityKind::Bold, 0, 4),
        Entity::new(EntityKind::Italic, 0, 15),
        Entity {
            user_id: Some(42),
            ..Entity::new(EntityKind::TextMention, 5, 2)
        },
        Entity {
            url: Some("https://hybrid.example/more".into()),
            ..Entity::new(EntityKind::TextLink, 17, 8)
        },
        Entity {
            language: Some("rust".into()),
            ..Entity::new(EntityKind::Pre, 21, 4)
        },
        Entity::new(EntityKind::Blockquote, 0, 25),
    ]
}

fn ours() -> BTreeMap<&'static str, Vec<u8>> {
    let channel = || tl::types::InputChannel {
        channel_id: 555,
        access_hash: 555007,
    };
    let channel_peer = || {
        tl::enums::InputPeer::Channel(tl::types::InputPeerChannel {
            channel_id: 555,
            access_hash: 555007,
        })
    };
    let user_peer = || {
        tl::enums::InputPeer::User(tl::types::InputPeerUser {
            user_id: 7,
            access_hash: 7007,
        })
    };
    let user = tl::enums::InputUser::User(tl::types::InputUser {
        user_id: 7,
        access_hash: 7007,
    });
    BTreeMap::from([
        ("get_self", requests::get_self().to_bytes()),
        ("resolve_username", requests::resolve_username("anna_k").to_bytes()),
        ("import_contact", requests::import_contact("+79001234567").to_bytes()),
        ("latest_dialogs", requests::latest_dialogs(100).to_bytes()),
        (
            "get_participant",
            requests::get_participant(channel(), user_peer()).to_bytes(),
        ),
        (
            "get_participant_self",
            requests::get_participant(channel(), tl::enums::InputPeer::PeerSelf).to_bytes(),
        ),
        (
            "invite_to_channel",
            requests::invite_to_channel(channel(), user).to_bytes(),
        ),
        (
            "export_invite",
            // cut to Telegram's 32 characters, as Telethon is given it
            requests::export_invite(channel_peer(), "Весенняя кампания, spring 2027 and more").to_bytes(),
        ),
        (
            "send_message",
            requests::send_message(user_peer(), "Привет! Join us ✓", &[], -1234567890123).to_bytes(),
        ),
        (
            "post",
            requests::send_message(channel_peer(), "News of the day: see more", &post_entities(), 987654321).to_bytes(),
        ),
        (
            "get_participants",
            requests::get_participants(channel(), 200, 200).to_bytes(),
        ),
        ("get_history", requests::get_history(channel_peer(), 50, 100).to_bytes()),
        (
            "export_login_token",
            requests::export_login_token(1234, "0123456789abcdef0123456789abcdef").to_bytes(),
        ),
        (
            "import_login_token",
            requests::import_login_token(vec![9, 9, 1, 250]).to_bytes(),
        ),
        ("get_password", requests::get_password().to_bytes()),
        (
            "check_password",
            requests::check_password(31337, (0..=255).collect(), (0..32).collect()).to_bytes(),
        ),
    ])
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn every_request_serialises_as_telethon_serialises_it() {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/telethon_requests.py");
    let python = hybrid_testkit::python_tools();
    let out = Command::new(&python)
        .arg(script)
        .output()
        .unwrap_or_else(|e| panic!("{python} (scripts/backends.sh ensure_python_tools sets it up): {e}"));
    assert!(
        out.status.success(),
        "Telethon's side failed (is telethon installed in {python}?): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let theirs: BTreeMap<String, String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|line| {
            let (name, hex) = line.split_once(' ').expect("name hex");
            (name.to_owned(), hex.to_owned())
        })
        .collect();
    let ours = ours();
    assert_eq!(
        theirs.keys().map(String::as_str).collect::<Vec<_>>(),
        ours.keys().copied().collect::<Vec<_>>(),
        "both sides build the same requests"
    );
    for (name, bytes) in ours {
        assert_eq!(hex(&bytes), theirs[name], "{name}");
    }
}
