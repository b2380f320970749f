//! `GET /api/v1/network`: who works with whom, for coordinators — a researcher's or a
//! department's neighbourhood, or the best-linked part of the network, with figures for the
//! whole. The engine builds the graph and decides who may see it.

use crate::AppState;
use crate::auth::SignedIn;
use crate::dto::{ErrorBody, NetworkViewItem};
use crate::error::ApiError;
use crate::fresh::WithFreshness;
use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use kobler_engine::{NETWORK_DEFAULT_NODES, NetworkRequest, NodeKind};
use serde::Deserialize;
use utoipa::IntoParams;

/// Query parameters of `GET /api/v1/network`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NetworkParams {
    /// Centre on this researcher (id).
    #[param(max_length = 128)]
    researcher: Option<String>,
    /// Centre on this municipal unit (id). Not together with `researcher`.
    #[param(max_length = 128)]
    unit: Option<String>,
    /// Links out from the centre: 1 (default) or 2; another number is refused with 422.
    #[param(minimum = 1, maximum = 2)]
    #[serde(default, deserialize_with = "crate::limits::whole_number")]
    depth: Option<usize>,
    /// The most nodes (default 30; fewer than 2 is served as 2, more than 150 as 150).
    #[serde(default, deserialize_with = "crate::limits::whole_number")]
    limit: Option<usize>,
}

/// Who works with whom: researchers linked by works written together and shared projects,
/// and to the municipal units they did projects with or were paired with by a coordinator.
#[utoipa::path(
    get,
    path = "/api/v1/network",
    tag = "network",
    params(NetworkParams),
    responses(
        (status = 200, description = "The nodes shown, every link between them (strongest first), how many the limit left out, and the whole network's figures", body = NetworkViewItem),
        (status = 400, description = "A parameter is not a number, or both `researcher` and `unit` are given", body = ErrorBody),
        (status = 401, description = "No valid credentials", body = ErrorBody),
        (status = 403, description = "Only coordinators and admins see the network", body = ErrorBody),
        (status = 404, description = "No such researcher or municipal unit", body = ErrorBody),
        (status = 422, description = "`depth` is not 1 or 2", body = ErrorBody),
        (status = 503, description = "The network is still being built for the first time (a fresh start); retry after `Retry-After` seconds", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
pub(crate) async fn network(
    State(state): State<AppState>,
    SignedIn(user): SignedIn,
    params: Result<Query<NetworkParams>, QueryRejection>,
) -> Result<WithFreshness<Json<NetworkViewItem>>, ApiError> {
    let Query(params) = params?;
    let focus = match (params.researcher, params.unit) {
        (Some(_), Some(_)) => {
            return Err(ApiError::bad_request(
                "give either researcher or unit, not both",
            ));
        }
        (Some(id), None) => Some((NodeKind::Researcher, id)),
        (None, Some(id)) => Some((NodeKind::Unit, id)),
        (None, None) => None,
    };
    let request = NetworkRequest {
        focus,
        depth: params.depth.unwrap_or(1),
        limit: params.limit.unwrap_or(NETWORK_DEFAULT_NODES),
    };
    let kept = state.engine.network(&user, &request).await?;
    Ok(WithFreshness::of(&kept, Json(kept.value.clone().into())))
}
