//! Needs in the web interface: search (everyone), a need's page, posting and editing (staff of
//! the unit, coordinators), interest (researchers), the unit's list and "for me".

use super::WebError;
use super::forms::{
    FormData, encode, field_message, focus_label, form_field, kind_label, local_path, need_path,
    status_label,
};
use super::pages::{Page, render};
use super::session::{Viewer, check_csrf};
use crate::AppState;
use crate::limits::{MAX_QUERY_CHARS, MAX_QUERY_TERMS, query_problem};
use askama::Template;
use axum::Form;
use axum::extract::rejection::{FormRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use kobler_core::taxonomy::{COLLABORATION_KINDS, FOCUS_AREAS};
use kobler_core::{Need, NeedStatus};
use kobler_engine::access::{may_see, works_on};
use kobler_engine::{
    EngineError, FacetValue, InterestedResearcher, MatchedDepartment, MatchedResearcher,
    NeedSearchRequest, NeedSearchResult, NeedSort, RankedNeed, ResearcherSuggestion, Role,
    SessionUser, Similar, User,
};
use serde::Deserialize;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap};

/// Needs per page of search results.
const PAGE_SIZE: usize = 20;
/// The deepest result reachable by paging (50 pages).
const SEARCH_DEPTH: usize = 1_000;
/// Page links shown on each side of the current page.
const PAGE_WINDOW: usize = 3;

/// A need in a list.
#[derive(Debug, Clone)]
pub(crate) struct NeedRow {
    pub id: String,
    pub title: String,
    pub status: String,
    pub status_label: String,
    pub unit: String,
    pub municipality: String,
    pub focus: Vec<String>,
    pub deadline: String,
    /// The search snippet as HTML, the query's words in `<mark>` (escaped by the index).
    pub snippet_html: String,
}

/// Units and municipalities by id: (name, municipality id) and name.
pub(crate) struct Places {
    pub units: HashMap<String, (String, Option<String>)>,
    pub municipalities: BTreeMap<String, String>,
}

impl Places {
    pub(crate) async fn load(state: &AppState) -> Result<Places, WebError> {
        let directory = state.engine.directory().await?;
        let units = directory
            .units
            .iter()
            .map(|(id, u)| (id.clone(), (u.name.clone(), u.municipality.clone())))
            .collect();
        Ok(Places {
            units,
            municipalities: directory.municipalities.clone(),
        })
    }

    pub(crate) fn unit_name(&self, unit: Option<&str>) -> String {
        unit.and_then(|u| self.units.get(u))
            .map(|(name, _)| name.clone())
            .unwrap_or_default()
    }

    pub(crate) fn municipality_of(&self, unit: Option<&str>) -> Option<&str> {
        unit.and_then(|u| self.units.get(u))
            .and_then(|(_, m)| m.as_deref())
    }

    pub(crate) fn row(&self, need: &Need) -> NeedRow {
        NeedRow {
            id: need.id.clone(),
            title: need.title.clone(),
            status: need.status.as_str().to_string(),
            status_label: status_label(need.status.as_str()).to_string(),
            unit: self.unit_name(need.unit.as_deref()),
            municipality: self
                .municipality_of(need.unit.as_deref())
                .and_then(|m| self.municipalities.get(m))
                .cloned()
                .unwrap_or_default(),
            focus: need
                .focus_areas
                .iter()
                .map(|f| focus_label(f).to_string())
                .collect(),
            deadline: need.deadline.clone().unwrap_or_default(),
            snippet_html: String::new(),
        }
    }
}

/// A choice in a select or a set of checkboxes.
#[derive(Debug, Clone)]
pub(crate) struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

fn choices(values: &[&str], label: fn(&str) -> &str, selected: &[String]) -> Vec<Choice> {
    values
        .iter()
        .map(|v| Choice {
            value: (*v).to_string(),
            label: label(v).to_string(),
            selected: selected.iter().any(|s| s == v),
        })
        .collect()
}

