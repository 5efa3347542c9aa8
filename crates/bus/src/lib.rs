//! The event bus between modules and realtime nodes.
//!
//! Payloads are serialised once by the publisher (a WebSocket frame, as bytes) and shared by
//! reference with every subscriber. A realtime node subscribes once per topic it has listeners
//! for and fans out itself. Delivery is best effort: what a subscriber misses it catches up
//! through the event log (`/api/v1/sync`), which is why every persisted event has a pts.

use std::collections::HashMap;
use std::sync::Mutex;

pub use bytes::Bytes;
use tokio::sync::broadcast;

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
}

#[derive(Debug, Clone)]
pub struct Envelope {
    pub topic: Topic,
    /// The frame to send as is; empty for control-only envelopes.
    pub payload: Bytes,
    pub control: Option<Control>,
}

pub type Receiver = broadcast::Receiver<Envelope>;
pub use broadcast::error::RecvError;

/// How the bus is reached: in process now; NATS when the process is one of several.
pub trait Bus: Send + Sync + 'static {
    fn publish(&self, envelope: Envelope);
    /// A stream of the topic's envelopes from now on. A receiver that falls more than the
    /// channel capacity behind gets `RecvError::Lagged` and must resynchronise.
    fn subscribe(&self, topic: Topic) -> Receiver;
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
        bus.publish(Envelope {
            topic: Topic::Chat(1),
            payload: Bytes::from_static(b"a"),
            control: None,
        });
        bus.publish(Envelope {
            topic: Topic::User(1),
            payload: Bytes::from_static(b"nobody"),
            control: None,
        });
        assert_eq!(chat.recv().await.unwrap().payload, "a");
        assert!(other.try_recv().is_err());
        drop(chat);
        drop(other);
        bus.publish(Envelope {
            topic: Topic::Chat(1),
            payload: Bytes::new(),
            control: None,
        });
        assert!(!bus.topics.lock().unwrap().senders.contains_key(&Topic::Chat(1)));
    }
}
