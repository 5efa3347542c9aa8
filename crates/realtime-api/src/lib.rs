//! How any service reaches people's open sockets: realtime nodes forward every frame published
//! on a user's topic to that user's sockets, and every frame on a chat's topic to the sockets of
//! its members, whatever service published it. A frame is the JSON text a client receives, made
//! once by the publisher (`docs/protocol.md` lists the frame types).
//!
//! Only chats' events carry a pts (they are logged and caught up through `/sync`); frames from
//! other services are ephemeral notices: what must survive a disconnect lives in the service's
//! own list.
//!
//! A membership change reaches the nodes as a [`Membership`] control on the same topics, so a
//! node starts or stops forwarding a chat's frames to a user's sockets in step with the event.

use hybrid_core::bus::{Control, Topic};

/// The topic of one user: frames for every socket of theirs.
pub fn user(user_id: i64) -> Topic {
    Topic::new("user", user_id)
}

/// The topic of one chat: frames for every socket of its members.
pub fn chat(chat_id: i64) -> Topic {
    Topic::new("chat", chat_id)
}

/// The shared-state flag (`SharedState::flag`) that says a session's device is in front of
/// its user now: set by realtime while the device's socket reports focus, read by notify,
/// which sends no push to that device meanwhile.
pub fn focus_flag(session_id: i64) -> String {
    format!("focus:{session_id}")
}

/// Who starts or stops listening to a chat. `Joined` rides the user's topic (their sockets do
/// not listen to the chat yet) and takes effect before its frame goes out; `Left` rides the
/// chat's topic and takes effect after its frame (a removed member still gets the event that
/// removes them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Membership {
    Joined { chat_id: i64, user_id: i64 },
    Left { chat_id: i64, user_id: i64 },
}

impl Membership {
    pub fn control(self) -> Control {
        Control::new(match self {
            Membership::Joined { chat_id, user_id } => format!("joined:{chat_id}:{user_id}"),
            Membership::Left { chat_id, user_id } => format!("left:{chat_id}:{user_id}"),
        })
    }

    /// The membership change a control carries, if it is one.
    pub fn read(control: &Control) -> Option<Membership> {
        let (kind, rest) = control.as_str().split_once(':')?;
        let (chat_id, user_id) = rest.split_once(':')?;
        let (chat_id, user_id) = (chat_id.parse().ok()?, user_id.parse().ok()?);
        match kind {
            "joined" => Some(Membership::Joined { chat_id, user_id }),
            "left" => Some(Membership::Left { chat_id, user_id }),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn membership_controls_round_trip_and_nothing_else_reads_as_one() {
        for change in [
            Membership::Joined { chat_id: 5, user_id: 7 },
            Membership::Left { chat_id: 1, user_id: 2 },
        ] {
            assert_eq!(Membership::read(&change.control()), Some(change));
        }
        for other in ["joined:1", "joined:1:2:3", "other:1:2", "resync", "revoked:3:9"] {
            assert_eq!(Membership::read(&Control::new(other)), None, "{other}");
        }
    }
}