/// Query of the search page.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct SearchQuery {
    q: Option<String>,
    fokus: Option<String>,
    kommune: Option<String>,
    enhet: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    sprak: Option<String>,
    status: Option<String>,
    sorter: Option<String>,
    side: Option<String>,
}

/// A facet as a select: its values with counts.
#[derive(Debug, Clone)]
pub(crate) struct Facet {
    pub id: &'static str,
    pub label: &'static str,
    pub any: &'static str,
    pub choices: Vec<Choice>,
}

#[derive(Template)]
#[template(path = "needs_search.html")]
pub(crate) struct SearchPage {
    pub page: Page,
    pub q: String,
    /// Why the query was not searched (too long), shown at the field.
    pub query_error: Option<String>,
    pub facets: Vec<Facet>,
    pub sorts: Vec<Choice>,
    pub rows: Vec<NeedRow>,
    pub total: usize,
    pub page_no: usize,
    pub pages: usize,
    pub first_shown: usize,
    pub last_shown: usize,
    pub page_links: Vec<(usize, String)>,
    pub prev_link: Option<String>,
    pub next_link: Option<String>,
}

/// The interface's name of a language code.
pub(crate) fn language_label(code: &str) -> &str {
    match code {
        "nb" => "Bokmål",
        "nn" => "Nynorsk",
        "en" => "Engelsk",
        "other" => "Annet språk",
        other => other,
    }
}

/// A facet's choices: every known value (or only those with needs, for long lists) with its
/// count, in the given order, the chosen one kept even at zero.
fn facet_choices(
    known: Vec<(String, String)>,
    counts: &[FacetValue],
    selected: &str,
    hide_empty: bool,
) -> Vec<Choice> {
    let count: HashMap<&str, usize> = counts.iter().map(|c| (c.value.as_str(), c.count)).collect();
    known
        .into_iter()
        .filter_map(|(value, label)| {
            let n = count.get(value.as_str()).copied().unwrap_or(0);
            let chosen = value == selected;
            (n > 0 || chosen || !hide_empty).then(|| Choice {
                label: format!("{label} ({n})"),
                selected: chosen,
                value,
            })
        })
        .collect()
}

