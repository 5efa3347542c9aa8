//! Logging a Telegram user account in by QR code, as Telegram Desktop does: the server asks
//! for a login token (`auth.exportLoginToken`), shows it as `tg://login?token=…`, and asks
//! again on every poll: the phone that scanned it turns the answer into a success (or into a
//! move to the account's data centre, `auth.importLoginToken` there). An account with a
//! cloud password answers `SESSION_PASSWORD_NEEDED`; the password is then proven with SRP
//! (`account.getPassword`, `auth.checkPassword`) without being sent. Only the Telegram side
//! lives here; the service keeps the login's row and makes the account.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use grammers_crypto::two_factor_auth::{calculate_2fa, check_p_and_g};
use grammers_tl_types as tl;

use super::requests;
use super::wire::{self, Failure, Session, Telegram, users_of};
use crate::logins::{LoginError, LoginFlow, SignedInUser, Step};
use futures::future::BoxFuture;

/// Why a password step failed.
#[derive(Debug, Clone)]
pub enum PasswordError {
    Wrong,
    Failed(Failure),
}

/// The app a login speaks for (from my.telegram.org).
#[derive(Clone)]
pub struct App {
    pub api_id: i32,
    pub api_hash: String,
}

/// One poll: a fresh QR code, the password question, or the user logged in. The session
/// comes back as Telegram left it (an auth key made, a new home data centre): keep it.
pub async fn poll(telegram: &dyn Telegram, app: &App, session: Session) -> (Result<Step, Failure>, Session) {
    let export = requests::export_login_token(app.api_id, &app.api_hash);
    let (answer, mut session) = match wire::call(telegram, &session, None, &export).await {
        Ok(done) => done,
        Err(failure) if failure.is("SESSION_PASSWORD_NEEDED") => return password_needed(telegram, session).await,
        Err(failure) => return (Err(failure), session),
    };
    let answer = match answer {
        tl::enums::auth::LoginToken::MigrateTo(moved) => {
            // the account lives in another data centre: finish there, and stay there
            session.home_dc = moved.dc_id;
            let import = requests::import_login_token(moved.token);
            match wire::call(telegram, &session, Some(moved.dc_id), &import).await {
                Ok((answer, after)) => {
                    session = after;
                    answer
                }
                Err(failure) if failure.is("SESSION_PASSWORD_NEEDED") => {
                    return password_needed(telegram, session).await;
                }
                Err(failure) => return (Err(failure), session),
            }
        }
        other => other,
    };
    let step = match answer {
        tl::enums::auth::LoginToken::Token(token) => Ok(Step::Waiting {
            qr_url: format!("tg://login?token={}", URL_SAFE_NO_PAD.encode(&token.token)),
            qr_expires_at: i64::from(token.expires) * 1000,
        }),
        tl::enums::auth::LoginToken::Success(success) => signed_in(success.authorization),
        tl::enums::auth::LoginToken::MigrateTo(_) => Err(Failure::Transport("Telegram moved the login twice".into())),
    };
    (step, session)
}

async fn password_needed(telegram: &dyn Telegram, session: Session) -> (Result<Step, Failure>, Session) {
    match wire::call(telegram, &session, None, &requests::get_password()).await {
        Ok((tl::enums::account::Password::Password(password), session)) => (
            Ok(Step::PasswordNeeded {
                hint: password.hint.unwrap_or_default(),
            }),
            session,
        ),
        Err(failure) => (Err(failure), session),
    }
}

fn signed_in(authorization: tl::enums::auth::Authorization) -> Result<Step, Failure> {
    match authorization {
        tl::enums::auth::Authorization::Authorization(auth) => {
            let user = users_of(std::slice::from_ref(&auth.user))
                .next()
                .ok_or_else(|| Failure::Transport("Telegram named no user".into()))?;
            Ok(Step::Done(SignedInUser {
                user_id: user.id,
                name: display_name(user),
            }))
        }
        tl::enums::auth::Authorization::SignUpRequired(_) => {
            Err(Failure::Transport("this phone has no Telegram account yet".into()))
        }
    }
}

/// "First Last (@username)", as much of it as there is.
fn display_name(user: &tl::types::User) -> String {
    let name = [user.first_name.as_deref(), user.last_name.as_deref()]
        .into_iter()
        .flatten()
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    match (&user.username, name.is_empty()) {
        (Some(username), true) => format!("@{username}"),
        (Some(username), false) => format!("{name} (@{username})"),
        (None, false) => name,
        (None, true) => user.id.to_string(),
    }
}

