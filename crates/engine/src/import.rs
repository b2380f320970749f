//! Importing feeds: read records, store them in batches (one transaction each), check references
//! once the whole import is stored, then catch the index up.
//!
//! Foreign feeds (Cristin, OpenAlex, ORCID, CSV) go through [`crate::identity`]: profiles are
//! merged per person, authors and participants resolved by identifier, spreadsheet units matched
//! by name. Files with profiles are read before the files that refer to people, so a directory
//! of mixed feeds resolves in one go whatever the file names.

use crate::identity::Identities;
use crate::{Engine, Result};
use kobler_core::{Kind, Record};
use kobler_feeds::{
    Entry, FeedContext, FeedItem, FeedReader, Format, LineError, Linked, Source, detect_format,
    feed_files,
};
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
    /// Catch the index up at the end. A harvest importing page after page turns this off and
    /// catches up once at its end, instead of committing the index once per page.
    pub catch_up: bool,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            batch_size: 1_000,
            format: None,
            catch_up: true,
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
    /// Researcher profiles from one feed merged into a researcher known from another.
    pub merged: u64,
    /// Identity conflicts (same ORCID with different Cristin ids, names that disagree…), as
    /// `file:line: reason`. Conflicting profiles are kept apart, not merged.
    pub conflicts: Vec<String>,
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
    at: String,
    field: &'static str,
    from: Kind,
    more: u64,
}

/// The state of one import while it runs.
struct Run<'a> {
    report: ImportReport,
    referrals: HashMap<(Kind, String), Referral>,
    batch: Vec<Record>,
    batch_size: usize,
    identities: Option<Identities>,
    observer: &'a mut dyn ImportObserver,
}

impl Engine {
    /// Imports feed files and directories (CONTRACT §1; the foreign formats of
    /// `docs/formats.md`). Bad records are reported and skipped; everything else is stored.
    pub async fn import(
        &self,
        paths: &[PathBuf],
        options: &ImportOptions,
        observer: &mut dyn ImportObserver,
    ) -> Result<ImportReport> {
        let files = feed_files(paths)?;
        let mut run = Run {
            report: ImportReport {
                files: files.len(),
                ..Default::default()
            },
            referrals: HashMap::new(),
            batch: Vec::with_capacity(options.batch_size),
            batch_size: options.batch_size.max(1),
            identities: None,
            observer,
        };
        let mut planned = Vec::with_capacity(files.len());
        for (index, file) in files.iter().enumerate() {
            let format = match options.format {
                Some(format) => format,
                None => match detect_format(file) {
                    Ok(format) => format,
                    // One unreadable file in a directory does not stop the others.
                    Err(e) if files.len() > 1 => {
                        run.report.rejected.push(e.to_string());
                        continue;
                    }
                    Err(e) => return Err(e.into()),
                },
            };
            planned.push((kobler_feeds::read_order(file, format), index, format));
        }
        planned.sort_by_key(|(order, index, _)| (*order, *index));
        let (context, context_errors) = if planned.iter().any(|(_, _, f)| *f == Format::Cristin) {
            FeedContext::gather(&files)
        } else {
            (FeedContext::default(), Vec::new())
        };
        run.report
            .rejected
            .extend(context_errors.iter().map(ToString::to_string));
        for (_, file_index, format) in planned {
            let file = &files[file_index];
            if format != Format::KoblerJsonl && run.identities.is_none() {
                run.identities = Some(Identities::load(&self.store).await?);
            }
            let reader = match FeedReader::open(file, format, &context) {
                Ok(reader) => reader,
                Err(e) if files.len() > 1 => {
                    run.report.rejected.push(e.to_string());
                    continue;
                }
                Err(e) => return Err(e.into()),
            };
            run.observer.file_started(file, reader.len());
            for entry in reader {
                match entry {
                    Err(LineError { source, reason }) => {
                        run.report.rejected.push(format!("{source}: {reason}"));
                    }
                    Ok(entry) => self.take(&mut run, file_index, entry).await?,
                }
            }
        }
        let Run {
            mut report,
            referrals,
            mut batch,
            observer,
            ..
        } = run;
        self.store_batch(&mut batch, &mut report, observer).await?;
        report.unresolved = self.unresolved(referrals).await?;
        if options.catch_up {
            report.indexed = self.catch_up_unless_busy().await?;
        }
        Ok(report)
    }

