//! The few API calls the scenarios need, over one pooled HTTP client.

use anyhow::{Context, bail};
use futures_util::{StreamExt, stream};
use serde_json::{Value, json};

#[derive(Clone)]
pub struct Api {
    pub http: reqwest::Client,
    pub base: String,
}

#[derive(Debug, Clone)]
pub struct User {
    pub id: i64,
    pub token: String,
}

/// Requests in flight while setting up.
const SETUP_CONCURRENCY: usize = 32;

impl Api {
    pub fn new(base: &str) -> Api {
        Api {
            http: reqwest::Client::builder()
                .pool_max_idle_per_host(1024)
                .tcp_nodelay(true)
                .build()
                .expect("HTTP client"),
            base: base.to_owned(),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}/api/v1{path}", self.base)
    }

    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> anyhow::Result<Value> {
        let mut request = self.http.request(method, self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.with_context(|| path.to_owned())?;
        let status = response.status();
        let text = response.text().await?;
        if !status.is_success() {
            bail!("{path}: {status} {text}");
        }
        Ok(if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text)?
        })
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: Value) -> anyhow::Result<Value> {
        self.call(reqwest::Method::POST, path, token, Some(body)).await
    }

    pub async fn register(&self, username: &str) -> anyhow::Result<User> {
        let body = json!({"username": username, "password": "bench password 1"});
        let tokens = self.post("/auth/register", None, body).await?;
        Ok(User {
            id: tokens["user"]["id"].as_i64().context("user id")?,
            token: tokens["access_token"].as_str().context("token")?.to_owned(),
        })
    }

    /// `n` new accounts named `<prefix><i>`.
    pub async fn users(&self, prefix: &str, n: usize) -> anyhow::Result<Vec<User>> {
        stream::iter(0..n)
            .map(|i| async move { self.register(&format!("{prefix}user{i}")).await })
            .buffered(SETUP_CONCURRENCY)
            .collect::<Vec<_>>()
            .await
            .into_iter()
            .collect()
    }

    pub async fn direct(&self, a: &User, b: &User) -> anyhow::Result<i64> {
        let chat = self
            .post("/chats", Some(&a.token), json!({"kind": "direct", "user_id": b.id}))
            .await?;
        chat["id"].as_i64().context("chat id")
    }

    /// A group of `owner` and `members`, added 200 at a time.
    pub async fn group(&self, owner: &User, members: &[User]) -> anyhow::Result<i64> {
        let chat = self
            .post(
                "/chats",
                Some(&owner.token),
                json!({"kind": "group", "title": "bench", "member_ids": []}),
            )
            .await?;
        let chat_id = chat["id"].as_i64().context("chat id")?;
        let batches: Vec<Vec<i64>> = members
            .iter()
            .filter(|m| m.id != owner.id)
            .map(|m| m.id)
            .collect::<Vec<_>>()
            .chunks(200)
            .map(<[i64]>::to_vec)
            .collect();
        for ids in batches {
            self.post(
                &format!("/chats/{chat_id}/members"),
                Some(&owner.token),
                json!({"user_ids": ids}),
            )
            .await?;
        }
        Ok(chat_id)
    }

    /// Sends a message; `Ok` once the server acknowledged it (201).
    pub async fn send(&self, token: &str, chat_id: i64, text: String) -> anyhow::Result<()> {
        let response = self
            .http
            .post(self.url(&format!("/chats/{chat_id}/messages")))
            .bearer_auth(token)
            .json(&json!({"text": text}))
            .send()
            .await?;
        if response.status() != reqwest::StatusCode::CREATED {
            bail!("send: {}", response.status());
        }
        Ok(())
    }
}
