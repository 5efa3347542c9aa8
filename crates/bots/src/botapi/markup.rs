//! Keyboards a bot puts under its messages (`reply_markup`), checked and normalised before
//! chats stores them: an inline keyboard (buttons on the message: `callback_data` of 1 to 64
//! bytes, or a `url`), a reply keyboard (buttons that replace the composer's row), or the
//! instruction to remove one or to ask for a reply. People's clients draw what is stored.

use serde_json::{Value, json};

use super::reply::{BotError, BotResult};

/// Buttons one keyboard may hold (Telegram: 100).
const MAX_BUTTONS: usize = 100;
/// Bytes of a button's `callback_data` (Telegram: 1 to 64).
const MAX_CALLBACK_DATA: usize = 64;
const MAX_BUTTON_TEXT: usize = 256;

/// The keyboard as stored: only the fields Hybrid draws, buttons as objects.
pub fn check(markup: Value) -> BotResult<Value> {
    let invalid = || BotError::bad_request("can't parse reply keyboard markup JSON object");
    let object = markup.as_object().ok_or_else(invalid)?;
    if let Some(rows) = object.get("inline_keyboard") {
        let rows = rows_of(rows, invalid)?;
        let rows = rows
            .iter()
            .map(|row| row.iter().map(inline_button).collect::<BotResult<Vec<_>>>())
            .collect::<BotResult<Vec<_>>>()?;
        return Ok(json!({"inline_keyboard": rows}));
    }
    if let Some(rows) = object.get("keyboard") {
        let rows = rows_of(rows, invalid)?;
        let rows = rows
            .iter()
            .map(|row| row.iter().map(reply_button).collect::<BotResult<Vec<_>>>())
            .collect::<BotResult<Vec<_>>>()?;
        let mut keyboard = json!({"keyboard": rows});
        for flag in ["resize_keyboard", "one_time_keyboard", "is_persistent", "selective"] {
            if object.get(flag).and_then(Value::as_bool) == Some(true) {
                keyboard[flag] = Value::Bool(true);
            }
        }
        if let Some(placeholder) = object.get("input_field_placeholder").and_then(Value::as_str) {
            keyboard["input_field_placeholder"] = Value::String(placeholder.chars().take(64).collect());
        }
        return Ok(keyboard);
    }
    if object.get("remove_keyboard").and_then(Value::as_bool) == Some(true) {
        return Ok(json!({"remove_keyboard": true}));
    }
    if object.get("force_reply").and_then(Value::as_bool) == Some(true) {
        let mut reply = json!({"force_reply": true});
        if let Some(placeholder) = object.get("input_field_placeholder").and_then(Value::as_str) {
            reply["input_field_placeholder"] = Value::String(placeholder.chars().take(64).collect());
        }
        return Ok(reply);
    }
    Err(invalid())
}

/// Whether `markup` is an inline keyboard (the only kind an edit may set).
pub fn is_inline(markup: &Value) -> bool {
    markup.get("inline_keyboard").is_some()
}

/// The rows of a keyboard, each an array of buttons.
fn rows_of(rows: &Value, invalid: impl Fn() -> BotError) -> BotResult<Vec<&Vec<Value>>> {
    let rows = rows
        .as_array()
        .ok_or_else(&invalid)?
        .iter()
        .map(|row| row.as_array().ok_or_else(&invalid))
        .collect::<BotResult<Vec<_>>>()?;
    if rows.iter().map(|row| row.len()).sum::<usize>() > MAX_BUTTONS {
        return Err(BotError::bad_request("reply markup is too long"));
    }
    Ok(rows)
}

fn button_text(button: &Value) -> BotResult<String> {
    let text = button
        .get("text")
        .and_then(Value::as_str)
        .filter(|t| !t.trim().is_empty())
        .ok_or_else(|| BotError::bad_request("can't parse inline keyboard button: Text must be non-empty"))?;
    Ok(text.chars().take(MAX_BUTTON_TEXT).collect())
}

fn inline_button(button: &Value) -> BotResult<Value> {
    let text = button_text(button)?;
    if let Some(data) = button.get("callback_data") {
        let data = data.as_str().unwrap_or_default();
        if data.is_empty() || data.len() > MAX_CALLBACK_DATA {
            return Err(BotError::bad_request("BUTTON_DATA_INVALID"));
        }
        return Ok(json!({"text": text, "callback_data": data}));
    }
    if let Some(url) = button.get("url").and_then(Value::as_str) {
        let lower = url.to_ascii_lowercase();
        if !(lower.starts_with("https://") || lower.starts_with("http://") || lower.starts_with("tg://"))
            || url.len() > 2048
        {
            return Err(BotError::bad_request("BUTTON_URL_INVALID"));
        }
        return Ok(json!({"text": text, "url": url}));
    }
    Err(BotError::bad_request(
        "can't parse inline keyboard button: InlineKeyboardButton must have exactly one of the optional fields",
    ))
}

/// A reply keyboard's button: an object with `text`, or (as Telegram also takes) the text alone.
fn reply_button(button: &Value) -> BotResult<Value> {
    if let Some(text) = button.as_str() {
        return reply_button(&json!({ "text": text }));
    }
    Ok(json!({"text": button_text(button)?}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyboards_are_normalised() {
        let inline = check(json!({"inline_keyboard": [[
            {"text": "Yes", "callback_data": "vote:yes", "pay": false},
            {"text": "Docs", "url": "https://example.com"}
        ]]}))
        .unwrap();
        assert_eq!(
            inline,
            json!({"inline_keyboard": [[{"text": "Yes", "callback_data": "vote:yes"}, {"text": "Docs", "url": "https://example.com"}]]})
        );
        assert!(is_inline(&inline));
        let reply =
            check(json!({"keyboard": [["A", {"text": "B"}]], "resize_keyboard": true, "one_time_keyboard": false}))
                .unwrap();
        assert_eq!(
            reply,
            json!({"keyboard": [[{"text": "A"}, {"text": "B"}]], "resize_keyboard": true})
        );
        assert!(!is_inline(&reply));
        assert_eq!(
            check(json!({"remove_keyboard": true})).unwrap(),
            json!({"remove_keyboard": true})
        );
    }

    #[test]
    fn bad_keyboards_are_refused_as_telegram_does() {
        let long = "x".repeat(65);
        let refused = [
            (
                json!({"inline_keyboard": [[{"text": "a", "callback_data": long}]]}),
                "Bad Request: BUTTON_DATA_INVALID",
            ),
            (
                json!({"inline_keyboard": [[{"text": "a", "callback_data": ""}]]}),
                "Bad Request: BUTTON_DATA_INVALID",
            ),
            (
                json!({"inline_keyboard": [[{"text": "a", "url": "javascript:alert(1)"}]]}),
                "Bad Request: BUTTON_URL_INVALID",
            ),
            (
                json!({"inline_keyboard": "no"}),
                "Bad Request: can't parse reply keyboard markup JSON object",
            ),
            (
                json!({"something": true}),
                "Bad Request: can't parse reply keyboard markup JSON object",
            ),
        ];
        for (markup, description) in refused {
            assert_eq!(check(markup.clone()).unwrap_err().description, description, "{markup}");
        }
        assert!(check(json!({"inline_keyboard": [[{"text": " ", "callback_data": "a"}]]})).is_err());
        assert!(check(json!({"inline_keyboard": [[{"text": "a"}]]})).is_err());
        let many: Vec<Value> = (0..101)
            .map(|i| json!([{"text": i.to_string(), "callback_data": "x"}]))
            .collect();
        assert!(check(json!({ "inline_keyboard": many })).is_err());
    }
}
