//! Support code for the runnable examples: loading the shipped agency data
//! and running a realistic two-agency match through the wire format.
//!
//! The protocol logic is all in `blindmatch`; this crate only reads CSV
//! files, turns suspects into items, and maps the result back.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use blindmatch::psi::{Config, Initiator, Responder};

/// One suspect record of an agency's list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suspect {
    /// The agency's own record id; it never leaves the agency.
    pub id: String,
    /// Full name, as recorded.
    pub full_name: String,
    /// E-mail address (already in canonical lower-case form in the shipped data).
    pub email: String,
    /// Phone number in E.164 form.
    pub phone: String,
}

/// The identifier kinds the example matches on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// E-mail address.
    Email,
    /// Phone number.
    Phone,
}

impl Kind {
    fn tag(self) -> &'static str {
        match self {
            Kind::Email => "email",
            Kind::Phone => "phone",
        }
    }
}

/// Errors of the example: bad data files, or a protocol failure.
#[derive(Debug)]
pub enum ExampleError {
    /// A data file could not be read or parsed.
    Data(PathBuf, String),
    /// A message file could not be written or read.
    Io(PathBuf, std::io::Error),
    /// The protocol failed.
    Protocol(blindmatch::Error),
}

impl fmt::Display for ExampleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExampleError::Data(p, e) => write!(f, "{}: {e}", p.display()),
            ExampleError::Io(p, e) => write!(f, "{}: {e}", p.display()),
            ExampleError::Protocol(e) => write!(f, "protocol error [{}]: {e}", e.code()),
        }
    }
}

impl std::error::Error for ExampleError {}

impl From<blindmatch::Error> for ExampleError {
    fn from(e: blindmatch::Error) -> Self {
        ExampleError::Protocol(e)
    }
}

/// Returns the folder of the shipped data sets.
pub fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data")
}

fn read_csv(path: &Path) -> Result<csv::Reader<std::fs::File>, ExampleError> {
    csv::Reader::from_path(path).map_err(|e| ExampleError::Data(path.to_owned(), e.to_string()))
}

/// Loads an agency's suspect list (`suspect_id,full_name,...,email,phone`).
///
/// # Errors
///
/// [`ExampleError::Data`] if the file is missing, malformed or lacks a column.
pub fn load_agency(path: &Path) -> Result<Vec<Suspect>, ExampleError> {
    let bad = |msg: String| ExampleError::Data(path.to_owned(), msg);
    let mut reader = read_csv(path)?;
    let headers = reader.headers().map_err(|e| bad(e.to_string()))?.clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .ok_or_else(|| bad(format!("no column {name:?}")))
    };
    let (id, name, email, phone) = (
        col("suspect_id")?,
        col("full_name")?,
        col("email")?,
        col("phone")?,
    );
    let mut out = Vec::new();
    for (line, row) in reader.records().enumerate() {
        let row = row.map_err(|e| bad(e.to_string()))?;
        let field = |i: usize| {
            row.get(i)
                .map(str::to_owned)
                .ok_or_else(|| bad(format!("row {}: missing field", line + 2)))
        };
        out.push(Suspect {
            id: field(id)?,
            full_name: field(name)?,
            email: field(email)?,
            phone: field(phone)?,
        });
    }
    Ok(out)
}

/// Loads the known answer: `(a_id, b_id) -> shared_via`.
///
/// # Errors
///
/// [`ExampleError::Data`] if the file is missing or malformed.
pub fn load_expected(path: &Path) -> Result<BTreeMap<(String, String), String>, ExampleError> {
    let mut reader = read_csv(path)?;
    let mut out = BTreeMap::new();
    for row in reader.records() {
        let row = row.map_err(|e| ExampleError::Data(path.to_owned(), e.to_string()))?;
        match (row.get(0), row.get(1), row.get(2)) {
            (Some(a), Some(b), Some(via)) => {
                out.insert((a.to_owned(), b.to_owned()), via.to_owned())
            }
            _ => {
                return Err(ExampleError::Data(
                    path.to_owned(),
                    "expected a_id,b_id,shared_via".into(),
                ));
            }
        };
    }
    Ok(out)
}

/// An agency's items: one per identifier, tagged with its kind so that an
/// e-mail address never matches a phone number, and the suspect it
/// belongs to.
pub fn items_of(suspects: &[Suspect]) -> (Vec<String>, Vec<(usize, Kind)>) {
    let mut items = Vec::with_capacity(2 * suspects.len());
    let mut owner = Vec::with_capacity(2 * suspects.len());
    for (n, s) in suspects.iter().enumerate() {
        for (kind, value) in [(Kind::Email, &s.email), (Kind::Phone, &s.phone)] {
            if !value.is_empty() {
                items.push(format!("{}\0{}", kind.tag(), value));
                owner.push((n, kind));
            }
        }
    }
    (items, owner)
}

/// Maps matched item indices back to suspects and the kinds that matched.
pub fn suspects_matched(
    suspects: &[Suspect],
    owner: &[(usize, Kind)],
    indices: &[usize],
) -> BTreeMap<String, BTreeSet<Kind>> {
    let mut out: BTreeMap<String, BTreeSet<Kind>> = BTreeMap::new();
    for &i in indices {
        let (n, kind) = owner[i];
        out.entry(suspects[n].id.clone()).or_default().insert(kind);
    }
    out
}

