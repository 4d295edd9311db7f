// Builds the npm package `blindmatch` into bindings-wasm/pkg/ and the
// browser tool into bindings-wasm/pkg/www/.
//
//   npm ci && npm run build        (inside bindings-wasm/)
//
// Steps: cargo build for wasm32-unknown-unknown (profile wasm-release),
// wasm-bindgen for the `web` and `nodejs` targets with the CLI pinned to
// the wasm-bindgen version in Cargo.lock (installed into target/tools when
// missing), wasm-opt -O3 from the `binaryen` npm package, then the entry
// modules, type declarations, package.json and README of the package.
//
// Environment: WASM_BINDGEN=/path/to/wasm-bindgen overrides the CLI;
// BLINDMATCH_SKIP_WASM_OPT=1 skips wasm-opt (to measure what it buys).

import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import zlib from "node:zlib";

import { buildPage } from "./build-www.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const crateDir = path.resolve(here, "..");
const root = path.resolve(crateDir, "..");
const pkg = path.join(crateDir, "pkg");
const toolsDir = path.join(root, "target", "tools");

/** Stops the build with one line on stderr, not a stack trace. */
function fail(message) {
  console.error(`build: ${message}`);
  process.exit(1);
}

/** Runs a command; returns whether it succeeded (it prints its own diagnostics). */
function tryRun(cmd, args, opts = {}) {
  console.log(`$ ${cmd} ${args.join(" ")}`);
  try {
    execFileSync(cmd, args, { stdio: "inherit", cwd: root, ...opts });
    return true;
  } catch (e) {
    if (e.code === "ENOENT") fail(`${cmd} is not installed`);
    return false;
  }
}

/** Runs a command that must succeed. */
function run(cmd, args, opts = {}) {
  if (!tryRun(cmd, args, opts)) fail(`${cmd} ${args[0]} failed; see its output above`);
}

/** Whether the pinned toolchain has the wasm32 standard library. */
function hasWasmTarget() {
  try {
    const libdir = execFileSync("rustc", ["--print", "target-libdir", "--target", "wasm32-unknown-unknown"], {
      cwd: root,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    }).trim();
    return fs.existsSync(libdir) && fs.readdirSync(libdir).some((f) => f.startsWith("libcore-"));
  } catch {
    return false;
  }
}

/**
 * The wasm32 target must be installed for the pinned toolchain. rustup
 * installs what rust-toolchain.toml lists when it installs the toolchain,
 * but not a target missing from a toolchain installed before; `rustup
 * toolchain install` adds it. Without rustup, one line says what to do
 * instead of rustc's "can't find crate for `core`".
 */
function ensureWasmTarget() {
  if (hasWasmTarget()) return;
  console.log("the wasm32-unknown-unknown target is missing; installing what rust-toolchain.toml lists");
  try {
    execFileSync("rustup", ["toolchain", "install"], { cwd: root, stdio: "inherit" });
  } catch {
    fail("the wasm32-unknown-unknown target is not installed and rustup could not add it: run `rustup target add wasm32-unknown-unknown`");
  }
  if (!hasWasmTarget()) fail("the wasm32-unknown-unknown target is still missing: run `rustup target add wasm32-unknown-unknown`");
}

function lockedVersion(name) {
  const lock = fs.readFileSync(path.join(root, "Cargo.lock"), "utf8");
  const m = lock.match(new RegExp(`name = "${name}"\\nversion = "([^"]+)"`));
  if (!m) fail(`${name} is not in Cargo.lock`);
  return m[1];
}

function cliVersion(bin) {
  try {
    return execFileSync(bin, ["--version"], { encoding: "utf8" }).trim().split(/\s+/)[1];
  } catch {
    return null;
  }
}

