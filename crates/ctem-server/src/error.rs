//! One error type for every handler. Internal errors are logged to stderr
//! and answered with a plain 500; the caller's mistakes get a 4xx with a
//! message that says what to change. Messages never carry secrets.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// An error answered as JSON `{"error": "..."}` with its status.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    /// Seconds to wait, for 429.
    pub retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            message: message.into(),
            retry_after: None,
        }
    }
    pub fn bad_request(m: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, m)
    }
    pub fn unauthorized() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "authentication required: send `Authorization: Bearer <token>` (create one with `ctem token create`) or sign in",
        )
    }
    pub fn forbidden(what: &str) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, format!("your role may not {what}"))
    }
    pub fn not_found(what: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, what)
    }
    pub fn internal(e: impl std::fmt::Display) -> ApiError {
        eprintln!("ctem serve: internal error: {e}");
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal error (logged)")
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.status, self.message)
    }
}

impl From<ctem_store::StoreError> for ApiError {
    fn from(e: ctem_store::StoreError) -> Self {
        match e {
            // The caller's input (an ambiguous prefix, a bad cursor).
            ctem_store::StoreError::Other(m) => ApiError::bad_request(m),
            e => ApiError::internal(e),
        }
    }
}

impl From<ctem_engine::Error> for ApiError {
    fn from(e: ctem_engine::Error) -> Self {
        match e.code {
            ctem_engine::ErrorKind::Invalid | ctem_engine::ErrorKind::Usage => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, e.message)
            }
            _ => ApiError::internal(e),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "error": self.message });
        let mut r = (self.status, axum::Json(body)).into_response();
        if let Some(s) = self.retry_after
            && let Ok(v) = axum::http::HeaderValue::from_str(&s.to_string())
        {
            r.headers_mut().insert(axum::http::header::RETRY_AFTER, v);
        }
        r
    }
}
