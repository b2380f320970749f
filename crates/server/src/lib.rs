//! Kobler's HTTP JSON API (CONTRACT §4) over [`kobler_engine::Engine`]. This is the only crate
//! that knows HTTP: handlers turn requests into engine calls and engine answers into JSON.
//!
//! - [`router`] builds the whole API as an [`axum::Router`] (tests bind it on any listener);
//! - [`serve`] binds an address and serves the router until Ctrl-C (or SIGTERM).
//!
//! Every error answer is JSON `{"error": REASON, ...}`, including unknown routes, wrong methods,
//! unreadable bodies, request targets over 16 KiB (414) and panics; client input never yields a
//! 5xx on purpose. Every answer carries `X-Content-Type-Options: nosniff`. The limits are in
//! [`limits`] and `kobler_core::record`.
//!
//! Three kinds of bad request never reach the router, because hyper answers them itself while
//! reading the request head, with an empty body and no headers of ours: a request line that
//! does not parse (400), a request target over 65,534 bytes (414, a constant in hyper), and a
//! head larger than hyper's read buffer (431; about 400 KiB by default). No setting of hyper or
//! axum turns these into our answers: hyper's `max_buf_size` only moves the 431, not the 414,
//! and hyper has no hook for its own error answers. Below those sizes Kobler answers itself,
//! which is why its own URI limit ([`limits::MAX_URI_BYTES`]) sits well under hyper's.

#![warn(missing_docs)]

mod auth;
mod dto;
mod error;
mod fresh;
pub mod limits;
mod needs;
mod network;
mod openapi;
mod overlaps;
mod pairings;
mod portfolio;
pub mod web;

pub use auth::{MaybeSignedIn, SignedIn};
pub use dto::{
    ClusterMemberItem, CreatedNeed, DaysBandItem, ErrorBody, EvidenceItem, FacetValueItem,
    FieldErrorItem, FirstMatchGroupItem, FirstMatchItem, FittingNeedItem, InterestItem,
    InterestState, MatchedDepartmentItem, NeedDto, NeedFacetsItem, NeedFirstMatchItem, NeedList,
    NeedListItem, NeedMatches, NeedStatusChange, NeedsForMe, NetworkEdgeItem, NetworkFocusItem,
    NetworkNodeItem, NetworkSummaryItem, NetworkViewItem, NewNeed, NewNeedStatus,
    NewPairingDecision, OverlapClusterItem, OverlapDecisionItem, OverlapItem, OverlapList,
    PairDecisionItem, PairingDecisionItem, PairingSuggestionItem, PortfolioCountItem,
    PortfolioItem, RankedNeedItem, SharedProjectItem, SimilarItem, StatusChange, Suggestion,
};
pub use error::ApiError;
pub use openapi::ApiDoc;

use axum::Router;
use axum::body::Body;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, put};
use kobler_engine::Engine;
use std::net::SocketAddr;
use std::sync::Arc;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;
pub use web::WebOptions;

/// The largest request body accepted (bigger ones get 413 JSON); a need is at most some 80 KiB
/// (its description is at most 20,000 characters).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// What the handlers share.
#[derive(Clone, Debug)]
pub struct AppState {
    /// The engine every route works on.
    pub engine: Engine,
    /// The web interface's options and sign-in limiter.
    pub web: Arc<WebState>,
}

/// What the web interface keeps between requests.
#[derive(Debug, Default)]
pub struct WebState {
    /// How it is served.
    pub options: WebOptions,
    /// Failed sign-ins per user name and per address.
    pub limiter: web::LoginLimiter,
}

/// Why the server could not run. The IO error is in the message and not returned again as
/// `source()`, so an error chain prints it once.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    /// The address could not be bound (in use, not local, no permission).
    #[error("cannot listen on {addr}: {error}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// Why binding failed.
        error: std::io::Error,
    },
    /// The bound socket did not tell its address.
    #[error("cannot read the listening address: {0}")]
    LocalAddr(std::io::Error),
    /// Serving stopped with an IO error.
    #[error("the server stopped: {0}")]
    Serve(std::io::Error),
}