/** The wasm-bindgen CLI at exactly the library's version, installed if missing. */
function wasmBindgen() {
  const want = lockedVersion("wasm-bindgen");
  const local = path.join(toolsDir, "bin", "wasm-bindgen");
  const candidates = [process.env.WASM_BINDGEN, local, "wasm-bindgen"].filter(Boolean);
  for (const bin of candidates) {
    const v = cliVersion(bin);
    if (v === want) return bin;
    if (v && bin === process.env.WASM_BINDGEN) {
      fail(`WASM_BINDGEN is version ${v}, Cargo.lock has wasm-bindgen ${want}`);
    }
  }
  console.log(`wasm-bindgen-cli ${want} not found; installing it into ${toolsDir}`);
  // --debug: an unoptimized CLI builds in a third of the time and still
  // processes this module in about a second.
  const args = ["install", "wasm-bindgen-cli", "--version", want, "--debug", "--root", toolsDir];
  if (!tryRun("cargo", [...args, "--locked"])) {
    // The CLI's own lock file can name a dependency version a registry
    // mirror lacks; the CLI version itself stays pinned either way.
    console.log("install with --locked failed; retrying with fresh dependency resolution");
    run("cargo", args);
  }
  if (cliVersion(local) !== want) fail(`wasm-bindgen-cli ${want} did not install`);
  return local;
}

function wasmOpt(file) {
  if (process.env.BLINDMATCH_SKIP_WASM_OPT) return;
  const bin = path.join(crateDir, "node_modules", ".bin", "wasm-opt");
  if (!fs.existsSync(bin)) fail("wasm-opt missing: run `npm ci` in bindings-wasm/ first");
  // Rust's wasm32 target emits these features; wasm-opt must accept them.
  run(bin, [
    "-O3",
    "--enable-bulk-memory",
    "--enable-nontrapping-float-to-int",
    "--enable-sign-ext",
    "--enable-mutable-globals",
    "--enable-reference-types",
    "--enable-multivalue",
    file,
    "-o",
    file,
  ]);
}

function sizes(file) {
  const raw = fs.readFileSync(file);
  return { raw: raw.length, gzip: zlib.gzipSync(raw, { level: 9 }).length };
}

const version = fs
  .readFileSync(path.join(root, "Cargo.toml"), "utf8")
  .match(/\[workspace\.package\][^[]*?version = "([^"]+)"/)[1];

// 1. The WebAssembly module.
ensureWasmTarget();
const bindgen = wasmBindgen();
run("cargo", [
  "build",
  "--locked",
  "-p",
  "blindmatch-wasm",
  "--target",
  "wasm32-unknown-unknown",
  "--profile",
  "wasm-release",
]);
const wasm = path.join(root, "target", "wasm32-unknown-unknown", "wasm-release", "blindmatch.wasm");

// 2. JS glue for both targets.
fs.rmSync(pkg, { recursive: true, force: true });
for (const target of ["web", "nodejs"]) {
  const out = path.join(pkg, target === "web" ? "web" : "node");
  run(bindgen, ["--target", target, "--out-dir", out, "--out-name", "blindmatch", wasm]);
}
// The two targets differ in their JS glue; their modules are normally the
// same bytes, then optimized once and copied.
const webWasm = path.join(pkg, "web", "blindmatch_bg.wasm");
const nodeWasm = path.join(pkg, "node", "blindmatch_bg.wasm");
const same = fs.readFileSync(webWasm).equals(fs.readFileSync(nodeWasm));
wasmOpt(webWasm);
if (same) fs.copyFileSync(webWasm, nodeWasm);
else wasmOpt(nodeWasm);

