//! Reading an audience file: one person per line (TXT), or the first column of a CSV. Phones
//! are normalised to E.164 with libphonenumber's data (`phonenumber`), usernames lose their
//! `@` or `t.me/` and are lowercased; every line that names nobody is reported with why.

use std::collections::HashSet;

use crate::api::RejectedLine;
use crate::connector::Handle;

/// Rejected lines kept in a report (the count covers all).
pub const MAX_REPORTED: usize = 100;

/// A file read into handles.
#[derive(Debug, Default)]
pub struct Parsed {
    /// Distinct handles, in file order.
    pub handles: Vec<Handle>,
    /// Lines naming someone named before in the file.
    pub duplicates: i64,
    pub rejected: Vec<RejectedLine>,
    pub rejected_count: i64,
}

/// Names a CSV header's first column may have.
const HEADERS: &[&str] = &[
    "phone",
    "phones",
    "phone_number",
    "username",
    "usernames",
    "user",
    "contact",
    "value",
];

pub fn parse(text: &str, region: Option<phonenumber::country::Id>) -> Parsed {
    let mut parsed = Parsed::default();
    let mut seen = HashSet::new();
    for (index, line) in text.lines().enumerate() {
        let field = first_field(line);
        if field.is_empty() || (index == 0 && HEADERS.contains(&field.to_ascii_lowercase().as_str())) {
            continue;
        }
        match handle(field, region) {
            Ok(handle) => {
                if seen.insert(handle.clone()) {
                    parsed.handles.push(handle);
                } else {
                    parsed.duplicates += 1;
                }
            }
            Err(reason) => {
                parsed.rejected_count += 1;
                if parsed.rejected.len() < MAX_REPORTED {
                    parsed.rejected.push(RejectedLine {
                        line: index as i64 + 1,
                        text: field.chars().take(100).collect(),
                        reason: reason.to_owned(),
                    });
                }
            }
        }
    }
    parsed
}

/// The first column of a CSV line (`,`, `;` or tab separated, quotes removed), trimmed.
fn first_field(line: &str) -> &str {
    let field = line.split([',', ';', '\t']).next().unwrap_or("").trim();
    field.trim_matches('"').trim()
}

pub fn handle(field: &str, region: Option<phonenumber::country::Id>) -> Result<Handle, &'static str> {
    let lower = field.to_ascii_lowercase();
    let name = ["https://t.me/", "http://t.me/", "t.me/", "@"]
        .iter()
        .find_map(|prefix| lower.strip_prefix(prefix));
    if let Some(name) = name {
        return username(name);
    }
    let looks_like_phone = field.starts_with('+') || field.starts_with(|c: char| c.is_ascii_digit());
    if !looks_like_phone {
        return username(&lower);
    }
    if !field.starts_with('+') && region.is_none() {
        return Err("a number without a +country code (give the import a region)");
    }
    let number = phonenumber::parse(region, field).map_err(|_| "not a phone number")?;
    if !phonenumber::is_valid(&number) {
        return Err("not a valid phone number");
    }
    Ok(Handle::Phone(number.format().mode(phonenumber::Mode::E164).to_string()))
}

fn username(name: &str) -> Result<Handle, &'static str> {
    let valid = (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.');
    if valid {
        Ok(Handle::Username(name.to_owned()))
    } else {
        Err("neither a phone number nor a username")
    }
}

/// A region code (`RU`) for numbers without a country code.
pub fn region(code: Option<&str>) -> Result<Option<phonenumber::country::Id>, hybrid_core::ApiError> {
    code.filter(|c| !c.trim().is_empty())
        .map(|c| {
            c.trim()
                .to_ascii_uppercase()
                .parse()
                .map_err(|_| hybrid_core::ApiError::validation("region", "not an ISO 3166 country code"))
        })
        .transpose()
}

impl Handle {
    pub fn kind(&self) -> &'static str {
        match self {
            Handle::Phone(_) => "phone",
            Handle::Username(_) => "username",
        }
    }

    pub fn value(&self) -> &str {
        match self {
            Handle::Phone(value) | Handle::Username(value) => value,
        }
    }

    pub fn from_stored(kind: &str, value: String) -> Handle {
        match kind {
            "phone" => Handle::Phone(value),
            _ => Handle::Username(value),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn values(parsed: &Parsed) -> Vec<&str> {
        parsed.handles.iter().map(Handle::value).collect()
    }

    #[test]
    fn phones_become_e164_and_usernames_lose_their_marks() {
        let text = "phone\n+7 (912) 345-67-89\n@Amy_B\nhttps://t.me/ben\n8 912 345 67 89\n+1 650-253-0000,extra\n";
        let parsed = parse(text, Some("RU".parse().unwrap()));
        assert_eq!(values(&parsed), ["+79123456789", "amy_b", "ben", "+16502530000"]);
        // 8 912 … in Russia is the same number as +7 912 …
        assert_eq!(parsed.duplicates, 1);
        assert_eq!(parsed.rejected_count, 0);
    }

    #[test]
    fn lines_that_name_nobody_are_reported_with_why() {
        let text = "+7 912 345 67 89\n\n912 345\n+999 1\nnot a name!\n\"@carol\";x\n+7 912 345 67 89\n";
        let parsed = parse(text, None);
        assert_eq!(values(&parsed), ["+79123456789", "carol"]);
        assert_eq!(parsed.duplicates, 1);
        let lines: Vec<i64> = parsed.rejected.iter().map(|r| r.line).collect();
        assert_eq!(lines, [3, 4, 5]);
        assert!(parsed.rejected[0].reason.contains("region"), "{:?}", parsed.rejected[0]);
    }

    #[test]
    fn the_report_keeps_the_first_hundred_and_counts_all() {
        let text = "?\n".repeat(150);
        let parsed = parse(&text, None);
        assert_eq!(parsed.rejected.len(), MAX_REPORTED);
        assert_eq!(parsed.rejected_count, 150);
    }

    proptest! {
        #[test]
        fn any_text_parses_without_panicking_and_accounts_for_every_line(text in "\\PC{0,400}") {
            let parsed = parse(&text, Some("RU".parse().unwrap()));
            let named = parsed.handles.len() as i64 + parsed.duplicates + parsed.rejected_count;
            prop_assert!(named <= text.lines().count() as i64);
            for handle in &parsed.handles {
                if let Handle::Phone(phone) = handle {
                    prop_assert!(phone.starts_with('+') && phone[1..].bytes().all(|b| b.is_ascii_digit()));
                }
            }
        }
    }
}
