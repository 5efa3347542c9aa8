//! The bus over NATS, for deployments of several processes.
//!
//! Subjects, under a prefix (`bus.nats_prefix`, default `hybrid`), for a topic of namespace
//! `<ns>` and id `<id>`:
//!
//! | subject               | carries                                                    |
//! |-----------------------|------------------------------------------------------------|
//! | `<p>.<ns>.<id>.log`   | logged events (with a pts), from a module's outbox relay   |
//! | `<p>.<ns>.<id>.live`  | frames and controls that are not logged (typing, presence) |
//!
//! A node subscribes to `<p>.<ns>.<id>.*` once per topic that has listeners on it. The `*.log`
//! subjects are also captured by the JetStream stream `<P>_EVENTS`, with `Nats-Msg-Id`
//! `<ns>.<id>.<pts>`, so a relay that publishes an event again after a crash does not store it
//! twice; core subscribers drop the repeat by its pts. Headers: `Hybrid-Pts`, `Hybrid-Control`
//! (the control's text).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_nats::jetstream::{self, context::PublishErrorKind, message::PublishMessage};
use async_nats::{Client, ConnectOptions, Event, HeaderMap, Subject, Subscriber};
use futures::StreamExt;
use tokio::sync::{broadcast, mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::{BoxFuture, Bus, BusError, Control, Envelope, Receiver, Topic};

const PTS_HEADER: &str = "Hybrid-Pts";
/// W3C trace context of the change that made the event (when traces are exported).
const TRACE_HEADER: &str = "traceparent";
const CONTROL_HEADER: &str = "Hybrid-Control";
/// Topics without listeners are unsubscribed this often.
const SWEEP_EVERY: Duration = Duration::from_secs(10);

#[derive(Debug, Clone)]
pub struct NatsConfig {
    /// `nats://host:port`, or several comma-separated.
    pub url: String,
    /// Subject prefix: one per deployment sharing a NATS server.
    pub prefix: String,
    /// How long JetStream keeps logged events.
    pub stream_max_age: Duration,
    /// Envelopes buffered per topic for a node's fan-out task.
    pub capacity: usize,
}

pub struct NatsBus {
    client: Client,
    jetstream: jetstream::Context,
    subjects: Subjects,
    /// Whether the events stream is known to exist; cleared when a publish fails, since the
    /// server may have come back without it.
    stream_ready: AtomicBool,
    stream_max_age: Duration,
    capacity: usize,
    topics: Arc<Mutex<HashMap<Topic, broadcast::Sender<Envelope>>>>,
    commands: mpsc::UnboundedSender<Command>,
}

enum Command {
    Subscribe(Topic, broadcast::Sender<Envelope>),
    Publish(Subject, HeaderMap, bytes::Bytes),
    Settle(oneshot::Sender<Result<(), BusError>>),
}

#[derive(Clone)]
struct Subjects {
    prefix: String,
}

impl Subjects {
    fn subscription(&self, topic: Topic) -> Subject {
        format!("{}.{}.{}.*", self.prefix, topic.namespace, topic.id).into()
    }

    fn publish(&self, topic: Topic, logged: bool) -> Subject {
        let kind = if logged { "log" } else { "live" };
        format!("{}.{}.{}.{kind}", self.prefix, topic.namespace, topic.id).into()
    }

    fn stream_name(&self) -> String {
        let name: String = self
            .prefix
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_uppercase()
                } else {
                    '_'
                }
            })
            .collect();
        format!("{name}_EVENTS")
    }

    fn message_id(topic: Topic, pts: i64) -> String {
        format!("{}.{}.{pts}", topic.namespace, topic.id)
    }
}

fn headers(envelope: &Envelope) -> HeaderMap {
    let mut headers = HeaderMap::new();
    if let Some(pts) = envelope.pts {
        headers.insert(PTS_HEADER, pts.to_string().as_str());
    }
    if let Some(control) = &envelope.control {
        headers.insert(CONTROL_HEADER, control.as_str());
    }
    if let Some(trace) = &envelope.trace {
        headers.insert(TRACE_HEADER, trace.as_ref());
    }
    headers
}

fn bus_error(what: &str, err: impl std::fmt::Display) -> BusError {
    BusError(format!("{what}: {err}"))
}

