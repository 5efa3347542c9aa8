//! HTTP API of the auth service, under `/api/v1/auth`.

use std::sync::Arc;

use crate::settings::RegistrationPolicy;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use hybrid_core::{ApiError, ApiResult, AuthUser, ClientInfo, ErrorBody, Json, Path};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::api::{
    Account, AccountRef, AuthCode, ChangePasswordRequest, InviteRequest, InviteResponse, LoginRequest, PasswordConfirm,
    RefreshRequest, RegisterRequest, RevokedCount, SessionInfo, TokenResponse, TotpCode, TotpDisableRequest,
    TotpSetupResponse,
};
use crate::cookie;
use crate::service::{AuthService, Issued};

type Auth = State<Arc<AuthService>>;

pub fn router(auth: Arc<AuthService>) -> OpenApiRouter {
    OpenApiRouter::new()
        .routes(routes!(register))
        .routes(routes!(login))
        .routes(routes!(refresh))
        .routes(routes!(logout))
        .routes(routes!(jwks))
        .routes(routes!(account))
        .routes(routes!(list_sessions))
        .routes(routes!(revoke_session))
        .routes(routes!(revoke_other_sessions))
        .routes(routes!(change_password))
        .routes(routes!(totp_setup))
        .routes(routes!(totp_confirm))
        .routes(routes!(totp_disable))
        .routes(routes!(create_invite))
        .with_state(auth)
}

impl From<Issued> for TokenResponse {
    fn from(issued: Issued) -> Self {
        TokenResponse {
            access_token: issued.access_token,
            token_type: "Bearer".into(),
            expires_in: issued.expires_in,
            refresh_token: Some(issued.refresh_token),
            session_id: issued.session_id,
            user: AccountRef {
                id: issued.user.id,
                username: issued.user.username,
            },
        }
    }
}

/// Create an account and log in.
#[utoipa::path(post, path = "/auth/register", tag = "auth", request_body = RegisterRequest,
    responses((status = 429, description = "too many attempts; see Retry-After", body = ErrorBody), (status = 201, body = TokenResponse),
        (status = 403, description = "registration is closed or needs an invite", body = ErrorBody),
        (status = 409, description = "username taken", body = ErrorBody),
        (status = 422, body = ErrorBody),
        (status = 503, description = "a registration of this username is still completing, or a service it needs is unreachable (Retry-After)", body = ErrorBody)))]
async fn register(
    State(auth): Auth,
    client: ClientInfo,
    headers: HeaderMap,
    Json(req): Json<RegisterRequest>,
) -> ApiResult<Response> {
    let invite = req.invite_code.as_deref().filter(|c| !c.is_empty());
    match auth.config().registration {
        RegistrationPolicy::Open => {}
        RegistrationPolicy::InviteOnly if invite.is_some() => {}
        RegistrationPolicy::InviteOnly => {
            return Err(
                ApiError::new(AuthCode::InviteRequired, "registration needs an invite code").with_field("invite_code"),
            );
        }
        RegistrationPolicy::Closed => {
            return Err(ApiError::new(
                AuthCode::RegistrationClosed,
                "registration is closed; ask an administrator for an account",
            ));
        }
    }
    auth.begin_registration(&client).await?;
    let invite = invite.filter(|_| auth.config().registration == RegistrationPolicy::InviteOnly);
    if let Some(code) = invite
        && !auth.invite_usable(code).await?
    {
        return Err(invalid_invite());
    }
    let user = auth.create_account(&req.username, req.password, false, invite).await?;
    let device = req.device_name.unwrap_or_else(|| client.user_agent.clone());
    let issued = auth.open_session(user, &device, &client).await?;
    Ok((
        StatusCode::CREATED,
        tokens(&auth, issued, req.refresh_in_cookie, &headers),
    )
        .into_response())
}

fn invalid_invite() -> ApiError {
    ApiError::validation(
        "invite_code",
        "this invite code is not valid (unknown, used up or expired)",
    )
}

/// Log in with username and password (and a TOTP code when enabled). Sets the device cookie
/// `hybrid_device`: a browser that has signed in to an account is not locked out by others'
/// failed attempts on it.
#[utoipa::path(post, path = "/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = TokenResponse),
        (status = 401, description = "`invalid_credentials`, `totp_required` or `invalid_totp`", body = ErrorBody),
        (status = 429, description = "too many failed attempts; see Retry-After", body = ErrorBody)))]
