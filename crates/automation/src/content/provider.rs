//! An owner's AI provider and prompts: shown without the key, changed field by field, the key
//! sealed with the master key. No model set means the pipeline runs offline.

use hybrid_core::{ApiError, ApiResult, Secrets, now_ms};
use hybrid_store::Db;

use super::Content;
use super::api::{ContentSettings, ContentSettingsChange};
use super::store::{self, SettingsRow};

pub const DEFAULT_BASE_URL: &str = "https://api.openai.com/v1";

pub const DEFAULT_SUMMARY_PROMPT: &str = "Summarise this part of the book \"{book}\" (chapter \"{chapter}\") in three to five \
sentences, in the language of the text: its key ideas, what a reader can use, and one short quote if there is a good one. \
Answer with the summary only.\n\n{text}";

pub const DEFAULT_POST_PROMPT: &str = "Write a post for a channel from this summary of a part of the book \"{book}\" \
(chapter \"{chapter}\"): a bold first line, then two to four short paragraphs, in the language of the summary, under \
1000 characters. Use Markdown for emphasis (**bold**, *italic*). Answer with the post only.\n\n{summary}";

const MAX_PROMPT_CHARS: usize = 4000;
const MAX_PRICE_USD: f64 = 1000.0;
/// Prices are kept in millionths of a dollar.
const MICROS: f64 = 1_000_000.0;

/// The context an owner's sealed key is bound to.
fn key_context(owner: i64) -> String {
    format!("automation-content-key:{owner}")
}

fn defaults(owner_id: i64) -> SettingsRow {
    SettingsRow {
        owner_id,
        base_url: DEFAULT_BASE_URL.into(),
        api_key: Vec::new(),
        model: String::new(),
        summary_prompt: DEFAULT_SUMMARY_PROMPT.into(),
        post_prompt: DEFAULT_POST_PROMPT.into(),
        price_in: 0,
        price_out: 0,
        requests_per_minute: 20,
    }
}

/// An owner's settings with the key opened, as jobs use them.
pub struct Settings {
    pub row: SettingsRow,
    pub api_key: String,
}

impl Settings {
    /// Whether a model writes summaries and posts (else the offline way does).
    pub fn online(&self) -> bool {
        !self.row.model.is_empty()
    }

    pub fn provider(&self) -> super::ai::Provider<'_> {
        super::ai::Provider {
            base_url: &self.row.base_url,
            api_key: &self.api_key,
            model: &self.row.model,
        }
    }

    pub fn price(&self) -> (f64, f64) {
        (self.row.price_in as f64 / MICROS, self.row.price_out as f64 / MICROS)
    }
}

fn view(row: &SettingsRow) -> ContentSettings {
    ContentSettings {
        base_url: row.base_url.clone(),
        has_api_key: !row.api_key.is_empty(),
        model: row.model.clone(),
        summary_prompt: row.summary_prompt.clone(),
        post_prompt: row.post_prompt.clone(),
        price_in: row.price_in as f64 / MICROS,
        price_out: row.price_out as f64 / MICROS,
        requests_per_minute: row.requests_per_minute,
    }
}

fn prompt(field: &str, text: String, needs: &str) -> ApiResult<String> {
    if text.trim().is_empty() || text.chars().count() > MAX_PROMPT_CHARS {
        return Err(ApiError::validation(field, "must be 1 to 4000 characters"));
    }
    if !text.contains(needs) {
        return Err(ApiError::validation(
            field,
            format!("must contain {needs}, where it goes"),
        ));
    }
    Ok(text)
}

fn price(field: &str, usd: f64) -> ApiResult<i64> {
    if !(0.0..=MAX_PRICE_USD).contains(&usd) {
        return Err(ApiError::validation(
            field,
            "must be 0 to 1000 (US dollars per million tokens)",
        ));
    }
    Ok((usd * MICROS).round() as i64)
}

fn base_url(url: String) -> ApiResult<String> {
    let url = url.trim().trim_end_matches('/').to_owned();
    let valid = url.len() <= 500
        && (url.starts_with("https://") || url.starts_with("http://"))
        && url.split("://").nth(1).is_some_and(|rest| !rest.is_empty())
        && !url.chars().any(char::is_whitespace);
    if !valid {
        return Err(ApiError::validation(
            "base_url",
            "must be an http(s) URL such as https://api.openai.com/v1",
        ));
    }
    Ok(url)
}

impl Content {
    async fn settings_row(&self, owner: i64) -> ApiResult<SettingsRow> {
        Ok(store::settings(&mut self.db.reads(), owner)
            .await?
            .unwrap_or_else(|| defaults(owner)))
    }

