//! One WebSocket session: `hello`, the `auth` frame, then events pushed until the socket
//! closes. Writes go through REST; the socket only pushes (and answers pings).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use hybrid_core::bus::{Bytes, Envelope};
use hybrid_core::{AccessClaims, Code, frame_text, now_ms};
use hybrid_realtime_api::{chat, user};
use tokio::time::{Instant, sleep_until};

use crate::events::{ClientFrame, Hello, PresenceChange, Ready, RealtimeFrame};
use crate::hub::{ConnHandle, close};
use crate::service::{PRESENCE_TTL, Realtime};

pub const PROTOCOL: &str = "hybrid.v1";

/// Longest wait for the bus to confirm a new socket's subscriptions.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(5);

fn text(frame: RealtimeFrame) -> Message {
    Message::Text(Utf8Bytes::from(frame_text(&frame)))
}

async fn close_with(socket: &mut WebSocket, code: u16, reason: &'static str) {
    let frame = CloseFrame {
        code,
        reason: Utf8Bytes::from_static(reason),
    };
    let _ = socket.send(Message::Close(Some(frame))).await;
}

/// When the access token stops being valid.
fn expiry(claims: &AccessClaims) -> Instant {
    let left_ms = (claims.exp as i64 * 1000 - now_ms()).max(0) as u64;
    Instant::now() + Duration::from_millis(left_ms)
}

/// Counts a socket among those waiting for their `auth` frame while it lives.
struct Unauthenticated<'a>(&'a AtomicUsize);

impl Drop for Unauthenticated<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

pub async fn run(mut socket: WebSocket, rt: Arc<Realtime>) {
    // Sockets cost memory before they prove anything: a node holds only so many unproven.
    let waiting = rt.unauthenticated.fetch_add(1, Ordering::AcqRel);
    let unauthenticated = Unauthenticated(&rt.unauthenticated);
    if waiting >= rt.config.max_unauthenticated_sockets {
        close_with(
            &mut socket,
            close::TRY_AGAIN_LATER,
            "too many sockets waiting; try again later",
        )
        .await;
        return;
    }
    let heartbeat = Duration::from_millis(rt.config.heartbeat_ms.max(1000));
    let hello = RealtimeFrame::Hello(Hello {
        protocol: PROTOCOL.to_owned(),
        heartbeat_ms: heartbeat.as_millis() as u64,
    });
    if socket.send(text(hello)).await.is_err() {
        return;
    }
    let Some(claims) = authenticate(&mut socket, &rt).await else {
        return;
    };
    drop(unauthenticated);
    let user_id = claims.user_id().unwrap_or_default();
    let Some(handle) = rt.hub.connect(user_id, claims.sid, rt.config.max_sockets_per_user) else {
        close_with(
            &mut socket,
            close::TOO_MANY_SOCKETS,
            "too many open sockets for this user",
        )
        .await;
        return;
    };
    let conn = handle.conn.clone();
    let first_on_node = handle.first_on_node;

    // Listen to the user's own events and every chat they are in.
    rt.hub.subscribe(&conn, user(user_id));
    // Joins after the user topic subscription arrive as controls; a removal between reading
    // the list and subscribing would be missed, so read it again and drop what is gone.
    let mut subscribed = Vec::new();
    for attempt in 0..2 {
        match rt.membership.chats_of(user_id).await {
            Ok(chats) if attempt == 0 => {
                chats.iter().for_each(|id| rt.hub.subscribe(&conn, chat(*id)));
                subscribed = chats;
            }
            Ok(current) => {
                // Gone since the first read (a removal whose control we may have missed).
                // A re-add meanwhile is caught by its own control, which checks again.
                for id in subscribed.iter().filter(|id| !current.contains(id)) {
                    rt.hub.unsubscribe(conn.id, chat(*id));
                }
            }
            Err(err) => {
                tracing::warn!(error = %err, "cannot load chats for a socket");
                rt.hub.disconnect(&conn);
                close_with(&mut socket, 1011, "try again").await;
                return;
            }
        }
    }
    // Live on the bus before "ready": a client that then syncs cannot miss an event between.
    let unsettled = match tokio::time::timeout(SETTLE_TIMEOUT, rt.hub.settle()).await {
        Ok(Ok(())) => None,
        Ok(Err(err)) => Some(err.to_string()),
        Err(_) => Some("timed out".to_owned()),
    };
    if let Some(error) = unsettled {
        tracing::warn!(%error, "cannot subscribe a socket on the bus");
        rt.hub.disconnect(&conn);
        close_with(&mut socket, 1011, "try again").await;
        return;
    }
    let peers = rt.membership.direct_peers(user_id).await.unwrap_or_default();
    if first_on_node {
        match rt.state.presence_join(user_id, PRESENCE_TTL).await {
            Ok(true) => announce_presence(&rt, user_id, &peers, true),
            Ok(false) => {}
            Err(err) => tracing::warn!(error = %err, "presence not recorded"),
        }
    }
    let ready = RealtimeFrame::Ready(Ready {
        user_id,
        session_id: claims.sid,
    });
    let mut open = socket.send(text(ready)).await.is_ok();
    // Who of my direct-chat peers is online right now.
    let online = rt.state.online(&peers).await.unwrap_or_default();
    for (peer, _) in peers.iter().zip(online).filter(|(_, online)| *online) {
        if open {
            let frame = RealtimeFrame::Presence(PresenceChange {
                user_id: *peer,
                online: true,
                at: None,
            });
            open = socket.send(text(frame)).await.is_ok();
        }
    }
    if open {
        pump(&mut socket, handle, expiry(&claims), heartbeat, &rt).await;
    }
    if rt.hub.disconnect(&conn) {
        match rt.state.presence_leave(user_id).await {
            Ok(true) => announce_presence(&rt, user_id, &peers, false),
            Ok(false) => {}
            Err(err) => tracing::warn!(error = %err, "presence not cleared; it expires"),
        }
    }
}

