//! `blindmatch serve`: the watch-list service (DESIGN §7.4).
//!
//! HTTPS only, with client certificates required and verified against the
//! configured CA; the client id is the certificate's subject common name,
//! never anything the request says. The protocol is the library's
//! ([`Server::answer_with`]); budgets and the audit trail live in the
//! ledger, charged in a committed transaction before an answer leaves.
//! SIGHUP reloads the configuration beside the accept loop (a new key is a
//! new epoch, served without a restart; connections whose client
//! certificate the new configuration no longer trusts are closed);
//! SIGTERM and SIGINT stop accepting and let the requests in flight
//! finish.
//!
//! Fairness: one client id has at most `max_queries_per_client` queries in
//! flight (more are refused before their body is read), a body must arrive
//! at `min_body_rate`, and bodies are read before a query takes one of the
//! `max_concurrent_queries` evaluation slots, so a client that trickles
//! bodies holds no slot another client needs; one address has at most
//! `max_handshakes_per_address` TLS handshakes in progress.

mod config;
mod http;
mod metrics;

use std::collections::HashMap;
use std::hash::Hash;
use std::io::{IsTerminal, Write};
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use axum::body::Bytes;
use blindmatch::records::RecordSet;
use blindmatch::unbalanced::{Server, ServerConfig};
use blindmatch_ledger::Ledger;
use hyper_util::rt::{TokioIo, TokioTimer};
use serde_json::json;
use sha2::{Digest as _, Sha256};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt as _;
use tracing::{error, info, warn};

use crate::ServeArgs;
use crate::fail::{Class, Failure, Outcome};
use crate::files::{KeyFile, Passphrase};
use crate::steps;
use crate::table;
use crate::tls;
use crate::ui::Ui;

pub(crate) use config::ServerToml;
use config::Source;
use metrics::Metrics;

/// Bytes a query message has beyond its 32-byte elements (type, ids,
/// profile, counts), with room to spare.
const QUERY_OVERHEAD: usize = 1024;
/// How long a client has for its TLS handshake.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a client has to send a request's headers.
const HEADER_TIMEOUT: Duration = Duration::from_secs(20);
/// The longest a client has to send a query's body, however large.
const BODY_TIMEOUT: Duration = Duration::from_secs(60);
/// What a body has beyond its length at the minimum rate.
const BODY_GRACE: Duration = Duration::from_secs(5);
/// How long requests in flight may take to finish at shutdown.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// What is served now; replaced whole on reload.
#[derive(Debug)]
pub(crate) struct Current {
    server: Server,
    digest: Bytes,
    /// `"<epoch>-<first 8 bytes of SHA-256 of the digest>"`, quoted: it
    /// changes with the key (a new epoch) and with every rebuild of the list.
    etag: String,
    epoch: String,
    /// The VOPRF public key every answer is proven against, hex.
    public_key: String,
    items: usize,
    max_body: usize,
    metrics_clients: Vec<String>,
    max_queries_per_client: usize,
    min_body_rate: usize,
}

impl Current {
    /// How long a body of `declared` bytes (the body limit when none is
    /// declared) may take to arrive: at the minimum rate, plus a grace,
    /// and never more than [`BODY_TIMEOUT`].
    fn body_deadline(&self, declared: Option<u64>) -> Duration {
        let len = declared.unwrap_or(self.max_body as u64);
        let at_rate = Duration::from_secs_f64(len as f64 / self.min_body_rate as f64);
        (BODY_GRACE + at_rate).min(BODY_TIMEOUT)
    }
}

/// How many of something each key (a client id, an address) holds now.
type Counts<K> = Arc<Mutex<HashMap<K, usize>>>;

/// One of `key`'s units of a [`Counts`], given back on drop.
#[derive(Debug)]
pub(crate) struct Counted<K: Hash + Eq + Clone> {
    counts: Counts<K>,
    key: K,
}

