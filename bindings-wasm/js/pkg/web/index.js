// The browser (ES module) entry point. Call `await init()` (or
// `initSync({ module })`) once before anything else. The export lists agree
// with the Node.js entries (tests/package.test.mjs).
import wbgInit, { initSync as wbgInitSync, __setErrorFactory } from "./blindmatch.js";
import { makeError } from "../errors.mjs";

// scripts/build.mjs writes the names in place of the placeholders.
export { __WASM_NAMES__ } from "./blindmatch.js";
export { __ERROR_NAMES__ } from "../errors.mjs";

/** Loads the WebAssembly module (fetched next to this file unless given). */
export default async function init(moduleOrPath) {
  const out = await wbgInit(moduleOrPath === undefined ? undefined : { module_or_path: moduleOrPath });
  __setErrorFactory(makeError);
  return out;
}
export { init };

/** Instantiates the module synchronously from its bytes or a WebAssembly.Module. */
export function initSync(module) {
  const out = wbgInitSync({ module });
  __setErrorFactory(makeError);
  return out;
}
