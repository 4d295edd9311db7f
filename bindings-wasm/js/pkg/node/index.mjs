// The Node.js ES module entry point: the CommonJS entry's API as named
// exports. scripts/build.mjs writes the names in place of the two
// placeholders, from the module and js/errors.js (tests/package.test.mjs
// checks that the lists agree).
import m from "./index.cjs";

export const { __WASM_NAMES__, __ERROR_NAMES__, init, initSync } = m;
export default m.init;
