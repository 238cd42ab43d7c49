//! A bounded queue for records that cannot be turned into findings yet.
//!
//! Several dependency-scanner formats write the context of their findings
//! (the scanned image or project, the component inventory) after the
//! findings themselves: Grype writes `source` after `matches`, Snyk writes
//! `projectName` after `vulnerabilities`, OSV-Scanner writes `source` after
//! `packages`. Such records are queued until the context is known. Up to
//! [`IN_MEMORY`] records stay in memory; past that the queue moves to an
//! anonymous temporary file (deleted when dropped), one JSON line per record,
//! so memory stays bounded whatever the number of findings.

use crate::IngestError;
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::fmt;
use std::fs::File;
use std::io::{BufRead, BufReader, BufWriter, Seek, SeekFrom, Write};

/// Records kept in memory before the queue moves to a temporary file.
pub(crate) const IN_MEMORY: usize = 1024;

/// A first-in first-out queue of `T`, in memory then on disk.
pub(crate) struct Spool<T> {
    memory: Vec<T>,
    file: Option<BufWriter<File>>,
    len: u64,
}

impl<T> Default for Spool<T> {
    fn default() -> Self {
        Spool {
            memory: Vec::new(),
            file: None,
            len: 0,
        }
    }
}

fn spool_error(e: impl fmt::Display) -> std::io::Error {
    std::io::Error::other(format!("temporary queue of findings: {e}"))
}

impl<T: Serialize + DeserializeOwned> Spool<T> {
    pub fn push(&mut self, item: T) -> std::io::Result<()> {
        self.len += 1;
        if self.file.is_none() && self.memory.len() < IN_MEMORY {
            self.memory.push(item);
            return Ok(());
        }
        if self.file.is_none() {
            let mut w = BufWriter::new(tempfile::tempfile().map_err(spool_error)?);
            for m in self.memory.drain(..) {
                Self::write(&mut w, &m)?;
            }
            self.file = Some(w);
        }
        match self.file.as_mut() {
            Some(w) => Self::write(w, &item),
            None => Err(spool_error("not open")),
        }
    }

    fn write(w: &mut BufWriter<File>, item: &T) -> std::io::Result<()> {
        serde_json::to_writer(&mut *w, item).map_err(spool_error)?;
        w.write_all(b"\n").map_err(spool_error)
    }

    /// Hands every queued record to `f`, in order, and empties the queue.
    pub fn drain(
        &mut self,
        file: &str,
        mut f: impl FnMut(T) -> Result<(), IngestError>,
    ) -> Result<(), IngestError> {
        let io = |e: std::io::Error| IngestError::Io {
            file: file.to_string(),
            source: e,
        };
        self.len = 0;
        for item in std::mem::take(&mut self.memory) {
            f(item)?;
        }
        if let Some(w) = self.file.take() {
            let mut file = w.into_inner().map_err(|e| io(spool_error(e.error())))?;
            file.seek(SeekFrom::Start(0))
                .map_err(|e| io(spool_error(e)))?;
            for line in BufReader::new(file).lines() {
                let line = line.map_err(|e| io(spool_error(e)))?;
                let item: T = serde_json::from_str(&line).map_err(|e| io(spool_error(e)))?;
                f(item)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moves_to_a_file_and_keeps_order() {
        let mut s: Spool<u32> = Spool::default();
        for i in 0..(IN_MEMORY as u32 * 2 + 5) {
            s.push(i).expect("push");
        }
        assert_eq!(s.len, IN_MEMORY as u64 * 2 + 5);
        let mut got = Vec::new();
        s.drain("x", |i| {
            got.push(i);
            Ok(())
        })
        .expect("drain");
        assert_eq!(got.len(), IN_MEMORY * 2 + 5);
        assert!(got.windows(2).all(|w| w[0] + 1 == w[1]));
        assert_eq!(s.len, 0);
    }
}
