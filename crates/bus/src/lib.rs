//! The event bus between modules and realtime nodes: in process ([`LocalBus`]) or NATS
//! ([`NatsBus`]) when several processes share a deployment.
//!
//! Payloads are serialised once by the publisher (a WebSocket frame, as bytes) and shared by
//! reference with every subscriber. A realtime node subscribes once per topic it has listeners
//! for and fans out itself. Logged events (those with a pts) reach the bus through the outbox
//! relay, at least once and in order per topic; subscribers drop repeats by pts. What a
//! subscriber misses it catches up through the event log (`/api/v1/sync`).

mod nats;

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

pub use bytes::Bytes;
pub use nats::{NatsBus, NatsConfig};
use tokio::sync::broadcast;

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Where an envelope goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Topic {
    /// Events of one chat: in pts order with embedded SQLite (published in commit order);
    /// with PostgreSQL nearly always, and a client that sees a gap syncs.
    Chat(i64),
    /// Events of one user (added to a chat, read markers on other devices, presence).
    User(i64),
    /// Session revocations, for realtime nodes to close sockets.
    Sessions,
}

/// What a realtime node must do besides forwarding the payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    /// `user_id` is now a member of `chat_id`: its sockets start listening to the chat.
    Joined { chat_id: i64, user_id: i64 },
    /// `user_id` left or was removed from `chat_id`: its sockets stop getting the chat's events
    /// after this one.
    Left { chat_id: i64, user_id: i64 },
    /// The session's sockets close (logout, revocation, password change).
    SessionRevoked { user_id: i64, session_id: i64 },
    /// The bus may have dropped envelopes of this topic (a broker reconnect): its listeners
    /// must resynchronise.
    Resync,
}

impl Control {
    /// Compact text form, for message headers and the outbox table.
    pub fn encode(&self) -> String {
        match *self {
            Control::Joined { chat_id, user_id } => format!("joined:{chat_id}:{user_id}"),
            Control::Left { chat_id, user_id } => format!("left:{chat_id}:{user_id}"),
            Control::SessionRevoked { user_id, session_id } => format!("revoked:{user_id}:{session_id}"),
            Control::Resync => "resync".to_owned(),
        }
    }

    pub fn decode(text: &str) -> Option<Control> {
        if text == "resync" {
            return Some(Control::Resync);
        }
        let mut parts = text.split(':');
        let (kind, a, b) = (parts.next()?, parts.next()?.parse().ok()?, parts.next()?.parse().ok()?);
        if parts.next().is_some() {
            return None;
        }
        Some(match kind {
            "joined" => Control::Joined { chat_id: a, user_id: b },
            "left" => Control::Left { chat_id: a, user_id: b },
            "revoked" => Control::SessionRevoked {
                user_id: a,
                session_id: b,
            },
            _ => return None,
        })
    }
}

#[derive(Debug, Clone)]
pub struct Envelope {
    pub topic: Topic,
    /// The event's position in its topic's log; `None` for frames that are not logged
    /// (typing, presence, controls).
    pub pts: Option<i64>,
    /// The frame to send as is; empty for control-only envelopes.
    pub payload: Bytes,
    pub control: Option<Control>,
    /// The W3C `traceparent` of the change that made this event, when traces are exported:
    /// the delivery joins that trace.
    pub trace: Option<Arc<str>>,
}

impl Envelope {
    /// A frame that is not logged, for whoever listens now.
    pub fn ephemeral(topic: Topic, payload: Bytes) -> Envelope {
        Envelope {
            topic,
            pts: None,
            payload,
            control: None,
            trace: None,
        }
    }

