"use strict";

// The rubrica page. Every value that comes from the index is written with
// textContent or createElement, never as HTML.

// NOTE: pywebview 6.2.1 builds window.pywebview.api with new Function and
// returns results through eval, which the page's CSP forbids. On Qt this
// bridge calls pywebview's channel object ("external") and its result
// callbacks directly instead, and a pywebview upgrade may rename them. On
// the other web views (WebView2 on Windows, WKWebView on macOS) it falls back
// to window.pywebview.api, which exists only where the web view runs
// pywebview's script despite the CSP; that path has not been run.
const bridge = (() => {
  let channel = null;
  let waiting = [];
  let counter = 0;

  function flush() {
    const callbacks = waiting;
    waiting = [];
    callbacks.forEach((callback) => callback());
  }

  function connect() {
    const pywebview = window.pywebview;
    if (pywebview && pywebview._QWebChannel) {
      channel = pywebview._QWebChannel;
      flush();
    } else if (pywebview && window.qt && window.QWebChannel) {
      new window.QWebChannel(window.qt.webChannelTransport, (opened) => {
        channel = opened;
        flush();
      });
    } else if (pywebview && pywebview.api && typeof pywebview.api.list_clients === "function") {
      channel = "api";
      flush();
    } else {
      setTimeout(connect, 30);
    }
  }

  function ready() {
    return channel ? Promise.resolve() : new Promise((resolve) => waiting.push(resolve));
  }

  async function call(name, ...args) {
    await ready();
    if (channel === "api") {
      return window.pywebview.api[name](...args);
    }
    const callbacks = window.pywebview._returnValuesCallbacks;
    callbacks[name] = callbacks[name] || {};
    counter += 1;
    const id = `${Date.now()}-${counter}`;
    return new Promise((resolve, reject) => {
      callbacks[name][id] = (answer) => {
        delete callbacks[name][id];
        const value = JSON.parse(answer.value);
        if (answer.isError) {
          reject(new Error(value.message));
        } else {
          resolve(value);
        }
      };
      channel.objects.external.call(name, JSON.stringify(args), id);
    });
  }

  // The client list comes over the channel's trayappList object where the
  // window registered one: as a signal's plain text it reaches the page much
  // faster than as a js_api result, which pywebview returns inside a script.
  const listRequests = new Map();

  function listChannel() {
    if (!channel || channel === "api") return null;
    const source = channel.objects.trayappList;
    if (!source) return null;
    if (!source.__trayappConnected) {
      source.listReady.connect((id, text, error) => {
        const request = listRequests.get(id);
        if (!request) return;
        listRequests.delete(id);
        request({ text, error });
      });
      source.__trayappConnected = true;
    }
    return source;
  }

  // Resolve to {text, error} from the list channel, or to null without one.
  async function clientListText() {
    await ready();
    const source = listChannel();
    if (!source) return null;
    counter += 1;
    const id = `list-${Date.now()}-${counter}`;
    return new Promise((resolve) => {
      listRequests.set(id, resolve);
      source.request(id);
    });
  }

  connect();
  return { call, ready, clientListText };
})();

class ApiError extends Error {
  constructor(message, field) {
    super(message);
    this.field = field || null;
  }
}

// Call a js_api method; return its result or throw ApiError with the Italian message.
async function api(name, ...args) {
  let answer;
  try {
    answer = await bridge.call(name, ...args);
  } catch (error) {
    throw new ApiError(`Errore interno della finestra: ${error.message}`);
  }
  if (answer && answer.error !== undefined) {
    throw new ApiError(answer.error, answer.field);
  }
  return answer ? answer.result : undefined;
}

const MASK = "••••••••";
const MISSING = "credenziali mancanti";
const OWN_CHANGE_GRACE_MS = 3000;
const OVERSCAN_ROWS = 8;
const collator = new Intl.Collator("it", { sensitivity: "base", numeric: true });

