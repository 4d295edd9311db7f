//! The subcommands: read files, call the library, write files, report.

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use blindmatch::psi::{self, Config, Output, Proofs, Reveal};
use blindmatch::receipt::{self, Case, PublicKey, SessionRecord};
use blindmatch::records::{RecordIndex, RecordSet};
use blindmatch::registry::parties::{PsiResponder, Served, WatchlistQuery};
use blindmatch::session::party::{Party, Step};
use blindmatch::state::{self, SavedSession, Waiting};
use blindmatch::unbalanced::{self, Client, ClientConfig, Server, ServerConfig, SetDigest};
use blindmatch::wire;
use blindmatch_ledger::Ledger;
use serde_json::{Map, Value, json};

use crate::fail::{Class, Failure, Outcome};
use crate::files::{self, KeyFile, Passphrase};
use crate::table;
use crate::ui::Ui;
use crate::{
    EndArgs, InspectArgs, KeygenArgs, LedgerVerifyArgs, ModeArgs, OutputArg, PsiFinishArgs,
    PsiOpenArgs, PsiRequestArgs, PsiRespondArgs, PsiResultArgs, ReceiptArgs, ReceiptVerifyArgs,
    RevealArg, StateOut, WlAnswerArgs, WlBuildArgs, WlFinishArgs, WlQueryArgs,
};

/// Largest message file read from the peer beyond what the limits imply.
const SLACK: u64 = 1 << 20;

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

fn fields() -> Map<String, Value> {
    Map::new()
}

pub(crate) fn keygen(ui: &Ui, pass: &Passphrase, a: &KeygenArgs) -> Outcome {
    if a.out.exists() && !a.force {
        return Err(Failure::usage(format!(
            "{} exists; pass --force to replace it (the old key is then lost)",
            a.out.display()
        )));
    }
    let key = KeyFile::generate()?;
    files::write_secret(&a.out, &files::maybe_seal(&key.to_bytes(), pass)?)?;
    let public = a.out.with_extension("pub");
    let hex_key = hex::encode(key.signing()?.public_key().to_bytes());
    files::write_public(&public, format!("{hex_key}\n").as_bytes())?;
    let mut out = fields();
    out.insert("key".into(), json!(a.out.display().to_string()));
    out.insert("public_key".into(), json!(hex_key));
    out.insert(
        "public_key_file".into(),
        json!(public.display().to_string()),
    );
    out.insert(
        "watchlist_epoch".into(),
        json!(hex::encode(unbalanced::epoch_of(&key.watchlist()?))),
    );
    out.insert("sealed".into(), json!(pass.get()?.is_some()));
    ui.summary("keygen", out);
    Ok(())
}

fn config(mode: &ModeArgs, set: &RecordSet) -> Outcome<Config> {
    let reveal = match mode.reveal {
        RevealArg::Intersection => Reveal::Intersection,
        RevealArg::Cardinality => Reveal::Cardinality,
    };
    let output = match mode.output {
        OutputArg::Both => Output::Both,
        OutputArg::Initiator => Output::Initiator,
    };
    if mode.min_peer_items > mode.max_peer_items {
        return Err(Failure::usage("--min-peer-items exceeds --max-peer-items"));
    }
    let proofs = if mode.trust_peer {
        Proofs::TrustPeer
    } else {
        Proofs::Verify
    };
    Ok(Config::new(reveal, output)
        .with_proofs(proofs)
        .with_profile(set.profile())
        .with_max_peer_items(mode.max_peer_items)
        .with_min_peer_items(mode.min_peer_items))
}

fn check_state_out(s: &StateOut) -> Outcome {
    if s.state.exists() && !s.force {
        return Err(Failure::usage(format!(
            "{} exists and may hold a waiting session; finish it, remove it, or pass --force",
            s.state.display()
        )));
    }
    Ok(())
}

/// The end of a step that waits for the peer: the party saved in its state
/// file, then the message for the peer written (`key` names it in the
/// summary).
fn save_and_send(
    pass: &Passphrase,
    s: &StateOut,
    (waiting, index): (Waiting, RecordIndex),
    (path, message, key): (&Path, &[u8], &str),
    out: &mut Map<String, Value>,
) -> Outcome {
    save_state(pass, s, waiting, index, out)?;
    write_message(path, message, key, out)
}

