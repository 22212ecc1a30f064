//! A file sent as a download, written once for an export job's file
//! (`GET /api/v1/exports/{id}/download`) and a link's (`/s/{slug}/download`,
//! `GET /api/v1/link/download`), so that both answer a range, and name the file, alike.
//!
//! It owns which bytes a request asks for (`Range`, one range of bytes, RFC 9110 §14.2; and
//! `If-Range`, §13.1.5), the response's head (`200`, or `206` with `Content-Range`;
//! `Content-Length`, `Accept-Ranges`; `416` with `Content-Range: bytes */<length>`), reading
//! the file's bytes as the body, and the file's name (`Content-Disposition`, RFC 6266, with
//! RFC 8187's `filename*` for a name beyond ASCII). It does not decide who may download (the
//! callers do, before), nor count a link's downloads: [`crate::links::download`] wraps the
//! body given here, and keeps or gives back the download's slot at its end.
//!
//! Each response names the file's version with a strong `ETag` and its `Last-Modified` time
//! ([`Validator`]), so that a client resuming a download can send `If-Range` and get the rest
//! only if the file is still the one it began; any other `If-Range` gets the whole file
//! (§13.1.5). A `Range` in a unit other than bytes is ignored (§14.2: the whole file, `200`).

use std::io;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use actix_web::http::StatusCode;
use actix_web::http::header::{
    self, Charset, ContentDisposition, DispositionParam, DispositionType, ExtendedValue, HeaderMap,
    HttpDate,
};
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder};
use bytes::Bytes;
use futures_util::Stream;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use crate::http::error::{ErrorBody, ErrorCode, ErrorDetail};

/// The most one read takes from the file, and one piece of the body carries.
const PIECE: u64 = 256 * 1024;

/// What names one version of a file that never changes once written (an export's file): a
/// strong `ETag` and the time it was finished. The tag is a digest of what identifies the
/// file, so that it does not tell a link's holder the export job's id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Validator {
    etag: String,
    last_modified: Option<SystemTime>,
}

impl Validator {
    /// The validator of export job `job_id`'s file of `size` bytes, finished at `finished_at`
    /// (milliseconds since the epoch).
    pub fn of_export(job_id: &str, size: u64, finished_at: Option<i64>) -> Validator {
        let digest = Sha256::digest(format!("{job_id}:{size}").as_bytes());
        Validator {
            etag: format!("\"{}\"", &hex::encode(digest)[..32]),
            // HTTP dates have whole seconds.
            last_modified: finished_at
                .and_then(|ms| u64::try_from(ms / 1000).ok())
                .map(|seconds| UNIX_EPOCH + Duration::from_secs(seconds)),
        }
    }

    /// Whether an `If-Range` value names this version: the same entity tag compared strongly
    /// (a weak tag never matches), or exactly its `Last-Modified` date (§13.1.5).
    fn matches(&self, if_range: &str) -> bool {
        let if_range = if_range.trim();
        if if_range.starts_with('"') {
            return if_range == self.etag;
        }
        if if_range.starts_with("W/") {
            return false;
        }
        match (if_range.parse::<HttpDate>(), self.last_modified) {
            (Ok(date), Some(modified)) => SystemTime::from(date) == modified,
            _ => false,
        }
    }
}

/// What a request asks of a file's bytes: its `Range`, and its `If-Range`. Taken from the
/// request so that it can travel to the blocking pool, where a file is opened.
#[derive(Debug, Clone, Default)]
pub struct RangeRequest {
    range: Option<String>,
    if_range: Option<String>,
}

impl RangeRequest {
    pub fn of(req: &HttpRequest) -> RangeRequest {
        RangeRequest::from_headers(req.headers())
    }

    fn from_headers(headers: &HeaderMap) -> RangeRequest {
        let text = |name| {
            headers
                .get(name)
                .and_then(|v: &header::HeaderValue| v.to_str().ok())
                .map(str::to_owned)
        };
        RangeRequest {
            // A value that is not text is no range this server understands: ignored.
            range: text(header::RANGE),
            if_range: text(header::IF_RANGE),
        }
    }

