//! The coordinator's review desk: suggested pairings (accept / reject / defer with a note),
//! overlap flags and clusters (confirm / dismiss), and the portfolio.

use super::WebError;
use super::forms::{FormData, focus_label, status_label};
use super::pages::{Page, render};
use super::session::{Viewer, check_csrf};
use crate::AppState;
use crate::limits::note_problem;
use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::extract::rejection::FormRejection;
use axum::response::{IntoResponse, Redirect, Response};
use kobler_core::Kind;
use kobler_engine::access::is_coordinator;
use kobler_engine::{
    Decision, MatchVia, OVERLAP_THRESHOLD, OverlapCluster, OverlapPair, PairingDecision,
    PairingSuggestion, PairingVerdict, SessionUser, cluster_overlaps,
};
use std::collections::HashMap;

/// Suggestions per department in the queue.
const QUEUE_PER_UNIT: usize = 3;

fn coordinator<'a>(viewer: &'a Viewer, here: &str) -> Result<&'a SessionUser, WebError> {
    let session = viewer.require(here)?;
    if is_coordinator(&session.user) {
        Ok(session)
    } else {
        Err(WebError::Forbidden("coordinators only".into()))
    }
}

/// A past decision as the audit list shows it.
pub(crate) struct AuditRow {
    pub unit: String,
    pub researcher: String,
    pub verdict: &'static str,
    pub note: String,
    pub by: String,
    pub at: String,
}

#[derive(Template)]
#[template(path = "queue.html")]
pub(crate) struct QueuePage {
    pub page: Page,
    pub queue: Vec<PairingSuggestion>,
    pub audit: Vec<AuditRow>,
}

fn verdict_label(verdict: PairingVerdict) -> &'static str {
    match verdict {
        PairingVerdict::Accepted => "Godtatt",
        PairingVerdict::Rejected => "Avvist",
        PairingVerdict::Deferred => "Utsatt",
    }
}

