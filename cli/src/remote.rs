//! `blindmatch watchlist query --server`: query a watch-list service and
//! finish in one go, over HTTPS with a client certificate. The digest is
//! cached by its ETag (and an interrupted download resumes with a range
//! request); the protocol is the library's `unbalanced::Client`.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use blindmatch::unbalanced::{Client, ClientConfig, SetDigest};
use http_body_util::{BodyExt as _, Full};
use hyper::body::{Bytes, Incoming};
use hyper::{Method, Request, Response, StatusCode, header};
use hyper_util::rt::TokioIo;
use rustls_pki_types::ServerName;
use serde_json::json;
use tokio_rustls::TlsConnector;

use crate::fail::{Class, Failure, Outcome, io};
use crate::ui::Ui;
use crate::{WlQueryArgs, WlRemoteArgs};
use crate::{table, tls};

/// Header names shared with the server.
const EPOCH_HEADER: &str = "blindmatch-epoch";
const REMAINING_HEADER: &str = "blindmatch-remaining-budget";
/// Largest digest accepted (a 2^28-key list is about 2 GiB).
const MAX_DIGEST: u64 = 1 << 34;
/// Largest error body read from the server.
const MAX_ERROR_BODY: usize = 64 << 10;

/// A watch-list server: where it is and how to reach it.
struct Remote {
    url: String,
    host: String,
    port: u16,
    name: ServerName<'static>,
    connector: TlsConnector,
}

impl Remote {
    fn new(url: &str, r: &WlRemoteArgs) -> Outcome<Self> {
        let bad = || {
            Failure::usage(format!(
                "--server {url}: expected https://HOST[:PORT] (the service speaks HTTPS only)"
            ))
        };
        let rest = url.strip_prefix("https://").ok_or_else(bad)?;
        let authority = rest.trim_end_matches('/');
        if authority.is_empty() || authority.contains('/') {
            return Err(bad());
        }
        let uri: hyper::Uri = format!("https://{authority}/").parse().map_err(|_| bad())?;
        let host = uri.host().ok_or_else(bad)?;
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let port = uri.port_u16().unwrap_or(443);
        let name = ServerName::try_from(host.clone()).map_err(|_| bad())?;
        let (Some(cert), Some(key), Some(ca)) = (&r.cert, &r.key, &r.ca) else {
            return Err(Failure::usage("--server needs --cert, --key and --ca"));
        };
        Ok(Remote {
            url: url.trim_end_matches('/').to_owned(),
            host,
            port,
            name,
            connector: TlsConnector::from(tls::client_config(cert, key, ca)?),
        })
    }

    fn failure(&self, e: impl std::fmt::Display) -> Failure {
        Failure::new(Class::Remote, format!("{}: {e}", self.url))
    }