    /// The bytes to send of the file of `size` bytes that `validator` names: all of it without
    /// a `Range`, with a `Range` in another unit than bytes, or with an `If-Range` that names
    /// another version of the file; else the one range asked for.
    pub fn select(&self, size: u64, validator: &Validator) -> Result<Span, Unsatisfiable> {
        let Some(range) = &self.range else {
            return Ok(Span::whole(size));
        };
        if !in_bytes(range) {
            return Ok(Span::whole(size));
        }
        if self
            .if_range
            .as_deref()
            .is_some_and(|if_range| !validator.matches(if_range))
        {
            return Ok(Span::whole(size));
        }
        match parse_range(range, size) {
            Some((start, end)) => Ok(Span {
                start,
                end,
                size,
                partial: true,
            }),
            None => Err(Unsatisfiable::outside(size)),
        }
    }
}

/// Whether a `Range` value is in bytes, the one unit served here (units are compared without
/// regard to case, §14.1).
fn in_bytes(range: &str) -> bool {
    range
        .split_once('=')
        .is_some_and(|(unit, _)| unit.trim().eq_ignore_ascii_case("bytes"))
}

/// Parses a single `bytes=` range (RFC 9110 §14.1.2) into a half-open `[start, end)`;
/// `None` when this server will not satisfy it: outside the file, or more than one range
/// (which §14.2 lets a server refuse; a download resumes with one).
pub fn parse_range(value: &str, size: u64) -> Option<(u64, u64)> {
    let (unit, spec) = value.split_once('=')?;
    if !unit.trim().eq_ignore_ascii_case("bytes") {
        return None;
    }
    if spec.contains(',') {
        return None;
    }
    let (first, last) = spec.split_once('-')?;
    let (start, end) = if first.is_empty() {
        let suffix: u64 = last.parse().ok()?;
        (size.saturating_sub(suffix), size)
    } else {
        let start: u64 = first.parse().ok()?;
        let end = if last.is_empty() {
            size
        } else {
            last.parse::<u64>().ok()?.saturating_add(1).min(size)
        };
        (start, end)
    };
    (start < end && start < size).then_some((start, end))
}

/// The bytes `start..end` of a file of `size` bytes that a response carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub start: u64,
    pub end: u64,
    pub size: u64,
    /// Asked for as a range: a `206` with its `Content-Range`, even when it covers the file.
    partial: bool,
}

impl Span {
    pub fn whole(size: u64) -> Span {
        Span {
            start: 0,
            end: size,
            size,
            partial: false,
        }
    }

    pub fn byte_count(&self) -> u64 {
        self.end - self.start
    }

    /// Whether it runs to the file's last byte.
    pub fn runs_to_end(&self) -> bool {
        self.end == self.size
    }

    pub fn is_partial(&self) -> bool {
        self.partial
    }
}

/// A range the file cannot satisfy, or one this download will not serve.
#[derive(Debug)]
pub struct Unsatisfiable {
    size: u64,
    message: String,
}

impl Unsatisfiable {
    /// The range lies outside the file.
    pub fn outside(size: u64) -> Unsatisfiable {
        Unsatisfiable::new(
            size,
            format!("the range is outside the file's {size} bytes"),
        )
    }

    /// The range is refused for the reason `message` gives.
    pub fn new(size: u64, message: impl Into<String>) -> Unsatisfiable {
        Unsatisfiable {
            size,
            message: message.into(),
        }
    }

    /// `416 range_not_satisfiable` in the error catalogue's shape, with `Content-Range:
    /// bytes */<length>` so that the client learns the file's length (RFC 9110 §15.5.17).
    pub fn response(&self) -> HttpResponse {
        HttpResponse::RangeNotSatisfiable()
            .insert_header((header::CONTENT_RANGE, format!("bytes */{}", self.size)))
            .json(ErrorBody {
                error: ErrorDetail {
                    code: ErrorCode::RangeNotSatisfiable,
                    message: self.message.clone(),
                },
            })
    }
}

