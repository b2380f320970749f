//! The `/api/v1/needs` routes.

use crate::AppState;
use crate::auth::{MaybeSignedIn, SignedIn, may_see, works_on};
use crate::dto::{
    CreatedNeed, ErrorBody, InterestItem, InterestState, NeedDto, NeedList, NeedListItem,
    NeedMatches, NeedStatusChange, NeedsForMe, NewNeed,
};
use crate::error::ApiError;
use crate::limits::query_problem;
use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use kobler_core::{Need, NeedStatus};
use kobler_engine::{NeedSearchRequest, NeedSort};
use serde::Deserialize;
use serde_json::Value;
use utoipa::IntoParams;

/// Page size when none is asked for.
pub const DEFAULT_LIMIT: usize = 20;
/// The largest page served; larger asks get this many.
pub const MAX_LIMIT: usize = 100;
/// The deepest page start served: the index keeps `offset + limit` hits in memory, so an
/// unbounded offset would let one request allocate without bound.
pub const MAX_OFFSET: usize = 10_000;
/// Suggestions when none are asked for.
pub const DEFAULT_TOP: usize = 10;
/// The most suggestions served; larger asks get this many.
pub const MAX_TOP: usize = 100;

/// Query parameters of `GET /api/v1/needs`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Full-text query (inflected Norwegian and English words match; `"phrases"`, `+must`,
    /// `-not`); without it, every non-draft need. At most 1000 characters and 64 words (runs of
    /// letters and digits); a longer query is refused with 400.
    #[param(max_length = 1000)]
    q: Option<String>,
    /// Focus areas, comma-separated (any of them). The default taxonomy's are
    /// `helse-og-velferd`, `oppvekst-og-utdanning`, `byutvikling`, `innovasjon`, `smartby`,
    /// `klima-og-miljo`; imported needs may carry a partnership's own, so any value filters.
    focus: Option<String>,
    /// Kinds of collaboration, comma-separated (the default taxonomy's: `masteroppgave`,
    /// `bacheloroppgave`, `praksis`, `offentlig-phd`, `forskningsprosjekt`, `evu`,
    /// `innovasjonsprosjekt`; any value filters).
    kind: Option<String>,
    /// Languages, comma-separated: `nb`, `nn`, `en`, `other` (detected from the text); another
    /// value (an empty one in a list too) is refused with 400.
    lang: Option<String>,
    /// Municipal units (departments), comma-separated ids.
    unit: Option<String>,
    /// Municipalities, comma-separated kommunenummer.
    municipality: Option<String>,
    /// Statuses, comma-separated: `open`, `matched`, `closed` (default: all three; drafts are
    /// never listed); another value (an empty one in a list too) is refused with 400.
    status: Option<String>,
    /// `relevance` (default with `q`), `deadline` (nearest first), `newest`, or `id` (default
    /// without `q`).
    sort: Option<String>,
    /// How many items to skip (default 0, at most 10000; more is refused with 400).
    #[param(maximum = 10000)]
    #[serde(default, deserialize_with = "crate::limits::whole_number")]
    offset: Option<usize>,
    /// Page size (default 20; a larger one is served as 100).
    #[serde(default, deserialize_with = "crate::limits::whole_number")]
    limit: Option<usize>,
}

/// The languages a need's text is detected as.
pub(crate) const LANGUAGES: [&str; 4] = ["nb", "nn", "en", "other"];
/// The statuses needs are listed by (drafts never are).
pub(crate) const LISTED_STATUSES: [&str; 3] = ["open", "matched", "closed"];
/// The orders needs are listed in.
pub(crate) const SORTS: [&str; 4] = ["relevance", "deadline", "newest", "id"];