    /// One request on its own connection.
    async fn send(&self, request: Request<Full<Bytes>>) -> Outcome<Response<Incoming>> {
        let tcp = tokio::net::TcpStream::connect((self.host.as_str(), self.port))
            .await
            .map_err(|e| self.failure(e))?;
        let stream = self
            .connector
            .connect(self.name.clone(), tcp)
            .await
            .map_err(|e| self.failure(e))?;
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| self.failure(e))?;
        tokio::spawn(conn);
        sender.send_request(request).await.map_err(|e| {
            // A refused client certificate shows here, as the TLS alert
            // that ended the connection.
            let mut text = e.to_string();
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                text = format!("{text}: {s}");
                source = s.source();
            }
            self.failure(text)
        })
    }

    fn request(&self, method: Method, path: &str) -> hyper::http::request::Builder {
        Request::builder()
            .method(method)
            .uri(path)
            .header(header::HOST, format!("{}:{}", self.host, self.port))
            .header(
                header::USER_AGENT,
                concat!("blindmatch/", env!("CARGO_PKG_VERSION")),
            )
    }

    /// A refusal as a failure: the server's error code and message.
    async fn refusal(&self, response: Response<Incoming>) -> Failure {
        let status = response.status();
        let body = http_body_util::Limited::new(response.into_body(), MAX_ERROR_BODY)
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        let parsed: serde_json::Value = serde_json::from_slice(&body).unwrap_or(json!({}));
        let code = parsed["error"].as_str().unwrap_or("");
        let message = parsed["message"].as_str().unwrap_or("");
        let class = if code == "budget_exceeded" {
            Class::Budget
        } else {
            Class::Remote
        };
        Failure::new(
            class,
            format!("{}: refused ({status}, {code}): {message}", self.url),
        )
    }

    /// This client's budget and the server's limits (`GET /v1/budget`).
    async fn budget(&self) -> Outcome<serde_json::Value> {
        let request = self
            .request(Method::GET, "/v1/budget")
            .body(Full::new(Bytes::new()))
            .map_err(|e| self.failure(e))?;
        let response = self.send(request).await?;
        if response.status() != StatusCode::OK {
            return Err(self.refusal(response).await);
        }
        let body = http_body_util::Limited::new(response.into_body(), MAX_ERROR_BODY)
            .collect()
            .await
            .map_err(|e| self.failure(e))?
            .to_bytes();
        serde_json::from_slice(&body).map_err(|e| self.failure(format!("GET /v1/budget: {e}")))
    }

    /// The digest: the cached copy when its ETag is still current, else
    /// downloaded (resuming a partial download of the same ETag).
    async fn digest(&self, cache: &Path) -> Outcome<(Vec<u8>, &'static str)> {
        let etag_file = sibling(cache, ".etag");
        let part = sibling(cache, ".part");
        let part_etag_file = sibling(cache, ".part.etag");
        let cached_etag = std::fs::read_to_string(&etag_file)
            .ok()
            .filter(|_| cache.exists());
        let part_len = std::fs::metadata(&part).map_or(0, |m| m.len());
        let part_etag = std::fs::read_to_string(&part_etag_file).ok();
        let mut request = self.request(Method::GET, "/v1/digest");
        if let Some(etag) = &cached_etag {
            request = request.header(header::IF_NONE_MATCH, etag.trim());
        } else if let (Some(etag), true) = (&part_etag, part_len > 0) {
            request = request
                .header(header::RANGE, format!("bytes={part_len}-"))
                .header(header::IF_RANGE, etag.trim());
        }
        let response = self
            .send(
                request
                    .body(Full::new(Bytes::new()))
                    .map_err(|e| self.failure(e))?,
            )
            .await?;
        let status = response.status();
        let how = match status {
            StatusCode::NOT_MODIFIED if cached_etag.is_some() => {
                let bytes = std::fs::read(cache).map_err(|e| io(cache, &e, Class::Input))?;
                return Ok((bytes, "cached"));
            }
            StatusCode::OK => "downloaded",
            StatusCode::PARTIAL_CONTENT => "resumed",
            _ => return Err(self.refusal(response).await),
        };
        let etag = response
            .headers()
            .get(header::ETAG)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .ok_or_else(|| self.failure("the digest came without an ETag"))?;
        let append = status == StatusCode::PARTIAL_CONTENT;
        if append {
            let range = response
                .headers()
                .get(header::CONTENT_RANGE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if !range.starts_with(&format!("bytes {part_len}-")) {
                return Err(self.failure(format!("unexpected Content-Range {range:?}")));
            }
        } else {
            write_file(&part_etag_file, etag.as_bytes())?;
        }
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .write(true)
            .append(append)
            .truncate(!append)
            .open(&part)
            .map_err(|e| io(&part, &e, Class::Internal))?;
        let mut written = if append { part_len } else { 0 };
        let mut body = response.into_body();
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| self.failure(e))?;
            if let Ok(data) = frame.into_data() {
                written += data.len() as u64;
                if written > MAX_DIGEST {
                    return Err(self.failure("the digest is larger than 16 GiB"));
                }
                file.write_all(&data)
                    .map_err(|e| io(&part, &e, Class::Internal))?;
            }
        }
        file.sync_all()
            .map_err(|e| io(&part, &e, Class::Internal))?;
        drop(file);
        std::fs::rename(&part, cache).map_err(|e| io(cache, &e, Class::Internal))?;
        write_file(&etag_file, etag.as_bytes())?;
        let _ = std::fs::remove_file(&part_etag_file);
        let bytes = std::fs::read(cache).map_err(|e| io(cache, &e, Class::Internal))?;
        Ok((bytes, how))
    }
}

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push(suffix);
    PathBuf::from(name)
}

fn write_file(path: &Path, bytes: &[u8]) -> Outcome {
    std::fs::write(path, bytes).map_err(|e| io(path, &e, Class::Internal))
}

/// Removes a cached digest (and its ETag), e.g. after a key rotation.
fn forget(cache: &Path) {
    for path in [cache.to_path_buf(), sibling(cache, ".etag")] {
        let _ = std::fs::remove_file(path);
    }
}

/// Where the digest of `remote` is cached by default:
/// `$XDG_CACHE_HOME/blindmatch` or `~/.cache/blindmatch`.
fn default_cache(remote: &Remote) -> Outcome<PathBuf> {
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .ok_or_else(|| {
            Failure::usage("no cache directory (HOME is not set): give --digest-cache FILE")
        })?
        .join("blindmatch");
    std::fs::create_dir_all(&base).map_err(|e| io(&base, &e, Class::Internal))?;
    let host: String = remote
        .host
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    Ok(base.join(format!("digest-{host}-{}.bm", remote.port)))
}

