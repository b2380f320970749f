//! Kobler's feed readers. Today: Kobler JSON Lines (CONTRACT §1), read line by line so that
//! every rejected line is reported as `file:line: reason` and the rest of the feed still imports.

use kobler_core::{Record, parse_record};
use std::fmt;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

/// Files in a labelled set that are evaluation labels, not feed records (CONTRACT §2).
pub const LABEL_FILES: &[&str] = &["judgments.jsonl", "overlaps.jsonl"];
/// A longer line than this is rejected rather than read into memory.
pub const MAX_LINE_BYTES: usize = 16 * 1024 * 1024;

/// What goes wrong with a whole path (a bad line is a [`LineError`] instead).
#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    /// A path could not be read.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The IO error.
        source: std::io::Error,
    },
    /// A file is not in a format Kobler reads.
    #[error("{path}: {reason}")]
    Format {
        /// The path.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
}

/// Where a record came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// The file.
    pub file: PathBuf,
    /// 1-based line number.
    pub line: usize,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file.display(), self.line)
    }
}

/// One rejected line, with its reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    /// Where.
    pub source: Source,
    /// Why.
    pub reason: String,
}

impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.source, self.reason)
    }
}

/// The feed formats Kobler reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Kobler JSON Lines.
    KoblerJsonl,
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "kobler" | "jsonl" | "kobler-jsonl" => Ok(Format::KoblerJsonl),
            other => Err(format!(
                "unknown feed format {other:?} (known: kobler-jsonl)"
            )),
        }
    }
}

/// Expands the given paths into the feed files to read: files as given, directories into
/// their `*.jsonl` files (sorted, not recursive), leaving out evaluation label files.
pub fn feed_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, FeedError> {
    let mut files = Vec::new();
    for path in paths {
        let io = |source| FeedError::Io {
            path: path.clone(),
            source,
        };
        let meta = std::fs::metadata(path).map_err(io)?;
        if meta.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(path)
                .map_err(io)?
                .filter_map(|entry| entry.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
                .filter(|p| {
                    !p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| LABEL_FILES.contains(&n))
                })
                .collect();
            found.sort();
            files.extend(found);
        } else {
            files.push(path.clone());
        }
    }
    Ok(files)
}

/// Tells a file's format from its content: the first non-blank byte of a Kobler JSON Lines
/// file opens an object.
pub fn detect_format(path: &Path) -> Result<Format, FeedError> {
    let mut head = Vec::new();
    File::open(path)
        .and_then(|f| f.take(4096).read_to_end(&mut head))
        .map_err(|source| FeedError::Io {
            path: path.to_path_buf(),
            source,
        })?;
    let text = String::from_utf8_lossy(&head);
    let first = text
        .trim_start_matches('\u{feff}')
        .trim_start()
        .chars()
        .next();
    match first {
        Some('{') | None => Ok(Format::KoblerJsonl),
        Some(_) => Err(FeedError::Format {
            path: path.to_path_buf(),
            reason: "not a Kobler JSON Lines feed (each line must be a JSON object); use --format to force".into(),
        }),
    }
}

/// Reads a Kobler JSON Lines file record by record.
pub struct JsonlReader {
    file: PathBuf,
    reader: BufReader<File>,
    line: usize,
    buf: Vec<u8>,
}

impl JsonlReader {
    /// Opens a feed file.
    pub fn open(path: &Path) -> Result<JsonlReader, FeedError> {
        let file = File::open(path).map_err(|source| FeedError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Ok(JsonlReader {
            file: path.to_path_buf(),
            reader: BufReader::with_capacity(1 << 16, file),
            line: 0,
            buf: Vec::new(),
        })
    }

    /// How many bytes the file has (for progress bars).
    pub fn len(&self) -> u64 {
        self.reader
            .get_ref()
            .metadata()
            .map(|m| m.len())
            .unwrap_or(0)
    }

    /// Whether the file is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn source(&self) -> Source {
        Source {
            file: self.file.clone(),
            line: self.line,
        }
    }
}

