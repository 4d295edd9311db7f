//! The endpoints of DESIGN §7.4. Every request has passed the mutual TLS
//! handshake; [`ClientId`] is the common name of its certificate.

use std::sync::Arc;
use std::time::Instant;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Extension, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use blindmatch::budget::Budget;
use blindmatch::registry::parties::Served;
use blindmatch::session::party::Party;
use serde_json::{Value, json};
use tracing::{info, warn};

use super::{App, Counted, Current};

/// The client id from the connection's certificate.
#[derive(Debug, Clone)]
pub(crate) struct ClientId(pub(crate) Arc<str>);

/// The header that names the epoch of a digest or an answer.
pub(crate) const EPOCH_HEADER: &str = "blindmatch-epoch";
/// The VOPRF public key of the epoch (hex), which the digest also carries
/// and against which every answer's proof is checked.
pub(crate) const PUBLIC_KEY_HEADER: &str = "blindmatch-public-key";
/// The header with the client's remaining budget after an answer.
pub(crate) const REMAINING_HEADER: &str = "blindmatch-remaining-budget";

pub(crate) fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/v1/digest", get(digest))
        .route("/v1/query", post(query))
        .route("/v1/budget", get(budget))
        .route("/healthz", get(health))
        .route("/metrics", get(metrics))
        .fallback(not_found)
        .with_state(app)
}

/// An error response: `{"error": code, "message": text, "epoch": served}`.
fn error(status: StatusCode, code: &str, message: &str, current: &Current) -> Response {
    let body = json!({ "error": code, "message": message, "epoch": current.epoch });
    (status, axum::Json(body)).into_response()
}

fn header_value(s: &str) -> HeaderValue {
    HeaderValue::from_str(s).unwrap_or(HeaderValue::from_static("invalid"))
}

async fn not_found(State(app): State<Arc<App>>) -> Response {
    error(
        StatusCode::NOT_FOUND,
        "not_found",
        "no such endpoint (GET /v1/digest, POST /v1/query, GET /v1/budget, GET /healthz, GET /metrics)",
        &app.current(),
    )
}

/// Whether an `If-None-Match` or `If-Range` value names `etag`.
fn names_etag(value: &HeaderValue, etag: &str) -> bool {
    value.to_str().is_ok_and(|v| {
        v.split(',')
            .map(|t| t.trim().trim_start_matches("W/"))
            .any(|t| t == "*" || t == etag)
    })
}

/// One `bytes=` range of a `total`-byte body: `None` when the header is
/// not one we honour (the whole body is sent, as RFC 9110 allows),
/// `Some(Err(()))` when it cannot be satisfied.
fn byte_range(value: &HeaderValue, total: usize) -> Option<Result<(usize, usize), ()>> {
    let spec = value.to_str().ok()?.trim().strip_prefix("bytes=")?;
    if spec.contains(',') {
        return None;
    }
    let (first, last) = spec.split_once('-')?;
    let (first, last) = (first.trim(), last.trim());
    if first.is_empty() {
        let n: usize = last.parse().ok()?;
        if n == 0 || total == 0 {
            return Some(Err(()));
        }
        return Some(Ok((total.saturating_sub(n), total - 1)));
    }
    let start: usize = first.parse().ok()?;
    let end = if last.is_empty() {
        total.saturating_sub(1)
    } else {
        let end: usize = last.parse().ok()?;
        if end < start {
            return None;
        }
        end.min(total.saturating_sub(1))
    };
    if start >= total {
        return Some(Err(()));
    }
    Some(Ok((start, end)))
}