/// `GET /koordinering/forslag`.
pub(crate) async fn queue(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Response, WebError> {
    let session = coordinator(&viewer, "/koordinering/forslag")?;
    let queue = state
        .engine
        .pairing_queue(&session.user, QUEUE_PER_UNIT)
        .await?
        .value;
    let decisions: Vec<PairingDecision> = state.engine.pairing_decisions(&session.user).await?;
    let units: Vec<String> = decisions.iter().map(|d| d.unit.clone()).collect();
    let people: Vec<String> = decisions.iter().map(|d| d.researcher.clone()).collect();
    let unit_names = state.engine.names_of(Kind::Unit, &units).await?;
    let names = state.engine.names_of(Kind::Researcher, &people).await?;
    let audit = decisions
        .into_iter()
        .rev()
        .take(50)
        .map(|d| AuditRow {
            unit: unit_names.get(&d.unit).cloned().unwrap_or(d.unit),
            researcher: names.get(&d.researcher).cloned().unwrap_or(d.researcher),
            verdict: verdict_label(d.decision),
            note: d.note.unwrap_or_default(),
            by: d.decided_by,
            at: d.decided_at,
        })
        .collect();
    Ok(render(&QueuePage {
        page: Page::new("Forslag til koblinger", "forslag", Some(session)),
        queue,
        audit,
    }))
}

/// `POST /koordinering/forslag`: `enhet`, `forsker`, `beslutning` (accept, reject, defer),
/// `notat`.
pub(crate) async fn decide(
    State(state): State<AppState>,
    viewer: Viewer,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Result<Response, WebError> {
    let session = viewer.require("/koordinering/forslag")?;
    let form = FormData::read(form)?;
    check_csrf(session, &form)?;
    let verdict: PairingVerdict = form
        .get("beslutning")
        .unwrap_or_default()
        .parse()
        .map_err(WebError::Invalid)?;
    let decision = state
        .engine
        .decide_pairing(
            &session.user,
            form.get("enhet").unwrap_or_default(),
            form.get("forsker").unwrap_or_default(),
            verdict,
            form.get("notat").map(str::to_string),
        )
        .await?;
    tracing::info!(unit = %decision.unit, researcher = %decision.researcher, decision = decision.decision.as_str(), user = %session.user.name, "pairing decided (web)");
    Ok(Redirect::to("/koordinering/forslag").into_response())
}

#[derive(Template)]
#[template(path = "overlaps.html")]
pub(crate) struct OverlapsPage {
    pub page: Page,
    pub pairs: Vec<OverlapPair>,
    pub clusters: Vec<OverlapCluster>,
    pub titles: HashMap<String, String>,
}

impl OverlapsPage {
    pub(crate) fn title(&self, id: &str) -> String {
        self.titles
            .get(id)
            .cloned()
            .unwrap_or_else(|| id.to_string())
    }
}

/// `GET /koordinering/overlapp`.
pub(crate) async fn overlaps(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Response, WebError> {
    let session = coordinator(&viewer, "/koordinering/overlapp")?;
    let pairs = state
        .engine
        .flagged_overlaps(&session.user, OVERLAP_THRESHOLD)
        .await?
        .value;
    let clusters = cluster_overlaps(&pairs);
    let mut need_ids = Vec::new();
    let mut project_ids = Vec::new();
    for pair in &pairs {
        need_ids.push(pair.a.clone());
        need_ids.push(pair.b.clone());
        project_ids.push(pair.b.clone());
    }
    let mut titles = state.engine.names_of(Kind::Need, &need_ids).await?;
    for (id, title) in state.engine.names_of(Kind::Project, &project_ids).await? {
        titles.entry(id).or_insert(title);
    }
    Ok(render(&OverlapsPage {
        page: Page::new(
            "Overlappende behov og prosjekter",
            "overlapp",
            Some(session),
        ),
        pairs,
        clusters,
        titles,
    }))
}

/// `POST /koordinering/overlapp`: `a`, `b`, `beslutning` (confirm, dismiss), `notat`.
pub(crate) async fn decide_overlap(
    State(state): State<AppState>,
    viewer: Viewer,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Result<Response, WebError> {
    let session = viewer.require("/koordinering/overlapp")?;
    let form = FormData::read(form)?;
    check_csrf(session, &form)?;
    if !is_coordinator(&session.user) {
        return Err(WebError::Forbidden("coordinators only".into()));
    }
    if let Some(problem) = note_problem(form.get("notat")) {
        return Err(WebError::Invalid(problem));
    }
    let decision: Decision = form
        .get("beslutning")
        .unwrap_or_default()
        .parse()
        .map_err(WebError::Invalid)?;
    state
        .engine
        .decide_overlap(
            form.get("a").unwrap_or_default(),
            form.get("b").unwrap_or_default(),
            decision,
            form.get("notat").map(str::to_string),
            &session.user,
        )
        .await?;
    Ok(Redirect::to("/koordinering/overlapp").into_response())
}

/// One bar of a chart: label, value as said, and its length in the drawing.
pub(crate) struct Bar {
    pub label: String,
    pub value: String,
    pub width: usize,
    pub y: usize,
}

/// A horizontal bar chart, drawn by the server as SVG, with the same figures as a table.
pub(crate) struct Chart {
    pub id: &'static str,
    pub title: &'static str,
    /// The table's heading for the figures.
    pub measure: &'static str,
    pub bars: Vec<Bar>,
    pub height: usize,
}

/// Width of the longest bar, in SVG units.
const BAR_MAX: usize = 340;
/// Vertical distance between bars.
const BAR_STEP: usize = 34;

/// A chart of (label, value, value as said), bars in the order given.
fn chart(
    id: &'static str,
    title: &'static str,
    measure: &'static str,
    items: Vec<(String, f64, String)>,
) -> Chart {
    let max = items.iter().map(|i| i.1).fold(0.0f64, f64::max).max(1e-9);
    let bars: Vec<Bar> = items
        .into_iter()
        .enumerate()
        .map(|(i, (label, value, said))| Bar {
            label,
            width: ((value / max * BAR_MAX as f64).round() as usize).max(2),
            value: said,
            y: i * BAR_STEP,
        })
        .collect();
    Chart {
        id,
        title,
        measure,
        height: bars.len().max(1) * BAR_STEP,
        bars,
    }
}

/// A chart of counts, most first.
fn count_chart(id: &'static str, title: &'static str, counts: Vec<(String, usize)>) -> Chart {
    chart(
        id,
        title,
        "Antall behov",
        counts
            .into_iter()
            .map(|(label, n)| (label, n as f64, n.to_string()))
            .collect(),
    )
}

/// Days as said on the page: whole days, a half where a median falls between two.
pub(crate) fn days_said(days: f64) -> String {
    let text = if days.fract() == 0.0 {
        format!("{days:.0}")
    } else {
        format!("{days:.1}").replace('.', ",")
    };
    if days == 1.0 {
        format!("{text} dag")
    } else {
        format!("{text} dager")
    }
}

/// A need waiting for its first match, as the page lists it.
pub(crate) struct WaitingNeed {
    pub id: String,
    pub title: String,
    pub posted: String,
    pub waiting: String,
}

#[derive(Template)]
#[template(path = "portfolio.html")]
pub(crate) struct PortfolioPage {
    pub page: Page,
    pub total: usize,
    pub charts: Vec<Chart>,
    pub first_match_charts: Vec<Chart>,
    pub matched: usize,
    pub unmatched: usize,
    pub without_posting_date: usize,
    pub median: Option<String>,
    pub via_interest: usize,
    pub via_pairing: usize,
    pub waiting: Vec<WaitingNeed>,
}

/// How many needs waiting for a first match the page lists.
const WAITING_LISTED: usize = 10;

/// `GET /koordinering/portefolje`: needs by focus area, status and municipality, and the time
/// from posting to first match.
pub(crate) async fn portfolio(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Response, WebError> {
    let session = coordinator(&viewer, "/koordinering/portefolje")?;
    let portfolio = state.engine.portfolio(&session.user).await?.value;
    let fm = &portfolio.first_match;
    let counts = |counts: &[kobler_engine::PortfolioCount], label: fn(&str) -> &str| {
        counts
            .iter()
            .map(|c| (label(&c.key).to_string(), c.needs))
            .collect::<Vec<_>>()
    };
    let by_municipality = portfolio
        .by_municipality
        .iter()
        .map(|c| {
            let name = match (&c.name, c.key.is_empty()) {
                (Some(name), _) => name.clone(),
                (None, true) => "Uten kommune".to_string(),
                (None, false) => c.key.clone(),
            };
            (name, c.needs)
        })
        .collect();
    let by_focus_days = fm
        .by_focus
        .iter()
        .filter_map(|g| {
            let median = g.median_days?;
            Some((
                focus_label(&g.key).to_string(),
                median,
                format!("{} ({} av {} behov)", days_said(median), g.matched, g.needs),
            ))
        })
        .collect();
    let bands = fm
        .distribution
        .iter()
        .map(|b| {
            let label = match b.to_days {
                Some(to) if b.from_days == 0 => format!("0–{to} dager"),
                Some(to) => format!("{}–{to} dager", b.from_days),
                None => format!("Over {} dager", b.from_days - 1),
            };
            (label, b.needs as f64, b.needs.to_string())
        })
        .collect();
    let waiting = fm
        .needs
        .iter()
        .filter(|n| n.days.is_none() && n.status == "open")
        .take(WAITING_LISTED)
        .map(|n| WaitingNeed {
            id: n.need.clone(),
            title: n.title.clone(),
            posted: n.posted.clone(),
            waiting: days_said(n.waiting_days.unwrap_or(0) as f64),
        })
        .collect();
    Ok(render(&PortfolioPage {
        page: Page::new("Portefølje", "portefolje", Some(session)),
        total: portfolio.total,
        charts: vec![
            count_chart(
                "fokus",
                "Behov per fokusområde",
                counts(&portfolio.by_focus, focus_label),
            ),
            count_chart(
                "status",
                "Behov per status",
                counts(&portfolio.by_status, status_label),
            ),
            count_chart("kommune", "Behov per kommune", by_municipality),
        ],
        first_match_charts: vec![
            chart(
                "treff-fokus",
                "Median tid til første treff per fokusområde",
                "Median (behov med treff av alle)",
                by_focus_days,
            ),
            chart(
                "treff-fordeling",
                "Behov med treff etter antall dager til første treff",
                "Antall behov",
                bands,
            ),
        ],
        matched: fm.matched,
        unmatched: fm.unmatched,
        without_posting_date: fm.without_posting_date,
        median: fm.median_days.map(days_said),
        via_interest: fm
            .needs
            .iter()
            .filter(|n| n.via == Some(MatchVia::Interest))
            .count(),
        via_pairing: fm
            .needs
            .iter()
            .filter(|n| n.via == Some(MatchVia::Pairing))
            .count(),
        waiting,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_are_said_in_norwegian_with_a_decimal_comma() {
        assert_eq!(days_said(1.0), "1 dag");
        assert_eq!(days_said(12.0), "12 dager");
        assert_eq!(days_said(12.5), "12,5 dager");
    }

    #[test]
    fn the_longest_bar_is_the_largest_value_and_none_vanishes() {
        let c = chart(
            "x",
            "X",
            "Antall",
            vec![
                ("a".into(), 10.0, "10".into()),
                ("b".into(), 0.0, "0".into()),
                ("c".into(), 5.0, "5".into()),
            ],
        );
        assert_eq!(c.bars[0].width, BAR_MAX);
        assert_eq!(c.bars[1].width, 2);
        assert_eq!(c.bars[2].width, BAR_MAX / 2);
        assert_eq!(c.height, 3 * BAR_STEP);
    }
}
