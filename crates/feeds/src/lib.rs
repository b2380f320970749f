//! Kobler's feed readers: Kobler JSON Lines (CONTRACT §1), Cristin API v2 JSON, OpenAlex
//! works and authors (JSON Lines as in its snapshot), ORCID v3.0 public records, and needs from
//! spreadsheets (CSV) — plus [`pull`], which harvests Cristin and OpenAlex over HTTP.
//!
//! Every reader turns a source document into [`FeedItem`]s: Kobler records, and for the foreign
//! sources researcher profiles and person references that the import resolves by identity
//! (ORCID, then Cristin id, then OpenAlex id). A record that cannot be read is a [`LineError`]
//! naming its file and its line (JSON Lines, CSV) or its array index and id (JSON documents);
//! the rest of the file is still read. Nothing here panics on input.

mod content;
pub mod cristin;
mod csv_needs;
mod json;
mod kobler;
mod lines;
pub mod openalex;
pub mod orcid;
pub mod pull;
mod text;

pub use csv_needs::{CsvDialect, HEADER_MAPPING};
pub use text::{MAX_TEXT_BYTES, strip_html};

use kobler_core::record::id_problem;
use kobler_core::{FieldError, Record, RecordError, Researcher};
use std::collections::HashMap;
use std::fmt;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Files in a labelled set that are evaluation labels, not feed records (CONTRACT §2).
pub const LABEL_FILES: &[&str] = &["judgments.jsonl", "overlaps.jsonl"];
/// A longer line than this is rejected rather than read into memory.
pub const MAX_LINE_BYTES: usize = 16 * 1024 * 1024;
/// A JSON document (not JSON Lines) larger than this is refused: such documents are read whole.
pub const MAX_DOCUMENT_BYTES: u64 = 1024 * 1024 * 1024;
/// File name extensions a directory import reads.
pub const FEED_EXTENSIONS: &[&str] = &["jsonl", "ndjson", "json", "csv"];

/// What goes wrong with a whole path (a bad record is a [`LineError`] instead).
///
/// Each message is whole: a cause is written into it and not returned again as
/// [`std::error::Error::source`], so an error chain (`anyhow`'s `{:#}`) prints it once.
#[derive(Debug, thiserror::Error)]
pub enum FeedError {
    /// A path could not be read.
    #[error("{path}: {error}")]
    Io {
        /// The path.
        path: PathBuf,
        /// The IO error (in the message, not a `source()`).
        error: std::io::Error,
    },
    /// A file is not in a format Kobler reads.
    #[error("{path}: {reason}")]
    Format {
        /// The path.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A file named for import holds nothing but blank lines.
    #[error("nothing to import: {path} is empty")]
    Empty {
        /// The file.
        path: PathBuf,
    },
    /// A directory named for import has no feed file with anything in it.
    #[error("nothing to import: {dir} has {}", no_feed_files(.only_empty))]
    NoFeedFiles {
        /// The directory.
        dir: PathBuf,
        /// Whether it has feed files, all of them empty.
        only_empty: bool,
    },
    /// A file is binary (compressed, an image, a workbook…), not a text feed.
    #[error("{path} looks like binary data ({kind}), not a feed")]
    Binary {
        /// The file.
        path: PathBuf,
        /// What it looks like, e.g. `gzip?` or `NUL bytes`.
        kind: &'static str,
    },
}

/// What a directory lacks, for [`FeedError::NoFeedFiles`].
fn no_feed_files(only_empty: &bool) -> &'static str {
    if *only_empty {
        "only empty .jsonl, .ndjson, .json or .csv files"
    } else {
        "no .jsonl, .ndjson, .json or .csv files"
    }
}

impl FeedError {
    /// An IO error on `path`.
    pub(crate) fn io(path: &Path, error: std::io::Error) -> FeedError {
        FeedError::Io {
            path: path.to_path_buf(),
            error,
        }
    }
}