async fn login(
    State(auth): Auth,
    client: ClientInfo,
    headers: HeaderMap,
    Json(req): Json<LoginRequest>,
) -> ApiResult<Response> {
    let in_cookie = req.refresh_in_cookie;
    let device = cookie::device(&headers);
    let logged_in = auth.login(req, device.as_deref(), &client).await?;
    let mut response = tokens(&auth, logged_in.issued, in_cookie, &headers);
    // this browser has now signed in to the account: a lockout of strangers will not stop it
    let (device, lifetime) = &logged_in.device_cookie;
    let (name, value) = cookie::set_device(device, *lifetime, cookie::secure(auth.config(), &headers));
    response.headers_mut().append(name, value);
    Ok(response)
}

/// Trade a refresh token for new tokens. A refresh token works once; presenting a spent one
/// again within 30 s returns the same new tokens, later it signs the session out.
#[utoipa::path(post, path = "/auth/refresh", tag = "auth", request_body = RefreshRequest,
    responses((status = 200, body = TokenResponse),
        (status = 401, description = "`invalid_refresh_token` or `refresh_token_reused`", body = ErrorBody)))]
async fn refresh(State(auth): Auth, headers: HeaderMap, Json(req): Json<RefreshRequest>) -> ApiResult<Response> {
    let (token, in_cookie) = match req.refresh_token {
        Some(token) => (token, false),
        None => (
            cookie::refresh_token(&headers).ok_or_else(|| {
                ApiError::new(
                    AuthCode::InvalidRefreshToken,
                    "no refresh token: send refresh_token, or log in with refresh_in_cookie",
                )
            })?,
            true,
        ),
    };
    Ok(tokens(&auth, auth.refresh(&token).await?, in_cookie, &headers))
}

/// The token response, with the refresh token moved into a cookie when the client asked for it.
fn tokens(auth: &AuthService, issued: Issued, in_cookie: bool, headers: &HeaderMap) -> Response {
    let mut body = TokenResponse::from(issued);
    if !in_cookie {
        return Json(body).into_response();
    }
    let token = body.refresh_token.take().unwrap_or_default();
    let max_age = auth.config().refresh_token_ttl_days * 86_400;
    let set = cookie::set_refresh(&token, max_age, cookie::secure(auth.config(), headers));
    ([set], Json(body)).into_response()
}

/// End the current session.
#[utoipa::path(post, path = "/auth/logout", tag = "auth", security(("bearer" = [])),
    responses((status = 204), (status = 401, body = ErrorBody)))]
async fn logout(State(auth): Auth, me: AuthUser, headers: HeaderMap) -> ApiResult<Response> {
    auth.logout(&me).await?;
    Ok((
        StatusCode::NO_CONTENT,
        [cookie::clear_refresh(cookie::secure(auth.config(), &headers))],
    )
        .into_response())
}

/// Public keys that verify access tokens (RFC 7517 JSON Web Key Set).
#[utoipa::path(get, path = "/auth/jwks", tag = "auth",
    responses((status = 200, description = "JWK Set", body = Object)))]
async fn jwks(State(auth): Auth) -> ApiResult<axum::Json<serde_json::Value>> {
    Ok(axum::Json(auth.jwks().await?))
}

/// My account: name, admin flag, two-factor status.
#[utoipa::path(get, path = "/auth/account", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = Account), (status = 401, body = ErrorBody)))]
async fn account(State(auth): Auth, me: AuthUser) -> ApiResult<Json<Account>> {
    let (user, is_admin, totp_enabled) = auth.account(&me).await?;
    Ok(Json(Account {
        id: user.id,
        username: user.username,
        is_admin,
        totp_enabled,
    }))
}

/// My active sessions (devices), most recently used first.
#[utoipa::path(get, path = "/auth/sessions", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = Vec<SessionInfo>), (status = 401, body = ErrorBody)))]
async fn list_sessions(State(auth): Auth, me: AuthUser) -> ApiResult<Json<Vec<SessionInfo>>> {
    let sessions = auth.sessions(&me).await?;
    Ok(Json(
        sessions
            .into_iter()
            .map(|s| SessionInfo {
                current: s.id == me.session_id,
                id: s.id,
                device: s.device,
                ip: s.ip,
                user_agent: s.user_agent,
                created_at: s.created_at,
                last_seen_at: s.last_seen_at,
            })
            .collect(),
    ))
}

