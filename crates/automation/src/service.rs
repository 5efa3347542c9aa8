//! The automation service's logic: accounts, audiences and campaigns, each its owner's alone
//! (another user's id answers 404); SQL stays in `store.rs`, campaign steps in `engine.rs`.

use std::sync::Arc;

use hybrid_core::{ApiError, ApiResult, Code, Page, Secrets, now_ms, page_limit, parse_cursor};
use hybrid_store::Db;

use crate::api::{
    Account, AccountChange, Audience, AudienceImport, AutomationCode, Campaign, Contact, Entry, ImportReport, Imported,
    NewAccount, NewAudience, NewCampaign, NewParse, NewPost, Parse, Progress, Published,
};
use crate::audience;
use crate::connector::{Connector, Credentials, Identity, Refusal};
use crate::engine::{self, Engine};
use crate::inbound;
use crate::logins::LoginFlow;
use crate::parser;
use crate::settings::AutomationConfig;
use crate::store::{self, AccountRow, CampaignRow, NewAccountRow, NewCampaignRow, NewParseRow};
use crate::telegram_bot;

const DAY_MS: i64 = 24 * 3600 * 1000;
const MAX_NAME_CHARS: usize = 64;
const MAX_LINK_TEXT_CHARS: usize = 1000;
const MAX_CAMPAIGN_ACCOUNTS: usize = 20;
const MAX_POST_KEY_BYTES: usize = 64;
const MODES: &[&str] = &["invite", "link", "invite_then_link"];
const DEFAULT_LINK_TEXT: &str = "You are invited: {link}";
/// Parses one owner may run at once.
const MAX_RUNNING_PARSES: i64 = 5;

pub struct Automation {
    pub db: Db,
    pub engine: Arc<Engine>,
    pub secrets: Arc<Secrets>,
    pub config: AutomationConfig,
    /// Telegram user accounts' QR logins, when this server can make them (else why not).
    pub logins: Option<Arc<dyn LoginFlow>>,
    pub logins_off: &'static str,
}

/// The context a sealed account secret is bound to.
pub fn secret_context(account: i64) -> String {
    format!("automation-account:{account}")
}

pub(crate) fn clean_name(name: &str) -> ApiResult<String> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(ApiError::validation("name", "must be 1 to 64 characters"));
    }
    Ok(name.to_owned())
}

/// The state an account whose session ended is in.
pub(crate) fn ended(refusal: &Refusal) -> Option<(&'static str, String, Option<i64>)> {
    match refusal {
        Refusal::LoggedOut => Some(("logged_out", "its session was signed out".to_owned(), None)),
        Refusal::Banned => Some(("banned", "the user no longer exists".to_owned(), None)),
        _ => None,
    }
}

pub(crate) fn too_many(what: &str, max: i64) -> ApiError {
    ApiError::new(
        AutomationCode::TooMany,
        format!("you keep {max} {what} already, the most one may"),
    )
}

impl Automation {
    pub(crate) fn daily_limit(&self, asked: Option<i64>) -> ApiResult<i64> {
        let max = self.config.daily_limit;
        match asked {
            None => Ok(max),
            Some(limit) if (1..=max).contains(&limit) => Ok(limit),
            Some(_) => Err(ApiError::validation(
                "daily_limit",
                format!("must be between 1 and {max}"),
            )),
        }
    }

    async fn account_view(&self, rows: Vec<AccountRow>) -> ApiResult<Vec<Account>> {
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let mut reads = self.db.reads();
        let used = store::used_since(&mut reads, &ids, now_ms() - DAY_MS).await?;
        let reachable = store::reachable(&mut reads, &ids).await?;
        let count_of = |counts: &[(i64, i64)], id: i64| counts.iter().find(|(of, _)| *of == id).map_or(0, |c| c.1);
        Ok(rows
            .into_iter()
            .map(|row| Account {
                used_today: count_of(&used, row.id),
                reachable: (row.connector == telegram_bot::NAME).then(|| count_of(&reachable, row.id)),
                endpoint: (!row.endpoint.is_empty()).then_some(row.endpoint),
                id: row.id,
                name: row.name,
                connector: row.connector,
                actor_id: row.actor_id,
                actor_name: row.actor_name,
                state: row.state,
                state_detail: row.state_detail,
                rest_until: row.rest_until,
                daily_limit: row.daily_limit,
                last_used_at: row.last_used_at,
                created_at: row.created_at,
            })
            .collect())
    }

