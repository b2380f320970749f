//! The `/api/v1/pairings` routes: the coordinator's review queue of researcher–department
//! pairings with their evidence, decisions on them, and the audit trail. The engine decides who
//! may (coordinators and admins); these handlers only translate.

use crate::AppState;
use crate::auth::SignedIn;
use crate::dto::{ErrorBody, NewPairingDecision, PairingDecisionItem, PairingSuggestionItem};
use crate::error::ApiError;
use crate::fresh::WithFreshness;
use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::StatusCode;
use kobler_engine::PairingVerdict;
use serde::Deserialize;
use utoipa::IntoParams;

/// Suggestions per department when none are asked for (as on the web desk).
pub const DEFAULT_PER_UNIT: usize = 3;
/// The most suggestions per department served.
pub const MAX_PER_UNIT: usize = 50;

/// Query parameters of `GET /api/v1/pairings`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QueueParams {
    /// Suggestions per department (default 3; a larger number is served as 50).
    #[serde(default, deserialize_with = "crate::limits::whole_number")]
    top: Option<usize>,
}

/// The review queue: per department with open needs, its best undecided or deferred
/// researchers, with the needs they fit and earlier projects with the department.
#[utoipa::path(
    get,
    path = "/api/v1/pairings",
    tag = "pairings",
    params(QueueParams),
    responses(
        (status = 200, description = "Suggested pairings; accepted and rejected ones are not in it", body = [PairingSuggestionItem]),
        (status = 400, description = "`top` is not a number", body = ErrorBody),
        (status = 401, description = "No valid credentials", body = ErrorBody),
        (status = 403, description = "Only coordinators and admins review pairings", body = ErrorBody),
        (status = 503, description = "The department matches are still being computed for the first time (a fresh start); retry after `Retry-After` seconds", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn queue(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
    params: Result<Query<QueueParams>, QueryRejection>,
) -> Result<WithFreshness<Json<Vec<PairingSuggestionItem>>>, ApiError> {
    let Query(params) = params?;
    let top = params.top.unwrap_or(DEFAULT_PER_UNIT).min(MAX_PER_UNIT);
    let queue = state.engine.pairing_queue(&user, top).await?;
    let items: Vec<PairingSuggestionItem> = queue.value.iter().cloned().map(Into::into).collect();
    Ok(WithFreshness::of(&queue, Json(items)))
}

/// Accept, reject or defer a pairing, with a note. Decisions are appended, never overwritten;
/// the latest per (unit, researcher) is in force, and a rejected pairing is not suggested again.
#[utoipa::path(
    post,
    path = "/api/v1/pairings/decisions",
    tag = "pairings",
    request_body(content = NewPairingDecision, content_type = "application/json"),
    responses(
        (status = 201, description = "The decision as stored (who and when filled in)", body = PairingDecisionItem),
        (status = 400, description = "The body is not JSON", body = ErrorBody),
        (status = 401, description = "No valid credentials", body = ErrorBody),
        (status = 403, description = "Only coordinators and admins decide pairings", body = ErrorBody),
        (status = 415, description = "The body is not declared as application/json", body = ErrorBody),
        (status = 404, description = "No such unit or researcher", body = ErrorBody),
        (status = 422, description = "A field is missing, the decision is unknown, the unit is not municipal, or the note is too long", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn decide(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
    body: Result<Json<NewPairingDecision>, JsonRejection>,
) -> Result<(StatusCode, Json<PairingDecisionItem>), ApiError> {
    let Json(body) = body?;
    let verdict: PairingVerdict = body
        .decision
        .parse()
        .map_err(|reason: String| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, reason))?;
    let decision = state
        .engine
        .decide_pairing(&user, &body.unit, &body.researcher, verdict, body.note)
        .await?;
    tracing::info!(unit = %decision.unit, researcher = %decision.researcher, decision = decision.decision.as_str(), user = %user.name, "pairing decided");
    Ok((StatusCode::CREATED, Json(decision.into())))
}

/// Every pairing decision, oldest first: the audit trail.
#[utoipa::path(
    get,
    path = "/api/v1/pairings/decisions",
    tag = "pairings",
    responses(
        (status = 200, description = "Decisions, oldest first, with coordinators' notes", body = [PairingDecisionItem]),
        (status = 401, description = "No valid credentials", body = ErrorBody),
        (status = 403, description = "Only coordinators and admins see the audit trail", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn decisions(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
) -> Result<Json<Vec<PairingDecisionItem>>, ApiError> {
    let decisions = state.engine.pairing_decisions(&user).await?;
    Ok(Json(decisions.into_iter().map(Into::into).collect()))
}
