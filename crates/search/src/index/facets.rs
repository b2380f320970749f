//! Faceted need search: a full-text query (or none), filters on facets, counts per facet value,
//! sorting and paging — in one pass over the matching needs, reading fast fields only.
//!
//! Counts are *disjunctive*: a facet's counts apply every filter but its own, so they say how
//! many needs each value would give if it were chosen instead (the usual behaviour of a facet
//! list, and what a select with counts needs).

use super::{DocKind, NeedHit, Result, SearchIndex, TITLE_BOOST, html_escape};
use kobler_core::NeedStatus;
use std::collections::{BTreeMap, BinaryHeap, HashMap, HashSet};
use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::{Column, StrColumn};
use tantivy::query::{AllQuery, BooleanQuery, Occur, Query, QueryParser};
use tantivy::schema::{Field, Value};
use tantivy::snippet::{Snippet, SnippetGenerator};
use tantivy::{DocAddress, DocId, Score, SegmentOrdinal, SegmentReader, TantivyDocument};

/// The longest snippet, in characters.
const SNIPPET_CHARS: usize = 220;

/// A field needs are filtered and counted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NeedFacet {
    /// Focus areas (`helse-og-velferd`, ...).
    Focus,
    /// Kinds of collaboration (`masteroppgave`, ...).
    Kind,
    /// Detected language (`nb`, `nn`, `en`, `other`).
    Lang,
    /// The municipal unit that posted the need.
    Unit,
    /// `open`, `matched` or `closed` (drafts are never searched).
    Status,
}

impl NeedFacet {
    fn field_name(self) -> &'static str {
        match self {
            NeedFacet::Focus => "focus",
            NeedFacet::Kind => "kinds",
            NeedFacet::Lang => "lang",
            NeedFacet::Unit => "units",
            NeedFacet::Status => "status",
        }
    }
}

/// One filter of a need search, also a facet to count: a need passes when it has any of
/// `values` in `facet`; with no values, every need passes (and the facet is only counted).
/// Two filters may read the same facet (municipalities are sets of units).
#[derive(Debug, Clone)]
pub struct FacetFilter {
    /// The facet read.
    pub facet: NeedFacet,
    /// The values allowed; none: no filter.
    pub values: Vec<String>,
}

impl FacetFilter {
    /// A filter on `facet` allowing `values` (none: count only).
    pub fn new(facet: NeedFacet, values: Vec<String>) -> Self {
        FacetFilter { facet, values }
    }
}

/// The order of a need search's results.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NeedSort {
    /// Best match first (without query text: as [`NeedSort::Newest`]).
    #[default]
    Relevance,
    /// Nearest deadline first; needs without a deadline last.
    Deadline,
    /// Most recently posted first; needs without a posting date last.
    Newest,
    /// By id.
    Id,
}

/// A need search: text, filters, order and page.
#[derive(Debug, Clone, Default)]
pub struct NeedQuery {
    /// Full-text query in tantivy's lenient syntax; empty: every need.
    pub text: String,
    /// Filters, each also counted (see [`NeedSearch::facets`]).
    pub filters: Vec<FacetFilter>,
    /// Order of the hits.
    pub sort: NeedSort,
    /// Hits to skip.
    pub offset: usize,
    /// Hits to return.
    pub limit: usize,
}

/// What a need search found.
#[derive(Debug, Clone, Default)]
pub struct NeedSearch {
    /// Needs passing every filter.
    pub total: usize,
    /// The page asked for, in the order asked for; snippets highlight the query's words in
    /// `<mark>`.
    pub hits: Vec<NeedHit>,
    /// Per filter of the query (same order): how many needs have each value of its facet,
    /// counting the needs that pass every *other* filter.
    pub facets: Vec<BTreeMap<String, usize>>,
}

/// `YYYY-MM-DD` (or a longer ISO timestamp) as the number `YYYYMMDD`, which sorts like the date.
pub(crate) fn date_number(date: &str) -> Option<i64> {
    let bytes = date.as_bytes();
    if bytes.len() < 10 || bytes[4] != b'-' || bytes[7] != b'-' {
        return None;
    }
    let part = |range: std::ops::Range<usize>| date.get(range)?.parse::<i64>().ok();
    let (y, m, d) = (part(0..4)?, part(5..7)?, part(8..10)?);
    ((1..=12).contains(&m) && (1..=31).contains(&d)).then_some(y * 10_000 + m * 100 + d)
}

