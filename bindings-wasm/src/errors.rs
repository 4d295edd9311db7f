//! Errors: every failure becomes a JavaScript `Error` subclass with a stable
//! `code` (the core's [`blindmatch::ErrorCode`] strings, plus
//! `invalid_state` and `invalid_argument` raised by the bindings).
//!
//! The classes live in JavaScript (`js/errors.js`); the package's entry
//! modules hand their constructor function to [`set_error_factory`] once the
//! module is instantiated. Without it (someone loading the raw
//! wasm-bindgen output) errors are plain `Error`s that still carry `code`.

use std::cell::RefCell;

use js_sys::{Function, Reflect};
use wasm_bindgen::prelude::*;

/// Misuse of a protocol object: a step out of order, results read too early.
pub(crate) const INVALID_STATE: &str = blindmatch::ErrorCode::InvalidState.as_str();
/// A JavaScript argument of the wrong type, length or value.
pub(crate) const INVALID_ARGUMENT: &str = "invalid_argument";

thread_local! {
    static FACTORY: RefCell<Option<Function>> = const { RefCell::new(None) };
}

/// Installs `factory(code, message, isProtocol) -> Error`; called by the
/// package's entry modules, not by users.
#[doc(hidden)]
#[wasm_bindgen(js_name = "__setErrorFactory", skip_typescript)]
pub fn set_error_factory(factory: Function) {
    FACTORY.with(|f| *f.borrow_mut() = Some(factory));
}

fn make(code: &str, message: &str, protocol: bool) -> JsValue {
    let made = FACTORY.with(|f| {
        f.borrow().as_ref().and_then(|f| {
            f.call3(
                &JsValue::NULL,
                &JsValue::from_str(code),
                &JsValue::from_str(message),
                &JsValue::from_bool(protocol),
            )
            .ok()
        })
    });
    made.unwrap_or_else(|| {
        let e = js_sys::Error::new(message);
        // Setting a property on a fresh Error object cannot fail.
        let _ = Reflect::set(&e, &"code".into(), &code.into());
        e.into()
    })
}

/// A core error, by its stable code. Core messages never contain items or
/// key material (tested in the core and in tests/errors.test.mjs).
pub(crate) fn core(e: blindmatch::Error) -> JsValue {
    make(e.code().as_str(), &e.to_string(), e.is_protocol_error())
}

/// A misuse error.
pub(crate) fn state(message: &str) -> JsValue {
    make(INVALID_STATE, message, false)
}

/// A bad argument.
pub(crate) fn arg(message: &str) -> JsValue {
    make(INVALID_ARGUMENT, message, false)
}

/// The option `what` as one of `T`'s names (`default` when not given); an
/// `invalid_argument` error that lists the choices otherwise.
pub(crate) fn choice<T: blindmatch::wire::mode::Named>(
    what: &str,
    value: Option<&str>,
    default: T,
) -> Result<T, JsValue> {
    match value {
        None => Ok(default),
        Some(v) => T::from_name(v)
            .ok_or_else(|| arg(&format!("{what} must be {}, not {v:?}", T::choices('"')))),
    }
}

/// `?`-friendly conversion of core results.
pub(crate) trait IntoJs<T> {
    fn js(self) -> Result<T, JsValue>;
}

impl<T> IntoJs<T> for Result<T, blindmatch::Error> {
    fn js(self) -> Result<T, JsValue> {
        self.map_err(core)
    }
}

/// Every error code this package can throw.
#[wasm_bindgen(js_name = errorCodes)]
pub fn error_codes() -> Vec<String> {
    blindmatch::ErrorCode::ALL
        .iter()
        .map(|c| c.as_str())
        // `invalid_state` is a core code (multi-party steps out of order).
        .chain([INVALID_ARGUMENT])
        .map(str::to_owned)
        .collect()
}

/// The codes thrown as `ProtocolError`: the peer's message was rejected.
#[wasm_bindgen(js_name = protocolErrorCodes)]
pub fn protocol_error_codes() -> Vec<String> {
    blindmatch::ErrorCode::ALL
        .iter()
        .filter(|c| c.is_protocol())
        .map(|c| c.as_str().to_owned())
        .collect()
}
