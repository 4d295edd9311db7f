//! The one state machine of every protocol class: the core's
//! [`Phase`](blindmatch::phase::Phase), with its refusals turned into
//! JavaScript errors: a misuse is a `StateError`, and a failed object
//! throws the error that ended it again, as itself.

use blindmatch::phase::{Phase, PhaseError, expecting};
use blindmatch::session::party::Party;
use blindmatch::wire::{MessageType, message_type};
use js_sys::{Array, Uint8Array};
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

/// One message through the core's session machine: `kind` is the message
/// the calling method takes (a misuse with message `wrong`, the object
/// unchanged, while the party does not expect it; `None` reads it from the
/// message); `sender` is the peer's name for a party that serves several
/// ([`Party::consume_from`]); `done` turns the outcome into the object's
/// result. Returns the messages to send.
pub(crate) fn consume<P: Party, D>(
    phase: &mut Phase<P, D>,
    (message, sender): (&[u8], Option<&str>),
    kind: Option<MessageType>,
    wrong: &'static str,
    done: impl FnOnce(P::Outcome) -> D,
) -> Result<Vec<Vec<u8>>, JsValue> {
    let kind = match kind {
        Some(k) => k,
        None => message_type(message).map_err(errors::core)?,
    };
    let party = phase.begin_with(expecting(kind), wrong).map_err(refused)?;
    let stepped = phase
        .settle(Phase::after(party.consume_sent((message, sender)), done))
        .map_err(errors::core)?;
    let (sent, _records) = stepped.map_err(errors::core)?;
    Ok(sent)
}

/// Runs `f` on the live state in place: for a step that changes a party
/// the session machine does not drive (a member's `start`, a hub's
/// `roster`). The state stays live whatever `f` returns: a refused call
/// leaves the object as it was.
pub(crate) fn mutate<L, D, R>(
    phase: &mut Phase<L, D>,
    f: impl FnOnce(&mut L) -> blindmatch::Result<R>,
) -> Result<R, JsValue> {
    let mut live = phase.begin().map_err(refused)?;
    let out = f(&mut live);
    *phase = Phase::Live(live);
    out.map_err(errors::core)
}

/// The one message a step must send (`what`, named in the error of a
/// step that sent none).
pub(crate) fn reply(sent: &[Vec<u8>], what: &str) -> Result<Uint8Array, JsValue> {
    sent.first()
        .map(|m| Uint8Array::from(&m[..]))
        .ok_or_else(|| errors::state(&format!("the step sent no {what}")))
}

/// The names of the messages a live party takes now (none once finished).
pub(crate) fn expects<P: Party, D>(phase: &Phase<P, D>) -> Array {
    match phase {
        Phase::Live(party) => party
            .expects()
            .iter()
            .map(|k| JsValue::from_str(k.name()))
            .collect(),
        _ => Array::new(),
    }
}

/// A protocol class's step: one message through its `phase`, with the
/// kind the calling method takes (`None`: any it expects now, read from the
/// message; a misuse with message `wrong` otherwise) and, for a class that
/// serves several peers (the hub, the watch-list server), the sender's
/// name. `consume()` and the named steps all call it. Written by
/// [`session_class!`] for a class around a core party.
pub(crate) trait Machine {
    /// Takes one message (and its `sender`); returns the messages to send.
    fn step_from(
        &mut self,
        message: (&[u8], Option<&str>),
        kind: Option<MessageType>,
        wrong: &'static str,
    ) -> Result<Vec<Vec<u8>>, JsValue>;

    /// The names of the messages the object takes now.
    fn expects(&self) -> Array;

    /// [`Machine::step_from`] a peer of a two-party session.
    fn step(
        &mut self,
        message: &[u8],
        kind: Option<MessageType>,
        wrong: &'static str,
    ) -> Result<Vec<Vec<u8>>, JsValue> {
        self.step_from((message, None), kind, wrong)
    }

    /// A named step that takes a message of `kind` only and must send one
    /// message back (`what`, for the error of a step that sent none).
    fn answer(
        &mut self,
        message: &[u8],
        (kind, wrong): (MessageType, &'static str),
        what: &str,
    ) -> Result<Uint8Array, JsValue> {
        let sent = self.step(message, Some(kind), wrong)?;
        reply(&sent, what)
    }
}

/// The one class shell of `$t`: its [`Machine`] step, where `$done(&self)`
/// returns what turns the core outcome into the object's result; then
/// [`machine_methods!`], `toString()` and `Debug` (`@machine`: the step and
/// the methods only, for a class with a `toString` of its own). A class
/// keeps its constructor and its named steps.
macro_rules! session_class {
    ($t:ident, $done:expr) => {
        $crate::phase::session_class!(@machine $t, $done);

        #[wasm_bindgen]
        impl $t {
            /// The role and state, e.g. `Initiator(finished)`.
            #[wasm_bindgen(js_name = toString)]
            pub fn to_string_js(&self) -> String {
                format!("{}({})", stringify!($t), self.phase.name())
            }
        }

        impl std::fmt::Debug for $t {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{}({})", stringify!($t), self.phase.name())
            }
        }
    };
    (@machine $t:ident, $done:expr) => {
        impl $crate::phase::Machine for $t {
            fn step_from(
                &mut self,
                message: (&[u8], Option<&str>),
                kind: Option<blindmatch::wire::MessageType>,
                wrong: &'static str,
            ) -> Result<Vec<Vec<u8>>, JsValue> {
                let done = ($done)(&*self);
                $crate::phase::consume(&mut self.phase, message, kind, wrong, done)
            }

            fn expects(&self) -> js_sys::Array {
                $crate::phase::expects(&self.phase)
            }
        }

        $crate::phase::machine_methods!($t);
    };
}

/// `expects()` and `consume(message, sender?)` of a [`Machine`].
macro_rules! machine_methods {
    ($t:ident) => {
        #[wasm_bindgen]
        impl $t {
            /// The kinds of message (`"psi-response"`, ...) the object takes
            /// now; `[]` once it finished or failed.
            #[wasm_bindgen(unchecked_return_type = "string[]")]
            pub fn expects(&self) -> js_sys::Array {
                $crate::phase::Machine::expects(self)
            }

            /// Takes any message the object expects now and returns the
            /// messages to send (possibly none): the named steps, chosen by
            /// the message's kind, for code that drives every protocol with
            /// one loop. `sender` names the peer a message came from, as the
            /// channel authenticated it, for the objects that serve several
            /// (`MultiPartyHub`, `UnbalancedServer`).
            #[wasm_bindgen(unchecked_return_type = "Uint8Array[]")]
            pub fn consume(
                &mut self,
                message: &[u8],
                sender: Option<String>,
            ) -> Result<js_sys::Array, JsValue> {
                let wrong = "not a message this object expects now";
                let sent = $crate::phase::Machine::step_from(
                    self,
                    (message, sender.as_deref()),
                    None,
                    wrong,
                )?;
                Ok(sent
                    .iter()
                    .map(|m| js_sys::Uint8Array::from(&m[..]))
                    .collect())
            }
        }
    };
}

pub(crate) use {machine_methods, session_class};