/// Where a record came from: a line (JSON Lines, CSV), or an item of a JSON document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// The file.
    pub file: PathBuf,
    /// 1-based line number (for a JSON document: the line the item starts on).
    pub line: usize,
    /// For a JSON document holding an array: the 0-based index of the item.
    pub item: Option<usize>,
    /// The source's own id of the record, when it is known (e.g. `cristin result 2134567`).
    pub id: Option<String>,
}

impl Source {
    /// A line of a line-oriented file.
    pub fn line(file: &Path, line: usize) -> Source {
        Source {
            file: file.to_path_buf(),
            line,
            item: None,
            id: None,
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file.display(), self.line)?;
        if let Some(item) = self.item {
            write!(f, " [item {item}]")?;
        }
        if let Some(id) = &self.id {
            write!(f, " ({id})")?;
        }
        Ok(())
    }
}

/// One rejected record, with its reason.
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
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// Kobler JSON Lines.
    KoblerJsonl,
    /// Cristin API v2 JSON: persons, results, projects, and results' contributors payloads.
    Cristin,
    /// OpenAlex works and authors, one JSON object per line.
    OpenAlex,
    /// ORCID v3.0 public records (JSON).
    Orcid,
    /// Needs from a spreadsheet export (CSV with Norwegian headers).
    CsvNeeds,
}

impl Format {
    /// The name `--format` takes.
    pub fn name(self) -> &'static str {
        match self {
            Format::KoblerJsonl => "kobler-jsonl",
            Format::Cristin => "cristin",
            Format::OpenAlex => "openalex",
            Format::Orcid => "orcid",
            Format::CsvNeeds => "csv",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "kobler" | "jsonl" | "kobler-jsonl" => Ok(Format::KoblerJsonl),
            "cristin" => Ok(Format::Cristin),
            "openalex" => Ok(Format::OpenAlex),
            "orcid" => Ok(Format::Orcid),
            "csv" | "csv-needs" => Ok(Format::CsvNeeds),
            other => Err(format!(
                "unknown feed format {other:?} (known: kobler-jsonl, cristin, openalex, orcid, csv)"
            )),
        }
    }
}

/// A person's identifiers as one source gives them (normalised; see `kobler_core::identity`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PersonIds {
    /// ORCID iD.
    pub orcid: Option<String>,
    /// Cristin person id.
    pub cristin: Option<String>,
    /// OpenAlex author id.
    pub openalex: Option<String>,
}

impl PersonIds {
    /// The identifiers as (scheme, value), strongest first: the order identity is matched in.
    pub fn pairs(&self) -> Vec<(&'static str, &str)> {
        let mut out = Vec::new();
        if let Some(v) = &self.orcid {
            out.push(("orcid", v.as_str()));
        }
        if let Some(v) = &self.cristin {
            out.push(("cristin", v.as_str()));
        }
        if let Some(v) = &self.openalex {
            out.push(("openalex", v.as_str()));
        }
        out
    }
}

/// A researcher profile from a foreign source, merged at import with what other sources say
/// about the same person.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    /// The source (`cristin`, `openalex`, `orcid`), which decides precedence when merging.
    pub source: &'static str,
    /// The profile; its `id` is the namespaced id used when the person is new
    /// (`cristin:12345`, `openalex:A123`, `orcid:0000-…`).
    pub researcher: Researcher,
    /// The person's identifiers.
    pub ids: PersonIds,
}

/// A person named by a work or project (author, participant), resolved at import through the
/// same identity rules as profiles.
#[derive(Debug, Clone, PartialEq)]
pub struct PersonRef {
    /// The namespaced id used when the person is known nowhere (e.g. `cristin:12345`).
    pub fallback_id: String,
    /// The person's identifiers.
    pub ids: PersonIds,
    /// The name as the referring record writes it: with a name, an unknown person gets a
    /// minimal researcher record; a known one is never changed by a reference.
    pub name: Option<String>,
    /// Units the reference places the person in (unit ids).
    pub units: Vec<String>,
    /// The source, for the minimal record (`cristin`, `openalex`, `orcid`).
    pub source: &'static str,
}

