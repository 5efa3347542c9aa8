//! The scenarios. Each sets up its users and chats through the API, connects its sockets,
//! measures for a fixed duration and returns a [`Report`].
//!
//! Sends are open loop: they start on schedule whatever the server's speed, each on its own
//! task, so a slow server shows up as latency and errors, not as a lower send rate.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt, stream};
use serde::Serialize;
use serde_json::{Value, json};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio_tungstenite::tungstenite::Message;

use crate::api::{Api, User};
use crate::proc::{CpuMeter, Usage, rss_kib};
use crate::stats::{Latency, Samples};
use crate::target::Target;
use crate::ws::{self, Heard, Socket};

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub scenario: String,
    /// `hybrid` or `reference`.
    pub target: String,
    pub params: Value,
    pub duration_s: f64,
    /// The headline number and its unit (messages/s persisted, deliveries/s, KiB per socket…).
    pub result: f64,
    pub unit: String,
    pub sent: u64,
    pub errors: u64,
    pub ack: Option<Latency>,
    pub delivered: Option<Latency>,
    pub extra: Value,
    pub server: Usage,
    pub generator: Usage,
}

impl Report {
    pub fn new_reference(scenario: &str, params: Value) -> Report {
        Report::new(scenario, "reference", params)
    }

    /// Fills in what every open-loop run with listeners reports.
    fn record_run(&mut self, driven: Driven, delivered: Samples, closed_early: u64) {
        self.duration_s = driven.elapsed.as_secs_f64();
        self.sent = driven.sent;
        self.errors = driven.errors;
        self.ack = Some(driven.ack.summary());
        self.extra = json!({"delivered": delivered.len(), "sockets_closed_early": closed_early});
        self.delivered = Some(delivered.summary());
    }

    /// [`record_run`](Self::record_run) for a fan-out: deliveries per second, and how many
    /// were expected (each acknowledged message to `receivers` sockets).
    fn record_fanout(&mut self, driven: Driven, delivered: Samples, closed_early: u64, receivers: usize) {
        let expected = driven.ack.len() * receivers;
        let count = delivered.len();
        self.record_run(driven, delivered, closed_early);
        self.result = count as f64 / self.duration_s;
        self.unit = "deliveries/s".into();
        self.extra["expected_deliveries"] = json!(expected);
    }

    fn new(scenario: &str, target: &str, params: Value) -> Report {
        Report {
            scenario: scenario.into(),
            target: target.into(),
            params,
            duration_s: 0.0,
            result: 0.0,
            unit: String::new(),
            sent: 0,
            errors: 0,
            ack: None,
            delivered: None,
            extra: Value::Null,
            server: Usage::default(),
            generator: Usage::default(),
        }
    }
}

/// CPU of the server and of this generator over the measured interval.
struct Meters(CpuMeter, CpuMeter);

impl Meters {
    fn start(server_pid: u32) -> Meters {
        Meters(CpuMeter::start(server_pid), CpuMeter::start(std::process::id()))
    }

    fn stop(&self, report: &mut Report) {
        report.server = self.0.stop();
        report.generator = self.1.stop();
    }
}

/// What an open-loop run of sends produced.
struct Driven {
    sent: u64,
    errors: u64,
    ack: Samples,
    elapsed: Duration,
}

/// Starts `send(i)` at `rate` per second for `duration`, each on its own task, then waits for
/// all of them.
async fn drive<F, Fut>(rate: f64, duration: Duration, send: F) -> Driven
where
    F: Fn(u64) -> Fut,
    Fut: Future<Output = anyhow::Result<()>> + Send + 'static,
{
    let mut tasks = JoinSet::new();
    let mut driven = Driven {
        sent: 0,
        errors: 0,
        ack: Samples::with_capacity((rate * duration.as_secs_f64()) as usize),
        elapsed: Duration::ZERO,
    };
    let start = Instant::now();
    let mut tick = tokio::time::interval(Duration::from_millis(1));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let collect = |result: Result<(anyhow::Result<()>, Duration), tokio::task::JoinError>, d: &mut Driven| match result
    {
        Ok((Ok(()), took)) => d.ack.record_us(took.as_micros() as u64),
        _ => d.errors += 1,
    };
    while start.elapsed() < duration {
        tick.tick().await;
        let due = (start.elapsed().as_secs_f64().min(duration.as_secs_f64()) * rate) as u64;
        while driven.sent < due {
            let fut = send(driven.sent);
            tasks.spawn(async move {
                let began = Instant::now();
                (fut.await, began.elapsed())
            });
            driven.sent += 1;
        }
        while let Some(done) = tasks.try_join_next() {
            collect(done, &mut driven);
        }
    }
    while let Some(done) = tasks.join_next().await {
        collect(done, &mut driven);
    }
    driven.elapsed = start.elapsed();
    driven
}

