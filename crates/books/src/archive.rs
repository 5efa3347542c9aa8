//! What the zipped formats (EPUB, `.fb2.zip`) share: the archive opened only when it would not
//! unpack to too much (zip bombs), and its files read within the same cap.

use std::io::{Cursor, Read};

use crate::BookError;

/// What a book may unpack to, all files together, and how many files it may hold.
const MAX_UNPACKED: u64 = 300 << 20;
const MAX_FILES: usize = 10_000;

pub(crate) type Archive<'a> = zip::ZipArchive<Cursor<&'a [u8]>>;

pub(crate) fn malformed(why: impl std::fmt::Display) -> BookError {
    BookError::Malformed(why.to_string())
}

/// Whether `bytes` start as a zip does (a local file header).
pub(crate) fn is_zip(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04")
}

/// `bytes` as a zip; `what` names the format in the error ("an EPUB"). Refused when it holds too
/// many files or its files say they unpack to too much.
pub(crate) fn open<'a>(bytes: &'a [u8], what: &str) -> Result<Archive<'a>, BookError> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|e| malformed(format!("not {what} (zip): {e}")))?;
    if zip.len() > MAX_FILES {
        return Err(malformed(format!("more than {MAX_FILES} files inside")));
    }
    let unpacked: u64 = (0..zip.len())
        .filter_map(|i| zip.by_index_raw(i).ok().map(|f| f.size()))
        .sum();
    if unpacked > MAX_UNPACKED {
        return Err(malformed("it unpacks to more than 300 MB"));
    }
    Ok(zip)
}

/// The bytes of the file at `path`.
pub(crate) fn named(zip: &mut Archive<'_>, path: &str) -> Result<Vec<u8>, BookError> {
    let entry = zip.by_name(path).map_err(|_| malformed(format!("{path} is missing")))?;
    capped(entry, path)
}

/// The bytes of the file at `index`.
pub(crate) fn indexed(zip: &mut Archive<'_>, index: usize) -> Result<Vec<u8>, BookError> {
    let entry = zip
        .by_index(index)
        .map_err(|e| malformed(format!("file {index}: {e}")))?;
    capped(entry, &format!("file {index}"))
}

/// The index of the first file whose name ends with `suffix` (ASCII, any case).
pub(crate) fn first_ending_with(zip: &Archive<'_>, suffix: &str) -> Option<usize> {
    (0..zip.len()).find(|&i| {
        zip.name_for_index(i)
            .and_then(Result::ok)
            .is_some_and(|name| name.to_ascii_lowercase().ends_with(suffix))
    })
}

/// An entry's bytes, no more than the cap: its header's size is the packer's word, not a limit.
fn capped(entry: impl Read, name: &str) -> Result<Vec<u8>, BookError> {
    let mut bytes = Vec::new();
    entry
        .take(MAX_UNPACKED)
        .read_to_end(&mut bytes)
        .map_err(|e| malformed(format!("{name}: {e}")))?;
    Ok(bytes)
}
