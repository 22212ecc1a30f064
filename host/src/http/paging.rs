//! How a request asks for a window of rows, checked one way for every endpoint that serves rows
//! (a dataset's rows to its readers, a view link's to its holders): a negative offset or a
//! limit outside `1..=max_preview_rows` is refused with `422`, never quietly brought within,
//! so that a client learns its request was not served as asked. (The link's rows once clamped
//! both while the dataset's refused them.)

use crate::http::error::ApiError;

/// Rows a window holds when the request does not say.
pub const DEFAULT_ROWS: i64 = 100;

/// The window `offset`, `limit` asks for, checked against the server's `max` rows at a time.
pub fn row_window(
    offset: Option<i64>,
    limit: Option<i64>,
    max: i64,
) -> Result<(i64, i64), ApiError> {
    let offset = offset.unwrap_or(0);
    let limit = limit.unwrap_or(DEFAULT_ROWS.min(max));
    if offset < 0 {
        return Err(ApiError::validation("offset must not be negative"));
    }
    if !(1..=max).contains(&limit) {
        return Err(ApiError::validation(format!(
            "limit must be between 1 and {max}"
        )));
    }
    Ok((offset, limit))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_window_outside_the_bounds_is_refused_not_clamped() {
        assert_eq!(row_window(None, None, 1000).unwrap(), (0, 100));
        assert_eq!(row_window(Some(5), Some(1000), 1000).unwrap(), (5, 1000));
        assert_eq!(row_window(None, None, 50).unwrap(), (0, 50));
        for (offset, limit) in [(Some(-1), None), (None, Some(0)), (None, Some(1001))] {
            let refused = row_window(offset, limit, 1000).unwrap_err();
            assert_eq!(refused.code.as_str(), "validation_failed");
        }
    }
}