impl NatsBus {
    /// Connects (and keeps reconnecting in the background: a NATS outage makes `check` fail
    /// and logged publishes wait in the outbox, it does not stop the process).
    pub async fn connect(config: NatsConfig) -> Result<Arc<NatsBus>, BusError> {
        let (events, events_rx) = mpsc::unbounded_channel();
        let client = ConnectOptions::new()
            .name("hybrid")
            .retry_on_initial_connect()
            .event_callback(move |event| {
                let events = events.clone();
                async move {
                    let _ = events.send(event);
                }
            })
            .connect(config.url.as_str())
            .await
            .map_err(|e| bus_error("connecting to NATS", e))?;
        let (commands, commands_rx) = mpsc::unbounded_channel();
        let topics = Arc::default();
        let subjects = Subjects { prefix: config.prefix };
        tokio::spawn(manage(
            client.clone(),
            subjects.clone(),
            Arc::clone(&topics),
            commands_rx,
            events_rx,
        ));
        Ok(Arc::new(NatsBus {
            jetstream: jetstream::new(client.clone()),
            client,
            subjects,
            stream_ready: AtomicBool::new(false),
            stream_max_age: config.stream_max_age,
            capacity: config.capacity.max(16),
            topics,
            commands,
        }))
    }

    /// Creates the events stream on first use (the server may have been down at startup).
    async fn ensure_stream(&self) -> Result<(), BusError> {
        if self.stream_ready.load(Ordering::Acquire) {
            return Ok(());
        }
        // Created, or updated where an older version made it with fewer subjects.
        self.jetstream
            .create_or_update_stream(jetstream::stream::Config {
                name: self.subjects.stream_name(),
                subjects: vec![format!("{}.*.*.log", self.subjects.prefix)],
                max_age: self.stream_max_age,
                duplicate_window: Duration::from_secs(120).min(self.stream_max_age),
                storage: jetstream::stream::StorageType::File,
                ..Default::default()
            })
            .await
            .map_err(|e| bus_error("creating the events stream", e))?;
        self.stream_ready.store(true, Ordering::Release);
        Ok(())
    }

    async fn publish_in_order(&self, envelopes: &[Envelope]) -> Result<(), BusError> {
        self.ensure_stream().await?;
        // Sent back to back on one connection (so in order), then the acks are awaited.
        let mut acks = Vec::with_capacity(envelopes.len());
        for envelope in envelopes {
            let mut message = PublishMessage::build()
                .payload(envelope.payload.clone())
                .headers(headers(envelope));
            if let Some(pts) = envelope.pts {
                message = message.message_id(Subjects::message_id(envelope.topic, pts));
            }
            let subject = self.subjects.publish(envelope.topic, true);
            let ack = self
                .jetstream
                .send_publish(subject, message)
                .await
                .map_err(|e| bus_error("publishing to JetStream", e))?;
            acks.push(ack);
        }
        for ack in acks {
            ack.await.map_err(|e| match e.kind() {
                PublishErrorKind::TimedOut => bus_error("JetStream acknowledgement", "timed out"),
                _ => bus_error("JetStream acknowledgement", e),
            })?;
        }
        Ok(())
    }
}

impl Bus for NatsBus {
    fn publish(&self, envelope: Envelope) {
        // Typing and presence are worthless late: while NATS is away they are dropped rather
        // than piled up for a burst of stale frames at reconnect.
        if self.check().is_err() {
            return;
        }
        let subject = self.subjects.publish(envelope.topic, false);
        let _ = self
            .commands
            .send(Command::Publish(subject, headers(&envelope), envelope.payload));
    }

    fn publish_logged<'a>(&'a self, envelopes: &'a [Envelope]) -> BoxFuture<'a, Result<(), BusError>> {
        Box::pin(async move {
            let published = self.publish_in_order(envelopes).await;
            if published.is_err() {
                self.stream_ready.store(false, Ordering::Release);
            }
            published
        })
    }

    fn subscribe(&self, topic: Topic) -> Receiver {
        let mut topics = self.topics.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(sender) = topics.get(&topic).filter(|s| s.receiver_count() > 0) {
            return sender.subscribe();
        }
        let (sender, receiver) = broadcast::channel(self.capacity);
        topics.insert(topic, sender.clone());
        let _ = self.commands.send(Command::Subscribe(topic, sender));
        receiver
    }

