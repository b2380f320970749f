//! Needs from spreadsheets: CSV as municipal staff export it from Excel or a case system —
//! `;` or `,` separated (told from the header line), UTF-8 with or without a byte-order mark,
//! Norwegian column headers matched loosely (case, spaces, æøå and punctuation ignored).
//!
//! Each row is one need. Its id is the `ID` column when there is one; otherwise it is made
//! from the unit and the title (`need:<unit>:<title>`, slugged), so re-exporting the same sheet
//! updates the needs instead of duplicating them. The `Enhet` column names a unit; the import
//! matches it to a stored unit by id or name, or creates a municipal unit for it. Columns the
//! mapping does not know are kept in the need's `extra` under their slugged header.

use crate::text::{iso_date, push_unique, slug};
use crate::{Entry, FeedError, FeedItem, LineError, Linked, Source};
use kobler_core::{Need, NeedStatus, Record};
use serde_json::{Map, Value, json};
use std::fs::File;
use std::io::{BufRead, BufReader, Cursor, Read};
use std::path::{Path, PathBuf};

/// The longest id made from a row's unit and title: an id may have
/// [`kobler_core::record::MAX_ID_BYTES`], less room for the `-N` that tells rows with the same
/// title apart.
const MADE_ID_BYTES: usize = kobler_core::record::MAX_ID_BYTES - 8;

/// Which headers fill which need field (the first matching column wins). Documented in
/// `docs/formats.md`; keep the two in step.
pub const HEADER_MAPPING: &[(&str, &[&str])] = &[
    (
        "id",
        &[
            "ID",
            "Id",
            "Nr",
            "Nummer",
            "Referanse",
            "Saksnummer",
            "Behovsnummer",
        ],
    ),
    ("title", &["Tittel", "Overskrift", "Behov", "Navn", "Title"]),
    (
        "description",
        &[
            "Beskrivelse",
            "Kunnskapsbehov",
            "Problemstilling",
            "Beskrivelse av behovet",
            "Description",
        ],
    ),
    (
        "unit",
        &[
            "Enhet",
            "Avdeling",
            "Tjenesteområde",
            "Virksomhet",
            "Sektor",
            "Unit",
        ],
    ),
    (
        "focus_areas",
        &[
            "Fokusområder",
            "Fokusområde",
            "Tema",
            "Satsingsområde",
            "Satsingsområder",
            "Focus areas",
        ],
    ),
    (
        "kinds",
        &[
            "Samarbeidsform",
            "Samarbeidsformer",
            "Type samarbeid",
            "Samarbeidstype",
            "Kinds",
        ],
    ),
    (
        "posted",
        &[
            "Publisert",
            "Dato",
            "Registrert",
            "Opprettet",
            "Innmeldt",
            "Posted",
        ],
    ),
    (
        "deadline",
        &["Frist", "Svarfrist", "Søknadsfrist", "Deadline"],
    ),
    (
        "contact",
        &["Kontakt", "Kontaktperson", "E-post", "Epost", "Contact"],
    ),
    ("status", &["Status"]),
];

/// How a CSV file is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CsvDialect {
    /// The field separator: `;` (Norwegian Excel), `,` or tab.
    pub delimiter: u8,
}

impl CsvDialect {
    /// Tells the separator from the header line: the most frequent of `;`, `,` and tab outside
    /// quotes (a tie goes to `;`, Excel's choice in a Norwegian locale).
    pub fn sniff(header_line: &str) -> CsvDialect {
        let mut counts = [0usize; 3];
        let mut quoted = false;
        for c in header_line.chars() {
            match c {
                '"' => quoted = !quoted,
                ';' if !quoted => counts[0] += 1,
                ',' if !quoted => counts[1] += 1,
                '\t' if !quoted => counts[2] += 1,
                _ => {}
            }
        }
        let delimiter = if counts[1] > counts[0] && counts[1] >= counts[2] {
            b','
        } else if counts[2] > counts[0] && counts[2] > counts[1] {
            b'\t'
        } else {
            b';'
        };
        CsvDialect { delimiter }
    }
}

