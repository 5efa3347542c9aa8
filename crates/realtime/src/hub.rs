//! The node's fan-out: one bus subscription per topic with listeners on this node (never one
//! per connection), delivering each event's frame, made once, to every listening socket.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use axum::extract::ws::Utf8Bytes;
use hybrid_auth_api::{REVOCATIONS, Revoked};
use hybrid_chats_api::ChatMembership;
use hybrid_core::bus::{Bus, Control, Envelope, RecvError, Topic};
use hybrid_core::trace_context;
use hybrid_realtime_api::Membership;
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;

/// Close codes the server uses; `docs/protocol.md` lists them for client authors.
pub mod close {
    /// Missing, invalid or expired access token.
    pub const UNAUTHORIZED: u16 = 4001;
    /// The session was signed out (logout, revocation, password change).
    pub const SESSION_REVOKED: u16 = 4003;
    /// The client fell behind: reconnect and call sync.
    pub const RESYNC: u16 = 4008;
    /// The client broke the protocol (first frame not `auth`, no heartbeat).
    pub const PROTOCOL: u16 = 4400;
    /// The server is shutting down: reconnect (to another node) and sync.
    pub const GOING_AWAY: u16 = 1001;
    /// The client sent a frame over the size limit (64 KiB).
    pub const MESSAGE_TOO_BIG: u16 = 1009;
    /// The node holds as many sockets as it takes now (unauthenticated ones): retry later.
    pub const TRY_AGAIN_LATER: u16 = 1013;
    /// The user has `realtime.max_sockets_per_user` sockets open on this node already.
    pub const TOO_MANY_SOCKETS: u16 = 4029;
}

pub type ConnId = u64;

/// One socket as the hub sees it.
pub struct Conn {
    pub id: ConnId,
    pub user_id: i64,
    pub session_id: i64,
    frames: mpsc::Sender<Utf8Bytes>,
    close: watch::Sender<Option<(u16, &'static str)>>,
}

impl Conn {
    /// Queues a frame; a socket whose queue is full is closed so the client resyncs, rather
    /// than buffering without bound.
    fn push(&self, frame: Utf8Bytes) {
        if let Err(mpsc::error::TrySendError::Full(_)) = self.frames.try_send(frame) {
            self.close(close::RESYNC, "too slow: reconnect and sync");
        }
    }

    pub fn close(&self, code: u16, reason: &'static str) {
        self.close.send_if_modified(|current| {
            if current.is_none() {
                *current = Some((code, reason));
                true
            } else {
                false
            }
        });
    }
}

/// The receiving ends a socket task owns.
pub struct ConnHandle {
    pub conn: Arc<Conn>,
    /// No other socket of the user was on this node when this one connected (decided under
    /// the hub's lock, so two sockets connecting at once cannot both miss it).
    pub first_on_node: bool,
    pub frames: mpsc::Receiver<Utf8Bytes>,
    pub close: watch::Receiver<Option<(u16, &'static str)>>,
}

type Listeners = Arc<RwLock<HashMap<ConnId, Arc<Conn>>>>;

struct TopicEntry {
    listeners: Listeners,
    task: JoinHandle<()>,
}

#[derive(Default)]
struct State {
    topics: HashMap<Topic, TopicEntry>,
    /// Each connection's topics, to leave them all at once.
    subscriptions: HashMap<ConnId, Vec<Topic>>,
    /// Connections by user, for membership changes and revocations.
    by_user: HashMap<i64, HashMap<ConnId, Arc<Conn>>>,
}

pub struct Hub {
    bus: Arc<dyn Bus>,
    membership: Arc<dyn ChatMembership>,
    next_id: AtomicU64,
    queue: usize,
    state: Mutex<State>,
}

impl Hub {
    pub fn new(bus: Arc<dyn Bus>, membership: Arc<dyn ChatMembership>, queue: usize) -> Arc<Hub> {
        let hub = Arc::new(Hub {
            bus,
            membership,
            next_id: AtomicU64::new(1),
            queue: queue.max(8),
            state: Mutex::new(State::default()),
        });
        hub.clone().listen(REVOCATIONS);
        hub
    }

