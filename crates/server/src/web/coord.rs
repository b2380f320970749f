//! The coordinator's review desk: suggested pairings (accept / reject / defer with a note),
//! overlap flags and clusters (confirm / dismiss), and the portfolio.

use super::WebError;
use super::forms::{FormData, focus_label, status_label};
use super::needs::Places;
use super::pages::{Page, render};
use super::session::{Viewer, check_csrf};
use crate::AppState;
use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::extract::rejection::FormRejection;
use axum::response::{IntoResponse, Redirect, Response};
use kobler_core::{Kind, NeedStatus, Record};
use kobler_engine::access::is_coordinator;
use kobler_engine::{
    Decision, OVERLAP_THRESHOLD, OverlapCluster, OverlapPair, PairingDecision, PairingSuggestion,
    PairingVerdict, SessionUser, cluster_overlaps,
};
use std::collections::{BTreeMap, HashMap};

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
        .await?;
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
    let pairs = state.engine.overlaps(OVERLAP_THRESHOLD).await?;
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

/// One bar of a chart: label, count, and its length in the drawing.
pub(crate) struct Bar {
    pub label: String,
    pub count: usize,
    pub width: usize,
    pub y: usize,
}

/// A horizontal bar chart, drawn by the server as SVG.
pub(crate) struct Chart {
    pub id: &'static str,
    pub title: &'static str,
    pub bars: Vec<Bar>,
    pub height: usize,
}

/// Width of the longest bar, in SVG units.
const BAR_MAX: usize = 360;
/// Vertical distance between bars.
const BAR_STEP: usize = 34;

fn chart(id: &'static str, title: &'static str, counts: BTreeMap<String, usize>) -> Chart {
    let mut counts: Vec<(String, usize)> = counts.into_iter().collect();
    counts.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let max = counts.first().map_or(1, |c| c.1.max(1));
    let bars: Vec<Bar> = counts
        .into_iter()
        .enumerate()
        .map(|(i, (label, count))| Bar {
            label,
            width: (count * BAR_MAX / max).max(2),
            count,
            y: i * BAR_STEP,
        })
        .collect();
    Chart {
        id,
        title,
        height: bars.len().max(1) * BAR_STEP,
        bars,
    }
}

#[derive(Template)]
#[template(path = "portfolio.html")]
pub(crate) struct PortfolioPage {
    pub page: Page,
    pub total: usize,
    pub charts: Vec<Chart>,
}

/// `GET /koordinering/portefolje`: needs by focus area, status and municipality.
pub(crate) async fn portfolio(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Response, WebError> {
    let session = coordinator(&viewer, "/koordinering/portefolje")?;
    let places = Places::load(&state).await?;
    let mut by_focus = BTreeMap::new();
    let mut by_status = BTreeMap::new();
    let mut by_municipality = BTreeMap::new();
    let mut total = 0;
    for record in state.engine.store().list(Kind::Need).await? {
        let Record::Need(need) = record else { continue };
        if need.status == NeedStatus::Draft {
            continue;
        }
        total += 1;
        for area in &need.focus_areas {
            *by_focus.entry(focus_label(area).to_string()).or_insert(0) += 1;
        }
        *by_status
            .entry(status_label(need.status.as_str()).to_string())
            .or_insert(0) += 1;
        let municipality = places
            .municipality_of(need.unit.as_deref())
            .and_then(|m| places.municipalities.get(m))
            .cloned()
            .unwrap_or_else(|| "Uten kommune".into());
        *by_municipality.entry(municipality).or_insert(0) += 1;
    }
    Ok(render(&PortfolioPage {
        page: Page::new("Portefølje", "portefolje", Some(session)),
        total,
        charts: vec![
            chart("fokus", "Behov per fokusområde", by_focus),
            chart("status", "Behov per status", by_status),
            chart("kommune", "Behov per kommune", by_municipality),
        ],
    }))
}