/// What the reader knows about the file's columns.
struct Columns {
    /// Column index per mapped field.
    fields: Vec<(&'static str, usize)>,
    /// Unmapped columns: index and slugged header.
    others: Vec<(usize, String)>,
    /// The header as written, per column (for messages).
    headers: Vec<String>,
}

impl Columns {
    fn from_headers(headers: &csv::StringRecord) -> Columns {
        let headers: Vec<String> = headers.iter().map(|h| h.trim().to_string()).collect();
        let slugs: Vec<String> = headers.iter().map(|h| slug(h)).collect();
        let mut fields = Vec::new();
        let mut used = vec![false; headers.len()];
        for (field, names) in HEADER_MAPPING {
            let found = names.iter().find_map(|name| {
                slugs
                    .iter()
                    .position(|s| *s == slug(name))
                    .filter(|i| !used[*i])
            });
            if let Some(i) = found {
                used[i] = true;
                fields.push((*field, i));
            }
        }
        let others = slugs
            .iter()
            .enumerate()
            .filter(|(i, s)| !used[*i] && !s.is_empty())
            .map(|(i, s)| (i, s.replace('-', "_")))
            .collect();
        Columns {
            fields,
            others,
            headers,
        }
    }

    fn index(&self, field: &str) -> Option<usize> {
        self.fields
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, i)| *i)
    }
}

/// Reads needs from a CSV file.
pub(crate) struct CsvReader {
    file: PathBuf,
    reader: csv::Reader<Box<dyn Read>>,
    columns: Columns,
    record: csv::StringRecord,
    last_offset: u64,
    /// Ids made so far, so two rows with the same title get distinct ids.
    made_ids: std::collections::HashMap<String, usize>,
}

pub(crate) fn read(
    path: &Path,
) -> Result<Box<dyn Iterator<Item = Result<Entry, LineError>>>, FeedError> {
    let io = |error| FeedError::io(path, error);
    let mut file = BufReader::new(File::open(path).map_err(io)?);
    // Excel writes a byte-order mark before "UTF-8 CSV"; csv would take it into the first header.
    let mut first_line = Vec::new();
    file.read_until(b'\n', &mut first_line).map_err(io)?;
    let skip = if first_line.starts_with(&[0xEF, 0xBB, 0xBF]) {
        3
    } else {
        0
    };
    let header = String::from_utf8_lossy(&first_line[skip..]).to_string();
    let dialect = CsvDialect::sniff(&header);
    let source: Box<dyn Read> = Box::new(Cursor::new(first_line[skip..].to_vec()).chain(file));
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(dialect.delimiter)
        .flexible(true)
        .has_headers(true)
        .from_reader(source);
    let headers = reader.headers().map_err(|e| FeedError::Format {
        path: path.to_path_buf(),
        reason: format!("cannot read the CSV header line: {e}"),
    })?;
    let columns = Columns::from_headers(headers);
    for required in ["title", "description"] {
        if columns.index(required).is_none() {
            let names = HEADER_MAPPING
                .iter()
                .find(|(f, _)| *f == required)
                .map(|(_, n)| n.join(", "))
                .unwrap_or_default();
            return Err(FeedError::Format {
                path: path.to_path_buf(),
                reason: format!(
                    "no column for the need's {required} (looked for {names}; the header is {:?})",
                    columns
                        .headers
                        .join(&(dialect.delimiter as char).to_string())
                ),
            });
        }
    }
    Ok(Box::new(CsvReader {
        file: path.to_path_buf(),
        reader,
        columns,
        record: csv::StringRecord::new(),
        last_offset: skip as u64,
        made_ids: Default::default(),
    }))
}

