// Real-browser test of the browser tool: Playwright (playwright-core)
// drives Debian's Chromium. Two pages, one per agency, open the built page
// from disk (file://), upload the shipped sample CSVs, exchange the message
// files through the pages' own download links and file inputs, and the
// matches each page shows are checked against the known answer. The result
// pages are saved as screenshots (target/browser-test/).
//
//   node tests/browser/two_agencies.mjs        (after npm run build)
//
// CHROMIUM=/path/to/chromium overrides the browser (default /usr/bin/chromium).
// Exits non-zero on any difference.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

import { chromium } from "playwright-core";

const here = path.dirname(fileURLToPath(import.meta.url));
const crateDir = path.resolve(here, "..", "..");
const repo = path.resolve(crateDir, "..");
const samples = path.join(repo, "examples", "browser");
const page = path.join(crateDir, "pkg", "www", "blindmatch.html");
const shots = path.join(repo, "target", "browser-test");
const TIMEOUT = 180_000;

function readCsv(file) {
  const [head, ...rows] = fs.readFileSync(file, "utf8").trim().split("\n").map((l) => l.split(","));
  return rows.map((r) => Object.fromEntries(head.map((h, i) => [h, r[i]])));
}

async function openAgency(browser, name, csv, settings, query = "") {
  const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1200, height: 900 } });
  // Any request other than the page itself (and its blob: URLs) fails the test.
  const requests = [];
  context.on("request", (r) => {
    const u = r.url();
    if (!u.startsWith("file://") && !u.startsWith("blob:") && !u.startsWith("data:")) requests.push(u);
  });
  const p = await context.newPage();
  const errors = [];
  p.on("pageerror", (e) => errors.push(e.message));
  p.on("console", (m) => m.type() === "error" && errors.push(m.text()));
  await p.goto(pathToFileURL(page).href + query);
  await p.locator("#version").filter({ hasText: /\d/ }).waitFor({ timeout: 30_000 });
  await p.setInputFiles("#csv-file", csv);
  await p.locator("#columns-box").waitFor({ state: "visible" });
  await p.selectOption("#id-column", "suspect_id");
  const kinds = { full_name: "name", date_of_birth: "date_of_birth", email: "email", phone: "phone", nationality: "" };
  for (const [column, kind] of Object.entries(kinds)) {
    await p.selectOption(`#columns select[data-column="${column}"]`, kind);
  }
  await p.fill("#default-region", settings.region ?? "");
  await p.selectOption("#date-format", settings.dateFormat);
  await p.check(settings.role === "initiator" ? "#role-initiator" : "#role-responder");
  return { name, context, page: p, errors, requests };
}

/** Clicks a download link and returns the saved file's path. */
async function download(agency, selector, dir) {
  const link = agency.page.locator(selector);
  await link.waitFor({ state: "visible", timeout: TIMEOUT });
  const [d] = await Promise.all([agency.page.waitForEvent("download"), link.click()]);
  const file = path.join(dir, `${agency.name}-${d.suggestedFilename()}`);
  await d.saveAs(file);
  return file;
}

async function shownMatches(agency) {
  await agency.page.locator("#step-results").waitFor({ state: "visible", timeout: TIMEOUT });
  return agency.page.$$eval("#matches tbody tr", (rows) =>
    rows.map((r) => [r.cells[0].textContent, r.cells[1].textContent]),
  );
}

/** The two-agency exchange through both pages; `query` goes on the page's URL. */
async function exchange(browser, dir, query) {
  const a = await openAgency(browser, "a", path.join(samples, "agency_a_sample.csv"), {
    role: "initiator", dateFormat: "%Y-%m-%d",
  }, query);
  const b = await openAgency(browser, "b", path.join(samples, "agency_b_sample.csv"), {
    role: "responder", region: "GB", dateFormat: "%d/%m/%Y",
  }, query);
  const t0 = Date.now();
  await a.page.click("#create-request");
  const request = await download(a, "#download-request", dir);
  const progress = await a.page.$eval("#progress", (p) => [p.max, p.value]);
  await b.page.setInputFiles("#request-file", request);
  const response = await download(b, "#download-response", dir);
  await a.page.setInputFiles("#response-file", response);
  const finish = await download(a, "#download-finish", dir);
  await b.page.setInputFiles("#finish-file", finish);
  const [shownA, shownB] = [await shownMatches(a), await shownMatches(b)];
  return { a, b, request, response, finish, shownA, shownB, progress, seconds: (Date.now() - t0) / 1000 };
}