    async fn own_account(&self, me: i64, id: i64) -> ApiResult<AccountRow> {
        store::account(&mut self.db.reads(), me, id)
            .await?
            .ok_or_else(|| ApiError::not_found("account"))
    }

    /// The connector the account acts through, and whom it acts as there.
    fn acting(&self, account: &AccountRow) -> ApiResult<(Arc<dyn Connector>, Identity)> {
        let connector = self
            .engine
            .connector(&account.connector)
            .ok_or_else(|| ApiError::unavailable(format!("the {} connector does not run here", account.connector)))?;
        Ok((connector, self.engine.identity(account)?))
    }

    async fn set_state(&self, id: i64, state: (&'static str, String, Option<i64>)) -> ApiResult<()> {
        let now = self.engine.jobs.now_ms();
        self.db
            .write(move |tx| {
                let state = state.clone();
                Box::pin(async move {
                    store::update_account(tx, id, None, None, Some((state.0, &state.1, state.2))).await?;
                    crate::alerts::account_down(tx, id, state.0, &state.1, now).await
                })
            })
            .await?;
        self.engine.jobs.wake();
        Ok(())
    }

    async fn one_account(&self, row: AccountRow) -> ApiResult<Account> {
        Ok(self.account_view(vec![row]).await?.remove(0))
    }

    /// Connects an account: its platform must take the token, which is kept sealed.
    pub async fn connect(&self, me: i64, new: NewAccount) -> ApiResult<Account> {
        let name = clean_name(&new.name)?;
        let connector = self.engine.connector(&new.connector).ok_or_else(|| {
            ApiError::validation(
                "connector",
                format!("must be one of: {}", self.engine.connector_names().join(", ")),
            )
        })?;
        let endpoint = match (new.connector.as_str(), new.endpoint.as_deref()) {
            (telegram_bot::NAME, endpoint) => {
                telegram_bot::clean_endpoint(endpoint.unwrap_or(&self.config.bot_api_url))?
            }
            (_, Some(_)) => return Err(ApiError::validation("endpoint", "only bot accounts take one")),
            (_, None) => String::new(),
        };
        let daily_limit = self.daily_limit(new.daily_limit)?;
        let bad = |why: String| ApiError::new(AutomationCode::BadCredentials, why).with_field("token");
        let credentials = Credentials {
            token: new.token.trim(),
            endpoint: &endpoint,
        };
        let signed = connector.sign_in(&credentials).await.map_err(|refusal| match refusal {
            Refusal::LoggedOut | Refusal::Banned => bad("the platform refused the token".into()),
            Refusal::Forbidden(why) => bad(why),
            other => ApiError::unavailable(format!("could not reach the platform: {other:?}")),
        })?;
        let row = NewAccountRow {
            owner_id: me,
            connector: new.connector,
            name,
            actor_id: signed.actor_id,
            actor_name: signed.actor_name,
            session_id: signed.session_id,
            endpoint,
            daily_limit,
            now: now_ms(),
        };
        let row = self
            .store_account(row, new.token.trim().as_bytes().to_vec(), None)
            .await?;
        self.one_account(row).await
    }

    /// Keeps a new account with its secret sealed (a bot starts following its updates). When
    /// a QR login made it, the login is marked done in the same write, once: a second finish
    /// of the same login is refused (`wrong_state`).
    pub(crate) async fn store_account(
        &self,
        row: NewAccountRow,
        secret: Vec<u8>,
        login: Option<i64>,
    ) -> ApiResult<AccountRow> {
        let is_bot = row.connector == telegram_bot::NAME;
        let (secrets, max) = (self.secrets.clone(), self.config.max_accounts_per_owner);
        let me = row.owner_id;
        let account = self
            .db
            .write(move |tx| {
                Box::pin(async move {
                    if store::count_owned(tx, "accounts", me).await? >= max {
                        return Err(too_many("accounts", max));
                    }
                    if is_bot && store::bot_connected(tx, row.actor_id, &row.endpoint).await? {
                        return Err(ApiError::new(
                            Code::Conflict,
                            "this bot is connected here already (one account per bot: two would take each other's updates)",
                        )
                        .with_field("token"));
                    }
                    let account = store::insert_account(tx, &row).await?;
                    let sealed = secrets.seal(&secret_context(account.id), &secret);
                    store::set_secret(tx, account.id, sealed).await?;
                    if is_bot {
                        telegram_bot::follow_updates(tx, account.id, row.now, "connected").await?;
                    }
                    if let Some(login) = login
                        && !store::logins::finish_login(tx, login, account.id).await?
                    {
                        return Err(ApiError::new(AutomationCode::WrongState, "this login has ended already"));
                    }
                    Ok(account)
                })
            })
            .await?;
        if is_bot {
            self.engine.jobs.wake();
        }
        Ok(account)
    }

    pub async fn accounts(&self, me: i64, cursor: Option<&str>, limit: Option<i64>) -> ApiResult<Page<Account>> {
        let limit = page_limit(limit, 50, 200)?;
        let after = parse_cursor::<1>(cursor)?.map_or(0, |[id]| id);
        let rows = store::accounts_page(&mut self.db.reads(), me, after, limit + 1).await?;
        let page = Page::from_rows(rows, limit, |a| a.id.to_string());
        Ok(Page {
            items: self.account_view(page.items).await?,
            next_cursor: page.next_cursor,
        })
    }

    pub async fn account(&self, me: i64, id: i64) -> ApiResult<Account> {
        let row = self.own_account(me, id).await?;
        self.one_account(row).await
    }

    pub async fn change_account(&self, me: i64, id: i64, change: AccountChange) -> ApiResult<Account> {
        let row = self.own_account(me, id).await?;
        let name = change.name.as_deref().map(clean_name).transpose()?;
        let daily_limit = change.daily_limit.map(|l| self.daily_limit(Some(l))).transpose()?;
        let state = match change.paused {
            Some(true) => Some(("paused", "paused by its owner", None)),
            Some(false) if row.state == "paused" => Some(("active", "", None)),
            _ => None,
        };
        self.db
            .write(move |tx| Box::pin(async move { store::update_account(tx, id, name, daily_limit, state).await }))
            .await?;
        self.account(me, id).await
    }

    /// Asks the platform whether the account can act; a healthy logged-out or banned account
    /// becomes active again. A bot's chain of update polls is started again if it had ended.
    pub async fn check_account(&self, me: i64, id: i64) -> ApiResult<Account> {
        let row = self.own_account(me, id).await?;
        let (connector, identity) = self.acting(&row)?;
        let state = match connector.check(&identity).await {
            Ok(()) if matches!(row.state.as_str(), "logged_out" | "banned") => Some(("active", String::new(), None)),
            Ok(()) => None,
            Err(refusal @ (Refusal::LoggedOut | Refusal::Banned)) => ended(&refusal),
            Err(other) => return Err(ApiError::unavailable(format!("could not check the account: {other:?}"))),
        };
        if let Some(state) = state {
            self.set_state(id, state).await?;
        }
        if row.connector == telegram_bot::NAME {
            let now = now_ms();
            self.db
                .write(move |tx| Box::pin(async move { telegram_bot::revive_updates(tx, id, now).await }))
                .await?;
            self.engine.jobs.wake();
        }
        self.account(me, id).await
    }

    /// Publishes a message into a chat as the account, at its owner's request (what autopost
    /// does on a schedule). Posts do not count against the invite limit.
    pub async fn post(&self, me: i64, id: i64, new: NewPost) -> ApiResult<Published> {
        let row = self.own_account(me, id).await?;
        let key = match new.key {
            Some(key) if key.is_empty() || key.len() > MAX_POST_KEY_BYTES => {
                return Err(ApiError::validation("key", "must be 1 to 64 bytes"));
            }
            Some(key) => key,
            None => hybrid_core::secrets::random_token("p"),
        };
        let now = now_ms();
        match row.state.as_str() {
            "logged_out" | "banned" => {
                return Err(ApiError::new(
                    AutomationCode::WrongState,
                    format!("account {id} is {}: check it once its session is back", row.state),
                ));
            }
            "flood_wait" | "peer_flood" if row.rest_until.is_some_and(|until| until > now) => {
                let wait = (row.rest_until.unwrap_or(now) - now) / 1000 + 1;
                return Err(ApiError::too_many_requests(wait as u64));
            }
            _ => {}
        }
        let (connector, identity) = self.acting(&row)?;
        // like a campaign's step: the session must be alive before the account acts
        let posted = match connector.check(&identity).await {
            Ok(()) => connector.post(&identity, new.chat_id, &new.text, &[], &key).await,
            Err(refusal) => Err(refusal),
        };
        let refusal = match posted {
            Ok(message_id) => {
                return Ok(Published {
                    chat_id: new.chat_id,
                    message_id,
                });
            }
            Err(refusal) => refusal,
        };
        let (state, answer) = match refusal {
            Refusal::LoggedOut | Refusal::Banned => (
                ended(&refusal),
                ApiError::new(
                    AutomationCode::WrongState,
                    format!("account {id} cannot act: {refusal:?}"),
                ),
            ),
            Refusal::FloodWait(secs) => (
                Some(("flood_wait", format!("wait {secs} s"), Some(now + secs * 1000))),
                ApiError::too_many_requests(secs.max(1) as u64),
            ),
            Refusal::Forbidden(why) => (None, ApiError::forbidden(why).with_field("chat_id")),
            Refusal::Failed {
                reason,
                transient: true,
            } => (None, ApiError::unavailable(reason)),
            Refusal::Failed { reason, .. } => (None, ApiError::validation("text", reason)),
            other => (None, ApiError::unavailable(format!("the platform refused: {other:?}"))),
        };
        if let Some(state) = state {
            self.set_state(id, state).await?;
        }
        Err(answer)
    }

    pub async fn delete_account(&self, me: i64, id: i64) -> ApiResult<()> {
        let gone = self
            .db
            .write(move |tx| Box::pin(async move { store::delete_account(tx, me, id).await }))
            .await?;
        if !gone {
            return Err(ApiError::not_found("account"));
        }
        Ok(())
    }

    // ---- audiences

    fn parse_import(&self, text: &str, region: Option<&str>) -> ApiResult<audience::Parsed> {
        let max = self.config.max_import_bytes;
        if text.len() > max {
            return Err(ApiError::validation(
                "text",
                format!("an import holds at most {max} bytes"),
            ));
        }
        Ok(audience::parse(text, audience::region(region)?))
    }

    /// Adds a parse's people to an audience (in the caller's write), within the size limit.
    async fn add_parsed(
        tx: &mut hybrid_store::Sql<'_>,
        audience_id: i64,
        parsed: &audience::Parsed,
        max_size: i64,
    ) -> ApiResult<ImportReport> {
        let entries: Vec<(&str, &str)> = parsed.handles.iter().map(|h| (h.kind(), h.value())).collect();
        let added = store::add_entries(tx, audience_id, &entries).await?;
        let size = store::audience_size(tx, audience_id).await?;
        if size > max_size {
            return Err(ApiError::validation(
                "text",
                format!("an audience holds at most {max_size} people"),
            ));
        }
        Ok(ImportReport {
            added,
            duplicates: parsed.duplicates + entries.len() as i64 - added,
            rejected: parsed.rejected.clone(),
            rejected_count: parsed.rejected_count,
        })
    }

    pub async fn create_audience(&self, me: i64, new: NewAudience) -> ApiResult<Imported> {
        let name = clean_name(&new.name)?;
        let parsed = self.parse_import(&new.text, new.region.as_deref())?;
        let (max, max_size, now) = (
            self.config.max_audiences_per_owner,
            self.config.max_audience_size,
            now_ms(),
        );
        let (audience, report) = self
            .db
            .write(move |tx| {
                Box::pin(async move {
                    if store::count_owned(tx, "audiences", me).await? >= max {
                        return Err(too_many("audiences", max));
                    }
                    let audience = store::insert_audience(tx, me, &name, now).await?;
                    let report = Self::add_parsed(tx, audience.id, &parsed, max_size).await?;
                    Ok((audience, report))
                })
            })
            .await?;
        let audience = self.audience(me, audience.id).await?;
        Ok(Imported { audience, report })
    }

    pub async fn import(&self, me: i64, id: i64, import: AudienceImport) -> ApiResult<Imported> {
        self.audience(me, id).await?;
        let parsed = self.parse_import(&import.text, import.region.as_deref())?;
        let max_size = self.config.max_audience_size;
        let report = self
            .db
            .write(move |tx| Box::pin(async move { Self::add_parsed(tx, id, &parsed, max_size).await }))
            .await?;
        Ok(Imported {
            audience: self.audience(me, id).await?,
            report,
        })
    }

    pub async fn audience(&self, me: i64, id: i64) -> ApiResult<Audience> {
        store::audience(&mut self.db.reads(), me, id)
            .await?
            .ok_or_else(|| ApiError::not_found("audience"))
    }

    pub async fn audiences(&self, me: i64, cursor: Option<&str>, limit: Option<i64>) -> ApiResult<Page<Audience>> {
        let limit = page_limit(limit, 50, 200)?;
        let before = parse_cursor::<1>(cursor)?.map_or(i64::MAX, |[id]| id);
        let rows = store::audiences_page(&mut self.db.reads(), me, before, limit + 1).await?;
        Ok(Page::from_rows(rows, limit, |a| a.id.to_string()))
    }

    pub async fn entries(&self, me: i64, id: i64, cursor: Option<&str>, limit: Option<i64>) -> ApiResult<Page<Entry>> {
        self.audience(me, id).await?;
        let limit = page_limit(limit, 50, 1000)?;
        let after = parse_cursor::<1>(cursor)?.map_or(0, |[id]| id);
        let rows = store::entries_page(&mut self.db.scan(), id, after, limit + 1).await?;
        Ok(Page::from_rows(rows, limit, |e| e.id.to_string()))
    }

    /// Everything the audience holds about people, as CSV (`kind,value`).
    pub async fn export_audience(&self, me: i64, id: i64) -> ApiResult<String> {
        self.audience(me, id).await?;
        let mut csv = String::from("kind,value\n");
        let mut after = 0;
        loop {
            let rows = store::entries_page(&mut self.db.scan(), id, after, 1000).await?;
            let Some(last) = rows.last() else { break };
            after = last.id;
            for entry in &rows {
                csv.push_str(&format!("{},{}\n", entry.kind, csv_field(&entry.value)));
            }
        }
        Ok(csv)
    }

    /// Deletes an audience and every handle it held, also in the campaigns made from it
    /// (those still running are cancelled first).
    pub async fn delete_audience(&self, me: i64, id: i64) -> ApiResult<()> {
        self.audience(me, id).await?;
        let live = store::live_campaigns_of(&mut self.db.reads(), id).await?;
        for campaign in live {
            self.transition(&campaign, &["running", "paused"], "cancelled").await?;
        }
        let gone = self
            .db
            .write(move |tx| Box::pin(async move { store::delete_audience(tx, me, id).await }))
            .await?;
        if !gone {
            return Err(ApiError::not_found("audience"));
        }
        Ok(())
    }

    // ---- campaigns

    pub async fn start_campaign(&self, me: i64, new: NewCampaign) -> ApiResult<Campaign> {
        let name = clean_name(&new.name)?;
        let mode = new.mode.unwrap_or_else(|| "invite".into());
        if !MODES.contains(&mode.as_str()) {
            return Err(ApiError::validation("mode", "must be invite, link or invite_then_link"));
        }
        let link_text = new.link_text.unwrap_or_else(|| DEFAULT_LINK_TEXT.into());
        if link_text.chars().count() > MAX_LINK_TEXT_CHARS {
            return Err(ApiError::validation("link_text", "must be at most 1000 characters"));
        }
        let (floor, default_max) = (self.config.pause_min_ms, self.config.pause_max_ms);
        let pause_min_ms = new.pause_min_secs.map_or(floor, |s| s.saturating_mul(1000));
        let pause_max_ms = new
            .pause_max_secs
            .map_or(default_max.max(pause_min_ms), |s| s.saturating_mul(1000));
        if pause_min_ms < floor {
            let secs = floor / 1000;
            return Err(ApiError::validation(
                "pause_min_secs",
                format!("must be at least {secs}"),
            ));
        }
        if pause_max_ms < pause_min_ms || pause_max_ms > 7 * DAY_MS {
            return Err(ApiError::validation(
                "pause_max_secs",
                "must be at least pause_min_secs and at most a week",
            ));
        }
        let mut account_ids = new.account_ids;
        account_ids.sort_unstable();
        account_ids.dedup();
        if account_ids.is_empty() || account_ids.len() > MAX_CAMPAIGN_ACCOUNTS {
            return Err(ApiError::validation("account_ids", "give 1 to 20 of your accounts"));
        }
        self.audience(me, new.audience_id)
            .await
            .map_err(|_| ApiError::validation("audience_id", "no such audience of yours"))?;
        for &id in &account_ids {
            let account = store::account(&mut self.db.reads(), me, id)
                .await?
                .ok_or_else(|| ApiError::validation("account_ids", format!("no account {id} of yours")))?;
            self.check_in_chat(&account, new.target_chat_id, ("target_chat_id", "account_ids"))
                .await?;
        }
        let now = now_ms();
        let max = self.config.max_campaigns_per_owner;
        let audience_id = new.audience_id;
        let target_chat_id = new.target_chat_id;
        let row = self
            .db
            .write(move |tx| {
                Box::pin(async move {
                    if store::count_owned(tx, "campaigns", me).await? >= max {
                        return Err(too_many("campaigns", max));
                    }
                    let row = NewCampaignRow {
                        owner_id: me,
                        name: &name,
                        target_chat_id,
                        mode: &mode,
                        link_text: &link_text,
                        pause_min_ms,
                        pause_max_ms,
                        now,
                    };
                    let campaign = store::insert_campaign(tx, &row, audience_id, &account_ids).await?;
                    engine::schedule_step(tx, campaign.id, now, "", now).await?;
                    Ok(campaign)
                })
            })
            .await?;
        self.engine.jobs.wake();
        self.campaign_view(row).await
    }

    /// An account acts in (or reads) a chat only if it is in it. The fields name, in the
    /// caller's request, the chat and the account(s).
    async fn check_in_chat(
        &self,
        account: &AccountRow,
        chat_id: i64,
        (chat_field, account_field): (&'static str, &'static str),
    ) -> ApiResult<()> {
        let (connector, identity) = self.acting(account)?;
        match connector.is_member(&identity, chat_id, account.actor_id).await {
            Ok(true) => Ok(()),
            Ok(false) | Err(Refusal::Forbidden(_)) => Err(ApiError::validation(
                chat_field,
                format!("account {} is not in that chat", account.id),
            )),
            Err(refusal) => Err(ApiError::validation(
                account_field,
                format!("account {} cannot act now: {refusal:?}", account.id),
            )),
        }
    }

    pub(crate) async fn own_campaign(&self, me: i64, id: i64) -> ApiResult<CampaignRow> {
        store::campaign(&mut self.db.reads(), id)
            .await?
            .filter(|c| c.owner_id == me)
            .ok_or_else(|| ApiError::not_found("campaign"))
    }

    async fn campaign_view(&self, row: CampaignRow) -> ApiResult<Campaign> {
        let mut reads = self.db.reads();
        let counts = store::progress(&mut reads, row.id).await?;
        let accounts = store::campaign_accounts(&mut reads, row.id).await?;
        let mut progress = Progress::default();
        for (outcome, count) in counts {
            progress.total += count;
            if let Some(outcome) = outcome {
                progress.settled += count;
                progress.outcomes.insert(outcome, count);
            }
        }
        if row.state == "running" {
            let (first, last, actions) = store::pace(&mut reads, row.id).await?;
            if let (Some(first), Some(last), true) = (first, last, actions >= 2) {
                let per_action = (last - first) / (actions - 1);
                progress.eta = Some(now_ms().max(last) + per_action * (progress.total - progress.settled));
            }
        }
        Ok(Campaign {
            id: row.id,
            name: row.name,
            audience_id: row.audience_id,
            target_chat_id: row.target_chat_id,
            account_ids: accounts.into_iter().map(|(id, _)| id).collect(),
            mode: row.mode,
            link_text: row.link_text,
            pause_min_secs: row.pause_min_ms / 1000,
            pause_max_secs: row.pause_max_ms / 1000,
            state: row.state,
            waiting: row.waiting,
            progress,
            created_at: row.created_at,
            finished_at: row.finished_at,
            inbound_path: row.inbound_hook.as_deref().map(inbound::path_of),
        })
    }

    pub async fn campaign(&self, me: i64, id: i64) -> ApiResult<Campaign> {
        let row = self.own_campaign(me, id).await?;
        self.campaign_view(row).await
    }

    pub async fn campaigns(&self, me: i64, cursor: Option<&str>, limit: Option<i64>) -> ApiResult<Page<Campaign>> {
        let limit = page_limit(limit, 50, 200)?;
        let before = parse_cursor::<1>(cursor)?.map_or(i64::MAX, |[id]| id);
        let rows = store::campaigns_page(&mut self.db.reads(), me, before, limit + 1).await?;
        let page = Page::from_rows(rows, limit, |c| c.id.to_string());
        let mut items = Vec::with_capacity(page.items.len());
        for row in page.items {
            items.push(self.campaign_view(row).await?);
        }
        Ok(Page {
            items,
            next_cursor: page.next_cursor,
        })
    }

    pub async fn contacts(
        &self,
        me: i64,
        id: i64,
        outcome: Option<&str>,
        order: Option<&str>,
        cursor: Option<&str>,
        limit: Option<i64>,
    ) -> ApiResult<Page<Contact>> {
        self.own_campaign(me, id).await?;
        let limit = page_limit(limit, 50, 200)?;
        let recent = match order {
            None | Some("audience") => false,
            Some("recent") => true,
            Some(_) => return Err(ApiError::validation("order", "must be `audience` or `recent`")),
        };
        let from = if recent {
            store::ContactsFrom::RecentBefore(parse_cursor::<2>(cursor)?.map(|[at, id]| (at, id)))
        } else {
            store::ContactsFrom::After(parse_cursor::<1>(cursor)?.map_or(0, |[id]| id))
        };
        let rows = store::contacts_page(&mut self.db.reads(), id, outcome, from, limit + 1).await?;
        Ok(Page::from_rows(rows, limit, |c| match recent {
            true => format!("{}:{}", c.updated_at, c.id),
            false => c.id.to_string(),
        }))
    }

    /// Every contact with its outcome, as CSV.
    pub async fn export_campaign(&self, me: i64, id: i64) -> ApiResult<String> {
        self.own_campaign(me, id).await?;
        let mut csv = String::from("kind,value,outcome,detail,user_id,account_id,attempts,updated_at\n");
        let mut after = 0;
        loop {
            let rows = store::contacts_after(&mut self.db.scan(), id, after, 1000).await?;
            let Some(last) = rows.last() else { break };
            after = last.id;
            for c in &rows {
                csv.push_str(&format!(
                    "{},{},{},{},{},{},{},{}\n",
                    c.kind,
                    csv_field(&c.value),
                    c.outcome.as_deref().unwrap_or("pending"),
                    csv_field(&c.detail),
                    c.user_id.map(|id| id.to_string()).unwrap_or_default(),
                    c.account_id.map(|id| id.to_string()).unwrap_or_default(),
                    c.attempts,
                    c.updated_at
                ));
            }
        }
        Ok(csv)
    }

    /// Moves a campaign between states; a pause or cancel also cancels its pending or running
    /// step, so it stops at once.
    async fn transition(
        &self,
        campaign: &CampaignRow,
        from: &'static [&'static str],
        to: &'static str,
    ) -> ApiResult<CampaignRow> {
        let (id, now) = (campaign.id, now_ms());
        let moved = self
            .db
            .write(move |tx| {
                Box::pin(async move {
                    let row = store::set_campaign_state(tx, id, from, to, now).await?;
                    if row.is_some() && to == "running" {
                        engine::schedule_step(tx, id, now, "", now).await?;
                    }
                    Ok::<_, ApiError>(row)
                })
            })
            .await?
            .ok_or_else(|| {
                ApiError::new(
                    AutomationCode::WrongState,
                    format!(
                        "the campaign is {}; it must be {} for this",
                        campaign.state,
                        from.join(" or ")
                    ),
                )
            })?;
        if to == "running" {
            self.engine.jobs.wake();
        } else if let Some(job) = moved.step_job {
            self.engine.jobs.cancel(job).await?;
        }
        self.engine.tell(&moved, None);
        Ok(moved)
    }