/// `GET /behov`: full-text search with facets (focus area, municipality, department, kind,
/// language, status) and their counts, sorting and pages.
pub(crate) async fn search(
    State(state): State<AppState>,
    Viewer(viewer): Viewer,
    query: Result<Query<SearchQuery>, QueryRejection>,
) -> Result<Response, WebError> {
    // Unreadable parameters fall back to the plain search page rather than an error.
    let query = query.map(|Query(q)| q).unwrap_or_default();
    let value = |v: &Option<String>| v.as_deref().unwrap_or_default().trim().to_string();
    let q = value(&query.q);
    let status = query
        .status
        .clone()
        .filter(|s| !s.trim().is_empty())
        .unwrap_or_else(|| "open".into());
    let focus = value(&query.fokus);
    let municipality = value(&query.kommune);
    let unit = value(&query.enhet);
    let kind = value(&query.kind);
    let language = value(&query.sprak);
    let sort_key = match query.sorter.as_deref() {
        Some(s @ ("relevans" | "frist" | "nyeste")) => s,
        _ if q.is_empty() => "nyeste",
        _ => "relevans",
    };
    let sort = match sort_key {
        "frist" => NeedSort::Deadline,
        "nyeste" => NeedSort::Newest,
        _ => NeedSort::Relevance,
    };
    let page_no = query
        .side
        .as_deref()
        .and_then(|s| s.parse::<usize>().ok())
        .unwrap_or(1)
        .clamp(1, SEARCH_DEPTH / PAGE_SIZE);
    let one = |v: &str| {
        if v.is_empty() {
            Vec::new()
        } else {
            vec![v.to_string()]
        }
    };
    let request = NeedSearchRequest {
        text: q.clone(),
        focus_areas: one(&focus),
        kinds: one(&kind),
        languages: one(&language),
        units: one(&unit),
        municipalities: one(&municipality),
        statuses: if status == "alle" {
            Vec::new()
        } else {
            one(&status)
        },
        sort,
        offset: (page_no - 1) * PAGE_SIZE,
        limit: PAGE_SIZE,
    };
    // A query over the limits is not searched: the page says why, next to the field.
    let query_error = query_problem(&q).map(|_| {
        format!("Søket er for langt. Bruk høyst {MAX_QUERY_CHARS} tegn og {MAX_QUERY_TERMS} ord.")
    });
    let found = if query_error.is_some() {
        NeedSearchResult::default()
    } else {
        state.engine.browse_needs(&request).await?
    };
    let places = Places::load(&state).await?;
    let total = found.total;
    let pages = total.div_ceil(PAGE_SIZE).max(1);
    let rows: Vec<NeedRow> = found
        .needs
        .iter()
        .map(|f| {
            let mut row = places.row(&f.need);
            if !q.is_empty() {
                row.snippet_html = f.hit.snippet_html.clone();
            }
            row
        })
        .collect();
    let link = |n: usize| {
        format!(
            "/behov?q={}&fokus={}&kommune={}&enhet={}&type={}&sprak={}&status={}&sorter={}&side={n}",
            encode(&q),
            encode(&focus),
            encode(&municipality),
            encode(&unit),
            encode(&kind),
            encode(&language),
            encode(&status),
            sort_key,
        )
    };
    let facets = &found.facets;
    let status_counts: usize = facets.statuses.iter().map(|c| c.count).sum();
    let mut unit_names: Vec<(String, String)> = places
        .units
        .iter()
        .map(|(id, (name, m))| {
            let place = m
                .as_ref()
                .and_then(|m| places.municipalities.get(m))
                .map(|m| format!("{name}, {m}"))
                .unwrap_or_else(|| name.clone());
            (id.clone(), place)
        })
        .collect();
    unit_names.sort_by(|a, b| a.1.cmp(&b.1));
    let named = |values: &[&str], label: fn(&str) -> &str| {
        values
            .iter()
            .map(|v| ((*v).to_string(), label(v).to_string()))
            .collect::<Vec<_>>()
    };
    let mut statuses = facet_choices(
        named(&["open", "matched", "closed"], status_label),
        &facets.statuses,
        &status,
        false,
    );
    statuses.push(Choice {
        value: "alle".into(),
        label: format!("Alle ({status_counts})"),
        selected: status == "alle",
    });
    let first_shown = if rows.is_empty() {
        0
    } else {
        (page_no - 1) * PAGE_SIZE + 1
    };
    let last_shown = (page_no - 1) * PAGE_SIZE + rows.len();
    let page = SearchPage {
        page: Page::new("Søk i kunnskapsbehov", "behov", viewer.as_ref()),
        facets: vec![
            Facet {
                id: "fokus",
                label: "Fokusområde",
                any: "Alle fokusområder",
                choices: facet_choices(
                    named(FOCUS_AREAS, focus_label),
                    &facets.focus_areas,
                    &focus,
                    false,
                ),
            },
            Facet {
                id: "kommune",
                label: "Kommune",
                any: "Alle kommuner",
                choices: facet_choices(
                    places
                        .municipalities
                        .iter()
                        .map(|(id, name)| (id.clone(), name.clone()))
                        .collect(),
                    &facets.municipalities,
                    &municipality,
                    false,
                ),
            },
            Facet {
                id: "enhet",
                label: "Enhet",
                any: "Alle enheter",
                choices: facet_choices(unit_names, &facets.units, &unit, true),
            },
            Facet {
                id: "type",
                label: "Samarbeidsform",
                any: "Alle samarbeidsformer",
                choices: facet_choices(
                    named(COLLABORATION_KINDS, kind_label),
                    &facets.kinds,
                    &kind,
                    false,
                ),
            },
            Facet {
                id: "sprak",
                label: "Språk",
                any: "Alle språk",
                choices: facet_choices(
                    named(&["nb", "nn", "en", "other"], language_label),
                    &facets.languages,
                    &language,
                    true,
                ),
            },
            Facet {
                id: "status",
                label: "Status",
                any: "",
                choices: statuses,
            },
        ],
        sorts: [
            ("relevans", "Best treff"),
            ("frist", "Nærmeste frist"),
            ("nyeste", "Nyeste"),
        ]
        .iter()
        .map(|(v, l)| Choice {
            value: (*v).to_string(),
            label: (*l).to_string(),
            selected: *v == sort_key,
        })
        .collect(),
        prev_link: (page_no > 1).then(|| link(page_no - 1)),
        next_link: (page_no < pages).then(|| link(page_no + 1)),
        page_links: (page_no.saturating_sub(PAGE_WINDOW).max(1)
            ..=(page_no + PAGE_WINDOW)
                .min(pages)
                .min(SEARCH_DEPTH / PAGE_SIZE))
            .map(|n| (n, link(n)))
            .collect(),
        q: q.clone(),
        query_error: query_error.clone(),
        rows,
        total,
        page_no,
        pages,
        first_shown,
        last_shown,
    };
    let mut response = render(&page);
    if query_error.is_some() {
        *response.status_mut() = StatusCode::BAD_REQUEST;
    }
    Ok(response)
}