impl<K: Hash + Eq + Clone> Counted<K> {
    /// Takes a unit for `key` unless it holds `max` already.
    fn take(counts: &Counts<K>, key: K, max: usize) -> Option<Self> {
        let mut map = counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let n = map.entry(key.clone()).or_insert(0);
        if *n >= max {
            return None;
        }
        *n += 1;
        Some(Counted {
            counts: counts.clone(),
            key,
        })
    }
}

impl<K: Hash + Eq + Clone> Drop for Counted<K> {
    fn drop(&mut self) {
        let mut map = self
            .counts
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(n) = map.get_mut(&self.key) {
            *n -= 1;
            if *n == 0 {
                map.remove(&self.key);
            }
        }
    }
}

/// The limits a reload cannot change (they size what the service holds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct FixedLimits {
    max_connections: usize,
    max_concurrent_queries: usize,
    max_handshakes_per_address: usize,
}

impl FixedLimits {
    fn of(config: &ServerToml) -> Self {
        let cpus = std::thread::available_parallelism().map_or(2, |n| n.get());
        FixedLimits {
            max_connections: config.max_connections,
            max_concurrent_queries: config.max_concurrent_queries.unwrap_or(cpus),
            max_handshakes_per_address: config.max_handshakes_per_address,
        }
    }
}

/// The service's shared state.
#[derive(Debug)]
pub(crate) struct App {
    config_path: PathBuf,
    pass: Passphrase,
    listen: SocketAddr,
    ledger_path: PathBuf,
    current: RwLock<Arc<Current>>,
    tls: RwLock<tls::ServerTls>,
    ledger: Arc<Ledger>,
    metrics: Metrics,
    query_permits: Arc<Semaphore>,
    /// Queries in flight per client id.
    in_flight: Counts<Arc<str>>,
    /// TLS handshakes in progress per address.
    handshakes: Counts<IpAddr>,
    limits: FixedLimits,
    /// One reload at a time.
    reloading: tokio::sync::Mutex<()>,
    /// Bumped by every reload that swapped the certificates: open
    /// connections check theirs again.
    trust: tokio::sync::watch::Sender<u64>,
}