/// Query and finish against a server, with one retry after a key rotation.
pub(crate) fn query(ui: &Ui, a: &WlQueryArgs, r: &WlRemoteArgs, url: &str) -> Outcome {
    let remote = Remote::new(url, r)?;
    let Some(matches) = &r.matches else {
        return Err(Failure::usage("--server needs --matches FILE"));
    };
    let cache = match &r.digest_cache {
        Some(path) => path.clone(),
        None => default_cache(&remote)?,
    };
    let mut out = serde_json::Map::new();
    // Record errors go beside the matches: `m.csv` gives `m.errors.csv`.
    let (set, _) = table::read_records(ui, &a.records, matches, None, &mut out)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Failure::internal(format!("cannot start the runtime: {e}")))?;
    out.insert("server".into(), json!(remote.url));
    // The server's limits first: a query it would refuse is not sent.
    let limits = runtime.block_on(remote.budget())?;
    let keys = set.keys().len() as u64;
    if let Some(max) = limits["max_query_items"].as_u64().filter(|&m| keys > m) {
        return Err(Failure::new(
            Class::Remote,
            format!(
                "{}: the server accepts at most {max} keys per query; these records have {keys} (split the file)",
                remote.url
            ),
        ));
    }
    if let Some(remaining) = limits["remaining"].as_u64().filter(|&r| keys > r) {
        return Err(Failure::new(
            Class::Budget,
            format!(
                "{}: {keys} keys exceed this client's remaining budget of {remaining} for epoch {}",
                remote.url,
                limits["epoch"].as_str().unwrap_or("?")
            ),
        ));
    }
    for attempt in 0..2 {
        let step = ui.step("fetching the digest".to_owned());
        let (bytes, how) = runtime.block_on(remote.digest(&cache))?;
        step.finish_and_clear();
        let digest = match SetDigest::from_bytes(&bytes) {
            Ok(d) => d,
            Err(e) if attempt == 0 => {
                ui.note(&format!(
                    "the cached digest is unusable ({e}); downloading it again"
                ));
                forget(&cache);
                continue;
            }
            Err(e) => return Err(Failure::from(e).context(cache.display())),
        };
        if digest.profile() != set.profile() {
            return Err(Failure::new(
                Class::Input,
                format!(
                    "{}: the list's canonicalization profile differs from these records' (fields, composites or options): {}",
                    remote.url,
                    blindmatch::Error::ProfileMismatch
                ),
            ));
        }
        out.insert("digest".into(), json!(how));
        out.insert("digest_file".into(), json!(cache.display().to_string()));
        out.insert("digest_bytes".into(), json!(bytes.len()));
        out.insert("epoch".into(), json!(hex::encode(digest.epoch())));
        // Every answer is checked against this key (the VOPRF's proof).
        out.insert("public_key".into(), json!(hex::encode(digest.public_key())));
        let step = ui.step(format!("blinding {} keys", set.keys().len()));
        let config = ClientConfig::default()
            .with_profile(set.profile())
            .with_epoch(digest.epoch());
        let (client, query) = Client::with_config(config, set.keys())?;
        step.finish_and_clear();
        out.insert("query_id".into(), json!(hex::encode(client.query_id())));
        let step = ui.step("waiting for the answer".to_owned());
        let request = remote
            .request(Method::POST, "/v1/query")
            .header(header::CONTENT_TYPE, "application/octet-stream")
            .body(Full::new(Bytes::from(query)))
            .map_err(|e| remote.failure(e))?;
        let response = runtime.block_on(remote.send(request))?;
        step.finish_and_clear();
        if response.status() == StatusCode::CONFLICT && attempt == 0 {
            // A rotated key: the cached digest is of the old epoch.
            let refusal = runtime.block_on(remote.refusal(response));
            ui.note(&format!("{refusal}; fetching the new digest"));
            forget(&cache);
            continue;
        }
        if response.status() != StatusCode::OK {
            return Err(runtime.block_on(remote.refusal(response)));
        }
        if let Some(r) = response
            .headers()
            .get(REMAINING_HEADER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok())
        {
            out.insert("remaining_budget".into(), json!(r));
        }
        let answer_epoch = response
            .headers()
            .get(EPOCH_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let limit = (set.keys().len() as u64)
            .saturating_mul(32)
            .saturating_add(1 << 20);
        let answer = runtime
            .block_on(http_body_util::Limited::new(response.into_body(), limit as usize).collect())
            .map_err(|e| remote.failure(e))?
            .to_bytes();
        let found = client.finish_with(&answer, &digest).map_err(|e| {
            Failure::from(e).context(format!(
                "{} (answer of epoch {})",
                remote.url,
                answer_epoch.as_deref().unwrap_or("?")
            ))
        })?;
        let index = set.index();
        out.insert("matched_keys".into(), json!(found.indices().len()));
        out.insert(
            "matched_records".into(),
            json!(index.record_matches_at(found.indices()).len()),
        );
        table::write_watchlist_matches(matches, &index, found.indices(), |i| {
            found.label(i).map(<[u8]>::to_vec)
        })?;
        out.insert("matches".into(), json!(matches.display().to_string()));
        ui.summary("watchlist query", out);
        return Ok(());
    }
    Err(Failure::new(
        Class::Remote,
        format!(
            "{}: the key epoch changed twice during one query; run again",
            remote.url
        ),
    ))
}