    /// An owner's settings with the key opened.
    pub async fn provider_settings(&self, owner: i64) -> ApiResult<Settings> {
        let row = self.settings_row(owner).await?;
        let api_key = if row.api_key.is_empty() {
            String::new()
        } else {
            let plain = self
                .secrets()
                .open(&key_context(owner), &row.api_key)
                .map_err(|e| ApiError::internal(format!("the AI key of user {owner} does not open: {e}")))?;
            String::from_utf8_lossy(&plain).into_owned()
        };
        Ok(Settings { row, api_key })
    }

    pub async fn settings(&self, me: i64) -> ApiResult<ContentSettings> {
        Ok(view(&self.settings_row(me).await?))
    }

    pub async fn change_settings(&self, me: i64, change: ContentSettingsChange) -> ApiResult<ContentSettings> {
        let mut row = self.settings_row(me).await?;
        if let Some(url) = change.base_url {
            row.base_url = base_url(url)?;
        }
        if let Some(key) = change.api_key {
            let key = key.trim();
            if key.len() > 500 || key.chars().any(char::is_whitespace) {
                return Err(ApiError::validation(
                    "api_key",
                    "must be at most 500 characters, without spaces",
                ));
            }
            row.api_key = if key.is_empty() {
                Vec::new()
            } else {
                self.secrets().seal(&key_context(me), key.as_bytes())
            };
        }
        if let Some(model) = change.model {
            let model = model.trim();
            if model.len() > 200 {
                return Err(ApiError::validation("model", "must be at most 200 characters"));
            }
            row.model = model.to_owned();
        }
        if let Some(text) = change.summary_prompt {
            row.summary_prompt = prompt("summary_prompt", text, "{text}")?;
        }
        if let Some(text) = change.post_prompt {
            row.post_prompt = prompt("post_prompt", text, "{summary}")?;
        }
        if let Some(usd) = change.price_in {
            row.price_in = price("price_in", usd)?;
        }
        if let Some(usd) = change.price_out {
            row.price_out = price("price_out", usd)?;
        }
        if let Some(rpm) = change.requests_per_minute {
            if !(1..=600).contains(&rpm) {
                return Err(ApiError::validation("requests_per_minute", "must be between 1 and 600"));
            }
            row.requests_per_minute = rpm;
        }
        let (saved, now) = (row.clone(), now_ms());
        self.db
            .write(move |tx| {
                let saved = saved.clone();
                Box::pin(async move { store::save_settings(tx, &saved, now).await })
            })
            .await?;
        Ok(view(&row))
    }
}

/// Reseals every owner's key under the current master key; how many changed.
pub async fn reseal(db: &Db, secrets: &Secrets) -> anyhow::Result<usize> {
    let mut changed = 0;
    for (owner, sealed) in store::sealed_keys(&mut db.reads()).await? {
        if let Some(resealed) = secrets.reseal(&key_context(owner), &sealed)? {
            db.write(move |tx| {
                let resealed = resealed.clone();
                Box::pin(async move { store::set_sealed_key(tx, owner, resealed).await })
            })
            .await?;
            changed += 1;
        }
    }
    Ok(changed)
}

/// `template` with each `{name}` replaced by its value, in one pass (a value that holds
/// `{text}` itself stays as it is).
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(template.len() + values.iter().map(|(_, v)| v.len()).sum::<usize>());
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let named = after.find('}').and_then(|close| {
            values
                .iter()
                .find(|(name, _)| *name == &after[..close])
                .map(|(_, v)| (close, v))
        });
        match named {
            Some((close, value)) => {
                out.push_str(value);
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_replaces_every_named_place() {
        let filled = fill(
            "{book}: {chapter} / {book} {x}",
            &[("book", "B {chapter}"), ("chapter", "C")],
        );
        assert_eq!(filled, "B {chapter}: C / B {chapter} {x}");
    }

    #[test]
    fn settings_are_checked() {
        assert!(base_url("ftp://x".into()).is_err());
        assert!(base_url("https://".into()).is_err());
        assert_eq!(
            base_url(" http://127.0.0.1:8000/v1/ ".into()).unwrap(),
            "http://127.0.0.1:8000/v1"
        );
        assert!(prompt("p", "no place".into(), "{text}").is_err());
        assert!(price("price_in", -1.0).is_err());
        assert_eq!(price("price_in", 2.5).unwrap(), 2_500_000);
    }
}
