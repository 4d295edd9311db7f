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
use blindmatch::receipt::{self, Case, ReceiptFields, SessionRecord, SigningKey};
use blindmatch::records::{Field, Kind, Options, RecordSet};

pub mod multi;

/// One suspect record of an agency's list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suspect {
    /// The agency's own record id; it never leaves the agency.
    pub id: String,
    /// Full name, as recorded.
    pub full_name: String,
    /// Date of birth, as recorded (empty when unknown).
    pub date_of_birth: String,
    /// E-mail address, as recorded.
    pub email: String,
    /// Phone number, as recorded.
    pub phone: String,
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

/// The exit status of an example that checks its result against the
/// known answer: 0 when it matched, 1 when it did not, 2 (with the error on
/// stderr) when it could not run.
pub fn exit_code(checked: Result<bool, Box<dyn std::error::Error>>) -> std::process::ExitCode {
    match checked {
        Ok(true) => std::process::ExitCode::SUCCESS,
        Ok(false) => std::process::ExitCode::from(1),
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::from(2)
        }
    }
}

/// An example's verdict against the known answer: `ok` on stdout when there
/// are no differences, else the first 20 and their count on stderr.
/// Returns whether the result was right.
pub fn verdict(problems: &[String], ok: &str) -> bool {
    if problems.is_empty() {
        println!("OK: {ok}");
        return true;
    }
    for p in problems.iter().take(20) {
        eprintln!("MISMATCH: {p}");
    }
    eprintln!(
        "FAILED: {} differences from the known answer",
        problems.len()
    );
    false
}

/// Returns the folder of the shipped data sets.
pub fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data")
}

pub(crate) fn read_csv(path: &Path) -> Result<csv::Reader<std::fs::File>, ExampleError> {
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
    let (id, name, dob) = (col("suspect_id")?, col("full_name")?, col("date_of_birth")?);
    let (email, phone) = (col("email")?, col("phone")?);
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
            date_of_birth: field(dob)?,
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
    Ok(read_triples(path, "a_id,b_id,shared_via")?
        .into_iter()
        .map(|(a, b, via)| ((a, b), via))
        .collect())
}

/// Reads the rows of a three-column CSV file (after its header).
fn read_triples(path: &Path, columns: &str) -> Result<Vec<(String, String, String)>, ExampleError> {
    let mut reader = read_csv(path)?;
    let mut out = Vec::new();
    for row in reader.records() {
        let row = row.map_err(|e| ExampleError::Data(path.to_owned(), e.to_string()))?;
        match (row.get(0), row.get(1), row.get(2)) {
            (Some(a), Some(b), Some(c)) => out.push((a.to_owned(), b.to_owned(), c.to_owned())),
            _ => {
                return Err(ExampleError::Data(
                    path.to_owned(),
                    format!("expected {columns}"),
                ));
            }
        }
    }
    Ok(out)
}

/// Builds an agency's [`RecordSet`]: every e-mail address and phone
/// number is a key, and so is name + date of birth together (a name alone
/// is shared by too many people). Empty cells are skipped; values that
/// cannot be read are reported in [`RecordSet::errors`].
///
/// # Errors
///
/// [`ExampleError::Protocol`] if the options are inconsistent.
pub fn record_set(suspects: &[Suspect], options: Options) -> Result<RecordSet, ExampleError> {
    // Names are keys only inside the name + date of birth composite (the default).
    let mut rs = RecordSet::new(options);
    rs.add_composite(&[Kind::Name, Kind::DateOfBirth])?;
    for s in suspects {
        let fields: Vec<Field<'_>> = [
            (Kind::Name, &s.full_name),
            (Kind::DateOfBirth, &s.date_of_birth),
            (Kind::Email, &s.email),
            (Kind::Phone, &s.phone),
        ]
        .into_iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| Field::new(k, v))
        .collect();
        rs.add(&s.id, &fields);
    }
    Ok(rs)
}

/// Agency A's reading rules: tidy data, ISO dates, phone numbers in E.164.
pub fn options_a() -> Options {
    Options::default()
}

