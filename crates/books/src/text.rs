//! Bytes to clean text. Russian books come in UTF-8, windows-1251, KOI8-R or CP866 (the legacy
//! system read UTF-8 only and crashed on the rest): a BOM decides, then valid UTF-8, then
//! chardetng's guess (Firefox's detector), told the text is likely Russian.

use encoding_rs::Encoding;

/// The text of `bytes`, decoded and cleaned (see [`clean`]).
pub fn decode(bytes: &[u8]) -> String {
    clean(&decode_with(bytes, None))
}

/// Decodes `bytes`: by a BOM, else by `declared` (an encoding's label, as an XML prolog names
/// it), else as UTF-8 when valid, else by a guess.
pub(crate) fn decode_with(bytes: &[u8], declared: Option<&str>) -> String {
    if let Some((encoding, bom)) = Encoding::for_bom(bytes) {
        return encoding.decode_without_bom_handling(&bytes[bom..]).0.into_owned();
    }
    if let Some(encoding) = declared.and_then(|label| Encoding::for_label(label.trim().as_bytes())) {
        return encoding.decode_without_bom_handling(bytes).0.into_owned();
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return text.to_owned();
    }
    // not UTF-8 (checked above), and no ISO-2022-JP in a book
    let mut detector = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    detector.feed(bytes, true);
    let encoding = detector.guess(Some(b"ru"), chardetng::Utf8Detection::Deny);
    encoding.decode_without_bom_handling(bytes).0.into_owned()
}

/// Line ends as `\n`, no BOMs or soft hyphens left, no-break spaces as spaces.
pub(crate) fn clean(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push('\n');
            }
            '\u{feff}' | '\u{ad}' => {}
            '\u{a0}' | '\u{202f}' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const RUSSIAN: &str = "Глава первая. Мороз и солнце; день чудесный! Ещё ты дремлешь, друг прелестный - \
                           пора, красавица, проснись: открой сомкнуты негой взоры.";

    #[test]
    fn russian_text_reads_in_the_encodings_it_comes_in() {
        for encoding in [
            encoding_rs::WINDOWS_1251,
            encoding_rs::KOI8_R,
            encoding_rs::IBM866,
            encoding_rs::UTF_8,
        ] {
            let (bytes, _, lossy) = encoding.encode(RUSSIAN);
            assert!(!lossy, "{}", encoding.name());
            assert_eq!(decode(&bytes), RUSSIAN, "{}", encoding.name());
        }
    }

    #[test]
    fn a_bom_decides_and_goes() {
        let mut utf16 = vec![0xff, 0xfe];
        utf16.extend(RUSSIAN.encode_utf16().flat_map(u16::to_le_bytes));
        assert_eq!(decode(&utf16), RUSSIAN);
        let mut utf8 = vec![0xef, 0xbb, 0xbf];
        utf8.extend(RUSSIAN.as_bytes());
        assert_eq!(decode(&utf8), RUSSIAN);
    }

    #[test]
    fn a_declared_encoding_is_taken() {
        let (bytes, _, _) = encoding_rs::KOI8_R.encode("Жили-были");
        assert_eq!(decode_with(&bytes, Some("koi8-r")), "Жили-были");
    }

    #[test]
    fn line_ends_soft_hyphens_and_no_break_spaces_are_cleaned() {
        assert_eq!(clean("a\r\nb\rc\u{ad}d\u{a0}e\u{feff}"), "a\nb\ncd e");
    }
}