/// Proves the cloud password with SRP. `a` is the client's secret random (256 bytes).
pub async fn check_password(
    telegram: &dyn Telegram,
    session: Session,
    password: &str,
    a: [u8; 256],
) -> (Result<Step, PasswordError>, Session) {
    let (tl::enums::account::Password::Password(info), session) =
        match wire::call(telegram, &session, None, &requests::get_password()).await {
            Ok(done) => done,
            Err(failure) => return (Err(PasswordError::Failed(failure)), session),
        };
    let bad = |why: &str| PasswordError::Failed(Failure::Transport(why.into()));
    let (
        Some(tl::enums::PasswordKdfAlgo::Sha256Sha256Pbkdf2Hmacsha512iter100000Sha256ModPow(algo)),
        Some(srp_b),
        Some(srp_id),
    ) = (info.current_algo, info.srp_b, info.srp_id)
    else {
        return (
            Err(bad("Telegram asked for a password it cannot check (unknown algorithm)")),
            session,
        );
    };
    // (grammers' check panics on a generator outside 2..=7: those are refused first)
    if !(2..=7).contains(&algo.g) || !check_p_and_g(&algo.p, &algo.g) {
        return (Err(bad("Telegram's password parameters are not safe")), session);
    }
    let (m1, g_a) = calculate_2fa(&algo.salt1, &algo.salt2, &algo.p, &algo.g, srp_b, a.to_vec(), password);
    let check = requests::check_password(srp_id, g_a.to_vec(), m1.to_vec());
    match wire::call(telegram, &session, None, &check).await {
        Ok((authorization, session)) => (signed_in(authorization).map_err(PasswordError::Failed), session),
        Err(failure) if failure.is("PASSWORD_HASH_INVALID") => (Err(PasswordError::Wrong), session),
        Err(failure) => (Err(PasswordError::Failed(failure)), session),
    }
}

/// The [`LoginFlow`] the service drives: these steps, over a [`Telegram`].
pub struct QrLogins {
    pub telegram: std::sync::Arc<dyn Telegram>,
    pub app: App,
    /// Where new logins start: a data centre and, when not Telegram's own, its address.
    pub dc: i32,
    pub dc_address: Option<String>,
}

fn login_error(failure: Failure) -> LoginError {
    match failure {
        Failure::Rpc(rpc) => LoginError::Failed(format!("Telegram refused: {} ({})", rpc.name, rpc.code)),
        Failure::Transport(why) => LoginError::Unreachable(why),
        Failure::NoSession => LoginError::Failed("the login's session was lost: start again".into()),
    }
}

impl LoginFlow for QrLogins {
    fn fresh(&self) -> Vec<u8> {
        Session::fresh(self.dc, self.dc_address.as_deref()).to_bytes()
    }

    fn poll(&self, session: Vec<u8>) -> BoxFuture<'_, (Result<Step, LoginError>, Vec<u8>)> {
        Box::pin(async move {
            let Ok(session) = Session::from_bytes(&session) else {
                return (Err(login_error(Failure::NoSession)), session);
            };
            let (step, session) = poll(self.telegram.as_ref(), &self.app, session).await;
            (step.map_err(login_error), session.to_bytes())
        })
    }

    fn password<'a>(
        &'a self,
        session: Vec<u8>,
        password: &'a str,
    ) -> BoxFuture<'a, (Result<Step, LoginError>, Vec<u8>)> {
        Box::pin(async move {
            let Ok(session) = Session::from_bytes(&session) else {
                return (Err(login_error(Failure::NoSession)), session);
            };
            let mut a = [0u8; 256];
            getrandom::fill(&mut a).expect("the OS has randomness");
            let (step, session) = check_password(self.telegram.as_ref(), session, password, a).await;
            let step = step.map_err(|e| match e {
                PasswordError::Wrong => LoginError::WrongPassword,
                PasswordError::Failed(failure) => login_error(failure),
            });
            (step, session.to_bytes())
        })
    }

    fn close(&self, session: &[u8]) {
        if let Ok(session) = Session::from_bytes(session) {
            self.telegram.close(&session);
        }
    }
}