    /// A control-only envelope.
    pub fn control(topic: Topic, control: Control) -> Envelope {
        Envelope {
            topic,
            pts: None,
            payload: Bytes::new(),
            control: Some(control),
            trace: None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("event bus unavailable: {0}")]
pub struct BusError(pub String);

pub type Receiver = broadcast::Receiver<Envelope>;
pub use broadcast::error::RecvError;

/// How the bus is reached: in process, or NATS when the process is one of several.
pub trait Bus: Send + Sync + 'static {
    /// Fire and forget, for frames that are not logged (typing, presence) and controls.
    fn publish(&self, envelope: Envelope);
    /// Logged events, in order; resolves once the bus holds them (NATS: JetStream acknowledged
    /// each, deduplicated by topic and pts). On error the relay keeps them and retries.
    fn publish_logged<'a>(&'a self, envelopes: &'a [Envelope]) -> BoxFuture<'a, Result<(), BusError>>;
    /// A stream of the topic's envelopes from now on. A receiver that falls more than the
    /// channel capacity behind gets `RecvError::Lagged` and must resynchronise.
    fn subscribe(&self, topic: Topic) -> Receiver;
    /// Resolves once every subscription asked for so far is live, so that a client told
    /// "ready" and then catching up through sync cannot fall between the two.
    fn settle(&self) -> BoxFuture<'_, Result<(), BusError>>;
    /// Whether the bus can be reached now (for `/readyz`).
    fn check(&self) -> Result<(), BusError>;
}

/// The bus of a single process: one broadcast channel per topic with subscribers.
pub struct LocalBus {
    capacity: usize,
    topics: Mutex<Topics>,
}

#[derive(Default)]
struct Topics {
    senders: HashMap<Topic, broadcast::Sender<Envelope>>,
    subscribes: u64,
}

/// Topics whose subscribers are all gone are swept every this many subscriptions.
const SWEEP_EVERY: u64 = 1024;

impl LocalBus {
    pub fn new(capacity: usize) -> Self {
        LocalBus {
            capacity: capacity.max(16),
            topics: Mutex::new(Topics::default()),
        }
    }
}

impl Default for LocalBus {
    /// Each topic's channel holds this many envelopes, allocated up front: a node that falls
    /// further behind on one chat resyncs that chat's sockets.
    fn default() -> Self {
        LocalBus::new(1024)
    }
}

impl Bus for LocalBus {
    fn publish_logged<'a>(&'a self, envelopes: &'a [Envelope]) -> BoxFuture<'a, Result<(), BusError>> {
        for envelope in envelopes {
            self.publish(envelope.clone());
        }
        Box::pin(std::future::ready(Ok(())))
    }

    fn settle(&self) -> BoxFuture<'_, Result<(), BusError>> {
        Box::pin(std::future::ready(Ok(())))
    }

    fn check(&self) -> Result<(), BusError> {
        Ok(())
    }

    fn publish(&self, envelope: Envelope) {
        let mut topics = self.topics.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(sender) = topics.senders.get(&envelope.topic) {
            let topic = envelope.topic;
            if sender.send(envelope).is_err() {
                // nobody listens any more: forget the topic
                topics.senders.remove(&topic);
            }
        }
    }

    fn subscribe(&self, topic: Topic) -> Receiver {
        let mut topics = self.topics.lock().unwrap_or_else(|e| e.into_inner());
        topics.subscribes += 1;
        if topics.subscribes.is_multiple_of(SWEEP_EVERY) {
            topics.senders.retain(|_, sender| sender.receiver_count() > 0);
        }
        let capacity = self.capacity;
        topics
            .senders
            .entry(topic)
            .or_insert_with(|| broadcast::channel(capacity).0)
            .subscribe()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn delivers_to_subscribers_of_the_topic_only() {
        let bus = LocalBus::new(16);
        let mut chat = bus.subscribe(Topic::Chat(1));
        let mut other = bus.subscribe(Topic::Chat(2));
        bus.publish(Envelope::ephemeral(Topic::Chat(1), Bytes::from_static(b"a")));
        bus.publish(Envelope::ephemeral(Topic::User(1), Bytes::from_static(b"nobody")));
        assert_eq!(chat.recv().await.unwrap().payload, "a");
        assert!(other.try_recv().is_err());
        drop(chat);
        drop(other);
        bus.publish(Envelope::ephemeral(Topic::Chat(1), Bytes::new()));
        assert!(!bus.topics.lock().unwrap().senders.contains_key(&Topic::Chat(1)));
    }

    #[test]
    fn controls_round_trip_as_text() {
        for control in [
            Control::Joined { chat_id: 5, user_id: 7 },
            Control::Left { chat_id: 1, user_id: 2 },
            Control::SessionRevoked {
                user_id: 3,
                session_id: 9,
            },
            Control::Resync,
        ] {
            assert_eq!(Control::decode(&control.encode()), Some(control));
        }
        assert_eq!(Control::decode("joined:1"), None);
        assert_eq!(Control::decode("joined:1:2:3"), None);
        assert_eq!(Control::decode("other:1:2"), None);
    }
}
