//! Error answers: every one is JSON `{"error": REASON, ...}` with the right status.

use crate::dto::{ErrorBody, FieldErrorItem};
use crate::limits::MAX_URI_BYTES;
use axum::Json;
use axum::body::Body;
use axum::extract::Request;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use kobler_engine::EngineError;

/// The reason given for every 401.
pub(crate) const SIGN_IN_REQUIRED: &str = "sign-in required";
/// The reason given with a 503: the store was busy with another process's write.
const BUSY: &str = "the service is busy; try again in a moment";
/// Seconds a client is asked to wait after a 503.
pub(crate) const RETRY_AFTER_SECS: u32 = 2;
/// The reason given for every 5xx; the details go to the log, not to the client.
const INTERNAL: &str = "internal server error";

/// An error answer: a status and its JSON body.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    body: ErrorBody,
}

impl ApiError {
    /// An error with this status and reason.
    pub fn new(status: StatusCode, reason: impl Into<String>) -> Self {
        ApiError {
            status,
            body: ErrorBody {
                error: reason.into(),
                detail: None,
                fields: Vec::new(),
            },
        }
    }

    /// 400: the request itself is malformed.
    pub fn bad_request(reason: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, reason)
    }

    /// 401 with `detail` saying what was wrong with the credentials, if anything was sent.
    pub fn unauthorized(detail: Option<&str>) -> Self {
        let mut error = Self::new(StatusCode::UNAUTHORIZED, SIGN_IN_REQUIRED);
        error.body.detail = detail.map(str::to_string);
        error
    }

    /// 403: signed in, but not allowed.
    pub fn forbidden(reason: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, reason)
    }

    /// 404.
    pub fn not_found(reason: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, reason)
    }

    /// 404 for a need id, worded alike everywhere.
    pub fn unknown_need(id: &str) -> Self {
        Self::not_found(format!("unknown need {id:?}"))
    }

    /// 500 without details, for when the details were already logged.
    pub fn internal_message() -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, INTERNAL)
    }

    /// 500 for a failure of the server's own (store, index); logs it, tells the client little.
    pub fn internal(error: &dyn std::fmt::Display) -> Self {
        tracing::error!("request failed: {error}");
        Self::internal_message()
    }

    /// 503 with `Retry-After`: the store was too busy to do it now, and nothing was changed.
    pub fn busy() -> Self {
        tracing::warn!("request refused: the store stayed locked by another write");
        Self::new(StatusCode::SERVICE_UNAVAILABLE, BUSY)
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The JSON body.
    pub fn body(&self) -> &ErrorBody {
        &self.body
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, Json(self.body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            // RFC 9110 asks a 401 to say which scheme it wants.
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECS));
        }
        response
    }
}

impl From<EngineError> for ApiError {
    fn from(error: EngineError) -> Self {
        match error {
            EngineError::NotFound(reason) => Self::not_found(reason),
            EngineError::Invalid(reason) => Self::new(StatusCode::UNPROCESSABLE_ENTITY, reason),
            EngineError::InvalidFields(fields) => {
                let mut error =
                    Self::new(StatusCode::UNPROCESSABLE_ENTITY, "the need is not valid");
                error.body.fields = fields
                    .into_iter()
                    .map(|f| FieldErrorItem {
                        field: f.field,
                        reason: f.reason,
                    })
                    .collect();
                error
            }
            EngineError::Forbidden(reason) => Self::forbidden(reason),
            EngineError::Conflict(reason) => Self::new(StatusCode::CONFLICT, reason),
            busy if busy.is_busy() => Self::busy(),
            other => Self::internal(&other),
        }
    }
}

// axum's rejections carry a fitting 4xx status and a readable reason; keep both, in JSON.
impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        Self::new(rejection.status(), rejection.body_text())
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        Self::new(rejection.status(), rejection.body_text())
    }
}

impl From<PathRejection> for ApiError {
    fn from(rejection: PathRejection) -> Self {
        Self::new(rejection.status(), rejection.body_text())
    }
}

/// Middleware: a request target longer than [`crate::limits::MAX_URI_BYTES`] is answered 414
/// in JSON before it reaches a handler (hyper answers past 65,534 bytes itself, with an empty
/// body; see the module docs of [`crate::limits`]).
pub(crate) async fn limit_uri(request: Request, next: Next) -> Response {
    let length = request
        .uri()
        .path_and_query()
        .map_or(0, |target| target.as_str().len());
    if length > MAX_URI_BYTES {
        return ApiError::new(
            StatusCode::URI_TOO_LONG,
            format!(
                "the request target is {length} bytes long; at most {MAX_URI_BYTES} are served"
            ),
        )
        .into_response();
    }
    next.run(request).await
}

