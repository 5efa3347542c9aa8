//! The client: hyper with the address check in its resolver and on every redirect (followed
//! here, not by the library, so each hop is checked), no proxy, a deadline on the whole
//! exchange, and a cap on the answer's size.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{Method, Request, StatusCode, header};
use http_body_util::{BodyExt, Full, Limited};
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::connect::dns::Name;
use hyper_util::rt::TokioExecutor;
use serde::{Deserialize, Serialize};
use url::Url;

use crate::address::AddressPolicy;

/// The `[outbound]` settings.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct OutboundConfig {
    /// Every address, private ones included (a test, or a server whose webhooks all live on
    /// an intranet).
    pub allow_private: bool,
    /// Private networks that may be reached anyway, e.g. `["10.20.0.0/16"]`.
    pub allow_networks: Vec<ipnet::IpNet>,
    /// The whole exchange: connecting, redirects and reading the answer.
    pub timeout_ms: u64,
    pub connect_timeout_ms: u64,
    /// Answers longer than this are cut off with [`OutboundError::TooLarge`].
    pub max_response_bytes: usize,
    pub max_redirects: usize,
    pub user_agent: String,
    /// A PEM file of certificate authorities trusted besides the system's (an intranet's own
    /// CA); empty for none.
    pub ca_file: String,
}

impl OutboundConfig {
    /// The addresses these settings let requests reach.
    pub fn addresses(&self) -> AddressPolicy {
        AddressPolicy {
            allow_private: self.allow_private,
            allow_networks: self.allow_networks.clone(),
        }
    }

    /// These settings with `addresses` instead of their own.
    pub fn with_addresses(self, addresses: AddressPolicy) -> Self {
        OutboundConfig {
            allow_private: addresses.allow_private,
            allow_networks: addresses.allow_networks,
            ..self
        }
    }
}