    /// Registers a socket of `user_id`; it listens to nothing until [`Hub::subscribe`]. `None`
    /// when the user already has `max_per_user` sockets here.
    pub fn connect(&self, user_id: i64, session_id: i64, max_per_user: usize) -> Option<ConnHandle> {
        let (frames_tx, frames) = mpsc::channel(self.queue);
        let (close_tx, close) = watch::channel(None);
        let conn = Arc::new(Conn {
            id: self.next_id.fetch_add(1, Ordering::Relaxed),
            user_id,
            session_id,
            frames: frames_tx,
            close: close_tx,
        });
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if state.by_user.get(&user_id).map_or(0, HashMap::len) >= max_per_user {
            return None;
        }
        let conns = state.by_user.entry(user_id).or_default();
        let first_on_node = conns.is_empty();
        conns.insert(conn.id, conn.clone());
        metrics::gauge!("realtime_connections").increment(1.0);
        Some(ConnHandle {
            conn,
            first_on_node,
            frames,
            close,
        })
    }

    /// Starts delivering `topic` to `conn`, subscribing this node to the topic if it is the
    /// first listener.
    pub fn subscribe(self: &Arc<Self>, conn: &Arc<Conn>, topic: Topic) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        // A socket that disconnected meanwhile must not come back as a listener.
        if !state
            .by_user
            .get(&conn.user_id)
            .is_some_and(|c| c.contains_key(&conn.id))
        {
            return;
        }
        let subscriptions = state.subscriptions.entry(conn.id).or_default();
        if subscriptions.contains(&topic) {
            return;
        }
        subscriptions.push(topic);
        let listeners = match state.topics.get(&topic) {
            Some(entry) => entry.listeners.clone(),
            None => {
                let listeners: Listeners = Arc::default();
                let task = tokio::spawn(
                    self.clone()
                        .fan_out(topic, self.bus.subscribe(topic), listeners.clone()),
                );
                state.topics.insert(
                    topic,
                    TopicEntry {
                        listeners: listeners.clone(),
                        task,
                    },
                );
                listeners
            }
        };
        listeners
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(conn.id, conn.clone());
    }

    pub fn unsubscribe(&self, conn_id: ConnId, topic: Topic) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(subscriptions) = state.subscriptions.get_mut(&conn_id) {
            subscriptions.retain(|t| *t != topic);
        }
        Self::leave_topic(&mut state, conn_id, topic);
    }

    fn leave_topic(state: &mut State, conn_id: ConnId, topic: Topic) {
        let empty = match state.topics.get(&topic) {
            Some(entry) => {
                let mut listeners = entry.listeners.write().unwrap_or_else(|e| e.into_inner());
                listeners.remove(&conn_id);
                listeners.is_empty()
            }
            None => false,
        };
        if empty && let Some(entry) = state.topics.remove(&topic) {
            entry.task.abort();
        }
    }

    /// Forgets a closed socket. Returns whether it was its user's last one on this node.
    pub fn disconnect(&self, conn: &Conn) -> bool {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        for topic in state.subscriptions.remove(&conn.id).unwrap_or_default() {
            Self::leave_topic(&mut state, conn.id, topic);
        }
        metrics::gauge!("realtime_connections").decrement(1.0);
        let last = match state.by_user.get_mut(&conn.user_id) {
            Some(conns) => {
                conns.remove(&conn.id);
                conns.is_empty()
            }
            None => true,
        };
        if last {
            state.by_user.remove(&conn.user_id);
        }
        last
    }

    /// Whether the user has a socket on this node.
    pub fn has_user(&self, user_id: i64) -> bool {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.by_user.contains_key(&user_id)
    }

