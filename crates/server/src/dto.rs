//! The JSON shapes of the API. They are the server's own (with OpenAPI schemas), so the engine's
//! types can change without changing the wire format silently.

use kobler_core::Need;
use kobler_engine::{
    DocKind, Evidence, EvidenceKind, FacetValue, FirstMatchGroup, Fresh, InterestedResearcher,
    MatchVia, MatchedDepartment, NeedFacets, NeedHit, NetworkView, OverlapCluster, OverlapDecision,
    OverlapPair, PairDecision, PairingDecision, PairingSuggestion, Portfolio, PortfolioCount,
    RankedNeed, ResearcherSuggestion, Signal, Similar,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// Every error answer.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ErrorBody {
    /// What went wrong, for people.
    #[schema(example = "unknown need \"n-1\"")]
    pub error: String,
    /// More about it, when there is more to say (e.g. why credentials were refused).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// For 422: one reason per broken field.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldErrorItem>,
}

/// One broken field of a request body.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FieldErrorItem {
    /// The field's name (`body` for the body as a whole).
    #[schema(example = "focus_areas")]
    pub field: String,
    /// What is wrong with it.
    pub reason: String,
}

/// A knowledge need posted by a municipal unit (the fields of a `need` feed record).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NeedDto {
    /// Need id.
    pub id: String,
    /// Title.
    pub title: String,
    /// What the unit wants to know, and why.
    pub description: String,
    /// The municipal unit that posted it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// Focus areas of the partnership.
    pub focus_areas: Vec<String>,
    /// Kinds of collaboration wanted.
    pub kinds: Vec<String>,
    /// Date posted (ISO).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub posted: Option<String>,
    /// Deadline (ISO).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deadline: Option<String>,
    /// `draft`, `open`, `matched` or `closed`.
    #[schema(example = "open")]
    pub status: String,
    /// Who to contact.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
    /// Fields the feed or the poster gave that Kobler does not know, as they came.
    #[serde(flatten)]
    pub extra: BTreeMap<String, Value>,
}

impl From<Need> for NeedDto {
    fn from(need: Need) -> Self {
        NeedDto {
            id: need.id,
            title: need.title,
            description: need.description,
            unit: need.unit,
            focus_areas: need.focus_areas,
            kinds: need.kinds,
            posted: need.posted,
            deadline: need.deadline,
            status: need.status.as_str().to_string(),
            contact: need.contact,
            // The record's own fields win over unknown ones of the same name (`type`, say).
            extra: need
                .extra
                .into_iter()
                .filter(|(k, _)| !KNOWN_NEED_FIELDS.contains(&k.as_str()))
                .collect(),
        }
    }
}

const KNOWN_NEED_FIELDS: [&str; 11] = [
    "id",
    "title",
    "description",
    "unit",
    "focus_areas",
    "kinds",
    "posted",
    "deadline",
    "status",
    "contact",
    "type",
];

/// The body of `POST /api/v1/needs`: the fields of a `need` feed record. Only documents the
/// shape: the body is read as plain JSON so that every broken field can be named in one 422.
/// The limits here are the ones `kobler_core::record` enforces on every need, posted or fed.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NewNeed {
    /// Need id; generated when left out. Letters A–Z and a–z, digits and `. _ : -`, at most
    /// 128, not only dots (ids from feeds may hold other characters; new ones may not).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(
        max_length = 128,
        pattern = "^(?!\\.+$)[A-Za-z0-9._:-]+$",
        example = "need-barnehage-1"
    )]
    pub id: Option<String>,
    /// Title: 1 to 300 characters, not only spaces.
    #[schema(min_length = 1, max_length = 300, pattern = "\\S")]
    pub title: String,
    /// What the unit wants to know, and why: 1 to 20000 characters, not only spaces.
    #[schema(min_length = 1, max_length = 20000, pattern = "\\S")]
    pub description: String,
    /// The municipal unit posting it (an id of a stored municipal unit); staff may leave it out
    /// (they post for their own unit), coordinators and admins must give it.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 128)]
    pub unit: Option<String>,
    /// Focus areas, from the taxonomy.
    #[schema(example = json!(["oppvekst-og-utdanning"]))]
    pub focus_areas: Option<Vec<String>>,
    /// Kinds of collaboration wanted, from the taxonomy.
    #[schema(example = json!(["masteroppgave"]))]
    pub kinds: Option<Vec<String>>,
    /// Date posted (ISO); today when left out.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = Date)]
    pub posted: Option<String>,
    /// Deadline (ISO), not before the date posted.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = Date)]
    pub deadline: Option<String>,
    /// `draft`, `open` (the default), `matched` or `closed`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<NewNeedStatus>)]
    pub status: Option<String>,
    /// Who to contact: at most 200 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 200)]
    pub contact: Option<String>,
}

