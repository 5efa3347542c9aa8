//! Strings that arrive from a peer but must be `&'static str` here (error codes, topic
//! namespaces): each comes from a small fixed vocabulary, so each distinct one is leaked once.

use std::sync::Mutex;

/// Interned strings of one vocabulary, with a cap: past it (a peer gone wrong) new ones fold
/// into `overflow` instead of leaking without bound.
pub struct Vocabulary {
    known: Mutex<Vec<&'static str>>,
    cap: usize,
    overflow: &'static str,
}

impl Vocabulary {
    pub const fn new(cap: usize, overflow: &'static str) -> Vocabulary {
        Vocabulary {
            known: Mutex::new(Vec::new()),
            cap,
            overflow,
        }
    }

    pub fn intern(&self, text: &str) -> &'static str {
        let mut known = self.known.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(found) = known.iter().find(|known| **known == text) {
            return found;
        }
        if known.len() >= self.cap {
            return self.overflow;
        }
        let leaked: &'static str = Box::leak(text.to_owned().into_boxed_str());
        known.push(leaked);
        leaked
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_word_is_kept_once_up_to_the_cap() {
        let words = Vocabulary::new(2, "other");
        let first = words.intern("chat");
        assert!(
            std::ptr::eq(first, words.intern("chat")),
            "the same leak is handed out again"
        );
        assert_eq!(words.intern("user"), "user");
        assert_eq!(words.intern("third"), "other");
    }
}
