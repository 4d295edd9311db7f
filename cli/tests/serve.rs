//! `blindmatch serve`, the watch-list service, on loopback with
//! certificates made here (rcgen): refusals that cost no work, answers
//! equal to the truth, budgets that survive SIGKILL, key rotation without
//! a restart, and 64 concurrent clients against one ledger.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use assert_cmd::prelude::*;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair,
};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tempfile::TempDir;

mod common;
use common::{bm, ok_json, path_with_command, succeeded};

/// Keys on the test watch-list; every third has a label.
const LIST: usize = 3000;
/// Keys a client asks about: half of them on the list.
const ASKED: std::ops::Range<usize> = 2950..3050;

fn write_private(path: &Path, text: &str) {
    fs::write(path, text).unwrap();
    fs::set_permissions(path, fs::Permissions::from_mode(0o600)).unwrap();
}

/// A CA, and certificates it issues, written as PEM files in `dir`.
struct Pki {
    ca: CertifiedIssuer<'static, KeyPair>,
}

impl Pki {
    fn new(dir: &Path, name: &str) -> Self {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        let ca = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
        fs::write(dir.join(format!("{name}.crt")), ca.pem()).unwrap();
        Pki { ca }
    }

    /// Writes `<file>.crt` and `<file>.key` (0600).
    fn issue(&self, dir: &Path, file: &str, common_name: &str, server: bool) {
        self.issue_serial(dir, file, common_name, server, None);
    }

    /// [`Pki::issue`] with a given serial number (to revoke it).
    fn issue_serial(
        &self,
        dir: &Path,
        file: &str,
        common_name: &str,
        server: bool,
        serial: Option<u64>,
    ) {
        let sans = if server {
            vec!["localhost".to_owned(), "127.0.0.1".to_owned()]
        } else {
            Vec::new()
        };
        let mut params = CertificateParams::new(sans).unwrap();
        params
            .distinguished_name
            .push(DnType::CommonName, common_name);
        params.extended_key_usages = vec![if server {
            ExtendedKeyUsagePurpose::ServerAuth
        } else {
            ExtendedKeyUsagePurpose::ClientAuth
        }];
        params.serial_number = serial.map(rcgen::SerialNumber::from);
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.ca).unwrap();
        fs::write(dir.join(format!("{file}.crt")), cert.pem()).unwrap();
        write_private(&dir.join(format!("{file}.key")), &key.serialize_pem());
    }
}

fn email(i: usize) -> String {
    format!("person{i}@example.org")
}

/// The list (with labels) and one client's records, as CSV files.
fn write_data(dir: &Path) {
    let mut list = String::from("id,email,case\n");
    for i in 0..LIST {
        let label = if i % 3 == 0 {
            format!("case-{i}")
        } else {
            String::new()
        };
        list.push_str(&format!("L{i},{},{label}\n", email(i)));
    }
    fs::write(dir.join("list.csv"), list).unwrap();
    let mut mine = String::from("ref,mail\n");
    for i in ASKED {
        // Written differently: canonicalization must still match them.
        mine.push_str(&format!("R{i},{}\n", email(i).to_uppercase()));
    }
    fs::write(dir.join("mine.csv"), mine).unwrap();
}

/// What a client must find: (record id, label) of every asked key on the list.
fn truth() -> BTreeSet<(String, String)> {
    ASKED
        .filter(|&i| i < LIST)
        .map(|i| {
            let label = if i % 3 == 0 {
                format!("case-{i}")
            } else {
                String::new()
            };
            (format!("R{i}"), label)
        })
        .collect()
}

fn read_matches(path: &Path) -> BTreeSet<(String, String)> {
    let mut r = csv::Reader::from_path(path).unwrap();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            assert_eq!(&rec[1], "email");
            (rec[0].to_owned(), rec[2].to_owned())
        })
        .collect()
}

/// A test bed: certificates, data, a key, a config, and a running server.
struct Bed {
    dir: TempDir,
    pki: Pki,
    server: Option<Child>,
    port: u16,
}

const WATCHLIST_RECORDS: &str = r#"
[watchlist]
key = "wl.key"
records = "list.csv"
id = "id"
fields = ["email"]
label = "case"
"#;