/// One need in a list or search answer.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NeedListItem {
    /// Need id.
    pub id: String,
    /// Title.
    pub title: String,
    /// `open`, `matched` or `closed` (drafts are never listed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Search score, higher is better (only when searching).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<f32>,
    /// The passage that best matches the query, plain text (only when searching).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snippet: Option<String>,
    /// The same passage as HTML with the matching words in `<mark>` (only when searching).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub snippet_html: Option<String>,
    /// The municipal unit that posted it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// Focus areas.
    pub focus_areas: Vec<String>,
    /// Kinds of collaboration wanted.
    pub kinds: Vec<String>,
    /// Date posted (ISO).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub posted: Option<String>,
    /// Deadline (ISO).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deadline: Option<String>,
}

impl NeedListItem {
    /// A listed need (no query).
    pub(crate) fn listed(need: Need) -> Self {
        NeedListItem {
            id: need.id,
            title: need.title,
            status: Some(need.status.as_str().to_string()),
            score: None,
            snippet: None,
            snippet_html: None,
            unit: need.unit,
            focus_areas: need.focus_areas,
            kinds: need.kinds,
            posted: need.posted,
            deadline: need.deadline,
        }
    }

    /// A search hit, with the stored need's fields when it is (still) stored.
    pub(crate) fn hit(hit: NeedHit, need: Option<Need>) -> Self {
        let mut item = match need {
            Some(need) => Self::listed(need),
            None => NeedListItem {
                id: String::new(),
                title: String::new(),
                status: None,
                score: None,
                snippet: None,
                snippet_html: None,
                unit: None,
                focus_areas: Vec::new(),
                kinds: Vec::new(),
                posted: None,
                deadline: None,
            },
        };
        // The index's view is what was searched; it names the hit.
        item.id = hit.id;
        item.title = hit.title;
        item.status = hit.status.or(item.status);
        item.score = Some(hit.score);
        item.snippet = Some(hit.snippet);
        item.snippet_html = Some(hit.snippet_html);
        item
    }
}

/// A page of needs.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NeedList {
    /// How many needs match in all (not just on this page).
    pub total: usize,
    /// This page, in the order asked for (`sort`).
    pub items: Vec<NeedListItem>,
    /// The order used: `relevance`, `deadline`, `newest` or `id`.
    #[schema(example = "relevance")]
    pub sort: String,
    /// How many needs each facet value would give: every filter applies but the facet's own.
    pub facets: NeedFacetsItem,
}

/// One value of a facet and how many needs it would give.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FacetValueItem {
    /// The value: a focus area, kind, language code, unit id, municipality id or status.
    pub value: String,
    /// Needs with it.
    pub count: usize,
}

/// Counts per facet value, most needs first.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct NeedFacetsItem {
    /// Per focus area.
    pub focus_areas: Vec<FacetValueItem>,
    /// Per kind of collaboration.
    pub kinds: Vec<FacetValueItem>,
    /// Per detected language (`nb`, `nn`, `en`, `other`).
    pub languages: Vec<FacetValueItem>,
    /// Per municipal unit (department).
    pub units: Vec<FacetValueItem>,
    /// Per municipality (kommunenummer).
    pub municipalities: Vec<FacetValueItem>,
    /// Per status.
    pub statuses: Vec<FacetValueItem>,
}

