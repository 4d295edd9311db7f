//! The one state machine of every protocol class: the core's
//! [`Phase`](blindmatch::phase::Phase), with its refusals turned into
//! JavaScript errors: a misuse is a `StateError`, and a failed object
//! throws the error that ended it again, as itself.

use blindmatch::phase::{Phase, PhaseError};
use wasm_bindgen::JsValue;

use crate::errors;

/// Converts a refused call.
pub(crate) fn refused(e: PhaseError) -> JsValue {
    match e {
        PhaseError::Misuse(m) => errors::state(m),
        PhaseError::Failed(e) => errors::core(e),
    }
}

/// Runs one step on `phase`: `take` picks the live state the step consumes
/// (or gives it back: a misuse with message `wrong`); `step` returns the
/// next phase and the output.
pub(crate) fn step<L, D, S, T>(
    phase: &mut Phase<L, D>,
    take: impl FnOnce(L) -> Result<S, L>,
    wrong: &'static str,
    step: impl FnOnce(S) -> blindmatch::Result<(Phase<L, D>, T)>,
) -> Result<T, JsValue> {
    let state = phase.begin_with(take, wrong).map_err(refused)?;
    phase.settle(step(state)).map_err(errors::core)
}

/// The result of a finished object.
pub(crate) fn done<L, D>(phase: &Phase<L, D>) -> Result<&D, JsValue> {
    phase.done().map_err(refused)
}
