//! The client: reqwest with the address check in its resolver and its redirect policy, no
//! proxy from the environment (that would route around the check), and limits on time and
//! on the answer's size.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use reqwest::redirect::{Attempt, Policy};
use reqwest::{Method, Url};
use serde::Deserialize;

use crate::address::AddressPolicy;

/// The `[outbound]` settings.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct OutboundConfig {
    #[serde(flatten)]
    pub addresses: AddressPolicy,
    /// The whole request, connecting and reading the answer included.
    pub timeout_ms: u64,
    pub connect_timeout_ms: u64,
    /// Answers longer than this are cut off with [`OutboundError::TooLarge`].
    pub max_response_bytes: usize,
    pub max_redirects: usize,
    pub user_agent: String,
}

impl Default for OutboundConfig {
    fn default() -> Self {
        OutboundConfig {
            addresses: AddressPolicy::default(),
            timeout_ms: 10_000,
            connect_timeout_ms: 5_000,
            max_response_bytes: 1 << 20,
            max_redirects: 5,
            user_agent: concat!("Hybrid/", env!("CARGO_PKG_VERSION")).to_owned(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum OutboundError {
    #[error("{0}")]
    BadUrl(String),
    #[error("{0} is not a public address (allow it in outbound.allow_networks)")]
    Refused(String),
    #[error("no answer within {0} ms")]
    Timeout(u64),
    #[error("the answer is longer than {0} bytes")]
    TooLarge(usize),
    #[error("more than {0} redirects")]
    TooManyRedirects(usize),
    #[error("{0}")]
    Network(String),
}

impl OutboundError {
    /// Whether sending again later may succeed (a delivery job retries these).
    pub fn is_transient(&self) -> bool {
        matches!(self, OutboundError::Timeout(_) | OutboundError::Network(_))
    }
}

/// An answer, read up to the size limit.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Bytes,
    pub elapsed: Duration,
}

/// What Hybrid sends out goes through one of these. Cheap to clone.
#[derive(Clone)]
pub struct Outbound {
    client: reqwest::Client,
    config: Arc<OutboundConfig>,
}

impl Outbound {
    pub fn new(config: OutboundConfig) -> Result<Self, OutboundError> {
        let policy = Arc::new(config.addresses.clone());
        let max_redirects = config.max_redirects;
        let redirects = {
            let policy = policy.clone();
            Policy::custom(move |attempt: Attempt<'_>| {
                if attempt.previous().len() > max_redirects {
                    return attempt.error(OutboundError::TooManyRedirects(max_redirects));
                }
                match check_url(&policy, attempt.url()) {
                    Ok(()) => attempt.follow(),
                    Err(refused) => attempt.error(refused),
                }
            })
        };
        let client = reqwest::Client::builder()
            .tls_backend_preconfigured(tls_config())
            .dns_resolver(Arc::new(CheckedResolver { policy }))
            .redirect(redirects)
            .no_proxy()
            .timeout(Duration::from_millis(config.timeout_ms))
            .connect_timeout(Duration::from_millis(config.connect_timeout_ms))
            .user_agent(config.user_agent.clone())
            .build()
            .map_err(|e| OutboundError::Network(format!("building the HTTP client: {e}")))?;
        Ok(Outbound {
            client,
            config: Arc::new(config),
        })
    }

    /// POSTs `body` as JSON with extra `headers`.
    pub async fn post_json(&self, url: &str, body: Bytes, headers: &[(&str, &str)]) -> Result<Answer, OutboundError> {
        let mut request = self
            .request(Method::POST, url)?
            .header("content-type", "application/json");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        self.send(request.body(body)).await
    }

    /// A GET, for link previews and the like.
    pub async fn get(&self, url: &str) -> Result<Answer, OutboundError> {
        let request = self.request(Method::GET, url)?;
        self.send(request).await
    }

    fn request(&self, method: Method, url: &str) -> Result<reqwest::RequestBuilder, OutboundError> {
        let url = Url::parse(url).map_err(|e| OutboundError::BadUrl(format!("{url}: {e}")))?;
        check_url(&self.config.addresses, &url)?;
        Ok(self.client.request(method, url))
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Result<Answer, OutboundError> {
        let started = Instant::now();
        let mut response = request.send().await.map_err(|e| self.error(e))?;
        let status = response.status().as_u16();
        let limit = self.config.max_response_bytes;
        if response.content_length().is_some_and(|length| length > limit as u64) {
            return Err(OutboundError::TooLarge(limit));
        }
        let mut body = BytesMut::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| self.error(e))? {
            if body.len() + chunk.len() > limit {
                return Err(OutboundError::TooLarge(limit));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Answer {
            status,
            body: body.freeze(),
            elapsed: started.elapsed(),
        })
    }

    /// reqwest's error, with our own refusals (raised in the resolver or the redirect policy,
    /// so wrapped inside it) brought back out.
    fn error(&self, error: reqwest::Error) -> OutboundError {
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&error);
        while let Some(inner) = source {
            if let Some(ours) = inner.downcast_ref::<OutboundError>() {
                return match ours {
                    OutboundError::Refused(what) => OutboundError::Refused(what.clone()),
                    OutboundError::TooManyRedirects(max) => OutboundError::TooManyRedirects(*max),
                    other => OutboundError::Network(other.to_string()),
                };
            }
            source = inner.source();
        }
        if error.is_timeout() {
            OutboundError::Timeout(self.config.timeout_ms)
        } else {
            OutboundError::Network(error.without_url().to_string())
        }
    }
}

/// Only http(s), and an address literal must pass the policy (names pass it in the resolver).
fn check_url(policy: &AddressPolicy, url: &Url) -> Result<(), OutboundError> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(OutboundError::BadUrl(format!("{}: only http and https", url.scheme())));
    }
    let ip = match url.host() {
        Some(url::Host::Ipv4(v4)) => IpAddr::V4(v4),
        Some(url::Host::Ipv6(v6)) => IpAddr::V6(v6),
        Some(url::Host::Domain(_)) => return Ok(()),
        None => return Err(OutboundError::BadUrl(format!("{url}: no host"))),
    };
    if policy.allows(ip) {
        Ok(())
    } else {
        Err(OutboundError::Refused(ip.to_string()))
    }
}

/// Resolves with the system resolver, then keeps only the addresses the policy allows: the
/// check is on what the connection will use, so a name that points at 127.0.0.1 is refused.
struct CheckedResolver {
    policy: Arc<AddressPolicy>,
}

impl Resolve for CheckedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy.clone();
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = found.iter().copied().filter(|addr| policy.allows(addr.ip())).collect();
            if allowed.is_empty() {
                let refused = match found.first() {
                    Some(addr) => format!("{host} ({})", addr.ip()),
                    None => host,
                };
                return Err(Box::new(OutboundError::Refused(refused)) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

/// rustls with the ring provider (already in the build through NATS; reqwest's default would
/// add aws-lc and a C toolchain) and the system's root certificates.
fn tls_config() -> rustls::ClientConfig {
    let mut roots = rustls::RootCertStore::empty();
    let found = rustls_native_certs::load_native_certs();
    for error in &found.errors {
        tracing::warn!(%error, "reading the system's root certificates");
    }
    let (added, _ignored) = roots.add_parsable_certificates(found.certs);
    if added == 0 {
        tracing::warn!("no root certificates found: https deliveries will fail (install ca-certificates)");
    }
    rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .expect("ring supports TLS 1.2 and 1.3")
        .with_root_certificates(roots)
        .with_no_client_auth()
}
