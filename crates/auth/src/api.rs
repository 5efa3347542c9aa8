//! The auth service's HTTP contract: its error codes.

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
