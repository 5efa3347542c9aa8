//! The frames the realtime service itself sends on a socket; other services' frames (chats'
//! events, typing) pass through it as their publishers made them. `docs/protocol.md` has the
//! whole protocol; the OpenAPI document lists every frame under `ServerFrame`.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum RealtimeFrame {
    /// The first frame on a new socket; answer with an `auth` frame.
    Hello(Hello),
    /// Authenticated and listening: sync now, and nothing is missed.
    Ready(Ready),
    /// The answer to a client's `ping` frame.
    Pong,
    /// A direct-chat peer came online or went offline.
    Presence(PresenceChange),
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Hello {
    pub protocol: String,
    /// Send a frame (a `ping` will do) at least this often, or the server closes the socket.
    pub heartbeat_ms: u64,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
pub struct Ready {
    pub user_id: i64,
    pub session_id: i64,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
pub struct PresenceChange {
    pub user_id: i64,
    pub online: bool,
    /// When it changed (epoch ms); absent in the list sent right after `ready`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<i64>,
}

/// The frames a client sends. Frames of other types are ignored after `auth`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientFrame {
    /// The first frame: the access token. Sent again with a fresh token before the old one
    /// expires, it keeps the socket open.
    Auth { token: String },
    /// Keeps the socket alive; answered with `pong`.
    Ping,
    /// Whether this device is in front of its user now (its window focused and visible): no
    /// push notification goes to the device meanwhile. Send it when that changes; it lapses
    /// when the socket closes.
    Focus { focused: bool },
}

/// Puts [`ClientFrame`] in the API reference (no route carries it).
#[derive(utoipa::OpenApi)]
#[openapi(components(schemas(ClientFrame)))]
pub struct ClientFrames;

/// Properties of the client frame decoder the socket uses (proptest, 512 cases each): any
/// text decodes or is refused without a panic, only the frame types there are are accepted, and
/// every frame reads back as written.
#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    fn decode(text: &str) -> Option<ClientFrame> {
        serde_json::from_str::<ClientFrame>(text).ok()
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn any_text_decodes_or_is_refused(text in any::<String>()) {
            let _ = decode(&text);
        }

        #[test]
        fn only_auth_and_ping_are_frames(kind in "[a-z_]{0,12}", token in any::<String>()) {
            let text = serde_json::json!({"type": kind, "token": token}).to_string();
            match decode(&text) {
                Some(ClientFrame::Auth { token: read }) => {
                    prop_assert_eq!(kind.as_str(), "auth");
                    prop_assert_eq!(read, token);
                }
                Some(ClientFrame::Ping) => prop_assert_eq!(kind.as_str(), "ping"),
                Some(ClientFrame::Focus { .. }) => prop_assert!(false, "no focus without `focused`"),
                None => prop_assert!(kind != "auth" && kind != "ping"),
            }
        }

        #[test]
        fn frames_read_back_as_written(token in any::<String>()) {
            let text = serde_json::to_string(&ClientFrame::Auth { token: token.clone() }).unwrap();
            let read = match decode(&text) {
                Some(ClientFrame::Auth { token }) => Some(token),
                _ => None,
            };
            prop_assert_eq!(read, Some(token));
            let ping = serde_json::to_string(&ClientFrame::Ping).unwrap();
            prop_assert!(matches!(decode(&ping), Some(ClientFrame::Ping)), "{}", ping);
        }
    }
}