/** Waits until the page's status line matches `re`. */
async function status(agency, re) {
  await agency.page.locator("#status").filter({ hasText: re }).waitFor({ timeout: TIMEOUT });
}

/** Reloads an agency's page (a visit days later) and waits for the tool to be ready. */
async function reopen(agency) {
  await agency.page.reload();
  await agency.page.locator("#version").filter({ hasText: /\d/ }).waitFor({ timeout: 30_000 });
}

/** Opens a saved session on a freshly loaded page. */
async function resume(agency, file, passphrase) {
  await agency.page.locator("#resume-box summary").click();
  await agency.page.fill("#resume-passphrase", passphrase);
  await agency.page.setInputFiles("#resume-file", file);
}

/**
 * Exchanges that span days: each agency saves its waiting session (sealed
 * with a passphrase), its page is reloaded (the tab closed and opened
 * again), and the session is resumed from the file to finish. Closing a
 * page with an unsaved waiting session asks first.
 */
async function savedExchange(browser, dir, known) {
  const a = await openAgency(browser, "sa", path.join(samples, "agency_a_sample.csv"), {
    role: "initiator", dateFormat: "%Y-%m-%d",
  });
  const b = await openAgency(browser, "sb", path.join(samples, "agency_b_sample.csv"), {
    role: "responder", region: "GB", dateFormat: "%d/%m/%Y",
  });
  const dialogs = [];
  await a.page.click("#create-request");
  const request = await download(a, "#download-request", dir);

  // Closing the page now would lose the session: the browser asks first.
  const asked = new Promise((resolve) => a.page.once("dialog", resolve));
  await a.page.close({ runBeforeUnload: true });
  const dialog = await asked;
  assert.equal(dialog.type(), "beforeunload");
  await dialog.dismiss();
  assert.equal(a.page.isClosed(), false, "the page stays open when the user stays");
  a.page.on("dialog", (d) => { dialogs.push(d.type()); d.accept(); });

  // A passphrase under 10 characters cannot seal.
  await a.page.fill("#save-passphrase", "short");
  assert.equal(await a.page.isDisabled("#save-session"), true);
  const passA = "correct horse battery staple";
  await a.page.fill("#save-passphrase", passA);
  await a.page.click("#save-session");
  const savedA = await download(a, "#download-session", dir);
  assert.match(path.basename(savedA), /blindmatch-session-initiator-[0-9a-f]{8}\.bmsession$/);
  const sealed = fs.readFileSync(savedA);
  assert.equal(sealed.subarray(0, 4).toString(), "BMSE", "the saved session is sealed");
  for (const id of known.slice(0, 5).map((k) => k.a_id)) assert.ok(!sealed.includes(Buffer.from(id)), "no record id in clear");
  await reopen(a);

  // B answers, saves and closes too.
  await b.page.setInputFiles("#request-file", request);
  const response = await download(b, "#download-response", dir);
  const passB = "another long passphrase";
  await b.page.fill("#save-passphrase", passB);
  await b.page.click("#save-session");
  const savedB = await download(b, "#download-session", dir);
  b.page.on("dialog", (d) => { dialogs.push(d.type()); d.accept(); });
  await reopen(b);

  // A, days later: a wrong passphrase is refused; the right one resumes.
  await resume(a, savedA, "wrong passphrase!");
  await a.page.locator("#error").filter({ hasText: /wrong_passphrase/ }).waitFor({ timeout: TIMEOUT });
  await a.page.fill("#resume-passphrase", passA);
  await a.page.setInputFiles("#resume-file", savedA);
  await status(a, /resumed/);
  assert.equal(await a.page.isChecked("#role-initiator"), true);
  await a.page.setInputFiles("#response-file", response);
  const finish = await download(a, "#download-finish", dir);

  // B resumes with its CSV loaded, so its results show the records' columns.
  await b.page.setInputFiles("#csv-file", path.join(samples, "agency_b_sample.csv"));
  await b.page.locator("#columns-box").waitFor({ state: "visible" });
  await b.page.selectOption("#id-column", "suspect_id");
  await resume(b, savedB, passB);
  await status(b, /resumed/);
  await b.page.setInputFiles("#finish-file", finish);
  const [shownA, shownB] = [await shownMatches(a), await shownMatches(b)];
  const columns = await b.page.$$eval("#matches thead th", (th) => th.length);
  assert.ok(columns > 2, "B's results show its records' columns");
  assert.deepEqual(dialogs, [], "no warning once the session is saved");
  for (const agency of [a, b]) {
    assert.deepEqual(agency.errors, [], `page errors on agency ${agency.name}`);
    assert.deepEqual(agency.requests, [], `network requests from agency ${agency.name}`);
  }
  await a.context.close();
  await b.context.close();
  return { shownA, shownB };
}

