// The browser tool's workers. The build prepends the package's error
// classes, the wasm-bindgen glue (web target, turned into a classic script)
// and csv.js to this file, all in one script; the page sends the
// WebAssembly module in each worker's first message. Nothing here touches
// the network.
//
// One worker, the coordinator, reads the CSV, canonicalizes the records
// and runs the session as a partitioned one (blindmatch's part-level
// steps): it keeps the party's secret, builds the manifests, bundles the
// parts into the one file per step that the analysts exchange, and joins
// the results. The heavy steps (blinding, reblinding, comparing each part)
// it hands to the page, which spreads them over a pool of workers running
// this same script (`task` messages) and reports progress per part.

let party = null; // the coordinator's session state
let table = null; // { header, rows, idColumn }
const pending = new Map(); // task batches waiting for the pool
let nextBatch = 1;

const post = (msg, transfer) => self.postMessage(msg, transfer || []);
const progress = (phase, done, total) => post({ type: "progress", phase, done, total });
// Parts of about this many identifiers: small enough for a smooth progress
// bar and an even spread over the pool, large enough to batch well.
const PART_SIZE = 1024;

function describeError(e) {
  return { name: e && e.name ? e.name : "Error", code: e && e.code ? e.code : "", message: String(e && e.message ? e.message : e) };
}

function readRecords(csvText, config) {
  progress("reading", 0, 1);
  const rows = parseCsv(csvText);
  if (rows.length < 2) throw new Error("the CSV file has no data rows");
  const header = rows[0];
  const body = rows.slice(1);
  const idColumn = header.indexOf(config.idColumn);
  if (idColumn < 0) throw new Error(`no column "${config.idColumn}"`);
  const columns = config.columns.map((c) => ({ kind: c.kind, index: header.indexOf(c.name), name: c.name }));
  for (const c of columns) if (c.index < 0) throw new Error(`no column "${c.name}"`);
  const kinds = [...new Set(columns.map((c) => c.kind))];
  const options = { defaultRegion: config.defaultRegion || undefined, dateFormat: config.dateFormat };
  if (config.nameWithDateOfBirth) {
    // Declared whether or not this file has both columns: the declaration is
    // part of the canonicalization profile both agencies must share.
    options.composites = [["name", "date_of_birth"]];
    options.singleKeys = kinds.filter((k) => k !== "name" && k !== "date_of_birth");
  } else {
    options.singleKeys = kinds.filter((k) => k !== "date_of_birth");
  }
  const rs = new RecordSet(options);
  const step = Math.max(1, Math.floor(body.length / 100));
  body.forEach((row, n) => {
    const fields = {};
    for (const c of columns) {
      const v = (row[c.index] ?? "").trim();
      if (v === "") continue;
      (fields[c.kind] ??= []).push(v);
    }
    rs.add(row[idColumn] ?? "", fields);
    if (n % step === 0) progress("canonicalizing", n, body.length);
  });
  progress("canonicalizing", body.length, body.length);
  table = { header, rows: body, idColumn };
  return rs;
}

/** The party: its records, keys and their split under a fresh secret. */
function newParty(rs, role, makeSecret) {
  const keys = rs.keys();
  const parts = Math.min(4096, Math.max(1, Math.ceil(keys.length / PART_SIZE)));
  const party = partyOf(role, makeSecret(parts), keys, rs);
  party.summary = { records: rs.length, keys: keys.length, errors: rs.errors };
  return party;
}

/** A party from its secret and keys; `rs` names the records (a RecordSet, or a saved RecordIndex). */
function partyOf(role, secret, keys, rs) {
  const where = Array.from({ length: secret.parts }, () => []);
  secret.partsOf(keys).forEach((p, k) => where[p].push(k));
  const config = { reveal: secret.reveal, output: secret.output };
  return { role, rs, keys, secret, where, config, itemsOf: (i) => where[i].map((k) => keys[k]) };
}

const hexOf = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

/** Hands one task per part to the page's worker pool; resolves to the parts, in order. */
function runTasks(phase, op, tasks) {
  const id = nextBatch++;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    post({ type: "tasks", id, phase, op, secret: party.secret.toBytes(), tasks });
  });
}