impl Bed {
    fn new(budget: &str, watchlist: &str) -> Self {
        let dir = TempDir::new().unwrap();
        let pki = Pki::new(dir.path(), "ca");
        pki.issue(dir.path(), "server", "localhost", true);
        pki.issue(dir.path(), "agency-nl", "agency-nl", false);
        pki.issue(dir.path(), "monitor", "monitor", false);
        write_data(dir.path());
        bm(dir.path())
            .args(["keygen", "--out", "wl.key"])
            .assert()
            .success();
        let bed = Bed {
            dir,
            pki,
            server: None,
            port: 0,
        };
        bed.write_config(budget, watchlist);
        bed
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn write_config(&self, budget: &str, watchlist: &str) {
        let config = format!(
            r#"listen = "127.0.0.1:{port}"
ledger = "wl.sqlite"
max_query_items = 1000
max_concurrent_queries = 2
log = "debug"

[tls]
cert = "server.crt"
key = "server.key"
client_ca = "ca.crt"

[budget]
per_client = {budget}

[metrics]
clients = ["monitor"]
{watchlist}"#,
            port = self.port
        );
        fs::write(self.path().join("server.toml"), config).unwrap();
    }

    /// Starts the server and waits for its "listening" line.
    fn start(&mut self) {
        let mut child = bm(self.path())
            .args(["--json", "serve", "--config", "server.toml"])
            .stdout(Stdio::piped())
            .stderr(fs::File::create(self.path().join("serve.log")).unwrap())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let announced: serde_json::Value = serde_json::from_str(&line).unwrap_or_else(|_| {
            panic!(
                "no listening line: {line:?}; log: {}",
                fs::read_to_string(self.path().join("serve.log")).unwrap_or_default()
            )
        });
        let url = announced["listening"].as_str().unwrap();
        self.port = url.rsplit(':').next().unwrap().parse().unwrap();
        self.server = Some(child);
    }

    fn signal(&self, signal: &str) {
        let pid = self.server.as_ref().unwrap().id().to_string();
        assert!(
            Command::new("kill")
                .args([signal, &pid])
                .status()
                .unwrap()
                .success()
        );
    }

    fn kill(&mut self) {
        if let Some(mut child) = self.server.take() {
            let _ = child.kill(); // SIGKILL
            let _ = child.wait();
        }
    }

    /// A TLS client presenting `identity` (`None`: no certificate), with
    /// certificates of `pki_dir`.
    fn tls(&self, identity: Option<(&Path, &str)>) -> Arc<rustls::ClientConfig> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut roots = rustls::RootCertStore::empty();
        roots
            .add(CertificateDer::from_pem_file(self.path().join("ca.crt")).unwrap())
            .unwrap();
        let builder = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots);
        Arc::new(match identity {
            None => builder.with_no_client_auth(),
            Some((dir, name)) => builder
                .with_client_auth_cert(
                    vec![CertificateDer::from_pem_file(dir.join(format!("{name}.crt"))).unwrap()],
                    PrivateKeyDer::from_pem_file(dir.join(format!("{name}.key"))).unwrap(),
                )
                .unwrap(),
        })
    }

    fn client(&self, name: &str) -> Arc<rustls::ClientConfig> {
        self.tls(Some((self.path(), name)))
    }

    /// One raw HTTP/1.1 exchange: `head` is the request line and headers
    /// (without the blank line). Err when the connection fails before a
    /// response arrives.
    fn raw(
        &self,
        tls: &Arc<rustls::ClientConfig>,
        head: &str,
        body: &[u8],
    ) -> Result<Response, String> {
        let tcp = TcpStream::connect(("127.0.0.1", self.port)).map_err(|e| e.to_string())?;
        tcp.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        let conn =
            rustls::ClientConnection::new(tls.clone(), ServerName::try_from("localhost").unwrap())
                .unwrap();
        let mut stream = rustls::StreamOwned::new(conn, tcp);
        let request = format!("{head}\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        // The server may answer and close before it reads all of a body.
        let _ = stream
            .write_all(request.as_bytes())
            .and_then(|()| stream.write_all(body))
            .and_then(|()| stream.flush());
        let mut bytes = Vec::new();
        let read = read_answer(&mut stream.conn, &mut stream.sock, &mut bytes);
        if bytes.is_empty() {
            return Err(format!("no response: {read:?}"));
        }
        Ok(Response::parse(&bytes))
    }

    fn get(&self, client: &str, path: &str, headers: &[&str]) -> Response {
        let mut head = format!("GET {path} HTTP/1.1");
        for h in headers {
            head.push_str("\r\n");
            head.push_str(h);
        }
        self.raw(&self.client(client), &head, b"").unwrap()
    }

    fn post(&self, client: &str, body: &[u8]) -> Response {
        let head = format!("POST /v1/query HTTP/1.1\r\nContent-Length: {}", body.len());
        self.raw(&self.client(client), &head, body).unwrap()
    }

    fn metric(&self, name: &str) -> f64 {
        let text = String::from_utf8(self.get("monitor", "/metrics", &[]).body).unwrap();
        text.lines()
            .filter(|l| l.starts_with(name) && !l.starts_with('#'))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
    }

    fn json(&self, client: &str, path: &str) -> serde_json::Value {
        let r = self.get(client, path, &[]);
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        serde_json::from_slice(&r.body).unwrap()
    }

    /// `watchlist query --server` as agency `client`; returns the command.
    /// The summary of a `watchlist query` that succeeded.
    fn query(&self, client: &str, matches: &str, cache: &str) -> serde_json::Value {
        ok_json(&self.query_command(client, matches, cache).output().unwrap())
    }

    fn query_command(&self, client: &str, matches: &str, cache: &str) -> Command {
        let mut c = bm(self.path());
        c.args(["--json", "watchlist", "query", "--server"])
            .arg(format!("https://localhost:{}", self.port))
            .args([
                "--cert",
                &format!("{client}.crt"),
                "--key",
                &format!("{client}.key"),
            ])
            .args(["--ca", "ca.crt", "--records", "mine.csv", "--id", "ref"])
            .args(["--field", "mail=email", "--matches", matches])
            .args(["--digest-cache", cache]);
        c
    }

    fn ledger_entries(&self) -> u64 {
        let out = bm(self.path())
            .args(["--json", "ledger", "verify", "wl.sqlite"])
            .output()
            .unwrap();
        let v = ok_json(&out);
        v["entries"].as_u64().unwrap()
    }

    fn log(&self) -> String {
        fs::read_to_string(self.path().join("serve.log")).unwrap()
    }
}