impl Iterator for JsonlReader {
    /// A record with where it came from, or the line's error. Blank lines are passed over.
    type Item = Result<(Source, Record, u64), LineError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            self.buf.clear();
            self.line += 1;
            let read = (&mut self.reader)
                .take(MAX_LINE_BYTES as u64 + 1)
                .read_until(b'\n', &mut self.buf);
            let bytes = match read {
                Ok(0) => return None,
                Ok(n) => n as u64,
                Err(e) => {
                    return Some(Err(LineError {
                        source: self.source(),
                        reason: format!("cannot read: {e}"),
                    }));
                }
            };
            if self.buf.len() > MAX_LINE_BYTES {
                // Skip the rest of the oversized line before reporting it.
                let mut rest = Vec::new();
                let _ = self.reader.read_until(b'\n', &mut rest);
                let reason = format!("line is longer than {MAX_LINE_BYTES} bytes");
                return Some(Err(LineError {
                    source: self.source(),
                    reason,
                }));
            }
            let text = match std::str::from_utf8(&self.buf) {
                Ok(text) => text,
                Err(e) => {
                    let reason = format!("not valid UTF-8 (byte {})", e.valid_up_to());
                    return Some(Err(LineError {
                        source: self.source(),
                        reason,
                    }));
                }
            };
            let text = if self.line == 1 {
                text.trim_start_matches('\u{feff}')
            } else {
                text
            };
            let text = text.trim();
            if text.is_empty() {
                continue;
            }
            let value: serde_json::Value = match serde_json::from_str(text) {
                Ok(value) => value,
                Err(e) => {
                    return Some(Err(LineError {
                        source: self.source(),
                        reason: format!("invalid JSON: {e}"),
                    }));
                }
            };
            return Some(match parse_record(&value) {
                Ok(record) => Ok((self.source(), record, bytes)),
                Err(e) => Err(LineError {
                    source: self.source(),
                    reason: e.to_string(),
                }),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn reports_bad_lines_with_their_numbers_and_reads_the_rest() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("feed.jsonl");
        let mut f = File::create(&path).unwrap();
        writeln!(
            f,
            "\u{feff}{{\"type\":\"municipality\",\"id\":\"5001\",\"name\":\"Trondheim\"}}"
        )
        .unwrap();
        writeln!(f).unwrap();
        writeln!(f, "{{\"type\":\"unit\",\"id\":\"u1\"").unwrap();
        writeln!(f, "{{\"type\":\"researcher\",\"id\":\"r1\"}}").unwrap();
        writeln!(
            f,
            "{{\"type\":\"researcher\",\"id\":\"r2\",\"name\":\"Ola\"}}"
        )
        .unwrap();
        drop(f);
        let results: Vec<_> = JsonlReader::open(&path).unwrap().collect();
        assert_eq!(results.len(), 4);
        assert!(results[0].is_ok());
        let err = results[1].as_ref().unwrap_err();
        assert_eq!(err.source.line, 3);
        assert!(
            err.to_string().contains("feed.jsonl:3: invalid JSON"),
            "{err}"
        );
        let err = results[2].as_ref().unwrap_err();
        assert!(
            err.to_string()
                .ends_with("feed.jsonl:4: `name` is required"),
            "{err}"
        );
        assert_eq!(results[3].as_ref().unwrap().0.line, 5);
    }

    #[test]
    fn directories_skip_label_files() {
        let dir = tempfile::tempdir().unwrap();
        for name in [
            "b.jsonl",
            "a.jsonl",
            "judgments.jsonl",
            "overlaps.jsonl",
            "README.md",
        ] {
            File::create(dir.path().join(name)).unwrap();
        }
        let files = feed_files(&[dir.path().to_path_buf()]).unwrap();
        let names: Vec<_> = files
            .iter()
            .map(|p| p.file_name().unwrap().to_str().unwrap())
            .collect();
        assert_eq!(names, ["a.jsonl", "b.jsonl"]);
    }

    #[test]
    fn refuses_a_file_that_is_not_json_lines() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("needs.csv");
        std::fs::write(&path, "tittel;beskrivelse\n").unwrap();
        assert!(detect_format(&path).is_err());
    }
}