impl Default for OutboundConfig {
    fn default() -> Self {
        OutboundConfig {
            allow_private: false,
            allow_networks: Vec::new(),
            timeout_ms: 10_000,
            connect_timeout_ms: 5_000,
            max_response_bytes: 1 << 20,
            max_redirects: 5,
            user_agent: concat!("Hybrid/", env!("CARGO_PKG_VERSION")).to_owned(),
            ca_file: String::new(),
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
    #[error("outbound.ca_file: {0}")]
    CaFile(String),
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
    /// The answer's `Retry-After`, when given in seconds (a 429 or 503 asking to wait).
    pub retry_after: Option<Duration>,
}

type Connector = HttpsConnector<HttpConnector<CheckedResolver>>;

/// What Hybrid sends out goes through one of these. Cheap to clone.
#[derive(Clone)]
pub struct Outbound {
    client: Client<Connector, Full<Bytes>>,
    config: Arc<OutboundConfig>,
    addresses: Arc<AddressPolicy>,
}

impl Outbound {
    pub fn new(config: OutboundConfig) -> Result<Self, OutboundError> {
        let mut http = HttpConnector::new_with_resolver(CheckedResolver {
            policy: Arc::new(config.addresses()),
        });
        http.enforce_http(false); // https goes through it too, wrapped in TLS
        http.set_connect_timeout(Some(Duration::from_millis(config.connect_timeout_ms)));
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls_config(&config.ca_file)?)
            .https_or_http()
            .enable_http1()
            .wrap_connector(http);
        Ok(Outbound {
            client: Client::builder(TokioExecutor::new()).build(https),
            addresses: Arc::new(config.addresses()),
            config: Arc::new(config),
        })
    }

    /// POSTs `body` as JSON with extra `headers`.
    pub async fn post_json(&self, url: &str, body: Bytes, headers: &[(&str, &str)]) -> Result<Answer, OutboundError> {
        let mut all = vec![("content-type", "application/json")];
        all.extend_from_slice(headers);
        self.post(url, body, &all).await
    }

    /// POSTs `body` with `headers` (its content type among them).
    pub async fn post(&self, url: &str, body: Bytes, headers: &[(&str, &str)]) -> Result<Answer, OutboundError> {
        self.exchange(Method::POST, url, headers, body).await
    }

    /// A GET, for link previews and the like.
    pub async fn get(&self, url: &str) -> Result<Answer, OutboundError> {
        self.exchange(Method::GET, url, &[], Bytes::new()).await
    }

    async fn exchange(
        &self,
        method: Method,
        url: &str,
        headers: &[(&str, &str)],
        body: Bytes,
    ) -> Result<Answer, OutboundError> {
        let started = Instant::now();
        let limit = Duration::from_millis(self.config.timeout_ms);
        match tokio::time::timeout(limit, self.follow(method, url, headers, body)).await {
            Ok(answer) => answer.map(|(status, retry_after, body)| Answer {
                status,
                body,
                elapsed: started.elapsed(),
                retry_after,
            }),
            Err(_) => Err(OutboundError::Timeout(self.config.timeout_ms)),
        }
    }

    /// Sends, following redirects itself so that every hop passes the address check.
    async fn follow(
        &self,
        mut method: Method,
        url: &str,
        headers: &[(&str, &str)],
        mut body: Bytes,
    ) -> Result<(u16, Option<Duration>, Bytes), OutboundError> {
        let mut url = Url::parse(url).map_err(|e| OutboundError::BadUrl(format!("{url}: {e}")))?;
        let first_origin = url.origin();
        for hop in 0.. {
            check_url(&self.addresses, &url)?;
            let mut request = Request::builder()
                .method(method.clone())
                .uri(url.as_str())
                .header(header::USER_AGENT, &self.config.user_agent);
            // headers (a signature, say) go only to the origin they were meant for
            if url.origin() == first_origin {
                for (name, value) in headers {
                    request = request.header(*name, *value);
                }
            }
            let request = request
                .body(Full::new(body.clone()))
                .map_err(|e| OutboundError::BadUrl(e.to_string()))?;
            let response = self.client.request(request).await.map_err(network_error)?;
            let status = response.status();
            let location = response.headers().get(header::LOCATION).and_then(|v| v.to_str().ok());
            if let (true, Some(location)) = (status.is_redirection(), location) {
                if hop >= self.config.max_redirects {
                    return Err(OutboundError::TooManyRedirects(self.config.max_redirects));
                }
                url = url
                    .join(location)
                    .map_err(|e| OutboundError::BadUrl(format!("redirect to {location}: {e}")))?;
                // 303, and 301/302 after a POST, continue as a GET without a body (as browsers do)
                if status == StatusCode::SEE_OTHER
                    || (matches!(status, StatusCode::MOVED_PERMANENTLY | StatusCode::FOUND) && method == Method::POST)
                {
                    method = Method::GET;
                    body = Bytes::new();
                }
                continue;
            }
            let retry_after = response
                .headers()
                .get(header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok()?.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            let max = self.config.max_response_bytes;
            let announced = response
                .headers()
                .get(header::CONTENT_LENGTH)
                .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
            if announced.is_some_and(|length| length > max as u64) {
                return Err(OutboundError::TooLarge(max));
            }
            let body = Limited::new(response.into_body(), max).collect().await.map_err(|e| {
                if e.downcast_ref::<http_body_util::LengthLimitError>().is_some() {
                    OutboundError::TooLarge(max)
                } else {
                    OutboundError::Network(format!("reading the answer: {e}"))
                }
            })?;
            return Ok((status.as_u16(), retry_after, body.to_bytes()));
        }
        unreachable!("the loop returns")
    }
}

/// hyper's error, with our own refusal (raised in the resolver, so wrapped inside it)
/// brought back out.
fn network_error(error: hyper_util::client::legacy::Error) -> OutboundError {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&error);
    while let Some(inner) = source {
        if let Some(OutboundError::Refused(what)) = inner.downcast_ref::<OutboundError>() {
            return OutboundError::Refused(what.clone());
        }
        source = inner.source();
    }
    let mut text = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(inner) = source {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        source = inner.source();
    }
    OutboundError::Network(text)
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
#[derive(Clone)]
struct CheckedResolver {
    policy: Arc<AddressPolicy>,
}

impl tower_service::Service<Name> for CheckedResolver {
    type Response = std::vec::IntoIter<SocketAddr>;
    type Error = OutboundError;
    type Future = std::pin::Pin<Box<dyn Future<Output = Result<Self::Response, OutboundError>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), OutboundError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, name: Name) -> Self::Future {
        let policy = self.policy.clone();
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await
                .map_err(|e| OutboundError::Network(format!("resolving {host}: {e}")))?
                .collect();
            let allowed: Vec<SocketAddr> = found.iter().copied().filter(|addr| policy.allows(addr.ip())).collect();
            if allowed.is_empty() {
                return Err(OutboundError::Refused(match found.first() {
                    Some(addr) => format!("{host} ({})", addr.ip()),
                    None => host,
                }));
            }
            Ok(allowed.into_iter())
        })
    }
}

/// rustls with the ring provider (already in the build through NATS; aws-lc, rustls's
/// default, would need a C toolchain) and the system's root certificates.
/// TLS with the system's roots and those of `ca_file`, if one is given: also for clients of
/// servers the operator configured (an S3 endpoint), which need no address check.
pub fn tls_config(ca_file: &str) -> Result<rustls::ClientConfig, OutboundError> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;

    let mut roots = rustls::RootCertStore::empty();
    if !ca_file.is_empty() {
        let bad = |e: &dyn std::fmt::Display| OutboundError::CaFile(format!("{ca_file}: {e}"));
        let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(ca_file)
            .map_err(|e| bad(&e))?
            .collect::<Result<_, _>>()
            .map_err(|e| bad(&e))?;
        if certs.is_empty() {
            return Err(bad(&"no certificate in it"));
        }
        for cert in certs {
            roots.add(cert).map_err(|e| bad(&e))?;
        }
    }
    let found = rustls_native_certs::load_native_certs();
    for error in &found.errors {
        tracing::warn!(%error, "reading the system's root certificates");
    }
    let (added, _ignored) = roots.add_parsable_certificates(found.certs);
    if added == 0 {
        tracing::warn!("no root certificates found: https deliveries will fail (install ca-certificates)");
    }
    Ok(
        rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .expect("ring supports TLS 1.2 and 1.3")
            .with_root_certificates(roots)
            .with_no_client_auth(),
    )
}