impl Iterator for CsvReader {
    type Item = Result<Entry, LineError>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let read = self.reader.read_record(&mut self.record);
            let position = self.reader.position().clone();
            let bytes = position.byte().saturating_sub(self.last_offset);
            self.last_offset = position.byte();
            let line = self
                .record
                .position()
                .map_or(position.line() as usize, |p| p.line() as usize);
            let source = Source::line(&self.file, line);
            match read {
                Ok(false) => return None,
                Ok(true) => {}
                Err(e) => {
                    let line = e.position().map_or(line, |p| p.line() as usize);
                    let reason = match e.kind() {
                        csv::ErrorKind::Utf8 { .. } => {
                            "not valid UTF-8 (save the sheet as \"CSV UTF-8\")".to_string()
                        }
                        _ => format!("cannot read the row: {e}"),
                    };
                    return Some(Err(LineError {
                        source: Source::line(&self.file, line),
                        reason,
                    }));
                }
            }
            if self.record.iter().all(|f| f.trim().is_empty()) {
                continue;
            }
            return Some(match self.row() {
                Ok(items) => Ok(Entry {
                    source,
                    items,
                    bytes,
                }),
                Err(reason) => Err(LineError { source, reason }),
            });
        }
    }
}

impl CsvReader {
    fn cell(&self, field: &str) -> Option<&str> {
        let i = self.columns.index(field)?;
        self.record.get(i).map(str::trim).filter(|s| !s.is_empty())
    }

    fn header<'a>(&'a self, field: &'a str) -> &'a str {
        self.columns
            .index(field)
            .and_then(|i| self.columns.headers.get(i))
            .map_or(field, String::as_str)
    }

    fn row(&mut self) -> Result<Vec<FeedItem>, String> {
        let title = self
            .cell("title")
            .ok_or_else(|| format!("`{}` (the title) is empty", self.header("title")))?
            .to_string();
        let description = self
            .cell("description")
            .ok_or_else(|| {
                format!(
                    "`{}` (the description) is empty",
                    self.header("description")
                )
            })?
            .to_string();
        crate::text::check_size(self.header("description"), &description)?;
        crate::text::check_size(self.header("title"), &title)?;
        let unit_name = self.cell("unit").map(str::to_string);
        let date = |this: &Self, field: &str| -> Result<Option<String>, String> {
            match this.cell(field) {
                None => Ok(None),
                Some(raw) => iso_date(raw).map(Some).ok_or_else(|| {
                    format!(
                        "`{}` {raw:?} is not a date (write 15.03.2026 or 2026-03-15)",
                        this.header(field)
                    )
                }),
            }
        };
        let posted = date(self, "posted")?;
        let deadline = date(self, "deadline")?;
        let status = match self.cell("status") {
            None => NeedStatus::Open,
            Some(raw) => parse_status(raw).ok_or_else(|| {
                format!(
                    "`{}` {raw:?} is not a status (Åpen, Utkast, Koblet or Lukket)",
                    self.header("status")
                )
            })?,
        };
        let mut focus_areas = Vec::new();
        for part in split_list(self.cell("focus_areas")) {
            push_unique(&mut focus_areas, &slug(part));
        }
        let mut kinds = Vec::new();
        for part in split_list(self.cell("kinds")) {
            push_unique(&mut kinds, &collaboration_kind(part));
        }
        let id = match self.cell("id") {
            Some(id) => id.to_string(),
            None => {
                let mut base = format!(
                    "need:{}:{}",
                    slug(unit_name.as_deref().unwrap_or("")),
                    slug(&title)
                );
                // A made id must keep the id rules however long the title: cut it (a slug is
                // ASCII, so any length is a character boundary), leaving room for `-N`.
                base.truncate(MADE_ID_BYTES);
                let base = base.trim_end_matches('-').to_string();
                let n = self.made_ids.entry(base.clone()).or_default();
                *n += 1;
                if *n == 1 { base } else { format!("{base}-{n}") }
            }
        };
        let mut extra = Map::new();
        extra.insert("source".into(), json!("csv"));
        if let Some(unit) = &unit_name {
            extra.insert("unit_name".into(), json!(unit));
        }
        for (i, key) in &self.columns.others {
            if let Some(v) = self.record.get(*i).map(str::trim).filter(|v| !v.is_empty()) {
                extra.insert(key.clone(), Value::String(v.to_string()));
            }
        }
        let need = Need {
            id,
            title,
            description,
            unit: None,
            focus_areas,
            kinds,
            posted,
            deadline,
            status,
            contact: self.cell("contact").map(str::to_string),
            extra,
        };
        Ok(vec![FeedItem::Linked(Linked {
            record: Record::Need(need),
            people: Vec::new(),
            unit_name,
        })])
    }
}

