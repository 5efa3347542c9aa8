//! QR logins of Telegram user accounts, the service's side: a login's row (its MTProto session
//! sealed), how long it lives, and the account it ends in. What is said to Telegram is a
//! [`LoginFlow`]'s (the `telegram_user` connector's, built with the `telegram-user` feature).

use futures::future::BoxFuture;
use hybrid_core::{ApiError, ApiResult, now_ms};

use crate::api::{AutomationCode, Login, LoginPassword, NewLogin};
use crate::service::{Automation, clean_name};
use crate::store::NewAccountRow;
use crate::store::logins::{self as store, LoginRow};

/// How long a login may take, QR scan and password included.
const LOGIN_TTL_MS: i64 = 10 * 60 * 1000;
/// An ended login is still shown this long (a late poll reads how it ended), then dropped.
const ENDED_KEPT_MS: i64 = 24 * 3600 * 1000;
/// The connector a login's account acts through.
pub const CONNECTOR: &str = "telegram_user";

/// Where a login stands after a step.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(not(feature = "telegram-user"), allow(dead_code))]
pub enum Step {
    /// Show this QR code until then (epoch ms), and ask again.
    Waiting { qr_url: String, qr_expires_at: i64 },
    /// The account has a cloud password: ask for it.
    PasswordNeeded { hint: String },
    /// Logged in as this user.
    Done(SignedInUser),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedInUser {
    pub user_id: i64,
    pub name: String,
}

/// Why a step did not go on (only the MTProto login, behind `telegram-user`, makes them).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(not(feature = "telegram-user"), allow(dead_code))]
pub enum LoginError {
    WrongPassword,
    /// Telegram said no: the login fails with this.
    Failed(String),
    /// Telegram could not be reached: the login stays as it was, and says so.
    Unreachable(String),
}

/// Says the login's steps to Telegram. Sessions are opaque bytes here.
pub trait LoginFlow: Send + Sync {
    /// A session that has talked to nobody yet.
    fn fresh(&self) -> Vec<u8>;
    /// Asks whether the QR code was scanned: a new code, the password question, or done.
    fn poll(&self, session: Vec<u8>) -> BoxFuture<'_, (Result<Step, LoginError>, Vec<u8>)>;
    fn password<'a>(
        &'a self,
        session: Vec<u8>,
        password: &'a str,
    ) -> BoxFuture<'a, (Result<Step, LoginError>, Vec<u8>)>;
    /// The login ended: its connection may close.
    fn close(&self, session: &[u8]);
}

/// The context a login's sealed session is bound to.
fn session_context(login: i64) -> String {
    format!("automation-login:{login}")
}

fn is_open(state: &str) -> bool {
    state == "waiting" || state == "password_needed"
}

impl Automation {
    fn flow(&self) -> ApiResult<&dyn LoginFlow> {
        self.logins
            .as_deref()
            .ok_or_else(|| ApiError::unavailable(self.logins_off))
    }

    pub async fn start_login(&self, me: i64, new: NewLogin) -> ApiResult<Login> {
        let flow = self.flow()?;
        let name = clean_name(&new.name)?;
        let daily_limit = self.daily_limit(new.daily_limit)?;
        let now = now_ms();
        // the fresh session is kept before Telegram is asked: a first poll that cannot reach
        // it leaves the login with a session to try again with
        let session = flow.fresh();
        let (secrets, fresh) = (self.secrets.clone(), session.clone());
        let id = self
            .db
            .write(move |tx| {
                Box::pin(async move {
                    store::purge_logins(tx, now - ENDED_KEPT_MS).await?;
                    let id = store::insert_login(tx, me, &name, daily_limit, now + LOGIN_TTL_MS, now).await?;
                    store::set_login_session(tx, id, secrets.seal(&session_context(id), &fresh)).await?;
                    Ok::<_, hybrid_store::StoreError>(id)
                })
            })
            .await?;
        let row = self.own_login(me, id).await?;
        self.step(row, session, None).await
    }

    /// Where the login stands; a waiting one asks Telegram again.
    pub async fn login(&self, me: i64, id: i64) -> ApiResult<Login> {
        let row = self.own_login(me, id).await?;
        if row.state != "waiting" {
            return self.expire_or_show(row).await;
        }
        let session = self.login_session(&row)?;
        self.step(row, session, None).await
    }

    pub async fn login_password(&self, me: i64, id: i64, password: LoginPassword) -> ApiResult<Login> {
        let row = self.own_login(me, id).await?;
        if row.state != "password_needed" {
            return Err(ApiError::new(
                AutomationCode::WrongState,
                format!("this login is {}: it asks for no password", row.state),
            ));
        }
        if password.password.is_empty() || password.password.len() > 1024 {
            return Err(ApiError::validation("password", "1 to 1024 bytes"));
        }
        let session = self.login_session(&row)?;
        self.step(row, session, Some(&password.password)).await
    }