async function main() {
  assert.ok(fs.existsSync(page), `${page} is missing: run npm run build first`);
  fs.mkdirSync(shots, { recursive: true });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "blindmatch-browser-"));
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync"],
  });
  try {
    const { a, b, request, response, finish, shownA, shownB, progress, seconds } = await exchange(browser, dir, "");
    // The blinding progress bar counted every identifier, part by part.
    const [max, value] = progress;
    assert.ok(max > 1000 && value === max, `progress ${value} / ${max}`);

    // The known answer: (a_id, b_id, shared_via).
    const known = readCsv(path.join(samples, "expected_overlap_sample.csv"));
    const want = (side) => known.map((k) => [k[`${side}_id`], k.shared_via]).sort();
    assert.deepEqual([...shownA].sort(), want("a"), "agency A's matches");
    assert.deepEqual([...shownB].sort(), want("b"), "agency B's matches");

    // The downloaded matches.csv holds the same records.
    const csv = fs.readFileSync(await download(a, "#download-matches", dir), "utf8").trim().split("\n");
    assert.equal(csv.length, known.length + 1);
    assert.match(await a.page.textContent("#result-summary"), new RegExp(`^${known.length} of your records match`));

    // B's data has unreadable values; the page lists them.
    assert.equal(await b.page.isVisible("#errors-box"), true);

    for (const agency of [a, b]) {
      await agency.page.screenshot({ path: path.join(shots, `agency_${agency.name}.png`), fullPage: true });
      assert.deepEqual(agency.errors, [], `page errors on agency ${agency.name}`);
      assert.deepEqual(agency.requests, [], `network requests from agency ${agency.name}`);
      assert.equal(await agency.page.isVisible("#error"), false);
    }
    const sizes = [request, response, finish].map((f) => fs.statSync(f).size);
    console.log(`browser: ${known.length} known pairs shown on both pages; messages ${sizes.join(" + ")} bytes; ` +
      `exchange took ${seconds.toFixed(1)} s; screenshots in ${shots}`);

    // The same exchange saved, closed and resumed on both sides.
    const saved = await savedExchange(browser, dir, known);
    assert.deepEqual(saved.shownA, shownA, "agency A's matches after a resumed session");
    assert.deepEqual(saved.shownB, shownB, "agency B's matches after a resumed session");
    console.log("browser: both sessions saved, pages reloaded, resumed from the sealed files: same matches");

    // A wrong file is refused with a clear message, and the page recovers.
    const c = await openAgency(browser, "c", path.join(samples, "agency_b_sample.csv"), { role: "responder", dateFormat: "%d/%m/%Y" });
    await c.page.setInputFiles("#request-file", response);
    await c.page.locator("#error").filter({ hasText: /not a request/ }).waitFor({ timeout: TIMEOUT });
    await c.page.setInputFiles("#request-file", { name: "junk.bmch", mimeType: "application/octet-stream", buffer: Buffer.from("BMCH junk") });
    await c.page.locator("#error").filter({ hasText: /\(\w+\)$/ }).waitFor({ timeout: TIMEOUT });
    console.log(`browser: wrong files refused: "${await c.page.textContent("#error")}"`);

    // The same exchange with a pool of 1 and of 2 workers: same results, and the time of each.
    const times = [];
    for (const workers of [1, 2]) {
      const run = await exchange(browser, dir, `?workers=${workers}`);
      assert.deepEqual(run.shownA, shownA);
      assert.deepEqual(run.shownB, shownB);
      times.push(`${workers} worker${workers > 1 ? "s" : ""} ${run.seconds.toFixed(2)} s`);
      await run.a.context.close();
      await run.b.context.close();
    }
    console.log(`browser: the exchange with ${times.join(", ")} per pool`);
  } finally {
    await browser.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => console.log("browser test: 1 passed, 0 failed"),
  (e) => {
    console.error(e);
    console.log("browser test: 0 passed, 1 failed");
    process.exit(1);
  },
);