/// Middleware: an error answer that is not JSON (axum's own 405, an unwrapped rejection, a
/// layer's answer) becomes `{"error": REASON}` with the same status and headers.
pub(crate) async fn json_errors(response: Response) -> Response {
    let status = response.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return response;
    }
    // JSON errors are already JSON; the web pages' errors are HTML pages on purpose.
    let keep = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json") || v.starts_with("text/html"));
    if keep {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    // Error bodies are short texts; a long or unreadable one is replaced by the status name.
    let text = axum::body::to_bytes(body, 16 * 1024)
        .await
        .ok()
        .and_then(|bytes| String::from_utf8(bytes.to_vec()).ok())
        .map(|text| text.trim().to_string())
        .filter(|text| !text.is_empty());
    let reason = if status.is_server_error() {
        INTERNAL.to_string()
    } else {
        text.unwrap_or_else(|| {
            status
                .canonical_reason()
                .unwrap_or("request failed")
                .to_lowercase()
        })
    };
    let body = ErrorBody {
        error: reason,
        detail: None,
        fields: Vec::new(),
    };
    let bytes =
        serde_json::to_vec(&body).unwrap_or_else(|_| br#"{"error":"request failed"}"#.to_vec());
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use kobler_core::FieldError;

    #[test]
    fn invalid_need_names_every_field() {
        let error = ApiError::from(EngineError::InvalidFields(vec![
            FieldError {
                field: "title".into(),
                reason: "is missing".into(),
            },
            FieldError {
                field: "focus_areas".into(),
                reason: "unknown focus area".into(),
            },
        ]));
        assert_eq!(error.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let fields: Vec<&str> = error
            .body()
            .fields
            .iter()
            .map(|f| f.field.as_str())
            .collect();
        assert_eq!(fields, ["title", "focus_areas"]);
    }

    #[test]
    fn engine_errors_map_to_statuses_and_keep_the_reasons_a_user_may_see() {
        let forbidden = ApiError::from(EngineError::Forbidden("only researchers".into()));
        assert_eq!(forbidden.status(), StatusCode::FORBIDDEN);
        assert_eq!(forbidden.body().error, "only researchers");
        let conflict = ApiError::from(EngineError::Conflict("need \"n1\" exists already".into()));
        assert_eq!(conflict.status(), StatusCode::CONFLICT);
        assert_eq!(conflict.body().error, "need \"n1\" exists already");
        let missing = ApiError::from(EngineError::NotFound("unknown unit \"u\"".into()));
        assert_eq!(missing.status(), StatusCode::NOT_FOUND);
        let invalid = ApiError::from(EngineError::Invalid("note too long".into()));
        assert_eq!(invalid.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let failed = ApiError::from(EngineError::Io("disk".into()));
        assert_eq!(failed.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(failed.body().error, INTERNAL);
    }

    #[test]
    fn a_busy_store_is_503_with_retry_after_and_nothing_else_is() {
        let busy = ApiError::from(EngineError::Store(kobler_engine::StoreError::Busy));
        assert_eq!(busy.status(), StatusCode::SERVICE_UNAVAILABLE);
        let response = busy.into_response();
        assert_eq!(
            response.headers().get(header::RETRY_AFTER),
            Some(&HeaderValue::from(RETRY_AFTER_SECS))
        );
        let not_ready = ApiError::from(EngineError::NotReady("first run".into()));
        assert_eq!(not_ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    }

    #[tokio::test]
    async fn plain_text_errors_become_json() {
        let response = (StatusCode::BAD_REQUEST, "broken input").into_response();
        let response = json_errors(response).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let bytes = axum::body::to_bytes(response.into_body(), 1024)
            .await
            .expect("body");
        let body: serde_json::Value = serde_json::from_slice(&bytes).expect("json");
        assert_eq!(body["error"], "broken input");
    }

    #[tokio::test]
    async fn successes_are_left_alone() {
        let response = json_errors("ok".into_response()).await;
        assert_eq!(response.status(), StatusCode::OK);
        let bytes = axum::body::to_bytes(response.into_body(), 1024)
            .await
            .expect("body");
        assert_eq!(&bytes[..], b"ok");
    }
}
