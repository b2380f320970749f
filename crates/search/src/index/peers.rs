//! Overlap queries: needs and projects about the same things as a text, found on the peer
//! fields at a cost bounded whatever the corpus size (see [`PeerFinder::peers`]).

use super::{Clause, DocKind, Result, SearchIndex, Target, union};
use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use tantivy::collector::TopDocs;
use tantivy::columnar::StrColumn;
use tantivy::query::{Bm25StatisticsProvider, BoostQuery, EnableScoring, Query};
use tantivy::schema::Field;
use tantivy::{DocAddress, DocId, DocSet, Term};

/// Over its postings budget, a peer query shortlists this many documents per peer asked for by
/// its rarest terms, and scores only those by the whole query.
const SHORTLIST_PER_PEER: usize = 3;

/// A need or project found by [`PeerFinder::peers`]: what an overlap run needs to know of it,
/// read from fast fields rather than the document store.
#[derive(Debug, Clone, PartialEq)]
pub struct Peer {
    /// A need or a project.
    pub kind: DocKind,
    /// The record id.
    pub id: String,
    /// BM25 score of the document for the query.
    pub score: f32,
    /// Its status.
    pub status: Option<String>,
}

/// A need or project's kind, id and status, as the fast fields hold them.
#[derive(Debug, Clone)]
struct Name {
    kind: DocKind,
    id: String,
    status: Option<String>,
}

/// Peer queries against one snapshot of the index: later commits are not seen.
pub struct PeerFinder<'a> {
    index: &'a SearchIndex,
    searcher: tantivy::Searcher,
    /// Per segment, the name of every need and project in it, read in one pass for a run of
    /// many queries; `None` for a single query, which names its few hits one by one.
    names: Option<Vec<HashMap<DocId, Name>>>,
}

impl SearchIndex {
    /// Peer queries against the index as it is now, for a query or a few.
    pub fn peer_finder(&self) -> PeerFinder<'_> {
        PeerFinder {
            index: self,
            searcher: self.reader.searcher(),
            names: None,
        }
    }

    /// Peer queries against the index as it is now, for a run with a query per need: every
    /// need's and project's name is read once here, in one pass over the fast fields, rather
    /// than looked up in a term dictionary for each hit of each query.
    pub fn peer_finder_for_run(&self) -> Result<PeerFinder<'_>> {
        let mut finder = self.peer_finder();
        finder.names = Some(
            finder
                .searcher
                .segment_readers()
                .iter()
                .map(names_in_segment)
                .collect::<Result<_>>()?,
        );
        Ok(finder)
    }
}

