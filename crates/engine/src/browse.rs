//! Browsing needs: full-text search with facets (focus area, municipality, department, kind,
//! status, language), counts per facet value, sorting and paging — what the researchers' search
//! page and `GET /api/v1/needs` show. The index filters, counts and sorts; the engine turns
//! municipalities into their units and completes the hits with the stored needs.

use crate::{Engine, Result};
use kobler_core::{Kind, Need, Record};
pub use kobler_search::NeedSort;
use kobler_search::{FacetFilter, NeedFacet, NeedHit, NeedQuery};
use std::collections::{BTreeMap, HashMap};

/// A value no unit id can have: a municipality filter with no units in it finds nothing.
const NO_UNIT: &str = "\u{0}";

/// What to search for. Each list allows any of its values; an empty list does not filter.
#[derive(Debug, Clone, Default)]
pub struct NeedSearchRequest {
    /// Full-text query (quotes for phrases, `+`/`-`); empty: every need.
    pub text: String,
    /// Focus areas.
    pub focus_areas: Vec<String>,
    /// Kinds of collaboration.
    pub kinds: Vec<String>,
    /// Language codes (`nb`, `nn`, `en`, `other`).
    pub languages: Vec<String>,
    /// Municipal units (departments).
    pub units: Vec<String>,
    /// Municipalities (kommunenummer).
    pub municipalities: Vec<String>,
    /// Statuses (`open`, `matched`, `closed`); empty: all but drafts (never searched).
    pub statuses: Vec<String>,
    /// Order of the hits.
    pub sort: NeedSort,
    /// Hits to skip.
    pub offset: usize,
    /// Hits to return.
    pub limit: usize,
}

/// One value of a facet and how many needs it would give.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FacetValue {
    /// The value (an id or code).
    pub value: String,
    /// Needs with it, under the other facets' filters.
    pub count: usize,
}

/// Counts per facet value, most needs first (ties by value). A facet's counts apply every
/// filter but its own.
#[derive(Debug, Clone, Default)]
pub struct NeedFacets {
    /// Per focus area.
    pub focus_areas: Vec<FacetValue>,
    /// Per kind of collaboration.
    pub kinds: Vec<FacetValue>,
    /// Per language code.
    pub languages: Vec<FacetValue>,
    /// Per municipal unit.
    pub units: Vec<FacetValue>,
    /// Per municipality (needs whose unit has none are not counted here).
    pub municipalities: Vec<FacetValue>,
    /// Per status.
    pub statuses: Vec<FacetValue>,
}

/// A need found, with its search hit (score, snippet).
#[derive(Debug, Clone)]
pub struct FoundNeed {
    /// The stored need.
    pub need: Need,
    /// Score and snippet.
    pub hit: NeedHit,
}

/// What a need search found.
#[derive(Debug, Clone, Default)]
pub struct NeedSearchResult {
    /// Needs passing every filter.
    pub total: usize,
    /// The page asked for.
    pub needs: Vec<FoundNeed>,
    /// Counts per facet value.
    pub facets: NeedFacets,
}

fn sorted(counts: BTreeMap<String, usize>) -> Vec<FacetValue> {
    let mut values: Vec<FacetValue> = counts
        .into_iter()
        .filter(|(value, count)| *count > 0 && value != NO_UNIT)
        .map(|(value, count)| FacetValue { value, count })
        .collect();
    values.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
    values
}

impl Engine {
    /// Searches needs (never drafts) with facets; see [`NeedSearchRequest`]. The search runs
    /// on the work pool, off the caller's runtime.
    pub async fn browse_needs(&self, request: &NeedSearchRequest) -> Result<NeedSearchResult> {
        let request = request.clone();
        self.offload(move |engine| async move { engine.browse_needs_here(&request).await })
            .await
    }

    async fn browse_needs_here(&self, request: &NeedSearchRequest) -> Result<NeedSearchResult> {
        // Municipalities are sets of units: the unit records say which.
        let directory = self.directory().await?;
        let municipality_of: HashMap<&str, &String> = directory
            .units
            .iter()
            .filter_map(|(id, unit)| Some((id.as_str(), unit.municipality.as_ref()?)))
            .collect();
        let municipal_units: Vec<String> = if request.municipalities.is_empty() {
            Vec::new()
        } else {
            let mut units: Vec<String> = municipality_of
                .iter()
                .filter(|(_, m)| request.municipalities.contains(m))
                .map(|(u, _)| u.to_string())
                .collect();
            if units.is_empty() {
                units.push(NO_UNIT.to_string());
            }
            units
        };
        let query = NeedQuery {
            text: request.text.clone(),
            filters: vec![
                FacetFilter::new(NeedFacet::Focus, request.focus_areas.clone()),
                FacetFilter::new(NeedFacet::Kind, request.kinds.clone()),
                FacetFilter::new(NeedFacet::Lang, request.languages.clone()),
                FacetFilter::new(NeedFacet::Unit, request.units.clone()),
                FacetFilter::new(NeedFacet::Unit, municipal_units),
                FacetFilter::new(NeedFacet::Status, request.statuses.clone()),
            ],
            sort: request.sort,
            offset: request.offset,
            limit: request.limit,
        };
        // On the work pool (see `browse_needs`): blocking here holds one of its threads only.
        let found = self.index.search_needs_faceted(&query)?;
        let mut counts = found.facets.into_iter();
        let mut next = || counts.next().unwrap_or_default();
        let (focus, kinds, languages, units, by_unit, statuses) =
            (next(), next(), next(), next(), next(), next());
        let mut municipalities: BTreeMap<String, usize> = BTreeMap::new();
        for (unit, n) in by_unit {
            if let Some(m) = municipality_of.get(unit.as_str()) {
                *municipalities.entry((*m).clone()).or_insert(0) += n;
            }
        }
        let ids: Vec<String> = found.hits.iter().map(|h| h.id.clone()).collect();
        let mut stored: HashMap<String, Need> = self
            .store
            .get_many(Kind::Need, &ids)
            .await?
            .into_iter()
            .filter_map(|r| match r {
                Record::Need(n) => Some((n.id.clone(), n)),
                _ => None,
            })
            .collect();
        let needs = found
            .hits
            .into_iter()
            .filter_map(|hit| stored.remove(&hit.id).map(|need| FoundNeed { need, hit }))
            .collect();
        Ok(NeedSearchResult {
            total: found.total,
            needs,
            facets: NeedFacets {
                focus_areas: sorted(focus),
                kinds: sorted(kinds),
                languages: sorted(languages),
                units: sorted(units),
                municipalities: sorted(municipalities),
                statuses: sorted(statuses),
            },
        })
    }
}