impl From<NeedFacets> for NeedFacetsItem {
    fn from(facets: NeedFacets) -> Self {
        let items = |values: Vec<FacetValue>| {
            values
                .into_iter()
                .map(|v| FacetValueItem {
                    value: v.value,
                    count: v.count,
                })
                .collect()
        };
        NeedFacetsItem {
            focus_areas: items(facets.focus_areas),
            kinds: items(facets.kinds),
            languages: items(facets.languages),
            units: items(facets.units),
            municipalities: items(facets.municipalities),
            statuses: items(facets.statuses),
        }
    }
}

/// A node of the network: a researcher or a municipal unit.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NetworkNodeItem {
    /// `researcher` or `unit`.
    #[schema(example = "researcher")]
    pub kind: String,
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// How many others it is linked to in the whole network.
    pub degree: usize,
    /// Its connected component, numbered from 1 by size (1 is the largest).
    pub component: usize,
    /// Links from the focus (0 for the focus), when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distance: Option<usize>,
}

/// A link: a researcher and another researcher (shared works, projects) or a municipal unit
/// (shared projects, an accepted pairing).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NetworkEdgeItem {
    /// Researcher id.
    pub researcher: String,
    /// The other end's id.
    pub other: String,
    /// `researcher` or `unit`.
    #[schema(example = "unit")]
    pub other_kind: String,
    /// Works both wrote (ids).
    pub works: Vec<String>,
    /// Projects both took part in (ids).
    pub projects: Vec<String>,
    /// A coordinator accepted a pairing of the researcher with the unit.
    pub accepted_pairing: bool,
    /// Shared works + projects + the accepted pairing.
    pub weight: usize,
}

/// The whole network in figures.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NetworkSummaryItem {
    /// Researchers in the store.
    pub researchers: usize,
    /// Municipal units in the store.
    pub units: usize,
    /// Researchers and units with at least one link.
    pub linked: usize,
    /// Links.
    pub links: usize,
    /// Connected groups of two or more.
    pub components: usize,
    /// Nodes in the largest group.
    pub largest_component: usize,
}

/// The node a network view is centred on.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NetworkFocusItem {
    /// `researcher` or `unit`.
    pub kind: String,
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
}

/// A readable part of the network: a focus's neighbourhood, or the best-linked nodes.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NetworkViewItem {
    /// The node in the centre, when one was asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub focus: Option<NetworkFocusItem>,
    /// Links out from the focus.
    pub depth: usize,
    /// The most nodes shown.
    pub limit: usize,
    /// The nodes shown (the focus first).
    pub nodes: Vec<NetworkNodeItem>,
    /// Every link between two nodes shown, strongest first.
    pub edges: Vec<NetworkEdgeItem>,
    /// Nodes within reach that the limit left out.
    pub left_out: usize,
    /// The whole network.
    pub summary: NetworkSummaryItem,
}

impl From<NetworkView> for NetworkViewItem {
    fn from(view: NetworkView) -> Self {
        NetworkViewItem {
            focus: view.focus.map(|f| NetworkFocusItem {
                kind: f.kind.as_str().to_string(),
                id: f.id,
                name: f.name,
            }),
            depth: view.depth,
            limit: view.limit,
            nodes: view
                .nodes
                .into_iter()
                .map(|n| NetworkNodeItem {
                    kind: n.kind.as_str().to_string(),
                    id: n.id,
                    name: n.name,
                    degree: n.degree,
                    component: n.component,
                    distance: n.distance,
                })
                .collect(),
            edges: view
                .edges
                .into_iter()
                .map(|e| NetworkEdgeItem {
                    weight: e.weight(),
                    researcher: e.researcher,
                    other: e.other,
                    other_kind: e.other_kind.as_str().to_string(),
                    works: e.works,
                    projects: e.projects,
                    accepted_pairing: e.accepted_pairing,
                })
                .collect(),
            left_out: view.left_out,
            summary: NetworkSummaryItem {
                researchers: view.summary.researchers,
                units: view.summary.units,
                linked: view.summary.linked,
                links: view.summary.links,
                components: view.summary.components,
                largest_component: view.summary.largest_component,
            },
        }
    }
}

