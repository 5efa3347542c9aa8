//! The content type of an upload, from its first bytes: magic numbers (the `infer` crate),
//! else `text/plain` for UTF-8 text, else `application/octet-stream`. What the client
//! claims is never asked, so a script named `photo.jpg` stays a script to everyone.

/// Types a browser renders as documents that can run scripts.
const ACTIVE: &[&str] = &[
    "text/html",
    "text/xml",
    "application/xml",
    "application/xhtml+xml",
    "image/svg+xml",
    "application/javascript",
    "text/javascript",
];

/// Bytes looked at: enough for every signature `infer` knows.
const HEAD: usize = 8192;

#[derive(Default)]
pub struct Sniffer {
    head: Vec<u8>,
    /// Decided once the head is full.
    decided: Option<&'static str>,
}

impl Sniffer {
    pub fn feed(&mut self, chunk: &[u8]) {
        if self.decided.is_some() {
            return;
        }
        let take = (HEAD - self.head.len()).min(chunk.len());
        self.head.extend_from_slice(&chunk[..take]);
        if self.head.len() == HEAD {
            self.decided = Some(sniff(&self.head, false));
        }
    }

    /// The type, once enough bytes came to tell.
    pub fn content_type(&self) -> Option<&'static str> {
        self.decided
    }

    /// The first bytes (up to 8 KiB): where a picture's header says its size.
    pub fn head(&self) -> &[u8] {
        &self.head
    }

    /// The type, from what came (the whole file, when it is shorter than the head).
    pub fn finish(&self) -> &'static str {
        self.decided.unwrap_or_else(|| sniff(&self.head, true))
    }
}

/// `complete`: `head` is the whole file, so a character cut at its end is an error.
fn sniff(head: &[u8], complete: bool) -> &'static str {
    if head.is_empty() {
        return "application/octet-stream";
    }
    if let Some(kind) = infer::get(head) {
        let mime = kind.mime_type();
        // markup a browser would render and run is kept as the text it is
        return if ACTIVE.contains(&mime) { "text/plain" } else { mime };
    }
    match std::str::from_utf8(head) {
        Ok(_) => "text/plain",
        // a character cut in two by the end of the head
        Err(e) if !complete && e.error_len().is_none() => "text/plain",
        Err(_) => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(bytes: &[u8]) -> &'static str {
        let mut sniffer = Sniffer::default();
        for chunk in bytes.chunks(3) {
            sniffer.feed(chunk);
        }
        sniffer.finish()
    }

    #[test]
    fn types_come_from_the_bytes() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89";
        assert_eq!(of(png), "image/png");
        assert_eq!(of(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"), "application/pdf");
        assert_eq!(of(b"\xff\xd8\xff\xe0\0\x10JFIF\0"), "image/jpeg");
        assert_eq!(of("привет, мир".as_bytes()), "text/plain");
        // HTML and SVG are text to us: never served as something a browser would run
        assert_eq!(of(b"<html><script>alert(1)</script></html>"), "text/plain");
        assert_eq!(of(b"<svg xmlns=\"http://www.w3.org/2000/svg\"></svg>"), "text/plain");
        assert_eq!(of(b"<?xml version=\"1.0\"?><svg></svg>"), "text/plain");
        assert_eq!(of(b"<!DOCTYPE html><p>hi"), "text/plain");
        assert_eq!(of(&[0, 159, 146, 150, 1, 2]), "application/octet-stream");
        assert_eq!(of(b""), "application/octet-stream");
    }

    #[test]
    fn a_long_text_cut_mid_character_is_still_text() {
        let text = format!("a{}", "ж".repeat(HEAD)); // 2 bytes each, after one: the head ends inside one
        let mut sniffer = Sniffer::default();
        sniffer.feed(&text.as_bytes()[..HEAD + 1]);
        assert_eq!(sniffer.content_type(), Some("text/plain"));
    }
}

/// Arbitrary bytes, cut anywhere (proptest): the type does not depend on how the upload was
/// split into chunks, and is never one a browser would run.
#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn chunking_does_not_change_the_type(
            bytes in prop::collection::vec(any::<u8>(), 0..10_000),
            cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..4),
        ) {
            let mut whole = Sniffer::default();
            whole.feed(&bytes);
            let mut at: Vec<usize> = cuts.iter().map(|i| i.index(bytes.len() + 1)).collect();
            at.sort_unstable();
            let mut chunked = Sniffer::default();
            let mut from = 0;
            for cut in at.into_iter().chain([bytes.len()]) {
                chunked.feed(&bytes[from..cut]);
                from = cut;
            }
            prop_assert_eq!(whole.finish(), chunked.finish());
            prop_assert!(!ACTIVE.contains(&whole.finish()));
        }
    }
}