fn save_state(
    pass: &Passphrase,
    s: &StateOut,
    waiting: Waiting,
    index: RecordIndex,
    out: &mut Map<String, Value>,
) -> Outcome {
    let bytes = SavedSession::new(waiting, Some(index)).to_bytes();
    let sealed = files::maybe_seal(&bytes, pass)?;
    files::write_secret(&s.state, &sealed)?;
    out.insert("state".into(), json!(s.state.display().to_string()));
    out.insert("state_sealed".into(), json!(state::is_sealed(&sealed)));
    Ok(())
}

fn write_message(path: &Path, bytes: &[u8], key: &str, out: &mut Map<String, Value>) -> Outcome {
    files::write_public(path, bytes)?;
    out.insert(key.into(), json!(path.display().to_string()));
    out.insert(format!("{key}_bytes"), json!(bytes.len()));
    Ok(())
}

/// Either agency's first balanced step up to its party: the state file
/// checked, the records read, the mode checked against them.
fn psi_open(ui: &Ui, a: &PsiOpenArgs) -> Outcome<(RecordSet, Config, Map<String, Value>)> {
    check_state_out(&a.state)?;
    let mut out = fields();
    let (set, _) = table::read_records(ui, &a.records, &a.state.state, None, &mut out)?;
    let config = config(&a.mode, &set)?;
    Ok((set, config, out))
}

pub(crate) fn psi_request(ui: &Ui, pass: &Passphrase, a: &PsiRequestArgs) -> Outcome {
    let (set, config, mut out) = psi_open(ui, &a.open)?;
    let step = ui.step(format!("blinding {} keys", set.keys().len()));
    let (initiator, request) = psi::Initiator::new(config, set.keys())?;
    step.finish_and_clear();
    out.insert("session".into(), json!(hex::encode(initiator.session_id())));
    save_and_send(
        pass,
        &a.open.state,
        (Waiting::Initiator(initiator), set.index()),
        (&a.out, &request, "request"),
        &mut out,
    )?;
    ui.summary("psi request", out);
    Ok(())
}

pub(crate) fn psi_respond(ui: &Ui, pass: &Passphrase, a: &PsiRespondArgs) -> Outcome {
    // The request is read first: a missing or oversized file is refused
    // before the records are.
    let limit = (a.open.mode.max_peer_items as u64)
        .saturating_mul(32)
        .saturating_add(SLACK);
    let request = files::read_message(&a.request, limit)?;
    let (set, config, mut out) = psi_open(ui, &a.open)?;
    let step = ui.step(format!(
        "answering: blinding the request and {} keys",
        set.keys().len()
    ));
    let (responder, response) = psi::Responder::new(config, set.keys())?
        .respond(&request)
        .map_err(|e| Failure::from(e).context(a.request.display()))?;
    step.finish_and_clear();
    out.insert("session".into(), json!(hex::encode(responder.session_id())));
    save_and_send(
        pass,
        &a.open.state,
        (Waiting::Responder(responder), set.index()),
        (&a.out, &response, "response"),
        &mut out,
    )?;
    ui.summary("psi respond", out);
    Ok(())
}

/// Reads (and opens, when sealed) a state file.
fn load_state(path: &Path, pass: &Passphrase) -> Outcome<SavedSession> {
    let bytes = files::read_maybe_sealed(path, pass)?;
    SavedSession::from_bytes(&bytes).map_err(|e| Failure::from(e).context(path.display()))
}

fn wrong_state(path: &Path, found: &Waiting, step: &str, wanted: &str) -> Failure {
    Failure::input(format!(
        "{}: a {} state; `{step}` needs the state `{wanted}` wrote",
        path.display(),
        found.name(),
    ))
}

fn index_of(path: &Path, saved: Option<RecordIndex>) -> Outcome<RecordIndex> {
    saved.ok_or_else(|| Failure::input(format!("{}: the state names no records", path.display())))
}

