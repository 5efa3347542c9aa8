//! An OpenAI-compatible chat-completions client (OpenAI, Together.ai, and local servers such as
//! llama.cpp's or Ollama's that speak the same API), sending through the outbound component, and
//! what its answers mean for a job: done, wait, try again, or stop.

use std::time::Duration;

use axum::body::Bytes;
use hybrid_core::outbound::{Outbound, OutboundError};
use serde::Deserialize;
use serde_json::json;

/// Where and as whom to call.
pub struct Provider<'a> {
    /// `…/v1`, without the trailing `/chat/completions`.
    pub base_url: &'a str,
    /// Empty when the server wants none (a local one).
    pub api_key: &'a str,
    pub model: &'a str,
}

/// A model's answer and what it cost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub text: String,
    pub tokens_in: i64,
    pub tokens_out: i64,
}

/// Why a call gave no answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// Rate limited or overloaded: ask again later (after this long, when the server said).
    Wait(String, Option<Duration>),
    /// The exchange broke (timeout, network, a 5xx): ask again after a backoff.
    Transient(String),
    /// This request cannot succeed (too long for the model, refused content): give up on it.
    Rejected(String),
    /// No request can succeed until the settings change (a bad key, an unknown model, no
    /// money left, an address the server may not reach): stop the whole run.
    Stop(String),
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Wait(why, _) | Failure::Transient(why) | Failure::Rejected(why) | Failure::Stop(why) => {
                f.write_str(why)
            }
        }
    }
}

/// The request body for one user message.
pub fn request_body(model: &str, prompt: &str, max_tokens: i64) -> Bytes {
    let body = json!({
        "model": model,
        "messages": [{"role": "user", "content": prompt}],
        "max_tokens": max_tokens,
        "temperature": 0.3,
    });
    Bytes::from(serde_json::to_vec(&body).expect("a JSON value serializes"))
}

/// Asks `provider`'s model `prompt`, answering in at most `max_tokens`.
pub async fn complete(
    http: &Outbound,
    provider: &Provider<'_>,
    prompt: &str,
    max_tokens: i64,
) -> Result<Answer, Failure> {
    let url = format!("{}/chat/completions", provider.base_url.trim_end_matches('/'));
    let bearer = format!("Bearer {}", provider.api_key);
    let headers: &[(&str, &str)] = if provider.api_key.is_empty() {
        &[]
    } else {
        &[("authorization", bearer.as_str())]
    };
    let answer = http
        .post_json(&url, request_body(provider.model, prompt, max_tokens), headers)
        .await
        .map_err(|err| match err {
            err if err.is_transient() => Failure::Transient(format!("the AI provider: {err}")),
            OutboundError::TooLarge(_) => Failure::Rejected(format!("the AI provider's answer: {err}")),
            err => Failure::Stop(format!("the AI provider at {}: {err}", provider.base_url)),
        })?;
    read_answer(answer.status, &answer.body, answer.retry_after)
}

#[derive(Deserialize)]
struct Completion {
    choices: Vec<Choice>,
    #[serde(default)]
    usage: Option<Usage>,
}

#[derive(Deserialize)]
struct Choice {
    message: Message,
}

#[derive(Deserialize)]
struct Message {
    #[serde(default)]
    content: Option<String>,
}

#[derive(Deserialize)]
struct Usage {
    #[serde(default)]
    prompt_tokens: i64,
    #[serde(default)]
    completion_tokens: i64,
}

#[derive(Deserialize)]
struct ErrorAnswer {
    error: ErrorDetail,
}

#[derive(Deserialize)]
struct ErrorDetail {
    #[serde(default)]
    message: String,
    #[serde(default)]
    code: Option<serde_json::Value>,
    #[serde(default, rename = "type")]
    kind: Option<String>,
}

