//! A buffered reader that counts lines as bytes are consumed, so a byte
//! offset reported by a streaming parser (quick-xml gives offsets only) can be
//! turned into a line and a column without keeping the input.
//!
//! Only the line starts after the last [`LineTracker::forget_before`] point
//! are kept, so memory is bounded by the size of one parser event.

use std::collections::VecDeque;
use std::io::{self, BufRead, Read};

pub(crate) struct LineTracker<R> {
    inner: R,
    buf: Box<[u8]>,
    pos: usize,
    filled: usize,
    /// Bytes consumed so far.
    offset: u64,
    /// Line starts already forgotten, and the last of them.
    base_lines: u64,
    base_line_start: u64,
    /// Offsets where a line starts (just after a `\n`), not yet forgotten.
    recent: VecDeque<u64>,
}

impl<R: Read> LineTracker<R> {
    pub fn new(inner: R) -> Self {
        LineTracker {
            inner,
            buf: vec![0; 64 * 1024].into_boxed_slice(),
            pos: 0,
            filled: 0,
            offset: 0,
            base_lines: 0,
            base_line_start: 0,
            recent: VecDeque::new(),
        }
    }

    /// 1-based line and column of byte `offset` (at or after the last
    /// [`forget_before`](Self::forget_before) point).
    pub fn line_col(&self, offset: u64) -> (u64, u64) {
        let mut line = self.base_lines;
        let mut start = self.base_line_start;
        for s in &self.recent {
            if *s > offset {
                break;
            }
            line += 1;
            start = *s;
        }
        (line + 1, offset.saturating_sub(start) + 1)
    }

    /// Stops tracking line starts before `offset`: positions before it will
    /// not be asked for any more.
    pub fn forget_before(&mut self, offset: u64) {
        while let Some(s) = self.recent.front().copied() {
            if s > offset {
                break;
            }
            self.base_lines += 1;
            self.base_line_start = s;
            self.recent.pop_front();
        }
    }
}

impl<R: Read> Read for LineTracker<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = {
            let available = self.fill_buf()?;
            let n = available.len().min(out.len());
            out[..n].copy_from_slice(&available[..n]);
            n
        };
        self.consume(n);
        Ok(n)
    }
}

impl<R: Read> BufRead for LineTracker<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.pos >= self.filled {
            self.pos = 0;
            self.filled = 0;
            let n = loop {
                match self.inner.read(&mut self.buf) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(e),
                }
            };
            self.filled = n;
        }
        Ok(&self.buf[self.pos..self.filled])
    }

    fn consume(&mut self, amt: usize) {
        let amt = amt.min(self.filled - self.pos);
        // memchr scans a word at a time; a byte loop here was 4% of a
        // Nessus import.
        for i in memchr::memchr_iter(b'\n', &self.buf[self.pos..self.pos + amt]) {
            self.recent.push_back(self.offset + i as u64 + 1);
        }
        self.pos += amt;
        self.offset += amt as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_become_lines_and_columns() {
        let mut t = LineTracker::new(&b"ab\ncd\n\nefg"[..]);
        let mut all = Vec::new();
        t.read_to_end(&mut all).expect("read");
        assert_eq!(t.line_col(0), (1, 1));
        assert_eq!(t.line_col(1), (1, 2));
        assert_eq!(t.line_col(3), (2, 1));
        assert_eq!(t.line_col(7), (4, 1));
        assert_eq!(t.line_col(9), (4, 3));
        t.forget_before(4);
        assert_eq!(t.line_col(5), (2, 3));
        assert_eq!(t.line_col(9), (4, 3));
    }
}
