//! Reading the JSON values of a document feed (Cristin, ORCID) or a JSON Lines feed (OpenAlex)
//! one at a time, each with where it is, so that one bad record is one error.
//!
//! A document may be a top-level array (an API page: items are read one by one, and a
//! truncated array still yields every complete item before the cut), one object (a single
//! record, pretty-printed or not), or JSON Lines.

use crate::lines::LineReader;
use crate::{FeedError, LineError, MAX_DOCUMENT_BYTES, Source};
use serde_json::Value;
use std::io::Read;
use std::path::{Path, PathBuf};

/// One value of the feed: where, the value, bytes of the file it took.
pub(crate) type Item = Result<(Source, Value, u64), LineError>;

/// The values of a JSON document or JSON Lines file.
pub(crate) fn values(path: &Path) -> Result<Box<dyn Iterator<Item = Item>>, FeedError> {
    let io = |error| FeedError::io(path, error);
    let mut head = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(64 * 1024).read_to_end(&mut head))
        .map_err(io)?;
    let head_text = String::from_utf8_lossy(&head);
    let head_text = head_text.trim_start_matches('\u{feff}').trim_start();
    let first_line = head_text.lines().next().unwrap_or("").trim();
    let is_jsonl = first_line.starts_with('{') && serde_json::from_str::<Value>(first_line).is_ok();
    if is_jsonl || head_text.is_empty() {
        return Ok(Box::new(JsonLines {
            lines: LineReader::open(path)?,
        }));
    }
    let len = std::fs::metadata(path).map_err(io)?.len();
    if len > MAX_DOCUMENT_BYTES {
        return Err(FeedError::Format {
            path: path.to_path_buf(),
            reason: format!(
                "a JSON document of {len} bytes is larger than the {MAX_DOCUMENT_BYTES}-byte limit; split it into pages or JSON Lines"
            ),
        });
    }
    let bytes = std::fs::read(path).map_err(io)?;
    Ok(Box::new(Document::new(path.to_path_buf(), bytes)))
}

struct JsonLines {
    lines: LineReader,
}

impl Iterator for JsonLines {
    type Item = Item;
    fn next(&mut self) -> Option<Item> {
        let (_, text, bytes) = match self.lines.next_line()? {
            Ok(line) => line,
            Err(e) => return Some(Err(e)),
        };
        let parsed = serde_json::from_str::<Value>(text);
        let source = self.lines.source();
        Some(match parsed {
            Ok(value) => Ok((source, value, bytes)),
            Err(e) => Err(LineError {
                source,
                reason: format!("invalid JSON: {e}"),
            }),
        })
    }
}

/// A whole document held in memory, walked item by item.
struct Document {
    file: PathBuf,
    bytes: Vec<u8>,
    pos: usize,
    /// Line number at `pos` (1-based), counted as the walk goes.
    line: usize,
    line_counted_to: usize,
    index: usize,
    state: State,
}

#[derive(PartialEq)]
enum State {
    Start,
    InArray,
    Done,
}

impl Document {
    fn new(file: PathBuf, bytes: Vec<u8>) -> Document {
        let start = if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
            3
        } else {
            0
        };
        Document {
            file,
            bytes,
            pos: start,
            line: 1,
            line_counted_to: 0,
            index: 0,
            state: State::Start,
        }
    }

    fn skip_ws(&mut self) {
        while self.pos < self.bytes.len() && self.bytes[self.pos].is_ascii_whitespace() {
            self.pos += 1;
        }
    }

    fn line_at(&mut self, pos: usize) -> usize {
        let from = self.line_counted_to.min(pos);
        self.line += self.bytes[from..pos]
            .iter()
            .filter(|b| **b == b'\n')
            .count();
        self.line_counted_to = pos;
        self.line
    }

    fn source(&mut self, item: Option<usize>) -> Source {
        let line = self.line_at(self.pos);
        Source {
            file: self.file.clone(),
            line,
            item,
            id: None,
        }
    }

    fn fail(&mut self, item: Option<usize>, reason: String) -> Option<Item> {
        self.state = State::Done;
        let source = self.source(item);
        Some(Err(LineError { source, reason }))
    }

    /// Parses one value at `pos`.
    fn value_here(&mut self) -> Result<(Value, usize), serde_json::Error> {
        let mut stream =
            serde_json::Deserializer::from_slice(&self.bytes[self.pos..]).into_iter::<Value>();
        match stream.next() {
            Some(Ok(value)) => Ok((value, stream.byte_offset())),
            Some(Err(e)) => Err(e),
            None => Err(serde_json::Error::io(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "no value",
            ))),
        }
    }
}

impl Iterator for Document {
    type Item = Item;

