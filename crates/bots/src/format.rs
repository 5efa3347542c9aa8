//! Telegram Bot API `parse_mode`: turns text formatted as HTML, MarkdownV2 or legacy Markdown into
//! plain text plus entities, with offsets and lengths in UTF-16 code units.
//!
//! Written from the rules the Bot API documents under "Formatting options"
//! (<https://core.telegram.org/bots/api#formatting-options>), with a design of our own: each mode
//! is one left-to-right pass that writes the plain text into [`Out`] and keeps a stack of the
//! entities still open; an entity is recorded when it closes. Errors use the server's wording
//! ("can't parse entities: …", byte offsets into the UTF-8 input). Where the documentation is
//! silent, the choice made is explained where it is made.

use hybrid_chats_api::body::{Entity, EntityKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParseMode {
    Html,
    MarkdownV2,
    Markdown,
}

impl ParseMode {
    /// "HTML", "MarkdownV2", "Markdown", case-insensitive. "" -> Ok(None).
    /// Anything else -> Err("unsupported parse_mode") (the caller prefixes "Bad Request: ").
    pub fn from_name(name: &str) -> Result<Option<ParseMode>, String> {
        match name.to_ascii_lowercase().as_str() {
            "" => Ok(None),
            "html" => Ok(Some(ParseMode::Html)),
            "markdownv2" => Ok(Some(ParseMode::MarkdownV2)),
            "markdown" => Ok(Some(ParseMode::Markdown)),
            _ => Err("unsupported parse_mode".into()),
        }
    }
}

/// Plain text and entities (UTF-16 offsets/lengths, sorted by (offset, -length)).
/// Err holds the description without "Bad Request: ", e.g.
/// "can't parse entities: Unsupported start tag \"foo\" at byte offset 5".
/// Plain text empty after parsing -> Err("message text is empty").
pub fn parse(mode: ParseMode, text: &str) -> Result<(String, Vec<Entity>), String> {
    let out = match mode {
        ParseMode::Html => html(text),
        ParseMode::MarkdownV2 => markdown_v2(text),
        ParseMode::Markdown => markdown(text),
    }
    .map_err(|e| format!("can't parse entities: {e}"))?;
    out.finish()
}

// ---------------------------------------------------------------------------------------------
// Output shared by the three modes
// ---------------------------------------------------------------------------------------------

/// The plain text written so far, its length in UTF-16 units, and the entities closed so far.
#[derive(Default)]
struct Out {
    text: String,
    units: i64,
    entities: Vec<Entity>,
}

impl Out {
    fn push(&mut self, c: char) {
        self.text.push(c);
        self.units += c.len_utf16() as i64;
    }

    fn push_chars(&mut self, chars: &[(usize, char)]) {
        chars.iter().for_each(|&(_, c)| self.push(c));
    }

    /// Records `entity` from `start` (UTF-16 units) to here. Empty entities are dropped: they
    /// mark nothing, and the documentation even uses an empty bold `**` as a mere separator.
    fn close(&mut self, start: i64, mut entity: Entity) {
        if self.units > start {
            entity.offset = start;
            entity.length = self.units - start;
            self.entities.push(entity);
        }
    }

    fn finish(self) -> Result<(String, Vec<Entity>), String> {
        if self.text.is_empty() {
            return Err("message text is empty".into());
        }
        // Outer entities first. Of two on the same range the outer one closed later, hence the
        // reversed index (the sort is stable, so that only breaks ties).
        let mut indexed: Vec<(usize, Entity)> = self.entities.into_iter().enumerate().collect();
        indexed.sort_by_key(|(i, e)| (e.offset, -e.length, std::cmp::Reverse(*i)));
        Ok((self.text, indexed.into_iter().map(|(_, e)| e).collect()))
    }
}

/// The longest URL a text link may carry (what chats accepts).
const MAX_URL: usize = 2048;

/// A link's target as an entity: `tg://user?id=N` mentions user N; http(s):// and tg:// URLs
/// become text links, as do bare domains (`example.com/x`, given `http://`). Anything else
/// (`javascript:`, `data:`, `mailto:` …) gives no entity, so the text stays but is not a link.
fn link_entity(raw: &str) -> Option<Entity> {
    let url = raw.trim();
    if url.is_empty() || url.len() > MAX_URL || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return None;
    }
    if let Some(id) = url.to_ascii_lowercase().strip_prefix("tg://user?id=")
        && let Ok(id) = id.parse::<i64>()
        && id > 0
    {
        return Some(Entity {
            user_id: Some(id),
            ..Entity::new(EntityKind::TextMention, 0, 0)
        });
    }
    let url = match scheme(url) {
        Some(name) => {
            let scheme = name.to_ascii_lowercase();
            let rest = &url[name.len() + 1..];
            let host_given = rest.len() > 2 && rest.starts_with("//");
            if !matches!(scheme.as_str(), "http" | "https" | "tg") || !host_given {
                return None;
            }
            format!("{scheme}:{rest}")
        }
        None if is_domain(url) => format!("http://{url}"),
        None => return None,
    };
    (url.len() <= MAX_URL).then(|| Entity {
        url: Some(url),
        ..Entity::new(EntityKind::TextLink, 0, 0)
    })
}

/// The scheme of `url` (`https` in `https://…`), if it has one. `example.com:8080/x` has none:
/// a digit after the colon makes it a port.
fn scheme(url: &str) -> Option<&str> {
    let colon = url.find(':')?;
    let (name, rest) = (&url[..colon], &url[colon + 1..]);
    let is_name = name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || "+.-".contains(c));
    let is_port = rest.starts_with(|c: char| c.is_ascii_digit());
    (is_name && !is_port).then_some(name)
}

/// Whether `url` starts with a host name of at least two labels (`example.com`).
fn is_domain(url: &str) -> bool {
    let host = url.split(['/', '?', '#', ':']).next().unwrap_or("");
    let labels: Vec<&str> = host.split('.').collect();
    labels.len() >= 2
        && labels
            .iter()
            .all(|l| !l.is_empty() && l.chars().all(|c| c.is_alphanumeric() || c == '-'))
}

/// Characters of a code block's language (`c++`, `objective-c`, `c#`, `python3.12`).
fn is_language_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "+#-._".contains(c)
}

/// A language name chats accepts: 1 to 32 language characters.
fn is_language(name: &str) -> bool {
    !name.is_empty() && name.len() <= 32 && name.chars().all(is_language_char)
}