/// Listening sockets: each gets a task that times the messages it receives until stopped.
struct Listeners {
    stop: watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<Heard>>,
}

impl Listeners {
    fn start(sockets: Vec<(Socket, i64)>, expected_each: usize) -> Listeners {
        let (stop, stopped) = watch::channel(false);
        let tasks = sockets
            .into_iter()
            .map(|(socket, me)| tokio::spawn(ws::listen(socket, me, stopped.clone(), expected_each)))
            .collect();
        Listeners { stop, tasks }
    }

    /// Stops after `grace` (deliveries still on their way) and merges what was heard.
    async fn finish(self, grace: Duration) -> (Samples, u64) {
        tokio::time::sleep(grace).await;
        let _ = self.stop.send(true);
        let mut all = Samples::default();
        let mut closed_early = 0;
        for task in self.tasks {
            if let Ok(heard) = task.await {
                all.merge(heard.delivered);
                closed_early += heard.closed_early as u64;
            }
        }
        (all, closed_early)
    }
}

/// Connects one socket per `(token, me)` (spreading source addresses), `parallel` at a time.
async fn connect_all(
    base: &str,
    path: &str,
    who: Vec<(Option<String>, i64)>,
    sources: usize,
) -> anyhow::Result<Vec<(Socket, i64)>> {
    let base = base.to_owned();
    let results: Vec<anyhow::Result<(Socket, i64)>> = stream::iter(who.into_iter().enumerate())
        .map(|(i, (token, me))| {
            let base = base.clone();
            async move {
                let socket = ws::connect(&base, path, token.as_deref(), ws::source(i, sources)).await?;
                Ok((socket, me))
            }
        })
        .buffer_unordered(128)
        .collect()
        .await;
    results.into_iter().collect()
}

/// Connects every socket of `who` and starts listening, sized for `rate` over `duration`.
async fn listen_all(
    base: &str,
    path: &str,
    who: Vec<(Option<String>, i64)>,
    rate: f64,
    duration: Duration,
) -> anyhow::Result<Listeners> {
    let per_socket = (rate * duration.as_secs_f64()) as usize + 16;
    let sources = ws::sources_for(who.len());
    let sockets = connect_all(base, path, who, sources).await?;
    Ok(Listeners::start(sockets, per_socket))
}

fn hybrid_sockets(users: &[User]) -> Vec<(Option<String>, i64)> {
    users.iter().map(|u| (Some(u.token.clone()), u.id)).collect()
}

const REALTIME: &str = "/api/v1/realtime";
/// Time for the last deliveries to arrive after the last send.
const GRACE: Duration = Duration::from_secs(1);