/// Signs, countersigns and records, as the receipt options ask.
fn conclude_record(
    pass: &Passphrase,
    r: &ReceiptArgs,
    record: &SessionRecord,
    out: &mut Map<String, Value>,
) -> Outcome {
    let case = Case::new(r.case_ref.clone(), r.legal_basis.clone())
        .map_err(|e| Failure::usage(format!("--case-ref/--legal-basis: {e}")))?;
    out.insert("transcript".into(), json!(hex::encode(record.transcript)));
    let mut signed = None;
    if let (Some(key_path), Some(receipt_path)) = (&r.signing_key, &r.receipt) {
        let key = KeyFile::read(key_path, pass)?.signing()?;
        let bytes = match &r.countersign {
            Some(peer) => {
                let theirs = files::read_message(peer, SLACK)?;
                // The case this party was told of, when it says one.
                let expect = receipt::ExpectCase {
                    case_ref: Some(r.case_ref.as_str()).filter(|c| !c.is_empty()),
                    legal_basis: Some(r.legal_basis.as_str()).filter(|l| !l.is_empty()),
                };
                receipt::countersign_expecting(&theirs, &key, Some(record), expect, now())
                    .map_err(|e| Failure::from(e).context(peer.display()))?
            }
            None => receipt::sign(record, &case, &key, now())?,
        };
        files::write_public(receipt_path, &bytes)?;
        out.insert("receipt".into(), json!(receipt_path.display().to_string()));
        out.insert("countersigned".into(), json!(r.countersign.is_some()));
        signed = Some(bytes);
    }
    if let Some(path) = &r.ledger {
        let ledger = Ledger::open(path)?;
        let seq = ledger.record_session(record, &case)?;
        if let Some(bytes) = &signed {
            ledger.record_receipt(bytes)?;
        }
        out.insert("ledger_entry".into(), json!(seq));
    }
    Ok(())
}

/// One message (read from `from`, sent by `sender` for the server)
/// through a restored party: the core's session machine, which every
/// protocol step of the command goes through once its state is loaded. A
/// refusal names the file.
fn take<P: Party>(party: P, message: (&[u8], Option<&str>), from: &Path) -> Outcome<Step<P>> {
    party
        .consume_sent(message)
        .map_err(|r| Failure::from(r.error).context(from.display()))
}

/// The outcome of a step that ends its party's session.
fn ended<P: Party>(step: Step<P>) -> Outcome<(Vec<Vec<u8>>, P::Outcome)> {
    match step.outcome {
        Some(outcome) => Ok((step.send, outcome)),
        None => Err(Failure::input(
            "the session is not over after this message".to_owned(),
        )),
    }
}

/// The end of a session: its record (receipt, ledger), then the state file
/// wiped unless asked to keep it.
fn conclude(
    pass: &Passphrase,
    end: &EndArgs,
    state: &Path,
    record: &SessionRecord,
    out: &mut Map<String, Value>,
) -> Outcome {
    conclude_record(pass, &end.receipt, record, out)?;
    if end.keep_state {
        Ok(())
    } else {
        files::destroy_secret(state)
    }
}

fn write_record_matches(
    ui: &Ui,
    path: Option<&Path>,
    matches: &psi::Matches,
    index: &RecordIndex,
    out: &mut Map<String, Value>,
) -> Outcome {
    out.insert("cardinality".into(), json!(matches.cardinality()));
    if matches.reveal() == Reveal::Cardinality {
        if path.is_some() {
            ui.note("cardinality mode: only the number of shared keys is known; no matches file written");
        }
        return Ok(());
    }
    let named = index.record_matches_at(matches.indices());
    out.insert("matched_records".into(), json!(named.len()));
    if let Some(path) = path {
        table::write_matches(path, &named)?;
        out.insert("matches".into(), json!(path.display().to_string()));
    }
    Ok(())
}