    pub async fn pause(&self, me: i64, id: i64) -> ApiResult<Campaign> {
        let row = self.own_campaign(me, id).await?;
        let row = self.transition(&row, &["running"], "paused").await?;
        self.campaign_view(row).await
    }

    pub async fn resume(&self, me: i64, id: i64) -> ApiResult<Campaign> {
        let row = self.own_campaign(me, id).await?;
        self.transition(&row, &["paused"], "running").await?;
        self.campaign(me, id).await
    }

    pub async fn cancel(&self, me: i64, id: i64) -> ApiResult<Campaign> {
        let row = self.own_campaign(me, id).await?;
        let row = self.transition(&row, &["running", "paused"], "cancelled").await?;
        self.campaign_view(row).await
    }

    /// Deletes a finished or cancelled campaign with its contacts and attempts.
    pub async fn delete_campaign(&self, me: i64, id: i64) -> ApiResult<()> {
        let row = self.own_campaign(me, id).await?;
        if matches!(row.state.as_str(), "running" | "paused") {
            return Err(ApiError::new(
                AutomationCode::WrongState,
                "cancel the campaign before deleting it",
            ));
        }
        self.db
            .write(move |tx| Box::pin(async move { store::delete_campaign(tx, id).await }))
            .await?;
        Ok(())
    }