fn chars_to_string(chars: &[(usize, char)]) -> String {
    chars.iter().map(|&(_, c)| c).collect()
}

/// Index of the first `needle` in `chars` at or after `from`.
fn find(chars: &[(usize, char)], from: usize, needle: &str) -> Option<usize> {
    let needle: Vec<char> = needle.chars().collect();
    (from..chars.len()).find(|&k| {
        needle
            .iter()
            .enumerate()
            .all(|(j, n)| chars.get(k + j).is_some_and(|p| p.1 == *n))
    })
}

// ---------------------------------------------------------------------------------------------
// HTML
// ---------------------------------------------------------------------------------------------

/// The tags the documentation lists; any other is an error.
const HTML_TAGS: &str = "b strong i em u ins s strike del span tg-spoiler a code pre blockquote tg-emoji";

/// A start tag waiting for its end tag: its name as written, where its text starts, the entity
/// it makes (none for `tg-emoji`, links to nowhere, `code` inside `pre` …), and the kinds of
/// entity open from here outwards (bits of [`kind_bit`]).
struct HtmlTag {
    name: String,
    start: i64,
    entity: Option<Entity>,
    kinds: u32,
}

/// A bit per kind of entity, links and mentions sharing one: no two of a kind nest.
fn kind_bit(kind: EntityKind) -> u32 {
    let kind = if kind == EntityKind::TextMention {
        EntityKind::TextLink
    } else {
        kind
    };
    1 << (kind as u32)
}

fn html(src: &str) -> Result<Out, String> {
    let mut out = Out::default();
    let mut open: Vec<HtmlTag> = Vec::new();
    let mut i = 0;
    while let Some(c) = src[i..].chars().next() {
        match c {
            '<' => i = html_tag(src, i, &mut out, &mut open)?,
            '&' => {
                let (c, len) = html_entity(&src[i..]);
                out.push(c);
                i += len;
            }
            _ => {
                out.push(c);
                i += c.len_utf8();
            }
        }
    }
    match open.last() {
        Some(tag) => Err(format!(
            "Can't find end tag corresponding to start tag \"{}\"",
            tag.name
        )),
        None => Ok(out),
    }
}

/// Reads the tag starting with the `<` at byte `at`, applies it, and returns the byte after it.
fn html_tag(src: &str, at: usize, out: &mut Out, open: &mut Vec<HtmlTag>) -> Result<usize, String> {
    let b = src.as_bytes();
    let closing = b.get(at + 1) == Some(&b'/');
    let name_start = at + 1 + usize::from(closing);
    let name_len = b[name_start..]
        .iter()
        .take_while(|c| c.is_ascii_alphanumeric() || **c == b'-')
        .count();
    let name = &src[name_start..name_start + name_len];
    if closing {
        let end = skip_spaces(b, name_start + name_len);
        if b.get(end) != Some(&b'>') {
            return Err(format!("Unclosed end tag at byte offset {at}"));
        }
        let Some(tag) = open.pop() else {
            return Err(format!("Unexpected end tag at byte offset {at}"));
        };
        if !tag.name.eq_ignore_ascii_case(name) {
            return Err(format!(
                "Unmatched end tag at byte offset {at}, expected \"</{}>\", found \"</{name}>\"",
                tag.name
            ));
        }
        if let Some(entity) = tag.entity {
            out.close(tag.start, entity);
        }
        return Ok(end + 1);
    }
    let lower = name.to_ascii_lowercase();
    if !HTML_TAGS.split(' ').any(|tag| tag == lower) {
        // Also a lone `<` (name ""): the documentation asks for `&lt;` there.
        return Err(format!("Unsupported start tag \"{name}\" at byte offset {at}"));
    }
    let (attributes, end) = html_attributes(src, at, name, name_start + name_len)?;
    let attribute = |key: &str| attributes.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
    let kind = |kind| Some(Entity::new(kind, 0, 0));
    let made = match lower.as_str() {
        "b" | "strong" => kind(EntityKind::Bold),
        "i" | "em" => kind(EntityKind::Italic),
        "u" | "ins" => kind(EntityKind::Underline),
        "s" | "strike" | "del" => kind(EntityKind::Strikethrough),
        "tg-spoiler" => kind(EntityKind::Spoiler),
        "span" if attribute("class") == Some("tg-spoiler") => kind(EntityKind::Spoiler),
        "span" => {
            return Err(format!(
                "Tag \"span\" must have class \"tg-spoiler\" at byte offset {at}"
            ));
        }
        "a" => attribute("href").and_then(link_entity),
        "code" => match open.last_mut() {
            // `<pre><code class="language-x">` names the block's language; a code entity
            // inside pre would add nothing.
            Some(HtmlTag {
                name,
                entity: Some(pre),
                ..
            }) if name.eq_ignore_ascii_case("pre") => {
                let language = attribute("class").and_then(|c| c.strip_prefix("language-"));
                if pre.language.is_none() && language.is_some_and(is_language) {
                    pre.language = language.map(String::from);
                }
                None
            }
            _ => kind(EntityKind::Code),
        },
        "pre" => kind(EntityKind::Pre),
        // `expandable` is accepted, but Hybrid has a single kind of quote.
        "blockquote" => kind(EntityKind::Blockquote),
        // tg-emoji: its text (the emoji shown where custom emoji can't be) stays, unmarked.
        _ => None,
    };
    // An entity inside one of its kind adds nothing (bold in bold), and quotes and links can't
    // nest at all: the inner tag only keeps its text.
    let outer = open.last().map_or(0, |t| t.kinds);
    let entity = made.filter(|e| outer & kind_bit(e.kind) == 0);
    let kinds = outer | entity.as_ref().map_or(0, |e| kind_bit(e.kind));
    open.push(HtmlTag {
        name: name.to_owned(),
        start: out.units,
        entity,
        kinds,
    });
    Ok(end)
}

type Attributes = Vec<(String, String)>;