    fn next(&mut self) -> Option<Item> {
        loop {
            match self.state {
                State::Done => return None,
                State::Start => {
                    self.skip_ws();
                    if self.bytes.get(self.pos) == Some(&b'[') {
                        self.pos += 1;
                        self.state = State::InArray;
                        continue;
                    }
                    if self.pos >= self.bytes.len() {
                        self.state = State::Done;
                        return None;
                    }
                    // A single object: the whole document is one record.
                    let start = self.pos;
                    return match self.value_here() {
                        Ok((value, used)) => {
                            let source = self.source(None);
                            self.pos += used;
                            self.skip_ws();
                            if self.pos < self.bytes.len() {
                                return self.fail(
                                    None,
                                    "invalid JSON: more data after the document's object".into(),
                                );
                            }
                            self.state = State::Done;
                            Some(Ok((source, value, (self.pos - start) as u64)))
                        }
                        Err(e) => self.fail(None, format!("invalid JSON: {e}")),
                    };
                }
                State::InArray => {
                    self.skip_ws();
                    match self.bytes.get(self.pos) {
                        None => {
                            let index = self.index;
                            return self.fail(
                                Some(index),
                                "invalid JSON: the array ends early (truncated file?)".into(),
                            );
                        }
                        Some(b']') => {
                            self.state = State::Done;
                            return None;
                        }
                        Some(b',') if self.index > 0 => {
                            self.pos += 1;
                            continue;
                        }
                        Some(_) => {}
                    }
                    let index = self.index;
                    let start = self.pos;
                    let source = self.source(Some(index));
                    match self.value_here() {
                        Ok((value, used)) => {
                            self.pos += used;
                            self.index += 1;
                            self.skip_ws();
                            match self.bytes.get(self.pos) {
                                Some(b',') | Some(b']') => {}
                                None => {
                                    // The item is whole; the cut comes after it.
                                }
                                Some(_) => {
                                    return self.fail(
                                        Some(index + 1),
                                        "invalid JSON: expected `,` or `]` after an item".into(),
                                    );
                                }
                            }
                            return Some(Ok((source, value, (self.pos - start) as u64)));
                        }
                        Err(e) => {
                            // The items after a broken one cannot be found reliably.
                            return self.fail(Some(index), format!("invalid JSON: {e}"));
                        }
                    }
                }
            }
        }
    }
}

/// What a reader makes of one value: a label naming the record in the source's terms (for
/// messages), and its items or the reason it is rejected.
pub(crate) struct Parsed {
    pub(crate) label: Option<String>,
    pub(crate) result: Result<Vec<crate::FeedItem>, String>,
}

/// Turns values into entries with `parse`, labelling each with its source id.
pub(crate) fn entries<F>(
    values: Box<dyn Iterator<Item = Item>>,
    parse: F,
) -> Box<dyn Iterator<Item = Result<crate::Entry, LineError>>>
where
    F: Fn(&Value) -> Parsed + 'static,
{
    Box::new(values.map(move |item| {
        let (mut source, value, bytes) = item?;
        let parsed = parse(&value);
        source.id = parsed.label;
        match parsed.result {
            Ok(items) => Ok(crate::Entry {
                source,
                items,
                bytes,
            }),
            Err(reason) => Err(LineError { source, reason }),
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Vec<Item> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("doc.json");
        std::fs::write(&path, text).unwrap();
        values(&path).unwrap().collect()
    }

    #[test]
    fn a_truncated_array_yields_its_whole_items_and_then_one_error() {
        let items = read("[\n {\"a\": 1},\n {\"a\": 2},\n {\"a\": ");
        assert_eq!(items.len(), 3);
        let (source, value, _) = items[1].as_ref().unwrap();
        assert_eq!(
            (source.line, source.item, value["a"].as_i64()),
            (3, Some(1), Some(2))
        );
        let err = items[2].as_ref().unwrap_err();
        assert_eq!(err.source.item, Some(2));
        assert!(err.reason.starts_with("invalid JSON"), "{err}");
    }

    #[test]
    fn a_pretty_printed_object_is_one_item_and_json_lines_are_read_by_line() {
        let items = read("\u{feff}{\n  \"a\": 1\n}\n");
        assert_eq!(items.len(), 1);
        assert!(items[0].is_ok());
        let items = read("{\"a\": 1}\n{\"a\": \n{\"a\": 3}\n");
        assert_eq!(items.len(), 3);
        assert_eq!(items[1].as_ref().unwrap_err().source.line, 2);
        assert_eq!(items[2].as_ref().unwrap().0.line, 3);
    }

    #[test]
    fn a_truncated_object_is_an_error_not_a_panic() {
        let items = read("{\n \"a\": [1, 2");
        assert_eq!(items.len(), 1);
        assert!(items[0].is_err());
    }
}
