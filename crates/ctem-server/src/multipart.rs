//! A small streaming reader of `multipart/form-data` (RFC 7578), enough for
//! the dashboard's upload form: parts are read in order, small fields into
//! memory and the file part piece by piece, so a report of any size streams
//! to disk with flat memory. No dependency beyond the body itself.

use crate::error::ApiError;
use axum::body::Body;
use http_body_util::BodyExt;

/// Largest part header block.
const MAX_HEADERS: usize = 16 * 1024;

/// A part's headers: its field name and, for files, the client's file name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartHead {
    pub name: String,
    pub filename: Option<String>,
}

/// The boundary of a `multipart/form-data` content type.
pub fn boundary(content_type: &str) -> Option<String> {
    let (mime, params) = content_type.split_once(';')?;
    if !mime.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    params.split(';').find_map(|p| {
        let (k, v) = p.trim().split_once('=')?;
        (k.trim().eq_ignore_ascii_case("boundary"))
            .then(|| v.trim().trim_matches('"').to_string())
            .filter(|b| !b.is_empty() && b.len() <= 70)
    })
}

fn bad(m: &str) -> ApiError {
    ApiError::bad_request(format!("the upload form is malformed: {m}"))
}

/// Where the bytes come from: a request body, or (in tests) given chunks.
enum Source {
    Body(Body),
    #[cfg(test)]
    Chunks(std::collections::VecDeque<Vec<u8>>),
}

/// Reads a multipart body part by part.
pub struct Multipart {
    body: Source,
    buf: Vec<u8>,
    /// `\r\n--boundary`.
    delim: Vec<u8>,
    /// Inside a part's data.
    in_data: bool,
    finished: bool,
    received: u64,
    max: u64,
}

impl Multipart {
    /// `max` bounds the whole body (413 beyond it).
    pub fn new(body: Body, boundary: &str, max: u64) -> Multipart {
        Multipart {
            body: Source::Body(body),
            // The first delimiter has no CRLF before it: pretend it has.
            buf: b"\r\n".to_vec(),
            delim: format!("\r\n--{boundary}").into_bytes(),
            // The preamble is read (and dropped) like a part's data.
            in_data: true,
            finished: false,
            received: 0,
            max,
        }
    }

    async fn chunk(&mut self) -> Result<Option<Vec<u8>>, ApiError> {
        match &mut self.body {
            #[cfg(test)]
            Source::Chunks(c) => Ok(c.pop_front()),
            Source::Body(b) => {
                while let Some(frame) = b.frame().await {
                    let frame = frame
                        .map_err(|e| ApiError::bad_request(format!("reading the upload: {e}")))?;
                    if let Ok(data) = frame.into_data() {
                        return Ok(Some(data.to_vec()));
                    }
                }
                Ok(None)
            }
        }
    }

    async fn fill(&mut self) -> Result<bool, ApiError> {
        while let Some(data) = self.chunk().await? {
            if data.is_empty() {
                continue;
            }
            self.received += data.len() as u64;
            if self.received > self.max {
                return Err(ApiError::new(
                    axum::http::StatusCode::PAYLOAD_TOO_LARGE,
                    format!(
                        "the report is larger than the server's limit of {} bytes (--max-upload-mb)",
                        self.max
                    ),
                ));
            }
            self.buf.extend_from_slice(&data);
            return Ok(true);
        }
        Ok(false)
    }

    /// The next piece of the current part's data; `None` at its end.
    pub async fn data(&mut self) -> Result<Option<Vec<u8>>, ApiError> {
        if !self.in_data {
            return Ok(None);
        }
        loop {
            if let Some(pos) = memchr::memmem::find(&self.buf, &self.delim) {
                if pos > 0 {
                    return Ok(Some(self.buf.drain(..pos).collect()));
                }
                self.buf.drain(..self.delim.len());
                self.in_data = false;
                return Ok(None);
            }
            // Keep what could be the start of a delimiter split across frames.
            let keep = self.delim.len() - 1;
            if self.buf.len() > keep {
                let n = self.buf.len() - keep;
                return Ok(Some(self.buf.drain(..n).collect()));
            }
            if !self.fill().await? {
                return Err(bad("it ends inside a part"));
            }
        }
    }

    /// Skips the rest of the current part's data.
    async fn skip(&mut self) -> Result<(), ApiError> {
        while self.data().await?.is_some() {}
        Ok(())
    }

    /// The rest of the current part as text, at most `limit` bytes.
    pub async fn text(&mut self, limit: usize) -> Result<String, ApiError> {
        let mut v = Vec::new();
        while let Some(d) = self.data().await? {
            v.extend_from_slice(&d);
            if v.len() > limit {
                return Err(bad("a form field is too long"));
            }
        }
        String::from_utf8(v).map_err(|_| bad("a form field is not UTF-8"))
    }