/// Reads the attributes of the start tag at byte `at` (named `tag`) from byte `i` to its `>`:
/// `key="v"`, `key='v'`, `key=v` or a bare `key`. Returns them and the byte after the `>`.
fn html_attributes(src: &str, at: usize, tag: &str, mut i: usize) -> Result<(Attributes, usize), String> {
    let b = src.as_bytes();
    let unclosed = || format!("Unclosed start tag at byte offset {at}");
    let mut attributes = Vec::new();
    loop {
        i = skip_spaces(b, i);
        match b.get(i) {
            None => return Err(unclosed()),
            Some(b'>') => return Ok((attributes, i + 1)),
            Some(_) => {}
        }
        let key_len = b[i..]
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric() || b"-_:".contains(*c))
            .count();
        if key_len == 0 {
            return Err(format!("Empty attribute name in the tag \"{tag}\" at byte offset {i}"));
        }
        let key = src[i..i + key_len].to_ascii_lowercase();
        i = skip_spaces(b, i + key_len);
        let mut value = String::new();
        if b.get(i) == Some(&b'=') {
            i = skip_spaces(b, i + 1);
            let raw = match b.get(i) {
                None => return Err(unclosed()),
                Some(&quote @ (b'"' | b'\'')) => {
                    let len = b[i + 1..].iter().position(|&c| c == quote).ok_or_else(unclosed)?;
                    i += len + 2;
                    &src[i - len - 1..i - 1]
                }
                Some(_) => {
                    let len = b[i..]
                        .iter()
                        .take_while(|c| !c.is_ascii_whitespace() && **c != b'>')
                        .count();
                    i += len;
                    &src[i - len..i]
                }
            };
            value = html_decode(raw);
        }
        attributes.push((key, value));
    }
}

fn skip_spaces(b: &[u8], i: usize) -> usize {
    i + b[i..].iter().take_while(|c| c.is_ascii_whitespace()).count()
}

/// `s` with its character references decoded (attribute values such as `href="?a=1&amp;b=2"`).
fn html_decode(s: &str) -> String {
    let mut decoded = String::with_capacity(s.len());
    let mut i = 0;
    while let Some(c) = s[i..].chars().next() {
        let (c, len) = if c == '&' {
            html_entity(&s[i..])
        } else {
            (c, c.len_utf8())
        };
        decoded.push(c);
        i += len;
    }
    decoded
}

/// The character reference at the start of `s` (which starts with `&`) and its length in bytes:
/// only `&lt;`, `&gt;`, `&amp;`, `&quot;` and numeric `&#N;` / `&#xH;`, as documented. Anything
/// else is a literal `&`.
fn html_entity(s: &str) -> (char, usize) {
    let Some(semicolon) = s.bytes().take(12).position(|b| b == b';') else {
        return ('&', 1);
    };
    let numeric = |digits: &str, radix: u32| {
        let valid = !digits.is_empty() && digits.chars().all(|c| c.is_digit(radix));
        // NUL and surrogates are no characters; they stay literal.
        valid
            .then(|| u32::from_str_radix(digits, radix).ok())
            .flatten()
            .filter(|&n| n != 0)
            .and_then(char::from_u32)
    };
    let name = &s[1..semicolon];
    let c = match name {
        "lt" => Some('<'),
        "gt" => Some('>'),
        "amp" => Some('&'),
        "quot" => Some('"'),
        _ => match name.strip_prefix('#') {
            Some(n) => match n.strip_prefix(['x', 'X']) {
                Some(hex) => numeric(hex, 16),
                None => numeric(n, 10),
            },
            None => None,
        },
    };
    c.map_or(('&', 1), |c| (c, semicolon + 1))
}

// ---------------------------------------------------------------------------------------------
// MarkdownV2
// ---------------------------------------------------------------------------------------------

/// What the MarkdownV2 documentation asks to escape outside code and URLs.
const RESERVED: &str = "_*[]()~`>#+-=|{}.!";

/// Entities a MarkdownV2 marker opens and a later one closes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mark {
    Bold,
    Italic,
    Underline,
    Strike,
    Spoiler,
    /// `[text](url)`
    Link,
    /// `![emoji](tg://emoji?id=N)`
    Emoji,
    /// `>` lines
    Quote,
}

impl Mark {
    /// The name errors give it.
    fn name(self) -> &'static str {
        match self {
            Mark::Bold => "Bold",
            Mark::Italic => "Italic",
            Mark::Underline => "Underline",
            Mark::Strike => "Strikethrough",
            Mark::Spoiler => "Spoiler",
            Mark::Link => "TextUrl",
            Mark::Emoji => "CustomEmoji",
            Mark::Quote => "Blockquote",
        }
    }

    fn kind(self) -> Option<EntityKind> {
        match self {
            Mark::Bold => Some(EntityKind::Bold),
            Mark::Italic => Some(EntityKind::Italic),
            Mark::Underline => Some(EntityKind::Underline),
            Mark::Strike => Some(EntityKind::Strikethrough),
            Mark::Spoiler => Some(EntityKind::Spoiler),
            Mark::Quote => Some(EntityKind::Blockquote),
            Mark::Link | Mark::Emoji => None, // decided by the URL
        }
    }
}

/// An open MarkdownV2 entity: what, where its text starts, and the byte of its marker.
struct Frame {
    mark: Mark,
    start: i64,
    byte: usize,
}

fn unclosed(name: &str, byte: usize) -> String {
    format!("Can't find end of {name} entity at byte offset {byte}")
}

/// The MarkdownV2 input: characters with their byte offsets. `\r` is dropped, as the
/// documentation says it is ignored, which also makes CRLF lines behave like LF ones; yet it
/// still splits markers (`_\r__` is `_` then `__`, the documented way to end italic, then
/// underline), so markers of several characters must be adjacent in the source.
struct Input(Vec<(usize, char)>);

impl Input {
    fn at(&self, k: usize) -> Option<char> {
        self.0.get(k).map(|p| p.1)
    }

    fn byte(&self, k: usize) -> usize {
        self.0[k].0
    }

    /// The character a `\` at `k` escapes: any of codes 1 to 126.
    fn escaped(&self, k: usize) -> Option<char> {
        self.at(k + 1)
            .filter(|&c| self.at(k) == Some('\\') && (1..=126).contains(&(c as u32)))
    }

    /// Whether the ASCII `s` is at `k`, adjacent in the source.
    fn starts_with(&self, k: usize, s: &str) -> bool {
        let Some(&(first, _)) = self.0.get(k) else { return false };
        s.chars()
            .enumerate()
            .all(|(j, c)| self.0.get(k + j) == Some(&(first + j, c)))
    }
}