#[derive(Template)]
#[template(path = "need.html")]
pub(crate) struct NeedPage {
    pub page: Page,
    pub need: NeedRow,
    pub description: String,
    pub kinds: Vec<String>,
    pub contact: String,
    pub posted: String,
    pub can_edit: bool,
    pub is_open: bool,
    pub can_mark: bool,
    pub marked: bool,
    pub interested: Vec<InterestedResearcher>,
    pub suggestions: Vec<ResearcherSuggestion>,
}

async fn load_need(state: &AppState, id: &str, user: Option<&User>) -> Result<Need, WebError> {
    match state.engine.need(id).await? {
        Some(need) if may_see(user, &need) => Ok(need),
        _ => Err(WebError::NotFound(format!("need {id:?}"))),
    }
}

fn path_id(id: Result<Path<String>, PathRejection>) -> Result<String, WebError> {
    id.map(|Path(id)| id)
        .map_err(|e| WebError::BadRequest(e.body_text()))
}

/// `GET /behov/{id}`: the need; for those who work on it also who is interested and the
/// suggested researchers; for researchers the "interested" button.
pub(crate) async fn show(
    State(state): State<AppState>,
    Viewer(viewer): Viewer,
    id: Result<Path<String>, PathRejection>,
) -> Result<Response, WebError> {
    let id = path_id(id)?;
    let user = viewer.as_ref().map(|s| &s.user);
    let need = load_need(&state, &id, user).await?;
    let places = Places::load(&state).await?;
    let can_edit = user.is_some_and(|u| works_on(u, &need));
    let (interested, suggestions) = match user {
        Some(u) if can_edit => (
            state.engine.interest_in(u, &need.id).await?,
            Vec::clone(&*state.engine.need_matches(&need, 10).await?),
        ),
        _ => (Vec::new(), Vec::new()),
    };
    let can_mark = user.is_some_and(|u| u.role == Role::Researcher && u.researcher.is_some());
    let marked = match user {
        Some(u) if can_mark => state.engine.my_interest(u).await?.contains(&need.id),
        _ => false,
    };
    let page = NeedPage {
        page: Page::new(&need.title, "behov", viewer.as_ref()),
        need: places.row(&need),
        description: need.description.clone(),
        kinds: need
            .kinds
            .iter()
            .map(|k| kind_label(k).to_string())
            .collect(),
        contact: need.contact.clone().unwrap_or_default(),
        posted: need.posted.clone().unwrap_or_default(),
        can_edit,
        is_open: need.status == NeedStatus::Open,
        can_mark,
        marked,
        interested,
        suggestions,
    };
    Ok(render(&page))
}

/// The need form's values and errors, for posting and for editing.
#[derive(Template)]
#[template(path = "need_form.html")]
pub(crate) struct NeedFormPage {
    pub page: Page,
    pub action: String,
    pub editing: bool,
    pub title: String,
    pub description: String,
    pub focus: Vec<Choice>,
    pub kinds: Vec<Choice>,
    pub deadline: String,
    pub contact: String,
    pub units: Vec<Choice>,
    pub choose_unit: bool,
    pub errors: Vec<(String, String)>,
}