/// The snippet as HTML: the fragment escaped, the query's words in `<mark>`.
fn marked_html(snippet: &Snippet) -> String {
    let fragment = snippet.fragment();
    let mut html = String::with_capacity(fragment.len() + 32);
    let mut at = 0;
    for range in snippet.highlighted() {
        let (Some(before), Some(word)) = (
            fragment.get(at..range.start),
            fragment.get(range.start..range.end),
        ) else {
            continue;
        };
        html.push_str(&html_escape(before));
        html.push_str("<mark>");
        html.push_str(&html_escape(word));
        html.push_str("</mark>");
        at = range.end;
    }
    html.push_str(&html_escape(fragment.get(at..).unwrap_or_default()));
    html
}

impl SearchIndex {
    /// Searches needs (never drafts) with filters, facet counts, an order and a page.
    pub fn search_needs_faceted(&self, query: &NeedQuery) -> Result<NeedSearch> {
        let text = query.text.trim();
        let text_query: Option<Box<dyn Query>> = if text.is_empty() {
            None
        } else {
            let text_fields: Vec<Field> = self
                .fields
                .text
                .values()
                .flat_map(|&(t, b)| [t, b])
                .collect();
            let mut parser = QueryParser::for_index(&self.index, text_fields);
            for &(title, _) in self.fields.text.values() {
                parser.set_field_boost(title, TITLE_BOOST);
            }
            Some(parser.parse_query_lenient(text).0)
        };
        let matching: Box<dyn Query> = match &text_query {
            Some(q) => q.box_clone(),
            None => Box::new(AllQuery),
        };
        let base: Box<dyn Query> = Box::new(BooleanQuery::new(vec![
            (Occur::Must, matching),
            (
                Occur::Must,
                self.exact(self.fields.kind, DocKind::Need.as_str()),
            ),
            (
                Occur::MustNot,
                self.exact(self.fields.status, NeedStatus::Draft.as_str()),
            ),
        ]));
        let sort = match (query.sort, &text_query) {
            (NeedSort::Relevance, None) => NeedSort::Newest,
            (sort, _) => sort,
        };
        let collector = FacetedCollector {
            filters: query
                .filters
                .iter()
                .map(|f| (f.facet, f.values.iter().cloned().collect()))
                .collect(),
            sort,
            keep: query.offset.saturating_add(query.limit),
        };
        let searcher = self.reader.searcher();
        let found = searcher.search(&*base, &collector)?;
        let mut generators = Vec::new();
        if let Some(q) = &text_query {
            for &(_, body) in self.fields.text.values() {
                let mut generator = SnippetGenerator::create(&searcher, &**q, body)?;
                generator.set_max_num_chars(SNIPPET_CHARS);
                generators.push((body, generator));
            }
        }
        let mut hits = Vec::new();
        for ranked in found.top.into_iter().skip(query.offset).take(query.limit) {
            let doc: TantivyDocument = searcher.doc(ranked.address)?;
            let hit = self.hit_from_doc(&doc, ranked.score);
            let snippet = generators.iter().find_map(|(field, generator)| {
                doc.get_first(*field)
                    .and_then(|v| v.as_str())
                    .is_some_and(|s| !s.is_empty())
                    .then(|| generator.snippet_from_doc(&doc))
            });
            let (plain, html) = match snippet {
                Some(s) if !s.fragment().is_empty() => (s.fragment().to_string(), marked_html(&s)),
                _ => {
                    let start: String = hit.body.chars().take(SNIPPET_CHARS).collect();
                    let html = html_escape(&start);
                    (start, html)
                }
            };
            hits.push(NeedHit {
                id: hit.id,
                score: ranked.score,
                title: hit.title,
                status: hit.status,
                snippet: plain,
                snippet_html: html,
            });
        }
        Ok(NeedSearch {
            total: found.total,
            hits,
            facets: found.counts,
        })
    }
}

/// A need kept for the page: its sort key (bigger is better), id (ties: smaller is better),
/// score and address.
#[derive(Debug, Clone)]
struct Ranked {
    key: f64,
    id: String,
    score: Score,
    address: DocAddress,
}

impl Ranked {
    /// Worse ranks compare greater, so a max-heap's top is the one to drop.
    fn worse_cmp(&self, other: &Ranked) -> std::cmp::Ordering {
        other
            .key
            .total_cmp(&self.key)
            .then_with(|| self.id.cmp(&other.id))
    }
}

