//! Every request the connector and the QR login send, built in one place: what is checked
//! byte for byte against Telethon's serialisation (`wire_check.rs`) is what goes out.

use grammers_tl_types as tl;
use hybrid_chats_api::body::{Entity, EntityKind};

pub fn get_self() -> tl::functions::users::GetUsers {
    tl::functions::users::GetUsers {
        id: vec![tl::enums::InputUser::UserSelf],
    }
}

pub fn resolve_username(username: &str) -> tl::functions::contacts::ResolveUsername {
    tl::functions::contacts::ResolveUsername {
        username: username.to_owned(),
        referer: None,
    }
}

/// A phone to look up, as a contact to import (Telegram wants a first name: the phone).
pub fn import_contact(phone: &str) -> tl::functions::contacts::ImportContacts {
    tl::functions::contacts::ImportContacts {
        contacts: vec![tl::enums::InputContact::InputPhoneContact(
            tl::types::InputPhoneContact {
                client_id: 0,
                phone: phone.to_owned(),
                first_name: phone.to_owned(),
                last_name: String::new(),
                note: None,
            },
        )],
    }
}

/// The account's latest dialogs (where a channel's access hash is found).
pub fn latest_dialogs(limit: i32) -> tl::functions::messages::GetDialogs {
    tl::functions::messages::GetDialogs {
        exclude_pinned: false,
        folder_id: None,
        offset_date: 0,
        offset_id: 0,
        offset_peer: tl::enums::InputPeer::Empty,
        limit,
        hash: 0,
    }
}

pub fn get_participant(
    channel: tl::types::InputChannel,
    person: tl::enums::InputPeer,
) -> tl::functions::channels::GetParticipant {
    tl::functions::channels::GetParticipant {
        channel: tl::enums::InputChannel::Channel(channel),
        participant: person,
    }
}

pub fn invite_to_channel(
    channel: tl::types::InputChannel,
    user: tl::enums::InputUser,
) -> tl::functions::channels::InviteToChannel {
    tl::functions::channels::InviteToChannel {
        channel: tl::enums::InputChannel::Channel(channel),
        users: vec![user],
    }
}

/// A new invite link named `title` (Telegram keeps up to 32 characters of it).
pub fn export_invite(peer: tl::enums::InputPeer, title: &str) -> tl::functions::messages::ExportChatInvite {
    tl::functions::messages::ExportChatInvite {
        legacy_revoke_permanent: false,
        request_needed: false,
        peer,
        expire_date: None,
        usage_limit: None,
        title: Some(title.chars().take(32).collect()),
        subscription_pricing: None,
    }
}

/// A message's formatting in Telegram's terms. A mention of a Hybrid user by id means nothing
/// there and is left out; the other kinds are Telegram's own.
pub fn entities(entities: &[Entity]) -> Option<Vec<tl::enums::MessageEntity>> {
    use tl::enums::MessageEntity as E;
    use tl::types as t;
    let list: Vec<E> = entities
        .iter()
        .filter_map(|e| {
            let (offset, length) = (e.offset as i32, e.length as i32);
            Some(match e.kind {
                EntityKind::Mention => E::Mention(t::MessageEntityMention { offset, length }),
                EntityKind::Hashtag => E::Hashtag(t::MessageEntityHashtag { offset, length }),
                EntityKind::BotCommand => E::BotCommand(t::MessageEntityBotCommand { offset, length }),
                EntityKind::Url => E::Url(t::MessageEntityUrl { offset, length }),
                EntityKind::Email => E::Email(t::MessageEntityEmail { offset, length }),
                EntityKind::Bold => E::Bold(t::MessageEntityBold { offset, length }),
                EntityKind::Italic => E::Italic(t::MessageEntityItalic { offset, length }),
                EntityKind::Underline => E::Underline(t::MessageEntityUnderline { offset, length }),
                EntityKind::Strikethrough => E::Strike(t::MessageEntityStrike { offset, length }),
                EntityKind::Spoiler => E::Spoiler(t::MessageEntitySpoiler { offset, length }),
                EntityKind::Code => E::Code(t::MessageEntityCode { offset, length }),
                EntityKind::Pre => E::Pre(t::MessageEntityPre {
                    offset,
                    length,
                    language: e.language.clone().unwrap_or_default(),
                }),
                EntityKind::TextLink => E::TextUrl(t::MessageEntityTextUrl {
                    offset,
                    length,
                    url: e.url.clone()?,
                }),
                EntityKind::Blockquote => E::Blockquote(t::MessageEntityBlockquote {
                    collapsed: false,
                    offset,
                    length,
                }),
                EntityKind::TextMention => return None,
            })
        })
        .collect();
    (!list.is_empty()).then_some(list)
}

/// A message with its formatting as entities, as every client sends one.
pub fn send_message(
    peer: tl::enums::InputPeer,
    text: &str,
    entities: &[Entity],
    random_id: i64,
) -> tl::functions::messages::SendMessage {
    tl::functions::messages::SendMessage {
        no_webpage: false,
        silent: false,
        background: false,
        clear_draft: false,
        noforwards: false,
        update_stickersets_order: false,
        invert_media: false,
        allow_paid_floodskip: false,
        peer,
        reply_to: None,
        message: text.to_owned(),
        random_id,
        reply_markup: None,
        entities: self::entities(entities),
        schedule_date: None,
        schedule_repeat_period: None,
        send_as: None,
        quick_reply_shortcut: None,
        effect: None,
        allow_paid_stars: None,
        suggested_post: None,
        rich_message: None,
    }
}

/// A page of the channel's members, most recent first.
pub fn get_participants(
    channel: tl::types::InputChannel,
    offset: i32,
    limit: i32,
) -> tl::functions::channels::GetParticipants {
    tl::functions::channels::GetParticipants {
        channel: tl::enums::InputChannel::Channel(channel),
        filter: tl::enums::ChannelParticipantsFilter::ChannelParticipantsRecent,
        offset,
        limit,
        hash: 0,
    }
}

/// A page of history back from `offset_id` (0: the latest).
pub fn get_history(peer: tl::enums::InputPeer, offset_id: i32, limit: i32) -> tl::functions::messages::GetHistory {
    tl::functions::messages::GetHistory {
        peer,
        offset_id,
        offset_date: 0,
        add_offset: 0,
        limit,
        max_id: 0,
        min_id: 0,
        hash: 0,
    }
}

pub fn export_login_token(api_id: i32, api_hash: &str) -> tl::functions::auth::ExportLoginToken {
    tl::functions::auth::ExportLoginToken {
        api_id,
        api_hash: api_hash.to_owned(),
        except_ids: Vec::new(),
    }
}

pub fn import_login_token(token: Vec<u8>) -> tl::functions::auth::ImportLoginToken {
    tl::functions::auth::ImportLoginToken { token }
}

pub fn get_password() -> tl::functions::account::GetPassword {
    tl::functions::account::GetPassword {}
}

/// The SRP proof of the cloud password: `a` is g^a, `m1` the proof.
pub fn check_password(srp_id: i64, a: Vec<u8>, m1: Vec<u8>) -> tl::functions::auth::CheckPassword {
    tl::functions::auth::CheckPassword {
        password: tl::enums::InputCheckPasswordSrp::Srp(tl::types::InputCheckPasswordSrp { srp_id, a, m1 }),
    }
}
