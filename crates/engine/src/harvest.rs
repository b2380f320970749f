//! Harvesting a source over HTTP into the store (`kobler pull`, and a server if it wants to):
//! fetch page after page with [`Harvest`], import each, and record the page as done only once
//! it is stored — so a stopped harvest resumes at the first page not stored, losing and
//! skipping none.

use crate::{Engine, EngineError, ImportOptions, ImportReport, NoProgress, Result};
use kobler_feeds::pull::{Harvest, PullOptions, PullState};
use serde::Serialize;

/// Where harvests keep their pages and state, in the data directory (one directory per source
/// and list below it).
pub const HARVEST_DIR: &str = "pull";

/// What one harvest run did.
#[derive(Debug, Clone, Serialize)]
pub struct HarvestReport {
    /// Pages fetched and stored in this run.
    pub pages: u32,
    /// Requests sent, retries included.
    pub requests: u32,
    /// Retries after 429, 5xx or a failed connection.
    pub retries: u32,
    /// Where the harvest stands now; `finished` once its last page is stored.
    pub state: PullState,
    /// The pages' imports, added up (and the index's one catch-up at the end).
    pub import: ImportReport,
}

/// Told about a harvest as it goes (the CLI prints a line per page).
pub trait HarvestObserver {
    /// The harvest goes on from a recorded one that has stored pages already.
    fn resuming(&mut self, _state: &PullState) {}
    /// Page `number`, holding `records` source records, was imported and recorded as stored.
    fn page_stored(&mut self, _number: u32, _records: usize, _import: &ImportReport) {}
}

/// A harvest observer that ignores everything.
pub struct NoHarvestProgress;
impl HarvestObserver for NoHarvestProgress {}

impl Engine {
    /// Harvests `options.source` into the store, resuming the harvest recorded in the data
    /// directory (unless `options.restart`), until it is complete or `options.max_pages` are
    /// done. When it stops on an error, every page stored before stays stored and recorded,
    /// so the next run resumes at the page that failed. Each page is one import, recorded as stored once its import commits; the index
    /// catches up once at the end rather than once per page.
    pub async fn harvest(
        &self,
        options: PullOptions,
        observer: &mut dyn HarvestObserver,
    ) -> Result<HarvestReport> {
        let mut harvest = Harvest::open(options, &self.data_dir().join(HARVEST_DIR))?;
        if harvest.state().pages > 0 {
            observer.resuming(harvest.state());
        }
        let mut pages = 0;
        let mut totals = ImportReport::default();
        let import = ImportOptions {
            catch_up: false,
            ..ImportOptions::default()
        };
        while let Some(page) = harvest.next_page(pages).await? {
            pages += 1;
            let report = self
                .import(std::slice::from_ref(&page.dir), &import, &mut NoProgress)
                .await
                .map_err(|error| EngineError::HarvestPage {
                    page: page.number,
                    error: Box::new(error),
                })?;
            harvest.commit(&page)?;
            observer.page_stored(page.number, page.records, &report);
            add(&mut totals, report);
        }
        totals.indexed = self.catch_up_unless_busy().await?;
        Ok(HarvestReport {
            pages,
            requests: harvest.requests,
            retries: harvest.retries,
            state: harvest.state().clone(),
            import: totals,
        })
    }
}

/// Adds one page's import to the run's totals.
fn add(totals: &mut ImportReport, page: ImportReport) {
    totals.files += page.files;
    totals.inserted += page.inserted;
    totals.updated += page.updated;
    totals.unchanged += page.unchanged;
    totals.merged += page.merged;
    totals.rejected.extend(page.rejected);
    totals.unresolved.extend(page.unresolved);
    totals.conflicts.extend(page.conflicts);
    for (kind, n) in page.records {
        *totals.records.entry(kind).or_default() += n;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kobler_feeds::pull::PullError;

    #[test]
    fn totals_add_up_pages() {
        let page = |n: u64| ImportReport {
            files: 1,
            inserted: n,
            unchanged: 1,
            records: [(kobler_core::Kind::Work, n + 1)].into(),
            rejected: vec![format!("page {n}: bad")],
            ..ImportReport::default()
        };
        let mut totals = ImportReport::default();
        add(&mut totals, page(2));
        add(&mut totals, page(3));
        assert_eq!((totals.files, totals.inserted, totals.unchanged), (2, 5, 2));
        assert_eq!(totals.records[&kobler_core::Kind::Work], 7);
        assert_eq!(totals.rejected, ["page 2: bad", "page 3: bad"]);
    }

    /// A harvest that cannot start (here: not an http URL) touches nothing in the store.
    #[tokio::test]
    async fn bad_options_stop_before_anything_is_stored() {
        let dir = tempfile::tempdir().unwrap();
        let engine = Engine::open(dir.path()).await.unwrap();
        let options = PullOptions::new("ftp://example.org", "openalex-works".parse().unwrap());
        let error = engine
            .harvest(options, &mut NoHarvestProgress)
            .await
            .unwrap_err();
        assert!(
            matches!(error, EngineError::Pull(PullError::Options(_))),
            "{error}"
        );
        assert_eq!(engine.stats().await.unwrap().values().sum::<u64>(), 0);
    }
}