/// A record whose people (authors, participants) or unit are resolved at import.
#[derive(Debug, Clone, PartialEq)]
pub struct Linked {
    /// A work, project or need; its `authors`/`participants` (or `unit`) are filled in at import.
    pub record: Record,
    /// The people, in order (authors: author order; participants: managers first).
    pub people: Vec<PersonRef>,
    /// A need's unit as the spreadsheet names it: matched to a stored unit by id or name, or
    /// created as a municipal unit.
    pub unit_name: Option<String>,
}

/// What a feed record contributes to the store.
#[derive(Debug, Clone, PartialEq)]
pub enum FeedItem {
    /// A record stored as it is: upsert by type and id (Kobler JSON Lines).
    Record(Record),
    /// A record created only when its id is not stored yet (e.g. a unit known only from an
    /// affiliation): it never overwrites a fuller record.
    Placeholder(Record),
    /// A researcher profile, merged by identity.
    Profile(Profile),
    /// A record with people or a unit to resolve.
    Linked(Linked),
}

/// One source record read from a feed: what it contributes, where it came from, and how many
/// bytes of the file it took (for progress).
#[derive(Debug, Clone)]
pub struct Entry {
    /// Where.
    pub source: Source,
    /// What it contributes (a Cristin person: the profile and the units it names).
    pub items: Vec<FeedItem>,
    /// Bytes of the file read for it.
    pub bytes: u64,
}

/// What one file's reader needs to know about the other files of the same import.
#[derive(Debug, Default, Clone)]
pub struct FeedContext {
    /// Cristin contributors payloads by result id (from `<result id>.contributors.json` files).
    pub cristin_contributors: HashMap<String, Vec<serde_json::Value>>,
}

impl FeedContext {
    /// Reads what the readers of `files` need from each other (today: Cristin contributors
    /// payloads). A payload that cannot be read is reported like a bad record.
    pub fn gather(files: &[PathBuf]) -> (FeedContext, Vec<LineError>) {
        let mut context = FeedContext::default();
        let mut errors = Vec::new();
        for file in files {
            if let Some(result_id) = cristin::contributors_file_result_id(file) {
                match cristin::read_contributors(file) {
                    Ok(list) => {
                        context.cristin_contributors.insert(result_id, list);
                    }
                    Err(e) => errors.push(e),
                }
            }
        }
        (context, errors)
    }
}

/// Reads one feed file entry by entry.
pub struct FeedReader {
    len: u64,
    inner: Box<dyn Iterator<Item = Result<Entry, LineError>>>,
}

impl FeedReader {
    /// Opens `path` as `format`.
    pub fn open(
        path: &Path,
        format: Format,
        context: &FeedContext,
    ) -> Result<FeedReader, FeedError> {
        let len = std::fs::metadata(path)
            .map_err(|error| FeedError::io(path, error))?
            .len();
        // A forced format skips detection, so binary data is caught here too.
        let head = content::head(path).map_err(|error| FeedError::io(path, error))?;
        if let Some(kind) = content::binary_kind(&head) {
            return Err(FeedError::Binary {
                path: path.to_path_buf(),
                kind,
            });
        }
        let inner: Box<dyn Iterator<Item = Result<Entry, LineError>>> = match format {
            Format::KoblerJsonl => Box::new(kobler::read(path)?),
            Format::Cristin => cristin::read(path, context)?,
            Format::OpenAlex => openalex::read(path)?,
            Format::Orcid => orcid::read(path)?,
            Format::CsvNeeds => csv_needs::read(path)?,
        };
        Ok(FeedReader { len, inner })
    }

    /// How many bytes the file has (for progress bars).
    pub fn len(&self) -> u64 {
        self.len
    }

    /// Whether the file is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl Iterator for FeedReader {
    type Item = Result<Entry, LineError>;
    fn next(&mut self) -> Option<Self::Item> {
        Some(self.inner.next()?.and_then(check_limits))
    }
}

