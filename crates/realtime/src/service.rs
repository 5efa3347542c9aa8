//! The realtime service's state and logic: the hub of this node's sockets, presence, and the
//! workers that keep presence fresh and close sockets at shutdown. `socket.rs` runs each socket.

use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::time::Duration;

use hybrid_chats_api::ChatMembership;
use hybrid_core::state::SharedState;
use hybrid_core::{ApiError, ApiResult, ModuleContext, TokenVerifier, Worker};

use crate::api::Presence;
use crate::hub::{self, close};
use crate::settings::RealtimeConfig;

/// A process's presence entries expire this long after its last refresh, so the users of a
/// process that died go offline by themselves.
pub const PRESENCE_TTL: Duration = Duration::from_secs(60);

/// Most ids one presence query takes.
const MAX_PRESENCE_IDS: usize = 200;

pub struct Realtime {
    pub hub: Arc<hub::Hub>,
    pub membership: Arc<dyn ChatMembership>,
    pub tokens: Arc<TokenVerifier>,
    pub state: Arc<dyn SharedState>,
    pub config: RealtimeConfig,
    /// Sockets on this node that have not authenticated yet.
    pub unauthenticated: AtomicUsize,
}

impl Realtime {
    pub fn new(ctx: &ModuleContext, membership: Arc<dyn ChatMembership>, config: RealtimeConfig) -> Arc<Realtime> {
        Arc::new(Realtime {
            hub: hub::Hub::new(ctx.bus.clone(), membership.clone(), config.max_queued_frames),
            membership,
            tokens: ctx.tokens.clone(),
            state: ctx.state.clone(),
            config,
            unauthenticated: AtomicUsize::new(0),
        })
    }

    /// Keeps this node's presence entries alive, and closes its sockets at shutdown.
    pub fn workers(self: &Arc<Self>) -> Vec<Worker> {
        let refreshed = self.clone();
        let refresher = Worker::every("presence", PRESENCE_TTL / 3, move || {
            let rt = refreshed.clone();
            async move { rt.refresh_presence().await }
        });
        let hub = self.hub.clone();
        let closer = Worker::new("close-sockets", move |mut shutdown| {
            let hub = hub.clone();
            async move {
                shutdown.wait().await;
                hub.close_all(close::GOING_AWAY, "server shutting down", Duration::from_secs(5))
                    .await;
                Ok(())
            }
        });
        vec![closer, refresher]
    }

    async fn refresh_presence(&self) -> anyhow::Result<()> {
        let users = self.hub.online_users();
        if let Err(err) = self.state.presence_refresh(&users, PRESENCE_TTL).await {
            tracing::warn!(error = %err, "could not refresh presence");
        }
        // A user whose last socket left while the refresh was on its way was just marked
        // present again: take that back.
        for user in users.into_iter().filter(|u| !self.hub.has_user(*u)) {
            if let Err(err) = self.state.presence_leave(user).await {
                tracing::warn!(error = %err, "presence not cleared; it expires");
            }
        }
        Ok(())
    }

    /// Who of `asked` is online, told only about users `me` shares a direct chat with; the
    /// others are left out of the answer.
    pub async fn presence(&self, me: i64, asked: Vec<i64>) -> ApiResult<Vec<Presence>> {
        if asked.len() > MAX_PRESENCE_IDS {
            return Err(ApiError::validation("user_ids", "at most 200 ids"));
        }
        let peers = self.membership.direct_peers(me).await?;
        let shown: Vec<i64> = asked.into_iter().filter(|id| peers.contains(id)).collect();
        let online = self.state.online(&shown).await?;
        Ok(shown
            .into_iter()
            .zip(online)
            .map(|(user_id, online)| Presence { user_id, online })
            .collect())
    }
}
