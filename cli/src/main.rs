//! `blindmatch`: private set intersection and record matching over files
//! (DESIGN §7.4), for teams that have CSV exports and a channel that
//! carries files, and no code. Every step reads files and writes files;
//! the protocol is the library's (`blindmatch` core), this command only
//! reads, stores and reports.

mod fail;
mod files;
mod remote;
mod serve;
mod steps;
mod table;
mod tls;
mod ui;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::fail::EXIT_CODES;
use crate::files::Passphrase;
use crate::table::RecordArgs;
use crate::ui::Ui;

/// Private set intersection and record matching over files.
///
/// Two agencies find the records they have in common without showing each
/// other the rest. Each step reads files and writes files; carry the
/// message files (`*.bm`) to the other agency over your legal channel.
/// State files (`*.state`) hold secrets: they stay with you, are written
/// 0600, and are refused when others can read them.
#[derive(Debug, Parser)]
#[command(name = "blindmatch", version, after_long_help = EXIT_CODES, after_help = EXIT_CODES)]
struct Cli {
    /// Print the summary as one JSON object on stdout (errors too).
    #[arg(long, global = true, help_heading = "Global options")]
    json: bool,
    /// No progress bars (they show only on a terminal anyway).
    #[arg(long, short, global = true, help_heading = "Global options")]
    quiet: bool,
    #[command(flatten)]
    passphrase: Passphrase,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Make an agency's key file (0600): it signs receipts (the public key
    /// goes to FILE.pub, for the other agency) and keys a watch-list.
    Keygen(KeygenArgs),
    /// Balanced matching between two agencies (each learns the shared records).
    #[command(subcommand)]
    Psi(PsiCommand),
    /// A large watch-list queried by other agencies (each learns which of
    /// its own records are on the list).
    #[command(subcommand)]
    Watchlist(WatchlistCommand),
    /// Receipts: signed, countersigned records of an exchange.
    #[command(subcommand)]
    Receipt(ReceiptCommand),
    /// The audit ledger.
    #[command(subcommand)]
    Ledger(LedgerCommand),
    /// Serve a watch-list over HTTPS with client certificates (mutual TLS):
    /// digest, queries charged to budgets in the ledger, metrics.
    Serve(ServeArgs),
    /// Show what a message, state or key file is (type, sizes, session or
    /// epoch), never its contents.
    Inspect(InspectArgs),
}

#[derive(Debug, Args)]
struct KeygenArgs {
    /// The key file to write (0600).
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// Replace an existing key file.
    #[arg(long)]
    force: bool,
}