impl NeedFormPage {
    /// The error shown at a form field, if any.
    pub(crate) fn error(&self, field: &str) -> Option<&str> {
        self.errors
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.as_str())
    }
}

/// The municipal units a coordinator can post for.
async fn municipal_units(state: &AppState, selected: &str) -> Result<Vec<Choice>, WebError> {
    let mut units: Vec<Choice> = state
        .engine
        .directory()
        .await?
        .municipal_units()
        .into_iter()
        .map(|(id, name)| Choice {
            selected: id == selected,
            value: id,
            label: name,
        })
        .collect();
    units.sort_by(|a, b| a.label.cmp(&b.label));
    Ok(units)
}

/// Staff, coordinators and admins post needs; researchers do not.
fn may_post(session: &SessionUser) -> Result<(), WebError> {
    match session.user.role {
        Role::Staff | Role::Coordinator | Role::Admin => Ok(()),
        _ => Err(WebError::Forbidden(
            "only staff and coordinators post needs".into(),
        )),
    }
}

async fn blank_form(
    state: &AppState,
    session: &SessionUser,
    action: &str,
    title: &str,
) -> Result<NeedFormPage, WebError> {
    let choose_unit = session.user.role != Role::Staff;
    Ok(NeedFormPage {
        page: Page::new(title, "ny", Some(session)),
        action: action.to_string(),
        editing: false,
        title: String::new(),
        description: String::new(),
        focus: choices(FOCUS_AREAS, focus_label, &[]),
        kinds: choices(COLLABORATION_KINDS, kind_label, &[]),
        deadline: String::new(),
        contact: String::new(),
        units: if choose_unit {
            municipal_units(state, "").await?
        } else {
            Vec::new()
        },
        choose_unit,
        errors: Vec::new(),
    })
}