/// A frame over the limit (`max_message_size`) ends the socket with 1009, so the client knows
/// why; other read errors mean the connection is gone.
async fn close_if_too_big(socket: &mut WebSocket, err: axum::Error) {
    let too_big = err
        .into_inner()
        .downcast_ref::<tungstenite::Error>()
        .is_some_and(|err| matches!(err, tungstenite::Error::Capacity(_)));
    if too_big {
        close_with(socket, close::MESSAGE_TOO_BIG, "message too big").await;
    }
}

/// Waits for the `auth` frame; closes the socket and returns `None` when it is missing or bad.
async fn authenticate(socket: &mut WebSocket, rt: &Realtime) -> Option<AccessClaims> {
    let timeout = Duration::from_secs(rt.config.auth_timeout_secs.max(1));
    let first = tokio::time::timeout(timeout, socket.recv()).await;
    let frame = match first {
        Ok(Some(Ok(Message::Text(text)))) => serde_json::from_str::<ClientFrame>(&text).ok(),
        Ok(Some(Ok(_))) => None,
        Ok(Some(Err(err))) => {
            close_if_too_big(socket, err).await;
            return None;
        }
        Ok(None) => return None, // gone
        Err(_) => {
            close_with(socket, close::UNAUTHORIZED, "send an auth frame first").await;
            return None;
        }
    };
    let Some(ClientFrame::Auth { token }) = frame else {
        close_with(socket, close::PROTOCOL, "the first frame must be auth").await;
        return None;
    };
    match rt.tokens.verify(&token) {
        Ok(claims) => Some(claims),
        Err(err) => {
            let (code, reason) = if err.is(Code::SessionRevoked) {
                (close::SESSION_REVOKED, "session signed out")
            } else {
                (close::UNAUTHORIZED, "invalid or expired token")
            };
            close_with(socket, code, reason).await;
            None
        }
    }
}