/// Agency B's reading rules: a UK agency, dates written day first.
///
/// # Errors
///
/// Never in practice ("GB" is a known region).
pub fn options_b() -> Result<Options, ExampleError> {
    Ok(Options::default()
        .with_default_region("GB")?
        .with_date_format("%d/%m/%Y")?)
}

/// Record matches as `record id -> kinds that matched`.
pub type RecordMatches = BTreeMap<String, Vec<String>>;

fn by_record(rs: &RecordSet, m: &blindmatch::psi::Matches) -> RecordMatches {
    rs.record_matches(m)
        .into_iter()
        .map(|r| (r.record_id, r.kinds))
        .collect()
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

/// A value an agency could not use: `(record id, field, reason)`.
pub type ValueError = (String, String, String);

/// The outcome of the two-agency match.
#[derive(Debug, Clone)]
pub struct Report {
    /// Suspects of agency A that B also holds, with the kinds that matched.
    pub a_matches: RecordMatches,
    /// Suspects of agency B that A also holds, with the kinds that matched.
    pub b_matches: RecordMatches,
    /// Values each agency could not use: `(record id, field, reason)`.
    pub errors: (Vec<ValueError>, Vec<ValueError>),
    /// Distinct keys shared.
    pub shared_identifiers: usize,
    /// Keys each side put in.
    pub items: (usize, usize),
    /// Messages exchanged.
    pub traffic: Traffic,
    /// Time both agencies spent canonicalizing their records into keys.
    pub canonicalize_time: Duration,
    /// Each agency's record of the session (A's, B's), for their receipts.
    pub records: (SessionRecord, SessionRecord),
}

/// Writes a message to `dir/name` and reads it back, as a file carried to
/// the other agency would be.
pub(crate) fn carry(dir: Option<&Path>, name: &str, msg: Vec<u8>) -> Result<Vec<u8>, ExampleError> {
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
    let t = Instant::now();
    let a_set = record_set(a, options_a())?;
    let b_set = record_set(b, options_b()?)?;
    let canonicalize_time = t.elapsed();
    let (a_items, b_items) = (a_set.keys(), b_set.keys());
    // Each agency's own profile: B refuses A's request if they declared
    // different composites or key-changing options.
    let (a_config, b_config) = (
        Config::default().with_profile(a_set.profile()),
        Config::default().with_profile(b_set.profile()),
    );
    let mut traffic = Traffic::default();

    let t = Instant::now();
    let (initiator, request) = Initiator::new(a_config, a_items)?;
    traffic.time[0] = t.elapsed();
    traffic.bytes[0] = request.len();
    let request = carry(exchange_dir, "1-request.bmch", request)?;

    let t = Instant::now();
    let (responder, response) = Responder::new(b_config, b_items)?.respond(&request)?;
    traffic.time[1] = t.elapsed();
    traffic.bytes[1] = response.len();
    let response = carry(exchange_dir, "2-response.bmch", response)?;

    let t = Instant::now();
    let a_done = initiator.conclude(&response)?;
    let (finish, mine) = (a_done.finish, a_done.matches);
    traffic.time[2] = t.elapsed();
    let finish = finish
        .map(|f| carry(exchange_dir, "3-finish.bmch", f))
        .transpose()?;
    traffic.bytes[2] = finish.as_ref().map_or(0, Vec::len);

    let t = Instant::now();
    let b_done = responder.conclude(finish.as_deref())?;
    let theirs = b_done
        .matches
        .ok_or(blindmatch::Error::UnexpectedFinish("missing"))?;
    traffic.time[3] = t.elapsed();

    let errors = |rs: &RecordSet| {
        rs.errors()
            .iter()
            .map(|e| (e.record_id.clone(), e.field.clone(), e.error.to_string()))
            .collect()
    };
    Ok(Report {
        a_matches: by_record(&a_set, &mine),
        b_matches: by_record(&b_set, &theirs),
        errors: (errors(&a_set), errors(&b_set)),
        shared_identifiers: mine.cardinality(),
        items: (a_items.len(), b_items.len()),
        traffic,
        canonicalize_time,
        records: (a_done.record, b_done.record),
    })
}

/// The receipt both agencies sign for the record: A signs its record of the
/// session under `case`; B checks it against its own record (same
/// transcript hash, sizes and cardinality) and countersigns; anyone holding
/// the two public keys verifies it. Returns the receipt and what it states.
///
/// # Errors
///
/// [`ExampleError::Protocol`] if a signature or the check fails.
pub fn co_signed_receipt(
    report: &Report,
    case: &Case,
    (key_a, key_b): (&SigningKey, &SigningKey),
    exchange_dir: Option<&Path>,
) -> Result<(Vec<u8>, ReceiptFields), ExampleError> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let signed = receipt::sign(&report.records.0, case, key_a, now)?;
    let signed = carry(exchange_dir, "4-receipt-a.bmch", signed)?;
    let both = receipt::countersign(&signed, key_b, Some(&report.records.1), now)?;
    let both = carry(exchange_dir, "5-receipt-a-b.bmch", both)?;
    let fields = receipt::verify(&both, &[key_a.public_key(), key_b.public_key()])?;
    Ok((both, fields))
}

