//! Email out: what notify's messages say (a text and an HTML part, in English) and sending
//! them over SMTP with lettre. Every message but an address's confirmation carries RFC 8058's
//! one-click unsubscribe (`List-Unsubscribe` + `List-Unsubscribe-Post`), so a mail client's
//! "unsubscribe" button turns these emails off without signing in.

use std::fmt::Write as _;

use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use hybrid_core::text::html_escape as escape;

use crate::api::{Notification, NotificationKind};
use crate::settings::NotifyConfig;

/// Entries listed in one message; the rest are counted.
const LISTED: usize = 20;

/// A message to send, before it is formatted.
pub struct Letter {
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// The one-click unsubscribe link, if the message offers one.
    pub unsubscribe: Option<String>,
}

/// Why a message did not go.
pub enum SendError {
    /// Trying again may work (the server is down, a 4xx SMTP reply).
    Transient(String),
    /// It will not (a refused address, a 5xx SMTP reply).
    Permanent(String),
}

/// Sends notify's email, when the operator set an SMTP server.
pub struct Mailer {
    transport: Option<AsyncSmtpTransport<Tokio1Executor>>,
    from: Mailbox,
    web_url: String,
}

impl Mailer {
    pub fn new(config: &NotifyConfig) -> anyhow::Result<Mailer> {
        let transport = match config.smtp_url.trim() {
            "" => None,
            url => Some(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|e| anyhow::anyhow!("notify.smtp_url is not a usable SMTP URL: {e}"))?
                    .build(),
            ),
        };
        let from = config
            .email_from
            .parse()
            .map_err(|e| anyhow::anyhow!("notify.email_from is not an address ({e})"))?;
        Ok(Mailer {
            transport,
            from,
            web_url: config.web_url.trim_end_matches('/').to_owned(),
        })
    }

    /// Whether this server sends email at all.
    pub fn available(&self) -> bool {
        self.transport.is_some()
    }

    /// An absolute link to `path` (which starts with `/`) where people open Hybrid.
    pub fn link(&self, path: &str) -> String {
        format!("{}{path}", self.web_url)
    }

    pub async fn send(&self, letter: Letter) -> Result<(), SendError> {
        let Some(transport) = &self.transport else {
            return Err(SendError::Permanent("this server sends no email".into()));
        };
        let to: Mailbox = letter
            .to
            .parse()
            .map_err(|e| SendError::Permanent(format!("{:?} is not an address: {e}", letter.to)))?;
        let mut builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(letter.subject);
        if let Some(link) = &letter.unsubscribe {
            builder = builder
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe"),
                    format!("<{link}>"),
                ))
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                    "List-Unsubscribe=One-Click".to_owned(),
                ));
        }
        let message = builder
            .multipart(MultiPart::alternative_plain_html(letter.text, letter.html))
            .map_err(|e| SendError::Permanent(format!("the message could not be built: {e}")))?;
        match transport.send(message).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_permanent() => Err(SendError::Permanent(e.to_string())),
            Err(e) => Err(SendError::Transient(e.to_string())),
        }
    }
}

/// The message with the link that confirms an address.
pub fn confirmation(to: &str, link: &str) -> Letter {
    let text = format!(
        "Someone (we hope you) asked Hybrid to send notifications to this address.\n\n\
         Confirm it by opening this link within 24 hours:\n{link}\n\n\
         If it was not you, ignore this message: nothing more will come."
    );
    let html = format!(
        "<p>Someone (we hope you) asked Hybrid to send notifications to this address.</p>\
         <p><a href=\"{href}\">Confirm this address</a> within 24 hours.</p>\
         <p>If it was not you, ignore this message: nothing more will come.</p>",
        href = escape(link)
    );
    Letter {
        to: to.to_owned(),
        subject: "Confirm your address for Hybrid".into(),
        text,
        html,
        unsubscribe: None,
    }
}

/// One entry as a message lists it.
pub struct Line<'a> {
    pub entry: &'a Notification,
    /// Who did it, as people know them.
    pub actor: &'a str,
    /// Where the entry opens.
    pub link: String,
}