/// Moves frames to the socket until it closes. Also: pings every heartbeat, closes a silent
/// client after two, closes at token expiry unless a fresh `auth` frame extends it.
async fn pump(
    socket: &mut WebSocket,
    mut handle: ConnHandle,
    mut expires: Instant,
    heartbeat: Duration,
    rt: &Realtime,
) {
    let mut ping = tokio::time::interval(heartbeat);
    ping.tick().await;
    let mut last_heard = Instant::now();
    // the device's focus, as it last reported it: kept in shared state while the socket lives
    let mut focused = false;
    let session = handle.conn.session_id;
    loop {
        tokio::select! {
            frame = handle.frames.recv() => {
                let Some(frame) = frame else { break };
                if socket.send(Message::Text(frame)).await.is_err() {
                    break;
                }
            }
            incoming = socket.recv() => {
                let message = match incoming {
                    Some(Ok(message)) => message,
                    Some(Err(err)) => {
                        close_if_too_big(socket, err).await;
                        break;
                    }
                    None => break,
                };
                last_heard = Instant::now();
                match message {
                    Message::Text(body) => match serde_json::from_str::<ClientFrame>(&body) {
                        Ok(ClientFrame::Ping) => {
                            if socket.send(text(RealtimeFrame::Pong)).await.is_err() {
                                break;
                            }
                        }
                        Ok(ClientFrame::Auth { token }) => match rt.tokens.verify(&token) {
                            Ok(claims) if claims.sid == handle.conn.session_id => expires = expiry(&claims),
                            Err(err) if err.is(Code::SessionRevoked) => {
                                close_with(socket, close::SESSION_REVOKED, "session signed out").await;
                                break;
                            }
                            _ => {
                                close_with(socket, close::UNAUTHORIZED, "invalid or expired token").await;
                                break;
                            }
                        },
                        Ok(ClientFrame::Focus { focused: now }) => {
                            focused = now;
                            report_focus(rt, session, focused, heartbeat).await;
                        }
                        // Unknown frames are ignored, for forward compatibility.
                        _ => {}
                    },
                    Message::Close(_) => break,
                    _ => {}
                }
            }
            _ = handle.close.changed() => {
                let reason = *handle.close.borrow();
                if let Some((code, reason)) = reason {
                    close_with(socket, code, reason).await;
                }
                break;
            }
            _ = ping.tick() => {
                // A revocation this node missed on the bus, found by auth's periodic reload.
                if rt.tokens.is_revoked(handle.conn.session_id) {
                    close_with(socket, close::SESSION_REVOKED, "session signed out").await;
                    break;
                }
                if last_heard.elapsed() > heartbeat * 2 {
                    close_with(socket, close::PROTOCOL, "no heartbeat").await;
                    break;
                }
                if socket.send(Message::Ping(Bytes::new())).await.is_err() {
                    break;
                }
                if focused {
                    report_focus(rt, session, true, heartbeat).await;
                }
            }
            _ = sleep_until(expires) => {
                close_with(socket, close::UNAUTHORIZED, "token expired").await;
                break;
            }
        }
    }
    if focused {
        report_focus(rt, session, false, heartbeat).await;
    }
}

/// Records in shared state whether `session`'s device is in front of its user, for as long as
/// two heartbeats (refreshed at each while it is).
async fn report_focus(rt: &Realtime, session: i64, focused: bool, heartbeat: Duration) {
    let ttl = focused.then_some(heartbeat * 2);
    if let Err(error) = rt.state.flag(&hybrid_realtime_api::focus_flag(session), ttl).await {
        tracing::warn!(%error, "a device's focus not recorded");
    }
}

/// Presence goes only to people who share a direct chat with the user.
fn announce_presence(rt: &Realtime, user_id: i64, peers: &[i64], online: bool) {
    let frame = RealtimeFrame::Presence(PresenceChange {
        user_id,
        online,
        at: Some(now_ms()),
    });
    let payload = Bytes::from(frame_text(&frame));
    for &peer in peers {
        rt.hub.publish(Envelope::ephemeral(user(peer), payload.clone()));
    }
}
