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
    use crate::wire::reencode_as as re;
    use MessageType as M;
    let ty = message_type(bytes)?;
    match ty {
        M::PsiRequest => re::<psi::RequestMsg<'_>>(bytes, ty),
        M::PsiResponse => re::<psi::ResponseMsg<'_>>(bytes, ty),
        M::PsiFinish => re::<psi::FinishMsg<'_>>(bytes, ty),
        M::SetDigest => re::<unbalanced::DigestMsg<'_>>(bytes, ty),
        M::UnbalancedQuery => re::<unbalanced::QueryMsg<'_>>(bytes, ty),
        M::UnbalancedAnswer => re::<unbalanced::AnswerMsg<'_>>(bytes, ty),
        M::Receipt => re::<receipt::ReceiptMsg<'_>>(bytes, ty),
        M::Checkpoint => re::<audit::CheckpointMsg>(bytes, ty),
        M::Part => re::<partition::PartMsg<'_>>(bytes, ty),
        M::Manifest => re::<partition::ManifestMsg<'_>>(bytes, ty),
        M::Bundle => re::<partition::BundleMsg<'_>>(bytes, ty),
        M::SumRequest => re::<sum::RequestMsg<'_>>(bytes, ty),
        M::SumResponse => re::<sum::ResponseMsg<'_>>(bytes, ty),
        M::SumFinish => re::<sum::FinishMsg<'_>>(bytes, ty),
        M::SumResult => re::<sum::ResultMsg<'_>>(bytes, ty),
        M::MultiSession => re::<multiparty::SessionMsg<'_>>(bytes, ty),
        M::MultiHop => re::<multiparty::HopMsg<'_>>(bytes, ty),
        M::MultiTags => re::<multiparty::TagsMsg<'_>>(bytes, ty),
        M::MultiResult => re::<multiparty::ResultMsg<'_>>(bytes, ty),
        M::MultiCommit => re::<multiparty::CommitMsg>(bytes, ty),
        M::MultiRoster => re::<multiparty::RosterMsg<'_>>(bytes, ty),
    }
}