/// "amy mentioned you in Team".
fn what_happened(line: &Line<'_>) -> String {
    let entry = line.entry;
    let in_chat = if entry.chat_title.is_empty() {
        String::new()
    } else {
        format!(" in {}", entry.chat_title)
    };
    match entry.kind {
        NotificationKind::Mention => format!("{} mentioned you{in_chat}", line.actor),
        NotificationKind::Reply => format!("{} replied to you{in_chat}", line.actor),
        NotificationKind::DirectMessage => format!("{} wrote to you", line.actor),
        NotificationKind::Reaction => format!("{} reacted to your message{in_chat}", line.actor),
        NotificationKind::AddedToChat => format!("{} added you to {}", line.actor, entry.chat_title),
    }
}

/// A message listing entries: unread ones after a delay, or a day's digest. `total` counts
/// all there are (only the first [`LISTED`] are shown).
pub fn entries(to: &str, subject: String, lines: &[Line<'_>], total: usize, unsubscribe: &str) -> Letter {
    let mut text = String::new();
    let mut html = String::from("<ul>");
    for line in lines.iter().take(LISTED) {
        let what = what_happened(line);
        let preview = &line.entry.preview;
        // an entry without text (being added to a chat) is its line alone
        if preview.is_empty() {
            let _ = writeln!(text, "* {what}\n  {}\n", line.link);
            let _ = write!(
                html,
                "<li><a href=\"{}\">{}</a></li>",
                escape(&line.link),
                escape(&what)
            );
        } else {
            let _ = writeln!(text, "* {what}:\n  {preview}\n  {}\n", line.link);
            let _ = write!(
                html,
                "<li><a href=\"{}\">{}</a><br><q>{}</q></li>",
                escape(&line.link),
                escape(&what),
                escape(preview)
            );
        }
    }
    html.push_str("</ul>");
    let more = total.saturating_sub(LISTED.min(lines.len()));
    if more > 0 {
        let _ = writeln!(text, "…and {more} more in Hybrid.\n");
        let _ = write!(html, "<p>…and {more} more in Hybrid.</p>");
    }
    let _ = write!(
        text,
        "You get these emails because of your notification settings in Hybrid.\nUnsubscribe: {unsubscribe}\n"
    );
    let _ = write!(
        html,
        "<p style=\"color:#666\">You get these emails because of your notification settings in Hybrid. \
         <a href=\"{}\">Unsubscribe</a></p>",
        escape(unsubscribe)
    );
    Letter {
        to: to.to_owned(),
        subject,
        text,
        html: format!("<!doctype html><html><body>{html}</body></html>"),
        unsubscribe: Some(unsubscribe.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(kind: NotificationKind, title: &str, preview: &str) -> Notification {
        Notification {
            id: 1,
            kind,
            chat_id: 2,
            seq: Some(3),
            actor_id: 4,
            chat_title: title.into(),
            preview: preview.into(),
            created_at: 0,
            read_at: None,
        }
    }

    #[test]
    fn html_gets_no_markup_from_what_people_wrote() {
        let mention = entry(NotificationKind::Mention, "<b>Team</b>", "a < b & \"c\"");
        let line = Line {
            entry: &mention,
            actor: "amy",
            link: "https://h.example/chat/2?seq=3".into(),
        };
        let letter = entries("bob@example.com", "s".into(), &[line], 1, "https://h.example/u?token=t");
        assert!(
            letter.html.contains("amy mentioned you in &lt;b&gt;Team&lt;/b&gt;"),
            "{}",
            letter.html
        );
        assert!(letter.html.contains("a &lt; b &amp; &quot;c&quot;"));
        assert!(
            letter
                .text
                .contains("amy mentioned you in <b>Team</b>:\n  a < b & \"c\"")
        );
        assert!(!letter.html.contains("<b>"));
    }

    #[test]
    fn a_long_list_shows_its_first_entries_and_counts_the_rest() {
        let direct = entry(NotificationKind::DirectMessage, "", "hi");
        let lines: Vec<Line<'_>> = (0..25)
            .map(|_| Line {
                entry: &direct,
                actor: "amy",
                link: "l".into(),
            })
            .collect();
        let letter = entries("bob@example.com", "s".into(), &lines, 30, "u");
        assert_eq!(letter.text.matches("amy wrote to you").count(), LISTED);
        assert!(letter.text.contains("…and 10 more"), "{}", letter.text);
    }
}
