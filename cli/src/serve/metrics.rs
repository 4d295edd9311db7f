//! What `/metrics` shows, in the Prometheus text format. Counters count
//! requests and keys, never what the keys are; no label names a client.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct Reason {
    pub(crate) reason: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct Epoch {
    pub(crate) epoch: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct Status {
    pub(crate) status: String,
}

/// The service's counters; cheap to update from any thread.
#[derive(Debug)]
pub(crate) struct Metrics {
    registry: Registry,
    pub(crate) queries: Counter,
    pub(crate) items: Counter,
    pub(crate) refusals: Family<Reason, Counter>,
    pub(crate) handshake_failures: Family<Reason, Counter>,
    pub(crate) latency: Histogram,
    pub(crate) in_flight: Gauge,
    pub(crate) digest_requests: Family<Status, Counter>,
    pub(crate) digest_bytes: Counter,
    pub(crate) watchlist_items: Gauge,
    pub(crate) epoch: Family<Epoch, Gauge>,
    pub(crate) reloads: Family<Status, Counter>,
}

impl Metrics {
    pub(crate) fn new() -> Self {
        let mut registry = Registry::with_prefix("blindmatch");
        let queries = Counter::default();
        let items = Counter::default();
        let refusals = Family::<Reason, Counter>::default();
        let handshake_failures = Family::<Reason, Counter>::default();
        // 1 ms to about 65 s.
        let latency = Histogram::new(exponential_buckets(0.001, 2.0, 17));
        let in_flight = Gauge::default();
        let digest_requests = Family::<Status, Counter>::default();
        let digest_bytes = Counter::default();
        let watchlist_items = Gauge::default();
        let epoch = Family::<Epoch, Gauge>::default();
        let reloads = Family::<Status, Counter>::default();
        registry.register(
            "queries",
            "Queries answered (charged to a budget and recorded in the ledger)",
            queries.clone(),
        );
        registry.register(
            "items_evaluated",
            "Keys evaluated under the watch-list key, over all answered queries",
            items.clone(),
        );
        registry.register(
            "refusals",
            "Requests refused after the TLS handshake, by reason (error code)",
            refusals.clone(),
        );
        registry.register(
            "tls_handshake_failures",
            "Connections refused during the TLS handshake (no client certificate, another CA, revoked, timeout, too many handshakes from one address) or closed after a reload that no longer trusts their certificate",
            handshake_failures.clone(),
        );
        registry.register(
            "query_duration_seconds",
            "Time from the start of reading a query to its answer, answered queries only",
            latency.clone(),
        );
        registry.register(
            "queries_in_flight",
            "Queries being read or evaluated now",
            in_flight.clone(),
        );
        registry.register(
            "digest_requests",
            "Digest downloads by HTTP status (200 whole, 206 range, 304 cached, 416 bad range)",
            digest_requests.clone(),
        );
        registry.register(
            "digest_bytes_sent",
            "Digest bytes sent",
            digest_bytes.clone(),
        );
        registry.register(
            "watchlist_items",
            "Keys on the watch-list served now",
            watchlist_items.clone(),
        );
        registry.register(
            "epoch_info",
            "1 for the key epoch served now",
            epoch.clone(),
        );
        registry.register(
            "reloads",
            "Configuration reloads (SIGHUP) by result",
            reloads.clone(),
        );
        Metrics {
            registry,
            queries,
            items,
            refusals,
            handshake_failures,
            latency,
            in_flight,
            digest_requests,
            digest_bytes,
            watchlist_items,
            epoch,
            reloads,
        }
    }

    pub(crate) fn refuse(&self, reason: &str) {
        self.refusals
            .get_or_create(&Reason {
                reason: reason.to_owned(),
            })
            .inc();
    }

    pub(crate) fn handshake_failed(&self, reason: &str) {
        self.handshake_failures
            .get_or_create(&Reason {
                reason: reason.to_owned(),
            })
            .inc();
    }

    /// Shows the epoch served now (and no longer the one before).
    pub(crate) fn serve_epoch(&self, old: Option<&str>, new: &str, items: usize) {
        if let Some(old) = old.filter(|o| *o != new) {
            self.epoch.remove(&Epoch {
                epoch: old.to_owned(),
            });
        }
        self.epoch
            .get_or_create(&Epoch {
                epoch: new.to_owned(),
            })
            .set(1);
        self.watchlist_items
            .set(i64::try_from(items).unwrap_or(i64::MAX));
    }

    pub(crate) fn encode(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}
