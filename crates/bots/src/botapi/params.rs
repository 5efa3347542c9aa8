//! A Bot API call's parameters, wherever they come from: the query string, a JSON body, an
//! `application/x-www-form-urlencoded` or `multipart/form-data` body, or nothing at all (an
//! empty body with no content type). Like Telegram's server, every value may arrive as a
//! string: numbers and booleans are read from strings, and objects (`reply_markup`,
//! `allowed_updates`, `entities`) from JSON text.

use std::collections::HashMap;

use axum::extract::{FromRequest, Multipart, Request};
use axum::http::header::CONTENT_TYPE;
use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::reply::{BotError, BotResult};

/// The largest body a call without uploads may have: a 4096-character text with its entities
/// and a keyboard fit many times over.
const MAX_BODY: usize = 1 << 20;

#[derive(Debug, Default)]
pub struct Params {
    values: HashMap<String, Value>,
    /// The file parts of a multipart body, by field name (`document`, or the `name` of
    /// `attach://name`).
    files: HashMap<String, Upload>,
}

/// A file sent in a call's multipart body.
#[derive(Debug, Clone)]
pub struct Upload {
    pub file_name: String,
    pub data: Bytes,
}

impl Params {
    /// Reads a call's parameters; body values win over query values of the same name.
    pub async fn from_request(request: Request) -> BotResult<Params> {
        let mut params = Params::default();
        if let Some(query) = request.uri().query() {
            params.add_form(query.as_bytes());
        }
        let content_type = request
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_ascii_lowercase();
        if content_type.starts_with("multipart/form-data") {
            let mut multipart = Multipart::from_request(request, &())
                .await
                .map_err(|err| BotError::bad_request(format!("can't parse multipart/form-data: {err}")))?;
            while let Some(field) = multipart
                .next_field()
                .await
                .map_err(|err| BotError::bad_request(format!("can't parse multipart/form-data: {err}")))?
            {
                let Some(name) = field.name().map(str::to_owned) else {
                    continue;
                };
                if let Some(file_name) = field.file_name().map(str::to_owned) {
                    // the route's body limit bounds what this holds (bots.max_upload_bytes)
                    let data = field.bytes().await.map_err(|_| BotError::too_large())?;
                    params.files.insert(name, Upload { file_name, data });
                    continue;
                }
                let text = field
                    .text()
                    .await
                    .map_err(|err| BotError::bad_request(format!("can't parse multipart/form-data: {err}")))?;
                params.values.insert(name, Value::String(text));
            }
            return Ok(params);
        }
        let body = axum::body::to_bytes(request.into_body(), MAX_BODY)
            .await
            .map_err(|_| BotError::too_large())?;
        if body.iter().all(u8::is_ascii_whitespace) {
            return Ok(params);
        }
        if content_type.starts_with("application/json") {
            match serde_json::from_slice::<Value>(&body) {
                Ok(Value::Object(object)) => params.values.extend(object),
                _ => return Err(BotError::bad_request("can't parse JSON object")),
            }
        } else if content_type.starts_with("application/x-www-form-urlencoded") || content_type.is_empty() {
            params.add_form(&body);
        } else {
            return Err(BotError::bad_request(format!(
                "unsupported Content-Type {content_type}"
            )));
        }
        Ok(params)
    }

    fn add_form(&mut self, form: &[u8]) {
        for (name, value) in form_urlencoded::parse(form) {
            self.values.insert(name.into_owned(), Value::String(value.into_owned()));
        }
    }

    /// Parameters from a JSON object (an item of sendMediaGroup's `media`).
    pub fn from_object(object: serde_json::Map<String, Value>) -> Params {
        Params {
            values: object.into_iter().collect(),
            files: HashMap::new(),
        }
    }

    #[cfg(test)]
    pub fn of(value: Value) -> Params {
        match value {
            Value::Object(object) => Params::from_object(object),
            _ => Params::default(),
        }
    }

    /// A parameter as it came; JSON `null` counts as absent.
    fn raw(&self, name: &str) -> Option<&Value> {
        self.values.get(name).filter(|v| !v.is_null())
    }

    /// A text parameter (numbers are taken as their text).
    pub fn string(&self, name: &str) -> BotResult<Option<String>> {
        match self.raw(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(_) => Err(BotError::bad_request(format!(
                "field \"{name}\" must be of type String"
            ))),
        }
    }

    /// A text parameter that must be present and not empty; `empty` completes the error
    /// ("message text is empty").
    pub fn required_string(&self, name: &str, empty: &str) -> BotResult<String> {
        match self.string(name)? {
            Some(s) if !s.is_empty() => Ok(s),
            _ => Err(BotError::bad_request(empty)),
        }
    }

