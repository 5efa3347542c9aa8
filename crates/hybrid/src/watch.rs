//! `hybrid watch`: a minimal realtime client that prints the frames a user receives, one JSON
//! object per line. For trying Hybrid out and for debugging a deployment.

use anyhow::{Context, bail};
use futures_util::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

pub async fn watch(url: &str, token: &str, count: Option<usize>) -> anyhow::Result<()> {
    let ws_url = format!(
        "{}/api/v1/realtime",
        url.trim_end_matches('/').replacen("http", "ws", 1)
    );
    let mut request = ws_url.as_str().into_client_request().context("bad --url")?;
    request
        .headers_mut()
        .insert("sec-websocket-protocol", "hybrid.v1".parse()?);
    let (mut socket, _) = tokio_tungstenite::connect_async(request)
        .await
        .with_context(|| format!("cannot connect to {ws_url}"))?;
    let auth = serde_json::json!({"type": "auth", "token": token}).to_string();
    socket.send(Message::Text(auth.into())).await?;
    let mut printed = 0;
    while let Some(message) = socket.next().await {
        match message? {
            Message::Text(text) => {
                let frame: serde_json::Value = serde_json::from_str(&text)?;
                // hello and ready are the handshake, not news
                if frame["type"] == "hello" || frame["type"] == "ready" {
                    continue;
                }
                println!("{text}");
                printed += 1;
                if count.is_some_and(|count| printed >= count) {
                    let _ = socket.close(None).await;
                    return Ok(());
                }
            }
            Message::Close(frame) => {
                let (code, reason) = frame
                    .map(|f| (u16::from(f.code), f.reason.to_string()))
                    .unwrap_or((1005, String::new()));
                bail!("the server closed the connection: {code} {reason}");
            }
            _ => {}
        }
    }
    Ok(())
}