impl PeerFinder<'_> {
    /// The `top` needs and projects (of any status) most about the same things as `text`, best
    /// first, found with only the text's `distinctive_terms` most distinctive terms per language
    /// group (term count × inverse document frequency in the whole index, as "more like this"
    /// does): for comparing whole needs with each other. The query runs on fields that only
    /// needs and projects fill, so works, however many, are never read and no kind filter is
    /// needed; words are weighed by the whole index's statistics all the same
    /// (see `PeerStatistics`).
    ///
    /// The cost is bounded whatever the corpus size: when the terms' postings add up to more
    /// than `postings_budget`, the rarest terms that fit in it shortlist candidates, and only
    /// those are scored by the whole query. Below the budget the answer is exact; above it, a
    /// document sharing none of the text's rarest terms can be missed.
    pub fn peers(
        &self,
        text: &str,
        top: usize,
        distinctive_terms: usize,
        postings_budget: u64,
    ) -> Result<Vec<Peer>> {
        let clauses = self
            .index
            .text_clauses(text, Target::Peers { distinctive_terms });
        if clauses.is_empty() {
            return Ok(Vec::new());
        }
        let searcher = &self.searcher;
        let statistics = PeerStatistics::new(searcher, &self.index.fields.peer_twin)?;
        let top = top.max(1);
        let found = match within_budget(&clauses, postings_budget, |term| statistics.postings(term))
        {
            None => searcher.search_with_statistics_provider(
                &*without_block_wand(union(&clauses)),
                &TopDocs::with_limit(top),
                &statistics,
            )?,
            Some(rarest) => {
                // More than asked for: the rarest terms alone rank them only roughly.
                let shortlist = searcher.search_with_statistics_provider(
                    &*without_block_wand(union(&rarest)),
                    &TopDocs::with_limit(top * SHORTLIST_PER_PEER),
                    &statistics,
                )?;
                let addresses: Vec<DocAddress> = shortlist.iter().map(|&(_, a)| a).collect();
                let mut scored = exact_scores(searcher, &statistics, &clauses, &addresses)?;
                scored.sort_by(|a, b| b.0.total_cmp(&a.0));
                scored.truncate(top);
                scored
            }
        };
        let mut out = Vec::with_capacity(found.len());
        for (score, address) in found {
            if let Some(name) = self.name(address)? {
                out.push(Peer {
                    kind: name.kind,
                    id: name.id,
                    score,
                    status: name.status,
                });
            }
        }
        Ok(out)
    }

    fn name(&self, address: DocAddress) -> Result<Option<Name>> {
        if let Some(names) = &self.names {
            return Ok(names
                .get(address.segment_ord as usize)
                .and_then(|segment| segment.get(&address.doc_id))
                .cloned());
        }
        let fast = self
            .searcher
            .segment_reader(address.segment_ord)
            .fast_fields();
        let value = |column: Option<StrColumn>| -> Option<String> {
            let column = column?;
            let ord = column.term_ords(address.doc_id).next()?;
            let mut value = String::new();
            column
                .ord_to_str(ord, &mut value)
                .ok()
                .filter(|&found| found)
                .map(|_| value)
        };
        let kind = value(fast.str("kind")?).as_deref().and_then(DocKind::parse);
        let (Some(kind), Some(id)) = (kind, value(fast.str("id")?)) else {
            return Ok(None);
        };
        Ok(Some(Name {
            kind,
            id,
            status: value(fast.str("status")?).filter(|s| !s.is_empty()),
        }))
    }
}

/// `query` collected by walking its union of postings in full. tantivy collects a bare union of
/// terms with block-max WAND, which on the peer fields' dense postings re-sorts some fifty
/// clauses at every pivot and skips little: the topic queries of a run over 30,000 needs and
/// projects in one segment took 66.6 s with it and 23.5 s without (`docs/overlap.md`). A boost
/// query has no such path.
fn without_block_wand(query: Box<dyn Query>) -> Box<dyn Query> {
    Box::new(BoostQuery::new(query, 1.0))
}

/// Every live need and project of a segment by document, named from the fast fields: each
/// column is read in document order, and each id looked up in its dictionary in order, so every
/// dictionary block is decompressed once.
fn names_in_segment(reader: &tantivy::SegmentReader) -> Result<HashMap<DocId, Name>> {
    let fast = reader.fast_fields();
    let (Some(kinds), Some(ids)) = (fast.str("kind")?, fast.str("id")?) else {
        return Ok(HashMap::new());
    };
    let statuses = fast.str("status")?;
    let kind_names = all_terms(&kinds)?;
    let status_names = match &statuses {
        Some(column) => all_terms(column)?,
        None => Vec::new(),
    };
    let alive = reader.alive_bitset();
    // (id ordinal, document, kind, status)
    let mut wanted: Vec<(u64, DocId, DocKind, Option<String>)> = Vec::new();
    for doc in 0..reader.max_doc() {
        if alive.is_some_and(|bits| !bits.is_alive(doc)) {
            continue;
        }
        let kind = kinds
            .term_ords(doc)
            .next()
            .and_then(|ord| kind_names.get(ord as usize))
            .and_then(|name| DocKind::parse(name));
        let Some(kind @ (DocKind::Need | DocKind::Project)) = kind else {
            continue;
        };
        let Some(id_ord) = ids.term_ords(doc).next() else {
            continue;
        };
        let status = statuses
            .as_ref()
            .and_then(|column| column.term_ords(doc).next())
            .and_then(|ord| status_names.get(ord as usize))
            .filter(|s| !s.is_empty())
            .cloned();
        wanted.push((id_ord, doc, kind, status));
    }
    wanted.sort_unstable_by_key(|w| w.0);
    let mut names_in_order = Vec::with_capacity(wanted.len());
    ids.dictionary()
        .sorted_ords_to_term_cb(wanted.iter().map(|w| w.0), |bytes| {
            names_in_order.push(String::from_utf8_lossy(bytes).into_owned());
            Ok(())
        })
        .map_err(tantivy::TantivyError::from)?;
    Ok(wanted
        .into_iter()
        .zip(names_in_order)
        .map(|((_, doc, kind, status), id)| (doc, Name { kind, id, status }))
        .collect())
}

