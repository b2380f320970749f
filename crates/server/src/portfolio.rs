//! `GET /api/v1/portfolio`: the coordinators' portfolio — needs by focus area, status and
//! municipality, and the time from posting to first match.

use crate::AppState;
use crate::auth::SignedIn;
use crate::dto::{ErrorBody, PortfolioItem};
use crate::error::ApiError;
use crate::fresh::WithFreshness;
use axum::Json;
use axum::extract::State;

/// The portfolio. *First match* is the earlier of a need's first researcher interest (still
/// marked) and the first pairing a coordinator accepted for its department on or after the
/// day it was posted; days are calendar days from the posting date.
#[utoipa::path(
    get,
    path = "/api/v1/portfolio",
    tag = "portfolio",
    responses(
        (status = 200, description = "Needs (no drafts) by focus area, status and municipality, and time to first match", body = PortfolioItem),
        (status = 401, description = "No valid credentials", body = ErrorBody),
        (status = 403, description = "Only coordinators and admins see the portfolio", body = ErrorBody),
        (status = 503, description = "The figures are still being computed for the first time (a fresh start); retry after `Retry-After` seconds", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn portfolio(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
) -> Result<WithFreshness<Json<PortfolioItem>>, ApiError> {
    let kept = state.engine.portfolio(&user).await?;
    Ok(WithFreshness::of(&kept, Json(kept.clone().into())))
}
