//! The cookies of auth: the refresh token for web clients, httpOnly so scripts (and XSS) cannot
//! read it, SameSite=Strict and scoped to `/api/v1/auth` so it rides only on auth calls from our
//! own pages; and the device cookie, proof that this browser signed in to an account before
//! (see `device.rs`), scoped to the login call.

use crate::settings::AuthConfig;
use axum::http::{HeaderMap, HeaderValue, header};

const NAME: &str = "hybrid_refresh";
const PATH: &str = "/api/v1/auth";
const DEVICE: &str = "hybrid_device";
const DEVICE_PATH: &str = "/api/v1/auth/login";

/// `Set-Cookie` carrying a refresh token.
pub fn set_refresh(token: &str, max_age_secs: u64, secure: bool) -> (header::HeaderName, HeaderValue) {
    cookie_header(NAME, PATH, token, max_age_secs, secure)
}

/// `Set-Cookie` that removes the refresh token (on logout).
pub fn clear_refresh(secure: bool) -> (header::HeaderName, HeaderValue) {
    cookie_header(NAME, PATH, "", 0, secure)
}

/// `Set-Cookie` carrying a device cookie.
pub fn set_device(value: &str, max_age_secs: u64, secure: bool) -> (header::HeaderName, HeaderValue) {
    cookie_header(DEVICE, DEVICE_PATH, value, max_age_secs, secure)
}

fn cookie_header(
    name: &str,
    path: &str,
    value: &str,
    max_age_secs: u64,
    secure: bool,
) -> (header::HeaderName, HeaderValue) {
    let secure = if secure { "; Secure" } else { "" };
    let cookie = format!("{name}={value}; Path={path}; Max-Age={max_age_secs}; HttpOnly; SameSite=Strict{secure}");
    // values are URL-safe base64 with fixed prefixes and dots, always a valid header value
    let value = HeaderValue::from_str(&cookie).expect("cookie is visible ASCII");
    (header::SET_COOKIE, value)
}

/// The refresh token from the request's `Cookie` header, if any.
pub fn refresh_token(headers: &HeaderMap) -> Option<String> {
    cookie(headers, NAME)
}

/// The device cookie from the request's `Cookie` header, if any.
pub fn device(headers: &HeaderMap) -> Option<String> {
    cookie(headers, DEVICE)
}

fn cookie(headers: &HeaderMap, wanted: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, value)| *name == wanted && !value.is_empty())
        .map(|(_, value)| value.to_owned())
}

/// Whether the cookie gets `Secure`: always when configured, else when the client reached us
/// over HTTPS (through a proxy that says so). Plain-HTTP development setups would lose a
/// `Secure` cookie.
pub fn secure(config: &AuthConfig, headers: &HeaderMap) -> bool {
    config.refresh_cookie_secure || is_https(headers)
}

fn is_https(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("https"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_refresh_cookie_among_others() {
        let mut headers = HeaderMap::new();
        headers.append(header::COOKIE, "a=1; hybrid_refresh=hrt_abc; b=2".parse().unwrap());
        assert_eq!(refresh_token(&headers).as_deref(), Some("hrt_abc"));
        let mut empty = HeaderMap::new();
        empty.append(header::COOKIE, "hybrid_refresh=; x=y".parse().unwrap());
        assert_eq!(refresh_token(&empty), None);
    }

    #[test]
    fn cookie_is_http_only_strict_and_scoped() {
        let (_, v) = set_refresh("hrt_x", 60, true);
        let v = v.to_str().unwrap();
        assert!(v.starts_with("hybrid_refresh=hrt_x; Path=/api/v1/auth; Max-Age=60; HttpOnly; SameSite=Strict"));
        assert!(v.ends_with("; Secure"));
        assert!(!clear_refresh(false).1.to_str().unwrap().contains("Secure"));
    }
}