/// A comma-separated parameter whose values must come from `allowed`: its values, or the
/// reason one is refused.
fn closed_list(name: &str, value: Option<&str>, allowed: &[&str]) -> Result<Vec<String>, ApiError> {
    // An empty parameter is no filter, as it always was: on the wire (form style, not exploded)
    // `lang=` is both the empty list and the list of one empty value, and the empty list is the
    // reading that breaks no client. Inside a list every value must be one of `allowed`
    // (`lang=,` is refused), as the OpenAPI document's enum says.
    let text = value.unwrap_or_default();
    let values: Vec<String> = if text.trim().is_empty() {
        Vec::new()
    } else {
        text.split(',').map(|v| v.trim().to_string()).collect()
    };
    match values.iter().find(|v| !allowed.contains(&v.as_str())) {
        Some(bad) => Err(ApiError::bad_request(format!(
            "unknown {name} {bad:?} (known: {})",
            allowed.join(", ")
        ))),
        None => Ok(values),
    }
}

/// A comma-separated list parameter as its non-empty values.
fn list(value: Option<&str>) -> Vec<String> {
    value
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
        .collect()
}

/// Reads `sort`: the default is relevance with a query, id without.
pub(crate) fn parse_sort(value: Option<&str>, has_query: bool) -> Result<NeedSort, String> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None if has_query => Ok(NeedSort::Relevance),
        None => Ok(NeedSort::Id),
        Some("relevance") => Ok(NeedSort::Relevance),
        Some("deadline") => Ok(NeedSort::Deadline),
        Some("newest") => Ok(NeedSort::Newest),
        Some("id") => Ok(NeedSort::Id),
        Some(other) => Err(format!(
            "unknown sort {other:?} (relevance, deadline, newest or id)"
        )),
    }
}

fn sort_name(sort: NeedSort) -> &'static str {
    match sort {
        NeedSort::Relevance => "relevance",
        NeedSort::Deadline => "deadline",
        NeedSort::Newest => "newest",
        NeedSort::Id => "id",
    }
}

/// Query parameters of `GET /api/v1/needs/{id}/matches`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MatchParams {
    /// How many researchers to suggest (default 10; a larger number is served as 100).
    #[serde(default, deserialize_with = "crate::limits::whole_number")]
    top: Option<usize>,
}

/// Search or list needs, with facets.
#[utoipa::path(
    get,
    path = "/api/v1/needs",
    tag = "needs",
    params(ListParams),
    responses(
        (status = 200, description = "One page of needs in the order asked for, with counts per facet value. Drafts never appear.", body = NeedList),
        (status = 400, description = "A parameter is not a number, out of range, or not one of its values, or the query is longer than 1000 characters or 64 words", body = ErrorBody),
        (status = 414, description = "The request target is longer than 16 KiB", body = ErrorBody),
    )
)]
pub(crate) async fn list_needs(
    State(state): State<AppState>,
    params: Result<Query<ListParams>, QueryRejection>,
) -> Result<Json<NeedList>, ApiError> {
    let Query(params) = params?;
    let offset = params.offset.unwrap_or(0);
    if offset > MAX_OFFSET {
        return Err(ApiError::bad_request(format!(
            "offset must be at most {MAX_OFFSET}"
        )));
    }
    let limit = params.limit.unwrap_or(DEFAULT_LIMIT).min(MAX_LIMIT);
    let text = params.q.as_deref().map(str::trim).unwrap_or_default();
    if let Some(problem) = query_problem(text) {
        return Err(ApiError::bad_request(problem));
    }
    let languages = closed_list("language", params.lang.as_deref(), &LANGUAGES)?;
    let statuses = closed_list("status", params.status.as_deref(), &LISTED_STATUSES)?;
    let sort =
        parse_sort(params.sort.as_deref(), !text.is_empty()).map_err(ApiError::bad_request)?;
    let request = NeedSearchRequest {
        text: text.to_string(),
        focus_areas: list(params.focus.as_deref()),
        kinds: list(params.kind.as_deref()),
        languages,
        units: list(params.unit.as_deref()),
        municipalities: list(params.municipality.as_deref()),
        statuses,
        sort,
        offset,
        limit,
    };
    let found = state.engine.browse_needs(&request).await?;
    let items = found
        .needs
        .into_iter()
        .map(|f| {
            if text.is_empty() {
                NeedListItem::listed(f.need)
            } else {
                NeedListItem::hit(f.hit, Some(f.need))
            }
        })
        .collect();
    Ok(Json(NeedList {
        total: found.total,
        items,
        sort: sort_name(sort).to_string(),
        facets: found.facets.into(),
    }))
}

