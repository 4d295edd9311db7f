// Builds the browser tool (examples/browser/) into one self-contained HTML
// file, pkg/www/blindmatch.html: styles, page script, the worker's source
// and the WebAssembly module (base64) all inline, so the page works opened
// from disk (file://, where module imports, fetch and worker URLs are
// refused) as well as from any static server, and makes no requests.
import fs from "node:fs";
import path from "node:path";
import vm from "node:vm";

/** Keeps inlined text from closing its <script> or <style> element. */
const safe = (text) => text.replaceAll("</script", "<\\/script").replaceAll("</style", "<\\/style");

/**
 * The wasm-bindgen `web` glue as a classic script: Chromium refuses module
 * workers from blob: URLs on a file:// page, classic ones work. Only the
 * export statements and the default wasm URL (never used: the worker passes
 * the bytes) change; the result is compiled as a classic script here, so a
 * glue that no longer fits this transformation fails the build, not the page.
 */
function classicGlue(glue) {
  const out = glue
    .replace(/^export (class|function|const|let) /gm, "$1 ")
    .replace(/^export \{[^}]*\};?$/gm, "")
    .replaceAll("import.meta.url", "self.location.href");
  if (/^\s*(import|export)\b/m.test(out)) throw new Error("the web glue has imports or exports this build does not handle");
  return out;
}

export function buildPage({ pkg, crateDir }) {
  const src = path.resolve(crateDir, "..", "examples", "browser");
  const read = (...p) => fs.readFileSync(path.join(...p), "utf8");
  const worker = [
    "// The worker of the blindmatch browser tool (built by bindings-wasm/scripts/build-www.mjs).",
    read(crateDir, "js", "errors.js"),
    classicGlue(read(pkg, "web", "blindmatch.js")),
    read(src, "csv.js"),
    read(src, "worker.js"),
  ].join("\n");
  new vm.Script(worker, { filename: "worker.js" }); // a syntax check, not a run
  const wasm = fs.readFileSync(path.join(pkg, "web", "blindmatch_bg.wasm")).toString("base64");
  const parts = {
    "style.css": read(src, "style.css"),
    "csv.js": read(src, "csv.js"),
    "app.js": read(src, "app.js"),
    worker,
    wasm,
  };
  let html = read(src, "index.html");
  for (const [name, text] of Object.entries(parts)) {
    const marker = `/*INLINE:${name}*/`;
    if (!html.includes(marker)) throw new Error(`index.html has no ${marker}`);
    html = html.split(marker).join(safe(text));
  }
  const out = path.join(pkg, "www", "blindmatch.html");
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, html);
  return out;
}
