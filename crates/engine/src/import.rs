//! Importing feeds: read records, store them in batches (one transaction each), check references
//! once the whole import is stored, then catch the index up.

use crate::{Engine, Result};
use kobler_core::{Kind, Record};
use kobler_feeds::{Format, JsonlReader, LineError, Source, detect_format, feed_files};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

/// How to import.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// Records per transaction. A killed import loses at most the batch in flight.
    pub batch_size: usize,
    /// Read every file as this format instead of detecting it.
    pub format: Option<Format>,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            batch_size: 1_000,
            format: None,
        }
    }
}

/// Told about an import's progress (the CLI draws a bar).
pub trait ImportObserver {
    /// A file is about to be read; `bytes` is its size.
    fn file_started(&mut self, _file: &std::path::Path, _bytes: u64) {}
    /// `bytes` more of the current file were read.
    fn advanced(&mut self, _bytes: u64) {}
    /// A batch was committed; `stored` records so far.
    fn committed(&mut self, _stored: u64) {}
}

/// An observer that ignores everything.
pub struct NoProgress;
impl ImportObserver for NoProgress {}

/// What an import did.
#[derive(Debug, Default, Clone, Serialize)]
pub struct ImportReport {
    /// Files read.
    pub files: usize,
    /// Valid records read, per kind.
    pub records: BTreeMap<Kind, u64>,
    /// New records stored.
    pub inserted: u64,
    /// Existing records changed.
    pub updated: u64,
    /// Existing records that were already identical.
    pub unchanged: u64,
    /// Lines rejected, as `file:line: reason`.
    pub rejected: Vec<String>,
    /// References to ids that do not exist after the whole import, as `file:line: reason`.
    /// The records themselves are stored (the id may arrive in a later import).
    pub unresolved: Vec<String>,
    /// Records the index read to catch up.
    pub indexed: u64,
}

impl ImportReport {
    /// Whether every line imported cleanly.
    pub fn is_clean(&self) -> bool {
        self.rejected.is_empty() && self.unresolved.is_empty()
    }
}

/// The first place a missing id was referred from, and how many more places did.
struct Referral {
    file: usize,
    line: usize,
    field: &'static str,
    from: Kind,
    more: u64,
}

impl Engine {
    /// Imports feed files and directories (CONTRACT §1). Bad lines are reported and skipped;
    /// everything else is stored.
    pub async fn import(
        &self,
        paths: &[PathBuf],
        options: &ImportOptions,
        observer: &mut dyn ImportObserver,
    ) -> Result<ImportReport> {
        let files = feed_files(paths)?;
        let mut report = ImportReport {
            files: files.len(),
            ..Default::default()
        };
        let mut referrals: HashMap<(Kind, String), Referral> = HashMap::new();
        let mut batch: Vec<Record> = Vec::with_capacity(options.batch_size);
        for (file_index, file) in files.iter().enumerate() {
            let format = match options.format {
                Some(format) => format,
                None => detect_format(file)?,
            };
            match format {
                Format::KoblerJsonl => {}
            }
            let reader = JsonlReader::open(file)?;
            observer.file_started(file, reader.len());
            for item in reader {
                match item {
                    Err(LineError { source, reason }) => {
                        report.rejected.push(format!("{source}: {reason}"));
                    }
                    Ok((Source { line, .. }, record, bytes)) => {
                        observer.advanced(bytes);
                        *report.records.entry(record.kind()).or_default() += 1;
                        for (target, field, id) in record.references() {
                            referrals
                                .entry((target, id.to_string()))
                                .and_modify(|r| r.more += 1)
                                .or_insert(Referral {
                                    file: file_index,
                                    line,
                                    field,
                                    from: record.kind(),
                                    more: 0,
                                });
                        }
                        batch.push(record);
                        if batch.len() >= options.batch_size.max(1) {
                            self.store_batch(&mut batch, &mut report, observer).await?;
                        }
                    }
                }
            }
        }
        self.store_batch(&mut batch, &mut report, observer).await?;
        report.unresolved = self.unresolved(&files, referrals).await?;
        report.indexed = self.catch_up_unless_busy().await?;
        Ok(report)
    }

    async fn store_batch(
        &self,
        batch: &mut Vec<Record>,
        report: &mut ImportReport,
        observer: &mut dyn ImportObserver,
    ) -> Result<()> {
        if batch.is_empty() {
            return Ok(());
        }
        let outcome = self.store.upsert_batch(batch).await?;
        report.inserted += outcome.inserted;
        report.updated += outcome.updated;
        report.unchanged += outcome.unchanged;
        batch.clear();
        observer.committed(report.inserted + report.updated + report.unchanged);
        Ok(())
    }

    /// The referred ids that exist nowhere in the store, reported where first referred to.
    async fn unresolved(
        &self,
        files: &[PathBuf],
        referrals: HashMap<(Kind, String), Referral>,
    ) -> Result<Vec<String>> {
        let mut by_kind: BTreeMap<Kind, Vec<String>> = BTreeMap::new();
        for (kind, id) in referrals.keys() {
            by_kind.entry(*kind).or_default().push(id.clone());
        }
        let mut missing = Vec::new();
        for (kind, ids) in by_kind {
            let found = self.store.existing_ids(kind, &ids).await?;
            for id in ids.into_iter().filter(|id| !found.contains(id)) {
                if let Some(r) = referrals.get(&(kind, id.clone())) {
                    missing.push((r.file, r.line, id, kind, r));
                }
            }
        }
        missing.sort_by(|a, b| (a.0, a.1, &a.2).cmp(&(b.0, b.1, &b.2)));
        Ok(missing
            .into_iter()
            .map(|(file, line, id, kind, r)| {
                let more = if r.more > 0 {
                    format!(" (and {} more references)", r.more)
                } else {
                    String::new()
                };
                format!(
                    "{}:{line}: {} refers in `{}` to {kind} {id:?}, which does not exist{more}",
                    files[file].display(),
                    r.from,
                    r.field
                )
            })
            .collect())
    }
}