/// The whole HTTP API and web interface over `engine`, with cookies for plain http (not
/// `Secure`): what tests and a server on localhost use. See [`router_with`].
pub fn router(engine: Engine) -> Router {
    router_with(engine, WebOptions::default())
}

/// The whole HTTP API over `engine` — `/healthz`, `/api/openapi.json` and the `/api/v1` routes —
/// and the web interface, with tracing, a body size limit, JSON errors for the API (HTML for
/// pages) and a JSON 500 for panics.
pub fn router_with(engine: Engine, options: WebOptions) -> Router {
    // What spans the corpus is kept by the engine's background worker; the routes only read it.
    engine.start_background();
    let state = AppState {
        engine,
        web: Arc::new(WebState {
            options,
            limiter: web::LoginLimiter::default(),
        }),
    };
    web::routes()
        .route("/healthz", get(healthz))
        .route("/api/openapi.json", get(openapi::openapi_json))
        .route(
            "/api/v1/needs",
            get(needs::list_needs).post(needs::create_need),
        )
        .route(
            "/api/v1/needs/{id}",
            get(needs::get_need).patch(needs::update_need),
        )
        .route("/api/v1/needs/{id}/matches", get(needs::need_matches))
        .route("/api/v1/needs/{id}/status", put(needs::set_status))
        .route(
            "/api/v1/needs/{id}/interest",
            get(needs::list_interest)
                .put(needs::mark_interest)
                .delete(needs::unmark_interest),
        )
        .route("/api/v1/me/needs", get(needs::needs_for_me))
        .route("/api/v1/pairings", get(pairings::queue))
        .route(
            "/api/v1/pairings/decisions",
            get(pairings::decisions).post(pairings::decide),
        )
        .route("/api/v1/network", get(network::network))
        .route("/api/v1/portfolio", get(portfolio::portfolio))
        .route("/api/v1/overlaps", get(overlaps::list_overlaps))
        .route("/api/v1/overlaps/clusters", get(overlaps::list_clusters))
        .route(
            "/api/v1/overlaps/decisions",
            get(overlaps::list_decisions).post(overlaps::decide),
        )
        .fallback(not_found)
        // After the routes: it applies to the method routers registered so far.
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        // Anything that still answers an error in plain text (an extractor we did not wrap, a
        // layer) is turned into JSON here, so clients can always parse an error.
        .layer(axum::middleware::map_response(error::json_errors))
        .layer(axum::middleware::from_fn(error::limit_uri))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(TraceLayer::new_for_http())
        // Outermost, so that every answer has it, a panic's and an error's too: no browser may
        // guess a type other than the one sent (a JSON error read as HTML, say).
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .with_state(state)
}

/// Binds `addr`, logs the address, and serves [`router_with`] until Ctrl-C or SIGTERM, letting
/// requests in flight finish. Client addresses are passed on (the sign-in limit counts per
/// address).
pub async fn serve(
    engine: Engine,
    addr: SocketAddr,
    options: WebOptions,
) -> Result<(), ServerError> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|error| ServerError::Bind { addr, error })?;
    let local = listener.local_addr().map_err(ServerError::LocalAddr)?;
    tracing::info!(address = %local, "kobler is listening on http://{local}");
    let app = router_with(engine, options).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown_signal())
        .await
        .map_err(ServerError::Serve)?;
    tracing::info!("kobler server stopped");
    Ok(())
}

/// Resolves on Ctrl-C or (on Unix) SIGTERM. A signal handler that cannot be installed never
/// resolves, rather than shutting the server down at once.
async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!("cannot listen for Ctrl-C: {e}");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::warn!("cannot listen for SIGTERM: {e}");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
    tracing::info!("shutting down; finishing requests in flight");
}

/// `GET /healthz`: answers once the server can answer.
async fn healthz() -> &'static str {
    "ok"
}

