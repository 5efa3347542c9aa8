//! Extractors every handler uses: who is calling ([`AuthUser`]) and from where ([`ClientInfo`]).

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use crate::{AccessClaims, ApiError, Code, TokenVerifier};

/// Per-process HTTP facts handlers need, put in every request's extensions by the server.
#[derive(Clone)]
pub struct HttpShared {
    pub tokens: Arc<TokenVerifier>,
    pub trust_forwarded_for: bool,
}

fn shared(parts: &Parts) -> Result<&HttpShared, ApiError> {
    parts
        .extensions
        .get::<HttpShared>()
        .ok_or_else(|| ApiError::internal("HttpShared missing from request extensions"))
}

/// The caller, from a valid `Authorization: Bearer <access token>`. Rejects with 401.
#[derive(Debug, Clone)]
pub struct AuthUser {
    pub user_id: i64,
    pub session_id: i64,
    pub claims: AccessClaims,
}

/// A 401 that also tells the client how to authenticate.
pub struct Unauthorized(pub ApiError);

impl IntoResponse for Unauthorized {
    fn into_response(self) -> Response {
        let mut response = self.0.into_response();
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        response
    }
}

impl<S: Send + Sync> FromRequestParts<S> for AuthUser {
    type Rejection = Unauthorized;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Unauthorized> {
        let shared = shared(parts).map_err(Unauthorized)?;
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .ok_or_else(|| {
                Unauthorized(ApiError::new(
                    Code::Unauthorized,
                    "an access token is required (Authorization: Bearer …)",
                ))
            })?;
        let claims = shared.tokens.verify(token.trim()).map_err(Unauthorized)?;
        Ok(AuthUser {
            user_id: claims.user_id().unwrap_or_default(),
            session_id: claims.sid,
            claims,
        })
    }
}

/// Where a request came from, for sessions and throttling.
#[derive(Debug, Clone)]
pub struct ClientInfo {
    pub ip: Option<IpAddr>,
    pub user_agent: String,
}

impl<S: Send + Sync> FromRequestParts<S> for ClientInfo {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let trust_forwarded = shared(parts)?.trust_forwarded_for;
        let forwarded = trust_forwarded
            .then(|| {
                parts
                    .headers
                    .get("x-forwarded-for")
                    .and_then(|v| v.to_str().ok())
                    // the proxy appends the address it saw: the last entry is the one to trust
                    .and_then(|v| v.rsplit(',').next())
                    .and_then(|v| v.trim().parse::<IpAddr>().ok())
            })
            .flatten();
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.ip());
        let user_agent = parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .chars()
            .take(512)
            .collect();
        Ok(ClientInfo {
            ip: forwarded.or(peer),
            user_agent,
        })
    }
}
