//! What a process needs from the others when its services are split over several: the gRPC
//! address of each service it calls but does not run, one event bus shared with them, and the
//! token keys of the auth service, wherever that runs.

use std::time::Duration;

use std::sync::{Arc, OnceLock};

use anyhow::{Context, bail};
use futures::future::BoxFuture;
use hybrid_auth_api::{TokenAuthority, TokenFollower};
use hybrid_core::config::PeersConfig;
use hybrid_core::stream::EventStreams;
use hybrid_core::sync::SyncSources;
use hybrid_core::{Config, InternalApis, Module, Secrets, Shutdown};
use hybrid_rpc::{InternalCredential, PeerOptions};

use crate::registry::{Running, all_modules};

/// The services whose internal APIs `module` calls: `auth` for every other (its keys verify
/// access tokens), then the module's own [`Module::needs`].
pub fn calls(module: &dyn Module) -> Vec<&'static str> {
    let tokens = (module.name() != hybrid_auth_api::SERVICE).then_some(hybrid_auth_api::SERVICE);
    tokens.into_iter().chain(module.needs().iter().copied()).collect()
}

/// The services `modules` call that run elsewhere, each with its gRPC address.
pub fn remote_needs<'a>(
    modules: &[Box<dyn Module>],
    peers: &'a PeersConfig,
) -> anyhow::Result<Vec<(&'static str, &'a str)>> {
    let local: Vec<&str> = modules.iter().map(|m| m.name()).collect();
    let mut remote: Vec<(&'static str, &str)> = Vec::new();
    for module in modules {
        for need in calls(module.as_ref()) {
            if local.contains(&need) || remote.iter().any(|(name, _)| *name == need) {
                continue;
            }
            let Some(url) = peers.of(need) else {
                let why = if need == hybrid_auth_api::SERVICE {
                    "every process verifies access tokens with its keys".to_owned()
                } else {
                    format!("`{}` calls it", module.name())
                };
                bail!(
                    "this process needs the `{need}` service ({why}): add it to --services, or give its \
                     gRPC address as peers.{need} (HYBRID_PEERS__{})",
                    need.to_uppercase()
                );
            };
            remote.push((need, url));
        }
    }
    Ok(remote)
}

/// Whether this process is one of several: it serves or calls others over gRPC.
fn is_split(config: &Config) -> bool {
    !config.grpc.listen.is_empty() || config.peers.any()
}

/// A process that serves or calls others over gRPC is one of several, and they must share one
/// event bus: on a bus of its own, each would deliver only the events it wrote itself.
pub fn require_shared_bus(config: &Config) -> anyhow::Result<()> {
    if is_split(config) && config.bus.nats_url.is_empty() {
        bail!(
            "this process is one of several (grpc.listen or peers.* is set), so it needs the event bus \
             they share: set bus.nats_url (HYBRID_BUS__NATS_URL)"
        );
    }
    Ok(())
}

/// The credential of calls between the processes of a split deployment, from the master key
/// they must all share (see [`InternalCredential`]); `None` for a process on its own.
pub fn internal_credential(
    config: &Config,
    secrets: &OnceLock<Arc<Secrets>>,
) -> anyhow::Result<Option<InternalCredential>> {
    if !is_split(config) {
        return Ok(None);
    }
    if config.secrets.master_key.is_empty() {
        bail!(
            "this process is one of several (grpc.listen or peers.* is set), so it needs the master key \
             they share: calls between them carry a credential derived from it. Set secrets.master_key \
             (HYBRID_SECRETS__MASTER_KEY) to the same value everywhere; make one with `hybrid admin gen-master-key`"
        );
    }
    let resolved = Arc::new(Secrets::resolve(config)?);
    let secrets = secrets.get_or_init(|| resolved);
    Ok(Some(InternalCredential::new(secrets)))
}

/// Makes each service in `remote` callable through the trait of its contract, over gRPC.
pub fn connect(
    apis: &InternalApis,
    remote: &[(&'static str, &str)],
    config: &Config,
    credential: Option<&InternalCredential>,
) -> anyhow::Result<PeerOptions> {
    let options = PeerOptions {
        timeout: Duration::from_millis(config.grpc.timeout_ms.max(1)),
        connect_timeout: Duration::from_millis(config.grpc.connect_timeout_ms.max(1)),
    };
    let modules = all_modules();
    for &(service, url) in remote {
        let credential = credential.context("peers are configured, so the process has a credential")?;
        let Some(api) = modules.iter().find(|m| m.name() == service).and_then(|m| m.grpc()) else {
            bail!("the {service} service offers no internal API to call");
        };
        (api.connect)(apis, hybrid_rpc::link(service, url, options, credential)?);
        tracing::info!(service, url, "calling a service in another process");
    }
    Ok(options)
}

/// Reaches the event streams and sync sources of services in other processes (those with an
/// address in `peers`): the streams for the durable consumers here, the sync sources for this
/// process's `POST /api/v1/sync`.
pub fn connect_by_name(
    streams: &EventStreams,
    sync: &SyncSources,
    modules: &[Box<dyn Module>],
    config: &Config,
    options: PeerOptions,
    credential: Option<&InternalCredential>,
) -> anyhow::Result<()> {
    let local: Vec<&str> = modules.iter().map(|m| m.name()).collect();
    for module in all_modules() {
        let name = module.name();
        let Some(url) = config.peers.of(name).filter(|_| !local.contains(&name)) else {
            continue;
        };
        let credential = credential.context("peers are configured, so the process has a credential")?;
        if module.publishes_events() {
            streams.provide(
                name,
                hybrid_rpc::remote_stream(hybrid_rpc::link(name, url, options, credential)?, name),
            );
        }
        if module.contributes_sync() {
            sync.provide(
                name,
                hybrid_rpc::remote_sync(hybrid_rpc::link(name, url, options, credential)?, name),
            );
        }
    }
    Ok(())
}

/// Loads the token keys once (a process whose auth runs elsewhere goes on without them, and
/// answers 503 until they arrive), and returns the task that keeps them current.
pub async fn follow_tokens(
    running: &Running,
    config: &Config,
    shutdown: Shutdown,
) -> anyhow::Result<BoxFuture<'static, ()>> {
    let authority = running.apis.require::<dyn TokenAuthority>(hybrid_auth_api::SERVICE)?;
    let auth: hybrid_auth::AuthConfig = config.section(hybrid_auth_api::SERVICE)?;
    let ttl = Duration::from_secs(auth.access_token_ttl_secs);
    let follower = TokenFollower::subscribe(authority, running.tokens.clone(), ttl, running.bus.clone()).await;
    if let Err(err) = follower.reload().await {
        if config.peers.of(hybrid_auth_api::SERVICE).is_none() {
            bail!("loading the token keys: {}", err.message);
        }
        tracing::warn!(error = %err.message, "the auth service did not answer yet; requests get 503 until it does");
    }
    Ok(Box::pin(follower.run(shutdown)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::select;

    #[test]
    fn every_service_but_auth_calls_auth() {
        let all: Vec<(&str, Vec<&str>)> = select("all")
            .unwrap()
            .iter()
            .map(|m| (m.name(), calls(m.as_ref())))
            .collect();
        assert_eq!(
            all,
            [
                ("users", vec!["auth"]),
                ("auth", vec!["users"]),
                ("chats", vec!["auth", "users"]),
                ("realtime", vec!["auth", "chats"]),
                ("files", vec!["auth", "chats"]),
                ("notify", vec!["auth", "chats", "users"]),
                ("bots", vec!["auth", "chats", "users", "files"]),
                ("automation", vec!["auth", "chats", "users", "files"]),
            ]
        );
    }

    #[test]
    fn services_run_elsewhere_need_an_address() {
        let mut peers = PeersConfig::default();
        assert!(remote_needs(&select("all").unwrap(), &peers).unwrap().is_empty());
        let tokens = remote_needs(&select("users").unwrap(), &peers)
            .err()
            .unwrap()
            .to_string();
        assert!(
            tokens.contains("needs the `auth` service") && tokens.contains("HYBRID_PEERS__AUTH"),
            "{tokens}"
        );
        let directory = remote_needs(&select("auth").unwrap(), &peers)
            .err()
            .unwrap()
            .to_string();
        assert!(
            directory.contains("needs the `users` service (`auth` calls it)"),
            "{directory}"
        );
        peers.set("auth", "http://auth:9090");
        peers.set("chats", "http://chats:9090");
        for needs_chats in ["realtime", "files"] {
            assert_eq!(
                remote_needs(&select(needs_chats).unwrap(), &peers).unwrap(),
                [("auth", "http://auth:9090"), ("chats", "http://chats:9090")]
            );
        }
        let users = remote_needs(&select("chats").unwrap(), &peers)
            .err()
            .unwrap()
            .to_string();
        assert!(users.contains("peers.users"), "{users}");
    }

    #[test]
    fn a_split_process_needs_the_shared_bus() {
        let mut config = Config::default();
        require_shared_bus(&config).unwrap();
        config.peers.set("auth", "http://auth:9090");
        let refused = require_shared_bus(&config).err().unwrap().to_string();
        assert!(refused.contains("HYBRID_BUS__NATS_URL"), "{refused}");
        config.peers.set("auth", "");
        config.grpc.listen = "127.0.0.1:0".into();
        assert!(
            require_shared_bus(&config).is_err(),
            "serving gRPC makes it one of several too"
        );
        config.bus.nats_url = "nats://127.0.0.1:4222".into();
        require_shared_bus(&config).unwrap();
    }
}
