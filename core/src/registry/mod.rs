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
/// fuzz targets' round trip).
///
/// # Errors
///
/// Any decoding error.
#[cfg(fuzzing)]
pub fn reencode(bytes: &[u8]) -> Result<Vec<u8>> {
    use crate::evidence::{audit, receipt};
    use crate::protocol::partition;
    let ty = message_type(bytes)?;
    match ty {
        MessageType::PsiRequest | MessageType::PsiResponse | MessageType::PsiFinish => {
            psi::reencode(bytes, ty)
        }
        MessageType::Receipt => receipt::reencode(bytes),
        MessageType::Checkpoint => audit::reencode(bytes),
        MessageType::Part | MessageType::Manifest | MessageType::Bundle => {
            partition::reencode(bytes, ty)
        }
        MessageType::SumRequest
        | MessageType::SumResponse
        | MessageType::SumFinish
        | MessageType::SumResult => sum::reencode(bytes, ty),
        MessageType::MultiSession
        | MessageType::MultiHop
        | MessageType::MultiTags
        | MessageType::MultiResult
        | MessageType::MultiCommit
        | MessageType::MultiRoster => multiparty::reencode(bytes, ty),
        _ => unbalanced::reencode(bytes, ty),
    }
}