async fn digest(
    State(app): State<Arc<App>>,
    Extension(ClientId(client)): Extension<ClientId>,
    headers: HeaderMap,
) -> Response {
    let current = app.current();
    let total = current.digest.len();
    let mut response = Response::builder()
        .header(header::ETAG, header_value(&current.etag))
        .header(EPOCH_HEADER, header_value(&current.epoch))
        .header(PUBLIC_KEY_HEADER, header_value(&current.public_key))
        .header(header::ACCEPT_RANGES, "bytes")
        // A cached copy is checked again (ETag) before use: the list may
        // be rebuilt or rotated at any time.
        .header(header::CACHE_CONTROL, "no-cache")
        .header(header::CONTENT_TYPE, "application/octet-stream");
    let (status, body) = if headers
        .get(header::IF_NONE_MATCH)
        .is_some_and(|v| names_etag(v, &current.etag))
    {
        (StatusCode::NOT_MODIFIED, Bytes::new())
    } else {
        let range_applies = headers
            .get(header::IF_RANGE)
            .is_none_or(|v| names_etag(v, &current.etag));
        match headers
            .get(header::RANGE)
            .filter(|_| range_applies)
            .and_then(|v| byte_range(v, total))
        {
            None => (StatusCode::OK, current.digest.clone()),
            Some(Ok((start, end))) => {
                response = response.header(
                    header::CONTENT_RANGE,
                    format!("bytes {start}-{end}/{total}"),
                );
                (
                    StatusCode::PARTIAL_CONTENT,
                    current.digest.slice(start..=end),
                )
            }
            Some(Err(())) => {
                response = response.header(header::CONTENT_RANGE, format!("bytes */{total}"));
                (StatusCode::RANGE_NOT_SATISFIABLE, Bytes::new())
            }
        }
    };
    app.metrics
        .digest_requests
        .get_or_create(&super::metrics::Status {
            status: status.as_u16().to_string(),
        })
        .inc();
    app.metrics.digest_bytes.inc_by(body.len() as u64);
    info!(client = %client, status = status.as_u16(), bytes = body.len(), epoch = %current.epoch, "digest");
    response
        .status(status)
        .body(Body::from(body))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

/// Counts a query as in flight while it lives.
struct InFlight<'a>(&'a prometheus_client::metrics::gauge::Gauge);