/// What an answer of `status` with `body` means.
pub fn read_answer(status: u16, body: &[u8], retry_after: Option<Duration>) -> Result<Answer, Failure> {
    if status == 200 {
        let completion: Completion = serde_json::from_slice(body)
            .map_err(|err| Failure::Transient(format!("the AI provider's answer is not a chat completion: {err}")))?;
        let text = completion
            .choices
            .into_iter()
            .next()
            .and_then(|c| c.message.content)
            .map(|t| t.trim().to_owned())
            .unwrap_or_default();
        if text.is_empty() {
            return Err(Failure::Rejected("the model answered nothing".into()));
        }
        let usage = completion.usage.unwrap_or(Usage {
            prompt_tokens: 0,
            completion_tokens: 0,
        });
        return Ok(Answer {
            text,
            tokens_in: usage.prompt_tokens,
            tokens_out: usage.completion_tokens,
        });
    }
    let detail = serde_json::from_slice::<ErrorAnswer>(body).ok().map(|e| e.error);
    let code = detail
        .as_ref()
        .and_then(|d| {
            d.code
                .as_ref()
                .and_then(|c| c.as_str().map(str::to_owned))
                .or_else(|| d.kind.clone())
        })
        .unwrap_or_default();
    let said = detail
        .map(|d| d.message)
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| String::from_utf8_lossy(&body[..body.len().min(200)]).into_owned());
    let why = format!("the AI provider answered {status}: {said}");
    Err(match status {
        // OpenAI answers 429 both for "slow down" and for "no money left"; only the first passes
        429 if code == "insufficient_quota" => Failure::Stop(why),
        429 => Failure::Wait(why, retry_after),
        401..=404 => Failure::Stop(why),
        408 | 409 | 425 => Failure::Transient(why),
        400..=499 => Failure::Rejected(why),
        _ => Failure::Wait(why, retry_after),
    })
}

/// Rough tokens of `chars` characters of text (about four per token for English, fewer for
/// Russian; an estimate, never a bill).
pub fn estimate_tokens(chars: i64) -> i64 {
    (chars + 3) / 4
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The example answer of OpenAI's API reference (Chat → Create chat completion).
    const REFERENCE_ANSWER: &str = r#"{
      "id": "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT",
      "object": "chat.completion",
      "created": 1741569952,
      "model": "gpt-4.1-2025-04-14",
      "choices": [
        {
          "index": 0,
          "message": {
            "role": "assistant",
            "content": "Hello! How can I assist you today?",
            "refusal": null,
            "annotations": []
          },
          "logprobs": null,
          "finish_reason": "stop"
        }
      ],
      "usage": {
        "prompt_tokens": 19,
        "completion_tokens": 10,
        "total_tokens": 29,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0,
          "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}
      },
      "service_tier": "default"
    }"#;

    #[test]
    fn reads_the_reference_answer() {
        let answer = read_answer(200, REFERENCE_ANSWER.as_bytes(), None).unwrap();
        assert_eq!(
            answer,
            Answer {
                text: "Hello! How can I assist you today?".into(),
                tokens_in: 19,
                tokens_out: 10
            }
        );
    }

    #[test]
    fn the_request_is_the_reference_shape() {
        let body: serde_json::Value = serde_json::from_slice(&request_body("gpt-4.1", "Hi", 300)).unwrap();
        assert_eq!(
            body,
            json!({"model": "gpt-4.1", "messages": [{"role": "user", "content": "Hi"}],
                   "max_tokens": 300, "temperature": 0.3})
        );
    }

    #[test]
    fn errors_say_what_to_do() {
        let error = |code: &str| format!(r#"{{"error": {{"message": "m", "type": "t", "code": "{code}"}}}}"#);
        let wait = Some(Duration::from_secs(7));
        assert_eq!(
            read_answer(429, error("rate_limit_exceeded").as_bytes(), wait),
            Err(Failure::Wait("the AI provider answered 429: m".into(), wait))
        );
        assert!(matches!(
            read_answer(429, error("insufficient_quota").as_bytes(), None),
            Err(Failure::Stop(_))
        ));
        assert!(matches!(
            read_answer(401, error("invalid_api_key").as_bytes(), None),
            Err(Failure::Stop(_))
        ));
        assert!(matches!(
            read_answer(400, error("context_length_exceeded").as_bytes(), None),
            Err(Failure::Rejected(_))
        ));
        assert!(matches!(read_answer(503, b"busy", None), Err(Failure::Wait(why, None)) if why.ends_with("busy")));
        // a server that answers 200 with something else is asked again
        assert!(matches!(read_answer(200, b"<html>", None), Err(Failure::Transient(_))));
        assert!(matches!(
            read_answer(200, br#"{"choices": [{"message": {"content": "  "}}]}"#, None),
            Err(Failure::Rejected(_))
        ));
    }
}