impl Drop for Bed {
    fn drop(&mut self) {
        self.kill();
    }
}

#[derive(Debug)]
struct Response {
    status: u16,
    headers: BTreeMap<String, String>,
    body: Vec<u8>,
}

impl Response {
    fn parse(bytes: &[u8]) -> Self {
        let split = bytes
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("a complete response head");
        let head = std::str::from_utf8(&bytes[..split]).unwrap();
        let mut lines = head.split("\r\n");
        let status = lines
            .next()
            .unwrap()
            .split(' ')
            .nth(1)
            .unwrap()
            .parse()
            .unwrap();
        let headers = lines
            .filter_map(|l| l.split_once(':'))
            .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
            .collect();
        Response {
            status,
            headers,
            body: bytes[split + 4..].to_vec(),
        }
    }

    fn error_code(&self) -> String {
        let v: serde_json::Value = serde_json::from_slice(&self.body).unwrap();
        v["error"].as_str().unwrap().to_owned()
    }
}

/// A query message of `keys` made by the command (file mode), for raw posts.
fn file_query(bed: &Bed, digest: Option<&str>, out: &str) -> Vec<u8> {
    let mut c = bm(bed.path());
    c.args(["watchlist", "query", "--records", "mine.csv", "--id", "ref"])
        .args([
            "--field",
            "mail=email",
            "--state",
            &format!("{out}.state"),
            "--out",
            out,
        ]);
    if let Some(d) = digest {
        c.args(["--digest", d]);
    }
    c.assert().success();
    fs::read(bed.path().join(out)).unwrap()
}