/// A value of the portfolio and its number of needs.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PortfolioCountItem {
    /// Focus area, status or municipality id (empty: needs without a municipality).
    pub key: String,
    /// The municipality's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Needs.
    pub needs: usize,
}

/// One need's time from posting to first match.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NeedFirstMatchItem {
    /// Need id.
    pub need: String,
    /// Title.
    pub title: String,
    /// Municipal unit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// Focus areas.
    pub focus_areas: Vec<String>,
    /// Status now.
    pub status: String,
    /// Date posted.
    pub posted: String,
    /// What came first: `interest` (a researcher marked it) or `pairing` (a coordinator
    /// accepted a researcher for its department on or after the posting date).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
    /// When (ISO date).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matched_on: Option<String>,
    /// Days from posting to first match.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub days: Option<i64>,
    /// Without a match: days since posting.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waiting_days: Option<i64>,
}

/// Time to first match over a group of needs.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FirstMatchGroupItem {
    /// Focus area or posting month (`YYYY-MM`).
    pub key: String,
    /// Measured needs.
    pub needs: usize,
    /// Of them, matched.
    pub matched: usize,
    /// Median days to first match of the matched ones.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub median_days: Option<f64>,
}

/// Matched needs within a band of days.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DaysBandItem {
    /// From (inclusive).
    pub from_days: i64,
    /// To (inclusive); absent: and more.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to_days: Option<i64>,
    /// Needs.
    pub needs: usize,
}

/// Time from posting to first match: the earlier of the first researcher interest still
/// marked and the first pairing accepted for the need's department on or after its posting
/// date.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FirstMatchItem {
    /// Every non-draft need with a posting date, matched first (fastest first).
    pub needs: Vec<NeedFirstMatchItem>,
    /// Matched needs.
    pub matched: usize,
    /// Needs without a match yet.
    pub unmatched: usize,
    /// Needs without a posting date (not measured).
    pub without_posting_date: usize,
    /// Median days of the matched needs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub median_days: Option<f64>,
    /// Matched needs by days.
    pub distribution: Vec<DaysBandItem>,
    /// Per focus area.
    pub by_focus: Vec<FirstMatchGroupItem>,
    /// Per posting month, oldest first.
    pub by_month: Vec<FirstMatchGroupItem>,
}

/// The portfolio: needs (drafts not counted) by focus area, status and municipality, and the
/// time to first match.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PortfolioItem {
    /// The store's change sequence these figures were computed from (they are kept by a
    /// background worker and computed again when the store moves).
    pub as_of_seq: i64,
    /// When they were computed (UTC).
    pub computed_at: String,
    /// Needs counted.
    pub total: usize,
    /// Per focus area.
    pub by_focus: Vec<PortfolioCountItem>,
    /// Per status.
    pub by_status: Vec<PortfolioCountItem>,
    /// Per municipality.
    pub by_municipality: Vec<PortfolioCountItem>,
    /// Time from posting to first match.
    pub first_match: FirstMatchItem,
}

impl From<Fresh<Portfolio>> for PortfolioItem {
    fn from(fresh: Fresh<Portfolio>) -> Self {
        let (as_of_seq, computed_at, p) = (fresh.as_of_seq, fresh.computed_at, fresh.value);
        let counts = |counts: Vec<PortfolioCount>| {
            counts
                .into_iter()
                .map(|c| PortfolioCountItem {
                    key: c.key,
                    name: c.name,
                    needs: c.needs,
                })
                .collect()
        };
        let groups = |groups: Vec<FirstMatchGroup>| {
            groups
                .into_iter()
                .map(|g| FirstMatchGroupItem {
                    key: g.key,
                    needs: g.needs,
                    matched: g.matched,
                    median_days: g.median_days,
                })
                .collect()
        };
        let fm = p.first_match;
        PortfolioItem {
            as_of_seq,
            computed_at,
            total: p.total,
            by_focus: counts(p.by_focus),
            by_status: counts(p.by_status),
            by_municipality: counts(p.by_municipality),
            first_match: FirstMatchItem {
                needs: fm
                    .needs
                    .into_iter()
                    .map(|n| NeedFirstMatchItem {
                        need: n.need,
                        title: n.title,
                        unit: n.unit,
                        focus_areas: n.focus_areas,
                        status: n.status,
                        posted: n.posted,
                        via: n.via.map(|v| {
                            match v {
                                MatchVia::Interest => "interest",
                                MatchVia::Pairing => "pairing",
                            }
                            .to_string()
                        }),
                        matched_on: n.matched_on,
                        days: n.days,
                        waiting_days: n.waiting_days,
                    })
                    .collect(),
                matched: fm.matched,
                unmatched: fm.unmatched,
                without_posting_date: fm.without_posting_date,
                median_days: fm.median_days,
                distribution: fm
                    .distribution
                    .into_iter()
                    .map(|b| DaysBandItem {
                        from_days: b.from_days,
                        to_days: b.to_days,
                        needs: b.needs,
                    })
                    .collect(),
                by_focus: groups(fm.by_focus),
                by_month: groups(fm.by_month),
            },
        }
    }
}

