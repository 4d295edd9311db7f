// The Node.js (CommonJS) entry point of the npm package blindmatch: the
// classes and functions of the WebAssembly module, except its hidden
// exports (names starting with "__": the error hook and the seeded
// constructors of blindmatch/testing), and the error classes.
"use strict";
const wasm = require("./blindmatch.js");
const errors = require("../errors.cjs");
wasm.__setErrorFactory(errors.makeError);

/** Nothing to load in Node.js (the module is instantiated on require); kept for code shared with browsers. */
async function init() {}
function initSync() {}

const api = {};
for (const [name, value] of Object.entries(wasm)) if (!name.startsWith("__")) api[name] = value;
for (const [name, value] of Object.entries(errors)) if (name !== "makeError") api[name] = value;
module.exports = { ...api, init, initSync, default: init };
