//! The references Hybrid is measured against, on the same machine in the same run:
//! a minimal WebSocket broadcast server (no auth, no storage: the ceiling for fan-out and idle
//! sockets) and a plain SQLite insert loop at Hybrid's durability settings (the storage ceiling
//! for persisted messages).

use std::sync::Arc;
use std::time::Instant;

use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::broadcast;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

use crate::proc::CpuMeter;
use crate::scenarios::Report;

/// The broadcast server: every text frame any client sends goes to every client.
pub async fn serve(listen: &str) -> anyhow::Result<()> {
    let listener = TcpListener::bind(listen).await?;
    let addr = listener.local_addr()?;
    println!("{}", json!({"message": "listening", "addr": addr.to_string()}));
    let (all, _) = broadcast::channel::<Utf8Bytes>(4096);
    let all = Arc::new(all);
    loop {
        let (tcp, _) = listener.accept().await?;
        let all = all.clone();
        tokio::spawn(async move {
            let _ = tcp.set_nodelay(true);
            // the same small buffers Hybrid's sockets use, so memory per socket compares fairly
            let config = WebSocketConfig::default()
                .read_buffer_size(4 * 1024)
                .write_buffer_size(0)
                .max_message_size(Some(64 * 1024));
            let Ok(ws) = tokio_tungstenite::accept_async_with_config(tcp, Some(config)).await else {
                return;
            };
            let (mut out, mut incoming) = ws.split();
            let mut frames = all.subscribe();
            loop {
                tokio::select! {
                    frame = frames.recv() => match frame {
                        Ok(frame) => if out.send(Message::Text(frame)).await.is_err() { break },
                        Err(broadcast::error::RecvError::Lagged(_)) => continue,
                        Err(_) => break,
                    },
                    message = incoming.next() => match message {
                        Some(Ok(Message::Text(text))) => { let _ = all.send(text); }
                        Some(Ok(_)) => {}
                        _ => break,
                    },
                }
            }
        });
    }
}

/// Inserts `rows` message-sized rows into a fresh SQLite file, `batch` per transaction, with
/// WAL and synchronous=FULL as Hybrid's writer does.
pub fn sqlite(rows: usize, batch: usize) -> anyhow::Result<Report> {
    let dir = tempfile::tempdir()?;
    let db = rusqlite::Connection::open(dir.path().join("ref.db"))?;
    db.pragma_update(None, "journal_mode", "WAL")?;
    db.pragma_update(None, "synchronous", "FULL")?;
    db.execute_batch(
        "CREATE TABLE messages (chat_id INTEGER NOT NULL, seq INTEGER NOT NULL, sender_id INTEGER NOT NULL, \
         text TEXT NOT NULL, entities TEXT NOT NULL, created_at INTEGER NOT NULL, PRIMARY KEY (chat_id, seq))",
    )?;
    let meter = CpuMeter::start(std::process::id());
    let start = Instant::now();
    let mut written = 0;
    while written < rows {
        let tx = db.unchecked_transaction()?;
        {
            let mut insert = tx.prepare(
                "INSERT INTO messages (chat_id, seq, sender_id, text, entities, created_at) \
                 VALUES (?1, ?2, ?3, ?4, '[]', ?5)",
            )?;
            for _ in 0..batch.max(1).min(rows - written) {
                let chat = (written % 500) as i64;
                let text = format!("b{}:{chat}", start.elapsed().as_nanos());
                insert.execute(rusqlite::params![chat, written as i64, chat, text, written as i64])?;
                written += 1;
            }
        }
        tx.commit()?;
    }
    let elapsed = start.elapsed();
    let mut report = Report::new_reference("sqlite-insert", json!({"rows": rows, "batch": batch}));
    report.duration_s = elapsed.as_secs_f64();
    report.sent = rows as u64;
    report.result = rows as f64 / elapsed.as_secs_f64().max(1e-9);
    report.unit = "rows persisted/s".into();
    report.generator = meter.stop();
    Ok(report)
}
