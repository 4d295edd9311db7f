import assert from "node:assert/strict";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { test } from "node:test";

import { pkgDir, repo } from "./helpers.mjs";

// The JavaScript snippets of the package's README run as written (their
// assertions are the expected results), against the built package.
const readme = fs.readFileSync(path.join(repo, "bindings-wasm", "README.md"), "utf8");
const snippets = [...readme.matchAll(/^```js\n([\s\S]*?)^```$/gm)].map((m) => m[1]);

test("the README has JavaScript snippets", () => {
  assert.ok(snippets.length >= 1);
});

snippets.forEach((code, i) => {
  test(`README snippet ${i + 1} runs`, () => {
    const require = createRequire(import.meta.url);
    const load = (name) => require(name === "./bindings-wasm/pkg" ? pkgDir : name);
    new Function("require", code)(load);
  });
});