/// `direct`: N pairs chatting in direct chats at a total rate R.
pub async fn direct(target: &Target, pairs: usize, rate: f64, duration: Duration) -> anyhow::Result<Report> {
    let api = Api::new(&target.base_url);
    let users = api.users("d", pairs * 2).await?;
    let mut chats = Vec::with_capacity(pairs);
    for pair in users.chunks(2) {
        chats.push(api.direct(&pair[0], &pair[1]).await?);
    }
    let sockets = connect_all(
        &target.base_url,
        REALTIME,
        hybrid_sockets(&users),
        ws::sources_for(users.len()),
    )
    .await?;
    let expected = (rate * duration.as_secs_f64()) as usize / users.len().max(1) + 16;
    let listeners = Listeners::start(sockets, expected);
    let mut report = Report::new("direct", "hybrid", json!({"pairs": pairs, "rate": rate}));
    let meters = Meters::start(target.pid);
    let users = Arc::new(users);
    let chats = Arc::new(chats);
    let driven = drive(rate, duration, |i| {
        let (api, users, chats) = (api.clone(), users.clone(), chats.clone());
        async move {
            let pair = (i as usize) % chats.len();
            let sender = &users[pair * 2 + ((i as usize / chats.len()) % 2)];
            api.send(&sender.token, chats[pair], ws::stamp(sender.id)).await
        }
    })
    .await;
    let (delivered, closed) = listeners.finish(GRACE).await;
    meters.stop(&mut report);
    let persisted = driven.ack.len() as f64 / driven.elapsed.as_secs_f64();
    report.record_run(driven, delivered, closed);
    report.result = persisted;
    report.unit = "messages persisted/s".into();
    Ok(report)
}

/// The shape of a `fanout` run: one group of `members`, all connected, `senders` of them
/// sending at `rate` messages/s in total for `duration`.
#[derive(Debug, Clone, Copy)]
pub struct Fanout {
    pub members: usize,
    pub senders: usize,
    pub rate: f64,
    pub duration: Duration,
}

/// `fanout` on Hybrid.
pub async fn fanout(target: &Target, shape: Fanout) -> anyhow::Result<Report> {
    let (members, senders, rate, duration) = (shape.members, shape.senders, shape.rate, shape.duration);
    let api = Api::new(&target.base_url);
    let users = api.users("f", members).await?;
    let chat = api.group(&users[0], &users).await?;
    let listeners = listen_all(&target.base_url, REALTIME, hybrid_sockets(&users), rate, duration).await?;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let params = json!({"members": members, "senders": senders, "rate": rate});
    let mut report = Report::new("fanout", "hybrid", params);
    let meters = Meters::start(target.pid);
    let senders: Arc<Vec<User>> = Arc::new(users.into_iter().take(senders.max(1)).collect());
    let driven = drive(rate, duration, |i| {
        let (api, senders) = (api.clone(), senders.clone());
        async move {
            let sender = &senders[i as usize % senders.len()];
            api.send(&sender.token, chat, ws::stamp(sender.id)).await
        }
    })
    .await;
    let (delivered, closed) = listeners.finish(GRACE).await;
    meters.stop(&mut report);
    report.record_fanout(driven, delivered, closed, members - 1);
    Ok(report)
}

/// `fanout` against the reference broadcast server: M listeners, K sender sockets.
pub async fn fanout_reference(target: &Target, shape: Fanout) -> anyhow::Result<Report> {
    let (members, senders, rate, duration) = (shape.members, shape.senders, shape.rate, shape.duration);
    let who = (0..members).map(|i| (None, i as i64)).collect();
    let listeners = listen_all(&target.base_url, "/", who, rate, duration).await?;
    let mut outs = Vec::new();
    for k in 0..senders.max(1) {
        let socket = ws::connect(&target.base_url, "/", None, ws::source(k, 1)).await?;
        outs.push(Arc::new(tokio::sync::Mutex::new(socket)));
    }
    let params = json!({"members": members, "senders": senders, "rate": rate});
    let mut report = Report::new("fanout", "reference", params);
    let meters = Meters::start(target.pid);
    let outs = Arc::new(outs);
    let driven = drive(rate, duration, |i| {
        let outs = outs.clone();
        async move {
            // negative sender ids: no listener skips these as its own
            let k = i as usize % outs.len();
            let frame = json!({"text": ws::stamp(-(k as i64) - 1)}).to_string();
            outs[k].lock().await.send(Message::Text(frame.into())).await?;
            Ok(())
        }
    })
    .await;
    let (delivered, closed) = listeners.finish(GRACE).await;
    meters.stop(&mut report);
    report.record_fanout(driven, delivered, closed, members);
    report.ack = None; // frames written to a socket: nothing is acknowledged
    Ok(report)
}

