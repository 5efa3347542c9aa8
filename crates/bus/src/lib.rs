//! The event bus between modules and realtime nodes: in process ([`LocalBus`]) or NATS
//! ([`NatsBus`]) when several processes share a deployment. It knows topics only as a namespace
//! and an id, and controls only as text: what they mean is agreed between the services using
//! them.
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

/// Where an envelope goes: a namespace naming the kind of addressee, and an id within it. The
/// bus gives namespaces no meaning; the services that publish and subscribe agree on them
/// (realtime's `user` and `chat`, auth's `sessions`). A namespace is lowercase ASCII letters,
/// digits and `_` (it becomes a NATS subject token).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Topic {
    pub namespace: &'static str,
    pub id: i64,
}

impl Topic {
    pub const fn new(namespace: &'static str, id: i64) -> Topic {
        Topic { namespace, id }
    }
}

/// A signal for whoever owns a topic's subscribers, beside a frame or instead of one. Its text
/// belongs to the services that publish and read it (`joined:5:7`, `revoked:3:9`), except
/// [`Control::resync`], which the bus itself sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Control(Arc<str>);

const RESYNC: &str = "resync";

impl Control {
    pub fn new(text: impl Into<Arc<str>>) -> Control {
        Control(text.into())
    }

    /// The bus may have dropped envelopes of this topic (a broker reconnect, a subscriber that
    /// fell behind): its listeners must resynchronise.
    pub fn resync() -> Control {
        Control(Arc::from(RESYNC))
    }

    pub fn is_resync(&self) -> bool {
        &*self.0 == RESYNC
    }

    pub fn as_str(&self) -> &str {
        &self.0
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
        let mut first = bus.subscribe(Topic::new("room", 1));
        let mut other = bus.subscribe(Topic::new("room", 2));
        bus.publish(Envelope::ephemeral(Topic::new("room", 1), Bytes::from_static(b"a")));
        bus.publish(Envelope::ephemeral(
            Topic::new("person", 1),
            Bytes::from_static(b"nobody"),
        ));
        assert_eq!(first.recv().await.unwrap().payload, "a");
        assert!(other.try_recv().is_err());
        drop(first);
        drop(other);
        bus.publish(Envelope::ephemeral(Topic::new("room", 1), Bytes::new()));
        assert!(!bus.topics.lock().unwrap().senders.contains_key(&Topic::new("room", 1)));
    }

    #[test]
    fn only_the_bus_own_signal_is_a_resync() {
        assert!(Control::resync().is_resync());
        assert!(!Control::new("joined:1:2").is_resync());
        assert_eq!(Control::new("joined:1:2").as_str(), "joined:1:2");
    }
}