    pub fn integer(&self, name: &str) -> BotResult<Option<i64>> {
        match self.raw(name) {
            None => Ok(None),
            Some(Value::Number(n)) => n
                .as_i64()
                .map(Some)
                .ok_or_else(|| BotError::bad_request(format!("field \"{name}\" must be of type Integer"))),
            Some(Value::String(s)) if s.is_empty() => Ok(None),
            Some(Value::String(s)) => s
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| BotError::bad_request(format!("field \"{name}\" must be of type Integer"))),
            Some(_) => Err(BotError::bad_request(format!(
                "field \"{name}\" must be of type Integer"
            ))),
        }
    }

    pub fn required_integer(&self, name: &str) -> BotResult<i64> {
        self.integer(name)?
            .ok_or_else(|| BotError::bad_request(format!("{name} is empty")))
    }

    pub fn boolean(&self, name: &str) -> BotResult<Option<bool>> {
        match self.raw(name) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(Value::Number(n)) => Ok(Some(n.as_i64() != Some(0))),
            Some(Value::String(s)) => match s.trim().to_ascii_lowercase().as_str() {
                "" => Ok(None),
                "true" | "1" | "yes" | "on" => Ok(Some(true)),
                "false" | "0" | "no" | "off" => Ok(Some(false)),
                _ => Err(BotError::bad_request(format!(
                    "field \"{name}\" must be of type Boolean"
                ))),
            },
            Some(_) => Err(BotError::bad_request(format!(
                "field \"{name}\" must be of type Boolean"
            ))),
        }
    }

    /// An object or array parameter, given as JSON or as JSON text; `what` names it in the
    /// error ("reply keyboard markup").
    pub fn json<T: DeserializeOwned>(&self, name: &str, what: &str) -> BotResult<Option<T>> {
        let value = match self.raw(name) {
            None => return Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => return Ok(None),
            Some(Value::String(s)) => serde_json::from_str::<Value>(s)
                .map_err(|_| BotError::bad_request(format!("can't parse {what} JSON object")))?,
            Some(value) => value.clone(),
        };
        serde_json::from_value(value)
            .map(Some)
            .map_err(|err| BotError::bad_request(format!("can't parse {what}: {err}")))
    }

    /// The file part named `name`, if the body had one.
    pub fn file(&self, name: &str) -> Option<&Upload> {
        self.files.get(name)
    }

    /// A parameter as raw JSON, parsed from text when it came as text (`reply_markup`).
    pub fn json_value(&self, name: &str, what: &str) -> BotResult<Option<Value>> {
        self.json::<Value>(name, what)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn every_value_may_come_as_text() {
        let params = Params::of(json!({
            "chat_id": "-1000000000012", "limit": 5, "flag": "true", "off": 0,
            "allowed": "[\"message\"]", "markup": {"inline_keyboard": []}, "gone": null, "blank": ""
        }));
        assert_eq!(params.integer("chat_id").unwrap(), Some(-1_000_000_000_012));
        assert_eq!(params.integer("limit").unwrap(), Some(5));
        assert_eq!(params.string("limit").unwrap().as_deref(), Some("5"));
        assert_eq!(params.boolean("flag").unwrap(), Some(true));
        assert_eq!(params.boolean("off").unwrap(), Some(false));
        assert_eq!(
            params.json::<Vec<String>>("allowed", "allowed_updates").unwrap(),
            Some(vec!["message".to_owned()])
        );
        assert!(params.json_value("markup", "reply keyboard markup").unwrap().is_some());
        assert_eq!(params.integer("gone").unwrap(), None);
        assert_eq!(params.integer("blank").unwrap(), None);
        assert_eq!(params.integer("missing").unwrap(), None);
    }

    #[test]
    fn wrong_types_are_bad_requests() {
        let params = Params::of(json!({"limit": "ten", "flag": "maybe", "markup": "{not json", "text": {"a": 1}}));
        assert_eq!(
            params.integer("limit").unwrap_err().description,
            "Bad Request: field \"limit\" must be of type Integer"
        );
        assert_eq!(params.boolean("flag").unwrap_err().code, 400);
        assert_eq!(
            params
                .json_value("markup", "reply keyboard markup")
                .unwrap_err()
                .description,
            "Bad Request: can't parse reply keyboard markup JSON object"
        );
        assert_eq!(params.string("text").unwrap_err().code, 400);
        assert_eq!(
            params
                .required_string("caption", "message text is empty")
                .unwrap_err()
                .description,
            "Bad Request: message text is empty"
        );
    }
}