/// `idle`: C authenticated sockets (spread over U users) with heartbeats only.
pub async fn idle(
    target: &Target,
    reference: bool,
    connections: usize,
    users: usize,
    duration: Duration,
) -> anyhow::Result<Report> {
    let who: Vec<(Option<String>, i64)> = if reference {
        (0..connections).map(|i| (None, i as i64)).collect()
    } else {
        let api = Api::new(&target.base_url);
        let accounts = api.users("i", users.clamp(1, connections.max(1))).await?;
        (0..connections)
            .map(|i| {
                let user = &accounts[i % accounts.len()];
                (Some(user.token.clone()), user.id)
            })
            .collect()
    };
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = rss_kib(target.pid).unwrap_or(0);
    let path = if reference { "/" } else { REALTIME };
    let sources = ws::sources_for(connections);
    let connecting = Instant::now();
    let sockets = connect_all(&target.base_url, path, who, sources).await?;
    let connect_s = connecting.elapsed().as_secs_f64();
    let listeners = Listeners::start(sockets, 0);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = rss_kib(target.pid).unwrap_or(0);
    let kind = if reference { "reference" } else { "hybrid" };
    let mut report = Report::new("idle", kind, json!({"connections": connections, "users": users}));
    let meters = Meters::start(target.pid);
    tokio::time::sleep(duration).await;
    meters.stop(&mut report);
    let (_, closed) = listeners.finish(Duration::ZERO).await;
    report.duration_s = duration.as_secs_f64();
    report.result = after.saturating_sub(before) as f64 / connections.max(1) as f64;
    report.unit = "KiB RSS per connection".into();
    report.errors = closed;
    report.extra = json!({"rss_before_mib": before as f64 / 1024.0, "rss_after_mib": after as f64 / 1024.0,
        "connect_seconds": connect_s, "sockets_closed_early": closed});
    Ok(report)
}

/// `history`: history pages and searches (closed loop, `readers` at a time) while one writer
/// sends at `rate`.
pub async fn history(
    target: &Target,
    messages: usize,
    readers: usize,
    rate: f64,
    duration: Duration,
) -> anyhow::Result<Report> {
    let api = Api::new(&target.base_url);
    let users = api.users("h", 2).await?;
    let chat = api.direct(&users[0], &users[1]).await?;
    let words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"];
    let filled: Vec<anyhow::Result<()>> = stream::iter(0..messages)
        .map(|i| {
            let (api, token) = (api.clone(), users[i % 2].token.clone());
            let text = format!(
                "{} {} message number {i}",
                words[i % words.len()],
                words[(i / 8) % words.len()]
            );
            async move { api.send(&token, chat, text).await }
        })
        .buffer_unordered(32)
        .collect()
        .await;
    filled.into_iter().collect::<anyhow::Result<Vec<()>>>()?;

    let params = json!({"messages": messages, "readers": readers, "write_rate": rate});
    let mut report = Report::new("history", "hybrid", params);
    let meters = Meters::start(target.pid);
    let (stop, stopped) = watch::channel(false);
    let mut reading = JoinSet::new();
    for r in 0..readers.max(1) {
        let (api, token, stopped) = (api.clone(), users[r % 2].token.clone(), stopped.clone());
        reading.spawn(async move {
            let (mut pages, mut searches, mut errors) = (Samples::default(), Samples::default(), 0u64);
            let mut i = r;
            while !*stopped.borrow() {
                i += 1;
                let began = Instant::now();
                let (path, samples) = if i % 4 == 0 {
                    (
                        format!("/search/messages?q={}&limit=20", words[i % words.len()]),
                        &mut searches,
                    )
                } else {
                    let before = 1 + (i * 7919) % messages.max(1);
                    (format!("/chats/{chat}/messages?before={before}&limit=50"), &mut pages)
                };
                match api.call(reqwest::Method::GET, &path, Some(&token), None).await {
                    Ok(_) => samples.record_us(began.elapsed().as_micros() as u64),
                    Err(_) => errors += 1,
                }
            }
            (pages, searches, errors)
        });
    }
    let writer = users[0].clone();
    let driven = drive(rate, duration, |_| {
        let (api, writer) = (api.clone(), writer.clone());
        async move { api.send(&writer.token, chat, ws::stamp(writer.id)).await }
    })
    .await;
    let _ = stop.send(true);
    let (mut pages, mut searches, mut read_errors) = (Samples::default(), Samples::default(), 0);
    while let Some(Ok((p, s, e))) = reading.join_next().await {
        pages.merge(p);
        searches.merge(s);
        read_errors += e;
    }
    meters.stop(&mut report);
    report.duration_s = driven.elapsed.as_secs_f64();
    report.sent = driven.sent;
    report.errors = driven.errors + read_errors;
    report.result = (pages.len() + searches.len()) as f64 / report.duration_s;
    report.unit = "reads/s".into();
    report.ack = Some(driven.ack.summary());
    report.extra = json!({"history_page": pages.summary(), "search": searches.summary()});
    Ok(report)
}

