//! WebSocket clients: connect (to Hybrid with `hybrid.v1` and an access token, or to the
//! reference server), then read frames and time the messages in them.
//!
//! A timed message's text is `b<ns>:<sender>`: nanoseconds since the run's epoch when it was
//! sent, and the sender's user id (a client skips its own messages).

use std::net::{IpAddr, SocketAddr};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::stats::Samples;

pub type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

pub fn now_ns() -> u64 {
    epoch().elapsed().as_nanos() as u64
}

/// The text of a timed message.
pub fn stamp(sender: i64) -> String {
    format!("b{}:{sender}", now_ns())
}

/// `(sent at ns, sender)` of the timed message in a frame, if it carries one.
pub fn read_stamp(frame: &str) -> Option<(u64, i64)> {
    const MARK: &str = "\"text\":\"b";
    let start = frame.find(MARK)? + MARK.len();
    let rest = &frame[start..];
    let colon = rest.find(':')?;
    let end = rest[colon + 1..].find('"')? + colon + 1;
    Some((rest[..colon].parse().ok()?, rest[colon + 1..end].parse().ok()?))
}

/// Opens a WebSocket from `source` (a 127.0.0.x address, to spread ports). With a token, speaks
/// `hybrid.v1` and returns after `ready`.
pub async fn connect(base_url: &str, path: &str, token: Option<&str>, source: IpAddr) -> anyhow::Result<Socket> {
    let addr: SocketAddr = base_url
        .trim_start_matches("http://")
        .parse()
        .context("http://ip:port")?;
    let socket = TcpSocket::new_v4()?;
    bind_address_no_port(&socket);
    socket.bind(SocketAddr::new(source, 0))?;
    socket.set_nodelay(true)?;
    let tcp = socket.connect(addr).await.context("TCP connect")?;
    let mut request = format!("ws://{addr}{path}").into_client_request()?;
    if token.is_some() {
        request
            .headers_mut()
            .insert("sec-websocket-protocol", "hybrid.v1".parse().unwrap());
    }
    let (mut ws, _) = tokio_tungstenite::client_async(request, MaybeTlsStream::Plain(tcp)).await?;
    if let Some(token) = token {
        expect(&mut ws, "hello").await?;
        let auth = serde_json::json!({"type": "auth", "token": token}).to_string();
        ws.send(Message::Text(auth.into())).await?;
        expect(&mut ws, "ready").await?;
    }
    Ok(ws)
}

async fn expect(ws: &mut Socket, frame_type: &str) -> anyhow::Result<()> {
    let wanted = format!("\"type\":\"{frame_type}\"");
    loop {
        let next = tokio::time::timeout(Duration::from_secs(30), ws.next()).await;
        match next {
            Ok(Some(Ok(Message::Text(text)))) if text.contains(&wanted) => return Ok(()),
            Ok(Some(Ok(Message::Text(_) | Message::Ping(_) | Message::Pong(_)))) => continue,
            other => bail!("waiting for {frame_type}: {other:?}"),
        }
    }
}

/// What one listening client saw.
#[derive(Default)]
pub struct Heard {
    pub delivered: Samples,
    pub frames: u64,
    /// The socket closed before the end of the run.
    pub closed_early: bool,
}

/// Reads frames until `stop` turns true, timing messages from others.
pub async fn listen(mut ws: Socket, me: i64, mut stop: watch::Receiver<bool>, expected: usize) -> Heard {
    let mut heard = Heard {
        delivered: Samples::with_capacity(expected),
        ..Heard::default()
    };
    loop {
        tokio::select! {
            next = ws.next() => match next {
                Some(Ok(Message::Text(text))) => {
                    heard.frames += 1;
                    if let Some((sent, sender)) = read_stamp(&text)
                        && sender != me
                    {
                        heard.delivered.record_us(now_ns().saturating_sub(sent) / 1000);
                    }
                }
                Some(Ok(_)) => {}
                _ => {
                    heard.closed_early = !*stop.borrow();
                    break;
                }
            },
            _ = stop.changed() => break,
        }
    }
    let _ = ws.close(None).await;
    heard
}

/// Loopback source addresses 127.0.0.2, 127.0.0.3, … (127.0.0.1 is left to the HTTP
/// client): each gives another ~28k ports.
pub fn source(i: usize, sources: usize) -> IpAddr {
    IpAddr::from([127, 0, 0, 2 + (i % sources.clamp(1, 250)) as u8])
}

/// Source addresses for `connections` sockets: one per 10k, so ports left in TIME_WAIT by an
/// earlier run do not run out.
pub fn sources_for(connections: usize) -> usize {
    connections / 10_000 + 1
}

/// Lets the kernel pick the port at connect time rather than at bind, so a port is shared by
/// connections to different destinations and TIME_WAIT ports are reused.
fn bind_address_no_port(socket: &TcpSocket) {
    use std::os::fd::AsRawFd;
    let on: libc::c_int = 1;
    // SAFETY: a valid socket descriptor and a c_int option value of the right size.
    unsafe {
        libc::setsockopt(
            socket.as_raw_fd(),
            libc::IPPROTO_IP,
            libc::IP_BIND_ADDRESS_NO_PORT,
            (&on as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_round_trip_through_a_frame() {
        let frame = r#"{"type":"event","chat_id":1,"pts":3,"kind":"message.new","data":{"seq":1,"text":"b12345:7","entities":[]}}"#;
        assert_eq!(read_stamp(frame), Some((12345, 7)));
        assert_eq!(read_stamp(r#"{"text":"hello"}"#), None);
        let text = stamp(9);
        let (_, sender) = read_stamp(&format!("{{\"text\":\"{text}\"}}")).unwrap();
        assert_eq!(sender, 9);
    }
}
