//! What the XML formats (FB2, EPUB) share: references resolved, text squeezed.

use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::BytesRef;

/// A reference's text: a character (`&#8212;`) or one of XML's five entities; `None` for any
/// other name (the format decides what those mean).
pub(crate) fn reference(r: &BytesRef<'_>) -> Result<String, Option<String>> {
    if let Ok(Some(c)) = r.resolve_char_ref() {
        return Ok(c.to_string());
    }
    let name = r.decode().map(|n| n.into_owned()).ok();
    match name.as_deref().and_then(resolve_predefined_entity) {
        Some(known) => Ok(known.to_owned()),
        None => Err(name),
    }
}

/// Runs of whitespace as one space, trimmed.
pub(crate) fn squeeze(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}
