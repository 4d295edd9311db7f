import assert from "node:assert/strict";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { test } from "node:test";

import { pkgDir, repo } from "./helpers.mjs";

// The JavaScript snippets of the package's README and of the guide
// (docs/src) run as written (their assertions are the expected results),
// against the built package.
const pages = [path.join(repo, "bindings-wasm", "README.md")];
const walk = (dir) => {
  for (const e of fs.readdirSync(dir, { withFileTypes: true }).sort((x, y) => (x.name < y.name ? -1 : 1))) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p);
    else if (e.name.endsWith(".md")) pages.push(p);
  }
};
walk(path.join(repo, "docs", "src"));
const snippets = pages.flatMap((page) =>
  [...fs.readFileSync(page, "utf8").matchAll(/^```js\n([\s\S]*?)^```$/gm)].map((m) => ({
    page: path.relative(repo, page),
    code: m[1],
  })),
);

test("the README and the guide have JavaScript snippets", () => {
  assert.ok(snippets.some((s) => s.page.startsWith("bindings-wasm")));
  assert.ok(snippets.some((s) => s.page.startsWith("docs")));
});

snippets.forEach(({ page, code }, i) => {
  test(`${page} snippet ${i + 1} runs`, () => {
    const require = createRequire(import.meta.url);
    const load = (name) => require(name === "./bindings-wasm/pkg" ? pkgDir : name);
    new Function("require", code)(load);
  });
});