    /// The next part's headers; `None` after the last part.
    pub async fn next_part(&mut self) -> Result<Option<PartHead>, ApiError> {
        if self.finished {
            return Ok(None);
        }
        self.skip().await?;
        // After a delimiter: `--` ends the body, CRLF starts a part.
        while self.buf.len() < 2 {
            if !self.fill().await? {
                return Err(bad("it ends after a boundary"));
            }
        }
        if self.buf.starts_with(b"--") {
            self.finished = true;
            return Ok(None);
        }
        let end = loop {
            if let Some(p) = memchr::memmem::find(&self.buf, b"\r\n\r\n") {
                break p;
            }
            if self.buf.len() > MAX_HEADERS {
                return Err(bad("part headers are too long"));
            }
            if !self.fill().await? {
                return Err(bad("it ends inside part headers"));
            }
        };
        let head: Vec<u8> = self.buf.drain(..end + 4).collect();
        let head = String::from_utf8_lossy(&head);
        let mut name = None;
        let mut filename = None;
        for line in head.split("\r\n") {
            let Some((k, v)) = line.split_once(':') else {
                continue;
            };
            if !k.trim().eq_ignore_ascii_case("content-disposition") {
                continue;
            }
            for param in v.split(';').skip(1) {
                if let Some((pk, pv)) = param.trim().split_once('=') {
                    let pv = pv.trim().trim_matches('"').to_string();
                    match pk.trim().to_ascii_lowercase().as_str() {
                        "name" => name = Some(pv),
                        "filename" => filename = Some(pv),
                        _ => {}
                    }
                }
            }
        }
        self.in_data = true;
        let name = name.ok_or_else(|| bad("a part has no name"))?;
        Ok(Some(PartHead { name, filename }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reader(data: &[u8], frame: usize, max: u64) -> Multipart {
        let mut m = Multipart::new(Body::empty(), "XyZ", max);
        m.body = Source::Chunks(data.chunks(frame).map(<[u8]>::to_vec).collect());
        m
    }

    const FORM: &[u8] = b"preamble\r\n--XyZ\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\nabc123\r\n--XyZ\r\nContent-Disposition: form-data; name=\"report\"; filename=\"trivy.json\"\r\nContent-Type: application/json\r\n\r\n{\"a\":\"\r\n--Xy not a boundary\"}\r\n--XyZ--\r\n";

    async fn read_all(mut m: Multipart) -> Result<Vec<(PartHead, Vec<u8>)>, ApiError> {
        let mut out = Vec::new();
        while let Some(h) = m.next_part().await? {
            let mut v = Vec::new();
            while let Some(d) = m.data().await? {
                v.extend_from_slice(&d);
            }
            out.push((h, v));
        }
        Ok(out)
    }

    fn block<T>(f: impl std::future::Future<Output = T>) -> T {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime")
            .block_on(f)
    }

    #[test]
    fn parts_are_read_whatever_the_frame_size() {
        for frame in [1, 2, 3, 7, 16, 1000] {
            let parts = block(read_all(reader(FORM, frame, 1 << 20))).expect("parse");
            assert_eq!(parts.len(), 2, "frame {frame}");
            assert_eq!(parts[0].0.name, "csrf");
            assert_eq!(parts[0].1, b"abc123");
            assert_eq!(parts[1].0.filename.as_deref(), Some("trivy.json"));
            assert_eq!(parts[1].1, b"{\"a\":\"\r\n--Xy not a boundary\"}");
        }
    }

    #[test]
    fn broken_and_oversized_bodies_are_refused() {
        let cut = &FORM[..FORM.len() - 20];
        let e = block(read_all(reader(cut, 5, 1 << 20))).expect_err("truncated");
        assert_eq!(e.status, axum::http::StatusCode::BAD_REQUEST);
        let e = block(read_all(reader(FORM, 5, 50))).expect_err("too large");
        assert_eq!(e.status, axum::http::StatusCode::PAYLOAD_TOO_LARGE);
        let e = block(read_all(reader(b"--XyZ\r\nno end of headers", 5, 1 << 20)))
            .expect_err("headers");
        assert_eq!(e.status, axum::http::StatusCode::BAD_REQUEST);
    }

    #[test]
    fn boundaries_are_read_from_the_content_type() {
        assert_eq!(
            boundary("multipart/form-data; boundary=----x1"),
            Some("----x1".into())
        );
        assert_eq!(
            boundary("Multipart/Form-Data; charset=utf-8; boundary=\"ab c\""),
            Some("ab c".into())
        );
        assert_eq!(boundary("application/json"), None);
        assert_eq!(boundary("multipart/form-data"), None);
    }
}