    // ---- parses

    /// Starts a parse into a new audience; the account must be in the source chat.
    pub async fn start_parse(&self, me: i64, new: NewParse) -> ApiResult<Parse> {
        let name = clean_name(&new.audience_name).map_err(|e| e.with_field("audience_name"))?;
        let source = new.source.unwrap_or_else(|| "members".into());
        if !["members", "authors"].contains(&source.as_str()) {
            return Err(ApiError::validation("source", "must be members or authors"));
        }
        let most = self.config.max_audience_size;
        let max_people = new.max_people.unwrap_or(most);
        if !(1..=most).contains(&max_people) {
            return Err(ApiError::validation(
                "max_people",
                format!("must be between 1 and {most}"),
            ));
        }
        let account = store::account(&mut self.db.reads(), me, new.account_id)
            .await?
            .ok_or_else(|| ApiError::validation("account_id", "no such account of yours"))?;
        self.check_in_chat(&account, new.source_chat_id, ("source_chat_id", "account_id"))
            .await?;
        let (max_audiences, now) = (self.config.max_audiences_per_owner, now_ms());
        let (account_id, source_chat_id) = (account.id, new.source_chat_id);
        let row = self
            .db
            .write(move |tx| {
                Box::pin(async move {
                    if store::running_parses(tx, me).await? >= MAX_RUNNING_PARSES {
                        return Err(too_many("running parses", MAX_RUNNING_PARSES));
                    }
                    if store::count_owned(tx, "audiences", me).await? >= max_audiences {
                        return Err(too_many("audiences", max_audiences));
                    }
                    let audience = store::insert_audience(tx, me, &name, now).await?;
                    let new = NewParseRow {
                        owner_id: me,
                        account_id,
                        audience_id: audience.id,
                        source_chat_id,
                        source: &source,
                        max_people,
                        now,
                    };
                    let row = store::insert_parse(tx, &new).await?;
                    parser::schedule_step(tx, row.id, now, now).await?;
                    Ok(row)
                })
            })
            .await?;
        self.engine.jobs.wake();
        Ok(row.view())
    }