    /// Takes one source record's items into the batch, resolving identities on the way.
    async fn take(&self, run: &mut Run<'_>, file_index: usize, entry: Entry) -> Result<()> {
        let Entry {
            source,
            items,
            bytes,
        } = entry;
        run.observer.advanced(bytes);
        for item in items {
            match item {
                FeedItem::Record(record) => {
                    if let (Record::Researcher(r), Some(ids)) = (&record, run.identities.as_mut()) {
                        for conflict in ids.native(r) {
                            run.report.conflicts.push(format!("{source}: {conflict}"));
                        }
                    }
                    self.push(run, file_index, &source, record).await?;
                }
                FeedItem::Placeholder(record) => {
                    let new = match (&record, run.identities.as_mut()) {
                        (Record::Unit(u), Some(ids)) => ids.new_unit(u),
                        _ => !self
                            .store
                            .existing_ids(record.kind(), &[record.id().to_string()])
                            .await?
                            .contains(record.id()),
                    };
                    if new {
                        self.push(run, file_index, &source, record).await?;
                    }
                }
                FeedItem::Profile(profile) => {
                    let Some(ids) = run.identities.as_mut() else {
                        continue;
                    };
                    let merged = ids.merge(&self.store, profile).await?;
                    for conflict in merged.conflicts {
                        run.report.conflicts.push(format!("{source}: {conflict}"));
                    }
                    if merged.joined {
                        run.report.merged += 1;
                    }
                    if let Some(r) = merged.researcher {
                        self.push(run, file_index, &source, Record::Researcher(r))
                            .await?;
                    }
                }
                FeedItem::Linked(linked) => {
                    let Linked {
                        mut record,
                        people,
                        unit_name,
                    } = linked;
                    let mut extra_records = Vec::new();
                    if let Some(ids) = run.identities.as_mut() {
                        let mut resolved: Vec<String> = Vec::with_capacity(people.len());
                        for person in &people {
                            let (id, stub) = ids.resolve(person);
                            if !resolved.contains(&id) {
                                resolved.push(id);
                            }
                            extra_records.extend(stub.map(Record::Researcher));
                        }
                        if let Some(name) = &unit_name {
                            let (id, unit) = ids.unit_by_name(name);
                            extra_records.extend(unit.map(Record::Unit));
                            if let Record::Need(n) = &mut record {
                                n.unit = Some(id);
                            }
                        }
                        match &mut record {
                            Record::Work(w) => w.authors = resolved,
                            Record::Project(p) => p.participants = resolved,
                            _ => {}
                        }
                    }
                    for extra in extra_records {
                        self.push(run, file_index, &source, extra).await?;
                    }
                    self.push(run, file_index, &source, record).await?;
                }
            }
        }
        Ok(())
    }

    /// Adds a record to the batch, noting its references; stores the batch when it is full.
    async fn push(
        &self,
        run: &mut Run<'_>,
        file_index: usize,
        source: &Source,
        record: Record,
    ) -> Result<()> {
        *run.report.records.entry(record.kind()).or_default() += 1;
        for (target, field, id) in record.references() {
            run.referrals
                .entry((target, id.to_string()))
                .and_modify(|r| r.more += 1)
                .or_insert_with(|| Referral {
                    file: file_index,
                    line: source.line,
                    at: source.to_string(),
                    field,
                    from: record.kind(),
                    more: 0,
                });
        }
        run.batch.push(record);
        if run.batch.len() >= run.batch_size {
            self.store_batch(&mut run.batch, &mut run.report, run.observer)
                .await?;
        }
        Ok(())
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
            .map(|(_, _, id, kind, r)| {
                let more = if r.more > 0 {
                    format!(" (and {} more references)", r.more)
                } else {
                    String::new()
                };
                format!(
                    "{}: {} refers in `{}` to {kind} {id:?}, which does not exist{more}",
                    r.at, r.from, r.field
                )
            })
            .collect())
    }
}