pub(crate) fn psi_finish(ui: &Ui, pass: &Passphrase, a: &PsiFinishArgs) -> Outcome {
    let saved = load_state(&a.state, pass)?;
    let index = index_of(&a.state, saved.records)?;
    let initiator = match saved.waiting {
        Waiting::Initiator(s) => s,
        other => return Err(wrong_state(&a.state, &other, "psi finish", "psi request")),
    };
    let config = initiator.config();
    if config.output == Output::Both && a.out.is_none() {
        return Err(Failure::usage(
            "agency B learns the result too: give --out FILE for the finish message",
        ));
    }
    let limit = (config.limits.max_peer_items as u64 + index.len() as u64)
        .saturating_mul(48)
        .saturating_add(SLACK);
    let response = files::read_message(&a.response, limit)?;
    let step = ui.step("comparing".to_owned());
    let (sent, outcome) = ended(take(initiator, (&response, None), &a.response)?)?;
    step.finish_and_clear();
    let finish = sent.into_iter().next();
    let mut out = fields();
    out.insert(
        "session".into(),
        json!(hex::encode(outcome.record.session_id)),
    );
    out.insert("peer_keys".into(), json!(outcome.record.peer_count));
    match (&finish, &a.out) {
        (Some(f), Some(path)) => write_message(path, f, "finish", &mut out)?,
        (None, Some(_)) => {
            ui.note("only agency A learns the result: there is no finish message to write")
        }
        // (Some, None) was refused before the response was read.
        _ => {}
    }
    write_record_matches(ui, a.matches.as_deref(), &outcome.matches, &index, &mut out)?;
    conclude(pass, &a.end, &a.state, &outcome.record, &mut out)?;
    ui.summary("psi finish", out);
    Ok(())
}

pub(crate) fn psi_result(ui: &Ui, pass: &Passphrase, a: &PsiResultArgs) -> Outcome {
    let saved = load_state(&a.state, pass)?;
    let index = index_of(&a.state, saved.records)?;
    let responder = match saved.waiting {
        Waiting::Responder(s) => s,
        other => return Err(wrong_state(&a.state, &other, "psi result", "psi respond")),
    };
    let finish = match &a.finish {
        Some(path) => Some(files::read_message(
            path,
            // Whole 32-byte elements when proven (digests are shorter);
            // the proofs (64 bytes per 2^16) fit in the slack.
            (index.len() as u64)
                .saturating_mul(32)
                .saturating_add(SLACK),
        )?),
        None if responder.config().output == Output::Both => {
            return Err(Failure::usage(
                "agency A's finish message is needed: give --finish FILE (the state is kept)",
            ));
        }
        None => None,
    };
    let outcome = match (&a.finish, finish) {
        (Some(path), Some(bytes)) => {
            let responder = PsiResponder::Finish(Box::new(responder));
            ended(take(responder, (&bytes, None), path)?)?.1
        }
        // Only agency A learns the result: no message ends the session.
        _ => responder.conclude(None)?,
    };
    let mut out = fields();
    out.insert(
        "session".into(),
        json!(hex::encode(outcome.record.session_id)),
    );
    out.insert("peer_keys".into(), json!(outcome.record.peer_count));
    match &outcome.matches {
        Some(m) => write_record_matches(ui, a.matches.as_deref(), m, &index, &mut out)?,
        None => ui.note("only agency A learns the result"),
    }
    conclude(pass, &a.end, &a.state, &outcome.record, &mut out)?;
    ui.summary("psi result", out);
    Ok(())
}

/// Where `watchlist build` notes the path of the digest it built with a key.
fn digest_note(key: &Path) -> std::path::PathBuf {
    let mut name = key
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".digest-path");
    key.with_file_name(name)
}

pub(crate) fn read_digest(path: &Path) -> Outcome<(Vec<u8>, SetDigest)> {
    let bytes = files::read_message(path, 1 << 34)?;
    let digest =
        SetDigest::from_bytes(&bytes).map_err(|e| Failure::from(e).context(path.display()))?;
    Ok((bytes, digest))
}

/// Each key's label: the label column's value of the record it came from.
pub(crate) fn key_labels(
    set: &RecordSet,
    labels: &std::collections::HashMap<String, String>,
) -> Vec<Vec<u8>> {
    let index = set.index();
    (0..set.keys().len())
        .map(|i| {
            index
                .record_of(i)
                .and_then(|r| labels.get(r))
                .map(|l| l.as_bytes().to_vec())
                .unwrap_or_default()
        })
        .collect()
}