fn markdown_v2(src: &str) -> Result<Out, String> {
    let input = Input(src.char_indices().filter(|p| p.1 != '\r').collect());
    let mut out = Out::default();
    let mut open: Vec<Frame> = Vec::new();
    let link_open = |open: &[Frame]| open.iter().any(|f| matches!(f.mark, Mark::Link | Mark::Emoji));
    let quote_open = |open: &[Frame]| open.iter().any(|f| f.mark == Mark::Quote);
    let mut k = 0;
    let mut line_start = true;
    while let Some(c) = input.at(k) {
        let byte = input.byte(k);
        if std::mem::take(&mut line_start) {
            // `>` starts or continues a quote; `**>` starts one that is expandable (documented
            // as an empty bold before the `>`, which also ends a quote above it).
            let marker = if c == '>' {
                1
            } else if input.starts_with(k, "**>") {
                3
            } else {
                0
            };
            if marker > 0 {
                if !quote_open(&open) {
                    open.push(Frame {
                        mark: Mark::Quote,
                        start: out.units,
                        byte,
                    });
                }
                k += marker;
                continue;
            }
        }
        match c {
            '\\' => match input.escaped(k) {
                Some(e) => {
                    out.push(e);
                    k += 2;
                }
                None => {
                    out.push('\\');
                    k += 1;
                }
            },
            '\n' => {
                // A quote goes on while lines start with `>`; it ends before this newline.
                if input.at(k + 1) != Some('>') && quote_open(&open) {
                    close_mark(&mut out, &mut open, Mark::Quote)?;
                }
                out.push('\n');
                k += 1;
                line_start = true;
            }
            '*' => k += toggle(&mut out, &mut open, Mark::Bold, byte, 1)?,
            // `__` is greedily underline, left to right, as documented.
            '_' if input.starts_with(k, "__") => k += toggle(&mut out, &mut open, Mark::Underline, byte, 2)?,
            '_' => k += toggle(&mut out, &mut open, Mark::Italic, byte, 1)?,
            '~' => k += toggle(&mut out, &mut open, Mark::Strike, byte, 1)?,
            '|' if input.starts_with(k, "||") => {
                // `||` ending the last line of a quote marks it expandable. Hybrid has one kind
                // of quote, so the mark is only removed.
                let ends_quote = matches!(input.at(k + 2), None | Some('\n')) && input.at(k + 3) != Some('>');
                if ends_quote && open.last().is_some_and(|f| f.mark == Mark::Quote) {
                    k += 2;
                } else {
                    k += toggle(&mut out, &mut open, Mark::Spoiler, byte, 2)?;
                }
            }
            // Links can't contain links: a second `[` is left to the reserved-character error.
            '[' if !link_open(&open) => {
                open.push(Frame {
                    mark: Mark::Link,
                    start: out.units,
                    byte,
                });
                k += 1;
            }
            // A custom emoji may sit in a link's text, but not in another custom emoji.
            '!' if input.at(k + 1) == Some('[') && !open.iter().any(|f| f.mark == Mark::Emoji) => {
                open.push(Frame {
                    mark: Mark::Emoji,
                    start: out.units,
                    byte,
                });
                k += 2;
            }
            ']' if link_open(&open) => k = v2_link_end(&input, k, &mut out, &mut open)?,
            '`' => k = v2_code(&input, k, &mut out)?,
            _ if RESERVED.contains(c) => {
                return Err(format!(
                    "Character '{c}' is reserved and must be escaped with the preceding '\\'"
                ));
            }
            _ => {
                out.push(c);
                k += 1;
            }
        }
    }
    if quote_open(&open) {
        close_mark(&mut out, &mut open, Mark::Quote)?;
    }
    match open.last() {
        Some(f) => Err(unclosed(f.mark.name(), f.byte)),
        None => Ok(out),
    }
}

/// A marker that both opens and closes (`*`, `_`, `__`, `~`, `||`, `len` characters long):
/// it closes its entity if that is open, else opens it. Returns `len`.
fn toggle(out: &mut Out, open: &mut Vec<Frame>, mark: Mark, byte: usize, len: usize) -> Result<usize, String> {
    if open.iter().any(|f| f.mark == mark) {
        close_mark(out, open, mark)?;
    } else {
        open.push(Frame {
            mark,
            start: out.units,
            byte,
        });
    }
    Ok(len)
}

/// Closes `mark`, which must be the innermost open entity: entities may nest but not overlap,
/// so one still open inside it is the error.
fn close_mark(out: &mut Out, open: &mut Vec<Frame>, mark: Mark) -> Result<(), String> {
    match open.pop() {
        Some(f) if f.mark == mark => {
            if let Some(kind) = mark.kind() {
                out.close(f.start, Entity::new(kind, 0, 0));
            }
            Ok(())
        }
        Some(f) => Err(unclosed(f.mark.name(), f.byte)),
        None => Ok(()),
    }
}

/// The `]` at `k` ends a link's (or custom emoji's) text; `(url)` follows, where only `)` and
/// `\` need escaping. Returns the index after it all.
fn v2_link_end(input: &Input, k: usize, out: &mut Out, open: &mut Vec<Frame>) -> Result<usize, String> {
    let frame = match open.pop() {
        Some(f) if matches!(f.mark, Mark::Link | Mark::Emoji) => f,
        Some(f) => return Err(unclosed(f.mark.name(), f.byte)),
        None => return Ok(k + 1), // callers check that a link is open
    };
    let mut k = k + 1;
    if input.at(k) != Some('(') {
        // `[text]` without a URL: the text stays, unlinked.
        return Ok(k);
    }
    k += 1;
    let mut url = String::new();
    loop {
        match (input.at(k), input.escaped(k)) {
            (None, _) => return Err(unclosed(frame.mark.name(), frame.byte)),
            (Some(')'), _) => break,
            (_, Some(e)) => {
                url.push(e);
                k += 2;
            }
            (Some(c), None) => {
                url.push(c);
                k += 1;
            }
        }
    }
    // A custom emoji keeps only its fallback emoji: Hybrid has no custom emoji entities.
    if frame.mark == Mark::Link
        && let Some(link) = link_entity(&url)
    {
        out.close(frame.start, link);
    }
    Ok(k + 1)
}

