//! Line-by-line reading shared by the JSON Lines formats: a byte-order mark on the first line,
//! blank lines skipped, over-long lines and bad UTF-8 reported with their line number.

use crate::{FeedError, LineError, MAX_LINE_BYTES, Source};
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

/// Reads a file's non-blank lines.
pub(crate) struct LineReader {
    file: PathBuf,
    reader: BufReader<File>,
    line: usize,
    buf: Vec<u8>,
}

impl LineReader {
    pub(crate) fn open(path: &Path) -> Result<LineReader, FeedError> {
        let file = File::open(path).map_err(|error| FeedError::io(path, error))?;
        Ok(LineReader {
            file: path.to_path_buf(),
            reader: BufReader::with_capacity(1 << 16, file),
            line: 0,
            buf: Vec::new(),
        })
    }

    pub(crate) fn source(&self) -> Source {
        Source::line(&self.file, self.line)
    }

    fn error(&self, reason: String) -> LineError {
        LineError {
            source: self.source(),
            reason,
        }
    }

    /// The next non-blank line: (line number, trimmed text, bytes read), or its error.
    pub(crate) fn next_line(&mut self) -> Option<Result<(usize, &str, u64), LineError>> {
        let (range, bytes) = loop {
            self.buf.clear();
            self.line += 1;
            let read = (&mut self.reader)
                .take(MAX_LINE_BYTES as u64 + 1)
                .read_until(b'\n', &mut self.buf);
            let bytes = match read {
                Ok(0) => return None,
                Ok(n) => n as u64,
                Err(e) => return Some(Err(self.error(format!("cannot read: {e}")))),
            };
            if self.buf.len() > MAX_LINE_BYTES {
                // Skip the rest of the oversized line before reporting it.
                let mut rest = Vec::new();
                let _ = self.reader.read_until(b'\n', &mut rest);
                return Some(Err(
                    self.error(format!("line is longer than {MAX_LINE_BYTES} bytes"))
                ));
            }
            let text = match std::str::from_utf8(&self.buf) {
                Ok(text) => text,
                Err(e) => {
                    let reason = format!("not valid UTF-8 (byte {})", e.valid_up_to());
                    return Some(Err(self.error(reason)));
                }
            };
            let start = if self.line == 1 && text.starts_with('\u{feff}') {
                3
            } else {
                0
            };
            let trimmed = text[start..].trim();
            if trimmed.is_empty() {
                continue;
            }
            // Where the trimmed text lies in the buffer, so it can be handed out after the loop.
            let offset = start + (text[start..].len() - text[start..].trim_start().len());
            break (offset..offset + trimmed.len(), bytes);
        };
        let text = std::str::from_utf8(&self.buf[range]).unwrap_or_default();
        Some(Ok((self.line, text, bytes)))
    }
}
