//! How fresh a derived answer is, in headers: the overlap run, the pairing queue and the
//! portfolio are kept by the engine's background worker, not computed per request, and every
//! answer built from one says which store change it reflects (`Kobler-As-Of-Seq`) and when it
//! was computed (`Kobler-Computed-At`). Object answers carry the same in `as_of_seq` and
//! `computed_at` fields.

use axum::http::{HeaderName, HeaderValue};
use axum::response::{IntoResponse, Response};
use kobler_engine::Fresh;

/// The store change sequence a kept answer was computed from.
pub(crate) const AS_OF_SEQ: HeaderName = HeaderName::from_static("kobler-as-of-seq");
/// When a kept answer was computed (UTC, ISO 8601).
pub(crate) const COMPUTED_AT: HeaderName = HeaderName::from_static("kobler-computed-at");

/// An answer with the freshness headers of the kept result it was built from.
pub(crate) struct WithFreshness<T> {
    /// The answer.
    pub body: T,
    /// Its store change sequence.
    pub as_of_seq: i64,
    /// When it was computed.
    pub computed_at: String,
}

impl<T> WithFreshness<T> {
    /// `body`, built from `fresh`.
    pub(crate) fn of<U>(fresh: &Fresh<U>, body: T) -> Self {
        WithFreshness {
            body,
            as_of_seq: fresh.as_of_seq,
            computed_at: fresh.computed_at.clone(),
        }
    }
}

impl<T: IntoResponse> IntoResponse for WithFreshness<T> {
    fn into_response(self) -> Response {
        let mut response = self.body.into_response();
        let headers = response.headers_mut();
        headers.insert(AS_OF_SEQ, HeaderValue::from(self.as_of_seq));
        if let Ok(at) = HeaderValue::from_str(&self.computed_at) {
            headers.insert(COMPUTED_AT, at);
        }
        response
    }
}
