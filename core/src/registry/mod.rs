//! The one place above every protocol: what a message is, by its type.
//!
//! Foundations ([`crate::wire`], [`crate::evidence`], [`crate::session`])
//! never name a protocol. Tools that take a file without knowing which
//! protocol wrote it (the command's `inspect`, the bindings' `inspect`, the
//! fuzz targets) come here: [`inspect`] describes any message, [`saved`]
//! restores the waiting state of any protocol.

pub mod parties;
pub mod saved;

use crate::error::Result;
use crate::protocol::{multiparty, psi, sum, unbalanced};
use crate::wire::{MessageInfo, MessageType, message_type};

/// Decodes and validates a message enough to describe it ([`MessageInfo`]),
/// for tools that show what a file is before it is sent or used.
/// Receipts, parts, manifests and bundles are named and sized only.
///
/// # Errors
///
/// Any decoding error of the message.
pub fn inspect(bytes: &[u8]) -> Result<MessageInfo> {
    let ty = message_type(bytes)?;
    let mut info = MessageInfo {
        message_type: ty,
        len: bytes.len(),
        session_id: None,
        epoch: None,
        mode: None,
        counts: Vec::new(),
    };
    match ty {
        MessageType::PsiRequest | MessageType::PsiResponse | MessageType::PsiFinish => {
            psi::describe(bytes, ty, &mut info)?;
        }
        MessageType::SetDigest | MessageType::UnbalancedQuery | MessageType::UnbalancedAnswer => {
            unbalanced::describe(bytes, ty, &mut info)?;
        }
        MessageType::SumRequest
        | MessageType::SumResponse
        | MessageType::SumFinish
        | MessageType::SumResult => {
            sum::describe(bytes, ty, &mut info)?;
        }
        MessageType::MultiSession
        | MessageType::MultiHop
        | MessageType::MultiTags
        | MessageType::MultiResult
        | MessageType::MultiCommit
        | MessageType::MultiRoster => {
            multiparty::describe(bytes, ty, &mut info)?;
        }
        _ => {}
    }
    Ok(info)
}

/// Decodes any message by its type and encodes the result again (the
/// canonical-decoding tests' and the fuzz targets' round trip).
///
/// # Errors
///
/// Any decoding error.
#[cfg(any(test, fuzzing))]
pub fn reencode(bytes: &[u8]) -> Result<Vec<u8>> {
    use crate::evidence::{audit, receipt};
    use crate::protocol::partition;
    let ty = message_type(bytes)?;
    /// The match of a message type to the struct it decodes to.
    macro_rules! by_type {
        ($($kind:ident: $t:ty),+ $(,)?) => {
            match ty {
                $(MessageType::$kind => crate::wire::reencode_as::<$t>(bytes, ty),)+
            }
        };
    }
    by_type! {
        PsiRequest: psi::RequestMsg<'_>, PsiResponse: psi::ResponseMsg<'_>,
        PsiFinish: psi::FinishMsg<'_>,
        SetDigest: unbalanced::DigestMsg<'_>, UnbalancedQuery: unbalanced::QueryMsg<'_>,
        UnbalancedAnswer: unbalanced::AnswerMsg<'_>,
        Receipt: receipt::ReceiptMsg<'_>, Checkpoint: audit::CheckpointMsg,
        Part: partition::PartMsg<'_>, Manifest: partition::ManifestMsg<'_>,
        Bundle: partition::BundleMsg<'_>,
        SumRequest: sum::RequestMsg<'_>, SumResponse: sum::ResponseMsg<'_>,
        SumFinish: sum::FinishMsg<'_>, SumResult: sum::ResultMsg<'_>,
        MultiSession: multiparty::SessionMsg<'_>, MultiHop: multiparty::HopMsg<'_>,
        MultiTags: multiparty::TagsMsg<'_>, MultiResult: multiparty::ResultMsg<'_>,
        MultiCommit: multiparty::CommitMsg, MultiRoster: multiparty::RosterMsg<'_>,
    }
}
