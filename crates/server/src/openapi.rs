//! The OpenAPI document of the `/api/v1` routes, served at `/api/openapi.json`.

use crate::{needs, network, overlaps, pairings, portfolio};
use axum::Json;
use kobler_core::taxonomy::{COLLABORATION_KINDS, FOCUS_AREAS};
use utoipa::openapi::RefOr;
use utoipa::openapi::path::{Parameter, ParameterStyle};
use utoipa::openapi::schema::{ArrayBuilder, ArrayItems, ObjectBuilder, Schema, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

/// The OpenAPI description of Kobler's `/api/v1` routes.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Kobler",
        description = "Matchmaking for universitetskommune partnerships: municipal needs, researchers, overlaps. Errors are JSON `{\"error\": REASON, ...}` (422s name each broken field in `fields`). Limits: ids at most 128 bytes without control characters (a new need's id only `A–Z a–z 0–9 . _ : -`); a need's title at most 300 characters, description 20000, contact 200; notes 2000; search queries 1000 characters and 64 words; request bodies 1 MiB (413); request targets 16 KiB (414)."
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
    modifiers(&BearerAuth, &Vocabularies),
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

/// Writes the closed vocabularies into the document as enums, from the lists the server checks
/// against (the taxonomy, the languages and statuses a need list filters by, the sorts), so the
/// document cannot drift from them: a derive would need the lists copied into Rust enums.
struct Vocabularies;

/// A string schema allowing only `values`.
fn string_enum(values: &[&str]) -> Schema {
    Schema::Object(
        ObjectBuilder::new()
            .schema_type(Type::String)
            .enum_values(Some(values.iter().copied()))
            .build(),
    )
}

/// Makes a comma-separated query parameter a list of `values`, sent as `a,b` (form style, not
/// exploded), which is how the server reads it.
fn comma_list(parameter: &mut Parameter, values: &[&str]) {
    parameter.schema = Some(RefOr::T(Schema::Array(
        ArrayBuilder::new()
            .items(RefOr::T(string_enum(values)))
            .build(),
    )));
    parameter.style = Some(ParameterStyle::Form);
    parameter.explode = Some(false);
}

/// Makes an array property of a component schema a list of `values`.
fn enum_items(
    openapi: &mut utoipa::openapi::OpenApi,
    component: &str,
    property: &str,
    values: &[&str],
) {
    let Some(RefOr::T(Schema::Object(object))) = openapi
        .components
        .as_mut()
        .and_then(|c| c.schemas.get_mut(component))
    else {
        return;
    };
    if let Some(RefOr::T(Schema::Array(array))) = object.properties.get_mut(property) {
        array.items = ArrayItems::RefOrSchema(Box::new(RefOr::T(string_enum(values))));
    }
}

impl Modify for Vocabularies {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        if let Some(parameters) = openapi
            .paths
            .paths
            .get_mut("/api/v1/needs")
            .and_then(|item| item.get.as_mut())
            .and_then(|get| get.parameters.as_mut())
        {
            for parameter in parameters {
                match parameter.name.as_str() {
                    "lang" => comma_list(parameter, &needs::LANGUAGES),
                    "status" => comma_list(parameter, &needs::LISTED_STATUSES),
                    "sort" => parameter.schema = Some(RefOr::T(string_enum(&needs::SORTS))),
                    _ => {}
                }
            }
        }
        // Posted needs are checked against the taxonomy (imports are not: a partnership may
        // feed its own, which is why the list filters above take any focus area or kind).
        enum_items(openapi, "NewNeed", "focus_areas", FOCUS_AREAS);
        enum_items(openapi, "NewNeed", "kinds", COLLABORATION_KINDS);
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
    fn limits_and_vocabularies_are_in_the_document() {
        let doc = serde_json::to_value(ApiDoc::openapi()).expect("json");
        let new_need = &doc["components"]["schemas"]["NewNeed"]["properties"];
        assert_eq!(new_need["title"]["maxLength"], 300);
        assert_eq!(new_need["description"]["maxLength"], 20000);
        assert_eq!(new_need["contact"]["maxLength"], 200);
        assert_eq!(new_need["id"]["maxLength"], 128);
        assert!(
            new_need["id"]["pattern"]
                .as_str()
                .is_some_and(|p| p.contains("A-Za-z0-9._:-"))
        );
        assert_eq!(
            new_need["focus_areas"]["items"]["enum"],
            serde_json::json!(FOCUS_AREAS)
        );
        assert_eq!(
            new_need["kinds"]["items"]["enum"],
            serde_json::json!(COLLABORATION_KINDS)
        );
        assert!(
            new_need["status"].to_string().contains("draft"),
            "{}",
            new_need["status"]
        );
        let params = doc["paths"]["/api/v1/needs"]["get"]["parameters"]
            .as_array()
            .expect("parameters");
        let param = |name: &str| {
            params
                .iter()
                .find(|p| p["name"] == name)
                .unwrap_or_else(|| panic!("{name} missing"))
        };
        assert_eq!(param("q")["schema"]["maxLength"], 1000);
        assert_eq!(param("offset")["schema"]["maximum"], 10000);
        assert_eq!(
            param("lang")["schema"]["items"]["enum"],
            serde_json::json!(needs::LANGUAGES)
        );
        assert_eq!(param("lang")["explode"], false);
        assert_eq!(
            param("status")["schema"]["items"]["enum"],
            serde_json::json!(needs::LISTED_STATUSES)
        );
        assert_eq!(
            param("sort")["schema"]["enum"],
            serde_json::json!(needs::SORTS)
        );
        let decision = &doc["components"]["schemas"]["NewDecision"]["properties"];
        assert_eq!(decision["note"]["maxLength"], 2000);
        let status = &doc["components"]["schemas"]["StatusChange"];
        assert_eq!(status["enum"], serde_json::json!(["open", "closed"]));
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