/// Unknown routes: JSON under `/api` (and for `/healthz`-style clients), an HTML page elsewhere.
async fn not_found(method: Method, uri: Uri) -> Response {
    if uri.path().starts_with("/api") {
        ApiError::not_found(format!("no route for {method} {}", uri.path())).into_response()
    } else {
        web::not_found_page()
    }
}

async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        format!("{method} is not allowed on {}", uri.path()),
    )
}

/// A panic in a handler is a bug; answer JSON 500 and log it rather than drop the connection.
fn panic_response(panic: Box<dyn std::any::Any + Send + 'static>) -> Response<Body> {
    let detail = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("unknown panic");
    tracing::error!("handler panicked: {detail}");
    let mut response = ApiError::internal_message().into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Request;
    use tower::ServiceExt;

    async fn engine() -> (tempfile::TempDir, Engine) {
        let dir = tempfile::tempdir().expect("tempdir");
        let engine = Engine::open(dir.path()).await.expect("engine");
        (dir, engine)
    }

    async fn call(app: Router, request: Request<Body>) -> (StatusCode, String, String) {
        let response = app.oneshot(request).await.expect("infallible");
        let status = response.status();
        let content_type = response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        let body = axum::body::to_bytes(response.into_body(), usize::MAX)
            .await
            .expect("body");
        (
            status,
            content_type,
            String::from_utf8_lossy(&body).into_owned(),
        )
    }

    fn get(uri: &str) -> Request<Body> {
        Request::get(uri).body(Body::empty()).expect("request")
    }

    #[tokio::test]
    async fn unknown_api_route_is_json_404_and_unknown_page_is_html_404() {
        let (_dir, engine) = engine().await;
        let (status, content_type, body) =
            call(router(engine.clone()), get("/api/v1/nowhere")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert_eq!(content_type, "application/json");
        let body: serde_json::Value = serde_json::from_str(&body).expect("json");
        assert_eq!(body["error"], "no route for GET /api/v1/nowhere");
        let (status, content_type, body) = call(router(engine), get("/nowhere")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(content_type.starts_with("text/html"), "{content_type}");
        assert!(body.contains("Fant ikke siden"), "{body}");
    }

    #[tokio::test]
    async fn wrong_method_is_json_405() {
        let (_dir, engine) = engine().await;
        let request = Request::delete("/api/v1/needs")
            .body(Body::empty())
            .expect("request");
        let (status, content_type, body) = call(router(engine), request).await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(content_type, "application/json");
        assert!(body.contains("\"error\""), "{body}");
    }

    #[tokio::test]
    async fn bad_query_parameters_are_json_400() {
        let (_dir, engine) = engine().await;
        let (status, content_type, body) =
            call(router(engine), get("/api/v1/needs?limit=many")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert_eq!(content_type, "application/json");
        assert!(body.contains("limit"), "{body}");
    }

    #[tokio::test]
    async fn huge_offset_is_rejected_not_allocated() {
        let (_dir, engine) = engine().await;
        let uri = format!("/api/v1/needs?q=skole&offset={}", usize::MAX);
        let (status, _, body) = call(router(engine), get(&uri)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    }

    #[tokio::test]
    async fn oversized_body_is_json_413() {
        let (_dir, engine) = engine().await;
        engine
            .add_user(
                "coord",
                kobler_engine::Role::Coordinator,
                None,
                None,
                "password123",
            )
            .await
            .expect("user");
        let token = engine.create_token("coord").await.expect("token");
        let big = format!("{{\"title\": \"{}\"}}", "x".repeat(MAX_BODY_BYTES + 10));
        let request = Request::post("/api/v1/needs")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(big))
            .expect("request");
        let (status, content_type, _) = call(router(engine), request).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(content_type, "application/json");
    }

    #[tokio::test]
    async fn healthz_answers_ok() {
        let (_dir, engine) = engine().await;
        let (status, _, body) = call(router(engine), get("/healthz")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body, "ok");
    }
}