/** Splits a bundle into its steps: each a manifest and the parts after it. */
function steps(bytes, expected) {
  const type = messageType(bytes);
  if (type !== "bundle") throw new Error(`this file is a ${type} message, not a ${expected} of this tool`);
  const out = [];
  for (const m of unbundle(bytes)) {
    if (messageType(m) === "manifest") out.push({ kind: partKind(m), manifest: m, parts: [] });
    else if (out.length) out.at(-1).parts.push(m);
    else throw new Error("the file starts with a part instead of a manifest");
  }
  return out;
}

function expectSteps(found, kinds, what) {
  const got = found.map((s) => s.kind).join(", ");
  if (got !== kinds.join(", ")) {
    const names = { request: "request", elements: "response", finish: "finish message" };
    throw new Error(`this file is a ${names[found[0]?.kind] ?? got}, not a ${what}`);
  }
}

const cardinality = () => party.config.reveal === "cardinality";

/** Cardinality mode mixes a step's values into buckets before they are sent. */
function mixed(kind, aligned, buckets) {
  return cardinality() ? Array.from({ length: buckets }, (_, k) => mixPart(party.secret, kind, k, aligned)) : aligned;
}

function results(reblinded, finish) {
  progress("comparing", 0, 1);
  const s = party.secret;
  if (cardinality()) {
    const n = reblinded.reduce((sum, r, k) => sum + countPart(s, k, r, finish[k]), 0);
    return { cardinality: n, matches: [], header: table.header };
  }
  const flags = join(s, (kind, i) => (kind === "reblinded" ? reblinded : finish)[i]);
  const matched = [];
  flags.forEach((f, i) => {
    for (const at of matchesPart(s, i, party.itemsOf(i), f)) matched.push(party.where[i][at]);
  });
  const byId = new Map(table.rows.map((r) => [r[table.idColumn], r]));
  const matches = party.rs.recordMatchesAt(matched).map((m) => ({ ...m, row: byId.get(m.recordId) ?? [] }));
  return { cardinality: matched.length, matches, header: table.header };
}

/** After a resume: the loaded CSV's rows, when it was given, only to show the matched records' columns. */
function displayTable(csvText, idColumn) {
  const none = { header: [], rows: [], idColumn: -1 };
  if (!csvText) return none;
  const rows = parseCsv(csvText);
  const at = rows.length ? rows[0].indexOf(idColumn) : -1;
  return at < 0 ? none : { header: rows[0], rows: rows.slice(1), idColumn: at };
}

const partTasks = () => party.where.map((w, index) => ({ index, items: w.map((k) => party.keys[k]), weight: w.length }));
const messageTasks = (parts, countOf) => parts.map((part, index) => ({ index, part, weight: countOf(part) }));
// Group elements are 32 bytes each; a part's header is a few dozen bytes.
const elementCount = (part) => Math.max(0, Math.round((part.length - 40) / 32));