    async fn own_parse(&self, me: i64, id: i64) -> ApiResult<store::ParseRow> {
        store::parse(&mut self.db.reads(), id)
            .await?
            .filter(|p| p.owner_id == me)
            .ok_or_else(|| ApiError::not_found("parse"))
    }

    pub async fn parse(&self, me: i64, id: i64) -> ApiResult<Parse> {
        Ok(self.own_parse(me, id).await?.view())
    }

    pub async fn parses(&self, me: i64, cursor: Option<&str>, limit: Option<i64>) -> ApiResult<Page<Parse>> {
        let limit = page_limit(limit, 50, 200)?;
        let before = parse_cursor::<1>(cursor)?.map_or(i64::MAX, |[id]| id);
        let rows = store::parses_page(&mut self.db.reads(), me, before, limit + 1).await?;
        let page = Page::from_rows(rows, limit, |p| p.id.to_string());
        Ok(Page {
            items: page.items.into_iter().map(store::ParseRow::view).collect(),
            next_cursor: page.next_cursor,
        })
    }

    /// Stops a running parse at once; what it found so far stays in its audience. A parse that
    /// has ended already is answered as it is.
    pub async fn cancel_parse(&self, me: i64, id: i64) -> ApiResult<Parse> {
        let row = self.own_parse(me, id).await?;
        let now = now_ms();
        let ended = self
            .db
            .write(move |tx| Box::pin(async move { store::end_parse(tx, id, "cancelled", "", now).await }))
            .await?;
        let Some(ended) = ended else {
            return Ok(row.view());
        };
        if let Some(job) = ended.step_job {
            self.engine.jobs.cancel(job).await?;
        }
        let parse = ended.view();
        let frame = crate::events::AutomationFrame::ParseUpdated { parse: parse.clone() };
        self.engine.tell_owner(me, &frame);
        Ok(parse)
    }