    /// Closes every socket (server shutdown) and waits up to `grace` for them to go.
    pub async fn close_all(&self, code: u16, reason: &'static str, grace: std::time::Duration) {
        let conns: Vec<Arc<Conn>> = {
            let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
            state.by_user.values().flat_map(|c| c.values().cloned()).collect()
        };
        for conn in &conns {
            conn.close(code, reason);
        }
        let deadline = tokio::time::Instant::now() + grace;
        while tokio::time::Instant::now() < deadline {
            if self.state.lock().unwrap_or_else(|e| e.into_inner()).by_user.is_empty() {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    /// Users with a socket on this node.
    pub fn online_users(&self) -> Vec<i64> {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.by_user.keys().copied().collect()
    }

    pub fn publish(&self, envelope: Envelope) {
        self.bus.publish(envelope);
    }

    /// Resolves once this node's subscriptions so far are live on the bus.
    pub async fn settle(&self) -> Result<(), hybrid_core::bus::BusError> {
        self.bus.settle().await
    }

    fn user_conns(&self, user_id: i64) -> Vec<Arc<Conn>> {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state
            .by_user
            .get(&user_id)
            .map(|c| c.values().cloned().collect())
            .unwrap_or_default()
    }

    /// Whether `user_id` is in `chat_id` right now; `None` when that cannot be told.
    async fn is_member(&self, chat_id: i64, user_id: i64) -> Option<bool> {
        match self.membership.membership(chat_id, user_id).await {
            Ok(found) => Some(found.is_some()),
            Err(err) => {
                tracing::warn!(chat_id, user_id, error = %err, "membership check failed");
                None
            }
        }
    }

    /// A control that came with an envelope: a membership change or a session revocation.
    async fn apply(self: &Arc<Self>, control: &Control) {
        if let Some(change) = Membership::read(control) {
            self.apply_membership(change).await;
        } else if let Some(Revoked { user_id, session_id }) = Revoked::read(control) {
            for conn in self
                .user_conns(user_id)
                .into_iter()
                .filter(|c| c.session_id == session_id)
            {
                conn.close(close::SESSION_REVOKED, "session signed out");
            }
        }
    }

    /// Joins and removals arrive on different streams (the user's and the chat's), so either
    /// may come late: each subscribes or unsubscribes first, then settles on what the
    /// database says now. A socket that may have missed events in between sees a pts gap and
    /// syncs; one whose state cannot be told is closed to resync.
    async fn apply_membership(self: &Arc<Self>, change: Membership) {
        match change {
            Membership::Joined { chat_id, user_id } | Membership::Left { chat_id, user_id } => {
                let conns = self.user_conns(user_id);
                if conns.is_empty() {
                    return;
                }
                let topic = hybrid_realtime_api::chat(chat_id);
                let joined = matches!(change, Membership::Joined { .. });
                for conn in &conns {
                    if joined {
                        self.subscribe(conn, topic);
                    } else {
                        self.unsubscribe(conn.id, topic);
                    }
                }
                match self.is_member(chat_id, user_id).await {
                    Some(member) if member == joined => {}
                    Some(member) => {
                        for conn in &conns {
                            if member {
                                self.subscribe(conn, topic);
                            } else {
                                self.unsubscribe(conn.id, topic);
                            }
                        }
                    }
                    None => {
                        for conn in &conns {
                            self.unsubscribe(conn.id, topic);
                            conn.close(close::RESYNC, "reconnect and sync");
                        }
                    }
                }
            }
        }
    }

    /// Subscribes the node to a topic with no socket of its own (auth's revocations).
    fn listen(self: Arc<Self>, topic: Topic) {
        let receiver = self.bus.subscribe(topic);
        tokio::spawn(self.clone().fan_out(topic, receiver, Listeners::default()));
    }

    /// The one task per topic: frames to every listener, then the control action. Logged
    /// events can arrive twice (the relay publishes again after a crash): anything at or below
    /// the last pts delivered is dropped. A node that falls behind the bus closes the topic's
    /// sockets with RESYNC: nothing is lost, clients catch up through sync.
    async fn fan_out(self: Arc<Self>, topic: Topic, mut receiver: hybrid_core::bus::Receiver, listeners: Listeners) {
        let mut last_pts = 0;
        loop {
            match receiver.recv().await {
                Ok(envelope) => {
                    if let Some(pts) = envelope.pts {
                        if pts <= last_pts {
                            // Its frame went out already (or the client syncs over the gap);
                            // its membership change is applied again, which is harmless: it
                            // settles on what the database says.
                            metrics::counter!("realtime_duplicates_dropped_total").increment(1);
                            if let Some(control) = &envelope.control {
                                self.apply(control).await;
                            }
                            continue;
                        }
                        last_pts = pts;
                    }
                    if envelope.control.as_ref().is_some_and(Control::is_resync) {
                        Self::resync(&listeners, "events may have been missed: reconnect and sync");
                        continue;
                    }
                    // A join takes effect before its frame goes out (a client that sees
                    // `chat.added` is already listening to the chat); everything else after
                    // (a removed member still gets the event that removes them).
                    let joined = envelope
                        .control
                        .as_ref()
                        .is_some_and(|c| matches!(Membership::read(c), Some(Membership::Joined { .. })));
                    if let (true, Some(control)) = (joined, &envelope.control) {
                        self.apply(control).await;
                    }
                    if !envelope.payload.is_empty() {
                        // Joins the trace of the change that made the event (traces exported only).
                        let _delivery = envelope.trace.as_deref().map(|trace| {
                            let span =
                                tracing::info_span!("deliver", otel.kind = "consumer", ?topic, pts = envelope.pts);
                            trace_context::adopt(&span, Some(trace));
                            span.entered()
                        });
                        // Validated once per node, then shared by every socket.
                        match Utf8Bytes::try_from(envelope.payload.clone()) {
                            Ok(frame) => {
                                let listeners = listeners.read().unwrap_or_else(|e| e.into_inner());
                                for conn in listeners.values() {
                                    conn.push(frame.clone());
                                }
                                metrics::counter!("realtime_frames_delivered_total").increment(listeners.len() as u64);
                            }
                            Err(_) => tracing::error!(?topic, "a non-UTF-8 frame on the bus"),
                        }
                    }
                    if let (false, Some(control)) = (joined, &envelope.control) {
                        self.apply(control).await;
                    }
                }
                Err(RecvError::Lagged(missed)) => {
                    tracing::warn!(?topic, missed, "fell behind the bus; listeners resync");
                    Self::resync(&listeners, "missed events: reconnect and sync");
                }
                Err(RecvError::Closed) => {
                    // The bus dropped the topic (a failed subscription): forget it, so the
                    // next listener subscribes afresh, and let these listeners resync.
                    self.forget_topic(topic, &listeners);
                    Self::resync(&listeners, "reconnect and sync");
                    break;
                }
            }
        }
    }

    /// Removes the topic's entry if it is still the one these listeners belong to.
    fn forget_topic(&self, topic: Topic, listeners: &Listeners) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if state
            .topics
            .get(&topic)
            .is_some_and(|e| Arc::ptr_eq(&e.listeners, listeners))
        {
            state.topics.remove(&topic);
        }
    }

    fn resync(listeners: &Listeners, reason: &'static str) {
        for conn in listeners.read().unwrap_or_else(|e| e.into_inner()).values() {
            conn.close(close::RESYNC, reason);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use futures::future::BoxFuture;
    use hybrid_core::ApiError;
    use hybrid_core::bus::{Bytes, LocalBus};
    use hybrid_realtime_api::chat;

    use super::*;

    /// Chats' side as the hub sees it: whether users are members, fixed per test.
    struct Members(bool);

    impl ChatMembership for Members {
        fn chats_of(&self, _user_id: i64) -> BoxFuture<'_, Result<Vec<i64>, ApiError>> {
            Box::pin(async { Ok(Vec::new()) })
        }
        fn direct_peers(&self, _user_id: i64) -> BoxFuture<'_, Result<Vec<i64>, ApiError>> {
            Box::pin(async { Ok(Vec::new()) })
        }
        fn membership(&self, _chat_id: i64, _user_id: i64) -> BoxFuture<'_, Result<Option<i64>, ApiError>> {
            let member = self.0;
            Box::pin(async move { Ok(member.then_some(2)) })
        }
        fn message_context(
            &self,
            _chat_id: i64,
            _seq: i64,
        ) -> BoxFuture<'_, Result<Option<hybrid_chats_api::MessageContext>, ApiError>> {
            Box::pin(async { Ok(None) })
        }
    }