impl PartialEq for Ranked {
    fn eq(&self, other: &Self) -> bool {
        self.worse_cmp(other).is_eq()
    }
}
impl Eq for Ranked {}
impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Ranked {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.worse_cmp(other)
    }
}

/// Keeps the best `keep` of what it is given.
fn push_bounded(heap: &mut BinaryHeap<Ranked>, keep: usize, ranked: Ranked) {
    if keep == 0 {
        return;
    }
    if heap.len() < keep {
        heap.push(ranked);
    } else if heap.peek().is_some_and(|worst| ranked < *worst) {
        heap.pop();
        heap.push(ranked);
    }
}

/// What the collector gathers: the total, the best needs in order, and the counts per filter.
struct Found {
    total: usize,
    top: Vec<Ranked>,
    counts: Vec<BTreeMap<String, usize>>,
}

struct FacetedCollector {
    filters: Vec<(NeedFacet, HashSet<String>)>,
    sort: NeedSort,
    keep: usize,
}

struct SegmentFruit {
    total: usize,
    top: BinaryHeap<Ranked>,
    counts: Vec<HashMap<String, usize>>,
}

struct FacetedSegment {
    segment: SegmentOrdinal,
    sort: NeedSort,
    keep: usize,
    /// Per filter: the facet's column in this segment (none: no need here has a value).
    columns: Vec<Option<StrColumn>>,
    /// Per filter: the allowed values' ordinals in this segment (none: no filter).
    allowed: Vec<Option<HashSet<u64>>>,
    counts: Vec<HashMap<u64, usize>>,
    ids: Option<StrColumn>,
    /// Dates; none where no document of the segment has one.
    posted: Option<Column<i64>>,
    deadline: Option<Column<i64>>,
    total: usize,
    top: BinaryHeap<Ranked>,
    ords: Vec<u64>,
}

impl Collector for FacetedCollector {
    type Fruit = Found;
    type Child = FacetedSegment;