/// Every term of a (small) string column's dictionary, by ordinal.
fn all_terms(column: &StrColumn) -> Result<Vec<String>> {
    let mut terms = Vec::new();
    let mut stream = column
        .dictionary()
        .stream()
        .map_err(tantivy::TantivyError::from)?;
    while stream.advance() {
        terms.push(String::from_utf8_lossy(stream.key()).into_owned());
    }
    Ok(terms)
}

/// The score [`union`] of `clauses` gives each of `documents`, found by seeking each clause's
/// postings to those documents only: the cost grows with the clauses and the documents asked
/// about, not with how many documents the clauses match.
fn exact_scores(
    searcher: &tantivy::Searcher,
    statistics: &dyn Bm25StatisticsProvider,
    clauses: &[Clause],
    documents: &[DocAddress],
) -> Result<Vec<(f32, DocAddress)>> {
    let scoring = EnableScoring::enabled_from_statistics_provider(statistics, searcher);
    let weights = clauses
        .iter()
        .map(|clause| clause.query().weight(scoring))
        .collect::<tantivy::Result<Vec<_>>>()?;
    let mut by_segment: BTreeMap<u32, Vec<DocId>> = BTreeMap::new();
    for address in documents {
        by_segment
            .entry(address.segment_ord)
            .or_default()
            .push(address.doc_id);
    }
    let mut out = Vec::with_capacity(documents.len());
    for (segment_ord, mut docs) in by_segment {
        docs.sort_unstable();
        docs.dedup();
        let reader = searcher.segment_reader(segment_ord);
        let mut scores = vec![0.0f32; docs.len()];
        for weight in &weights {
            let mut scorer = weight.scorer(reader, 1.0)?;
            for (score, &doc) in scores.iter_mut().zip(&docs) {
                if scorer.doc() < doc {
                    scorer.seek(doc);
                }
                if scorer.doc() == doc {
                    *score += scorer.score();
                }
            }
        }
        out.extend(scores.into_iter().zip(docs).map(|(score, doc_id)| {
            (
                score,
                DocAddress {
                    segment_ord,
                    doc_id,
                },
            )
        }));
    }
    Ok(out)
}

/// The rarest term clauses whose postings (`doc_freq` of each) add up to at most `budget`, at
/// least the rarest one; `None` when every clause fits, so the whole query is affordable.
/// Terms no document has are left out: they cost nothing and find nothing.
pub(super) fn within_budget(
    clauses: &[Clause],
    budget: u64,
    doc_freq: impl Fn(&Term) -> u64,
) -> Option<Vec<Clause>> {
    let mut by_cost: Vec<(u64, &Term, f32)> = clauses
        .iter()
        .filter_map(|clause| match clause {
            Clause::Term(term, boost) => Some((doc_freq(term), term, *boost)),
            Clause::Phrase(..) => None,
        })
        .filter(|&(df, _, _)| df > 0)
        .collect();
    if by_cost.iter().map(|&(df, _, _)| df).sum::<u64>() <= budget {
        return None;
    }
    by_cost.sort_by_key(|&(df, _, _)| df);
    let mut spent = 0;
    let mut chosen = Vec::new();
    for (df, term, boost) in by_cost {
        if !chosen.is_empty() && spent + df > budget {
            break;
        }
        spent += df;
        chosen.push(Clause::Term(term.clone(), boost));
    }
    Some(chosen)
}

