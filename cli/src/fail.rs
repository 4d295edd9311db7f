//! Error classes and their exit codes.

use std::fmt;
use std::process::ExitCode;

/// What went wrong, by who must act: each class has its own exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Class {
    /// A bug, or the machine failed (no randomness, disk full, database error).
    Internal,
    /// The command line is wrong (clap reports its own usage errors with 2 too).
    Usage,
    /// One of our own input files is unusable: CSV, state, key, passphrase.
    Input,
    /// The peer's message file was refused (malformed, foreign, tampered).
    Peer,
    /// The client's query budget for the key epoch is spent.
    Budget,
    /// A receipt or ledger does not verify.
    Verify,
    /// The watch-list server could not be reached, or refused the request
    /// (TLS, certificate, HTTP).
    Remote,
}

impl Class {
    pub(crate) fn code(self) -> u8 {
        match self {
            Class::Internal => 1,
            Class::Usage => 2,
            Class::Input => 3,
            Class::Peer => 4,
            Class::Budget => 5,
            Class::Verify => 6,
            Class::Remote => 7,
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Class::Internal => "internal",
            Class::Usage => "usage",
            Class::Input => "bad_input",
            Class::Peer => "peer_message_refused",
            Class::Budget => "budget_exceeded",
            Class::Verify => "verification_failed",
            Class::Remote => "server_refused",
        }
    }
}

/// The exit codes, as `--help` and the guide (docs/src/analysts/command.md) list them.
pub(crate) const EXIT_CODES: &str = "\
Exit codes:
  0  success
  1  internal error (a bug, no randomness, disk or database failure)
  2  usage error (wrong or missing options)
  3  bad input file of ours (CSV, state, key, passphrase, world-readable secret)
  4  the peer's message file was refused (malformed, another session, tampered)
  5  query budget exceeded
  6  a receipt or ledger does not verify
  7  the watch-list server could not be reached or refused the request";

/// A failed command: its class and a message for the operator.
#[derive(Debug)]
pub(crate) struct Failure {
    pub(crate) class: Class,
    pub(crate) code: Option<&'static str>,
    pub(crate) message: String,
}

impl Failure {
    pub(crate) fn new(class: Class, message: impl Into<String>) -> Self {
        Failure {
            class,
            code: None,
            message: message.into(),
        }
    }

    pub(crate) fn input(message: impl Into<String>) -> Self {
        Self::new(Class::Input, message)
    }

    pub(crate) fn usage(message: impl Into<String>) -> Self {
        Self::new(Class::Usage, message)
    }

    pub(crate) fn internal(message: impl Into<String>) -> Self {
        Self::new(Class::Internal, message)
    }

    /// Prefixes the message with where it happened (a file name).
    pub(crate) fn context(mut self, what: impl fmt::Display) -> Self {
        self.message = format!("{what}: {}", self.message);
        self
    }

    pub(crate) fn exit_code(&self) -> ExitCode {
        ExitCode::from(self.class.code())
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<blindmatch::Error> for Failure {
    fn from(e: blindmatch::Error) -> Self {
        use blindmatch::Error as E;
        let class = match &e {
            E::BudgetExceeded { .. } => Class::Budget,
            E::BadSignature(_) | E::ReceiptMismatch(_) | E::LedgerTampered { .. } => Class::Verify,
            E::InvalidConfig(_) => Class::Usage,
            E::Rng | E::Storage(_) => Class::Internal,
            e if e.is_protocol_error() => Class::Peer,
            _ => Class::Input,
        };
        Failure {
            class,
            code: Some(e.code().as_str()),
            message: e.to_string(),
        }
    }
}

/// Describes an I/O failure on `path` (never its contents).
pub(crate) fn io(path: &std::path::Path, e: &std::io::Error, class: Class) -> Failure {
    Failure::new(class, format!("{}: {e}", path.display()))
}

pub(crate) type Outcome<T = ()> = Result<T, Failure>;