// 3. Error classes as ES module and CommonJS.
const errorsSrc = fs.readFileSync(path.join(crateDir, "js", "errors.js"), "utf8");
// Every class errors.js declares: the four bases and one per code.
const errorNames = [...errorsSrc.matchAll(/^(?:class (\w+)|const (\w+Error) = codeClass\()/gm)].map((m) => m[1] ?? m[2]);
const header = "// Generated by scripts/build.mjs from js/errors.js.\n";
fs.writeFileSync(
  path.join(pkg, "errors.mjs"),
  `${header}${errorsSrc}\nexport { ${errorNames.join(", ")}, makeError };\n`,
);
fs.writeFileSync(
  path.join(pkg, "errors.cjs"),
  `${header}"use strict";\n${errorsSrc}\nmodule.exports = { ${errorNames.join(", ")}, makeError };\n`,
);
fs.copyFileSync(path.join(crateDir, "js", "errors.d.ts"), path.join(pkg, "errors.d.ts"));

// 4. The loader files: entry modules, the testing entries and
// package.json are real files under js/pkg/, copied
// as they are (tests/package.test.mjs checks that their export lists agree
// with the module). package.json gets the workspace's version.
const loaders = path.join(crateDir, "js", "pkg");
fs.cpSync(loaders, pkg, { recursive: true });
// The ES module entries list their names (ES exports are static): written
// here from the module and js/errors.js, so that no list is kept by hand.
const require = createRequire(import.meta.url);
const wasmNames = Object.keys(require(path.join(pkg, "node", "blindmatch.js"))).filter((n) => !n.startsWith("__"));
const listed = (names) => names.join(", ");
for (const file of ["node/index.mjs", "web/index.js"]) {
  const at = path.join(pkg, file);
  const text = fs
    .readFileSync(at, "utf8")
    .replace("__WASM_NAMES__", listed(wasmNames))
    .replace("__ERROR_NAMES__", listed(errorNames));
  fs.writeFileSync(at, text);
}
// blindmatch/testing: one source, as CommonJS for Node.js and as an ES
// module for browsers (node/testing.mjs re-exports the CommonJS one).
const testingSrc = fs.readFileSync(path.join(crateDir, "js", "testing.js"), "utf8");
const testingNames = [...testingSrc.matchAll(/^function (\w+)\(/gm)].map((m) => m[1]).filter((n) => n !== "seeded");
const generated = "// Generated by scripts/build.mjs from js/testing.js.\n";
fs.writeFileSync(
  path.join(pkg, "node", "testing.cjs"),
  `${generated}"use strict";\nconst bm = require("./index.cjs");\nconst wasm = require("./blindmatch.js");\n\n${testingSrc}\nmodule.exports = { ${listed(testingNames)} };\n`,
);
fs.writeFileSync(
  path.join(pkg, "web", "testing.js"),
  `${generated}import * as bm from "./index.js";\nimport * as wasm from "./blindmatch.js";\n\n${testingSrc}\nexport { ${listed(testingNames)} };\n`,
);
// One declaration file for every testing entry (same names, same types).
for (const types of ["node/testing.d.mts", "node/testing.d.cts", "web/testing.d.ts"]) {
  fs.copyFileSync(path.join(loaders, "node", "testing.d.ts"), path.join(pkg, types));
}
// The entry points' type declarations: one template, five module specifiers
// (classic and ES-module resolution, the package root and the node and web
// folders).
const entryTypes = fs.readFileSync(path.join(crateDir, "js", "entry.d.ts"), "utf8");
for (const [file, module, errors] of [
  ["index.d.ts", "./node/blindmatch", "./errors"],
  ["index.d.mts", "./node/blindmatch.js", "./errors.js"],
  ["node/index.d.cts", "./blindmatch", "../errors"],
  ["node/index.d.mts", "./blindmatch.js", "../errors.js"],
  ["web/index.d.ts", "./blindmatch.js", "../errors.js"],
]) {
  const text = entryTypes.replace('"__MODULE__"', JSON.stringify(module)).replace('"__ERRORS__"', JSON.stringify(errors));
  fs.writeFileSync(path.join(pkg, file), text);
}
const manifest = JSON.parse(fs.readFileSync(path.join(loaders, "package.json"), "utf8"));
manifest.version = version;
fs.writeFileSync(path.join(pkg, "package.json"), `${JSON.stringify(manifest, null, 2)}\n`);
fs.copyFileSync(path.join(crateDir, "README.md"), path.join(pkg, "README.md"));
const publicNames = Object.keys(require(pkg)).filter((n) => !["init", "initSync", "default"].includes(n));

// 5. The browser tool: one self-contained HTML file.
const page = buildPage({ pkg, crateDir });

const s = sizes(path.join(pkg, "web", "blindmatch_bg.wasm"));
console.log(`\nbuilt ${pkg}`);
console.log(`  blindmatch_bg.wasm: ${s.raw} bytes, ${s.gzip} bytes gzipped (level 9)`);
console.log(`  browser tool: ${page} (${fs.statSync(page).size} bytes)`);
console.log(`  exports: ${publicNames.join(", ")}`);