/// Sizes and timings of one exchange.
#[derive(Debug, Clone, Default)]
pub struct Traffic {
    /// Bytes of the request, response and finish messages.
    pub bytes: [usize; 3],
    /// Time of each step: request, respond, finish (initiator), finish (responder).
    pub time: [Duration; 4],
}

impl Traffic {
    /// Total bytes on the wire.
    pub fn total_bytes(&self) -> usize {
        self.bytes.iter().sum()
    }

    /// Total computation time of both parties.
    pub fn total_time(&self) -> Duration {
        self.time.iter().sum()
    }
}

/// The outcome of the two-agency match.
#[derive(Debug, Clone)]
pub struct Report {
    /// Suspects of agency A that B also holds, with the kinds that matched.
    pub a_matches: BTreeMap<String, BTreeSet<Kind>>,
    /// Suspects of agency B that A also holds, with the kinds that matched.
    pub b_matches: BTreeMap<String, BTreeSet<Kind>>,
    /// Distinct identifiers shared.
    pub shared_identifiers: usize,
    /// Items (identifiers) each side put in.
    pub items: (usize, usize),
    /// Messages exchanged.
    pub traffic: Traffic,
}

/// Writes a message to `dir/name` and reads it back, as a file carried to
/// the other agency would be.
fn carry(dir: Option<&Path>, name: &str, msg: Vec<u8>) -> Result<Vec<u8>, ExampleError> {
    let Some(dir) = dir else { return Ok(msg) };
    let path = dir.join(name);
    std::fs::write(&path, &msg).map_err(|e| ExampleError::Io(path.clone(), e))?;
    std::fs::read(&path).map_err(|e| ExampleError::Io(path, e))
}

/// Runs the balanced protocol between agency A (initiator) and agency B
/// (responder), both learning which of their suspects are shared. Every
/// message crosses as bytes; with `exchange_dir`, through files there.
///
/// # Errors
///
/// [`ExampleError`] for unreadable message files or a protocol failure.
pub fn match_agencies(
    a: &[Suspect],
    b: &[Suspect],
    exchange_dir: Option<&Path>,
) -> Result<Report, ExampleError> {
    let (a_items, a_owner) = items_of(a);
    let (b_items, b_owner) = items_of(b);
    let config = Config::default();
    let mut traffic = Traffic::default();

    let t = Instant::now();
    let (initiator, request) = Initiator::new(config.clone(), &a_items)?;
    traffic.time[0] = t.elapsed();
    traffic.bytes[0] = request.len();
    let request = carry(exchange_dir, "1-request.bmch", request)?;

    let t = Instant::now();
    let (responder, response) = Responder::new(config, &b_items)?.respond(&request)?;
    traffic.time[1] = t.elapsed();
    traffic.bytes[1] = response.len();
    let response = carry(exchange_dir, "2-response.bmch", response)?;

    let t = Instant::now();
    let (finish, mine) = initiator.finish(&response)?;
    traffic.time[2] = t.elapsed();
    let finish = finish
        .map(|f| carry(exchange_dir, "3-finish.bmch", f))
        .transpose()?;
    traffic.bytes[2] = finish.as_ref().map_or(0, Vec::len);

    let t = Instant::now();
    let theirs = responder
        .finish(finish.as_deref())?
        .ok_or(blindmatch::Error::UnexpectedFinish("missing"))?;
    traffic.time[3] = t.elapsed();

    Ok(Report {
        a_matches: suspects_matched(a, &a_owner, mine.indices()),
        b_matches: suspects_matched(b, &b_owner, theirs.indices()),
        shared_identifiers: mine.cardinality(),
        items: (a_items.len(), b_items.len()),
        traffic,
    })
}

/// Differences between a report and the known answer; empty when they agree.
pub fn check_against_expected(
    report: &Report,
    expected: &BTreeMap<(String, String), String>,
) -> Vec<String> {
    let via = |kinds: &BTreeSet<Kind>| kinds.iter().map(|k| k.tag()).collect::<Vec<_>>().join("+");
    let mut problems = Vec::new();
    let want_a: BTreeMap<&str, &str> = expected
        .iter()
        .map(|((a, _), v)| (a.as_str(), v.as_str()))
        .collect();
    let want_b: BTreeMap<&str, &str> = expected
        .iter()
        .map(|((_, b), v)| (b.as_str(), v.as_str()))
        .collect();
    for (side, got, want) in [
        ("A", &report.a_matches, &want_a),
        ("B", &report.b_matches, &want_b),
    ] {
        for (id, kinds) in got {
            match want.get(id.as_str()) {
                None => problems.push(format!(
                    "agency {side}: {id} matched but is not in the known overlap"
                )),
                Some(&w) if w != via(kinds) => {
                    problems.push(format!(
                        "agency {side}: {id} matched via {} but expected {w}",
                        via(kinds)
                    ));
                }
                Some(_) => {}
            }
        }
        for id in want.keys() {
            if !got.contains_key(*id) {
                problems.push(format!(
                    "agency {side}: {id} is in the known overlap but did not match"
                ));
            }
        }
    }
    let shared_ids: usize = expected
        .values()
        .map(|v| if v == "email+phone" { 2 } else { 1 })
        .sum();
    if report.shared_identifiers != shared_ids {
        problems.push(format!(
            "{} shared identifiers, expected {shared_ids}",
            report.shared_identifiers
        ));
    }
    problems
}