/// Sign out one of my sessions.
#[utoipa::path(delete, path = "/auth/sessions/{id}", tag = "auth", security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
async fn revoke_session(State(auth): Auth, me: AuthUser, Path(id): Path<i64>) -> ApiResult<StatusCode> {
    auth.revoke_session(&me, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Sign out all my sessions except this one.
#[utoipa::path(post, path = "/auth/sessions/revoke-others", tag = "auth", security(("bearer" = [])),
    responses((status = 200, body = RevokedCount)))]
async fn revoke_other_sessions(State(auth): Auth, me: AuthUser) -> ApiResult<Json<RevokedCount>> {
    let revoked = auth.revoke_other_sessions(&me).await?;
    Ok(Json(RevokedCount { revoked }))
}

/// Change my password; my other sessions are signed out.
#[utoipa::path(post, path = "/auth/password", tag = "auth", security(("bearer" = [])),
    request_body = ChangePasswordRequest,
    responses((status = 429, description = "too many attempts; see Retry-After", body = ErrorBody), (status = 200, body = RevokedCount),
        (status = 403, description = "`wrong_password`", body = ErrorBody),
        (status = 422, body = ErrorBody)))]
async fn change_password(
    State(auth): Auth,
    me: AuthUser,
    Json(req): Json<ChangePasswordRequest>,
) -> ApiResult<Json<RevokedCount>> {
    let revoked = auth
        .change_password(&me, req.current_password, req.new_password)
        .await?;
    Ok(Json(RevokedCount { revoked }))
}

/// Start enabling two-factor authentication (needs the password): returns a new secret;
/// confirm it with a code.
#[utoipa::path(post, path = "/auth/totp/setup", tag = "auth", security(("bearer" = [])),
    request_body = PasswordConfirm,
    responses((status = 429, description = "too many attempts; see Retry-After", body = ErrorBody), (status = 200, body = TotpSetupResponse), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
async fn totp_setup(
    State(auth): Auth,
    me: AuthUser,
    Json(req): Json<PasswordConfirm>,
) -> ApiResult<Json<TotpSetupResponse>> {
    let setup = auth.totp_setup(&me, req.password).await?;
    Ok(Json(TotpSetupResponse {
        secret: setup.secret,
        otpauth_uri: setup.otpauth_uri,
    }))
}

/// Turn two-factor authentication on with a code for the secret from setup.
#[utoipa::path(post, path = "/auth/totp/confirm", tag = "auth", security(("bearer" = [])),
    request_body = TotpCode,
    responses((status = 429, description = "too many attempts; see Retry-After", body = ErrorBody), (status = 204), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
async fn totp_confirm(State(auth): Auth, me: AuthUser, Json(req): Json<TotpCode>) -> ApiResult<StatusCode> {
    auth.totp_confirm(&me, &req.code).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Turn two-factor authentication off (needs the password and a current code).
#[utoipa::path(post, path = "/auth/totp/disable", tag = "auth", security(("bearer" = [])),
    request_body = TotpDisableRequest,
    responses((status = 429, description = "too many attempts; see Retry-After", body = ErrorBody), (status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
async fn totp_disable(State(auth): Auth, me: AuthUser, Json(req): Json<TotpDisableRequest>) -> ApiResult<StatusCode> {
    auth.totp_disable(&me, req.password, &req.code).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Create a registration invite code (administrators).
#[utoipa::path(post, path = "/auth/invites", tag = "auth", security(("bearer" = [])),
    request_body = InviteRequest,
    responses((status = 201, body = InviteResponse), (status = 403, body = ErrorBody)))]
async fn create_invite(
    State(auth): Auth,
    me: AuthUser,
    Json(req): Json<InviteRequest>,
) -> ApiResult<(StatusCode, Json<InviteResponse>)> {
    auth.require_admin(me.user_id, "create invites").await?;
    let uses = req.uses.unwrap_or(1);
    if !(1..=1000).contains(&uses) {
        return Err(ApiError::validation("uses", "must be between 1 and 1000"));
    }
    let hours = req.expires_in_hours.unwrap_or(168);
    if !(1..=8760).contains(&hours) {
        return Err(ApiError::validation("expires_in_hours", "must be between 1 and 8760"));
    }
    let (code, expires_at) = auth.create_invite(Some(me.user_id), uses, hours).await?;
    Ok((StatusCode::CREATED, Json(InviteResponse { code, uses, expires_at })))
}
