//! The `/api/v1/overlaps` routes: flagged pairs, their clusters, and coordinators' decisions.
//! Only coordinators and admins use them (DESIGN.md's table: they review overlap flags).

use crate::AppState;
use crate::auth::SignedIn;
use crate::dto::{ErrorBody, OverlapClusterItem, OverlapDecisionItem, OverlapItem, OverlapList};
use crate::error::ApiError;
use crate::limits::note_problem;
use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use kobler_engine::{Decision, OVERLAP_THRESHOLD, Role, User, cluster_overlaps};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

/// Query parameters of `GET /api/v1/overlaps`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OverlapParams {
    /// Flag pairs scoring at least this (0..1, default 0.23).
    #[param(minimum = 0.0, maximum = 1.0)]
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
    match user.role.parse() {
        Ok(Role::Coordinator | Role::Admin) => Ok(()),
        _ => Err(ApiError::forbidden(
            "only coordinators and admins review overlaps",
        )),
    }
}

fn threshold(params: &OverlapParams) -> Result<f32, ApiError> {
    // Read as f64 and checked before narrowing: a tiny negative such as -1e-309 is below 0 as
    // the document says, but would round to -0.0, inside the range, as an f32.
    let Some(threshold) = params.threshold else {
        return Ok(OVERLAP_THRESHOLD);
    };
    if !(0.0..=1.0).contains(&threshold) {
        return Err(ApiError::bad_request("threshold must be between 0 and 1"));
    }
    // In [0, 1] the narrowing only rounds.
    Ok(threshold as f32)
}

/// Flagged pairs of needs, and of needs and projects.
#[utoipa::path(
    get,
    path = "/api/v1/overlaps",
    tag = "overlaps",
    params(OverlapParams),
    responses(
        (status = 200, description = "Flagged pairs, best first; dismissed pairs only when one side changed materially since", body = OverlapList),
        (status = 400, description = "`threshold` is not a number in [0, 1]", body = ErrorBody),
        (status = 401, description = "No valid credentials", body = ErrorBody),
        (status = 403, description = "Only coordinators and admins review overlaps", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn list_overlaps(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
    params: Result<Query<OverlapParams>, QueryRejection>,
) -> Result<Json<OverlapList>, ApiError> {
    coordinator(&user)?;
    let Query(params) = params?;
    let pairs = state.engine.overlaps(threshold(&params)?).await?;
    Ok(Json(OverlapList {
        total: pairs.len(),
        items: pairs.into_iter().map(OverlapItem::from).collect(),
    }))
}

/// Flagged pairs grouped into clusters of overlapping needs and projects.
#[utoipa::path(
    get,
    path = "/api/v1/overlaps/clusters",
    tag = "overlaps",
    params(OverlapParams),
    responses(
        (status = 200, description = "Clusters, strongest first", body = [OverlapClusterItem]),
        (status = 400, description = "`threshold` is not a number in [0, 1]", body = ErrorBody),
        (status = 401, description = "No valid credentials", body = ErrorBody),
        (status = 403, description = "Only coordinators and admins review overlaps", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn list_clusters(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
    params: Result<Query<OverlapParams>, QueryRejection>,
) -> Result<Json<Vec<OverlapClusterItem>>, ApiError> {
    coordinator(&user)?;
    let Query(params) = params?;
    let pairs = state.engine.overlaps(threshold(&params)?).await?;
    Ok(Json(
        cluster_overlaps(&pairs)
            .into_iter()
            .map(OverlapClusterItem::from)
            .collect(),
    ))
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