/// The head of a response that carries `span` of a file: `200`, or `206` with its
/// `Content-Range`; the media type, `Content-Length`, `Accept-Ranges: bytes`, the file's
/// version (`ETag`, `Last-Modified`), its name as an attachment, and no caching (what is
/// downloaded is someone's data).
pub fn file_response(
    span: Span,
    validator: &Validator,
    media_type: &str,
    file_name: &str,
) -> HttpResponseBuilder {
    let status = if span.is_partial() {
        StatusCode::PARTIAL_CONTENT
    } else {
        StatusCode::OK
    };
    let mut response = HttpResponse::build(status);
    response
        .content_type(media_type)
        .insert_header((header::ACCEPT_RANGES, "bytes"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::ETAG, validator.etag.clone()))
        .insert_header(attachment(file_name))
        .no_chunking(span.byte_count());
    if let Some(modified) = validator.last_modified {
        response.insert_header((header::LAST_MODIFIED, HttpDate::from(modified)));
    }
    if span.is_partial() {
        response.insert_header((
            header::CONTENT_RANGE,
            format!("bytes {}-{}/{}", span.start, span.end - 1, span.size),
        ));
    }
    response
}

/// The bytes of `span` read from `file`, at most 256 KiB at a time. It seeks first: an
/// error here means that nothing was sent.
pub async fn file_body(
    mut file: tokio::fs::File,
    span: Span,
) -> io::Result<impl Stream<Item = io::Result<Bytes>> + Unpin + 'static> {
    if span.start > 0 {
        file.seek(io::SeekFrom::Start(span.start)).await?;
    }
    Ok(Box::pin(futures_util::stream::unfold(
        (file, span.byte_count()),
        |(mut file, left)| async move {
            if left == 0 {
                return None;
            }
            let mut buffer = vec![0u8; left.min(PIECE) as usize];
            match file.read(&mut buffer).await {
                Ok(0) => None,
                Ok(n) => {
                    buffer.truncate(n);
                    Some((Ok(Bytes::from(buffer)), (file, left - n as u64)))
                }
                Err(e) => Some((Err(e), (file, 0))),
            }
        },
    )))
}