/// Loads a need the caller may see; 404 otherwise (a hidden draft is not told apart from a
/// need that does not exist).
async fn visible_need(
    state: &AppState,
    id: &str,
    user: Option<&kobler_engine::User>,
) -> Result<Need, ApiError> {
    match state.engine.need(id).await? {
        Some(need) if may_see(user, &need) => Ok(need),
        _ => Err(ApiError::unknown_need(id)),
    }
}

/// One need.
#[utoipa::path(
    get,
    path = "/api/v1/needs/{id}",
    tag = "needs",
    params(("id" = String, Path, description = "Need id")),
    responses(
        (status = 200, description = "The need", body = NeedDto),
        (status = 401, description = "Credentials were sent but are not valid", body = ErrorBody),
        (status = 404, description = "No such need (or a draft the caller may not see)", body = ErrorBody),
    ),
    security((), ("bearer" = []))
)]
pub(crate) async fn get_need(
    State(state): State<AppState>,
    MaybeSignedIn(user): MaybeSignedIn,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<NeedDto>, ApiError> {
    let Path(id) = id?;
    let need = visible_need(&state, &id, user.as_ref()).await?;
    Ok(Json(NeedDto::from(need)))
}

/// Post a need for a municipal unit.
#[utoipa::path(
    post,
    path = "/api/v1/needs",
    tag = "needs",
    request_body(
        content = NewNeed,
        description = "The fields of a `need` feed record; unknown fields are kept",
        content_type = "application/json"
    ),
    responses(
        (status = 201, description = "The stored need and the needs and projects it overlaps", body = CreatedNeed),
        (status = 400, description = "The body is not JSON", body = ErrorBody),
        (status = 401, description = "No valid credentials", body = ErrorBody),
        (status = 403, description = "The caller's role or department may not post this need", body = ErrorBody),
        (status = 409, description = "A need with this id exists already", body = ErrorBody),
        (status = 413, description = "The body is larger than 1 MiB", body = ErrorBody),
        (status = 415, description = "The body is not declared as application/json", body = ErrorBody),
        (status = 422, description = "Fields are missing or wrong; one reason per field", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn create_need(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<(StatusCode, Json<CreatedNeed>), ApiError> {
    let Json(body) = body?;
    let (need, similar) = state.engine.create_need(&user, &body).await?;
    tracing::info!(need = %need.id, user = %user.name, "need posted");
    Ok((
        StatusCode::CREATED,
        Json(CreatedNeed {
            need: NeedDto::from(need),
            similar: similar.into_iter().map(Into::into).collect(),
        }),
    ))
}

/// Researchers suggested for a need, with the evidence behind each.
#[utoipa::path(
    get,
    path = "/api/v1/needs/{id}/matches",
    tag = "needs",
    params(("id" = String, Path, description = "Need id"), MatchParams),
    responses(
        (status = 200, description = "Suggested researchers, best first", body = NeedMatches),
        (status = 400, description = "`top` is not a number", body = ErrorBody),
        (status = 401, description = "No valid credentials", body = ErrorBody),
        (status = 403, description = "Only coordinators, admins and staff of the need's unit see its suggestions", body = ErrorBody),
        (status = 404, description = "No such need", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn need_matches(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
    id: Result<Path<String>, PathRejection>,
    params: Result<Query<MatchParams>, QueryRejection>,
) -> Result<Json<NeedMatches>, ApiError> {
    let Path(id) = id?;
    let Query(params) = params?;
    let need = visible_need(&state, &id, Some(&user)).await?;
    if !works_on(&user, &need) {
        return Err(ApiError::forbidden(
            "only coordinators, admins and staff of the need's unit see its suggestions",
        ));
    }
    let top = params.top.unwrap_or(DEFAULT_TOP).min(MAX_TOP);
    let suggestions = state.engine.need_matches(&need, top).await?;
    Ok(Json(NeedMatches {
        need: need.id,
        suggestions: suggestions.iter().cloned().map(Into::into).collect(),
    }))
}

/// Change a need: only the fields sent change (`null` clears an optional one).
#[utoipa::path(
    patch,
    path = "/api/v1/needs/{id}",
    tag = "needs",
    params(("id" = String, Path, description = "Need id")),
    request_body(
        content = Object,
        description = "The fields to change, as in a `need` feed record; `id`, `unit` and `posted` stay",
        content_type = "application/json"
    ),
    responses(
        (status = 200, description = "The need as stored now and the needs and projects it overlaps now", body = CreatedNeed),
        (status = 400, description = "The body is not JSON", body = ErrorBody),
        (status = 401, description = "No valid credentials", body = ErrorBody),
        (status = 403, description = "Only staff of the need's unit, coordinators and admins change it", body = ErrorBody),
        (status = 404, description = "No such need (or a draft the caller may not see)", body = ErrorBody),
        (status = 415, description = "The body is not declared as application/json", body = ErrorBody),
        (status = 422, description = "Fields are wrong, or the unit was to change; one reason per field", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn update_need(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
    id: Result<Path<String>, PathRejection>,
    body: Result<Json<Value>, JsonRejection>,
) -> Result<Json<CreatedNeed>, ApiError> {
    let Path(id) = id?;
    let Json(body) = body?;
    let (need, similar) = state.engine.update_need(&user, &id, &body).await?;
    tracing::info!(need = %need.id, user = %user.name, "need changed");
    Ok(Json(CreatedNeed {
        need: NeedDto::from(need),
        similar: similar.into_iter().map(Into::into).collect(),
    }))
}

/// Close or reopen a need.
#[utoipa::path(
    put,
    path = "/api/v1/needs/{id}/status",
    tag = "needs",
    params(("id" = String, Path, description = "Need id")),
    request_body(content = NeedStatusChange, content_type = "application/json"),
    responses(
        (status = 200, description = "The need with its new status", body = NeedDto),
        (status = 400, description = "The body is not JSON", body = ErrorBody),
        (status = 401, description = "No valid credentials", body = ErrorBody),
        (status = 403, description = "Only staff of the need's unit, coordinators and admins close or reopen it", body = ErrorBody),
        (status = 404, description = "No such need (or a draft the caller may not see)", body = ErrorBody),
        (status = 415, description = "The body is not declared as application/json", body = ErrorBody),
        (status = 422, description = "`status` is missing or not `open` or `closed`", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn set_status(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
    id: Result<Path<String>, PathRejection>,
    body: Result<Json<NeedStatusChange>, JsonRejection>,
) -> Result<Json<NeedDto>, ApiError> {
    let Path(id) = id?;
    let Json(body) = body?;
    let status = match body.status.as_str() {
        "open" => NeedStatus::Open,
        "closed" => NeedStatus::Closed,
        other => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                format!("status must be \"open\" or \"closed\", not {other:?}"),
            ));
        }
    };
    let need = state.engine.set_need_status(&user, &id, status).await?;
    tracing::info!(need = %need.id, status = status.as_str(), user = %user.name, "need status set");
    Ok(Json(NeedDto::from(need)))
}

/// Who is interested in a need.
#[utoipa::path(
    get,
    path = "/api/v1/needs/{id}/interest",
    tag = "interest",
    params(("id" = String, Path, description = "Need id")),
    responses(
        (status = 200, description = "The researchers who said they are interested, oldest first", body = [InterestItem]),
        (status = 401, description = "No valid credentials", body = ErrorBody),
        (status = 403, description = "Only staff of the need's unit, coordinators and admins see who is interested; researchers never see each other's interest", body = ErrorBody),
        (status = 404, description = "No such need (or a draft the caller may not see)", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn list_interest(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<Vec<InterestItem>>, ApiError> {
    let Path(id) = id?;
    let interest = state.engine.interest_in(&user, &id).await?;
    Ok(Json(interest.into_iter().map(Into::into).collect()))
}

/// Say "I am interested" in an open need (the signed-in researcher; repeating it changes nothing).
#[utoipa::path(
    put,
    path = "/api/v1/needs/{id}/interest",
    tag = "interest",
    params(("id" = String, Path, description = "Need id")),
    responses(
        (status = 200, description = "The researcher is marked as interested", body = InterestState),
        (status = 401, description = "No valid credentials", body = ErrorBody),
        (status = 403, description = "Only researchers say they are interested", body = ErrorBody),
        (status = 404, description = "No such need (or a draft the caller may not see)", body = ErrorBody),
        (status = 422, description = "The need is not open", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn mark_interest(
    state: State<AppState>,
    user: SignedIn,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<InterestState>, ApiError> {
    interest(state, user, id, true).await
}

/// Take back "I am interested" (always allowed for the researcher, whatever the need's status).
#[utoipa::path(
    delete,
    path = "/api/v1/needs/{id}/interest",
    tag = "interest",
    params(("id" = String, Path, description = "Need id")),
    responses(
        (status = 200, description = "The researcher is no longer marked as interested", body = InterestState),
        (status = 401, description = "No valid credentials", body = ErrorBody),
        (status = 403, description = "Only researchers say they are interested", body = ErrorBody),
        (status = 404, description = "No such need (or a draft the caller may not see)", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn unmark_interest(
    state: State<AppState>,
    user: SignedIn,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<InterestState>, ApiError> {
    interest(state, user, id, false).await
}

async fn interest(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
    id: Result<Path<String>, PathRejection>,
    interested: bool,
) -> Result<Json<InterestState>, ApiError> {
    let Path(id) = id?;
    state.engine.set_interest(&user, &id, interested).await?;
    tracing::info!(need = %id, user = %user.name, interested, "interest set");
    Ok(Json(InterestState {
        need: id,
        interested,
    }))
}

/// Query parameters of `GET /api/v1/me/needs`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ForMeParams {
    /// How many needs to rank (default 15; a larger number is served as 100).
    #[serde(default, deserialize_with = "crate::limits::whole_number")]
    top: Option<usize>,
}

/// How many needs "needs for me" ranks when not asked.
pub const DEFAULT_FOR_ME: usize = 15;

/// "Needs for me": open needs ranked for the signed-in researcher, the needs they marked, and
/// the departments a coordinator paired them with.
#[utoipa::path(
    get,
    path = "/api/v1/me/needs",
    tag = "interest",
    params(ForMeParams),
    responses(
        (status = 200, description = "The researcher's own view", body = NeedsForMe),
        (status = 400, description = "`top` is not a number", body = ErrorBody),
        (status = 401, description = "No valid credentials", body = ErrorBody),
        (status = 403, description = "Only researchers have needs for them", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn needs_for_me(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
    params: Result<Query<ForMeParams>, QueryRejection>,
) -> Result<Json<NeedsForMe>, ApiError> {
    let Query(params) = params?;
    let top = params.top.unwrap_or(DEFAULT_FOR_ME).min(MAX_TOP);
    let needs = state.engine.needs_for_me(&user, top).await?;
    Ok(Json(NeedsForMe {
        needs: needs.into_iter().map(Into::into).collect(),
        interested: state.engine.my_interest(&user).await?,
        matched: state
            .engine
            .matched_departments(&user)
            .await?
            .into_iter()
            .map(Into::into)
            .collect(),
    }))
}