    pub async fn cancel_login(&self, me: i64, id: i64) -> ApiResult<()> {
        let row = self.own_login(me, id).await?;
        if let (Some(flow), Ok(session)) = (self.logins.as_deref(), self.login_session(&row)) {
            flow.close(&session);
        }
        self.db
            .write(move |tx| Box::pin(async move { store::delete_login(tx, me, id).await }))
            .await?;
        Ok(())
    }

    async fn own_login(&self, me: i64, id: i64) -> ApiResult<LoginRow> {
        store::login(&mut self.db.reads(), me, id)
            .await?
            .ok_or_else(|| ApiError::not_found("login"))
    }

    fn login_session(&self, row: &LoginRow) -> ApiResult<Vec<u8>> {
        self.secrets.open(&session_context(row.id), &row.session).map_err(|_| {
            ApiError::new(
                AutomationCode::WrongState,
                "this login's session cannot be read: start again",
            )
        })
    }

    /// A login past its time is expired (its connection closed); any other is shown as it is.
    async fn expire_or_show(&self, mut row: LoginRow) -> ApiResult<Login> {
        if is_open(&row.state) && now_ms() > row.expires_at {
            if let (Some(flow), Ok(session)) = (self.logins.as_deref(), self.login_session(&row)) {
                flow.close(&session);
            }
            row.state = "expired".into();
            row.session = Vec::new();
            self.save_login(row.clone()).await?;
        }
        self.login_view(row).await
    }

    /// One step with Telegram (a poll, or the password when given), kept in the row.
    async fn step(&self, mut row: LoginRow, session: Vec<u8>, password: Option<&str>) -> ApiResult<Login> {
        if now_ms() > row.expires_at {
            return self.expire_or_show(row).await;
        }
        let flow = self.flow()?;
        let (step, session) = match password {
            Some(password) => flow.password(session, password).await,
            None => flow.poll(session).await,
        };
        let unsealed = session.clone();
        match step {
            Ok(Step::Waiting { qr_url, qr_expires_at }) => {
                row.session = self.secrets.seal(&session_context(row.id), &unsealed);
                row.state = "waiting".into();
                row.qr_url = qr_url;
                row.qr_expires_at = qr_expires_at;
            }
            Ok(Step::PasswordNeeded { hint }) => {
                row.session = self.secrets.seal(&session_context(row.id), &unsealed);
                row.state = "password_needed".into();
                row.password_hint = hint;
            }
            Ok(Step::Done(user)) => {
                flow.close(&session);
                return self.finish(row, user, session).await;
            }
            Err(LoginError::WrongPassword) => {
                row.session = self.secrets.seal(&session_context(row.id), &unsealed);
                self.save_login(row).await?;
                return Err(ApiError::new(AutomationCode::BadCredentials, "wrong password").with_field("password"));
            }
            // the row keeps its state (and the session it had: nothing was made on the way);
            // the next poll connects again
            Err(LoginError::Unreachable(why)) => {
                flow.close(&session);
                let mut shown = self.login_view(row).await?;
                shown.unreachable = Some(format!("could not reach Telegram: {why}"));
                return Ok(shown);
            }
            Err(LoginError::Failed(why)) => {
                flow.close(&session);
                row.state = "failed".into();
                row.error = why;
                row.session = Vec::new();
            }
        }
        self.save_login(row.clone()).await?;
        self.login_view(row).await
    }

    /// Logged in: the account is made, its secret the session (the login keeps none).
    async fn finish(&self, mut row: LoginRow, user: SignedInUser, session: Vec<u8>) -> ApiResult<Login> {
        let new = NewAccountRow {
            owner_id: row.owner_id,
            connector: CONNECTOR.into(),
            name: row.name.clone(),
            actor_id: user.user_id,
            actor_name: user.name,
            session_id: 0,
            endpoint: String::new(),
            daily_limit: row.daily_limit,
            now: now_ms(),
        };
        let account = self.store_account(new, session, Some(row.id)).await?;
        row.state = "done".into();
        row.account_id = Some(account.id);
        row.session = Vec::new();
        self.login_view(row).await
    }

    async fn save_login(&self, row: LoginRow) -> ApiResult<()> {
        self.db
            .write(move |tx| Box::pin(async move { store::save_login(tx, &row).await }))
            .await?;
        Ok(())
    }

    async fn login_view(&self, row: LoginRow) -> ApiResult<Login> {
        let account = match row.account_id {
            Some(id) => self.account(row.owner_id, id).await.ok(),
            None => None,
        };
        // a waiting login shows its code once Telegram gave one
        let waiting = row.state == "waiting" && !row.qr_url.is_empty();
        Ok(Login {
            id: row.id,
            name: row.name,
            qr_url: waiting.then_some(row.qr_url),
            qr_expires_at: waiting.then_some(row.qr_expires_at),
            password_hint: (row.state == "password_needed").then_some(row.password_hint),
            error: (row.state == "failed").then_some(row.error),
            state: row.state,
            account,
            expires_at: row.expires_at,
            unreachable: None,
        })
    }
}