const handlers = {
  init({ wasm }) {
    initSync({ module: wasm });
    __setErrorFactory(makeError);
    post({ type: "ready", version: version() });
  },

  // A pool worker: one part-level step.
  task({ tid, op, secret, task }) {
    const s = PartySecret.fromBytes(secret);
    try {
      const out = op === "request" ? requestPart(s, task.index, task.items)
        : op === "elements" ? elementsPart(s, task.index, task.items)
          : op === "reblind" ? reblindPart(s, task.index, task.part)
            : finishPart(s, task.index, task.part);
      post({ type: "taskDone", tid, bytes: out }, [out.buffer]);
    } finally {
      s.free();
    }
  },

  // The coordinator: a batch of tasks came back from the pool.
  results({ id, parts, error }) {
    const p = pending.get(id);
    pending.delete(id);
    if (error) p.reject(Object.assign(new Error(error.message), error));
    else p.resolve(parts);
  },

  // Initiator: records -> request.
  async start({ csvText, config }) {
    const rs = readRecords(csvText, config);
    const t = performance.now();
    party = newParty(rs, "initiator", (parts) => PartySecret.initiator(parts, { reveal: config.reveal, output: config.output }));
    const request = await runTasks("blinding", "request", partTasks());
    const bytes = bundle([party.secret.manifest("request", request), ...request]);
    post({ type: "message", kind: "request", bytes, summary: party.summary, ms: performance.now() - t }, [bytes.buffer]);
  },

  // Responder: records + request -> response.
  async respond({ csvText, config, bytes }) {
    const found = steps(bytes, "request");
    expectSteps(found, ["request"], "request");
    const [req] = found;
    const rs = readRecords(csvText, config);
    const t = performance.now();
    party = newParty(rs, "responder", (parts) => PartySecret.responder(req.manifest, parts, { reveal: config.reveal, output: config.output }));
    const elements = await runTasks("blinding", "elements", partTasks());
    const elementsManifest = party.secret.manifest("elements", elements);
    const aligned = await runTasks("answering", "reblind", messageTasks(req.parts, elementCount));
    const reblinded = mixed("reblinded", aligned, req.parts.length);
    party.reblinded = reblinded;
    const out = bundle([elementsManifest, ...elements, party.secret.manifest("reblinded", reblinded), ...reblinded]);
    post({ type: "message", kind: "response", bytes: out, summary: party.summary, ms: performance.now() - t }, [out.buffer]);
  },

  // Initiator: response -> finish message and results.
  async reply({ bytes }) {
    if (!party || party.role !== "initiator") throw new Error("create the request first");
    const found = steps(bytes, "response");
    expectSteps(found, ["elements", "reblinded"], "response");
    const [elements, reblinded] = found;
    party.secret.accept(elements.manifest);
    party.secret.accept(reblinded.manifest);
    const aligned = await runTasks("comparing", "finish", messageTasks(elements.parts, elementCount));
    const finish = mixed("finish", aligned, party.secret.partCount("request"));
    const manifest = party.secret.manifest("finish", finish);
    const shown = results(reblinded.parts, finish);
    const out = party.config.output === "both" ? bundle([manifest, ...finish]) : null;
    party.done = true;
    post({ type: "finished", finish: out, ...shown });
  },

  // Either party, while waiting for the other agency: the session, sealed
  // under the passphrase, as a file to download (blindmatch's saved-state
  // format, the one the blindmatch command writes).
  save({ passphrase }) {
    if (!party || party.done) throw new Error("there is no waiting session to save");
    if (party.resumed) throw new Error("this session was resumed from a file: that file still holds it");
    progress("saving", 0, 1);
    const kept = party.role === "responder" ? party.reblinded : [];
    const plain = savePartySession(party.secret, party.keys, kept, party.rs);
    const bytes = seal(plain, passphrase);
    plain.fill(0);
    const name = `blindmatch-session-${party.role}-${hexOf(party.secret.sessionId).slice(0, 8)}.bmsession`;
    post({ type: "saved", bytes, name }, [bytes.buffer]);
  },

  // A page opened later: a saved session back from its file and passphrase.
  resume({ bytes, passphrase, csvText, idColumn }) {
    progress("resuming", 0, 1);
    if (!isSealed(bytes)) throw new Error("this file is not a saved session of this tool");
    const plain = unseal(bytes, passphrase);
    const saved = restorePartySession(plain);
    plain.fill(0);
    if (!saved.records) throw new Error("this saved session names no records");
    const role = saved.secret.role;
    if (role === "responder" && saved.kept.length === 0) throw new Error("this saved session lacks its reblinded parts");
    party = partyOf(role, saved.secret, saved.items, saved.records);
    party.resumed = true;
    if (role === "responder") party.reblinded = saved.kept;
    table = displayTable(csvText, idColumn);
    post({
      type: "resumed",
      role,
      reveal: party.config.reveal,
      output: party.config.output,
      session: hexOf(party.secret.sessionId),
      records: saved.records.recordIds.length,
      keys: saved.items.length,
    });
  },

  // Responder: finish message -> results.
  finish({ bytes }) {
    if (!party || party.role !== "responder") throw new Error("answer a request first");
    if (!bytes) {
      if (party.config.output === "both") throw new Error("this mode needs the finish message from the other agency");
      party.done = true;
      post({ type: "finished", finish: null, noOutput: true, cardinality: 0, matches: [], header: table.header });
      return;
    }
    const found = steps(bytes, "finish message");
    expectSteps(found, ["finish"], "finish message");
    party.secret.accept(found[0].manifest);
    const shown = results(party.reblinded, found[0].parts);
    party.done = true;
    post({ type: "finished", finish: null, ...shown });
  },
};

self.onmessage = (event) => {
  const msg = event.data;
  Promise.resolve()
    .then(() => handlers[msg.type](msg))
    .catch((e) => post({ type: msg.type === "task" ? "taskFailed" : "error", tid: msg.tid, error: describeError(e) }));
};