const COLUMNS = {
  anagrafica: [
    { key: "name", label: "Nome", sortable: true },
    { key: "kind_label", label: "Tipo", sortable: true },
    { key: "codice_fiscale", label: "Codice fiscale", sortable: true },
    { key: "partita_iva", label: "Partita IVA", sortable: true },
    { key: "comune", label: "Comune", sortable: true },
    { key: "actions", label: "Azioni", sortable: false },
  ],
  recapiti: [
    { key: "name", label: "Nome", sortable: true },
    { key: "email", label: "Email", sortable: true },
    { key: "pec", label: "PEC", sortable: true },
    { key: "user_id", label: "Utente", sortable: true },
    { key: "password", label: "Password", sortable: false },
    { key: "pin", label: "PIN", sortable: false },
    { key: "password_status", label: "Stato password", sortable: false },
  ],
};

const state = {
  clients: [],
  byId: new Map(),
  rows: [],
  view: "anagrafica",
  sortKey: "name",
  sortAscending: true,
  query: "",
  passwordFilter: "",
  revealed: new Map(),
  lastOwnChange: 0,
  listLoads: 0,
  // How the last list arrived: "channel" or "js_api".
  listTransport: "",
  // The copy message on the status line while its clearing delay runs.
  copyStatus: null,
};

const $ = (id) => document.getElementById(id);

