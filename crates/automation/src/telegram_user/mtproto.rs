//! [`Telegram`] over the network: one grammers sender pool per session ("line"), opened on
//! its first request and kept while it is used. grammers makes the auth key on the first
//! connection to a data centre (and keeps it in its in-memory session, copied back into ours
//! after every request); requests are sent raw, without grammers' retries, so a flood wait
//! reaches the campaign as one instead of a sleeping request.

use std::collections::HashMap;
use std::net::{SocketAddrV4, SocketAddrV6};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use grammers_mtsender::{ConnectionParams, InvocationError, SenderPool, SenderPoolHandle};
use grammers_session::storages::MemorySession;
use grammers_session::types::DcOption;
use grammers_session::{Session as _, SessionData};

use super::wire::{Failure, Session, Telegram};

/// How long a request may take, connecting and making an auth key included.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// A line unused this long is closed.
const IDLE: Duration = Duration::from_secs(15 * 60);

pub struct Mtproto {
    api_id: i32,
    lines: Mutex<HashMap<u64, Line>>,
}

struct Line {
    session: Arc<MemorySession>,
    handle: SenderPoolHandle,
    used: Instant,
}

impl Mtproto {
    pub fn new(api_id: i32) -> Mtproto {
        Mtproto {
            api_id,
            lines: Mutex::new(HashMap::new()),
        }
    }

    /// The open line of `session`, or a new one (lines idle too long are closed on the way).
    fn line(&self, session: &Session) -> Result<(Arc<MemorySession>, SenderPoolHandle), Failure> {
        let mut lines = self.lines.lock().expect("not poisoned");
        let now = Instant::now();
        lines.retain(|_, line| {
            let keep = now.duration_since(line.used) < IDLE;
            if !keep {
                line.handle.quit();
            }
            keep
        });
        if let Some(line) = lines.get_mut(&session.line) {
            line.used = now;
            return Ok((line.session.clone(), line.handle.clone()));
        }
        let memory = Arc::new(MemorySession::from(session_data(session)?));
        let params = ConnectionParams {
            device_model: "Hybrid".into(),
            system_version: std::env::consts::OS.into(),
            app_version: env!("CARGO_PKG_VERSION").into(),
            ..ConnectionParams::default()
        };
        let pool = SenderPool::with_configuration(memory.clone(), self.api_id, params);
        tokio::spawn(pool.runner.run());
        let handle = pool.handle.thin.clone();
        lines.insert(
            session.line,
            Line {
                session: memory.clone(),
                handle: handle.clone(),
                used: now,
            },
        );
        Ok((memory, handle))
    }
}

/// grammers' session data: Telegram's known data centres, with ours (addresses, keys) over them.
fn session_data(session: &Session) -> Result<SessionData, Failure> {
    let mut data = SessionData {
        home_dc: session.home_dc,
        ..SessionData::default()
    };
    for dc in &session.dcs {
        let ipv4: SocketAddrV4 = dc
            .address
            .parse()
            .map_err(|_| Failure::Transport(format!("data centre {} has a bad address", dc.id)))?;
        let ipv6 = SocketAddrV6::new(ipv4.ip().to_ipv6_mapped(), ipv4.port(), 0, 0);
        let option = data.dc_options.entry(dc.id).or_insert(DcOption {
            id: dc.id,
            ipv4,
            ipv6,
            auth_key: None,
        });
        option.ipv4 = ipv4;
        option.ipv6 = ipv6;
        option.auth_key = session.auth_key(dc.id);
    }
    Ok(data)
}

/// Our session with the keys grammers made meanwhile.
fn updated(session: &Session, memory: &MemorySession) -> Session {
    let mut after = session.clone();
    if let Ok(home) = memory.home_dc_id() {
        after.home_dc = home;
    }
    for dc in 1..=5 {
        if let Ok(Some(DcOption {
            ipv4,
            auth_key: Some(key),
            ..
        })) = memory.dc_option(dc)
            && after.auth_key(dc) != Some(key)
        {
            after.set_auth_key(dc, ipv4.to_string(), &key);
        }
    }
    after
}

impl Telegram for Mtproto {
    fn invoke<'a>(
        &'a self,
        session: &'a Session,
        dc: Option<i32>,
        body: Vec<u8>,
    ) -> BoxFuture<'a, Result<(Vec<u8>, Session), Failure>> {
        Box::pin(async move {
            let (memory, handle) = self.line(session)?;
            if dc.is_none_or(|dc| dc == session.home_dc) {
                // the line's home follows ours (a login that moved to another data centre)
                let _ = memory.set_home_dc_id(session.home_dc).await;
            }
            let dc = dc.unwrap_or(session.home_dc);
            let answer = tokio::time::timeout(REQUEST_TIMEOUT, handle.raw_invoke_in_dc(dc, body))
                .await
                .map_err(|_| Failure::Transport("Telegram did not answer in time".into()))?;
            let answer = answer.map_err(|e| match e {
                InvocationError::Rpc(rpc) => Failure::Rpc(rpc),
                other => Failure::Transport(other.to_string()),
            })?;
            Ok((answer, updated(session, &memory)))
        })
    }

    fn close(&self, session: &Session) {
        if let Some(line) = self.lines.lock().expect("not poisoned").remove(&session.line) {
            line.handle.quit();
        }
    }
}