/// A need or project that covers much the same ground as a need.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SimilarItem {
    /// Its id.
    pub id: String,
    /// `need` or `project`.
    #[schema(example = "need")]
    pub kind: String,
    /// Its title.
    pub title: String,
    /// Similarity in [0, 1].
    pub score: f32,
    /// Which signals fired: `topic` (same subject), `text` (near-duplicate wording),
    /// `semantic` (close sentence vectors).
    pub signals: Vec<String>,
    /// Words both texts use.
    pub shared_terms: Vec<String>,
    /// Its status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

fn signal_names(signals: &[Signal]) -> Vec<String> {
    signals
        .iter()
        .map(|s| {
            match s {
                Signal::Topic => "topic",
                Signal::Text => "text",
                Signal::Semantic => "semantic",
            }
            .to_string()
        })
        .collect()
}

fn doc_kind(kind: DocKind) -> &'static str {
    match kind {
        DocKind::Need => "need",
        DocKind::Work => "work",
        DocKind::Project => "project",
        DocKind::Profile => "profile",
    }
}

impl From<Similar> for SimilarItem {
    fn from(s: Similar) -> Self {
        SimilarItem {
            id: s.id,
            kind: doc_kind(s.kind).to_string(),
            title: s.title,
            score: s.score,
            signals: signal_names(&s.signals),
            shared_terms: s.shared_terms,
            status: s.status,
        }
    }
}

/// Flagged overlap pairs.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OverlapList {
    /// The store's change sequence the overlap run was computed from (the run is kept by a
    /// background worker and computed again when the store moves).
    pub as_of_seq: i64,
    /// When that run was computed (UTC).
    pub computed_at: String,
    /// How many pairs are flagged.
    pub total: usize,
    /// The pairs, best first.
    pub items: Vec<OverlapItem>,
}

/// Two needs, or a need and a project, that cover the same ground.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OverlapItem {
    /// A need id.
    pub a: String,
    /// A need or project id.
    pub b: String,
    /// `need` or `project`.
    #[schema(example = "project")]
    pub b_kind: String,
    /// Similarity in [0, 1]: the strongest of the signals.
    pub score: f32,
    /// Which signals reached the threshold: `topic`, `text` and/or `semantic`.
    pub signals: Vec<String>,
    /// The topic signal (same subject in the index, across languages).
    pub topic: f32,
    /// The text signal (near-duplicate wording, estimated Jaccard of word pairs).
    pub text: f32,
    /// The semantic signal (close sentence vectors; 0 without the multilingual model).
    pub semantic: f32,
    /// Words both texts use.
    pub shared_terms: Vec<String>,
    /// The project's status (planned, active, completed), for need–project pairs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// The coordinators' decision in force, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision: Option<PairDecisionItem>,
}

/// The decision in force on a flagged pair.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PairDecisionItem {
    /// `confirmed` or `dismissed`.
    pub decision: String,
    /// Who decided.
    pub by: String,
    /// When (UTC).
    pub at: String,
    /// Their note.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// One side changed materially since the decision.
    pub changed_since: bool,
}