pub(crate) fn wl_build(ui: &Ui, pass: &Passphrase, a: &WlBuildArgs) -> Outcome {
    let mut out = fields();
    // The first build makes the list's key when the file does not exist yet.
    let created = !a.key.exists();
    if created {
        files::write_secret(
            &a.key,
            &files::maybe_seal(&KeyFile::generate()?.to_bytes(), pass)?,
        )?;
        ui.note(&format!(
            "made a new key at {} (0600): keep it; every answer needs it, and a new key is a new epoch",
            a.key.display()
        ));
    }
    out.insert("key_created".into(), json!(created));
    let key = KeyFile::read(&a.key, pass)?.watchlist()?;
    // Record errors go beside the key (private), not beside the digest
    // (which is handed out).
    let (set, labels) = table::read_records(ui, &a.records, &a.key, a.label.as_deref(), &mut out)?;
    let key_labels = a.label.as_ref().map(|_| key_labels(&set, &labels));
    let config = ServerConfig::new(blindmatch::budget::Budget::Unlimited)
        .with_profile(set.profile())
        .with_fpr_bits(a.fpr_bits);
    let step = ui.step(format!("evaluating {} keys", set.keys().len()));
    let server = Server::new(key, set.keys(), key_labels.as_deref(), config)?;
    step.finish_and_clear();
    out.insert("epoch".into(), json!(hex::encode(server.epoch())));
    write_message(&a.out, server.digest(), "digest", &mut out)?;
    // `watchlist answer` finds the digest of this key's latest build here
    // when it is not given.
    let digest_path =
        std::fs::canonicalize(&a.out).map_err(|e| crate::fail::io(&a.out, &e, Class::Internal))?;
    files::write_public(
        &digest_note(&a.key),
        format!("{}\n", digest_path.display()).as_bytes(),
    )?;
    ui.summary("watchlist build", out);
    Ok(())
}

pub(crate) fn wl_query(ui: &Ui, pass: &Passphrase, a: &WlQueryArgs) -> Outcome {
    let (state, out_path) = match (&a.remote.server, &a.state, &a.out) {
        (Some(url), _, _) => return crate::remote::query(ui, a, &a.remote, url),
        (None, Some(state), Some(out)) => (
            StateOut {
                state: state.clone(),
                force: a.force,
            },
            out,
        ),
        _ => return Err(Failure::usage("give --state and --out, or --server")),
    };
    check_state_out(&state)?;
    let mut out = fields();
    let (set, _) = table::read_records(ui, &a.records, &state.state, None, &mut out)?;
    let mut config = ClientConfig::default().with_profile(set.profile());
    if let Some(path) = &a.digest {
        let (_, digest) = read_digest(path)?;
        if digest.profile() != set.profile() {
            return Err(Failure::from(blindmatch::Error::ProfileMismatch).context(path.display()));
        }
        config = config.with_epoch(digest.epoch());
        out.insert("epoch".into(), json!(hex::encode(digest.epoch())));
    }
    let step = ui.step(format!("blinding {} keys", set.keys().len()));
    let (client, query) = Client::with_config(config, set.keys())?;
    step.finish_and_clear();
    out.insert("query_id".into(), json!(hex::encode(client.query_id())));
    save_and_send(
        pass,
        &state,
        (Waiting::Client(client), set.index()),
        (out_path, &query, "query"),
        &mut out,
    )?;
    ui.summary("watchlist query", out);
    Ok(())
}