/// "`code`" or "```language\npre```" from the backtick at `k`. Inside, `\` escapes and nothing
/// else is markup; a lone backtick inside a block is kept. Returns the index after the end.
fn v2_code(input: &Input, k: usize, out: &mut Out) -> Result<usize, String> {
    let byte = input.byte(k);
    let block = input.starts_with(k, "```");
    let mut k = if block { k + 3 } else { k + 1 };
    let mut language = None;
    if block {
        // The first line names the language when it is one word (or nothing) ended by a newline;
        // otherwise it is already content, as in "```print(1)```".
        let word = input.0[k..].iter().take_while(|p| is_language_char(p.1)).count();
        if input.at(k + word) == Some('\n') {
            language = Some(chars_to_string(&input.0[k..k + word])).filter(|l| is_language(l));
            k += word + 1;
        }
    }
    let start = out.units;
    loop {
        match (input.at(k), input.escaped(k)) {
            (None, _) => return Err(unclosed(if block { "Pre" } else { "Code" }, byte)),
            (Some('`'), _) if !block || input.starts_with(k, "```") => break,
            (_, Some(e)) => {
                out.push(e);
                k += 2;
            }
            (Some(c), None) => {
                out.push(c);
                k += 1;
            }
        }
    }
    let kind = if block { EntityKind::Pre } else { EntityKind::Code };
    out.close(
        start,
        Entity {
            language,
            ..Entity::new(kind, 0, 0)
        },
    );
    Ok(if block { k + 3 } else { k + 1 })
}

// ---------------------------------------------------------------------------------------------
// Markdown (legacy)
// ---------------------------------------------------------------------------------------------