impl From<PairDecision> for PairDecisionItem {
    fn from(d: PairDecision) -> Self {
        PairDecisionItem {
            decision: d.decision.as_str().to_string(),
            by: d.by,
            at: d.at,
            note: d.note,
            changed_since: d.changed_since,
        }
    }
}

impl From<OverlapPair> for OverlapItem {
    fn from(p: OverlapPair) -> Self {
        OverlapItem {
            a: p.a,
            b: p.b,
            b_kind: doc_kind(p.b_kind).to_string(),
            score: p.score,
            signals: signal_names(&p.signals),
            topic: p.topic,
            text: p.text,
            semantic: p.semantic,
            shared_terms: p.shared_terms,
            status: p.status,
            decision: p.decision.map(Into::into),
        }
    }
}

/// Overlapping needs and projects, grouped.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OverlapClusterItem {
    /// The members: needs first, each sorted by id.
    pub members: Vec<ClusterMemberItem>,
    /// Flagged pairs inside the cluster.
    pub pairs: usize,
    /// The strongest pair's score.
    pub score: f32,
}

/// One need or project in a cluster.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ClusterMemberItem {
    /// Its id.
    pub id: String,
    /// `need` or `project`.
    pub kind: String,
}

impl From<OverlapCluster> for OverlapClusterItem {
    fn from(c: OverlapCluster) -> Self {
        OverlapClusterItem {
            members: c
                .members
                .into_iter()
                .map(|m| ClusterMemberItem {
                    id: m.id,
                    kind: doc_kind(m.kind).to_string(),
                })
                .collect(),
            pairs: c.pairs,
            score: c.score,
        }
    }
}

/// A coordinator's decision on an overlap pair, as stored.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OverlapDecisionItem {
    /// Its place in the audit trail.
    pub seq: i64,
    /// First side (a need).
    pub a: String,
    /// `need`.
    pub a_kind: String,
    /// Second side.
    pub b: String,
    /// `need` or `project`.
    pub b_kind: String,
    /// `confirmed` or `dismissed`.
    pub decision: String,
    /// The coordinator's note.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Who decided.
    pub decided_by: String,
    /// When (UTC).
    pub decided_at: String,
}

impl From<OverlapDecision> for OverlapDecisionItem {
    fn from(d: OverlapDecision) -> Self {
        OverlapDecisionItem {
            seq: d.seq,
            a: d.a,
            a_kind: d.a_kind.as_str().to_string(),
            b: d.b,
            b_kind: d.b_kind.as_str().to_string(),
            decision: d.decision.as_str().to_string(),
            note: d.note,
            decided_by: d.decided_by,
            decided_at: d.decided_at,
        }
    }
}

/// The answer to posting a need.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CreatedNeed {
    /// The need as stored (with its id and date posted filled in).
    pub need: NeedDto,
    /// Needs and projects it overlaps, most similar first.
    pub similar: Vec<SimilarItem>,
}

/// A work, project or profile behind a suggestion.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EvidenceItem {
    /// `work`, `project` or `profile`.
    #[schema(example = "work")]
    pub kind: String,
    /// Record id (the researcher id for a profile).
    pub id: String,
    /// Title.
    pub title: String,
    /// Year.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub year: Option<i32>,
    /// Its relevance to the need.
    pub score: f32,
    /// Words it shares with the need.
    pub matched_terms: Vec<String>,
    /// Concepts it shares with the need in other words or another language
    /// (`"need's word ↔ its word"`).
    pub bridged_terms: Vec<String>,
}

impl From<Evidence> for EvidenceItem {
    fn from(e: Evidence) -> Self {
        EvidenceItem {
            kind: match e.kind {
                EvidenceKind::Work => "work",
                EvidenceKind::Project => "project",
                EvidenceKind::Profile => "profile",
            }
            .to_string(),
            id: e.id,
            title: e.title,
            year: e.year,
            score: e.score,
            matched_terms: e.matched_terms,
            bridged_terms: e.bridged_terms,
        }
    }
}

