//! A campaign's inbound webhook (the legacy one-contact-per-request mode): another system
//! posts one phone or username at a time, and the campaign takes it as a new contact. The
//! sender proves it holds the hook's secret by sending it (`x-hybrid-token`) or by signing the
//! body with it (`x-hybrid-signature`, the scheme Hybrid's own outgoing webhooks use).

use axum::http::HeaderMap;
use hybrid_core::outbound::signature::{SIGNATURE_HEADER, constant_time_eq, verify};
use hybrid_core::secrets::random_token;
use hybrid_core::{ApiError, ApiResult, Code, now_ms};

use crate::api::{AutomationCode, Contact, InboundContact, InboundHook};
use crate::audience;
use crate::engine;
use crate::service::Automation;
use crate::store;

/// The header carrying the secret itself.
pub const TOKEN_HEADER: &str = "x-hybrid-token";
/// How old a signature may be.
const MAX_SIGNATURE_AGE_SECS: i64 = 300;

pub fn secret_context(campaign: i64) -> String {
    format!("automation-inbound:{campaign}")
}

pub fn path_of(hook: &str) -> String {
    format!("/api/v1/automation/inbound/{hook}")
}

/// Whether the request carries `secret`, or a fresh signature of `body` made with it.
fn authentic(headers: &HeaderMap, body: &[u8], secret: &[u8]) -> bool {
    if let Some(token) = headers.get(TOKEN_HEADER) {
        return constant_time_eq(token.as_bytes(), secret);
    }
    match headers.get(SIGNATURE_HEADER).and_then(|v| v.to_str().ok()) {
        Some(signature) => verify(secret, signature, body, now_ms() / 1000, MAX_SIGNATURE_AGE_SECS),
        None => false,
    }
}

impl Automation {
    /// Makes the campaign's inbound webhook, or replaces its secret (the old one stops working).
    pub async fn open_inbound(&self, me: i64, id: i64) -> ApiResult<InboundHook> {
        let campaign = self.own_campaign(me, id).await?;
        let hook = campaign
            .inbound_hook
            .unwrap_or_else(|| random_token("").chars().take(24).collect());
        let secret = random_token("");
        let sealed = self.secrets.seal(&secret_context(id), secret.as_bytes());
        let stored = hook.clone();
        self.db
            .write(move |tx| {
                let sealed = sealed.clone();
                let hook = stored.clone();
                Box::pin(async move { store::set_inbound(tx, id, Some((&hook, sealed))).await })
            })
            .await?;
        Ok(InboundHook {
            path: path_of(&hook),
            secret,
        })
    }

    pub async fn close_inbound(&self, me: i64, id: i64) -> ApiResult<()> {
        self.own_campaign(me, id).await?;
        self.db
            .write(move |tx| Box::pin(async move { store::set_inbound(tx, id, None).await }))
            .await?;
        Ok(())
    }

    /// One contact through the hook: added (`true`), or the one the campaign has already. A
    /// finished campaign runs again for it; a cancelled one takes nobody.
    pub async fn take_contact(&self, hook: &str, headers: &HeaderMap, body: &[u8]) -> ApiResult<(bool, Contact)> {
        let unknown = || ApiError::not_found("inbound webhook");
        let (campaign, sealed) = store::campaign_by_hook(&mut self.db.reads(), hook)
            .await?
            .ok_or_else(unknown)?;
        let secret = self
            .secrets
            .open(&secret_context(campaign.id), &sealed)
            .map_err(ApiError::internal)?;
        if !authentic(headers, body, &secret) {
            return Err(ApiError::new(
                Code::Unauthorized,
                format!("send the hook's secret in {TOKEN_HEADER}, or sign the body in {SIGNATURE_HEADER}"),
            ));
        }
        let sent: InboundContact = hybrid_core::json::parse(body)?;
        let handle = audience::handle(sent.contact.trim(), audience::region(sent.region.as_deref())?)
            .map_err(|reason| ApiError::validation("contact", reason))?;
        if campaign.state == "cancelled" {
            return Err(ApiError::new(AutomationCode::WrongState, "the campaign was cancelled"));
        }
        let (id, now, max) = (campaign.id, now_ms(), self.config.max_audience_size);
        let taken = self
            .db
            .write(move |tx| {
                let handle = handle.clone();
                Box::pin(async move {
                    if let Some(known) = store::contact_by_value(tx, id, handle.value()).await? {
                        return Ok::<_, ApiError>((false, known, false));
                    }
                    if store::contact_count(tx, id).await? >= max {
                        return Err(ApiError::new(
                            AutomationCode::TooMany,
                            format!("the campaign has {max} people, the most one may"),
                        ));
                    }
                    let contact = store::add_contact(tx, id, handle.kind(), handle.value(), now).await?;
                    // a finished campaign goes on with the newcomer
                    let reopened = store::set_campaign_state(tx, id, &["finished"], "running", now).await?;
                    if reopened.is_some() {
                        engine::schedule_step(tx, id, now, "", now).await?;
                    }
                    Ok((true, contact, reopened.is_some()))
                })
            })
            .await?;
        let (added, contact, reopened) = taken;
        if reopened {
            self.engine.jobs.wake();
        }
        if added {
            let row = store::campaign(&mut self.db.reads(), id).await?.ok_or_else(unknown)?;
            self.engine.tell(&row, Some(contact.clone()));
        }
        Ok((added, contact))
    }
}