impl<'a> InFlight<'a> {
    fn new(gauge: &'a prometheus_client::metrics::gauge::Gauge) -> Self {
        gauge.inc();
        InFlight(gauge)
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// A refused query: counted by reason, logged without contents.
fn refuse(
    app: &App,
    client: &str,
    status: StatusCode,
    code: &str,
    message: &str,
    current: &Current,
) -> Response {
    app.metrics.refuse(code);
    warn!(client = %client, status = status.as_u16(), reason = code, "query refused");
    error(status, code, message, current)
}

fn status_of(e: &blindmatch::Error) -> StatusCode {
    use blindmatch::Error as E;
    match e {
        // The same query while it is still being answered: retry later.
        E::BudgetExceeded { .. } | E::Replay(_) => StatusCode::TOO_MANY_REQUESTS,
        E::EpochMismatch => StatusCode::CONFLICT,
        E::ProfileMismatch => StatusCode::UNPROCESSABLE_ENTITY,
        E::PeerSetTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
        E::Storage(_) => StatusCode::SERVICE_UNAVAILABLE,
        E::Rng => StatusCode::INTERNAL_SERVER_ERROR,
        _ => StatusCode::BAD_REQUEST,
    }
}

async fn query(
    State(app): State<Arc<App>>,
    Extension(ClientId(client)): Extension<ClientId>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let started = Instant::now();
    let current = app.current();
    let too_large = format!(
        "a query body is at most {} bytes ({} keys)",
        current.max_body,
        current.server.config().max_query_items
    );
    let refused =
        |status, code: &str, message: &str| refuse(&app, &client, status, code, message, &current);
    // The declared length is checked before a byte of the body is read.
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > current.max_body as u64) {
        return refused(StatusCode::PAYLOAD_TOO_LARGE, "body_too_large", &too_large);
    }
    // One client id, at most so many queries in flight: more are refused
    // before a byte of their body is read, so one certificate holder
    // cannot fill the service with slow bodies.
    let Some(_mine) = Counted::take(
        &app.in_flight,
        client.clone(),
        current.max_queries_per_client,
    ) else {
        return refused(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_in_flight",
            &format!(
                "this client has {} queries in flight already: wait for their answers",
                current.max_queries_per_client
            ),
        );
    };
    let _in_flight = InFlight::new(&app.metrics.in_flight);
    // The body first, within a deadline that scales with its length (a
    // minimum rate); a body without a length (chunked) stops at the same
    // limit. Only then does the query wait for an evaluation slot, so a
    // slow body holds none.
    let read = tokio::time::timeout(
        current.body_deadline(declared),
        axum::body::to_bytes(body, current.max_body),
    )
    .await;
    let bytes = match read {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(e)) => {
            let over = std::error::Error::source(&e)
                .is_some_and(|s| s.is::<http_body_util::LengthLimitError>());
            return if over {
                refused(StatusCode::PAYLOAD_TOO_LARGE, "body_too_large", &too_large)
            } else {
                refused(
                    StatusCode::BAD_REQUEST,
                    "body_unreadable",
                    "the request body could not be read",
                )
            };
        }
        Err(_) => {
            return refused(
                StatusCode::REQUEST_TIMEOUT,
                "body_timeout",
                "the request body did not arrive in time",
            );
        }
    };
    let Ok(_permit) = app.query_permits.clone().acquire_owned().await else {
        return refused(
            StatusCode::SERVICE_UNAVAILABLE,
            "shutting_down",
            "the service is stopping",
        );
    };
    let worker = app.clone();
    let who = client.clone();
    let served = current.clone();
    let outcome = tokio::task::spawn_blocking(move || {
        // The core's session machine, with the budgets in the ledger.
        let machine = Served::with_budgets(&served.server, &*worker.ledger);
        let answer = match machine.consume_from(&who, &bytes) {
            Ok(step) => step.send.into_iter().next(),
            Err(refused) => return Err(refused.error),
        }
        .ok_or(blindmatch::Error::InvalidState("the server sent no answer"))?;
        let remaining = served.server.remaining_budget_with(&who, &*worker.ledger)?;
        Ok::<_, blindmatch::Error>((answer, remaining))
    })
    .await;
    let (answer, remaining) = match outcome {
        Ok(Ok(done)) => done,
        Ok(Err(e)) => {
            let message = match e {
                blindmatch::Error::EpochMismatch => format!(
                    "the query is for another key epoch; this server answers epoch {} now: fetch /v1/digest again and query again",
                    current.epoch
                ),
                ref e => e.to_string(),
            };
            return refused(status_of(&e), e.code().as_str(), &message);
        }
        Err(_) => {
            return refused(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "the evaluation failed",
            );
        }
    };
    let keys = blindmatch::registry::inspect(&answer)
        .ok()
        .and_then(|info| info.counts.first().map(|c| c.1))
        .unwrap_or(0);
    let seconds = started.elapsed().as_secs_f64();
    app.metrics.queries.inc();
    app.metrics.items.inc_by(keys);
    app.metrics.latency.observe(seconds);
    info!(
        client = %client,
        keys,
        epoch = %current.epoch,
        ms = (seconds * 1000.0).round(),
        remaining = remaining.map_or_else(|| "unlimited".to_owned(), |r| r.to_string()),
        "query answered"
    );
    let mut response = Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/octet-stream")
        .header(EPOCH_HEADER, header_value(&current.epoch))
        .header(PUBLIC_KEY_HEADER, header_value(&current.public_key));
    if let Some(r) = remaining {
        response = response.header(REMAINING_HEADER, r);
    }
    response
        .body(Body::from(answer))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

fn budget_json(budget: Budget) -> Value {
    match budget {
        Budget::Limited(n) => json!(n),
        Budget::Unlimited => json!("unlimited"),
    }
}

async fn budget(
    State(app): State<Arc<App>>,
    Extension(ClientId(client)): Extension<ClientId>,
) -> Response {
    let current = app.current();
    let worker = app.clone();
    let who = client.clone();
    let served = current.clone();
    let spent = tokio::task::spawn_blocking(move || {
        use blindmatch::budget::BudgetStore as _;
        worker.ledger.spent(&served.server.epoch(), &who)
    })
    .await;
    let spent = match spent {
        Ok(Ok(spent)) => spent,
        Ok(Err(e)) => {
            return error(
                StatusCode::SERVICE_UNAVAILABLE,
                e.code().as_str(),
                &e.to_string(),
                &current,
            );
        }
        Err(_) => {
            return error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal",
                "the ledger read failed",
                &current,
            );
        }
    };
    let policy = current.server.config().query_budget;
    let body = json!({
        "client_id": &*client,
        "epoch": current.epoch,
        "budget": budget_json(policy),
        "spent": spent,
        "remaining": policy.remaining(spent).map_or(json!("unlimited"), |r| json!(r)),
        "max_query_items": current.server.config().max_query_items,
    });
    axum::Json(body).into_response()
}

async fn health(State(app): State<Arc<App>>) -> Response {
    let current = app.current();
    axum::Json(json!({
        "status": "ok",
        "epoch": current.epoch,
        "items": current.items,
        "digest_bytes": current.digest.len(),
    }))
    .into_response()
}

async fn metrics(
    State(app): State<Arc<App>>,
    Extension(ClientId(client)): Extension<ClientId>,
) -> Response {
    let current = app.current();
    if !current.metrics_clients.iter().any(|c| **c == *client) {
        return error(
            StatusCode::FORBIDDEN,
            "forbidden",
            "this client may not read /metrics (server.toml: [metrics] clients)",
            &current,
        );
    }
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        app.metrics.encode(),
    )
        .into_response()
}