/// A researcher suggested for a need.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Suggestion {
    /// Researcher id.
    pub researcher: String,
    /// Researcher name.
    pub name: String,
    /// Score; higher is better (comparable within one need).
    pub score: f32,
    /// The works, projects and profile behind the score, best first.
    pub evidence: Vec<EvidenceItem>,
}

impl From<ResearcherSuggestion> for Suggestion {
    fn from(s: ResearcherSuggestion) -> Self {
        Suggestion {
            researcher: s.researcher,
            name: s.name,
            score: s.score,
            evidence: s.evidence.into_iter().map(EvidenceItem::from).collect(),
        }
    }
}

/// The researchers suggested for a need.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NeedMatches {
    /// Need id.
    pub need: String,
    /// Best first.
    pub suggestions: Vec<Suggestion>,
}

/// A researcher who said they are interested in a need (seen by staff of its unit and
/// coordinators only).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InterestItem {
    /// Researcher id.
    pub researcher: String,
    /// Researcher name.
    pub name: String,
    /// When they said so (UTC).
    pub at: String,
}

impl From<InterestedResearcher> for InterestItem {
    fn from(i: InterestedResearcher) -> Self {
        InterestItem {
            researcher: i.researcher,
            name: i.name,
            at: i.at,
        }
    }
}

/// The signed-in researcher's interest in a need, after marking or unmarking it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InterestState {
    /// Need id.
    pub need: String,
    /// Whether the researcher is now marked as interested.
    pub interested: bool,
}

/// A new status for a need: `closed` closes it, `open` reopens it.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NeedStatusChange {
    /// `open` or `closed`.
    #[schema(example = "closed", value_type = StatusChange)]
    pub status: String,
}

/// The statuses a need can be set to through the API. Only documents the values: the field is
/// read as a string, so an unknown value gets a 422 that names it.
#[derive(Debug, Clone, Copy, ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum StatusChange {
    /// Looking for researchers again.
    Open,
    /// No longer wanted.
    Closed,
}

/// A need's status in a posted need.
#[derive(Debug, Clone, Copy, ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum NewNeedStatus {
    /// Being written; not shown to researchers.
    Draft,
    /// Looking for researchers (the default).
    Open,
    /// A collaboration has been agreed.
    Matched,
    /// No longer wanted.
    Closed,
}

/// One of the department's open needs a suggested researcher fits.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FittingNeedItem {
    /// Need id.
    pub id: String,
    /// Need title.
    pub title: String,
    /// How well the researcher fits it, relative to the need's best researcher (0..1).
    pub fit: f32,
}

/// An earlier project a researcher did with the department.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SharedProjectItem {
    /// Project id.
    pub id: String,
    /// Project title.
    pub title: String,
}

/// A coordinator's decision on a researcher–department pairing, as stored (append-only).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PairingDecisionItem {
    /// Order of recording; the latest per (unit, researcher) is in force.
    pub seq: i64,
    /// Municipal unit id.
    pub unit: String,
    /// Researcher id.
    pub researcher: String,
    /// `accepted`, `rejected` or `deferred`.
    #[schema(example = "accepted")]
    pub decision: String,
    /// The coordinator's note (coordinators only ever see it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The coordinator's user name.
    pub decided_by: String,
    /// When (UTC).
    pub decided_at: String,
}

impl From<PairingDecision> for PairingDecisionItem {
    fn from(d: PairingDecision) -> Self {
        PairingDecisionItem {
            seq: d.seq,
            unit: d.unit,
            researcher: d.researcher,
            decision: d.decision.as_str().to_string(),
            note: d.note,
            decided_by: d.decided_by,
            decided_at: d.decided_at,
        }
    }
}

/// A suggested researcher–department pairing waiting for a coordinator, with its evidence.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PairingSuggestionItem {
    /// Municipal unit id.
    pub unit: String,
    /// Unit name.
    pub unit_name: String,
    /// Researcher id.
    pub researcher: String,
    /// Researcher name.
    pub name: String,
    /// Score; higher is better.
    pub score: f32,
    /// The department's open needs the researcher fits, best first.
    pub needs: Vec<FittingNeedItem>,
    /// Earlier projects the researcher did with the department.
    pub shared_projects: Vec<SharedProjectItem>,
    /// The decision so far, when the pairing was deferred.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deferred: Option<PairingDecisionItem>,
}