/// Refuses an entry any of whose items breaks the size and id rules every record coming in
/// must keep (`kobler_core::record`: ids of at most 128 bytes without control characters; a
/// need's title, description and contact within their limits), with the fields named as
/// record validation names them. Checked here, once for every format, so that a Cristin id and
/// a spreadsheet's need are held to the same rules as a Kobler JSON Lines record.
fn check_limits(entry: Entry) -> Result<Entry, LineError> {
    let mut errors = Vec::new();
    for item in &entry.items {
        match item {
            FeedItem::Record(record) | FeedItem::Placeholder(record) => {
                errors.extend(record.limit_errors());
            }
            FeedItem::Linked(linked) => {
                errors.extend(linked.record.limit_errors());
                // A spreadsheet's unit name becomes a unit id when no stored unit has it.
                if let Some(problem) = linked.unit_name.as_deref().and_then(id_problem) {
                    errors.push(FieldError {
                        field: "unit".into(),
                        reason: format!("names a unit that {problem}"),
                    });
                }
                let field = match linked.record.kind() {
                    kobler_core::Kind::Work => "authors",
                    kobler_core::Kind::Project => "participants",
                    _ => "people",
                };
                errors.extend(people_errors(&linked.people, field));
            }
            FeedItem::Profile(profile) => {
                errors.extend(Record::Researcher(profile.researcher.clone()).limit_errors());
            }
        }
    }
    if errors.is_empty() {
        return Ok(entry);
    }
    errors.dedup();
    Err(LineError {
        source: entry.source,
        reason: RecordError { errors }.to_string(),
    })
}

/// The id rules applied to the people a record names: the id each would get, and their units.
fn people_errors(people: &[PersonRef], field: &'static str) -> Vec<FieldError> {
    let ids = people
        .iter()
        .map(|p| (field, p.fallback_id.as_str()))
        .chain(
            people
                .iter()
                .flat_map(|p| p.units.iter().map(|u| ("units", u.as_str()))),
        );
    let mut errors: Vec<FieldError> = Vec::new();
    for (field, id) in ids {
        if let Some(problem) = id_problem(id)
            && !errors.iter().any(|e| e.field == field)
        {
            errors.push(FieldError {
                field: field.into(),
                reason: format!("holds an id that {problem}"),
            });
        }
    }
    errors
}

/// Expands the given paths into the feed files to read: files as given, directories into
/// their `*.jsonl`, `*.ndjson`, `*.json` and `*.csv` files (sorted, not recursive), leaving out
/// evaluation label files.
///
/// A path that gives nothing to read is an error before anything is read: a file that is
/// empty (or only blank lines), a directory with no feed files or only empty ones.
pub fn feed_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, FeedError> {
    let mut files = Vec::new();
    for path in paths {
        let io = |error| FeedError::io(path, error);
        let meta = std::fs::metadata(path).map_err(io)?;
        if meta.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(path)
                .map_err(io)?
                .filter_map(|entry| entry.ok().map(|e| e.path()))
                .filter(|p| p.is_file())
                .filter(|p| {
                    p.extension()
                        .and_then(|e| e.to_str())
                        .is_some_and(|e| FEED_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
                })
                .filter(|p| {
                    !p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| LABEL_FILES.contains(&n))
                })
                .collect();
            // A file that cannot be read counts as something: its reader reports why.
            if found.iter().all(|f| content::is_blank(f).unwrap_or(false)) {
                return Err(FeedError::NoFeedFiles {
                    dir: path.clone(),
                    only_empty: !found.is_empty(),
                });
            }
            found.sort();
            files.extend(found);
        } else {
            if content::is_blank(path).map_err(io)? {
                return Err(FeedError::Empty { path: path.clone() });
            }
            files.push(path.clone());
        }
    }
    Ok(files)
}