impl App {
    fn current(&self) -> Arc<Current> {
        match self.current.read() {
            Ok(c) => c.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn tls(&self) -> tls::ServerTls {
        match self.tls.read() {
            Ok(a) => a.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn acceptor(&self) -> TlsAcceptor {
        TlsAcceptor::from(self.tls().config)
    }
}

/// Builds what is served from the configuration: the key, and the digest
/// read from a file or built from the records.
fn load(config: &ServerToml, pass: &Passphrase) -> Outcome<Current> {
    let key_path = &config.watchlist.key;
    if !key_path.exists() {
        return Err(Failure::input(format!(
            "{}: no such key file (make one with `blindmatch keygen --out {}`)",
            key_path.display(),
            key_path.display()
        )));
    }
    let key = KeyFile::read(key_path, pass)?.watchlist()?;
    let policy = ServerConfig::new(config.budget()?).with_max_query_items(config.max_query_items);
    let server = match config.source()? {
        Source::Digest(path) => {
            let (bytes, _) = steps::read_digest(&path)?;
            Server::from_digest(key, &bytes, policy).map_err(|e| match e {
                blindmatch::Error::EpochMismatch => Failure::input(format!(
                    "{}: this digest was built under another key than {}",
                    path.display(),
                    key_path.display()
                )),
                e => Failure::from(e).context(path.display()),
            })?
        }
        Source::Records {
            records,
            label,
            fpr_bits,
        } => {
            let (set, labels) = records.read(&Ui::new(false, true), label.as_deref())?;
            // Unusable values are reported beside the key (private), never served.
            let errors = records.errors_path(key_path);
            table::write_errors(&errors, set.errors())?;
            if set.keys().is_empty() {
                return Err(Failure::input(format!(
                    "{}: no usable identifier in any record (see {})",
                    records.records.display(),
                    errors.display()
                )));
            }
            let key_labels = label.as_ref().map(|_| steps::key_labels(&set, &labels));
            build(
                key,
                &set,
                key_labels.as_deref(),
                policy.with_fpr_bits(fpr_bits),
            )?
        }
    };
    let digest = Bytes::copy_from_slice(server.digest());
    let epoch = hex::encode(server.epoch());
    let hash = Sha256::digest(&digest);
    Ok(Current {
        etag: format!("\"{epoch}-{}\"", hex::encode(&hash[..8])),
        items: blindmatch::unbalanced::SetDigest::from_bytes(&digest)?.len(),
        max_body: config
            .max_query_items
            .saturating_mul(32)
            .saturating_add(QUERY_OVERHEAD),
        metrics_clients: config.metrics.clients.clone(),
        max_queries_per_client: config.max_queries_per_client,
        min_body_rate: config.min_body_rate,
        public_key: hex::encode(server.key().public_key()),
        epoch,
        digest,
        server,
    })
}

fn build(
    key: blindmatch::oprf::OprfKey,
    set: &RecordSet,
    labels: Option<&[Vec<u8>]>,
    policy: ServerConfig,
) -> Outcome<Server> {
    Ok(Server::new(
        key,
        set.keys(),
        labels,
        policy.with_profile(set.profile()),
    )?)
}

fn tls_config(config: &ServerToml) -> Outcome<tls::ServerTls> {
    let t = &config.tls;
    tls::server_config(&t.cert, &t.key, &t.client_ca, &t.crl)
}

/// Runs the service until SIGTERM or SIGINT.
pub(crate) fn serve(ui: &Ui, pass: &Passphrase, a: &ServeArgs) -> Outcome {
    let config = ServerToml::read(&a.config)?;
    let level = match config.log.as_str() {
        "error" => tracing::Level::ERROR,
        "warn" => tracing::Level::WARN,
        "debug" => tracing::Level::DEBUG,
        _ => tracing::Level::INFO,
    };
    tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .init();
    // Certificates and the list first: a configuration that cannot serve
    // leaves no ledger file behind.
    let tls = tls_config(&config)?;
    info!("loading the watch-list");
    let current = load(&config, pass)?;
    let ledger = Arc::new(
        Ledger::open(&config.ledger)
            .map_err(|e| Failure::from(e).context(config.ledger.display()))?,
    );
    info!(ledger = %config.ledger.display(), "ledger open");
    let metrics = Metrics::new();
    metrics.serve_epoch(None, &current.epoch, current.items);
    info!(
        epoch = %current.epoch,
        items = current.items,
        digest_bytes = current.digest.len(),
        "watch-list ready"
    );
    let cpus = std::thread::available_parallelism().map_or(2, |n| n.get());
    let limits = FixedLimits::of(&config);
    let app = Arc::new(App {
        config_path: a.config.clone(),
        pass: pass.clone(),
        listen: config.listen,
        ledger_path: config.ledger.clone(),
        current: RwLock::new(Arc::new(current)),
        tls: RwLock::new(tls),
        ledger,
        metrics,
        query_permits: Arc::new(Semaphore::new(limits.max_concurrent_queries)),
        in_flight: Counts::default(),
        handshakes: Counts::default(),
        limits,
        reloading: tokio::sync::Mutex::new(()),
        trust: tokio::sync::watch::Sender::new(0),
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(cpus)
        .enable_all()
        .build()
        .map_err(|e| Failure::internal(format!("cannot start the runtime: {e}")))?;
    runtime.block_on(run(ui, app))
}

async fn run(ui: &Ui, app: Arc<App>) -> Outcome {
    use tokio::signal::unix::{SignalKind, signal};
    let listener = TcpListener::bind(app.listen).await.map_err(|e| {
        Failure::new(
            Class::Usage,
            format!("cannot listen on {}: {e}", app.listen),
        )
    })?;
    let bound = listener
        .local_addr()
        .map_err(|e| Failure::internal(format!("no local address: {e}")))?;
    announce(ui, bound, &app.current());
    let signal_failure =
        |e: std::io::Error| Failure::internal(format!("cannot handle signals: {e}"));
    let mut hangup = signal(SignalKind::hangup()).map_err(signal_failure)?;
    let mut terminate = signal(SignalKind::terminate()).map_err(signal_failure)?;
    let mut interrupt = signal(SignalKind::interrupt()).map_err(signal_failure)?;
    let router = http::router(app.clone());
    let connections = Arc::new(Semaphore::new(app.limits.max_connections));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let (tcp, peer) = match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        // Out of descriptors and the like: wait, do not spin.
                        warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                };
                let Ok(permit) = connections.clone().try_acquire_owned() else {
                    app.metrics.handshake_failed("too_many_connections");
                    warn!(%peer, "connection closed: max_connections reached");
                    continue;
                };
                let watcher = graceful.watcher();
                let app = app.clone();
                let router = router.clone();
                tokio::spawn(async move {
                    connection(app, router, tcp, peer, watcher).await;
                    drop(permit);
                });
            }
            // Beside the accept loop: a slow reload (a large list) does
            // not stop new connections.
            _ = hangup.recv() => {
                let app = app.clone();
                tokio::spawn(async move { reload(&app).await });
            }
            _ = terminate.recv() => break,
            _ = interrupt.recv() => break,
        }
    }
    info!("shutting down: no new connections; waiting for requests in flight");
    drop(listener);
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown())
        .await
        .is_err()
    {
        warn!("requests still in flight after {SHUTDOWN_GRACE:?}; stopping anyway");
    }
    info!("stopped");
    Ok(())
}

/// Tells where the service listens, on stdout (one JSON line with --json).
fn announce(ui: &Ui, bound: SocketAddr, current: &Current) {
    let mut out = std::io::stdout().lock();
    let line = if ui.json() {
        json!({
            "listening": format!("https://{bound}"),
            "epoch": current.epoch,
            "items": current.items,
            "digest_bytes": current.digest.len(),
        })
        .to_string()
    } else {
        format!(
            "blindmatch serve: listening on https://{bound} (epoch {}, {} keys)",
            current.epoch, current.items
        )
    };
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

async fn connection(
    app: Arc<App>,
    router: axum::Router,
    tcp: tokio::net::TcpStream,
    peer: SocketAddr,
    watcher: hyper_util::server::graceful::Watcher,
) {
    let Some(handshaking) = Counted::take(
        &app.handshakes,
        peer.ip(),
        app.limits.max_handshakes_per_address,
    ) else {
        app.metrics.handshake_failed("too_many_handshakes");
        info!(%peer, "connection closed: too many handshakes in progress from this address");
        return;
    };
    let accepted = tokio::time::timeout(HANDSHAKE_TIMEOUT, app.acceptor().accept(tcp)).await;
    drop(handshaking);
    let stream = match accepted {
        Ok(Ok(stream)) => stream,
        Ok(Err(e)) => {
            let reason = handshake_reason(&e);
            app.metrics.handshake_failed(reason);
            info!(%peer, reason, error = %e, "TLS handshake refused");
            return;
        }
        Err(_) => {
            app.metrics.handshake_failed("timeout");
            info!(%peer, "TLS handshake timed out");
            return;
        }
    };
    // The verifier accepted the chain; the id is the leaf's common name.
    let chain: Vec<rustls_pki_types::CertificateDer<'static>> = stream
        .get_ref()
        .1
        .peer_certificates()
        .map(<[_]>::to_vec)
        .unwrap_or_default();
    let id = match chain.first() {
        Some(cert) => tls::client_id(cert),
        None => Err("no client certificate"),
    };
    let client: Arc<str> = match id {
        Ok(id) => id.into(),
        Err(why) => {
            app.metrics.handshake_failed("unusable_client_certificate");
            warn!(%peer, why, "connection closed");
            return;
        }
    };
    let service =
        hyper::service::service_fn(move |mut request: hyper::Request<hyper::body::Incoming>| {
            request
                .extensions_mut()
                .insert(http::ClientId(client.clone()));
            router.clone().oneshot(request)
        });
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT)
        .serve_connection(TokioIo::new(stream), service);
    let mut trust = app.trust.subscribe();
    let conn = watcher.watch(conn);
    tokio::pin!(conn);
    loop {
        tokio::select! {
            ended = &mut conn => {
                if let Err(e) = ended {
                    tracing::debug!(%peer, error = %e, "connection ended with an error");
                }
                return;
            }
            changed = trust.changed() => {
                if changed.is_err() {
                    // The service is going away; let the connection end.
                    if let Err(e) = conn.await {
                        tracing::debug!(%peer, error = %e, "connection ended with an error");
                    }
                    return;
                }
                if !app.tls().still_trusts(&chain) {
                    // Dropping the connection closes it, a request in flight too.
                    app.metrics.handshake_failed("revoked_after_reload");
                    warn!(%peer, "connection closed: its client certificate is no longer trusted");
                    return;
                }
            }
        }
    }
}

fn handshake_reason(e: &std::io::Error) -> &'static str {
    match e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        Some(rustls::Error::NoCertificatesPresented) => "no_client_certificate",
        Some(rustls::Error::InvalidCertificate(_)) => "bad_client_certificate",
        Some(_) => "tls_error",
        None => "connection_error",
    }
}

