//! `server.toml`: what `blindmatch serve` reads at start and again on SIGHUP.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use blindmatch::budget::Budget;
use serde::Deserialize;

use crate::fail::{Class, Failure, Outcome, io};
use crate::table::{self, RecordArgs};

/// The whole file. Relative paths are relative to the file's directory.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ServerToml {
    /// Address and port to listen on (HTTPS only), e.g. `0.0.0.0:8443`.
    pub(crate) listen: SocketAddr,
    /// The ledger: budgets and the audit trail of every answer.
    pub(crate) ledger: PathBuf,
    /// Most keys in one query; the request body limit derives from it.
    #[serde(default = "default_max_query_items")]
    pub(crate) max_query_items: usize,
    /// Queries evaluated at once; more wait (after their body arrived).
    /// Default: the number of CPUs. Needs a restart.
    pub(crate) max_concurrent_queries: Option<usize>,
    /// Open connections at most; more are closed at once. Needs a restart.
    #[serde(default = "default_max_connections")]
    pub(crate) max_connections: usize,
    /// Queries of one client id in flight at once (their bodies arriving
    /// or being evaluated); more are refused (429) before their body is
    /// read. Default 1. Reloads.
    #[serde(default = "default_max_queries_per_client")]
    pub(crate) max_queries_per_client: usize,
    /// TLS handshakes in progress from one address; more connections from
    /// it are closed at once. Default 8. Needs a restart.
    #[serde(default = "default_max_handshakes_per_address")]
    pub(crate) max_handshakes_per_address: usize,
    /// The slowest query body accepted, in bytes per second: a body must
    /// arrive within 5 s plus its declared length (or the body limit, when
    /// none is declared) at this rate, and 60 s at most. Default 16384.
    /// Reloads.
    #[serde(default = "default_min_body_rate")]
    pub(crate) min_body_rate: usize,
    /// `error`, `warn`, `info` (default) or `debug`.
    #[serde(default = "default_log")]
    pub(crate) log: String,
    pub(crate) tls: TlsToml,
    pub(crate) budget: BudgetToml,
    pub(crate) watchlist: WatchlistToml,
    #[serde(default)]
    pub(crate) metrics: MetricsToml,
}

fn default_max_query_items() -> usize {
    1 << 16
}

fn default_max_connections() -> usize {
    1024
}

fn default_max_queries_per_client() -> usize {
    1
}

fn default_max_handshakes_per_address() -> usize {
    8
}

fn default_min_body_rate() -> usize {
    16 * 1024
}