/// `catchup`: C members of a group go offline, a burst of B messages arrives, and all
/// reconnect at once and catch up through `/sync`.
pub async fn catchup(target: &Target, clients: usize, burst: usize) -> anyhow::Result<Report> {
    let api = Api::new(&target.base_url);
    let mut users = api.users("c", clients + 1).await?;
    let sender = users.pop().expect("a sender");
    let chat = api.group(&sender, &users).await?;
    // Each client's position before going offline.
    let body = json!({"user_pts": 0, "chats": {chat.to_string(): 0}});
    let state = api.post("/sync", Some(&users[0].token), body).await?;
    let pts = state["chats"][0]["pts"].as_i64().unwrap_or(0);
    let user_pts: Vec<i64> = stream::iter(users.iter())
        .then(|u| {
            let api = api.clone();
            async move {
                let state = api
                    .post("/sync", Some(&u.token), json!({"user_pts": 0, "chats": {}}))
                    .await?;
                Ok::<_, anyhow::Error>(state["user_pts"].as_i64().unwrap_or(0))
            }
        })
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<anyhow::Result<_>>()?;

    let sent: Vec<anyhow::Result<()>> = stream::iter(0..burst)
        .map(|_| {
            let (api, sender) = (api.clone(), sender.clone());
            async move { api.send(&sender.token, chat, ws::stamp(sender.id)).await }
        })
        .buffered(16)
        .collect()
        .await;
    let send_errors = sent.iter().filter(|r| r.is_err()).count() as u64;

    let mut report = Report::new("catchup", "hybrid", json!({"clients": clients, "burst": burst}));
    let meters = Meters::start(target.pid);
    let began = Instant::now();
    let results: Vec<anyhow::Result<(Duration, usize)>> = stream::iter(users.iter().zip(user_pts).enumerate())
        .map(|(i, (user, user_pts))| {
            let (api, base) = (api.clone(), target.base_url.clone());
            async move {
                let start = Instant::now();
                let socket = ws::connect(&base, REALTIME, Some(&user.token), ws::source(i, 1)).await?;
                let body = json!({"user_pts": user_pts, "chats": {chat.to_string(): pts}});
                let missed = api.post("/sync", Some(&user.token), body).await?;
                let events = missed["chats"][0]["events"].as_array().map_or(0, Vec::len);
                let took = start.elapsed();
                drop(socket);
                Ok((took, events))
            }
        })
        .buffer_unordered(clients.max(1))
        .collect()
        .await;
    let wall = began.elapsed().as_secs_f64();
    meters.stop(&mut report);
    let (mut times, mut events, mut errors) = (Samples::default(), 0usize, send_errors);
    for result in results {
        match result {
            Ok((took, n)) if n >= burst => {
                times.record_us(took.as_micros() as u64);
                events += n;
            }
            _ => errors += 1,
        }
    }
    report.duration_s = wall;
    report.sent = burst as u64;
    report.errors = errors;
    report.result = events as f64 / wall;
    report.unit = "events caught up/s".into();
    report.delivered = Some(times.summary());
    report.extra = json!({"note": "delivered = time from reconnect to caught up, per client"});
    Ok(report)
}