/// `Content-Disposition: attachment` naming the file (RFC 6266). A name beyond printable
/// ASCII goes as `filename*` (RFC 8187: UTF-8, percent-encoded), which browsers prefer, beside
/// a `filename` with `_` for each other character, for clients that read only that one;
/// sent raw, its UTF-8 bytes would be read as Latin-1 by some clients and refused by others.
pub fn attachment(file_name: &str) -> ContentDisposition {
    let ascii: String = file_name
        .chars()
        .map(|c| {
            if c == ' ' || c.is_ascii_graphic() {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut parameters = Vec::with_capacity(2);
    let beyond_ascii = ascii != file_name;
    parameters.push(DispositionParam::Filename(ascii));
    if beyond_ascii {
        parameters.push(DispositionParam::FilenameExt(ExtendedValue {
            charset: Charset::Ext("UTF-8".to_owned()),
            language_tag: None,
            value: file_name.as_bytes().to_vec(),
        }));
    }
    ContentDisposition {
        disposition: DispositionType::Attachment,
        parameters,
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use actix_web::http::header::{HeaderValue, TryIntoHeaderValue};

    use super::*;

    fn asking(range: Option<&str>, if_range: Option<&str>) -> RangeRequest {
        let mut headers = HeaderMap::new();
        if let Some(range) = range {
            headers.insert(header::RANGE, HeaderValue::from_str(range).unwrap());
        }
        if let Some(if_range) = if_range {
            headers.insert(header::IF_RANGE, HeaderValue::from_str(if_range).unwrap());
        }
        RangeRequest::from_headers(&headers)
    }

    /// The validator of a file finished on 2026-03-02 at 09:20:00 UTC.
    fn file() -> Validator {
        Validator::of_export("job-1", 100, Some(1_772_443_200_123))
    }

    fn part(start: u64, end: u64, size: u64) -> Span {
        Span {
            start,
            end,
            size,
            partial: true,
        }
    }

    #[test]
    fn ranges_follow_rfc_9110() {
        assert_eq!(parse_range("bytes=0-9", 100), Some((0, 10)));
        assert_eq!(parse_range("bytes=90-", 100), Some((90, 100)));
        assert_eq!(parse_range("bytes=-10", 100), Some((90, 100)));
        assert_eq!(parse_range("bytes=95-200", 100), Some((95, 100)));
        assert_eq!(parse_range("bytes=100-", 100), None);
        assert_eq!(parse_range("bytes=0-1,5-6", 100), None);
        assert_eq!(parse_range("items=0-1", 100), None);
    }

    #[test]
    fn a_suffix_longer_than_the_file_is_the_whole_file() {
        assert_eq!(parse_range("bytes=-500", 100), Some((0, 100)));
        // A suffix of nothing asks for no byte: unsatisfiable (§14.1.3).
        assert_eq!(parse_range("bytes=-0", 100), None);
    }

    #[test]
    fn an_empty_file_satisfies_no_range() {
        assert_eq!(parse_range("bytes=0-", 0), None);
        assert_eq!(parse_range("bytes=-5", 0), None);
        assert_eq!(
            asking(None, None).select(0, &file()).unwrap(),
            Span::whole(0)
        );
    }

    #[test]
    fn a_range_that_ends_before_it_starts_is_refused() {
        assert_eq!(parse_range("bytes=5-3", 100), None);
        assert_eq!(parse_range("bytes=a-3", 100), None);
        assert_eq!(parse_range("bytes=", 100), None);
    }

    #[test]
    fn without_a_range_the_whole_file_is_sent() {
        let span = asking(None, None).select(100, &file()).unwrap();
        assert_eq!(span, Span::whole(100));
        assert!(!span.is_partial());
        assert!(span.runs_to_end());
        assert_eq!(span.byte_count(), 100);
    }

    #[test]
    fn one_range_is_a_part() {
        assert_eq!(
            asking(Some("bytes=10-19"), None)
                .select(100, &file())
                .unwrap(),
            part(10, 20, 100)
        );
        let open = asking(Some("bytes=10-"), None)
            .select(100, &file())
            .unwrap();
        assert_eq!(open, part(10, 100, 100));
        assert!(open.runs_to_end());
        // A range that covers the file is still answered as a range.
        assert!(
            asking(Some("bytes=0-"), None)
                .select(100, &file())
                .unwrap()
                .is_partial()
        );
    }

    #[test]
    fn a_range_outside_or_several_are_unsatisfiable() {
        let outside = asking(Some("bytes=100-"), None)
            .select(100, &file())
            .unwrap_err();
        assert_eq!(outside.size, 100);
        let response = outside.response();
        assert_eq!(response.status(), StatusCode::RANGE_NOT_SATISFIABLE);
        assert_eq!(
            response.headers().get(header::CONTENT_RANGE).unwrap(),
            "bytes */100"
        );
        assert!(
            asking(Some("bytes=0-1,5-6"), None)
                .select(100, &file())
                .is_err()
        );
    }

    #[test]
    fn if_range_naming_another_version_sends_the_whole_file() {
        for validator in [
            "\"an-etag\"",
            "Wed, 21 Oct 2015 07:28:00 GMT",
            "not a validator",
        ] {
            let span = asking(Some("bytes=10-"), Some(validator))
                .select(100, &file())
                .unwrap();
            assert_eq!(span, Span::whole(100), "{validator}");
            // Even a range it could not satisfy: the range is not looked at.
            let span = asking(Some("bytes=500-"), Some(validator))
                .select(100, &file())
                .unwrap();
            assert_eq!(span, Span::whole(100), "{validator}");
        }
        // An If-Range without a Range changes nothing.
        assert_eq!(
            asking(None, Some("\"an-etag\""))
                .select(100, &file())
                .unwrap(),
            Span::whole(100)
        );
    }

    #[test]
    fn if_range_naming_this_version_gets_the_range() {
        let etag = file().etag;
        assert_eq!(
            asking(Some("bytes=10-"), Some(&etag))
                .select(100, &file())
                .unwrap(),
            part(10, 100, 100)
        );
        // The finish time, to the second, as an HTTP date.
        assert_eq!(
            asking(Some("bytes=10-"), Some("Mon, 02 Mar 2026 09:20:00 GMT"))
                .select(100, &file())
                .unwrap(),
            part(10, 100, 100)
        );
        // A weak tag is never enough to join two parts (§13.1.5).
        assert_eq!(
            asking(Some("bytes=10-"), Some(&format!("W/{etag}")))
                .select(100, &file())
                .unwrap(),
            Span::whole(100)
        );
        // Another file of the same job (another size) has another tag.
        assert_ne!(Validator::of_export("job-1", 101, None).etag, etag);
        assert_ne!(Validator::of_export("job-2", 100, None).etag, etag);
    }

    #[test]
    fn a_range_in_another_unit_is_ignored() {
        for range in ["items=0-1", "pages=1", "none"] {
            assert_eq!(
                asking(Some(range), None).select(100, &file()).unwrap(),
                Span::whole(100),
                "{range}"
            );
        }
        // Units are compared without regard to case.
        assert_eq!(
            asking(Some("Bytes=10-19"), None)
                .select(100, &file())
                .unwrap(),
            part(10, 20, 100)
        );
    }

    #[test]
    fn the_head_says_which_bytes_it_carries() {
        let whole = file_response(Span::whole(100), &file(), "text/csv", "a.csv").finish();
        assert_eq!(whole.status(), StatusCode::OK);
        assert_eq!(whole.headers().get(header::ACCEPT_RANGES).unwrap(), "bytes");
        assert_eq!(whole.headers().get(header::CONTENT_LENGTH).unwrap(), "100");
        assert!(whole.headers().get(header::CONTENT_RANGE).is_none());
        assert_eq!(whole.headers().get(header::ETAG).unwrap(), &file().etag);
        assert_eq!(
            whole.headers().get(header::LAST_MODIFIED).unwrap(),
            "Mon, 02 Mar 2026 09:20:00 GMT"
        );

        let tail = file_response(part(90, 100, 100), &file(), "text/csv", "a.csv").finish();
        assert_eq!(tail.status(), StatusCode::PARTIAL_CONTENT);
        assert_eq!(
            tail.headers().get(header::CONTENT_RANGE).unwrap(),
            "bytes 90-99/100"
        );
        assert_eq!(tail.headers().get(header::CONTENT_LENGTH).unwrap(), "10");
        assert_eq!(
            tail.headers().get(header::CONTENT_TYPE).unwrap(),
            "text/csv"
        );
    }

    #[test]
    fn an_ascii_name_is_one_filename() {
        let value = attachment("plankton-v1.csv").try_into_value().unwrap();
        assert_eq!(value, "attachment; filename=\"plankton-v1.csv\"");
    }

    #[test]
    fn a_name_beyond_ascii_goes_as_filename_star() {
        let value = attachment("琵琶湖 depths-v1.csv").try_into_value().unwrap();
        assert_eq!(
            value,
            "attachment; filename=\"___ depths-v1.csv\"; \
             filename*=UTF-8''%E7%90%B5%E7%90%B6%E6%B9%96%20depths%2Dv1.csv"
        );
        // actix encodes `-` too, which RFC 8187 allows (a decoder reads either). The header is
        // plain ASCII, which every client reads.
        assert!(value.to_str().is_ok());
    }

    #[tokio::test]
    async fn the_body_is_the_span_of_the_file() {
        use futures_util::StreamExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("file");
        let bytes: Vec<u8> = (0..=255u8).cycle().take(600 * 1024).collect();
        std::fs::write(&path, &bytes).unwrap();
        for span in [
            Span::whole(bytes.len() as u64),
            part(300_000, 600 * 1024, 600 * 1024),
            part(5, 6, 600 * 1024),
        ] {
            let file = tokio::fs::File::open(&path).await.unwrap();
            let mut body = file_body(file, span).await.unwrap();
            let mut read = Vec::new();
            while let Some(piece) = body.next().await {
                let piece = piece.unwrap();
                assert!(piece.len() as u64 <= PIECE);
                read.extend_from_slice(&piece);
            }
            assert_eq!(read, bytes[span.start as usize..span.end as usize]);
        }
    }
}