/// Tells a file's format from its content (the first 64 KiB): Cristin, ORCID and OpenAlex by
/// their own field names and id forms, Kobler JSON Lines by a leading object, CSV by a header
/// line with `;` or `,` separators. Binary data (gzip, an image, a workbook) is named as such.
pub fn detect_format(path: &Path) -> Result<Format, FeedError> {
    let mut head = Vec::new();
    File::open(path)
        .and_then(|f| f.take(64 * 1024).read_to_end(&mut head))
        .map_err(|error| FeedError::io(path, error))?;
    if let Some(kind) = content::binary_kind(&head[..head.len().min(content::HEAD_BYTES as usize)])
    {
        return Err(FeedError::Binary {
            path: path.to_path_buf(),
            kind,
        });
    }
    let text = String::from_utf8_lossy(&head);
    let text = text.trim_start_matches('\u{feff}').trim_start();
    let has = |needle: &str| text.contains(needle);
    if cristin::contributors_file_result_id(path).is_some() {
        // A contributors payload may be an empty array: its name says what it is.
        return Ok(Format::Cristin);
    }
    match text.chars().next() {
        None => Ok(Format::KoblerJsonl),
        Some('{') | Some('[') => {
            if has("\"orcid-identifier\"") || has("\"activities-summary\"") {
                Ok(Format::Orcid)
            } else if has("\"cristin_person_id\"")
                || has("\"cristin_result_id\"")
                || has("\"cristin_project_id\"")
            {
                Ok(Format::Cristin)
            } else if has("\"https://openalex.org/") && text.starts_with('{') {
                Ok(Format::OpenAlex)
            } else if text.starts_with('{') {
                Ok(Format::KoblerJsonl)
            } else {
                Err(FeedError::Format {
                    path: path.to_path_buf(),
                    reason: "a JSON array, but not of Cristin records; use --format to force"
                        .into(),
                })
            }
        }
        Some(_) => {
            let first_line = text.lines().next().unwrap_or("");
            if first_line.contains(';') || first_line.contains(',') {
                Ok(Format::CsvNeeds)
            } else {
                Err(FeedError::Format {
                    path: path.to_path_buf(),
                    reason: "neither JSON nor a CSV header line (fields separated by ; or ,); use --format to force".into(),
                })
            }
        }
    }
}