    fn for_segment(
        &self,
        segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<FacetedSegment> {
        let fast = reader.fast_fields();
        let mut columns = Vec::with_capacity(self.filters.len());
        let mut allowed = Vec::with_capacity(self.filters.len());
        for (facet, values) in &self.filters {
            let column = fast.str(facet.field_name())?;
            allowed.push(if values.is_empty() {
                None
            } else {
                let mut ords = HashSet::new();
                if let Some(column) = &column {
                    for value in values {
                        if let Some(ord) = column.dictionary().term_ord(value)? {
                            ords.insert(ord);
                        }
                    }
                }
                Some(ords)
            });
            columns.push(column);
        }
        Ok(FacetedSegment {
            segment,
            sort: self.sort,
            keep: self.keep,
            counts: vec![HashMap::new(); columns.len()],
            columns,
            allowed,
            ids: fast.str("id")?,
            posted: fast.column_opt::<i64>("posted")?,
            deadline: fast.column_opt::<i64>("deadline")?,
            total: 0,
            top: BinaryHeap::new(),
            ords: Vec::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        // Hits report their score whatever the order.
        true
    }

    fn merge_fruits(&self, fruits: Vec<SegmentFruit>) -> tantivy::Result<Found> {
        let mut total = 0;
        let mut top = BinaryHeap::new();
        let mut counts: Vec<BTreeMap<String, usize>> = vec![BTreeMap::new(); self.filters.len()];
        for fruit in fruits {
            total += fruit.total;
            for ranked in fruit.top {
                push_bounded(&mut top, self.keep, ranked);
            }
            for (merged, segment) in counts.iter_mut().zip(fruit.counts) {
                for (value, n) in segment {
                    *merged.entry(value).or_insert(0) += n;
                }
            }
        }
        Ok(Found {
            total,
            top: top.into_sorted_vec(),
            counts,
        })
    }
}

impl FacetedSegment {
    fn passes(&self, i: usize, doc: DocId) -> bool {
        let Some(allowed) = &self.allowed[i] else {
            return true;
        };
        self.columns[i]
            .as_ref()
            .is_some_and(|column| column.term_ords(doc).any(|ord| allowed.contains(&ord)))
    }

    fn count(&mut self, i: usize, doc: DocId) {
        let Some(column) = &self.columns[i] else {
            return;
        };
        self.ords.clear();
        self.ords.extend(column.term_ords(doc));
        self.ords.sort_unstable();
        self.ords.dedup();
        for &ord in &self.ords {
            *self.counts[i].entry(ord).or_insert(0) += 1;
        }
    }

    fn key(&self, doc: DocId, score: Score) -> f64 {
        match self.sort {
            NeedSort::Relevance => f64::from(score),
            NeedSort::Deadline => self
                .deadline
                .as_ref()
                .and_then(|c| c.first(doc))
                .map_or(f64::NEG_INFINITY, |d| -(d as f64)),
            NeedSort::Newest => self
                .posted
                .as_ref()
                .and_then(|c| c.first(doc))
                .map_or(f64::NEG_INFINITY, |d| d as f64),
            NeedSort::Id => 0.0,
        }
    }
}

impl SegmentCollector for FacetedSegment {
    type Fruit = SegmentFruit;

    fn collect(&mut self, doc: DocId, score: Score) {
        let failed: Vec<usize> = (0..self.allowed.len())
            .filter(|&i| !self.passes(i, doc))
            .collect();
        match failed.as_slice() {
            [] => {
                self.total += 1;
                for i in 0..self.columns.len() {
                    self.count(i, doc);
                }
                if self.keep > 0 {
                    let mut id = String::new();
                    if let Some(ids) = &self.ids
                        && let Some(ord) = ids.term_ords(doc).next()
                    {
                        // An id that cannot be read sorts first among equals; it is still
                        // shown.
                        let _ = ids.ord_to_str(ord, &mut id);
                    }
                    let ranked = Ranked {
                        key: self.key(doc, score),
                        id,
                        score,
                        address: DocAddress::new(self.segment, doc),
                    };
                    push_bounded(&mut self.top, self.keep, ranked);
                }
            }
            // Fails only its own filter: counts for that facet ("if chosen instead").
            [only] => self.count(*only, doc),
            _ => {}
        }
    }

    fn harvest(self) -> SegmentFruit {
        let counts = self
            .counts
            .into_iter()
            .zip(&self.columns)
            .map(|(counts, column)| {
                let mut named = HashMap::new();
                let Some(column) = column else {
                    return named;
                };
                for (ord, n) in counts {
                    let mut value = String::new();
                    if column.ord_to_str(ord, &mut value).unwrap_or(false) {
                        *named.entry(value).or_insert(0) += n;
                    }
                }
                named
            })
            .collect();
        SegmentFruit {
            total: self.total,
            top: self.top,
            counts,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kobler_core::{Record, parse_record};
    use serde_json::json;

    fn index_with(records: &[Record]) -> (tempfile::TempDir, SearchIndex) {
        let dir = tempfile::tempdir().expect("tempdir");
        let (index, _) = SearchIndex::open(&dir.path().join("index")).expect("index");
        index.index_records(records).expect("index records");
        index.commit(records.len() as i64).expect("commit");
        (dir, index)
    }

    fn need(id: &str, title: &str, fields: serde_json::Value) -> Record {
        let mut value = json!({"type": "need", "id": id, "title": title,
            "description": format!("{title}. Kommunen ønsker kunnskap om dette temaet.")});
        if let (Some(map), Some(extra)) = (value.as_object_mut(), fields.as_object()) {
            for (k, v) in extra {
                map.insert(k.clone(), v.clone());
            }
        }
        parse_record(&value).expect("need")
    }

    fn records() -> Vec<Record> {
        vec![
            need(
                "a",
                "Språkutvikling i barnehagen",
                json!({"unit": "u1", "focus_areas": ["oppvekst-og-utdanning"], "kinds": ["masteroppgave"],
                       "posted": "2026-01-10", "deadline": "2026-06-01"}),
            ),
            need(
                "b",
                "Lesing og språk i skolen",
                json!({"unit": "u2", "focus_areas": ["oppvekst-og-utdanning", "innovasjon"],
                       "kinds": ["forskningsprosjekt"], "posted": "2026-03-01", "deadline": "2026-04-01"}),
            ),
            need(
                "c",
                "Overvann i sentrum",
                json!({"unit": "u1", "focus_areas": ["klima-og-miljo"], "kinds": ["masteroppgave"],
                       "posted": "2026-02-01", "status": "closed"}),
            ),
            need(
                "d",
                "Utkast om språk",
                json!({"unit": "u1", "focus_areas": ["oppvekst-og-utdanning"], "status": "draft"}),
            ),
        ]
    }

    fn ids(found: &NeedSearch) -> Vec<&str> {
        found.hits.iter().map(|h| h.id.as_str()).collect()
    }

    fn query(text: &str, filters: Vec<FacetFilter>, sort: NeedSort) -> NeedQuery {
        NeedQuery {
            text: text.into(),
            filters,
            sort,
            offset: 0,
            limit: 10,
        }
    }

    #[test]
    fn facet_counts_leave_out_their_own_filter_but_apply_the_others() {
        let (_dir, index) = index_with(&records());
        let found = index
            .search_needs_faceted(&query(
                "",
                vec![
                    FacetFilter::new(NeedFacet::Focus, vec!["oppvekst-og-utdanning".into()]),
                    FacetFilter::new(NeedFacet::Unit, vec!["u1".into()]),
                    FacetFilter::new(NeedFacet::Kind, vec![]),
                ],
                NeedSort::Id,
            ))
            .expect("search");
        assert_eq!(ids(&found), ["a"], "drafts never appear");
        assert_eq!(found.total, 1);
        // Focus counts: unit u1 applies, the focus filter does not.
        assert_eq!(found.facets[0].get("oppvekst-og-utdanning"), Some(&1));
        assert_eq!(found.facets[0].get("klima-og-miljo"), Some(&1));
        assert_eq!(found.facets[0].get("innovasjon"), None);
        // Unit counts: the focus filter applies, the unit filter does not.
        assert_eq!(found.facets[1].get("u1"), Some(&1));
        assert_eq!(found.facets[1].get("u2"), Some(&1));
        // A count-only facet counts the needs that pass every filter.
        assert_eq!(found.facets[2].get("masteroppgave"), Some(&1));
        assert_eq!(found.facets[2].get("forskningsprosjekt"), None);
    }

    #[test]
    fn needs_sort_by_deadline_or_newest_with_missing_dates_last() {
        let (_dir, index) = index_with(&records());
        let by = |sort| {
            let found = index
                .search_needs_faceted(&query("", vec![], sort))
                .expect("search");
            ids(&found)
                .into_iter()
                .map(str::to_string)
                .collect::<Vec<_>>()
        };
        assert_eq!(by(NeedSort::Deadline), ["b", "a", "c"]);
        assert_eq!(by(NeedSort::Newest), ["b", "c", "a"]);
        assert_eq!(by(NeedSort::Id), ["a", "b", "c"]);
        // Without query text, relevance means newest.
        assert_eq!(by(NeedSort::Relevance), ["b", "c", "a"]);
    }

    #[test]
    fn pages_follow_the_order_and_snippets_mark_the_query_words() {
        let (_dir, index) = index_with(&records());
        // Every description says "Kommunen ønsker kunnskap"; the draft's is never searched.
        let mut q = query("kommunen", vec![], NeedSort::Deadline);
        q.offset = 1;
        q.limit = 1;
        let found = index.search_needs_faceted(&q).expect("search");
        assert_eq!(found.total, 3, "every need but the draft");
        assert_eq!(ids(&found), ["a"]);
        let html = &found.hits[0].snippet_html;
        assert!(html.contains("<mark>"), "{html}");
        assert!(!html.contains("<b>"), "{html}");
    }

    #[test]
    fn snippet_html_escapes_the_text_around_the_marks() {
        let (_dir, index) =
            index_with(&[need("x", "Skole <script> & språk", json!({"unit": "u1"}))]);
        let found = index
            .search_needs_faceted(&query("språk", vec![], NeedSort::Relevance))
            .expect("search");
        let html = &found.hits[0].snippet_html;
        assert!(html.contains("&lt;script&gt;"), "{html}");
        assert!(!html.contains("<script>"), "{html}");
    }

    #[test]
    fn a_filter_value_no_need_has_finds_nothing_without_error() {
        let (_dir, index) = index_with(&records());
        let found = index
            .search_needs_faceted(&query(
                "",
                vec![FacetFilter::new(NeedFacet::Lang, vec!["xx".into()])],
                NeedSort::Relevance,
            ))
            .expect("search");
        assert_eq!(found.total, 0);
        assert!(found.hits.is_empty());
        assert_eq!(found.facets[0].values().sum::<usize>(), 3);
    }

    #[test]
    fn dates_become_sortable_numbers_and_nonsense_is_none() {
        assert_eq!(date_number("2026-09-30"), Some(20_260_930));
        assert_eq!(date_number("2026-09-30T10:00:00Z"), Some(20_260_930));
        assert_eq!(date_number("30.09.2026"), None);
        assert_eq!(date_number("2026-13-01"), None);
        assert_eq!(date_number(""), None);
    }
}