/// BM25 statistics for queries on the peer fields, taken from the whole index rather than from
/// the needs and projects alone, so an overlap query weighs words exactly as matching does. A
/// partnership may hold a handful of English needs and projects and thousands of English works:
/// a bridged English word should weigh what it weighs in all that text, not what luck among a
/// few documents makes of it. So
/// - a word's document frequency is read from the text field that holds it for every document;
/// - a word pair's is estimated as if its two words were independent (df₁ × df₂ / N), which
///   makes its inverse document frequency about the sum of the two words', as a phrase's is;
/// - a peer field's length is measured against twice its twin's (each word is there itself and
///   in a pair), the same length normalisation as the text fields give.
///
/// With these, overlap scores on the development set are what they were with phrase queries
/// over the text fields (`docs/overlap.md`).
struct PeerStatistics<'a> {
    searcher: &'a tantivy::Searcher,
    /// Documents in the index.
    docs: u64,
    /// Each peer field's twin among the text fields.
    text_field_of: &'a HashMap<Field, Field>,
    /// Each peer field's token total, read once per query rather than once per term.
    tokens: HashMap<Field, u64>,
    /// Document frequencies looked up so far: a query asks for each term's several times (to
    /// budget its postings, to weigh it, to score the shortlist), and each lookup searches every
    /// segment's term dictionary.
    looked_up: Mutex<HashMap<Term, u64>>,
}

impl<'a> PeerStatistics<'a> {
    fn new(
        searcher: &'a tantivy::Searcher,
        text_field_of: &'a HashMap<Field, Field>,
    ) -> tantivy::Result<PeerStatistics<'a>> {
        let tokens = text_field_of
            .iter()
            // Every word is there twice over: itself, and in its pair with the next.
            .map(|(&peer, &twin)| Ok((peer, 2 * searcher.total_num_tokens(twin)?)))
            .collect::<tantivy::Result<_>>()?;
        Ok(PeerStatistics {
            searcher,
            // As tantivy counts them: deleted documents not yet merged away included, as they
            // are in every document frequency (a frequency above the count is a panic there).
            docs: Bm25StatisticsProvider::total_num_docs(searcher)?,
            text_field_of,
            tokens,
            looked_up: Mutex::new(HashMap::new()),
        })
    }

    /// The number of documents holding `term` as the index has it: the postings a query on it
    /// walks.
    fn postings(&self, term: &Term) -> u64 {
        let mut looked_up = self
            .looked_up
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(&df) = looked_up.get(term) {
            return df;
        }
        let df = self.searcher.doc_freq(term).unwrap_or(0);
        looked_up.insert(term.clone(), df);
        df
    }
}

impl Bm25StatisticsProvider for PeerStatistics<'_> {
    fn total_num_tokens(&self, field: Field) -> tantivy::Result<u64> {
        match self.tokens.get(&field) {
            Some(&tokens) => Ok(tokens),
            None => self.searcher.total_num_tokens(field),
        }
    }

    fn total_num_docs(&self) -> tantivy::Result<u64> {
        Ok(self.docs)
    }

    fn doc_freq(&self, term: &Term) -> tantivy::Result<u64> {
        let value = term.value();
        let (Some(&field), Some(text)) = (self.text_field_of.get(&term.field()), value.as_str())
        else {
            return Ok(self.postings(term));
        };
        let df = |word: &str| self.postings(&Term::from_field_text(field, word));
        let df = match text.split_once(' ') {
            None => df(text),
            Some((first, second)) => {
                let estimate = df(first) as f64 * df(second) as f64 / self.docs.max(1) as f64;
                estimate.round() as u64
            }
        };
        Ok(df.min(self.docs))
    }
}