function fold(text) {
  return String(text || "")
    .normalize("NFD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase();
}

// Folded texts and sort keys by original text, kept across refreshes: most
// names and codes do not change between one refresh and the next.
const foldedTexts = new Map();
const sortKeys = new Map();
const CACHE_LIMIT = 200000;

function remembered(cache, text, compute) {
  let value = cache.get(text);
  if (value === undefined) {
    if (cache.size >= CACHE_LIMIT) cache.clear();
    value = compute(text);
    cache.set(text, value);
  }
  return value;
}

function foldCached(text) {
  return remembered(foldedTexts, String(text || ""), fold);
}

// The folded text with every number padded to 12 digits, so that a plain
// comparison puts "2" before "10" as the Italian collator does.
function sortKey(text) {
  return remembered(sortKeys, String(text || ""), (raw) =>
    foldCached(raw).replace(/\d+/g, (digits) => digits.padStart(12, "0"))
  );
}

// Return the client list's JSON text, over the list channel where there is one.
async function clientListText() {
  const answer = await bridge.clientListText();
  if (answer === null) {
    state.listTransport = "js_api";
    return api("client_list_json");
  }
  state.listTransport = "channel";
  if (answer.error) throw new ApiError(answer.error);
  return answer.text;
}

// Rebuild row objects from {"columns": [...], "rows": [[...], ...]}. Each
// object reads its fields from its row's array through accessors on one
// shared prototype: at 10,000 rows that took about 13 ms in the window,
// against 40 ms to copy every value into a plain object.
function decodeClientList(text) {
  const { columns, rows } = JSON.parse(text);
  const prototype = {};
  columns.forEach((column, index) => {
    Object.defineProperty(prototype, column, {
      get() {
        return this.values[index];
      },
      set(value) {
        this.values[index] = value;
      },
    });
  });
  return rows.map((values) => {
    const client = Object.create(prototype);
    client.values = values;
    return client;
  });
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function button(label, className, onClick) {
  const node = element("button", className, label);
  node.type = "button";
  node.addEventListener("click", onClick);
  return node;
}

// -- status bar ---------------------------------------------------------------

function showStatus(message, kind) {
  const status = $("status");
  status.textContent = message;
  status.className = `status ${kind || ""}`;
}

function showError(error) {
  showStatus(error.message || String(error), "error");
}

function showCount() {
  const count = state.clients.length;
  showStatus(count === 1 ? "1 cliente in rubrica" : `${count} clienti in rubrica`);
}

// Replace an error on the status line once the action that failed succeeds.
function clearError() {
  if ($("status").classList.contains("error")) showCount();
}

// -- list ---------------------------------------------------------------------

async function loadClients() {
  $("refresh").disabled = true;
  try {
    const clients = decodeClientList(await clientListText());
    for (const client of clients) {
      client.searchKey = `${foldCached(client.name)}\n${foldCached(client.codice_fiscale)}\n${foldCached(client.partita_iva)}`;
    }
    state.clients = clients;
    state.byId = new Map(state.clients.map((client) => [client.id, client]));
    state.revealed.clear();
    $("changed-hint").hidden = true;
    rebuildRows();
    state.listLoads += 1;
    showCount();
  } catch (error) {
    showError(error);
  } finally {
    $("refresh").disabled = false;
  }
}

function compareTexts(left, right) {
  if (left < right) return -1;
  return left > right ? 1 : 0;
}

// Sort clients in place by the chosen column, then by name; the keys are
// computed once per client rather than once per comparison.
function sortClients(clients) {
  const key = state.sortKey;
  const sign = state.sortAscending ? 1 : -1;
  const decorated = clients.map((client) => [sortKey(client[key]), sortKey(client.name), client]);
  decorated.sort((left, right) => sign * (compareTexts(left[0], right[0]) || compareTexts(left[1], right[1])));
  decorated.forEach((entry, index) => {
    clients[index] = entry[2];
  });
}

// Put each company's linked subjects right after it; subjects whose company
// is filtered out stay in the list on their own.
function rebuildRows() {
  const query = fold(state.query.trim());
  const wanted = state.passwordFilter;
  const matches = state.clients.filter(
    (client) => (!query || client.searchKey.includes(query)) && (!wanted || client.password_status === wanted)
  );
  const shown = new Set(matches.map((client) => client.id));
  const children = new Map();
  const top = [];
  for (const client of matches) {
    if (client.linked_to && shown.has(client.linked_to)) {
      if (!children.has(client.linked_to)) children.set(client.linked_to, []);
      children.get(client.linked_to).push(client);
    } else {
      top.push(client);
    }
  }
  sortClients(top);
  const rows = [];
  for (const client of top) {
    rows.push({ client, linked: false });
    const subjects = children.get(client.id) || [];
    sortClients(subjects);
    subjects.forEach((subject) => rows.push({ client: subject, linked: true }));
  }
  state.rows = rows;
  const empty = $("empty");
  empty.hidden = rows.length > 0;
  empty.textContent = state.clients.length ? "Nessun cliente corrisponde alla ricerca o al filtro." : "La rubrica è vuota: premi «Nuovo cliente».";
  renderHead();
  renderRows(true);
}

function rowHeight() {
  const value = getComputedStyle(document.documentElement).getPropertyValue("--row-height");
  const rem = parseFloat(value) || 2.4;
  return rem * parseFloat(getComputedStyle(document.documentElement).fontSize);
}

function renderHead() {
  const head = $("table-head");
  head.replaceChildren();
  for (const column of COLUMNS[state.view]) {
    const cell = element("div", `cell col-${column.key}`);
    cell.setAttribute("role", "columnheader");
    if (column.sortable) {
      const active = state.sortKey === column.key;
      let arrow = "";
      let sort = "none";
      if (active) {
        arrow = state.sortAscending ? " ▲" : " ▼";
        sort = state.sortAscending ? "ascending" : "descending";
      }
      cell.setAttribute("aria-sort", sort);
      cell.append(
        button(column.label + arrow, "sort", () => {
          state.sortAscending = active ? !state.sortAscending : true;
          state.sortKey = column.key;
          rebuildRows();
        })
      );
    } else {
      cell.textContent = column.label;
    }
    head.append(cell);
  }
}

// Render only the rows inside the scrolled area, so the DOM stays small.
function renderRows(resetScroll) {
  const viewport = $("viewport");
  const spacer = $("spacer");
  const height = rowHeight();
  spacer.style.height = `${state.rows.length * height}px`;
  if (resetScroll === true && viewport.scrollTop > state.rows.length * height) viewport.scrollTop = 0;
  const first = Math.max(0, Math.floor(viewport.scrollTop / height) - OVERSCAN_ROWS);
  const last = Math.min(state.rows.length, Math.ceil((viewport.scrollTop + viewport.clientHeight) / height) + OVERSCAN_ROWS);
  const nodes = [];
  for (let index = first; index < last; index += 1) {
    const node = renderRow(state.rows[index]);
    node.style.top = `${index * height}px`;
    nodes.push(node);
  }
  spacer.replaceChildren(...nodes);
}

function renderRow({ client, linked }) {
  const row = element("div", linked ? "row linked" : "row");
  row.setAttribute("role", "row");
  row.dataset.id = client.id;
  for (const column of COLUMNS[state.view]) {
    const cell = element("div", `cell col-${column.key}`);
    cell.setAttribute("role", "cell");
    fillCell(cell, column.key, client, linked);
    row.append(cell);
  }
  return row;
}

function fillCell(cell, key, client, linked) {
  if (key === "name") {
    cell.append(element("span", "name", client.name));
    if (linked && client.role) cell.append(element("span", "role", client.role));
    cell.title = client.name;
  } else if (key === "actions") {
    cell.append(
      button("LOGIN", "action", () => runLogin(client)),
      button("INVIA EMAIL", "action", () => runEmail(client)),
      button("Modifica", "action", () => openForm(client.id))
    );
  } else if (key === "password" || key === "pin") {
    fillSecretCell(cell, key, client);
  } else if (key === "user_id") {
    fillUserCell(cell, client);
  } else if (key === "password_status") {
    const text = passwordStatusText(client);
    cell.append(element("span", `password-state state-${client.password_status}`, text));
    cell.title = text;
  } else {
    cell.textContent = client[key] || "";
    cell.title = client[key] || "";
  }
}

// Return the password state with its days left, e.g. "in scadenza (5 gg)".
function passwordStatusText(client) {
  const days = client.password_days_left;
  if (client.password_status === "valid" || client.password_status === "expiring") {
    return `${client.password_status_label} (${days} gg)`;
  }
  return client.password_status_label;
}

// Status line wording for each value a copy button puts on the clipboard.
const COPIED_TEXT = {
  user_id: { noun: "Utente", copied: "copiato" },
  password: { noun: "Password", copied: "copiata" },
  pin: { noun: "PIN", copied: "copiato" },
};

async function copyToClipboard(client, kind) {
  const { noun, copied } = COPIED_TEXT[kind];
  try {
    const answer = await api("copy_secret", client.id, kind);
    const clears = answer && answer.clear_seconds > 0;
    const clearing = clears ? `: si cancella tra ${answer.clear_seconds} secondi` : "";
    showStatus(`${noun} di ${client.name} ${copied} negli appunti${clearing}`, "ok");
    state.copyStatus = clears ? { noun, name: client.name, text: $("status").textContent } : null;
  } catch (error) {
    showError(error);
  }
}

// Called by the window process when the tray's clearing delay has run out.
function clipboardTimerEnded(cleared) {
  const copyStatus = state.copyStatus;
  state.copyStatus = null;
  // Only the copy message is replaced, not a later message about something else.
  if (!copyStatus || $("status").textContent !== copyStatus.text) return;
  if (cleared) {
    showStatus(`Appunti svuotati: ${copyStatus.noun} di ${copyStatus.name} non è più negli appunti`);
  } else {
    showStatus("Appunti non svuotati: nel frattempo vi è stato copiato altro");
  }
}

function fillUserCell(cell, client) {
  cell.title = client.user_id || "";
  if (!client.user_id) return;
  const copy = button("copia", "small", async () => {
    await copyToClipboard(client, "user_id");
  });
  copy.setAttribute("aria-label", `copia utente di ${client.name}`);
  cell.append(element("span", "code", client.user_id), copy);
}

function fillSecretCell(cell, kind, client) {
  const stored = kind === "password" ? client.has_password : client.has_pin;
  if (!stored) {
    cell.append(element("span", "missing", MISSING));
    return;
  }
  const revealKey = `${client.id}:${kind}`;
  const revealed = state.revealed.get(revealKey);
  const value = element("span", revealed === undefined ? "secret masked" : "secret", revealed === undefined ? MASK : revealed);
  const label = kind === "password" ? "password" : "PIN";
  const show = button(revealed === undefined ? "mostra" : "nascondi", "small", async () => {
    if (state.revealed.has(revealKey)) {
      state.revealed.delete(revealKey);
      renderRows();
      return;
    }
    try {
      state.revealed.set(revealKey, await api("reveal_secret", client.id, kind));
      clearError();
      renderRows();
    } catch (error) {
      showError(error);
    }
  });
  show.setAttribute("aria-label", `mostra ${label} di ${client.name}`);
  const copy = button("copia", "small", async () => {
    await copyToClipboard(client, kind);
  });
  copy.setAttribute("aria-label", `copia ${label} di ${client.name}`);
  cell.append(value, show, copy);
}

function setView(view) {
  state.view = view;
  if (!COLUMNS[view].some((column) => column.key === state.sortKey)) {
    state.sortKey = "name";
    state.sortAscending = true;
  }
  $("table").className = `table view-${view}`;
  for (const tab of document.querySelectorAll(".views [role=tab]")) {
    tab.setAttribute("aria-selected", String(tab.dataset.view === view));
  }
  state.revealed.clear();
  rebuildRows();
}

// Called by the window process when the index changed in another window or in the tray.
function markListChanged() {
  if (Date.now() - state.lastOwnChange < OWN_CHANGE_GRACE_MS) return;
  $("changed-hint").hidden = false;
}

// -- row actions ----------------------------------------------------------------

async function runLogin(client) {
  showStatus(`Accesso al portale per ${client.name} in corso…`);
  try {
    const result = await api("login", client.id);
    const kind = result.outcome === "success" ? "ok" : "error";
    showStatus(`${client.name}: ${result.message}`, kind);
  } catch (error) {
    showError(error);
  }
}

async function runEmail(client) {
  try {
    await api("send_email", client.id);
    showStatus(`Nuovo messaggio a ${client.name} aperto nel programma di posta`, "ok");
  } catch (error) {
    showError(error);
  }
}

// -- choice dialog ----------------------------------------------------------------

// Ask a question in the page; resolve with the chosen key, or null on Esc.
function ask(message, choices) {
  const dialog = $("ask");
  $("ask-message").textContent = message;
  const box = $("ask-choices");
  box.replaceChildren();
  return new Promise((resolve) => {
    const finish = (value) => {
      dialog.removeEventListener("cancel", onCancel);
      dialog.close();
      resolve(value);
    };
    const onCancel = (event) => {
      event.preventDefault();
      finish(null);
    };
    dialog.addEventListener("cancel", onCancel);
    for (const choice of choices) {
      const node = button(choice.label, choice.className || "", () => finish(choice.value));
      node.dataset.choice = choice.value;
      box.append(node);
    }
    dialog.showModal();
    const preferred = box.querySelector("[data-choice=cancel]") || box.lastChild;
    if (preferred) preferred.focus();
  });
}

// -- anagrafica form ------------------------------------------------------------------

const FORM_FIELDS = [
  "denominazione", "cognome", "nome", "codice_fiscale", "partita_iva", "comune",
  "codice_studio", "email", "pec", "telefono", "note", "linked_to", "role",
  "user_id", "password", "pin",
];

const form = {
  clientId: null,
  snapshot: "",
  dirty: false,
  touched: new Set(),
  checkTimer: null,
  checkSerial: 0,
  saving: false,
};

function formKind() {
  return document.querySelector("input[name=kind]:checked").value;
}

function collectForm() {
  const data = { kind: formKind() };
  for (const name of FORM_FIELDS) data[name] = $(`f-${name}`).value;
  if (data.kind === "societa") {
    data.cognome = "";
    data.nome = "";
  } else {
    data.denominazione = "";
  }
  if (!data.linked_to) data.role = "";
  data.remove_password = $("f-remove_password").checked;
  data.remove_pin = $("f-remove_pin").checked;
  return data;
}

function applyKind() {
  const societa = formKind() === "societa";
  for (const node of document.querySelectorAll(".only-societa")) node.hidden = !societa;
  for (const node of document.querySelectorAll(".only-persona")) node.hidden = societa;
  $("f-role").disabled = !$("f-linked_to").value;
}

function fillCompanies(clientId, selected) {
  const select = $("f-linked_to");
  select.replaceChildren(element("option", "", "— nessuno —"));
  select.firstChild.value = "";
  const companies = state.clients
    .filter((client) => client.kind === "societa" && client.id !== clientId)
    .sort((left, right) => collator.compare(fold(left.name), fold(right.name)));
  for (const company of companies) {
    const option = element("option", "", company.name);
    option.value = company.id;
    select.append(option);
  }
  select.value = selected || "";
}

function showFormErrors(errors, onlyTouched) {
  const known = new Set(["kind", ...FORM_FIELDS]);
  for (const name of known) {
    const slot = $(`error-${name}`);
    const message = errors[name] && (!onlyTouched || form.touched.has(name)) ? errors[name] : "";
    slot.textContent = message;
    const input = $(`f-${name}`);
    if (input) input.setAttribute("aria-invalid", message ? "true" : "false");
  }
  const others = Object.entries(errors).filter(([name]) => !known.has(name));
  $("form-error").textContent = others.map(([name, reason]) => `${name}: ${reason}`).join("; ");
}

function updateDirty() {
  const dirty = JSON.stringify(collectForm()) !== form.snapshot;
  if (dirty !== form.dirty) {
    form.dirty = dirty;
    api("set_dirty", dirty).catch(showError);
  }
}

async function checkForm() {
  form.checkSerial += 1;
  const serial = form.checkSerial;
  try {
    const errors = await api("check_form", collectForm());
    if (serial === form.checkSerial && $("editor").open) showFormErrors(errors, true);
  } catch (error) {
    showError(error);
  }
}

function scheduleCheck() {
  clearTimeout(form.checkTimer);
  form.checkTimer = setTimeout(checkForm, 250);
}

async function openForm(clientId) {
  let client = null;
  if (clientId) {
    try {
      client = await api("get_client", clientId);
    } catch (error) {
      showError(error);
      return;
    }
  }
  form.clientId = clientId || null;
  form.touched.clear();
  $("editor-title").textContent = client ? `Modifica ${client.name}` : "Nuovo cliente";
  const kind = client ? client.kind : "persona_fisica";
  for (const radio of document.querySelectorAll("input[name=kind]")) radio.checked = radio.value === kind;
  fillCompanies(form.clientId, client ? client.linked_to : "");
  for (const name of FORM_FIELDS) {
    if (name !== "linked_to") $(`f-${name}`).value = client && name !== "password" && name !== "pin" ? client[name] || "" : "";
  }
  $("f-password").placeholder = client && client.has_password ? "invariata" : "";
  $("f-pin").placeholder = client && client.has_pin ? "invariato" : "";
  $("remove-password-label").hidden = !(client && client.has_password);
  $("remove-pin-label").hidden = !(client && client.has_pin);
  $("f-remove_password").checked = false;
  $("f-remove_pin").checked = false;
  const changed = client && client.password_changed_on;
  $("password-changed").textContent = changed ? `Ultima modifica: ${formatDate(changed)}` : "";
  $("delete-client").hidden = !client;
  $("renew-password").hidden = !client;
  showFormErrors({}, false);
  applyKind();
  form.snapshot = JSON.stringify(collectForm());
  form.dirty = false;
  $("editor").showModal();
  const first = kind === "societa" ? $("f-denominazione") : $("f-cognome");
  first.focus();
}

function formatDate(iso) {
  const [year, month, day] = iso.split("-");
  return `${day}/${month}/${year}`;
}

async function closeForm(force) {
  if (!force && form.dirty) {
    const choice = await ask("Ci sono modifiche non salvate. Chiudere la scheda e perderle?", [
      { value: "discard", label: "Chiudi senza salvare", className: "danger" },
      { value: "cancel", label: "Continua a modificare" },
    ]);
    if (choice !== "discard") return;
  }
  clearTimeout(form.checkTimer);
  form.checkSerial += 1;
  form.dirty = false;
  api("set_dirty", false).catch(showError);
  $("editor").close();
}

async function saveForm() {
  if (form.saving) return;
  form.saving = true;
  $("save-client").disabled = true;
  try {
    const answer = await api("save_client", collectForm(), form.clientId);
    if (answer.errors) {
      for (const name of Object.keys(answer.errors)) form.touched.add(name);
      showFormErrors(answer.errors, false);
      showStatus("Il cliente non è stato salvato: correggi i campi segnalati.", "error");
      return;
    }
    state.lastOwnChange = Date.now();
    await closeForm(true);
    showStatus(`Cliente salvato: ${answer.client.name}`, "ok");
    await loadClients();
  } catch (error) {
    if (error.field && $(`error-${error.field}`)) {
      showFormErrors({ [error.field]: error.message }, false);
    }
    showError(error);
  } finally {
    form.saving = false;
    $("save-client").disabled = false;
  }
}

async function deleteFromForm() {
  const client = state.byId.get(form.clientId);
  const name = client ? client.name : "il cliente";
  let linked = "";
  try {
    const subjects = await api("linked_subjects", form.clientId);
    if (subjects.length) {
      const choice = await ask(
        `${name} ha ${subjects.length === 1 ? "1 soggetto collegato" : `${subjects.length} soggetti collegati`}. Cosa farne?`,
        [
          { value: "detach", label: "Scollega i soggetti ed elimina la società" },
          { value: "delete", label: "Elimina anche i soggetti", className: "danger" },
          { value: "cancel", label: "Annulla" },
        ]
      );
      if (choice !== "detach" && choice !== "delete") return;
      linked = choice;
    } else {
      const choice = await ask(`Eliminare ${name} dalla rubrica? Password e PIN saranno cancellati dal portachiavi.`, [
        { value: "delete", label: "Elimina", className: "danger" },
        { value: "cancel", label: "Annulla" },
      ]);
      if (choice !== "delete") return;
    }
    const answer = await api("delete_client", form.clientId, linked);
    if (answer.errors) {
      showFormErrors(answer.errors, false);
      return;
    }
    state.lastOwnChange = Date.now();
    await closeForm(true);
    showStatus(answer.removed.length > 1 ? `Eliminati ${answer.removed.length} clienti` : `Eliminato ${name}`, "ok");
    await loadClients();
  } catch (error) {
    showError(error);
  }
}

// -- audit log ----------------------------------------------------------------------

const auditView = { serial: 0 };

function formatStamp(iso) {
  const stamp = new Date(iso);
  if (Number.isNaN(stamp.getTime())) return iso || "";
  return stamp.toLocaleString("it-IT", { dateStyle: "short", timeStyle: "medium" });
}

function fillAuditClients() {
  const select = $("audit-client");
  const selected = select.value;
  select.replaceChildren(element("option", "", "Tutti i clienti"));
  select.firstChild.value = "";
  const clients = [...state.clients].sort((left, right) => collator.compare(fold(left.name), fold(right.name)));
  for (const client of clients) {
    const option = element("option", "", client.name);
    option.value = client.id;
    select.append(option);
  }
  select.value = selected;
}

async function loadAudit() {
  auditView.serial += 1;
  const serial = auditView.serial;
  try {
    const entries = await api("audit_entries", $("audit-client").value, $("audit-since").value);
    if (serial !== auditView.serial) return;
    const rows = entries.map((entry) => {
      const row = element("tr", "audit-row");
      row.dataset.action = entry.action || "";
      row.dataset.clientId = entry.client_id || "";
      const outcome = [entry.outcome_label || entry.outcome, entry.detail].filter(Boolean).join(" – ");
      for (const text of [formatStamp(entry.at), entry.user, entry.action_label, entry.client_name, outcome]) {
        row.append(element("td", "", text || ""));
      }
      return row;
    });
    $("audit-rows").replaceChildren(...rows);
    $("audit-empty").hidden = rows.length > 0;
  } catch (error) {
    showError(error);
  }
}

async function openAudit() {
  fillAuditClients();
  $("audit").showModal();
  await loadAudit();
}

function wireAudit() {
  $("open-audit").addEventListener("click", openAudit);
  $("close-audit").addEventListener("click", () => $("audit").close());
  $("audit-client").addEventListener("change", loadAudit);
  $("audit-since").addEventListener("change", loadAudit);
}

// -- wiring -----------------------------------------------------------------------

function wireForm() {
  const formNode = $("client-form");
  formNode.addEventListener("submit", (event) => {
    event.preventDefault();
    saveForm();
  });
  formNode.addEventListener("input", (event) => {
    if (event.target.name) form.touched.add(event.target.name);
    applyKind();
    updateDirty();
    scheduleCheck();
  });
  formNode.addEventListener("change", () => {
    applyKind();
    updateDirty();
  });
  formNode.addEventListener("focusout", (event) => {
    if (!event.target.name || !$("editor").open) return;
    form.touched.add(event.target.name);
    scheduleCheck();
  });
  $("editor").addEventListener("cancel", (event) => {
    event.preventDefault();
    closeForm(false);
  });
  $("cancel-form").addEventListener("click", () => closeForm(false));
  $("delete-client").addEventListener("click", deleteFromForm);
  $("renew-password").addEventListener("click", renewPassword);
}

// Generate a password that meets the portal's rules, show it for the user to
// set on the portal, and store it (keeping the previous one) once confirmed.
async function renewPassword() {
  const clientId = form.clientId;
  if (!clientId) return;
  let password;
  try {
    password = await api("generate_password");
  } catch (error) {
    showError(error);
    return;
  }
  const choice = await ask(
    `Nuova password: ${password}\n\nImpostala sul portale (Profilo utente, ` +
      "Cambia password), poi conferma qui. La password precedente resta nel portachiavi.",
    [
      { label: "Annulla", value: "cancel" },
      { label: "L'ho impostata sul portale", value: "confirm", className: "primary" },
    ],
  );
  if (choice !== "confirm") {
    showStatus("Nessuna modifica: resta la password di prima.");
    return;
  }
  try {
    await api("renew_password", clientId, password);
  } catch (error) {
    showError(error);
    return;
  }
  await closeForm(true);
  await loadClients();
  showStatus("Nuova password salvata; la precedente resta nel portachiavi.", "ok");
}

function wireToolbar() {
  $("search").addEventListener("input", (event) => {
    state.query = event.target.value;
    rebuildRows();
  });
  $("password-filter").addEventListener("change", (event) => {
    state.passwordFilter = event.target.value;
    rebuildRows();
  });
  $("refresh").addEventListener("click", loadClients);
  $("new-client").addEventListener("click", () => openForm(null));
  for (const tab of document.querySelectorAll(".views [role=tab]")) {
    tab.addEventListener("click", () => setView(tab.dataset.view));
  }
  $("viewport").addEventListener("scroll", () => requestAnimationFrame(() => renderRows()));
  window.addEventListener("resize", () => renderRows());
}

window.trayapp = {
  markListChanged,
  clipboardTimerEnded,
  loadAudit,
  call: api,
  get listLoads() {
    return state.listLoads;
  },
  get listTransport() {
    return state.listTransport;
  },
};

document.addEventListener("DOMContentLoaded", () => {
  wireToolbar();
  wireForm();
  wireAudit();
  renderHead();
  showStatus("Caricamento della rubrica…");
  loadClients();
});
