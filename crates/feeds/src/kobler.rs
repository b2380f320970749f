//! Kobler JSON Lines (CONTRACT §1): one record per line, stored as it is.

use crate::lines::LineReader;
use crate::{Entry, FeedError, FeedItem, LineError};
use kobler_core::parse_record;
use std::path::Path;

/// Reads a Kobler JSON Lines file record by record.
pub(crate) struct KoblerReader {
    lines: LineReader,
}

pub(crate) fn read(path: &Path) -> Result<KoblerReader, FeedError> {
    Ok(KoblerReader {
        lines: LineReader::open(path)?,
    })
}

impl Iterator for KoblerReader {
    type Item = Result<Entry, LineError>;

    fn next(&mut self) -> Option<Self::Item> {
        let (_, text, bytes) = match self.lines.next_line()? {
            Ok(line) => line,
            Err(e) => return Some(Err(e)),
        };
        let parsed = serde_json::from_str::<serde_json::Value>(text)
            .map_err(|e| format!("invalid JSON: {e}"))
            .and_then(|value| parse_record(&value).map_err(|e| e.to_string()));
        let source = self.lines.source();
        Some(match parsed {
            Ok(record) => Ok(Entry {
                source,
                items: vec![FeedItem::Record(record)],
                bytes,
            }),
            Err(reason) => Err(LineError { source, reason }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs::File;
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
        let results: Vec<_> = read(&path).unwrap().collect();
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
        assert_eq!(results[3].as_ref().unwrap().source.line, 5);
    }
}