fn default_log() -> String {
    "info".to_owned()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct TlsToml {
    /// The server's certificate chain (PEM), leaf first.
    pub(crate) cert: PathBuf,
    /// The server's private key (PEM; private to the server's user).
    pub(crate) key: PathBuf,
    /// The CA (PEM, one or more certificates) that issues client
    /// certificates. Only its clients get past the handshake.
    pub(crate) client_ca: PathBuf,
    /// Certificate revocation lists (PEM) of that CA.
    #[serde(default)]
    pub(crate) crl: Vec<PathBuf>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct BudgetToml {
    /// Keys each client may have evaluated per key epoch: a number, or
    /// `"unlimited"`. No default.
    pub(crate) per_client: BudgetValue,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub(crate) enum BudgetValue {
    Count(u64),
    Word(String),
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct MetricsToml {
    /// Client ids (certificate common names) that may read `/metrics`.
    /// Nobody else may: the counters tell how busy the service is.
    #[serde(default)]
    pub(crate) clients: Vec<String>,
}

/// The list served: the key, and either a digest built before (`watchlist
/// build`) or the records to build it from at start.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct WatchlistToml {
    /// The watch-list key file (`blindmatch keygen`); a new key is a new epoch.
    pub(crate) key: PathBuf,
    /// A digest `watchlist build` wrote with this key.
    pub(crate) digest: Option<PathBuf>,
    /// Or: the CSV of the list, canonicalized as records at start.
    pub(crate) records: Option<PathBuf>,
    pub(crate) id: Option<String>,
    #[serde(default)]
    pub(crate) fields: Vec<String>,
    #[serde(default)]
    pub(crate) composite: Vec<String>,
    pub(crate) region: Option<String>,
    pub(crate) region_column: Option<String>,
    pub(crate) date_format: Option<String>,
    #[serde(default)]
    pub(crate) single_key: Vec<String>,
    pub(crate) delimiter: Option<String>,
    pub(crate) label: Option<String>,
    pub(crate) fpr_bits: Option<u8>,
    /// Where the records' unusable values go (default: beside the key).
    pub(crate) errors: Option<PathBuf>,
}

/// Where the watch-list comes from.
#[derive(Debug, Clone)]
pub(crate) enum Source {
    Digest(PathBuf),
    Records {
        records: Box<RecordArgs>,
        label: Option<String>,
        fpr_bits: u8,
    },
}

impl ServerToml {
    /// Reads and checks the file; paths in it become absolute.
    pub(crate) fn read(path: &Path) -> Outcome<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| io(path, &e, Class::Input))?;
        let mut config: ServerToml = toml::from_str(&text)
            .map_err(|e| Failure::input(format!("{}: {e}", path.display())))?;
        let base = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let abs = |p: &mut PathBuf| {
            if p.is_relative() {
                *p = base.join(&*p);
            }
        };
        abs(&mut config.ledger);
        abs(&mut config.tls.cert);
        abs(&mut config.tls.key);
        abs(&mut config.tls.client_ca);
        config.tls.crl.iter_mut().for_each(abs);
        let w = &mut config.watchlist;
        abs(&mut w.key);
        [&mut w.digest, &mut w.records, &mut w.errors]
            .into_iter()
            .flatten()
            .for_each(abs);
        if config.max_query_items == 0 {
            return Err(config_error(path, "max_query_items must be at least 1"));
        }
        if config.max_concurrent_queries == Some(0)
            || config.max_connections == 0
            || config.max_queries_per_client == 0
            || config.max_handshakes_per_address == 0
            || config.min_body_rate == 0
        {
            return Err(config_error(
                path,
                "max_concurrent_queries, max_connections, max_queries_per_client, max_handshakes_per_address and min_body_rate must be at least 1",
            ));
        }
        config.budget()?;
        config.source().map_err(|f| f.context(path.display()))?;
        if !["error", "warn", "info", "debug"].contains(&config.log.as_str()) {
            return Err(config_error(path, "log is one of error, warn, info, debug"));
        }
        Ok(config)
    }

    pub(crate) fn budget(&self) -> Outcome<Budget> {
        match &self.budget.per_client {
            BudgetValue::Count(n) => Ok(Budget::Limited(*n)),
            BudgetValue::Word(w) if w.eq_ignore_ascii_case("unlimited") => Ok(Budget::Unlimited),
            BudgetValue::Word(w) => Err(Failure::input(format!(
                "budget.per_client = {w:?}: a number of keys, or \"unlimited\""
            ))),
        }
    }

    pub(crate) fn source(&self) -> Outcome<Source> {
        let w = &self.watchlist;
        match (&w.digest, &w.records) {
            (Some(_), Some(_)) | (None, None) => Err(Failure::input(
                "[watchlist] takes either `digest` (built by `watchlist build`) or `records` (with `id` and `fields`)",
            )),
            (Some(digest), None) => {
                let record_only = w.id.is_some()
                    || !w.fields.is_empty()
                    || w.label.is_some()
                    || w.fpr_bits.is_some();
                if record_only {
                    return Err(Failure::input(
                        "[watchlist] with `digest`: id, fields, label and fpr_bits belong to `records` (the digest has them already)",
                    ));
                }
                Ok(Source::Digest(digest.clone()))
            }
            (None, Some(records)) => {
                let id = w.id.clone().ok_or_else(|| {
                    Failure::input("[watchlist] `records` needs `id` (the id column)")
                })?;
                if w.fields.is_empty() {
                    return Err(Failure::input(
                        "[watchlist] `records` needs `fields`, e.g. [\"phone=phone\"]",
                    ));
                }
                let setting =
                    |name: &str, e: String| Failure::input(format!("[watchlist] {name}: {e}"));
                let args = Box::new(RecordArgs {
                    records: records.clone(),
                    id,
                    fields: w
                        .fields
                        .iter()
                        .map(|f| table::parse_field(f).map_err(|e| setting("fields", e)))
                        .collect::<Outcome<_>>()?,
                    composite: w
                        .composite
                        .iter()
                        .map(|c| table::parse_composite(c).map_err(|e| setting("composite", e)))
                        .collect::<Outcome<_>>()?,
                    region: w.region.clone(),
                    region_column: w.region_column.clone(),
                    date_format: w.date_format.clone(),
                    single_key: w
                        .single_key
                        .iter()
                        .map(|k| table::parse_kind(k).map_err(|e| setting("single_key", e)))
                        .collect::<Outcome<_>>()?,
                    delimiter: match &w.delimiter {
                        Some(d) => {
                            table::parse_delimiter(d).map_err(|e| setting("delimiter", e))?
                        }
                        None => b',',
                    },
                    errors: w.errors.clone(),
                });
                Ok(Source::Records {
                    records: args,
                    label: w.label.clone(),
                    fpr_bits: w
                        .fpr_bits
                        .unwrap_or(blindmatch::unbalanced::DEFAULT_FPR_BITS),
                })
            }
        }
    }
}

fn config_error(path: &Path, message: &str) -> Failure {
    Failure::input(format!("{}: {message}", path.display()))
}