/// A cell holding several values: separated by commas, semicolons, `|` or line breaks.
fn split_list(cell: Option<&str>) -> impl Iterator<Item = &str> {
    cell.unwrap_or("")
        .split([',', ';', '|', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

fn parse_status(raw: &str) -> Option<NeedStatus> {
    Some(match slug(raw).as_str() {
        "apen" | "open" | "aktiv" | "publisert" | "ny" => NeedStatus::Open,
        "utkast" | "kladd" | "draft" => NeedStatus::Draft,
        "koblet" | "matchet" | "tildelt" | "i-gang" | "matched" => NeedStatus::Matched,
        "lukket" | "avsluttet" | "trukket" | "arkivert" | "closed" => NeedStatus::Closed,
        _ => return None,
    })
}

/// A collaboration kind in the default taxonomy's spelling where it is one, else its slug.
fn collaboration_kind(raw: &str) -> String {
    let s = slug(raw);
    match s.as_str() {
        "master" | "masteroppgave" | "masteroppgaver" => "masteroppgave".into(),
        "bachelor" | "bacheloroppgave" | "bacheloroppgaver" => "bacheloroppgave".into(),
        "praksis" | "praksisplass" | "praksisprosjekt" => "praksis".into(),
        "offentlig-ph-d" | "offentlig-phd" | "offentlig-sektor-ph-d" | "offentlig-sektor-phd" => {
            "offentlig-phd".into()
        }
        "evu" | "etter-og-videreutdanning" | "etter-og-vidareutdanning" | "videreutdanning" => {
            "evu".into()
        }
        "forskningsprosjekt" | "forskning" => "forskningsprosjekt".into(),
        "innovasjonsprosjekt" | "innovasjon" => "innovasjonsprosjekt".into(),
        _ => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_text(bytes: &[u8]) -> Vec<Result<Entry, LineError>> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("behov.csv");
        std::fs::write(&path, bytes).unwrap();
        read(&path).unwrap().collect()
    }

    fn need(entry: &Result<Entry, LineError>) -> (&Need, Option<&str>) {
        let FeedItem::Linked(l) = &entry.as_ref().unwrap().items[0] else {
            panic!()
        };
        let Record::Need(n) = &l.record else { panic!() };
        (n, l.unit_name.as_deref())
    }

    #[test]
    fn ids_made_from_long_titles_keep_the_id_rules() {
        let title = "Behov ".repeat(40);
        let text = format!("Tittel;Beskrivelse;Enhet\n{title};Tekst;Helse\n{title};Tekst;Helse\n");
        let rows = read_text(text.as_bytes());
        let (first, _) = need(&rows[0]);
        let (second, _) = need(&rows[1]);
        assert!(first.id.len() <= MADE_ID_BYTES, "{}", first.id);
        assert!(
            first.id.starts_with("need:helse:behov-behov"),
            "{}",
            first.id
        );
        assert!(!first.id.ends_with('-'), "{}", first.id);
        assert_eq!(second.id, format!("{}-2", first.id));
        assert!(kobler_core::record::id_problem(&second.id).is_none());
    }

    #[test]
    fn semicolon_csv_with_bom_and_norwegian_headers_maps_every_column() {
        let text = "\u{feff}Tittel;Beskrivelse;Enhet;Fokusområder;Samarbeidsform;Frist;Kontakt;Status;Kommune\n\
            Ensomhet blant eldre;\"Vi vil vite mer om ensomhet; særlig etter pandemien.\";Helse og velferd;Helse og velferd, Innovasjon;Masteroppgave, Offentlig ph.d.;15.03.2026;kari@kommune.no;Åpen;Trondheim\n";
        let rows = read_text(text.as_bytes());
        assert_eq!(rows.len(), 1);
        let (n, unit) = need(&rows[0]);
        assert_eq!(n.id, "need:helse-og-velferd:ensomhet-blant-eldre");
        assert_eq!(
            n.description,
            "Vi vil vite mer om ensomhet; særlig etter pandemien."
        );
        assert_eq!(unit, Some("Helse og velferd"));
        assert_eq!(n.focus_areas, ["helse-og-velferd", "innovasjon"]);
        assert_eq!(n.kinds, ["masteroppgave", "offentlig-phd"]);
        assert_eq!(n.deadline.as_deref(), Some("2026-03-15"));
        assert_eq!(n.status, NeedStatus::Open);
        assert_eq!(n.extra["kommune"], "Trondheim");
        assert_eq!(rows[0].as_ref().unwrap().source.line, 2);
    }

    #[test]
    fn comma_csv_rows_with_errors_are_reported_by_line_and_the_rest_read() {
        let text = "ID,Tittel,Beskrivelse,Frist,Status\n\
            n1,Skolevegring,Hvordan få elever tilbake,2026-05-01,Utkast\n\
            n2,,Mangler tittel,,\n\
            n3,Overvann,\"Flom i sentrum,\nflere linjer\",snart,\n\
            n4,Parkering,Beskrivelse,,Kanskje\n\
            n5,Luft,Svevestøv,,Lukket\n";
        let rows = read_text(text.as_bytes());
        assert_eq!(rows.len(), 5);
        assert_eq!(need(&rows[0]).0.status, NeedStatus::Draft);
        let err = |i: usize| rows[i].as_ref().unwrap_err().to_string();
        assert!(
            err(1).ends_with("behov.csv:3: `Tittel` (the title) is empty"),
            "{}",
            err(1)
        );
        assert!(
            err(2).contains("behov.csv:4: `Frist` \"snart\" is not a date"),
            "{}",
            err(2)
        );
        assert!(
            err(3).contains("behov.csv:6: `Status` \"Kanskje\""),
            "{}",
            err(3)
        );
        assert_eq!(need(&rows[4]).0.id, "n5");
    }

    #[test]
    fn a_sheet_without_a_title_column_is_refused_whole() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.csv");
        std::fs::write(&path, "Navnet;Tekst\na;b\n").unwrap();
        let err = read(&path).err().unwrap().to_string();
        assert!(err.contains("no column for the need's title"), "{err}");
    }

    #[test]
    fn not_utf8_rows_are_named() {
        let rows = read_text(b"Tittel;Beskrivelse\nM\xf8te;Beskrivelse\n");
        assert!(
            rows[0]
                .as_ref()
                .unwrap_err()
                .to_string()
                .contains(":2: not valid UTF-8")
        );
    }

    #[test]
    fn the_separator_is_sniffed_outside_quotes() {
        assert_eq!(
            CsvDialect::sniff("Tittel;Beskrivelse;\"a,b,c\"").delimiter,
            b';'
        );
        assert_eq!(
            CsvDialect::sniff("Tittel,Beskrivelse,Enhet").delimiter,
            b','
        );
        assert_eq!(CsvDialect::sniff("Tittel\tBeskrivelse").delimiter, b'\t');
    }
}
