//! The auth service's HTTP contract: what its endpoints take and return, and its error codes.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

hybrid_core::error_codes! {
    /// Errors of the auth service.
    pub enum AuthCode {
        /// Registration needs an invite code on this server.
        InviteRequired = (FORBIDDEN, "invite_required"),
        /// Registration is closed on this server.
        RegistrationClosed = (FORBIDDEN, "registration_closed"),
        /// Wrong username or password.
        InvalidCredentials = (UNAUTHORIZED, "invalid_credentials"),
        /// The password was right; send the two-factor code too.
        TotpRequired = (UNAUTHORIZED, "totp_required"),
        /// The two-factor code is wrong or already used.
        InvalidTotp = (UNAUTHORIZED, "invalid_totp"),
        /// The refresh token is not valid: log in again.
        InvalidRefreshToken = (UNAUTHORIZED, "invalid_refresh_token"),
        /// A refresh token was used twice; the session is signed out as stolen.
        RefreshTokenReused = (UNAUTHORIZED, "refresh_token_reused"),
        /// The current password given is wrong.
        WrongPassword = (FORBIDDEN, "wrong_password"),
        /// Two-factor authentication is on already.
        TotpEnabled = (CONFLICT, "totp_enabled"),
        /// No two-factor setup is waiting to be confirmed.
        TotpNotPending = (CONFLICT, "totp_not_pending"),
        /// Two-factor authentication is off.
        TotpDisabled = (CONFLICT, "totp_disabled"),
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RegisterRequest {
    /// 3 to 32 of a-z, 0-9, _ (any case or Unicode compatibility form; stored folded).
    pub username: String,
    pub password: String,
    /// Needed when registration is invite-only.
    pub invite_code: Option<String>,
    /// Name of this device in the session list.
    pub device_name: Option<String>,
    /// Web clients: put the refresh token in an httpOnly cookie instead of the response body.
    #[serde(default)]
    pub refresh_in_cookie: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
    /// The authenticator code, for accounts with two-factor authentication.
    pub totp_code: Option<String>,
    pub device_name: Option<String>,
    /// Web clients: put the refresh token in an httpOnly cookie instead of the response body.
    #[serde(default)]
    pub refresh_in_cookie: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RefreshRequest {
    /// The refresh token; when absent, the `hybrid_refresh` cookie is used (and renewed).
    pub refresh_token: Option<String>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AccountRef {
    pub id: i64,
    pub username: String,
}

/// Tokens for a session. Send `access_token` as `Authorization: Bearer …`; before it expires,
/// trade `refresh_token` for a new pair at `/auth/refresh` (each refresh token works once).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until `access_token` expires.
    pub expires_in: u64,
    /// Absent when the refresh token was set as the `hybrid_refresh` cookie.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    pub session_id: i64,
    pub user: AccountRef,
}

/// The signed-in account.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Account {
    pub id: i64,
    pub username: String,
    pub is_admin: bool,
    /// Two-factor authentication (TOTP) is on.
    pub totp_enabled: bool,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct SessionInfo {
    pub id: i64,
    pub device: String,
    pub ip: String,
    pub user_agent: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    /// True for the session making this request.
    pub current: bool,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RevokedCount {
    pub revoked: usize,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ChangePasswordRequest {
    pub current_password: String,
    pub new_password: String,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TotpSetupResponse {
    /// Base32 secret, for typing into an authenticator app.
    pub secret: String,
    /// `otpauth://` URI, for a QR code.
    pub otpauth_uri: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PasswordConfirm {
    /// The account's current password.
    pub password: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct TotpCode {
    pub code: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct TotpDisableRequest {
    pub password: String,
    pub code: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct InviteRequest {
    /// How many registrations the code allows (1 to 1000, default 1).
    pub uses: Option<i64>,
    /// Hours until the code expires (1 to 8760, default 168).
    pub expires_in_hours: Option<i64>,
}

#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct InviteResponse {
    pub code: String,
    pub uses: i64,
    pub expires_at: i64,
}