pub(crate) fn wl_answer(ui: &Ui, pass: &Passphrase, a: &WlAnswerArgs) -> Outcome {
    if a.ledger.is_none() && a.budget != blindmatch::budget::Budget::Unlimited {
        return Err(Failure::usage(
            "a budget needs --ledger FILE to keep it between runs (or --budget unlimited)",
        ));
    }
    // Opened once: it charges the answer, then tells the remaining budget.
    let ledger = a.ledger.as_deref().map(Ledger::open).transpose()?;
    let key = KeyFile::read(&a.key, pass)?.watchlist()?;
    let digest_path = match &a.digest {
        Some(path) => path.clone(),
        None => {
            let note = digest_note(&a.key);
            let text = std::fs::read_to_string(&note).map_err(|_| {
                Failure::usage(format!(
                    "give --digest FILE: no digest was built with {} here (`watchlist build` notes it in {})",
                    a.key.display(),
                    note.display()
                ))
            })?;
            std::path::PathBuf::from(text.trim_end())
        }
    };
    let (digest, _) = read_digest(&digest_path)?;
    let config = ServerConfig::new(a.budget).with_max_query_items(a.max_query_items);
    let server = Server::from_digest(key, &digest, config)
        .map_err(|e| Failure::from(e).context(digest_path.display()))?;
    let query = files::read_message(
        &a.query,
        (a.max_query_items as u64)
            .saturating_mul(32)
            .saturating_add(SLACK),
    )?;
    let step = ui.step("evaluating the query".to_owned());
    let served = match &ledger {
        Some(ledger) => Served::with_budgets(&server, ledger),
        None => Served::from(&server),
    };
    let answered = take(served, (&query, Some(&a.client)), &a.query)?;
    let answer = answered
        .send
        .into_iter()
        .next()
        .ok_or_else(|| Failure::input("the server sent no answer".to_owned()))?;
    step.finish_and_clear();
    let mut out = fields();
    let info = blindmatch::registry::inspect(&answer)?;
    out.insert("client".into(), json!(a.client));
    out.insert("epoch".into(), json!(hex::encode(server.epoch())));
    out.insert(
        "evaluated".into(),
        json!(info.counts.first().map_or(0, |c| c.1)),
    );
    if let Some(ledger) = &ledger {
        let remaining = server.remaining_budget_with(&a.client, ledger)?;
        out.insert(
            "remaining_budget".into(),
            remaining.map_or(json!("unlimited"), |r| json!(r)),
        );
    }
    write_message(&a.out, &answer, "answer", &mut out)?;
    ui.summary("watchlist answer", out);
    Ok(())
}

pub(crate) fn wl_finish(ui: &Ui, pass: &Passphrase, a: &WlFinishArgs) -> Outcome {
    let saved = load_state(&a.state, pass)?;
    let index = index_of(&a.state, saved.records)?;
    let client = match saved.waiting {
        Waiting::Client(s) => s,
        other => {
            return Err(wrong_state(
                &a.state,
                &other,
                "watchlist finish",
                "watchlist query",
            ));
        }
    };
    let (_, digest) = read_digest(&a.digest)?;
    let answer = files::read_message(
        &a.answer,
        (index.len() as u64)
            .saturating_mul(32)
            .saturating_add(SLACK),
    )?;
    let step = ui.step("finishing and looking up".to_owned());
    let epoch = digest.epoch();
    let public_key = digest.public_key();
    let query = WatchlistQuery::new(client, digest);
    let (_, found) = ended(take(query, (&answer, None), &a.answer)?)?;
    step.finish_and_clear();
    let mut out = fields();
    out.insert("epoch".into(), json!(hex::encode(epoch)));
    // The answer's proof was checked against this key before finishing.
    out.insert("public_key".into(), json!(hex::encode(public_key)));
    out.insert("matched_keys".into(), json!(found.indices().len()));
    out.insert(
        "matched_records".into(),
        json!(index.record_matches_at(found.indices()).len()),
    );
    if let Some(path) = &a.matches {
        table::write_watchlist_matches(path, &index, found.indices(), |i| {
            found.label(i).map(<[u8]>::to_vec)
        })?;
        out.insert("matches".into(), json!(path.display().to_string()));
    }
    conclude(pass, &a.end, &a.state, found.record(), &mut out)?;
    ui.summary("watchlist finish", out);
    Ok(())
}

/// A public key from a `.pub` file, its hex, or a key file (whose public
/// half it derives; the key file must be private like any).
fn public_key(text: &str, pass: &Passphrase) -> Outcome<PublicKey> {
    let path = Path::new(text);
    let hex_text = if path.is_file() {
        let bytes = std::fs::read(path).map_err(|e| crate::fail::io(path, &e, Class::Input))?;
        if bytes.starts_with(b"BMKY") || state::is_sealed(&bytes) {
            return Ok(KeyFile::read(path, pass)?.signing()?.public_key());
        }
        String::from_utf8_lossy(&bytes).into_owned()
    } else {
        text.to_owned()
    };
    let bytes = hex::decode(hex_text.trim())
        .map_err(|_| Failure::usage(format!("--key {text}: neither a public key file nor hex")))?;
    PublicKey::from_bytes(&bytes).map_err(|e| Failure::from(e).context(format!("--key {text}")))
}