    fn hub(member: bool, queue: usize) -> (Arc<Hub>, Arc<LocalBus>) {
        let bus = Arc::new(LocalBus::default());
        (Hub::new(bus.clone(), Arc::new(Members(member)), queue), bus)
    }

    fn logged(topic: Topic, pts: i64, control: Option<Membership>) -> Envelope {
        Envelope {
            topic,
            pts: Some(pts),
            payload: Bytes::from(format!("{{\"pts\":{pts}}}")),
            control: control.map(Membership::control),
            trace: None,
        }
    }

    /// The next frame within a second, if any.
    async fn next(handle: &mut ConnHandle) -> Option<String> {
        tokio::time::timeout(Duration::from_secs(1), handle.frames.recv())
            .await
            .ok()
            .flatten()
            .map(|frame| frame.to_string())
    }

    /// Whether any socket on this node listens to `topic`, once the fan-out task settles
    /// (polled for up to a second).
    async fn listened(hub: &Hub, topic: Topic, expected: bool) -> bool {
        for _ in 0..100 {
            let now = hub.state.lock().unwrap().topics.contains_key(&topic);
            if now == expected {
                return now;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        !expected
    }

    #[tokio::test]
    async fn a_user_gets_at_most_the_cap_of_sockets_and_a_closed_one_frees_its_place() {
        let (hub, _bus) = hub(true, 8);
        let first = hub.connect(7, 1, 2).expect("first");
        assert!(first.first_on_node);
        let second = hub.connect(7, 2, 2).expect("second");
        assert!(!second.first_on_node);
        assert!(hub.connect(7, 3, 2).is_none(), "over the cap");
        assert!(hub.connect(8, 1, 2).is_some(), "the cap is per user");
        assert!(!hub.disconnect(&first.conn), "not the user's last socket");
        assert!(hub.connect(7, 3, 2).is_some());
    }

    #[tokio::test]
    async fn frames_go_out_once_in_pts_order_and_repeats_are_dropped() {
        let (hub, bus) = hub(true, 8);
        let mut handle = hub.connect(7, 1, 4).unwrap();
        hub.subscribe(&handle.conn, chat(1));
        for pts in [1, 2, 2, 1, 3, 4] {
            bus.publish(logged(chat(1), pts, None));
        }
        let mut frames = Vec::new();
        for _ in 0..4 {
            frames.push(next(&mut handle).await.unwrap());
        }
        // a repeat would have come before 3 or 4
        assert_eq!(frames, [r#"{"pts":1}"#, r#"{"pts":2}"#, r#"{"pts":3}"#, r#"{"pts":4}"#]);
    }

    #[tokio::test]
    async fn a_removed_member_gets_the_removal_and_nothing_after() {
        let (hub, bus) = hub(false, 8);
        let mut handle = hub.connect(7, 1, 4).unwrap();
        hub.subscribe(&handle.conn, chat(1));
        let left = Membership::Left { chat_id: 1, user_id: 7 };
        bus.publish(logged(chat(1), 1, Some(left)));
        assert_eq!(next(&mut handle).await.as_deref(), Some(r#"{"pts":1}"#));
        // the control applies after the frame: the socket leaves the chat, and this node the
        // chat's topic
        assert!(!listened(&hub, chat(1), false).await);
        assert!(hub.has_user(7), "the socket itself stays open");
    }

    #[tokio::test]
    async fn a_socket_whose_queue_fills_is_closed_to_resync() {
        let (hub, bus) = hub(true, 8);
        let mut handle = hub.connect(7, 1, 4).unwrap();
        hub.subscribe(&handle.conn, chat(1));
        for pts in 1..=9 {
            bus.publish(logged(chat(1), pts, None));
        }
        tokio::time::timeout(Duration::from_secs(1), handle.close.changed())
            .await
            .expect("closed in time")
            .unwrap();
        assert_eq!(handle.close.borrow().map(|(code, _)| code), Some(close::RESYNC));
    }
}