/// Legacy Markdown: `*bold*`, `_italic_`, `` `code` ``, ```` ```language\npre``` ```` and
/// `[text](url)`. Entities don't nest: an entity's text runs to the first closing marker and
/// is taken as is. `\` escapes `_ * ` [` outside entities only.
fn markdown(src: &str) -> Result<Out, String> {
    let chars: Vec<(usize, char)> = src.char_indices().collect();
    let at = |k: usize| chars.get(k).map(|p| p.1);
    let mut out = Out::default();
    let mut k = 0;
    while let Some(&(byte, c)) = chars.get(k) {
        let unclosed = || format!("Can't find end of the entity starting at byte offset {byte}");
        match c {
            '\\' if matches!(at(k + 1), Some('_' | '*' | '`' | '[')) => {
                out.push(chars[k + 1].1);
                k += 2;
            }
            '*' | '_' => {
                let end = find(&chars, k + 1, if c == '*' { "*" } else { "_" }).ok_or_else(unclosed)?;
                let start = out.units;
                out.push_chars(&chars[k + 1..end]);
                out.close(
                    start,
                    Entity::new(if c == '*' { EntityKind::Bold } else { EntityKind::Italic }, 0, 0),
                );
                k = end + 1;
            }
            '`' if chars.get(k..k + 3).is_some_and(|f| f.iter().all(|p| p.1 == '`')) => {
                let end = find(&chars, k + 3, "```").ok_or_else(unclosed)?;
                let mut body = k + 3;
                // Same first-line rule as MarkdownV2: a lone word before a newline is the language.
                let word = chars[body..end].iter().take_while(|p| is_language_char(p.1)).count();
                let mut language = None;
                if body + word < end && chars[body + word].1 == '\n' {
                    language = Some(chars_to_string(&chars[body..body + word])).filter(|l| is_language(l));
                    body += word + 1;
                }
                let start = out.units;
                out.push_chars(&chars[body..end]);
                out.close(
                    start,
                    Entity {
                        language,
                        ..Entity::new(EntityKind::Pre, 0, 0)
                    },
                );
                k = end + 3;
            }
            '`' => {
                let end = find(&chars, k + 1, "`").ok_or_else(unclosed)?;
                let start = out.units;
                out.push_chars(&chars[k + 1..end]);
                out.close(start, Entity::new(EntityKind::Code, 0, 0));
                k = end + 1;
            }
            '[' => {
                let close = find(&chars, k + 1, "]").ok_or_else(unclosed)?;
                let start = out.units;
                out.push_chars(&chars[k + 1..close]);
                k = close + 1;
                if at(k) == Some('(') {
                    let end = find(&chars, k + 1, ")").ok_or_else(unclosed)?;
                    if let Some(link) = link_entity(&chars_to_string(&chars[k + 1..end])) {
                        out.close(start, link);
                    }
                    k = end + 1;
                }
            }
            _ => {
                out.push(c);
                k += 1;
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use EntityKind::*;

    fn e(kind: EntityKind, offset: i64, length: i64) -> Entity {
        Entity::new(kind, offset, length)
    }

    fn link(offset: i64, length: i64, url: &str) -> Entity {
        Entity {
            url: Some(url.into()),
            ..e(TextLink, offset, length)
        }
    }

    fn ok(mode: ParseMode, text: &str) -> (String, Vec<Entity>) {
        parse(mode, text).unwrap_or_else(|err| panic!("{text:?}: {err}"))
    }

    fn err(mode: ParseMode, text: &str) -> String {
        match parse(mode, text) {
            Ok(parsed) => panic!("{text:?} parsed: {parsed:?}"),
            Err(err) => err
                .strip_prefix("can't parse entities: ")
                .map(String::from)
                .unwrap_or(err),
        }
    }

    use ParseMode::{Html, Markdown, MarkdownV2 as V2};

    #[test]
    fn parse_mode_names() {
        assert_eq!(ParseMode::from_name("HTML"), Ok(Some(Html)));
        assert_eq!(ParseMode::from_name("html"), Ok(Some(Html)));
        assert_eq!(ParseMode::from_name("markdownv2"), Ok(Some(V2)));
        assert_eq!(ParseMode::from_name("Markdown"), Ok(Some(Markdown)));
        assert_eq!(ParseMode::from_name(""), Ok(None));
        assert_eq!(ParseMode::from_name("xml"), Err("unsupported parse_mode".to_string()));
    }

    #[test]
    fn html_every_tag() {
        let (text, entities) = ok(
            Html,
            "<b>b</b><strong>b</strong><i>i</i><em>i</em><u>u</u><ins>u</ins><s>s</s><strike>s</strike>\
             <del>s</del><tg-spoiler>p</tg-spoiler><span class=\"tg-spoiler\">p</span><code>c</code>\
             <pre>p</pre><blockquote>q</blockquote><blockquote expandable>q</blockquote>",
        );
        assert_eq!(text, "bbiiuusssppcpqq");
        let kinds = [
            Bold,
            Bold,
            Italic,
            Italic,
            Underline,
            Underline,
            Strikethrough,
            Strikethrough,
            Strikethrough,
            Spoiler,
            Spoiler,
            Code,
            Pre,
            Blockquote,
            Blockquote,
        ];
        let expected: Vec<Entity> = kinds.iter().enumerate().map(|(i, &k)| e(k, i as i64, 1)).collect();
        assert_eq!(entities, expected);
    }

    #[test]
    fn html_nesting_from_the_documentation() {
        let (text, entities) = ok(
            Html,
            "<b>bold <i>italic bold <s>italic bold strikethrough <span class=\"tg-spoiler\">italic bold \
             strikethrough spoiler</span></s> <u>underline italic bold</u></i> bold</b>",
        );
        assert_eq!(
            text,
            "bold italic bold italic bold strikethrough italic bold strikethrough spoiler underline italic bold bold"
        );
        assert_eq!(
            entities,
            vec![
                e(Bold, 0, 103),
                e(Italic, 5, 93),
                e(Strikethrough, 17, 59),
                e(Spoiler, 43, 33),
                e(Underline, 77, 21),
            ]
        );
    }

    #[test]
    fn html_links_and_mentions() {
        let (text, entities) = ok(
            Html,
            "<a href=\"http://www.example.com/\">url</a> <a href='tg://user?id=123456789'>me</a> \
             <a href=example.org/x?a=1&amp;b=2>bare</a> <a href=\"javascript:alert(1)\">js</a>",
        );
        assert_eq!(text, "url me bare js");
        assert_eq!(
            entities,
            vec![
                link(0, 3, "http://www.example.com/"),
                Entity {
                    user_id: Some(123456789),
                    ..e(TextMention, 4, 2)
                },
                link(7, 4, "http://example.org/x?a=1&b=2"),
            ]
        );
    }

    #[test]
    fn html_pre_with_language() {
        let (text, entities) = ok(Html, "<pre><code class=\"language-python\">print(1)</code></pre>");
        assert_eq!(text, "print(1)");
        assert_eq!(
            entities,
            vec![Entity {
                language: Some("python".into()),
                ..e(Pre, 0, 8)
            }]
        );
        // Without a class, code inside pre adds nothing; standalone code takes no language.
        assert_eq!(ok(Html, "<pre><code>x</code></pre>").1, vec![e(Pre, 0, 1)]);
        assert_eq!(ok(Html, "<code class=\"language-c\">x</code>").1, vec![e(Code, 0, 1)]);
    }

    #[test]
    fn html_character_references() {
        let (text, entities) = ok(Html, "&lt;b&gt; &amp; &quot; &#65;&#x42;&#X43; &nbsp; &#0; & x;");
        assert_eq!(text, "<b> & \" ABC &nbsp; &#0; & x;");
        assert!(entities.is_empty());
    }

    #[test]
    fn html_case_whitespace_and_custom_emoji() {
        let (text, entities) = ok(
            Html,
            "<B >x</b\n><tg-emoji emoji-id=\"5368324170671202286\">👍</tg-emoji>",
        );
        assert_eq!(text, "x👍");
        assert_eq!(entities, vec![e(Bold, 0, 1)]);
    }

    #[test]
    fn html_utf16_offsets() {
        let (text, entities) = ok(Html, "👍 <b>привет 😀</b>!");
        assert_eq!(text, "👍 привет 😀!");
        assert_eq!(entities, vec![e(Bold, 3, 9)]);
    }

    #[test]
    fn html_errors() {
        assert_eq!(
            err(Html, "hello<foo>x</foo>"),
            "Unsupported start tag \"foo\" at byte offset 5"
        );
        assert_eq!(err(Html, "a < b"), "Unsupported start tag \"\" at byte offset 2");
        assert_eq!(err(Html, "ok</b>"), "Unexpected end tag at byte offset 2");
        assert_eq!(err(Html, "<b>x"), "Can't find end tag corresponding to start tag \"b\"");
        assert_eq!(err(Html, "x<a href=\"y"), "Unclosed start tag at byte offset 1");
        assert_eq!(err(Html, "x<b"), "Unclosed start tag at byte offset 1");
        assert_eq!(err(Html, "<b>x</b"), "Unclosed end tag at byte offset 4");
        assert_eq!(
            err(Html, "<b><i>x</b></i>"),
            "Unmatched end tag at byte offset 7, expected \"</i>\", found \"</b>\""
        );
        assert_eq!(
            err(Html, "<span>x</span>"),
            "Tag \"span\" must have class \"tg-spoiler\" at byte offset 0"
        );
        assert_eq!(
            err(Html, "<b =x>x</b>"),
            "Empty attribute name in the tag \"b\" at byte offset 3"
        );
        assert_eq!(parse(Html, "<b></b>"), Err("message text is empty".to_string()));
    }

    #[test]
    fn html_drops_empty_and_duplicate_entities() {
        assert_eq!(ok(Html, "a<b></b><i>b</i>").1, vec![e(Italic, 1, 1)]);
        assert_eq!(ok(Html, "<b><b>x</b></b>").1, vec![e(Bold, 0, 1)]);
        assert_eq!(
            ok(Html, "<blockquote><blockquote>x</blockquote></blockquote>").1,
            vec![e(Blockquote, 0, 1)]
        );
        assert_eq!(
            ok(Html, "<a href=x.y><a href=z.w>t</a></a>").1,
            vec![link(0, 1, "http://x.y")]
        );
    }

    #[test]
    fn v2_every_marker() {
        let (text, entities) = ok(V2, "*b* _i_ __u__ ~s~ ||p|| `c` ```\np```");
        assert_eq!(text, "b i u s p c p");
        let kinds = [Bold, Italic, Underline, Strikethrough, Spoiler, Code, Pre];
        let expected: Vec<Entity> = kinds.iter().enumerate().map(|(i, &k)| e(k, 2 * i as i64, 1)).collect();
        assert_eq!(entities, expected);
    }

    #[test]
    fn v2_nesting_from_the_documentation() {
        let (text, entities) = ok(
            V2,
            "*bold _italic bold ~italic bold strikethrough ||italic bold strikethrough spoiler||~ \
             __underline italic bold___ bold*",
        );
        assert_eq!(
            text,
            "bold italic bold italic bold strikethrough italic bold strikethrough spoiler underline italic bold bold"
        );
        assert_eq!(
            entities,
            vec![
                e(Bold, 0, 103),
                e(Italic, 5, 93),
                e(Strikethrough, 17, 59),
                e(Spoiler, 43, 33),
                e(Underline, 77, 21),
            ]
        );
    }

    #[test]
    fn v2_escapes() {
        let (text, entities) = ok(V2, r"*bold \*text* 1\.5 \\ \a \_\|\>");
        assert_eq!(text, r"bold *text 1.5 \ a _|>");
        assert_eq!(entities, vec![e(Bold, 0, 10)]);
        // A `\` before a non-ASCII character or at the end is itself.
        assert_eq!(ok(V2, "\\я\\").0, "\\я\\");
    }

    #[test]
    fn v2_reserved_characters() {
        for c in ['.', '!', '#', '+', '-', '=', '{', '}', '(', ')', ']', '|', '>'] {
            let text = format!("a{c}");
            assert_eq!(
                err(V2, &text),
                format!("Character '{c}' is reserved and must be escaped with the preceding '\\'")
            );
        }
        assert_eq!(
            err(V2, "*Hello.*"),
            "Character '.' is reserved and must be escaped with the preceding '\\'"
        );
    }

    #[test]
    fn v2_unclosed_entities() {
        assert_eq!(err(V2, "ab *x"), "Can't find end of Bold entity at byte offset 3");
        assert_eq!(err(V2, "я _x"), "Can't find end of Italic entity at byte offset 3");
        assert_eq!(err(V2, "__x"), "Can't find end of Underline entity at byte offset 0");
        assert_eq!(err(V2, "~x"), "Can't find end of Strikethrough entity at byte offset 0");
        assert_eq!(err(V2, "||x"), "Can't find end of Spoiler entity at byte offset 0");
        assert_eq!(err(V2, "`x"), "Can't find end of Code entity at byte offset 0");
        assert_eq!(err(V2, "a ```x\ny``"), "Can't find end of Pre entity at byte offset 2");
        assert_eq!(err(V2, "[x"), "Can't find end of TextUrl entity at byte offset 0");
        assert_eq!(
            err(V2, "a [x](http://y"),
            "Can't find end of TextUrl entity at byte offset 2"
        );
        // Entities nest but can't overlap: the inner one is reported.
        assert_eq!(err(V2, "*a _b* c_"), "Can't find end of Italic entity at byte offset 3");
        assert_eq!(err(V2, "___x___"), "Can't find end of Italic entity at byte offset 2");
    }

    #[test]
    fn v2_links_mentions_and_custom_emoji() {
        let (text, entities) = ok(
            V2,
            r"[inline URL](http://www.example.com/) [me](tg://user?id=123456789) ![👍](tg://emoji?id=5368324170671202286) [p](http://x.org/\)\\) [js](javascript:x) [*b*](HTTPS://a.b)",
        );
        assert_eq!(text, "inline URL me 👍 p js b");
        assert_eq!(
            entities,
            vec![
                link(0, 10, "http://www.example.com/"),
                Entity {
                    user_id: Some(123456789),
                    ..e(TextMention, 11, 2)
                },
                link(17, 1, "http://x.org/)\\"),
                link(22, 1, "https://a.b"),
                e(Bold, 22, 1),
            ]
        );
        // Brackets without a URL keep the text, unlinked.
        assert_eq!(ok(V2, "[x] y").0, "x y");
    }

    #[test]
    fn v2_code_and_pre() {
        let (text, entities) = ok(V2, "`a*b\\`c` ```python\nprint(\"\\\\\")\n``` ```x.y```");
        assert_eq!(text, "a*b`c print(\"\\\")\n x.y");
        assert_eq!(
            entities,
            vec![
                e(Code, 0, 5),
                Entity {
                    language: Some("python".into()),
                    ..e(Pre, 6, 11)
                },
                e(Pre, 18, 3),
            ]
        );
    }

    #[test]
    fn v2_blockquotes_from_the_documentation() {
        let src = ">Block quotation started\n>Block quotation continued\n>The last line of the block quotation\n\
                   **>The expandable block quotation started\n>Expandable block quotation continued\n\
                   >The last line of the expandable block quotation with the expandability mark||";
        let (text, entities) = ok(V2, src);
        let first = "Block quotation started\nBlock quotation continued\nThe last line of the block quotation";
        let second = "The expandable block quotation started\nExpandable block quotation continued\n\
                      The last line of the expandable block quotation with the expandability mark";
        assert_eq!(text, format!("{first}\n{second}"));
        let len = |s: &str| s.encode_utf16().count() as i64;
        assert_eq!(
            entities,
            vec![e(Blockquote, 0, len(first)), e(Blockquote, len(first) + 1, len(second))]
        );
        // A quote ends where lines stop starting with `>`, and may hold other entities.
        assert_eq!(ok(V2, ">*a*\n>b\nc").1, vec![e(Blockquote, 0, 3), e(Bold, 0, 1)]);
        assert_eq!(
            err(V2, "*a\n>b*"),
            "Can't find end of Blockquote entity at byte offset 3"
        );
        assert_eq!(err(V2, ">*a\nb*"), "Can't find end of Bold entity at byte offset 1");
        // A spoiler closing at the end of a quote is a spoiler, not the expandability mark.
        assert_eq!(ok(V2, ">||x||").1, vec![e(Blockquote, 0, 1), e(Spoiler, 0, 1)]);
    }

    #[test]
    fn v2_italic_underline_ambiguity() {
        let expected = vec![e(Underline, 0, 16), e(Italic, 0, 16)];
        assert_eq!(
            ok(V2, "___italic underline_\r__"),
            ("italic underline".to_string(), expected.clone())
        );
        assert_eq!(
            ok(V2, "___italic underline_**__"),
            ("italic underline".to_string(), expected)
        );
        // `__` is underline first: `___a___` closes underline while italic is open.
        assert_eq!(ok(V2, "__a___b_").1, vec![e(Underline, 0, 1), e(Italic, 1, 1)]);
    }

    #[test]
    fn v2_utf16_offsets_and_crlf() {
        let (text, entities) = ok(V2, "Привет, 😀 *мир*\r\n_ok_");
        assert_eq!(text, "Привет, 😀 мир\nok");
        assert_eq!(entities, vec![e(Bold, 11, 3), e(Italic, 15, 2)]);
        assert_eq!(parse(V2, "**"), Err("message text is empty".to_string()));
    }

    #[test]
    fn markdown_legacy() {
        let (text, entities) = ok(
            Markdown,
            "*bold text* _italic text_ [inline URL](http://www.example.com/) [me](tg://user?id=123456789) \
             `code` ```python\nprint(1)```",
        );
        assert_eq!(text, "bold text italic text inline URL me code print(1)");
        assert_eq!(
            entities,
            vec![
                e(Bold, 0, 9),
                e(Italic, 10, 11),
                link(22, 10, "http://www.example.com/"),
                Entity {
                    user_id: Some(123456789),
                    ..e(TextMention, 33, 2)
                },
                e(Code, 36, 4),
                Entity {
                    language: Some("python".into()),
                    ..e(Pre, 41, 8)
                },
            ]
        );
    }

    #[test]
    fn markdown_legacy_escapes_and_no_nesting() {
        // The documentation's own examples: italic snake_case and bold 2*2=4.
        let (text, entities) = ok(Markdown, r"_snake_\__case_ *2*\**2=4*");
        assert_eq!(text, "snake_case 2*2=4");
        assert_eq!(
            entities,
            vec![e(Italic, 0, 5), e(Italic, 6, 4), e(Bold, 11, 1), e(Bold, 13, 3)]
        );
        // No nesting, and other characters are plain.
        let (text, entities) = ok(Markdown, r"*a _b_* 1.5 \d ~x~ ```c```");
        assert_eq!(text, r"a _b_ 1.5 \d ~x~ c");
        assert_eq!(entities, vec![e(Bold, 0, 5), e(Pre, 17, 1)]);
    }

    #[test]
    fn markdown_legacy_errors() {
        let message = |n: usize| format!("Can't find end of the entity starting at byte offset {n}");
        assert_eq!(err(Markdown, "ab *x"), message(3));
        assert_eq!(err(Markdown, "_x"), message(0));
        assert_eq!(err(Markdown, "я `x"), message(3));
        assert_eq!(err(Markdown, "```x``"), message(0));
        assert_eq!(err(Markdown, "[x"), message(0));
        assert_eq!(err(Markdown, "[x](y"), message(0));
        assert_eq!(parse(Markdown, "__"), Err("message text is empty".to_string()));
    }

    #[test]
    fn link_targets() {
        let url = |raw: &str| link_entity(raw).and_then(|e| e.url);
        assert_eq!(url("https://example.com"), Some("https://example.com".into()));
        assert_eq!(url("HTTP://Example.com/A"), Some("http://Example.com/A".into()));
        assert_eq!(url(" example.com:8080/x "), Some("http://example.com:8080/x".into()));
        assert_eq!(url("tg://resolve?domain=x"), Some("tg://resolve?domain=x".into()));
        for bad in [
            "javascript:alert(1)",
            "JavaScript://x.y",
            "mailto:a@b.c",
            "http://",
            "localhost",
            "a b.c",
            "",
        ] {
            assert_eq!(link_entity(bad), None, "{bad}");
        }
        assert_eq!(link_entity("tg://user?id=42").and_then(|e| e.user_id), Some(42));
        assert_eq!(link_entity("tg://user?id=-1").map(|e| e.kind), Some(TextLink));
    }

    #[test]
    fn html_attribute_forms_and_quote_with_pre() {
        let (text, entities) = ok(Html, "<a title=x href = 'http://a.b/?x=1&amp;y=2' data-z>l</a>");
        assert_eq!(
            (text.as_str(), entities),
            ("l", vec![link(0, 1, "http://a.b/?x=1&y=2")])
        );
        let (text, entities) = ok(Html, "<blockquote expandable>q\n<pre>p</pre></blockquote>\nafter");
        assert_eq!(text, "q\np\nafter");
        assert_eq!(entities, vec![e(Blockquote, 0, 3), e(Pre, 2, 1)]);
        // An `<a>` without href keeps its text.
        assert_eq!(ok(Html, "<a>x</a>"), ("x".to_string(), vec![]));
    }

    #[test]
    fn v2_formatted_links_and_emoji_inside_links() {
        let (text, entities) = ok(V2, "*[me](tg://user?id=1)* [a ![😀](tg://emoji?id=2)](http://b.c)");
        assert_eq!(text, "me a 😀");
        assert_eq!(
            entities,
            vec![
                e(Bold, 0, 2),
                Entity {
                    user_id: Some(1),
                    ..e(TextMention, 0, 2)
                },
                link(3, 4, "http://b.c")
            ]
        );
        assert_eq!(
            err(V2, "[a [b](c.d)](e.f)"),
            "Character '[' is reserved and must be escaped with the preceding '\\'"
        );
        assert_eq!(err(V2, "![x"), "Can't find end of CustomEmoji entity at byte offset 0");
    }

    #[test]
    fn markdown_legacy_utf16_and_unlinked_brackets() {
        let (text, entities) = ok(Markdown, "😀 *я* [x] ]) `a_b`");
        assert_eq!(text, "😀 я x ]) a_b");
        assert_eq!(entities, vec![e(Bold, 3, 1), e(Code, 10, 3)]);
    }

    #[test]
    fn entities_are_sorted_outer_first() {
        let (_, entities) = ok(Html, "<i>a</i><b>bc<u>d</u></b>");
        assert_eq!(entities, vec![e(Italic, 0, 1), e(Bold, 1, 3), e(Underline, 3, 1)]);
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    /// Text rich in what the parsers treat specially, plus astral and Cyrillic characters.
    fn markup() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            "[a-z ]{1,4}",
            "[*_~|`\\[\\]()>!.\\\\<>/&;#=\n\r-]{1,3}",
            prop::sample::select(vec![
                "<b>",
                "</b>",
                "<i>",
                "</i>",
                "<pre>",
                "</pre>",
                "<code class=\"language-rs\">",
                "</code>",
                "<a href=\"tg://user?id=7\">",
                "<a href=x.y>",
                "</a>",
                "<blockquote>",
                "</blockquote>",
                "&amp;",
                "&#128512;",
                "```",
                "```py\n",
                "](http://a.b)",
                "**>",
                "\\",
                "😀",
                "я",
            ])
            .prop_map(String::from),
            any::<char>().prop_map(String::from),
        ];
        prop::collection::vec(piece, 0..24).prop_map(|pieces| pieces.concat())
    }

    fn check(text: &str) -> Result<(), TestCaseError> {
        for mode in [ParseMode::Html, ParseMode::MarkdownV2, ParseMode::Markdown] {
            if let Ok((plain, entities)) = parse(mode, text) {
                let len = plain.encode_utf16().count() as i64;
                prop_assert!(!plain.is_empty());
                for e in &entities {
                    prop_assert!(
                        e.length > 0 && e.offset >= 0 && e.offset + e.length <= len,
                        "{mode:?} {e:?}"
                    );
                }
                prop_assert!(
                    entities
                        .windows(2)
                        .all(|w| (w[0].offset, -w[0].length) <= (w[1].offset, -w[1].length))
                );
            }
        }
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn arbitrary_text_never_panics(text in any::<String>()) {
            check(&text)?;
        }

        #[test]
        fn markup_never_panics(text in markup()) {
            check(&text)?;
        }
    }
}