pub(crate) fn receipt_verify(ui: &Ui, pass: &Passphrase, a: &ReceiptVerifyArgs) -> Outcome {
    let keys = a
        .keys
        .iter()
        .map(|k| public_key(k, pass))
        .collect::<Outcome<Vec<_>>>()?;
    let bytes = files::read_message(&a.receipt, SLACK)?;
    let fields_ = receipt::verify(&bytes, &keys).map_err(|e| {
        let mut f = Failure::from(e).context(a.receipt.display());
        if f.class == Class::Peer {
            // A receipt that does not decode does not verify either.
            f.class = Class::Verify;
        }
        f
    })?;
    let parsed: Value =
        serde_json::from_str(&fields_.to_json()).map_err(|e| Failure::internal(e.to_string()))?;
    let mut out = fields();
    out.insert("verified".into(), json!(true));
    if let Value::Object(m) = parsed {
        out.extend(m);
    }
    ui.summary("receipt verify", out);
    Ok(())
}

pub(crate) fn ledger_verify(ui: &Ui, a: &LedgerVerifyArgs) -> Outcome {
    if !a.ledger.is_file() {
        return Err(Failure::input(format!(
            "{}: no such ledger",
            a.ledger.display()
        )));
    }
    let ledger = Ledger::open(&a.ledger)?;
    let verified = ledger.verify()?;
    let mut out = fields();
    out.insert("entries".into(), json!(verified.entries));
    out.insert("head".into(), json!(hex::encode(verified.head)));
    out.insert("checkpoints".into(), json!(verified.checkpoints));
    ui.summary("ledger verify", out);
    Ok(())
}

pub(crate) fn inspect(ui: &Ui, a: &InspectArgs) -> Outcome {
    let bytes = std::fs::read(&a.file).map_err(|e| crate::fail::io(&a.file, &e, Class::Input))?;
    let mut out = fields();
    out.insert("file".into(), json!(a.file.display().to_string()));
    out.insert("bytes".into(), json!(bytes.len()));
    if state::is_sealed(&bytes) {
        out.insert(
            "type".into(),
            json!("sealed file (a state or key under a passphrase; contents hidden)"),
        );
    } else if state::is_state(&bytes) {
        let saved = SavedSession::from_bytes(&bytes)
            .map_err(|e| Failure::from(e).context(a.file.display()))?;
        out.insert(
            "type".into(),
            json!(format!("state: {}", saved.waiting.name())),
        );
        out.insert("items".into(), json!(saved.waiting.items()));
        if let Some(index) = &saved.records {
            out.insert("records".into(), json!(index.record_ids().len()));
        }
        out.insert(
            "secret".into(),
            json!("yes: keep it private (0600), or seal it"),
        );
    } else if bytes.starts_with(b"BMKY") {
        out.insert("type".into(), json!("key file (secret)"));
    } else {
        let info = blindmatch::registry::inspect(&bytes)
            .map_err(|e| Failure::from(e).context(a.file.display()))?;
        out.insert("type".into(), json!(info.message_type.name()));
        if let Some(id) = info.session_id {
            out.insert("session".into(), json!(hex::encode(id)));
        }
        if let Some(epoch) = info.epoch {
            out.insert("epoch".into(), json!(hex::encode(epoch)));
        }
        if let Some((reveal, output)) = info.mode {
            out.insert("reveal".into(), json!(format!("{reveal:?}").to_lowercase()));
            out.insert("output".into(), json!(format!("{output:?}").to_lowercase()));
        }
        for (name, n) in info.counts {
            out.insert(name.into(), json!(n));
        }
        if info.message_type == wire::MessageType::Receipt
            && let Ok(f) = receipt::read(&bytes)
        {
            out.insert(
                "receipt".into(),
                serde_json::from_str(&f.to_json()).unwrap_or(Value::Null),
            );
        }
    }
    ui.summary("inspect", out);
    Ok(())
}
