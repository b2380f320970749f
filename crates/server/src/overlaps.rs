//! The `/api/v1/overlaps` routes: flagged pairs, their clusters, and coordinators' decisions.
//! Only coordinators and admins use them (DESIGN.md's table: they review overlap flags).

use crate::AppState;
use crate::auth::SignedIn;
use crate::dto::{ErrorBody, OverlapClusterItem, OverlapDecisionItem, OverlapItem, OverlapList};
use crate::error::ApiError;
use crate::fresh::WithFreshness;
use crate::limits::note_problem;
use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use kobler_engine::{
    Decision, KEPT_OVERLAP_FLOOR, OVERLAP_THRESHOLD, User, access::is_coordinator, cluster_overlaps,
};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

/// Query parameters of `GET /api/v1/overlaps`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OverlapParams {
    /// Flag pairs scoring at least this (0.15..1, default 0.23): the kept overlap run holds
    /// every pair from 0.15 up.
    #[param(minimum = 0.15, maximum = 1.0)]
    threshold: Option<f64>,
}

/// A coordinator's decision on a flagged pair.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewDecision {
    /// A need id.
    #[schema(example = "n-12", max_length = 128)]
    pub a: String,
    /// Another need's id, or a project's.
    #[schema(example = "p-3", max_length = 128)]
    pub b: String,
    /// `confirm` (they cover the same ground) or `dismiss` (a false alarm); `confirmed` and
    /// `dismissed` are read too.
    #[schema(example = "dismiss", pattern = "^(confirm|dismiss)(ed)?$")]
    pub decision: String,
    /// Why, kept with the decision (at most 2000 characters).
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub note: Option<String>,
}

fn coordinator(user: &User) -> Result<(), ApiError> {
    if is_coordinator(user) {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "only coordinators and admins review overlaps",
        ))
    }
}

/// The threshold asked for: one the kept run answers for.
fn threshold(params: &OverlapParams) -> Result<f32, ApiError> {
    let Some(threshold) = params.threshold else {
        return Ok(OVERLAP_THRESHOLD);
    };
    // Narrowed first, then checked: with a floor above 0, rounding to f32 can move a value at
    // most across the floor's own rounding, never from below 0 into the range.
    let narrowed = threshold as f32;
    if !(KEPT_OVERLAP_FLOOR..=1.0).contains(&narrowed) {
        return Err(ApiError::bad_request(format!(
            "threshold must be between {KEPT_OVERLAP_FLOOR} and 1"
        )));
    }
    Ok(narrowed)
}

/// Flagged pairs of needs, and of needs and projects.
#[utoipa::path(
    get,
    path = "/api/v1/overlaps",
    tag = "overlaps",
    params(OverlapParams),
    responses(
        (status = 200, description = "Flagged pairs, best first; dismissed pairs only when one side changed materially since", body = OverlapList),
        (status = 400, description = "`threshold` is not a number in [0.15, 1]", body = ErrorBody),
        (status = 503, description = "The overlap run is still being computed for the first time (a fresh start); retry after `Retry-After` seconds", body = ErrorBody),
        (status = 401, description = "No valid credentials", body = ErrorBody),
        (status = 403, description = "Only coordinators and admins review overlaps", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn list_overlaps(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
    params: Result<Query<OverlapParams>, QueryRejection>,
) -> Result<WithFreshness<Json<OverlapList>>, ApiError> {
    let Query(params) = params?;
    let kept = state
        .engine
        .flagged_overlaps(&user, threshold(&params)?)
        .await?;
    let list = OverlapList {
        as_of_seq: kept.as_of_seq,
        computed_at: kept.computed_at.clone(),
        total: kept.value.len(),
        items: kept.value.iter().cloned().map(OverlapItem::from).collect(),
    };
    Ok(WithFreshness::of(&kept, Json(list)))
}

/// Flagged pairs grouped into clusters of overlapping needs and projects.
#[utoipa::path(
    get,
    path = "/api/v1/overlaps/clusters",
    tag = "overlaps",
    params(OverlapParams),
    responses(
        (status = 200, description = "Clusters, strongest first", body = [OverlapClusterItem]),
        (status = 400, description = "`threshold` is not a number in [0.15, 1]", body = ErrorBody),
        (status = 503, description = "The overlap run is still being computed for the first time (a fresh start); retry after `Retry-After` seconds", body = ErrorBody),
        (status = 401, description = "No valid credentials", body = ErrorBody),
        (status = 403, description = "Only coordinators and admins review overlaps", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn list_clusters(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
    params: Result<Query<OverlapParams>, QueryRejection>,
) -> Result<WithFreshness<Json<Vec<OverlapClusterItem>>>, ApiError> {
    let Query(params) = params?;
    let kept = state
        .engine
        .flagged_overlaps(&user, threshold(&params)?)
        .await?;
    let clusters: Vec<OverlapClusterItem> = cluster_overlaps(&kept.value)
        .into_iter()
        .map(OverlapClusterItem::from)
        .collect();
    Ok(WithFreshness::of(&kept, Json(clusters)))
}

/// Confirm or dismiss a flagged pair.
#[utoipa::path(
    post,
    path = "/api/v1/overlaps/decisions",
    tag = "overlaps",
    request_body(content = NewDecision, content_type = "application/json"),
    responses(
        (status = 201, description = "The decision as stored (who and when filled in)", body = OverlapDecisionItem),
        (status = 400, description = "The body is not JSON of this shape", body = ErrorBody),
        (status = 401, description = "No valid credentials", body = ErrorBody),
        (status = 403, description = "Only coordinators and admins review overlaps", body = ErrorBody),
        (status = 404, description = "No need or project with one of the ids", body = ErrorBody),
        (status = 415, description = "The body is not declared as application/json", body = ErrorBody),
        (status = 422, description = "Not a pair that can overlap, an unknown decision, or a note longer than 2000 characters", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn decide(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
    body: Result<Json<NewDecision>, JsonRejection>,
) -> Result<(StatusCode, Json<OverlapDecisionItem>), ApiError> {
    coordinator(&user)?;
    let Json(body) = body?;
    if let Some(problem) = note_problem(body.note.as_deref()) {
        return Err(ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, problem));
    }
    let decision: Decision = body
        .decision
        .parse()
        .map_err(|reason: String| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, reason))?;
    let stored = state
        .engine
        .decide_overlap(&body.a, &body.b, decision, body.note, &user)
        .await?;
    tracing::info!(a = %stored.a, b = %stored.b, decision = stored.decision.as_str(), user = %user.name, "overlap decided");
    Ok((StatusCode::CREATED, Json(stored.into())))
}

/// Every decision on overlap pairs, oldest first: the audit trail.
#[utoipa::path(
    get,
    path = "/api/v1/overlaps/decisions",
    tag = "overlaps",
    responses(
        (status = 200, description = "Decisions, oldest first", body = [OverlapDecisionItem]),
        (status = 401, description = "No valid credentials", body = ErrorBody),
        (status = 403, description = "Only coordinators and admins review overlaps", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn list_decisions(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
) -> Result<Json<Vec<OverlapDecisionItem>>, ApiError> {
    coordinator(&user)?;
    let decisions = state.engine.overlap_decisions().await?;
    Ok(Json(decisions.into_iter().map(Into::into).collect()))
}