/// `GET /behov/ny`.
pub(crate) async fn new_form(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Response, WebError> {
    let session = viewer.require("/behov/ny")?;
    may_post(session)?;
    Ok(render(
        &blank_form(&state, session, "/behov/ny", "Meld inn et kunnskapsbehov").await?,
    ))
}

/// The form as the JSON body the engine reads (`null` for a field left empty, so editing can
/// clear it).
fn need_body(form: &FormData, with_unit: bool) -> Value {
    let text = |name: &str| {
        form.get(name)
            .map_or(Value::Null, |v| Value::String(v.to_string()))
    };
    let mut body = Map::new();
    body.insert(
        "title".into(),
        Value::String(form.get("tittel").unwrap_or_default().into()),
    );
    body.insert(
        "description".into(),
        Value::String(form.get("beskrivelse").unwrap_or_default().into()),
    );
    body.insert(
        "focus_areas".into(),
        Value::Array(form.all("fokus").into_iter().map(Value::String).collect()),
    );
    body.insert(
        "kinds".into(),
        Value::Array(form.all("typer").into_iter().map(Value::String).collect()),
    );
    body.insert("deadline".into(), text("frist"));
    body.insert("contact".into(), text("kontakt"));
    if with_unit {
        body.insert("unit".into(), text("enhet"));
    }
    Value::Object(body)
}

/// Refills the form after the engine refused it, with a Norwegian message at each field.
async fn refused_form(
    state: &AppState,
    session: &SessionUser,
    form: &FormData,
    mut page: NeedFormPage,
    error: EngineError,
) -> Result<Response, WebError> {
    let EngineError::InvalidFields(fields) = error else {
        return Err(error.into());
    };
    page.title = form.get("tittel").unwrap_or_default().to_string();
    page.description = form.get("beskrivelse").unwrap_or_default().to_string();
    page.focus = choices(FOCUS_AREAS, focus_label, &form.all("fokus"));
    page.kinds = choices(COLLABORATION_KINDS, kind_label, &form.all("typer"));
    page.deadline = form.get("frist").unwrap_or_default().to_string();
    page.contact = form.get("kontakt").unwrap_or_default().to_string();
    if page.choose_unit {
        page.units = municipal_units(state, form.get("enhet").unwrap_or_default()).await?;
    }
    for field in fields {
        let name = form_field(&field.field).to_string();
        if page.error(&name).is_none() {
            page.errors
                .push((name, field_message(&field.field, &field.reason)));
        }
    }
    page.page = Page::new(
        &format!("Rett opp skjemaet – {}", page.page.title),
        page.page.section,
        Some(session),
    );
    let mut response = render(&page);
    *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(response)
}

#[derive(Template)]
#[template(path = "need_posted.html")]
pub(crate) struct PostedPage {
    pub page: Page,
    pub need: NeedRow,
    pub updated: bool,
    pub similar: Vec<Similar>,
}

impl PostedPage {
    pub(crate) fn is_need(&self, similar: &Similar) -> bool {
        matches!(similar.kind, kobler_engine::DocKind::Need)
    }
}

/// `POST /behov/ny`: posts the need and shows the similar needs and projects at once.
pub(crate) async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Result<Response, WebError> {
    let session = viewer.require("/behov/ny")?;
    let form = FormData::read(form)?;
    check_csrf(session, &form)?;
    may_post(session)?;
    let staff = session.user.role == Role::Staff;
    match state
        .engine
        .create_need(&session.user, &need_body(&form, !staff))
        .await
    {
        Ok((need, similar)) => {
            tracing::info!(need = %need.id, user = %session.user.name, "need posted (web)");
            let places = Places::load(&state).await?;
            let mut response = render(&PostedPage {
                page: Page::new("Behovet er meldt inn", "ny", Some(session)),
                need: places.row(&need),
                updated: false,
                similar,
            });
            *response.status_mut() = StatusCode::CREATED;
            Ok(response)
        }
        Err(error) => {
            let page =
                blank_form(&state, session, "/behov/ny", "Meld inn et kunnskapsbehov").await?;
            refused_form(&state, session, &form, page, error).await
        }
    }
}

/// `GET /behov/{id}/rediger`.
pub(crate) async fn edit_form(
    State(state): State<AppState>,
    viewer: Viewer,
    id: Result<Path<String>, PathRejection>,
) -> Result<Response, WebError> {
    let id = path_id(id)?;
    let session = viewer.require(&need_path(&id, "/rediger"))?;
    let need = load_need(&state, &id, Some(&session.user)).await?;
    if !works_on(&session.user, &need) {
        return Err(WebError::Forbidden("not this unit's need".into()));
    }
    let mut page = blank_form(&state, session, &need_path(&id, "/rediger"), "Endre behov").await?;
    page.editing = true;
    page.choose_unit = false;
    page.title = need.title;
    page.description = need.description;
    page.focus = choices(FOCUS_AREAS, focus_label, &need.focus_areas);
    page.kinds = choices(COLLABORATION_KINDS, kind_label, &need.kinds);
    page.deadline = need.deadline.unwrap_or_default();
    page.contact = need.contact.unwrap_or_default();
    Ok(render(&page))
}

/// `POST /behov/{id}/rediger`.
pub(crate) async fn update(
    State(state): State<AppState>,
    viewer: Viewer,
    id: Result<Path<String>, PathRejection>,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Result<Response, WebError> {
    let id = path_id(id)?;
    let session = viewer.require(&need_path(&id, "/rediger"))?;
    let form = FormData::read(form)?;
    check_csrf(session, &form)?;
    match state
        .engine
        .update_need(&session.user, &id, &need_body(&form, false))
        .await
    {
        Ok((need, similar)) => {
            let places = Places::load(&state).await?;
            Ok(render(&PostedPage {
                page: Page::new("Behovet er endret", "behov", Some(session)),
                need: places.row(&need),
                updated: true,
                similar,
            }))
        }
        Err(error) => {
            let mut page =
                blank_form(&state, session, &need_path(&id, "/rediger"), "Endre behov").await?;
            page.editing = true;
            page.choose_unit = false;
            refused_form(&state, session, &form, page, error).await
        }
    }
}

/// `POST /behov/{id}/status`: close (`status=closed`) or reopen (`status=open`).
pub(crate) async fn set_status(
    State(state): State<AppState>,
    viewer: Viewer,
    id: Result<Path<String>, PathRejection>,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Result<Response, WebError> {
    let id = path_id(id)?;
    let session = viewer.require(&need_path(&id, ""))?;
    let form = FormData::read(form)?;
    check_csrf(session, &form)?;
    let status = match form.get("status") {
        Some("closed") => NeedStatus::Closed,
        Some("open") => NeedStatus::Open,
        _ => return Err(WebError::Invalid("status must be open or closed".into())),
    };
    state
        .engine
        .set_need_status(&session.user, &id, status)
        .await?;
    Ok(Redirect::to(&need_path(&id, "")).into_response())
}

/// `POST /behov/{id}/interesse`: `interessert=ja` marks, anything else unmarks.
pub(crate) async fn interest(
    State(state): State<AppState>,
    viewer: Viewer,
    id: Result<Path<String>, PathRejection>,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Result<Response, WebError> {
    let id = path_id(id)?;
    let session = viewer.require(&need_path(&id, ""))?;
    let form = FormData::read(form)?;
    check_csrf(session, &form)?;
    let on = form.get("interessert") == Some("ja");
    state.engine.set_interest(&session.user, &id, on).await?;
    let back = local_path(form.get("tilbake"));
    let back = if back == "/" {
        need_path(&id, "")
    } else {
        back
    };
    Ok(Redirect::to(&back).into_response())
}

#[derive(Template)]
#[template(path = "unit_needs.html")]
pub(crate) struct UnitNeedsPage {
    pub page: Page,
    pub unit: String,
    pub rows: Vec<NeedRow>,
    pub interest: Vec<usize>,
    pub matched: Vec<MatchedResearcher>,
}

/// `GET /mine-behov`: the staff member's unit's needs, drafts and closed ones included, with
/// how many researchers are interested, and the researchers paired with the unit.
pub(crate) async fn unit_needs(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Response, WebError> {
    let session = viewer.require("/mine-behov")?;
    let unit = match (session.user.role, &session.user.unit) {
        (Role::Staff, Some(unit)) => unit.clone(),
        _ => return Err(WebError::Forbidden("only staff have a unit".into())),
    };
    let places = Places::load(&state).await?;
    let needs = state.engine.unit_needs(&unit).await?;
    let mut interest = Vec::with_capacity(needs.len());
    for need in &needs {
        interest.push(
            state
                .engine
                .interest_in(&session.user, &need.id)
                .await?
                .len(),
        );
    }
    let page = UnitNeedsPage {
        page: Page::new("Våre behov", "mine", Some(session)),
        unit: places.unit_name(Some(&unit)),
        rows: needs.iter().map(|n| places.row(n)).collect(),
        interest,
        matched: state.engine.matched_researchers(&unit).await?,
    };
    Ok(render(&page))
}

#[derive(Template)]
#[template(path = "for_me.html")]
pub(crate) struct ForMePage {
    pub page: Page,
    pub ranked: Vec<RankedNeed>,
    pub marked: Vec<String>,
    pub matched: Vec<MatchedDepartment>,
}

impl ForMePage {
    pub(crate) fn is_marked(&self, id: &str) -> bool {
        self.marked.iter().any(|m| m == id)
    }
}

/// How many needs "needs for me" ranks on the page.
const FOR_ME_TOP: usize = 15;

/// `GET /for-meg`: open needs ranked from the researcher's own profile, and the departments a
/// coordinator paired them with.
pub(crate) async fn for_me(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Response, WebError> {
    let session = viewer.require("/for-meg")?;
    // The engine refuses everyone but researchers.
    let ranked = state.engine.needs_for_me(&session.user, FOR_ME_TOP).await?;
    let page = ForMePage {
        page: Page::new("Behov for meg", "forme", Some(session)),
        ranked,
        marked: state.engine.my_interest(&session.user).await?,
        matched: state.engine.matched_departments(&session.user).await?,
    };
    Ok(render(&page))
}