/// The order an import reads files in: Kobler JSON Lines first (units and researchers others
/// refer to), then the files of researcher profiles (Cristin persons, ORCID records, OpenAlex
/// authors, in that order of trust), then everything that refers to people. So a mixed
/// directory resolves authors to full profiles, whatever its file names.
pub fn read_order(path: &Path, format: Format) -> u8 {
    let mut head = Vec::new();
    let _ = File::open(path).and_then(|f| f.take(16 * 1024).read_to_end(&mut head));
    let head = String::from_utf8_lossy(&head);
    let has = |needle: &str| head.contains(needle);
    match format {
        Format::KoblerJsonl => 0,
        Format::Cristin
            if has("\"cristin_person_id\"")
                && !has("\"cristin_result_id\"")
                && !has("\"cristin_project_id\"") =>
        {
            1
        }
        Format::Orcid => 2,
        Format::OpenAlex
            if head
                .lines()
                .next()
                .is_some_and(|l| l.contains("openalex.org/A")) =>
        {
            let first = head.lines().next().unwrap_or("");
            // An author's own id comes first in the snapshot; a work names authors further in.
            if first.find("openalex.org/A") < first.find("openalex.org/W").or(Some(usize::MAX)) {
                3
            } else {
                4
            }
        }
        _ => 4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directories_read_feed_extensions_and_skip_label_files() {
        let dir = tempfile::tempdir().unwrap();
        for name in [
            "b.jsonl",
            "a.jsonl",
            "c.json",
            "d.CSV",
            "judgments.jsonl",
            "overlaps.jsonl",
            "README.md",
        ] {
            std::fs::write(dir.path().join(name), "{}\n").unwrap();
        }
        let files = feed_files(&[dir.path().to_path_buf()]).unwrap();
        let names: Vec<_> = files
            .iter()
            .map(|p| p.file_name().unwrap().to_str().unwrap())
            .collect();
        assert_eq!(names, ["a.jsonl", "b.jsonl", "c.json", "d.CSV"]);
    }

    #[test]
    fn paths_that_give_nothing_to_read_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let message = |paths: &[PathBuf]| match feed_files(paths) {
            Err(e) => e.to_string(),
            Ok(files) => panic!("{files:?}"),
        };
        let empty = dir.path().join("empty.jsonl");
        std::fs::write(&empty, "\n  \n").unwrap();
        assert_eq!(
            message(std::slice::from_ref(&empty)),
            format!("nothing to import: {} is empty", empty.display())
        );
        let other = dir.path().join("other");
        std::fs::create_dir(&other).unwrap();
        std::fs::write(other.join("README.md"), "# not a feed").unwrap();
        std::fs::write(other.join("judgments.jsonl"), "{}").unwrap();
        assert_eq!(
            message(std::slice::from_ref(&other)),
            format!(
                "nothing to import: {} has no .jsonl, .ndjson, .json or .csv files",
                other.display()
            )
        );
        // The directory holding only the empty file.
        assert_eq!(
            message(&[dir.path().to_path_buf()]),
            format!(
                "nothing to import: {} has only empty .jsonl, .ndjson, .json or .csv files",
                dir.path().display()
            )
        );
    }

    #[test]
    fn binary_files_are_named_as_such_whatever_the_format() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("needs.csv");
        std::fs::write(&path, b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03").unwrap();
        let want = format!(
            "{} looks like binary data (gzip?), not a feed",
            path.display()
        );
        assert_eq!(detect_format(&path).unwrap_err().to_string(), want);
        for format in [Format::CsvNeeds, Format::KoblerJsonl, Format::Cristin] {
            let error = FeedReader::open(&path, format, &FeedContext::default()).err();
            assert_eq!(error.map(|e| e.to_string()), Some(want.clone()), "{format}");
        }
    }

    /// The cause is in the message, and not returned again as `source()`, where an error chain
    /// would print it a second time.
    #[test]
    fn an_io_error_is_told_once() {
        let error = detect_format(Path::new("/no/such/feed.jsonl")).unwrap_err();
        assert!(error.to_string().contains("(os error 2)"), "{error}");
        assert!(std::error::Error::source(&error).is_none());
    }

    #[test]
    fn detects_each_format_from_content() {
        let dir = tempfile::tempdir().unwrap();
        let cases = [
            (
                "k.jsonl",
                "{\"type\":\"need\",\"id\":\"n\"}\n",
                Format::KoblerJsonl,
            ),
            ("c.json", "[{\"cristin_result_id\":\"1\"}]", Format::Cristin),
            (
                "p.json",
                "{\n \"cristin_person_id\": \"7\"}",
                Format::Cristin,
            ),
            (
                "o.jsonl",
                "{\"id\":\"https://openalex.org/W1\"}\n",
                Format::OpenAlex,
            ),
            ("r.json", "{\"orcid-identifier\":{}}", Format::Orcid),
            (
                "n.csv",
                "\u{feff}Tittel;Beskrivelse\nA;B\n",
                Format::CsvNeeds,
            ),
        ];
        for (name, content, want) in cases {
            let path = dir.path().join(name);
            std::fs::write(&path, content).unwrap();
            assert_eq!(detect_format(&path).unwrap(), want, "{name}");
        }
        let path = dir.path().join("x.txt");
        std::fs::write(&path, "hello\n").unwrap();
        assert!(detect_format(&path).is_err());
    }

    /// Every fixture cut at many points (as a failed download leaves it) reads as records and
    /// errors, never a panic.
    #[test]
    fn truncated_fixtures_never_panic() {
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/feeds");
        let dir = tempfile::tempdir().unwrap();
        let mut checked = 0;
        for sub in ["cristin", "openalex", "orcid", "csv"] {
            for entry in std::fs::read_dir(fixtures.join(sub)).unwrap() {
                let path = entry.unwrap().path();
                let bytes = std::fs::read(&path).unwrap();
                let format = detect_format(&path).unwrap();
                let cut = dir.path().join(path.file_name().unwrap());
                for end in (0..bytes.len()).step_by(61) {
                    std::fs::write(&cut, &bytes[..end]).unwrap();
                    let (context, _) = FeedContext::gather(std::slice::from_ref(&cut));
                    if let Ok(reader) = FeedReader::open(&cut, format, &context) {
                        checked += reader.count();
                    }
                }
            }
        }
        assert!(checked > 100, "{checked}");
    }

    #[test]
    fn records_breaking_the_id_and_size_rules_are_file_line_errors_naming_the_field() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("feed.jsonl");
        let long_id = "n".repeat(kobler_core::record::MAX_ID_BYTES + 1);
        let title = "t".repeat(kobler_core::record::MAX_TITLE_CHARS + 1);
        let lines = [
            r#"{"type": "need", "id": "n-ok", "title": "T", "description": "D"}"#.to_string(),
            format!(r#"{{"type": "need", "id": "{long_id}", "title": "T", "description": "D"}}"#),
            format!(r#"{{"type": "need", "id": "n2", "title": "{title}", "description": "D"}}"#),
            r#"{"type": "work", "id": "w\u0000", "title": "T"}"#.to_string(),
            r#"{"type": "work", "id": "w", "title": "T", "authors": ["r\n1"]}"#.to_string(),
            format!(
                r#"{{"type": "work", "id": "w2", "title": "T", "abstract": "{}"}}"#,
                "a".repeat(100_000)
            ),
        ];
        std::fs::write(&path, lines.join("\n")).unwrap();
        let results: Vec<_> = FeedReader::open(&path, Format::KoblerJsonl, &FeedContext::default())
            .unwrap()
            .collect();
        assert!(results[0].is_ok());
        let errors: Vec<String> = results[1..5]
            .iter()
            .map(|r| r.as_ref().expect_err("refused").to_string())
            .collect();
        assert!(
            errors[0].contains("feed.jsonl:2: `id` is 129 bytes long"),
            "{}",
            errors[0]
        );
        assert!(
            errors[1].contains("feed.jsonl:3: `title` is 301 characters long; at most 300"),
            "{}",
            errors[1]
        );
        assert!(
            errors[2].contains("feed.jsonl:4: `id` contains the control character U+0000"),
            "{}",
            errors[2]
        );
        assert!(
            errors[3].contains("feed.jsonl:5: `authors` holds an id that contains"),
            "{}",
            errors[3]
        );
        // Works' texts come from publication databases and have no such limit.
        assert!(results[5].is_ok());
    }

    #[test]
    fn a_spreadsheet_need_over_a_limit_is_refused_with_its_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("behov.csv");
        let description = "d".repeat(kobler_core::record::MAX_DESCRIPTION_CHARS + 1);
        std::fs::write(
            &path,
            format!("Tittel;Beskrivelse;Enhet\nOk;Tekst;Helse\nLang;{description};Helse\n"),
        )
        .unwrap();
        let results: Vec<_> = FeedReader::open(&path, Format::CsvNeeds, &FeedContext::default())
            .unwrap()
            .collect();
        assert!(results[0].is_ok());
        let error = results[1].as_ref().expect_err("refused").to_string();
        assert!(
            error.contains("behov.csv:3: `description` is 20001 characters long"),
            "{error}"
        );
    }

    #[test]
    fn positions_name_lines_and_items() {
        let mut source = Source::line(Path::new("f.json"), 4);
        assert_eq!(source.to_string(), "f.json:4");
        source.item = Some(2);
        source.id = Some("cristin result 9".into());
        assert_eq!(source.to_string(), "f.json:4 [item 2] (cristin result 9)");
    }
}