impl From<PairingSuggestion> for PairingSuggestionItem {
    fn from(s: PairingSuggestion) -> Self {
        PairingSuggestionItem {
            unit: s.unit,
            unit_name: s.unit_name,
            researcher: s.researcher,
            name: s.name,
            score: s.score,
            needs: s
                .needs
                .into_iter()
                .map(|n| FittingNeedItem {
                    id: n.id,
                    title: n.title,
                    fit: n.fit,
                })
                .collect(),
            shared_projects: s
                .shared_projects
                .into_iter()
                .map(|(id, title)| SharedProjectItem { id, title })
                .collect(),
            deferred: s.deferred.map(Into::into),
        }
    }
}

/// A coordinator's decision on a suggested pairing.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct NewPairingDecision {
    /// Municipal unit id.
    #[schema(example = "u-oppvekst", max_length = 128)]
    pub unit: String,
    /// Researcher id.
    #[schema(example = "r-kari", max_length = 128)]
    pub researcher: String,
    /// `accept`, `reject` or `defer` (or `accepted`, `rejected`, `deferred`).
    #[schema(
        example = "accept",
        pattern = "^(accept|reject|defer|accepted|rejected|deferred)$"
    )]
    pub decision: String,
    /// Why, kept with the decision (at most 2000 characters).
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub note: Option<String>,
}

/// An open need ranked for the signed-in researcher.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RankedNeedItem {
    /// Need id.
    pub need: String,
    /// Need title.
    pub title: String,
    /// How well it fits; comparable across needs for the same researcher.
    pub score: f32,
    /// Words the need shares with the researcher's profile and works.
    pub matched_terms: Vec<String>,
}

impl From<RankedNeed> for RankedNeedItem {
    fn from(r: RankedNeed) -> Self {
        RankedNeedItem {
            need: r.need,
            title: r.title,
            score: r.score,
            matched_terms: r.matched_terms,
        }
    }
}

/// A department a coordinator paired the researcher with (no coordinator notes).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MatchedDepartmentItem {
    /// Municipal unit id.
    pub unit: String,
    /// Unit name.
    pub unit_name: String,
    /// When the pairing was accepted (UTC).
    pub since: String,
    /// The department's open needs.
    pub needs: Vec<NeedDto>,
}

impl From<MatchedDepartment> for MatchedDepartmentItem {
    fn from(m: MatchedDepartment) -> Self {
        MatchedDepartmentItem {
            unit: m.unit,
            unit_name: m.unit_name,
            since: m.since,
            needs: m.needs.into_iter().map(NeedDto::from).collect(),
        }
    }
}

/// "Needs for me": what the signed-in researcher sees on their own page.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NeedsForMe {
    /// Open needs ranked from the researcher's own profile and works, best first.
    pub needs: Vec<RankedNeedItem>,
    /// Ids of the needs the researcher marked as interesting.
    pub interested: Vec<String>,
    /// Departments a coordinator paired the researcher with, newest first.
    pub matched: Vec<MatchedDepartmentItem>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use kobler_core::NeedStatus;
    use serde_json::{Map, json};

    #[test]
    fn need_json_keeps_unknown_fields_but_not_over_known_ones() {
        let mut extra = Map::new();
        extra.insert("budget".into(), json!(50000));
        extra.insert("type".into(), json!("need"));
        let need = Need {
            id: "n1".into(),
            title: "Tittel".into(),
            description: "Beskrivelse".into(),
            unit: Some("u1".into()),
            focus_areas: vec!["innovasjon".into()],
            kinds: Vec::new(),
            posted: None,
            deadline: None,
            status: NeedStatus::Open,
            contact: None,
            extra,
        };
        let value = serde_json::to_value(NeedDto::from(need)).expect("json");
        assert_eq!(value["id"], "n1");
        assert_eq!(value["status"], "open");
        assert_eq!(value["budget"], 50000);
        assert!(value.get("type").is_none());
        assert_eq!(value["kinds"], json!([]));
    }
}
