//! Lists come in pages of one shape: `{"items": [...], "next_cursor": "..." | null}`. A client
//! passes `next_cursor` back as `cursor` with the same `limit` rules everywhere.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{ApiError, ApiResult};

/// One page of a list.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// The page of rows a query returned when asked for `limit + 1`: the first `limit`, and
    /// the cursor after the last of them when there was one more.
    pub fn from_rows(mut rows: Vec<T>, limit: i64, cursor: impl Fn(&T) -> String) -> Page<T> {
        let limit = limit.max(0) as usize;
        let more = rows.len() > limit;
        rows.truncate(limit);
        let next_cursor = rows.last().filter(|_| more).map(cursor);
        Page {
            items: rows,
            next_cursor,
        }
    }
}

/// The `limit` of a page: `default` when absent, else 1 to `max` (422 on `limit` otherwise).
pub fn page_limit(limit: Option<i64>, default: i64, max: i64) -> ApiResult<i64> {
    let limit = limit.unwrap_or(default);
    if !(1..=max).contains(&limit) {
        return Err(ApiError::validation("limit", format!("must be between 1 and {max}")));
    }
    Ok(limit)
}

/// A cursor of `N` integers joined by `:`, as [`Page::from_rows`] callers make them; `None`
/// for none (absent or empty), 422 on `cursor` for anything else.
pub fn parse_cursor<const N: usize>(cursor: Option<&str>) -> ApiResult<Option<[i64; N]>> {
    let Some(cursor) = cursor.filter(|c| !c.is_empty()) else {
        return Ok(None);
    };
    let invalid = || ApiError::validation("cursor", "not a cursor from this API");
    let parts: Vec<i64> = cursor
        .split(':')
        .map(|part| part.parse().map_err(|_| invalid()))
        .collect::<ApiResult<_>>()?;
    parts.try_into().map(Some).map_err(|_| invalid())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_has_a_cursor_only_when_more_rows_came() {
        let page = Page::from_rows(vec![5, 4, 3], 2, |n| n.to_string());
        assert_eq!((page.items, page.next_cursor), (vec![5, 4], Some("4".to_owned())));
        let last = Page::from_rows(vec![2, 1], 2, |n| n.to_string());
        assert_eq!((last.items, last.next_cursor), (vec![2, 1], None));
        assert!(Page::<i64>::from_rows(vec![], 2, |n| n.to_string()).items.is_empty());
    }

    #[test]
    fn limits_and_cursors_are_checked() {
        assert_eq!(page_limit(None, 20, 50).unwrap(), 20);
        assert_eq!(page_limit(Some(50), 20, 50).unwrap(), 50);
        for bad in [0, -1, 51] {
            assert_eq!(
                page_limit(Some(bad), 20, 50).unwrap_err().field.as_deref(),
                Some("limit")
            );
        }
        assert_eq!(parse_cursor::<2>(Some("17:3")).unwrap(), Some([17, 3]));
        assert_eq!(parse_cursor::<2>(Some("")).unwrap(), None);
        assert_eq!(parse_cursor::<2>(None).unwrap(), None);
        for bad in ["17", "17:3:1", "a:b", "1:"] {
            assert!(parse_cursor::<2>(Some(bad)).is_err(), "{bad}");
        }
    }
}
