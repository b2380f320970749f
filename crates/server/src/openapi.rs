//! The OpenAPI document of the `/api/v1` routes, served at `/api/openapi.json`.

use crate::{needs, network, overlaps, pairings, portfolio};
use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// The OpenAPI description of Kobler's `/api/v1` routes.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Kobler",
        description = "Matchmaking for universitetskommune partnerships: municipal needs, researchers, overlaps. Errors are JSON `{\"error\": REASON, ...}`."
    ),
    paths(
        needs::list_needs,
        needs::get_need,
        needs::create_need,
        needs::need_matches,
        needs::update_need,
        needs::set_status,
        needs::list_interest,
        needs::mark_interest,
        needs::unmark_interest,
        needs::needs_for_me,
        overlaps::list_overlaps,
        overlaps::list_clusters,
        overlaps::decide,
        overlaps::list_decisions,
        pairings::queue,
        pairings::decide,
        pairings::decisions,
        network::network,
        portfolio::portfolio,
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "needs", description = "Knowledge needs posted by municipal units"),
        (name = "overlaps", description = "Needs and projects that cover the same ground, for coordinators to confirm or dismiss"),
        (name = "interest", description = "Researchers saying they are interested in needs, and the needs ranked for them"),
        (name = "pairings", description = "The coordinators' review of suggested researcher–department pairings, with an audit trail"),
        (name = "network", description = "Who works with whom: researchers, municipal units and the works, projects and pairings that link them"),
        (name = "portfolio", description = "The coordinators' overview of needs, and the time from posting to first match")
    )
)]
pub struct ApiDoc;

/// Declares the `bearer` scheme the paths' `security` refers to.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An API token from `kobler token create --name NAME`"))
                    .build(),
            ),
        );
    }
}

/// `GET /api/openapi.json`.
pub(crate) async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_v1_route_is_documented() {
        let doc = ApiDoc::openapi();
        let paths: Vec<&str> = doc.paths.paths.keys().map(String::as_str).collect();
        assert_eq!(
            paths,
            [
                "/api/v1/me/needs",
                "/api/v1/needs",
                "/api/v1/needs/{id}",
                "/api/v1/needs/{id}/interest",
                "/api/v1/needs/{id}/matches",
                "/api/v1/needs/{id}/status",
                "/api/v1/network",
                "/api/v1/overlaps",
                "/api/v1/overlaps/clusters",
                "/api/v1/overlaps/decisions",
                "/api/v1/pairings",
                "/api/v1/pairings/decisions",
                "/api/v1/portfolio",
            ]
        );
        let needs = &doc.paths.paths["/api/v1/needs"];
        assert!(needs.get.is_some() && needs.post.is_some());
        let need = &doc.paths.paths["/api/v1/needs/{id}"];
        assert!(need.get.is_some() && need.patch.is_some());
        assert!(doc.paths.paths["/api/v1/needs/{id}/status"].put.is_some());
        let interest = &doc.paths.paths["/api/v1/needs/{id}/interest"];
        assert!(interest.get.is_some() && interest.put.is_some() && interest.delete.is_some());
        let decisions = &doc.paths.paths["/api/v1/pairings/decisions"];
        assert!(decisions.get.is_some() && decisions.post.is_some());
    }

    #[test]
    fn schemas_and_security_are_declared() {
        let doc = ApiDoc::openapi();
        let components = doc.components.expect("components");
        for schema in [
            "NeedList",
            "NeedDto",
            "CreatedNeed",
            "NeedMatches",
            "ErrorBody",
            "OverlapList",
            "OverlapClusterItem",
            "OverlapDecisionItem",
            "InterestItem",
            "InterestState",
            "NeedStatusChange",
            "PairingSuggestionItem",
            "PairingDecisionItem",
            "NewPairingDecision",
            "NeedsForMe",
            "NeedFacetsItem",
            "NetworkViewItem",
            "NetworkEdgeItem",
            "PortfolioItem",
            "FirstMatchItem",
        ] {
            assert!(components.schemas.contains_key(schema), "{schema} missing");
        }
        assert!(components.security_schemes.contains_key("bearer"));
    }
}