/// SIGHUP: reads the configuration again and swaps in the new key, list,
/// certificates and limits once they are all ready; on any error keeps
/// serving what it served.
async fn reload(app: &Arc<App>) {
    let _one = app.reloading.lock().await;
    info!("SIGHUP: reloading the configuration");
    let worker = app.clone();
    let loaded =
        tokio::task::spawn_blocking(move || -> Outcome<(ServerToml, tls::ServerTls, Current)> {
            let config = ServerToml::read(&worker.config_path)?;
            let tls = tls_config(&config)?;
            let current = load(&config, &worker.pass)?;
            Ok((config, tls, current))
        })
        .await;
    let (config, tls, current) = match loaded {
        Ok(Ok(loaded)) => loaded,
        Ok(Err(f)) => return reload_failed(app, &f.to_string()),
        Err(e) => return reload_failed(app, &e.to_string()),
    };
    if config.listen != app.listen || !same_file(&config.ledger, &app.ledger_path) {
        warn!("listen and ledger changes take effect at the next restart only");
    }
    let fixed = FixedLimits::of(&config);
    for (name, now, configured) in [
        (
            "max_connections",
            app.limits.max_connections,
            fixed.max_connections,
        ),
        (
            "max_concurrent_queries",
            app.limits.max_concurrent_queries,
            fixed.max_concurrent_queries,
        ),
        (
            "max_handshakes_per_address",
            app.limits.max_handshakes_per_address,
            fixed.max_handshakes_per_address,
        ),
    ] {
        if now != configured {
            warn!(
                limit = name,
                serving = now,
                configured,
                "this limit changed in the configuration and needs a restart"
            );
        }
    }
    let old = app.current();
    app.metrics
        .serve_epoch(Some(&old.epoch), &current.epoch, current.items);
    let rotated = old.epoch != current.epoch;
    info!(
        epoch = %current.epoch,
        previous_epoch = %old.epoch,
        items = current.items,
        rotated,
        "reloaded"
    );
    if let Ok(mut slot) = app.tls.write() {
        *slot = tls;
    }
    if let Ok(mut slot) = app.current.write() {
        *slot = Arc::new(current);
    }
    // Open connections check their client certificate against the new
    // CA and revocation lists.
    app.trust.send_modify(|generation| *generation += 1);
    app.metrics
        .reloads
        .get_or_create(&metrics::Status {
            status: "ok".to_owned(),
        })
        .inc();
}

fn reload_failed(app: &App, why: &str) {
    error!(
        error = why,
        "reload failed; still serving the previous configuration"
    );
    app.metrics
        .reloads
        .get_or_create(&metrics::Status {
            status: "failed".to_owned(),
        })
        .inc();
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}