#[test]
fn refuses_without_work_clients_and_bodies_it_must_not_serve() {
    let mut bed = Bed::new("100000", WATCHLIST_RECORDS);
    let other = Pki::new(bed.path(), "other-ca");
    other.issue(bed.path(), "stranger", "agency-nl", false);
    bed.start();
    let health = "GET /healthz HTTP/1.1";

    // No certificate, and one from another CA (with a known name): no
    // HTTP response at all, only a refused handshake.
    assert!(bed.raw(&bed.tls(None), health, b"").is_err());
    let stranger = bed.tls(Some((bed.path(), "stranger")));
    assert!(bed.raw(&stranger, health, b"").is_err());
    let query = file_query(&bed, None, "q.bm");
    let head = format!("POST /v1/query HTTP/1.1\r\nContent-Length: {}", query.len());
    assert!(bed.raw(&stranger, &head, &query).is_err());

    // A body declared too large is refused before a byte of it is read.
    let r = bed
        .raw(
            &bed.client("agency-nl"),
            "POST /v1/query HTTP/1.1\r\nContent-Length: 40000000",
            b"",
        )
        .unwrap();
    assert_eq!(r.status, 413);
    assert_eq!(r.error_code(), "body_too_large");
    // A chunked body stops at the same limit.
    let mut chunked = Vec::new();
    for _ in 0..40 {
        chunked.extend_from_slice(b"1000\r\n");
        chunked.extend_from_slice(&[7u8; 0x1000]);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let r = bed
        .raw(
            &bed.client("agency-nl"),
            "POST /v1/query HTTP/1.1\r\nTransfer-Encoding: chunked",
            &chunked,
        )
        .unwrap();
    assert_eq!(r.status, 413);
    // Malformed: not a message, a truncated query, another message type.
    let r = bed.post("agency-nl", b"certainly not a query");
    assert_eq!(r.status, 400);
    assert_eq!(r.error_code(), "bad_magic");
    assert_eq!(bed.post("agency-nl", &query[..query.len() - 5]).status, 400);
    let digest = bed.get("agency-nl", "/v1/digest", &[]).body;
    assert_eq!(bed.post("agency-nl", &digest[..2000]).status, 400);
    assert_eq!(bed.post("agency-nl", &[]).status, 400);
    // A query of more keys than max_query_items, within the body limit.
    let mut big = String::from("ref,mail\n");
    for i in 0..1001 {
        big.push_str(&format!("B{i},{}\n", email(i)));
    }
    fs::write(bed.path().join("big.csv"), big).unwrap();
    bm(bed.path())
        .args(["watchlist", "query", "--records", "big.csv", "--id", "ref"])
        .args([
            "--field",
            "mail=email",
            "--state",
            "big.state",
            "--out",
            "big.bm",
        ])
        .assert()
        .success();
    let r = bed.post("agency-nl", &fs::read(bed.path().join("big.bm")).unwrap());
    assert_eq!(r.status, 413);
    assert_eq!(r.error_code(), "peer_set_too_large");

    // None of it cost an evaluation, a budget or a ledger entry.
    assert_eq!(bed.metric("blindmatch_items_evaluated_total"), 0.0);
    assert_eq!(bed.metric("blindmatch_queries_total"), 0.0);
    assert_eq!(
        bed.metric("blindmatch_refusals_total{reason=\"body_too_large\"}"),
        2.0
    );
    assert!(bed.metric("blindmatch_refusals_total{reason=\"bad_magic\"}") >= 1.0);
    assert!(bed.metric("blindmatch_refusals_total") >= 7.0);
    assert!(bed.metric("blindmatch_tls_handshake_failures_total") >= 3.0);
    assert_eq!(bed.json("agency-nl", "/v1/budget")["spent"], 0);
    assert_eq!(bed.ledger_entries(), 0);

    // /metrics is for the clients the configuration names.
    assert_eq!(bed.get("agency-nl", "/metrics", &[]).status, 403);
    assert_eq!(bed.get("agency-nl", "/nowhere", &[]).status, 404);

    // A well-formed query is answered; the log names the client and
    // counts, never an identifier.
    let r = bed.post("agency-nl", &query);
    assert_eq!(r.status, 200);
    assert_eq!(
        bed.metric("blindmatch_items_evaluated_total"),
        ASKED.len() as f64
    );
    let log = bed.log();
    assert!(log.contains("client=agency-nl"));
    for i in [0, 2950, 2999] {
        assert!(!log.contains(&email(i)) && !log.contains(&format!("L{i},")));
    }
}

#[test]
fn answers_match_the_truth_and_budgets_survive_sigkill() {
    // Room for two queries of 100 keys and a half.
    let mut bed = Bed::new("250", WATCHLIST_RECORDS);
    bed.start();
    let summary = bed.query("agency-nl", "m1.csv", "digest.bm");
    assert_eq!(summary["digest"], "downloaded");
    assert_eq!(summary["remaining_budget"], 150);
    assert_eq!(read_matches(&bed.path().join("m1.csv")), truth());

    // The second query uses the cached digest (304).
    let summary = bed.query("agency-nl", "m2.csv", "digest.bm");
    assert_eq!(summary["digest"], "cached", "{summary}");
    assert_eq!(summary["remaining_budget"], 50);
    assert_eq!(read_matches(&bed.path().join("m2.csv")), truth());

    // SIGKILL, then a restart on the same ledger: the budget is as spent.
    bed.kill();
    bed.start();
    let budget = bed.json("agency-nl", "/v1/budget");
    assert_eq!(budget["spent"], 200);
    assert_eq!(budget["remaining"], 50);
    assert_eq!(budget["client_id"], "agency-nl");
    // Another client's budget is its own.
    assert_eq!(bed.json("monitor", "/v1/budget")["spent"], 0);
    // A third query of 100 keys exceeds it: exit 5, no matches written.
    bed.query_command("agency-nl", "m3.csv", "digest.bm")
        .assert()
        .code(5);
    assert!(!bed.path().join("m3.csv").exists());
    assert_eq!(bed.ledger_entries(), 2);

    // Digest downloads: ranges, revalidation, unsatisfiable ranges.
    let whole = bed.get("agency-nl", "/v1/digest", &[]);
    assert_eq!(whole.status, 200);
    let etag = whole.headers["etag"].clone();
    assert_eq!(
        whole.headers["blindmatch-epoch"],
        budget["epoch"].as_str().unwrap()
    );
    assert!(etag.starts_with(&format!("\"{}-", budget["epoch"].as_str().unwrap())));
    // The header names the key the digest carries, which proves every answer.
    let digest = blindmatch::unbalanced::SetDigest::from_bytes(&whole.body).unwrap();
    assert_eq!(
        whole.headers["blindmatch-public-key"],
        hex::encode(digest.public_key())
    );
    let part = bed.get("agency-nl", "/v1/digest", &["Range: bytes=10-99"]);
    assert_eq!(part.status, 206);
    assert_eq!(part.body, whole.body[10..100]);
    let tail = bed.get("agency-nl", "/v1/digest", &["Range: bytes=-7"]);
    assert_eq!(tail.body, whole.body[whole.body.len() - 7..]);
    let same = bed.get(
        "agency-nl",
        "/v1/digest",
        &[&format!("If-None-Match: {etag}")],
    );
    assert_eq!(same.status, 304);
    assert!(same.body.is_empty());
    let beyond = format!("Range: bytes={}-", whole.body.len());
    assert_eq!(bed.get("agency-nl", "/v1/digest", &[&beyond]).status, 416);
    // A range of another version of the digest gives the whole of this one.
    let stale = bed.get(
        "agency-nl",
        "/v1/digest",
        &["Range: bytes=10-99", "If-Range: \"stale\""],
    );
    assert_eq!(stale.status, 200);
    assert_eq!(stale.body, whole.body);
    bed.kill();
    assert_eq!(bed.ledger_entries(), 2);
}

#[test]
fn a_new_key_is_served_without_a_restart_and_the_old_epoch_is_refused() {
    let digest_config =
        |n: u32| format!("\n[watchlist]\nkey = \"wl{n}.key\"\ndigest = \"digest{n}.bm\"\n");
    let mut bed = Bed::new("\"unlimited\"", &digest_config(1));
    for n in [1, 2] {
        bm(bed.path())
            .args(["watchlist", "build", "--records", "list.csv", "--id", "id"])
            .args(["--field", "email", "--label", "case"])
            .args([
                "--key",
                &format!("wl{n}.key"),
                "--out",
                &format!("digest{n}.bm"),
            ])
            .assert()
            .success();
    }
    bed.start();
    bed.query("agency-nl", "m1.csv", "cache.bm");
    assert_eq!(read_matches(&bed.path().join("m1.csv")), truth());
    let old_query = file_query(&bed, Some("digest1.bm"), "old.bm");
    let old_epoch = bed.json("agency-nl", "/healthz")["epoch"].clone();

    // Rotate: the new key and its digest, then SIGHUP.
    bed.write_config("\"unlimited\"", &digest_config(2));
    bed.signal("-HUP");
    let deadline = Instant::now() + Duration::from_secs(60);
    while bed.json("agency-nl", "/healthz")["epoch"] == old_epoch {
        assert!(Instant::now() < deadline, "no rotation: {}", bed.log());
        std::thread::sleep(Duration::from_millis(100));
    }
    let r = bed.post("agency-nl", &old_query);
    assert_eq!(r.status, 409);
    assert_eq!(r.error_code(), "epoch_mismatch");
    assert!(String::from_utf8_lossy(&r.body).contains("fetch /v1/digest"));
    // The client holds the old digest in its cache: its ETag no longer
    // matches, so it downloads the new one and gets the same matches.
    let summary = bed.query("agency-nl", "m2.csv", "cache.bm");
    assert_eq!(summary["digest"], "downloaded");
    assert_ne!(summary["epoch"], old_epoch);
    assert_eq!(read_matches(&bed.path().join("m2.csv")), truth());
    // A configuration that does not load leaves the service as it was.
    fs::write(bed.path().join("server.toml"), "listen = \"nonsense\"").unwrap();
    bed.signal("-HUP");
    let deadline = Instant::now() + Duration::from_secs(30);
    while bed.metric("blindmatch_reloads_total{status=\"failed\"}") < 1.0 {
        assert!(Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(bed.json("agency-nl", "/healthz")["epoch"], summary["epoch"]);
    // SIGTERM stops it cleanly.
    bed.signal("-TERM");
    let status = bed.server.take().unwrap().wait().unwrap();
    assert!(status.success());
}

#[test]
fn sixty_four_concurrent_clients_get_their_answers_and_the_ledger_verifies() {
    const CLIENTS: usize = 64;
    const ROUNDS: usize = 2;
    let mut bed = Bed::new("1000", WATCHLIST_RECORDS);
    // Every client here comes from one address (loopback): let all of
    // them handshake at once, as 64 agencies from 64 addresses would.
    let config = fs::read_to_string(bed.path().join("server.toml")).unwrap();
    let config = config.replace(
        "log = \"debug\"",
        "log = \"debug\"\nmax_handshakes_per_address = 128",
    );
    fs::write(bed.path().join("server.toml"), config).unwrap();
    for c in 0..CLIENTS {
        bed.pki
            .issue(bed.path(), &format!("c{c}"), &format!("agency-{c}"), false);
    }
    bed.start();
    let bed = Arc::new(bed);
    let threads: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let bed = bed.clone();
            std::thread::spawn(move || {
                for round in 0..ROUNDS {
                    let matches = format!("c{c}-{round}.csv");
                    bed.query(&format!("c{c}"), &matches, &format!("c{c}.digest"));
                    assert_eq!(read_matches(&bed.path().join(&matches)), truth());
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let answered = (CLIENTS * ROUNDS) as f64;
    assert_eq!(bed.metric("blindmatch_queries_total"), answered);
    assert_eq!(
        bed.metric("blindmatch_items_evaluated_total"),
        answered * ASKED.len() as f64
    );
    assert_eq!(bed.ledger_entries(), (CLIENTS * ROUNDS) as u64);
    for c in [0, 63] {
        let spent = bed.json(&format!("c{c}"), "/v1/budget")["spent"].clone();
        assert_eq!(spent, ROUNDS * ASKED.len());
    }
}

#[test]
fn the_demo_script_runs_as_documented() {
    // examples/serve/demo.sh, with this build's binary first on PATH:
    // certificates by openssl, serve, query twice, rotate, query, verify.
    let work = TempDir::new().unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/serve/demo.sh");
    let out = Command::new("bash")
        .arg(script)
        .arg(work.path())
        .env("PATH", path_with_command())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(succeeded(&out));
    assert!(
        stdout.contains("same matches under the new key"),
        "{stdout}"
    );
    // The summaries go to stderr.
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("digest                 cached"), "{stderr}");
    // A's records on B's list by e-mail or phone, as the balanced
    // exchange finds them on these two keys (labels are B's record ids).
    let matches = read_csv_rows(&work.path().join("matches-1.csv"));
    let overlap = read_csv_rows(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/data/expected_overlap.csv"),
    );
    let expected: BTreeSet<(String, String)> = overlap
        .iter()
        .filter(|r| r[2].contains("email") || r[2].contains("phone"))
        .map(|r| (r[0].clone(), r[1].clone()))
        .collect();
    let found: BTreeSet<(String, String)> = matches
        .iter()
        .map(|r| (r[0].clone(), r[2].clone()))
        .collect();
    assert_eq!(found, expected);
    let log = fs::read_to_string(work.path().join("serve.log")).unwrap();
    assert!(log.contains("rotated=true"), "{log}");
}

fn read_csv_rows(path: &Path) -> Vec<Vec<String>> {
    let mut r = csv::Reader::from_path(path).unwrap();
    r.records()
        .map(|rec| rec.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

#[test]
fn refuses_to_start_on_a_readable_key_or_a_wrong_configuration() {
    let bed = Bed::new("100", WATCHLIST_RECORDS);
    let serve = || {
        let out = bm(bed.path())
            .args(["--json", "serve", "--config", "server.toml"])
            .output()
            .unwrap();
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        (out.status.code(), v["message"].as_str().unwrap().to_owned())
    };
    let key = bed.path().join("server.key");
    fs::set_permissions(&key, fs::Permissions::from_mode(0o644)).unwrap();
    let (code, message) = serve();
    assert_eq!(code, Some(3));
    assert!(message.contains("chmod 600"), "{message}");
    fs::set_permissions(&key, fs::Permissions::from_mode(0o600)).unwrap();
    // No budget at all, a budget that is not one, a list given twice.
    for (budget, watchlist, expected) in [
        ("\"plenty\"", WATCHLIST_RECORDS, "unlimited"),
        ("100", "[watchlist]\nkey = \"wl.key\"\n", "either `digest`"),
        (
            "100",
            "[watchlist]\nkey = \"wl.key\"\ndigest = \"d.bm\"\nrecords = \"list.csv\"\n",
            "either `digest`",
        ),
        (
            "100",
            "[watchlist]\nkey = \"missing.key\"\ndigest = \"d.bm\"\n",
            "keygen",
        ),
    ] {
        bed.write_config(budget, watchlist);
        let (code, message) = serve();
        assert_eq!(code, Some(3), "{message}");
        assert!(message.contains(expected), "{message}");
    }
    fs::write(
        bed.path().join("server.toml"),
        "listen = \"127.0.0.1:0\"\nledger = \"wl.sqlite\"\n[tls]\ncert = \"server.crt\"\nkey = \"server.key\"\nclient_ca = \"ca.crt\"\n[watchlist]\nkey = \"wl.key\"\nrecords = \"list.csv\"\nid = \"id\"\nfields = [\"email\"]\n",
    )
    .unwrap();
    let (code, message) = serve();
    assert_eq!(code, Some(3));
    assert!(message.contains("budget"), "{message}");
}

/// Reads the server's answer without writing. After a body the server
/// refused (and stopped reading), rustls may still hold records of it
/// that were not sent; its stream's `read` would try to send them first
/// and fail with a broken pipe before reading the answer that is there.
fn read_answer(
    conn: &mut rustls::ClientConnection,
    sock: &mut TcpStream,
    out: &mut Vec<u8>,
) -> std::io::Result<()> {
    loop {
        match conn.reader().read_to_end(out) {
            Ok(_) => return Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(e),
        }
        if conn.read_tls(sock)? == 0 {
            return Ok(());
        }
        conn.process_new_packets()
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
    }
}

/// One trickling connection: the head of a query declaring `len` bytes,
/// then a byte every 300 ms for `for_how_long` (or until the server stops
/// reading); returns the status the server answered with.
fn trickle(bed: &Bed, client: &str, len: usize, for_how_long: Duration) -> Option<u16> {
    let tcp = TcpStream::connect(("127.0.0.1", bed.port)).ok()?;
    tcp.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let conn = rustls::ClientConnection::new(
        bed.client(client),
        ServerName::try_from("localhost").unwrap(),
    )
    .unwrap();
    let mut stream = rustls::StreamOwned::new(conn, tcp);
    let head = format!(
        "POST /v1/query HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: {len}\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).ok()?;
    stream.flush().ok()?;
    let started = Instant::now();
    while started.elapsed() < for_how_long {
        if stream
            .write_all(b"B")
            .and_then(|()| stream.flush())
            .is_err()
        {
            break;
        }
        std::thread::sleep(Duration::from_millis(300));
    }
    let mut bytes = Vec::new();
    let _ = read_answer(&mut stream.conn, &mut stream.sock, &mut bytes);
    (!bytes.is_empty()).then(|| Response::parse(&bytes).status)
}

/// A certificate holder that trickles query bodies on six connections
/// holds one query in flight (the others are refused before their body is
/// read) and no evaluation slot: another client's queries are answered at
/// once meanwhile, and the slow body runs out of time at the minimum rate.
#[test]
fn deviating_client_trickling_bodies_does_not_stall_another() {
    let mut bed = Bed::new("100000", WATCHLIST_RECORDS);
    bed.pki.issue(bed.path(), "agency-de", "agency-de", false);
    bed.start();
    let query = file_query(&bed, None, "q.bm");
    let bed = Arc::new(bed);
    let tricklers: Vec<_> = (0..6)
        .map(|_| {
            let bed = bed.clone();
            let len = query.len();
            std::thread::spawn(move || trickle(&bed, "agency-nl", len, Duration::from_secs(9)))
        })
        .collect();
    std::thread::sleep(Duration::from_millis(1500));
    // The trickler's own query waits for nothing either: it is refused.
    let r = bed.post("agency-nl", &query);
    assert_eq!(r.status, 429);
    assert_eq!(r.error_code(), "too_many_in_flight");
    // Another client: every query answered while the bodies trickle.
    let mut latencies = Vec::new();
    for _ in 0..8 {
        let t = Instant::now();
        let r = bed.post("agency-de", &query);
        latencies.push(t.elapsed());
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    }
    latencies.sort();
    eprintln!(
        "agency-de beside 6 trickling bodies: p50 {:?}, max {:?}",
        latencies[latencies.len() / 2],
        latencies[latencies.len() - 1]
    );
    // Before: 178 s (every slot held by a slow body). A few seconds is
    // the bound the service promises, far above a normal answer.
    assert!(latencies[latencies.len() - 1] < Duration::from_secs(5));
    let mut statuses: Vec<Option<u16>> = tricklers.into_iter().map(|t| t.join().unwrap()).collect();
    statuses.sort();
    // One body ran out of time (5 s plus its length at 16 KiB/s); five
    // were refused before a byte of theirs was read.
    assert_eq!(
        statuses,
        [
            Some(408),
            Some(429),
            Some(429),
            Some(429),
            Some(429),
            Some(429)
        ]
    );
    assert_eq!(bed.post("agency-nl", &query).status, 200);
    assert_eq!(
        bed.metric("blindmatch_refusals_total{reason=\"too_many_in_flight\"}"),
        6.0
    );
}

/// Connections from one address that never finish their handshake: at
/// most `max_handshakes_per_address` are held, the rest closed at once,
/// and a client from another address is served meanwhile.
#[test]
fn deviating_address_holds_handshakes_open() {
    use socket2::{Domain, SockAddr, Socket, Type};
    let mut bed = Bed::new("100000", WATCHLIST_RECORDS);
    bed.start();
    let server = SockAddr::from(std::net::SocketAddr::from(([127, 0, 0, 1], bed.port)));
    let local = SockAddr::from(std::net::SocketAddr::from(([127, 0, 0, 2], 0)));
    let stalled: Vec<Socket> = (0..20)
        .map(|_| {
            let s = Socket::new(Domain::IPV4, Type::STREAM, None).unwrap();
            s.bind(&local).unwrap();
            s.connect(&server).unwrap();
            s
        })
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    let t = Instant::now();
    assert_eq!(bed.get("agency-nl", "/healthz", &[]).status, 200);
    assert!(t.elapsed() < Duration::from_secs(5));
    let refused =
        bed.metric("blindmatch_tls_handshake_failures_total{reason=\"too_many_handshakes\"}");
    assert_eq!(refused, 12.0, "20 handshakes from one address, 8 held");
    drop(stalled);
}

/// A client whose certificate a reloaded CRL revokes keeps no open
/// connection: the reload checks every connection's certificate again and
/// closes the one it no longer trusts; new handshakes are refused; other
/// clients are served as before.
#[test]
fn deviating_revoked_client_keeps_no_connection_after_a_reload() {
    let mut bed = Bed::new("100000", WATCHLIST_RECORDS);
    bed.pki
        .issue_serial(bed.path(), "agency-de", "agency-de", false, Some(4242));
    bed.start();
    // A keep-alive connection of agency-de, answered once.
    let tcp = TcpStream::connect(("127.0.0.1", bed.port)).unwrap();
    tcp.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let conn = rustls::ClientConnection::new(
        bed.client("agency-de"),
        ServerName::try_from("localhost").unwrap(),
    )
    .unwrap();
    let mut stream = rustls::StreamOwned::new(conn, tcp);
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .unwrap();
    stream.flush().unwrap();
    let mut first = [0u8; 12];
    stream.read_exact(&mut first).unwrap();
    assert_eq!(&first, b"HTTP/1.1 200");
    // The CA revokes agency-de; the service reloads.
    let crl = rcgen::CertificateRevocationListParams {
        this_update: rcgen::date_time_ymd(2026, 1, 1),
        next_update: rcgen::date_time_ymd(2036, 1, 1),
        crl_number: rcgen::SerialNumber::from(1u64),
        issuing_distribution_point: None,
        revoked_certs: vec![rcgen::RevokedCertParams {
            serial_number: rcgen::SerialNumber::from(4242u64),
            revocation_time: rcgen::date_time_ymd(2026, 1, 2),
            reason_code: None,
            invalidity_date: None,
        }],
        key_identifier_method: rcgen::KeyIdMethod::Sha256,
    }
    .signed_by(&bed.pki.ca)
    .unwrap();
    fs::write(bed.path().join("revoked.crl"), crl.pem().unwrap()).unwrap();
    let config = fs::read_to_string(bed.path().join("server.toml")).unwrap();
    let config = config.replace(
        "client_ca = \"ca.crt\"",
        "client_ca = \"ca.crt\"\ncrl = [\"revoked.crl\"]",
    );
    fs::write(bed.path().join("server.toml"), config).unwrap();
    bed.signal("-HUP");
    // The open connection is closed (its idle keep-alive would last 20 s).
    let started = Instant::now();
    let closed = loop {
        match stream.conn.read_tls(&mut stream.sock) {
            Ok(0) | Err(_) => break true,
            Ok(_) => {
                let _ = stream.conn.process_new_packets();
            }
        }
        if started.elapsed() > Duration::from_secs(8) {
            break false;
        }
    };
    assert!(closed, "the revoked client's connection stayed open");
    assert!(started.elapsed() < Duration::from_secs(8));
    let health = "GET /healthz HTTP/1.1";
    assert!(bed.raw(&bed.client("agency-de"), health, b"").is_err());
    assert_eq!(bed.get("agency-nl", "/healthz", &[]).status, 200);
    assert_eq!(
        bed.metric("blindmatch_tls_handshake_failures_total{reason=\"revoked_after_reload\"}"),
        1.0
    );
}