/// The values the shipped data is known to hold that cannot be used:
/// `(agency, record id, field)`.
pub type ExpectedErrors = BTreeSet<(String, String, String)>;

/// Loads `expected_errors.csv`.
///
/// # Errors
///
/// [`ExampleError::Data`] if the file is missing or malformed.
pub fn load_expected_errors(path: &Path) -> Result<ExpectedErrors, ExampleError> {
    Ok(read_triples(path, "agency,record_id,field")?
        .into_iter()
        .collect())
}

/// Differences between a report and the known answer; empty when they agree.
pub fn check_against_expected(
    report: &Report,
    expected: &BTreeMap<(String, String), String>,
    expected_errors: &ExpectedErrors,
) -> Vec<String> {
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
            let via = kinds.join(" ");
            match want.get(id.as_str()) {
                None => problems.push(format!(
                    "agency {side}: {id} matched ({via}) but is not in the known overlap"
                )),
                Some(&w) if w != via => problems.push(format!(
                    "agency {side}: {id} matched via {via}, expected {w}"
                )),
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
    let got_errors: ExpectedErrors = [("A", &report.errors.0), ("B", &report.errors.1)]
        .into_iter()
        .flat_map(|(side, errs)| {
            errs.iter()
                .map(move |(id, field, _)| (side.to_owned(), id.clone(), field.clone()))
        })
        .collect();
    for e in got_errors.symmetric_difference(expected_errors) {
        let what = if expected_errors.contains(e) {
            "not reported"
        } else {
            "reported but not expected"
        };
        problems.push(format!(
            "error {what}: agency {}, record {}, field {}",
            e.0, e.1, e.2
        ));
    }
    let shared: usize = expected.values().map(|v| v.split(' ').count()).sum();
    if report.shared_identifiers != shared {
        problems.push(format!(
            "{} shared keys, expected {shared}",
            report.shared_identifiers
        ));
    }
    problems
}

/// Intersection-sum on the shipped account data: a financial-intelligence
/// unit (accounts with amounts) and a police agency (suspect accounts).
pub mod totals {
    use std::path::Path;
    use std::time::Duration;

    use crate::timed;
    use blindmatch::records::{Kind, Options, canonicalize};
    use blindmatch::sum::{Column, Initiator, Responder, RevealSumTo, SumConfig, SumOutcome};

    use super::{ExampleError, read_csv};

    /// The FIU's rows: canonical account, amount in euro cents, transfers.
    #[derive(Debug, Clone, Default)]
    pub struct Fiu {
        /// Canonical IBANs, one per row (an account may have several rows).
        pub accounts: Vec<String>,
        /// Amount in euro cents, per row.
        pub amounts: Vec<u64>,
        /// Number of transfers, per row.
        pub transfers: Vec<u64>,
    }

    fn iban(value: &str, path: &Path) -> Result<String, ExampleError> {
        canonicalize(Kind::Iban, value, None, &Options::default())
            .map_err(|e| ExampleError::Data(path.to_owned(), format!("account {e}")))
    }

    fn number(value: &str, path: &Path) -> Result<u64, ExampleError> {
        value
            .parse()
            .map_err(|_| ExampleError::Data(path.to_owned(), "not a whole number".to_owned()))
    }

    /// Loads `fiu_accounts.csv` (`account,amount_eur_cents,transfers`).
    ///
    /// # Errors
    ///
    /// [`ExampleError::Data`] for an unreadable file or value.
    pub fn load_fiu(path: &Path) -> Result<Fiu, ExampleError> {
        let mut fiu = Fiu::default();
        for row in read_csv(path)?.records() {
            let row = row.map_err(|e| ExampleError::Data(path.to_owned(), e.to_string()))?;
            fiu.accounts.push(iban(&row[0], path)?);
            fiu.amounts.push(number(&row[1], path)?);
            fiu.transfers.push(number(&row[2], path)?);
        }
        Ok(fiu)
    }

    /// Loads `police_accounts.csv` (`case_id,account`): canonical IBANs.
    ///
    /// # Errors
    ///
    /// [`ExampleError::Data`] for an unreadable file or account.
    pub fn load_police(path: &Path) -> Result<Vec<String>, ExampleError> {
        let mut out = Vec::new();
        for row in read_csv(path)?.records() {
            let row = row.map_err(|e| ExampleError::Data(path.to_owned(), e.to_string()))?;
            out.push(iban(&row[1], path)?);
        }
        Ok(out)
    }

    /// Loads `expected_sums.csv`: (cardinality, amount in cents, transfers).
    ///
    /// # Errors
    ///
    /// [`ExampleError::Data`] for an unreadable file.
    pub fn load_expected(path: &Path) -> Result<(u64, i128, i128), ExampleError> {
        let row = read_csv(path)?
            .records()
            .next()
            .ok_or_else(|| ExampleError::Data(path.to_owned(), "no row".to_owned()))?
            .map_err(|e| ExampleError::Data(path.to_owned(), e.to_string()))?;
        Ok((
            number(&row[0], path)?,
            i128::from(number(&row[1], path)?),
            i128::from(number(&row[2], path)?),
        ))
    }

    /// What one run of the exchange gives each party, with its costs.
    #[derive(Debug)]
    pub struct Report {
        /// The police agency's outcome (the initiator).
        pub police: SumOutcome,
        /// The FIU's outcome (the value holder).
        pub fiu: SumOutcome,
        /// Bytes of the four messages.
        pub bytes: [usize; 4],
        /// Time of each step: request, respond, finish, decrypt, check.
        pub times: [Duration; 5],
    }

    /// Runs the exchange: the police agency learns how many of its suspect
    /// accounts the FIU holds and their totals (at least `min` of them),
    /// never which; the FIU learns the same totals.
    ///
    /// # Errors
    ///
    /// Any protocol error.
    pub fn run(police: &[String], fiu: &Fiu, min: u64) -> Result<Report, ExampleError> {
        let config = SumConfig::new(RevealSumTo::Both).with_min_intersection(min);
        let columns = [
            Column {
                name: "amount_eur_cents".into(),
                values: fiu.amounts.clone(),
            },
            Column {
                name: "transfers".into(),
                values: fiu.transfers.clone(),
            },
        ];
        let ((a, request), t_request) = timed(|| Initiator::new(config.clone(), police))?;
        let ((b, response), t_respond) =
            timed(|| Responder::new(config, &fiu.accounts, &columns)?.respond(&request))?;
        let ((a, finish), t_finish) = timed(|| a.finish(&response))?;
        let ((result, fiu_outcome), t_decrypt) = timed(|| b.finish(&finish))?;
        let (police_outcome, t_check) = timed(|| a.result(result.as_deref()))?;
        Ok(Report {
            police: police_outcome,
            fiu: fiu_outcome,
            bytes: [
                request.len(),
                response.len(),
                finish.len(),
                result.map_or(0, |r| r.len()),
            ],
            times: [t_request, t_respond, t_finish, t_decrypt, t_check],
        })
    }
}

/// What `f` returned, and how long it took.
///
/// # Errors
///
/// `f`'s.
pub fn timed<T, E>(f: impl FnOnce() -> Result<T, E>) -> Result<(T, std::time::Duration), E> {
    let t = std::time::Instant::now();
    let out = f()?;
    Ok((out, t.elapsed()))
}