    /// Seals every account secret again under the current key.
    pub async fn reseal(db: &Db, secrets: &Secrets) -> anyhow::Result<usize> {
        #[derive(Clone, Copy)]
        enum Holder {
            Account(i64),
            Inbound(i64),
        }
        let mut reads = db.reads();
        let accounts = store::secrets(&mut reads).await?;
        let hooks = store::inbound_secrets(&mut reads).await?;
        let all = (accounts.into_iter().map(|(id, s)| (Holder::Account(id), s)))
            .chain(hooks.into_iter().map(|(id, s)| (Holder::Inbound(id), s)));
        let mut changed = 0;
        for (holder, sealed) in all {
            let context = match holder {
                Holder::Account(id) => secret_context(id),
                Holder::Inbound(id) => inbound::secret_context(id),
            };
            if let Some(resealed) = secrets.reseal(&context, &sealed)? {
                db.write(move |tx| {
                    let resealed = resealed.clone();
                    Box::pin(async move {
                        match holder {
                            Holder::Account(id) => store::set_secret(tx, id, resealed).await,
                            Holder::Inbound(id) => store::set_inbound_secret(tx, id, resealed).await,
                        }
                    })
                })
                .await?;
                changed += 1;
            }
        }
        Ok(changed)
    }
}

/// A CSV field, quoted when it holds a comma, quote or line break.
pub(crate) fn csv_field(value: &str) -> String {
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_owned()
    }
}