#[derive(Debug, Subcommand)]
enum PsiCommand {
    /// Agency A, step 1: read records, write the request for agency B and
    /// the state A keeps until B's response arrives.
    Request(PsiRequestArgs),
    /// Agency B: read records and A's request, write the response for A
    /// and the state B keeps until A's finish message arrives.
    Respond(PsiRespondArgs),
    /// Agency A, step 2: read B's response, write A's matches and the finish
    /// message for B.
    Finish(PsiFinishArgs),
    /// Agency B, last step: read A's finish message, write B's matches.
    Result(PsiResultArgs),
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum RevealArg {
    /// Which records are shared.
    Intersection,
    /// Only how many (secure against honest-but-curious peers only).
    Cardinality,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum OutputArg {
    /// Both agencies learn the result.
    Both,
    /// Only the initiator (agency A) learns it.
    Initiator,
}

/// The session's mode and this party's limits on the peer's set.
#[derive(Debug, Args, Clone)]
struct ModeArgs {
    /// What is revealed (both agencies must choose the same).
    #[arg(long, value_enum, default_value = "intersection")]
    reveal: RevealArg,
    /// Who learns the result (both agencies must choose the same).
    #[arg(long, value_enum, default_value = "both")]
    output: OutputArg,
    /// Refuse a peer with more distinct keys than this.
    #[arg(long, default_value_t = 1 << 24, value_name = "N")]
    max_peer_items: usize,
    /// Refuse a peer with fewer distinct keys than this (a tiny set is a probe).
    #[arg(long, default_value_t = 0, value_name = "N")]
    min_peer_items: usize,
    /// Do not prove or check that each party raised the other's values with
    /// the key it stated: a peer that keys some values apart then makes you
    /// miss exactly those items, undetected (both agencies must choose the same).
    #[arg(long)]
    trust_peer: bool,
}

/// Where a waiting state goes.
#[derive(Debug, Args, Clone)]
struct StateOut {
    /// The state file to write (secret; 0600; sealed with a passphrase
    /// when one is given).
    #[arg(long, value_name = "FILE")]
    state: PathBuf,
    /// Replace an existing state file (its waiting session is lost).
    #[arg(long)]
    force: bool,
}

/// A balanced session's first step for either agency: its records, the
/// mode both agree on, and the state file it leaves.
#[derive(Debug, Args)]
struct PsiOpenArgs {
    #[command(flatten)]
    records: RecordArgs,
    #[command(flatten)]
    mode: ModeArgs,
    #[command(flatten)]
    state: StateOut,
}

#[derive(Debug, Args)]
struct PsiRequestArgs {
    #[command(flatten)]
    open: PsiOpenArgs,
    /// The request message file to send to agency B.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
}

#[derive(Debug, Args)]
struct PsiRespondArgs {
    #[command(flatten)]
    open: PsiOpenArgs,
    /// Agency A's request message file.
    #[arg(long, value_name = "FILE")]
    request: PathBuf,
    /// The response message file to send back to agency A.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
}

/// What becomes of a session's state and record at its end.
#[derive(Debug, Args, Clone)]
struct EndArgs {
    /// Keep the state file (by default it is wiped once the session ends).
    #[arg(long)]
    keep_state: bool,
    #[command(flatten)]
    receipt: ReceiptArgs,
}

/// Receipts and the ledger, for the steps that end a session.
#[derive(Debug, Args, Clone)]
struct ReceiptArgs {
    /// Sign a receipt of the exchange with this signing key (`keygen`).
    #[arg(long, value_name = "FILE", requires = "receipt")]
    signing_key: Option<PathBuf>,
    /// Where to write the signed receipt (with --countersign: the
    /// countersigned one).
    #[arg(long, value_name = "FILE", requires = "signing_key")]
    receipt: Option<PathBuf>,
    /// Countersign the peer's receipt, after checking that it states this
    /// exchange (and the --case-ref and --legal-basis given here, if any),
    /// instead of signing a new one.
    #[arg(long, value_name = "FILE", requires = "signing_key")]
    countersign: Option<PathBuf>,
    /// The case reference written into the receipt and ledger (with
    /// --countersign: the one the peer's receipt must name).
    #[arg(long, default_value = "", value_name = "TEXT")]
    case_ref: String,
    /// The legal basis written into the receipt and ledger (with
    /// --countersign: the one the peer's receipt must name).
    #[arg(long, default_value = "", value_name = "TEXT")]
    legal_basis: String,
    /// Record the session (and the receipt) in this ledger.
    #[arg(long, value_name = "FILE")]
    ledger: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct PsiFinishArgs {
    /// The state `psi request` wrote.
    #[arg(long, value_name = "FILE")]
    state: PathBuf,
    /// Agency B's response message file.
    #[arg(long, value_name = "FILE")]
    response: PathBuf,
    /// The finish message file for agency B (when B learns the result too).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Where to write the matches (CSV: record_id, kinds).
    #[arg(long, value_name = "FILE")]
    matches: Option<PathBuf>,
    #[command(flatten)]
    end: EndArgs,
}

#[derive(Debug, Args)]
struct PsiResultArgs {
    /// The state `psi respond` wrote.
    #[arg(long, value_name = "FILE")]
    state: PathBuf,
    /// Agency A's finish message file (none when only A learns the result).
    #[arg(long, value_name = "FILE")]
    finish: Option<PathBuf>,
    /// Where to write the matches (CSV: record_id, kinds).
    #[arg(long, value_name = "FILE")]
    matches: Option<PathBuf>,
    #[command(flatten)]
    end: EndArgs,
}

#[derive(Debug, Subcommand)]
enum WatchlistCommand {
    /// The list holder: build the digest of the list (send it to every
    /// querying agency; it reveals nothing without the key).
    Build(WlBuildArgs),
    /// A querying agency, step 1: read records, write the query and the
    /// state kept until the answer arrives.
    Query(WlQueryArgs),
    /// The list holder: answer a query, charging the client's budget in the
    /// ledger first.
    Answer(WlAnswerArgs),
    /// The querying agency, step 2: read the answer and the digest, write
    /// the matches.
    Finish(WlFinishArgs),
}

#[derive(Debug, Args)]
struct WlBuildArgs {
    #[command(flatten)]
    records: RecordArgs,
    /// A column whose value is returned to a querying agency for each of
    /// its matched keys (a case number, a contact point).
    #[arg(long, value_name = "COLUMN")]
    label: Option<String>,
    /// The list holder's key file (`keygen`; made here when it does not exist).
    #[arg(long, value_name = "FILE")]
    key: PathBuf,
    /// The digest file to write.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// False-positive rate per queried key: 2^-BITS.
    #[arg(long, default_value_t = blindmatch::unbalanced::DEFAULT_FPR_BITS, value_name = "BITS")]
    fpr_bits: u8,
}

#[derive(Debug, Args)]
struct WlQueryArgs {
    #[command(flatten)]
    records: RecordArgs,
    /// The state file to write (secret; 0600; sealed with a passphrase
    /// when one is given). Not with --server.
    #[arg(long, value_name = "FILE", required_unless_present = "server")]
    state: Option<PathBuf>,
    /// Replace an existing state file (its waiting session is lost).
    #[arg(long)]
    force: bool,
    /// The list's digest, when you have it already: the query is then
    /// addressed to its key epoch and checked against its profile now.
    #[arg(long, value_name = "FILE", conflicts_with = "server")]
    digest: Option<PathBuf>,
    /// The query message file to send to the list holder. Not with --server.
    #[arg(long, value_name = "FILE", required_unless_present = "server")]
    out: Option<PathBuf>,
    #[command(flatten)]
    remote: WlRemoteArgs,
}

/// Querying a watch-list server (`blindmatch serve`) instead of files.
#[derive(Debug, Args)]
#[command(next_help_heading = "Querying a server")]
struct WlRemoteArgs {
    /// Query this server and finish in one go (https://HOST[:PORT]): no
    /// state, query or answer files.
    #[arg(
        long,
        value_name = "URL",
        conflicts_with_all = ["state", "out"],
        requires_all = ["cert", "key", "ca", "matches"]
    )]
    server: Option<String>,
    /// This agency's client certificate (PEM), issued by the server's client CA.
    #[arg(long, value_name = "PEM", requires = "server")]
    cert: Option<PathBuf>,
    /// The certificate's private key (PEM; must not be readable by others).
    #[arg(long, value_name = "PEM", requires = "server")]
    key: Option<PathBuf>,
    /// The CA certificate (PEM) that issued the server's certificate.
    #[arg(long, value_name = "PEM", requires = "server")]
    ca: Option<PathBuf>,
    /// Where to write the matches (CSV: record_id, kind, label).
    #[arg(long, value_name = "FILE", requires = "server")]
    matches: Option<PathBuf>,
    /// Where to cache the digest between runs (it is downloaded again only
    /// when its ETag changes). Default: ~/.cache/blindmatch/digest-HOST-PORT.bm.
    #[arg(long, value_name = "FILE", requires = "server")]
    digest_cache: Option<PathBuf>,
}

#[derive(Debug, Args)]
struct ServeArgs {
    /// The service's configuration (see examples/serve/server.toml).
    #[arg(long, value_name = "FILE")]
    config: PathBuf,
}

#[derive(Debug, Args)]
struct WlAnswerArgs {
    /// The watch-list key.
    #[arg(long, value_name = "FILE")]
    key: PathBuf,
    /// The digest `watchlist build` wrote for this key (default: the one
    /// it built last with this key file).
    #[arg(long, value_name = "FILE")]
    digest: Option<PathBuf>,
    /// The ledger that holds budgets and the audit trail (made if missing).
    #[arg(long, value_name = "FILE")]
    ledger: Option<PathBuf>,
    /// Keys each client may have evaluated per key epoch, or `unlimited`.
    #[arg(long, value_name = "N|unlimited", value_parser = parse_budget)]
    budget: blindmatch::budget::Budget,
    /// The querying agency, as budgets and the ledger name it.
    #[arg(long, value_name = "ID")]
    client: String,
    /// Refuse queries of more keys than this.
    #[arg(long, default_value_t = 1 << 20, value_name = "N")]
    max_query_items: usize,
    /// The client's query message file.
    #[arg(long, value_name = "FILE")]
    query: PathBuf,
    /// The answer message file to send back.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
}

fn parse_budget(s: &str) -> Result<blindmatch::budget::Budget, String> {
    if s.eq_ignore_ascii_case("unlimited") {
        return Ok(blindmatch::budget::Budget::Unlimited);
    }
    s.parse::<u64>()
        .map(blindmatch::budget::Budget::Limited)
        .map_err(|_| "a number of keys, or `unlimited`".to_owned())
}

#[derive(Debug, Args)]
struct WlFinishArgs {
    /// The state `watchlist query` wrote.
    #[arg(long, value_name = "FILE")]
    state: PathBuf,
    /// The list holder's answer message file.
    #[arg(long, value_name = "FILE")]
    answer: PathBuf,
    /// The list's digest.
    #[arg(long, value_name = "FILE")]
    digest: PathBuf,
    /// Where to write the matches (CSV: record_id, kind, label).
    #[arg(long, value_name = "FILE")]
    matches: Option<PathBuf>,
    #[command(flatten)]
    end: EndArgs,
}

#[derive(Debug, Subcommand)]
enum ReceiptCommand {
    /// Check a receipt's signatures against the parties' public keys and
    /// show what it states. Give one --key per signer (two for a
    /// countersigned receipt).
    Verify(ReceiptVerifyArgs),
}

#[derive(Debug, Args)]
struct ReceiptVerifyArgs {
    /// The receipt file.
    receipt: PathBuf,
    /// A signer's public key: a `.pub` file from `keygen`, its hex, or the
    /// signer's key file.
    #[arg(long = "key", value_name = "PUB", required = true)]
    keys: Vec<String>,
}

#[derive(Debug, Subcommand)]
enum LedgerCommand {
    /// Check the ledger's hash chain: finds an edited, deleted, inserted or
    /// reordered entry.
    Verify(LedgerVerifyArgs),
}

#[derive(Debug, Args)]
struct LedgerVerifyArgs {
    /// The ledger file.
    ledger: PathBuf,
}

#[derive(Debug, Args)]
struct InspectArgs {
    /// The file to describe.
    file: PathBuf,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let ui = Ui::new(cli.json, cli.quiet);
    let pass = &cli.passphrase;
    let result = match &cli.command {
        Command::Keygen(a) => steps::keygen(&ui, pass, a),
        Command::Psi(PsiCommand::Request(a)) => steps::psi_request(&ui, pass, a),
        Command::Psi(PsiCommand::Respond(a)) => steps::psi_respond(&ui, pass, a),
        Command::Psi(PsiCommand::Finish(a)) => steps::psi_finish(&ui, pass, a),
        Command::Psi(PsiCommand::Result(a)) => steps::psi_result(&ui, pass, a),
        Command::Watchlist(WatchlistCommand::Build(a)) => steps::wl_build(&ui, pass, a),
        Command::Watchlist(WatchlistCommand::Query(a)) => steps::wl_query(&ui, pass, a),
        Command::Watchlist(WatchlistCommand::Answer(a)) => steps::wl_answer(&ui, pass, a),
        Command::Watchlist(WatchlistCommand::Finish(a)) => steps::wl_finish(&ui, pass, a),
        Command::Receipt(ReceiptCommand::Verify(a)) => steps::receipt_verify(&ui, pass, a),
        Command::Ledger(LedgerCommand::Verify(a)) => steps::ledger_verify(&ui, a),
        Command::Serve(a) => serve::serve(&ui, pass, a),
        Command::Inspect(a) => steps::inspect(&ui, a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            ui.failure(&f);
            f.exit_code()
        }
    }
}
