// The browser tool's worker: reads the CSV, canonicalizes the records and
// runs the protocol, so the page stays responsive. The build prepends the
// package's error classes, the wasm-bindgen glue (web target, turned into a
// classic script) and csv.js to this file, all in one script; the page sends
// the WebAssembly bytes in its first message. Nothing here touches the network.

let party = null; // Initiator or Responder
let role = null;
let table = null; // { header, rows, idColumn }

const post = (msg, transfer) => self.postMessage(msg, transfer || []);
const progress = (phase, done, total) => post({ type: "progress", phase, done, total });

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

function summary(rs) {
  return { records: rs.length, keys: rs.keyCount, errors: rs.errors };
}

function results() {
  const cardinality = party.cardinality;
  const byId = new Map(table.rows.map((r) => [r[table.idColumn], r]));
  const matches = party.recordMatches.map((m) => ({ ...m, row: byId.get(m.recordId) ?? [] }));
  return { cardinality, matches, header: table.header };
}

const handlers = {
  init({ wasm }) {
    initSync({ module: wasm });
    __setErrorFactory(makeError);
    post({ type: "ready", version: version() });
  },

  // Initiator: records -> request.
  start({ csvText, config }) {
    role = "initiator";
    const rs = readRecords(csvText, config);
    progress("blinding", 0, rs.keyCount);
    const t = performance.now();
    party = new Initiator(rs, { reveal: config.reveal, output: config.output });
    const request = party.request();
    const info = summary(rs);
    rs.free();
    post({ type: "message", kind: "request", bytes: request, summary: info, ms: performance.now() - t }, [request.buffer]);
  },

  // Responder: records + request -> response.
  respond({ csvText, config, bytes }) {
    role = "responder";
    const type = messageType(bytes);
    if (type !== "psi-request") throw new Error(`this file is a ${type}, not a request`);
    const rs = readRecords(csvText, config);
    progress("blinding", 0, rs.keyCount);
    const t = performance.now();
    party = new Responder(rs, { reveal: config.reveal, output: config.output });
    const info = summary(rs);
    rs.free();
    progress("answering", 0, 1);
    const response = party.respond(bytes);
    post({ type: "message", kind: "response", bytes: response, summary: info, ms: performance.now() - t }, [response.buffer]);
  },

  // Initiator: response -> finish message and results.
  reply({ bytes }) {
    if (role !== "initiator" || !party) throw new Error("create the request first");
    const type = messageType(bytes);
    if (type !== "psi-response") throw new Error(`this file is a ${type}, not a response`);
    progress("finishing", 0, 1);
    const finish = party.finish(bytes);
    post({ type: "finished", finish: finish ?? null, ...results() });
  },

  // Responder: finish message -> results.
  finish({ bytes }) {
    if (role !== "responder" || !party) throw new Error("answer a request first");
    if (bytes) {
      const type = messageType(bytes);
      if (type !== "psi-finish") throw new Error(`this file is a ${type}, not a finish message`);
    }
    progress("finishing", 0, 1);
    party.finish(bytes ?? undefined);
    post({ type: "finished", finish: null, ...results() });
  },
};

self.onmessage = (event) => {
  const msg = event.data;
  try {
    handlers[msg.type](msg);
  } catch (e) {
    post({ type: "error", error: describeError(e) });
  }
};
