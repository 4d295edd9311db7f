// The browser tool's page: collects the file and the settings, starts the
// workers (built from the inline sources of this page, so they also work
// when the page is opened from disk), offers the messages as downloads,
// accepts the peer's files and shows the results. A waiting session can be
// saved to a passphrase-sealed file and resumed on a later visit; closing
// the page with an unsaved waiting session asks first. All protocol work is in
// the workers: a coordinator that runs the session, and a pool (sized from
// navigator.hardwareConcurrency, at most 8; `?workers=N` overrides) that
// runs its parts, through this page, which shows the progress.
(() => {
  "use strict";
  const $ = (id) => document.getElementById(id);
  const KIND_OPTIONS = [
    ["", "(ignore)"], ["email", "e-mail"], ["phone", "phone"], ["name", "name"],
    ["date_of_birth", "date of birth"], ["iban", "IBAN"], ["document", "document number"],
    ["ip", "IP address"], ["crypto_address", "crypto address"], ["text", "other identifier (exact text)"],
  ];
  // Header words -> kind, for a first guess the analyst can change.
  const GUESS = [
    [/e-?mail/i, "email"], [/phone|mobile|tel/i, "phone"], [/birth|dob/i, "date_of_birth"],
    [/iban/i, "iban"], [/passport|document|id_?card/i, "document"], [/(^|_)ip(_|$)|ip.?address/i, "ip"],
    [/wallet|btc|eth|crypto/i, "crypto_address"], [/name/i, "name"],
  ];

  let csvText = null;
  let header = [];
  let worker = null; // the coordinator
  let pool = []; // { worker, busy }
  let batch = null; // the coordinator's tasks being run: { id, phase, op, secret, queue, parts, done, total, next }
  let busy = false;
  // A session waits between our message and the other agency's answer;
  // `kept` says whether closing the page would lose it (a saved or resumed
  // session lives on in its file).
  let waiting = false;
  let kept = false;
  let resumed = false;
  const downloads = [];
  const MIN_PASSPHRASE = 10;

  function setError(e) {
    const box = $("error");
    if (!e) {
      box.hidden = true;
      box.textContent = "";
      return;
    }
    box.hidden = false;
    box.textContent = e.code ? `${e.message} (${e.code})` : e.message;
  }

  function setBusy(on, text) {
    busy = on;
    $("progress-box").hidden = !on;
    if (text !== undefined) $("status").textContent = text;
    refresh();
  }

  function role() {
    return $("role-responder").checked ? "responder" : "initiator";
  }

  function config() {
    const columns = [...document.querySelectorAll("#columns select")]
      .filter((s) => s.value)
      .map((s) => ({ name: s.dataset.column, kind: s.value }));
    return {
      idColumn: $("id-column").value,
      columns,
      defaultRegion: $("default-region").value.trim().toUpperCase(),
      dateFormat: $("date-format").value,
      nameWithDateOfBirth: $("name-with-dob").checked,
      reveal: $("reveal").value,
      output: $("output").value,
    };
  }

  function refresh() {
    // A new session would drop the waiting one: finish or save it first.
    const ready = csvText !== null && worker !== null && config().columns.length > 0 && !busy && !waiting;
    $("initiator-steps").hidden = role() !== "initiator";
    $("responder-steps").hidden = role() !== "responder";
    $("create-request").disabled = !ready;
    $("request-file").disabled = !ready;
    $("no-finish").hidden = $("output").value !== "initiator";
    $("save-box").hidden = !waiting || resumed;
    $("save-session").disabled = busy || $("save-passphrase").value.length < MIN_PASSPHRASE;
    $("resume-file").disabled = busy || worker === null;
  }

  function offer(link, bytes, name) {
    const url = URL.createObjectURL(new Blob([bytes], { type: "application/octet-stream" }));
    downloads.push(url);
    link.href = url;
    link.download = name;
    link.hidden = false;
  }

  function firstLine(text) {
    const end = text.search(/\r?\n/);
    return end < 0 ? text : text.slice(0, end);
  }

  function splitHeader(line) {
    // The header only (the worker parses the whole file): quoted names allowed.
    const out = [];
    let cur = "";
    let q = false;
    for (let i = 0; i < line.length; i++) {
      const c = line[i];
      if (q) {
        if (c === '"' && line[i + 1] === '"') { cur += '"'; i++; } else if (c === '"') q = false; else cur += c;
      } else if (c === '"') q = true;
      else if (c === ",") { out.push(cur); cur = ""; } else cur += c;
    }
    out.push(cur);
    return out.map((h) => h.replace(/^\ufeff/, "").trim());
  }

  async function loadCsv(file) {
    setError(null);
    csvText = await file.text();
    header = splitHeader(firstLine(csvText));
    const rows = csvText.split(/\n/).length - 1;
    $("csv-info").textContent = `${file.name}: ${header.length} columns, about ${rows.toLocaleString()} rows`;
    const second = splitHeader(firstLine(csvText.slice(firstLine(csvText).length).replace(/^\r?\n/, "")));
    const body = $("columns").querySelector("tbody");
    body.replaceChildren();
    const idSelect = $("id-column");
    idSelect.replaceChildren();
    header.forEach((name, i) => {
      const tr = document.createElement("tr");
      const select = document.createElement("select");
      select.dataset.column = name;
      for (const [value, label] of KIND_OPTIONS) select.add(new Option(label, value));
      const guess = GUESS.find(([re]) => re.test(name));
      if (guess && !/(^|_)id$/i.test(name)) select.value = guess[1];
      select.addEventListener("change", refresh);
      for (const text of [name, null, second[i] ?? ""]) {
        const td = document.createElement("td");
        if (text === null) td.append(select); else td.textContent = text;
        tr.append(td);
      }
      body.append(tr);
      idSelect.add(new Option(name, name));
    });
    const id = header.find((h) => /(^|_)id$/i.test(h)) ?? header[0];
    idSelect.value = id;
    $("columns-box").hidden = false;
    refresh();
  }

  function showResults(msg) {
    $("step-results").hidden = false;
    const intersection = $("reveal").value === "intersection";
    $("result-summary").textContent = intersection
      ? `${msg.matches.length.toLocaleString()} of your records match (${msg.cardinality.toLocaleString()} shared identifiers).`
      : `${msg.cardinality.toLocaleString()} identifiers are shared (this mode reveals only the number).`;
    const thead = $("matches").querySelector("thead");
    const tbody = $("matches").querySelector("tbody");
    thead.replaceChildren();
    tbody.replaceChildren();
    if (intersection) {
      const hr = document.createElement("tr");
      for (const h of ["record", "matched through", ...msg.header]) {
        const th = document.createElement("th");
        th.textContent = h;
        hr.append(th);
      }
      thead.append(hr);
      for (const m of msg.matches) {
        const tr = document.createElement("tr");
        tr.dataset.recordId = m.recordId;
        for (const v of [m.recordId, m.kinds.join(" "), ...m.row]) {
          const td = document.createElement("td");
          td.textContent = v;
          tr.append(td);
        }
        tbody.append(tr);
      }
      const csv = toCsv([["record_id", "matched_through", ...msg.header],
        ...msg.matches.map((m) => [m.recordId, m.kinds.join(" "), ...m.row])]);
      offer($("download-matches"), new TextEncoder().encode(csv), "matches.csv");
    }
  }

  function showErrors(errors) {
    if (!errors.length) return;
    $("errors-box").hidden = false;
    $("errors-summary").textContent = `${errors.length} values could not be read (they are not part of the match)`;
    const tbody = $("errors").querySelector("tbody");
    tbody.replaceChildren();
    for (const e of errors.slice(0, 1000)) {
      const tr = document.createElement("tr");
      for (const v of [e.recordId, e.field, e.message]) {
        const td = document.createElement("td");
        td.textContent = v;
        tr.append(td);
      }
      tbody.append(tr);
    }
  }

  function onWorkerMessage({ data: msg }) {
    switch (msg.type) {
      case "ready":
        $("version").textContent = msg.version;
        refresh();
        break;
      case "progress":
        showProgress(msg.phase, msg.done, msg.total);
        break;
      case "tasks":
        runBatch(msg);
        break;
      case "message": {
        waiting = true;
        kept = false;
        $("download-session").hidden = true;
        const s = msg.summary;
        showErrors(s.errors);
        const link = msg.kind === "request" ? $("download-request") : $("download-response");
        offer(link, msg.bytes, `${msg.kind}.bmch`);
        setBusy(false, `${s.records.toLocaleString()} records gave ${s.keys.toLocaleString()} identifiers` +
          `${s.errors.length ? ` (${s.errors.length} values unreadable)` : ""}; ${msg.kind} ready` +
          ` (${msg.bytes.length.toLocaleString()} bytes, ${(msg.ms / 1000).toFixed(1)} s). Send it to the other agency.`);
        if (msg.kind === "request") $("response-file").disabled = false;
        else { $("finish-file").disabled = false; $("no-finish").disabled = false; }
        break;
      }
      case "saved":
        offer($("download-session"), msg.bytes, msg.name);
        $("save-passphrase").value = "";
        setBusy(false, "The session is sealed: download the file and keep it, with the passphrase, until the other agency answers.");
        break;
      case "resumed":
        resumeView(msg);
        break;
      case "finished":
        waiting = false;
        if (msg.finish) offer($("download-finish"), msg.finish, "finish.bmch");
        setBusy(false, msg.finish ? "Done. Send the finish message back so the other agency sees its results too."
          : msg.noOutput ? "Done. In this mode only the other agency learns the result." : "Done.");
        if (!msg.noOutput) showResults(msg);
        break;
      case "error":
        setBusy(false, "");
        setError(msg.error);
        break;
    }
  }

  const PHASES = { reading: "Reading the file", canonicalizing: "Reading identifiers", blinding: "Blinding",
    answering: "Answering", comparing: "Comparing", saving: "Sealing the session", resuming: "Opening the saved session" };

  /** The page after a resumed session: its role and mode, and the next step's file input. */
  function resumeView(msg) {
    waiting = true;
    kept = true;
    resumed = true;
    $(msg.role === "initiator" ? "role-initiator" : "role-responder").checked = true;
    $("reveal").value = msg.reveal;
    $("output").value = msg.output;
    for (const id of ["role-initiator", "role-responder", "reveal", "output"]) $(id).disabled = true;
    $("resume-passphrase").value = "";
    $("resume-box").open = false;
    if (msg.role === "initiator") $("response-file").disabled = false;
    else { $("finish-file").disabled = false; $("no-finish").disabled = false; }
    setBusy(false, `Session ${msg.session.slice(0, 8)}… resumed (${msg.records.toLocaleString()} records, ` +
      `${msg.keys.toLocaleString()} identifiers): open the ${msg.role === "initiator" ? "response" : "finish message"} ` +
      "from the other agency.");
  }

  function showProgress(phase, done, total) {
    const p = $("progress");
    const unit = phase === "canonicalizing" ? "records" : "identifiers";
    if (total > 1) {
      p.max = total;
      p.value = done;
      $("progress-text").textContent = `${PHASES[phase]}: ${done.toLocaleString()} / ${total.toLocaleString()} ${unit}`;
    } else {
      p.removeAttribute("value");
      $("progress-text").textContent = `${PHASES[phase]}…`;
    }
  }

  function poolSize() {
    const asked = Number(new URLSearchParams(location.search).get("workers"));
    if (Number.isInteger(asked) && asked >= 1 && asked <= 16) return asked;
    return Math.max(1, Math.min(navigator.hardwareConcurrency || 2, 8));
  }

  /** Spreads the coordinator's tasks over the pool, one part per worker at a time. */
  function runBatch(msg) {
    batch = { ...msg, queue: msg.tasks.map((t, pos) => ({ ...t, pos })), parts: new Array(msg.tasks.length), left: msg.tasks.length,
      done: 0, total: msg.tasks.reduce((n, t) => n + t.weight, 0) };
    showProgress(batch.phase, 0, batch.total);
    if (batch.left === 0) endBatch(null);
    else pool.forEach(dispatch);
  }

  function dispatch(slot) {
    if (!batch || slot.task || !batch.queue.length) return;
    const task = batch.queue.shift();
    slot.task = task;
    const { weight, pos, ...payload } = task;
    slot.worker.postMessage({ type: "task", tid: pos, op: batch.op, secret: batch.secret, task: payload });
  }

  function endBatch(error) {
    const { id, parts } = batch;
    batch = null;
    for (const slot of pool) slot.task = null;
    if (error) worker.postMessage({ type: "results", id, error });
    else worker.postMessage({ type: "results", id, parts }, parts.map((p) => p.buffer));
  }

  function onPoolMessage(slot, { data: msg }) {
    if (!batch) return;
    if (msg.type === "taskFailed") return endBatch(msg.error);
    if (msg.type !== "taskDone") return;
    batch.parts[msg.tid] = msg.bytes;
    batch.done += slot.task.weight;
    batch.left -= 1;
    slot.task = null;
    showProgress(batch.phase, batch.done, batch.total);
    if (batch.left === 0) endBatch(null);
    else dispatch(slot);
  }

  function startWorker() {
    const src = $("bm-worker").textContent;
    const url = URL.createObjectURL(new Blob([src], { type: "text/javascript" }));
    const b64 = $("bm-wasm").textContent.trim();
    const bin = atob(b64);
    const wasm = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) wasm[i] = bin.charCodeAt(i);
    // Compiled once; every worker instantiates the same module.
    const module = new WebAssembly.Module(wasm);
    const failed = (e) => { setBusy(false, ""); setError({ message: `worker failed: ${e.message}` }); };
    pool = Array.from({ length: poolSize() }, () => {
      const slot = { worker: new Worker(url), task: null };
      slot.worker.onmessage = (e) => onPoolMessage(slot, e);
      slot.worker.onerror = failed;
      slot.worker.postMessage({ type: "init", wasm: module });
      return slot;
    });
    worker = new Worker(url);
    worker.onmessage = onWorkerMessage;
    worker.onerror = failed;
    worker.postMessage({ type: "init", wasm: module });
  }

  async function fileBytes(input) {
    const f = input.files[0];
    return f ? new Uint8Array(await f.arrayBuffer()) : null;
  }

  function send(msg, text, transfer) {
    setError(null);
    setBusy(true, text);
    worker.postMessage(msg, transfer || []);
  }

  $("csv-file").addEventListener("change", (e) => e.target.files[0] && loadCsv(e.target.files[0]).catch((err) => setError(err)));
  for (const id of ["role-initiator", "role-responder", "output", "reveal"]) $(id).addEventListener("change", refresh);
  $("create-request").addEventListener("click", () => send({ type: "start", csvText, config: config() }, "Creating the request…"));
  $("request-file").addEventListener("change", async (e) => {
    const bytes = await fileBytes(e.target);
    if (bytes) send({ type: "respond", csvText, config: config(), bytes }, "Answering the request…", [bytes.buffer]);
  });
  $("response-file").addEventListener("change", async (e) => {
    const bytes = await fileBytes(e.target);
    if (bytes) send({ type: "reply", bytes }, "Processing the response…", [bytes.buffer]);
  });
  $("finish-file").addEventListener("change", async (e) => {
    const bytes = await fileBytes(e.target);
    if (bytes) send({ type: "finish", bytes }, "Processing the finish message…", [bytes.buffer]);
  });
  $("no-finish").addEventListener("click", () => send({ type: "finish", bytes: null }, "Finishing…"));
  $("save-passphrase").addEventListener("input", refresh);
  $("save-session").addEventListener("click", () =>
    send({ type: "save", passphrase: $("save-passphrase").value }, "Sealing the session…"));
  // Downloading the file is what keeps the session: until then, closing warns.
  $("download-session").addEventListener("click", () => { kept = true; });
  $("resume-file").addEventListener("change", async (e) => {
    const passphrase = $("resume-passphrase").value;
    if (!passphrase) {
      setError({ message: "enter the session's passphrase first, then choose the file" });
      e.target.value = "";
      return;
    }
    const bytes = await fileBytes(e.target);
    e.target.value = "";
    if (bytes) {
      send({ type: "resume", bytes, passphrase, csvText, idColumn: $("id-column").value },
        "Opening the saved session…", [bytes.buffer]);
    }
  });
  // Closing (or reloading) the page while a session waits, unsaved, loses it.
  window.addEventListener("beforeunload", (e) => {
    if (waiting && !kept) {
      e.preventDefault();
      e.returnValue = "";
    }
  });
  window.addEventListener("unload", () => downloads.forEach((u) => URL.revokeObjectURL(u)));
  startWorker();
})();