    fn settle(&self) -> BoxFuture<'_, Result<(), BusError>> {
        Box::pin(async move {
            let (done, wait) = oneshot::channel();
            self.commands
                .send(Command::Settle(done))
                .map_err(|_| BusError("the NATS bus stopped".into()))?;
            wait.await.map_err(|_| BusError("the NATS bus stopped".into()))?
        })
    }

    fn check(&self) -> Result<(), BusError> {
        match self.client.connection_state() {
            async_nats::connection::State::Connected => Ok(()),
            state => Err(BusError(format!("NATS is {state}"))),
        }
    }
}

/// The one task that talks to the client: subscriptions and fire-and-forget publishes in the
/// order they were asked for, a flush to settle, unsubscribing topics nobody listens to, and a
/// resync of every topic after a reconnect (envelopes may have been missed meanwhile).
async fn manage(
    client: Client,
    subjects: Subjects,
    topics: Arc<Mutex<HashMap<Topic, broadcast::Sender<Envelope>>>>,
    mut commands: mpsc::UnboundedReceiver<Command>,
    mut events: mpsc::UnboundedReceiver<Event>,
) {
    let mut forwards: HashMap<Topic, JoinHandle<()>> = HashMap::new();
    let mut sweep = tokio::time::interval(SWEEP_EVERY);
    let mut disconnected = false;
    loop {
        tokio::select! {
            command = commands.recv() => match command {
                None => break,
                Some(Command::Subscribe(topic, sender)) => {
                    match client.subscribe(subjects.subscription(topic)).await {
                        Ok(subscriber) => {
                            let task = tokio::spawn(forward(subscriber, topic, sender));
                            if let Some(old) = forwards.insert(topic, task) {
                                old.abort();
                            }
                        }
                        // Forgetting the topic drops its last sender: its receivers end, and
                        // the hub subscribes afresh for the next listener.
                        Err(err) => {
                            tracing::warn!(?topic, error = %err, "NATS subscribe failed");
                            let mut topics = topics.lock().unwrap_or_else(|e| e.into_inner());
                            if topics.get(&topic).is_some_and(|s| s.same_channel(&sender)) {
                                topics.remove(&topic);
                            }
                        }
                    }
                }
                Some(Command::Publish(subject, headers, payload)) => {
                    if let Err(err) = client.publish_with_headers(subject, headers, payload).await {
                        tracing::debug!(error = %err, "NATS publish failed");
                    }
                }
                Some(Command::Settle(done)) => {
                    let client = client.clone();
                    tokio::spawn(async move {
                        let flushed = client.flush().await.map_err(|e| bus_error("NATS flush", e));
                        let _ = done.send(flushed);
                    });
                }
            },
            Some(event) = events.recv() => match event {
                Event::Disconnected => {
                    tracing::warn!("NATS connection lost; reconnecting");
                    disconnected = true;
                }
                Event::Connected if disconnected => {
                    tracing::info!("NATS connection back; listeners resync");
                    disconnected = false;
                    resync_all(&topics);
                }
                Event::SlowConsumer(_) => {
                    tracing::warn!("a NATS subscription overflowed; listeners resync");
                    resync_all(&topics);
                }
                other => tracing::debug!(event = %other, "NATS"),
            },
            _ = sweep.tick() => {
                let mut topics = topics.lock().unwrap_or_else(|e| e.into_inner());
                topics.retain(|topic, sender| {
                    let live = sender.receiver_count() > 0;
                    if !live && let Some(task) = forwards.remove(topic) {
                        task.abort(); // dropping the subscriber unsubscribes
                    }
                    live
                });
            }
        }
    }
}

fn resync_all(topics: &Mutex<HashMap<Topic, broadcast::Sender<Envelope>>>) {
    let topics = topics.lock().unwrap_or_else(|e| e.into_inner());
    for (topic, sender) in topics.iter() {
        let _ = sender.send(Envelope::control(*topic, Control::resync()));
    }
}

async fn forward(mut subscriber: Subscriber, topic: Topic, sender: broadcast::Sender<Envelope>) {
    while let Some(message) = subscriber.next().await {
        let header = |name: &str| {
            message
                .headers
                .as_ref()
                .and_then(|h| h.get(name))
                .map(|v| v.as_str().to_owned())
        };
        let envelope = Envelope {
            topic,
            pts: header(PTS_HEADER).and_then(|v| v.parse().ok()),
            control: header(CONTROL_HEADER).map(Control::new),
            trace: header(TRACE_HEADER).map(Arc::from),
            payload: message.payload,
        };
        // No receivers left: the sweep unsubscribes.
        let _ = sender.send(envelope);
    }
}
