//! A WebSocket client speaking `hybrid.v1`, for end-to-end tests.

use std::sync::OnceLock;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Error, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub const WAIT: Duration = Duration::from_secs(10);

/// Checks every text frame a test socket receives against the server's frame types; a suite
/// sets it once ([`check_frames_with`]). A frame off its type fails the test that got it.
static FRAME_CHECK: OnceLock<fn(&str) -> Result<(), String>> = OnceLock::new();

/// Makes every test socket of this process check its frames with `check` (the first call
/// wins; later ones are no-ops).
pub fn check_frames_with(check: fn(&str) -> Result<(), String>) {
    let _ = FRAME_CHECK.set(check);
}

/// A text frame as JSON, checked when a check is set.
fn frame(text: &str) -> Value {
    if let Some(check) = FRAME_CHECK.get()
        && let Err(problem) = check(text)
    {
        panic!("a frame does not match its declared type ({problem}): {text}");
    }
    serde_json::from_str(text).expect("frames are JSON")
}

/// What [`WsClient::poll`] found.
#[derive(Debug)]
pub enum Polled {
    Frame(Value),
    /// Nothing arrived in time.
    Quiet,
    Closed,
}

pub struct WsClient {
    stream: WebSocketStream<MaybeTlsStream<TcpStream>>,
    /// The `hello` frame.
    pub hello: Value,
}

impl WsClient {
    /// Connects without authenticating: returns after `hello`.
    pub async fn open(base_url: &str) -> WsClient {
        Self::open_with_buffer(base_url, None).await
    }

    /// Like [`open`](Self::open), with a small kernel receive buffer when given, so a client
    /// that stops reading backs up into the server quickly (slow-consumer tests).
    pub async fn open_with_buffer(base_url: &str, recv_buffer: Option<u32>) -> WsClient {
        let mut client = Self::handshake(base_url, recv_buffer).await;
        client.hello = client.next().await.expect("hello");
        assert_eq!(client.hello["type"], "hello");
        client
    }

    /// Connects when the server is expected to refuse the socket before `hello`: returns the
    /// close code it sent.
    pub async fn open_refused(base_url: &str) -> Option<u16> {
        Self::handshake(base_url, None).await.close_code().await
    }

    /// The WebSocket handshake, before any frame.
    async fn handshake(base_url: &str, recv_buffer: Option<u32>) -> WsClient {
        let url = format!("{}/api/v1/realtime", base_url.replacen("http", "ws", 1));
        let addr: std::net::SocketAddr = base_url.trim_start_matches("http://").parse().expect("http://ip:port");
        let socket = tokio::net::TcpSocket::new_v4().unwrap();
        if let Some(size) = recv_buffer {
            socket.set_recv_buffer_size(size).unwrap();
        }
        let tcp = socket.connect(addr).await.expect("TCP connect");
        let mut request = url.into_client_request().unwrap();
        request
            .headers_mut()
            .insert("sec-websocket-protocol", "hybrid.v1".parse().unwrap());
        let (stream, response) = tokio_tungstenite::client_async(request, MaybeTlsStream::Plain(tcp))
            .await
            .expect("WebSocket connect");
        assert_eq!(response.headers()["sec-websocket-protocol"], "hybrid.v1");
        WsClient {
            stream,
            hello: Value::Null,
        }
    }

    /// Connects and authenticates; returns after `ready`.
    pub async fn connect(base_url: &str, token: &str) -> WsClient {
        Self::connect_with_buffer(base_url, token, None).await
    }

    pub async fn connect_with_buffer(base_url: &str, token: &str, recv_buffer: Option<u32>) -> WsClient {
        let mut client = Self::open_with_buffer(base_url, recv_buffer).await;
        client.send(json!({"type": "auth", "token": token})).await;
        let ready = client.next_of_type("ready").await;
        assert!(ready["user_id"].as_i64().is_some(), "{ready}");
        client
    }

    pub async fn send(&mut self, frame: Value) {
        self.stream
            .send(Message::Text(frame.to_string().into()))
            .await
            .expect("send");
    }

    /// The next JSON frame, or `None` when the socket closed or nothing came within [`WAIT`].
    pub async fn next(&mut self) -> Option<Value> {
        self.next_within(WAIT).await
    }

    /// The next JSON frame within `wait`, telling a quiet socket from a closed one.
    pub async fn poll(&mut self, wait: Duration) -> Polled {
        loop {
            let message = match tokio::time::timeout(wait, self.stream.next()).await {
                Err(_) => return Polled::Quiet,
                Ok(Some(Ok(message))) => message,
                Ok(_) => return Polled::Closed,
            };
            match message {
                Message::Text(text) => return Polled::Frame(frame(&text)),
                Message::Close(_) => return Polled::Closed,
                _ => continue,
            }
        }
    }

    pub async fn next_within(&mut self, wait: Duration) -> Option<Value> {
        loop {
            let message = tokio::time::timeout(wait, self.stream.next()).await.ok()??.ok()?;
            match message {
                Message::Text(text) => return Some(frame(&text)),
                Message::Close(_) => return None,
                _ => continue,
            }
        }
    }

    /// Skips frames until one of `type`; panics if none comes.
    pub async fn next_of_type(&mut self, frame_type: &str) -> Value {
        self.next_where(|frame| frame["type"] == frame_type).await
    }

    /// Skips frames until an event of `kind` (chat or user event); panics if none comes.
    pub async fn next_event(&mut self, kind: &str) -> Value {
        self.next_where(|frame| frame["kind"] == kind).await
    }

    /// Skips frames until one that `wanted` accepts; panics if none comes.
    pub async fn next_where(&mut self, wanted: impl Fn(&Value) -> bool) -> Value {
        loop {
            match self.next().await {
                Some(frame) if wanted(&frame) => return frame,
                Some(_) => continue,
                None => panic!("the awaited frame did not arrive"),
            }
        }
    }

    /// Frames that arrive within `wait`.
    pub async fn drain(&mut self, wait: Duration) -> Vec<Value> {
        let mut frames = Vec::new();
        while let Some(frame) = self.next_within(wait).await {
            frames.push(frame);
        }
        frames
    }

    /// Reads until the server closes; returns its close code.
    pub async fn close_code(&mut self) -> Option<u16> {
        loop {
            match tokio::time::timeout(WAIT, self.stream.next()).await {
                Ok(Some(Ok(Message::Close(frame)))) => return frame.map(|f| u16::from(f.code)),
                Ok(Some(Ok(_))) => continue,
                Ok(Some(Err(Error::ConnectionClosed | Error::AlreadyClosed))) | Ok(None) => return None,
                Ok(Some(Err(_))) => return None,
                Err(_) => panic!("the server did not close the socket"),
            }
        }
    }

    pub async fn close(mut self) {
        let _ = self
            .stream
            .close(Some(tokio_tungstenite::tungstenite::protocol::CloseFrame {
                code: CloseCode::Normal,
                reason: "bye".into(),
            }))
            .await;
    }
}
