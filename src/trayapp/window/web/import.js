"use strict";

// The "Importa…" dialog of the rubrica: choose a file, map the columns the
// tray does not recognise, preview, import with a progress bar, report.
// The tray process reads and writes; this page polls its import job.
// It uses api, element, button, showStatus, loadClients and state from app.js.

const IMPORT_POLL_MS = 150;

const importView = {
  path: "",
  columns: [],
  fields: [],
  job: null,
  running: false,
  serial: 0,
};

function importNode(tag, attributes, text) {
  const node = element(tag, attributes.className || "", text);
  for (const [name, value] of Object.entries(attributes)) {
    if (name !== "className") node.setAttribute(name, value);
  }
  return node;
}

function importSection(id, ...children) {
  const section = importNode("section", { id, className: "import-step" });
  section.hidden = true;
  section.append(...children);
  return section;
}

function importTable(id, headings) {
  const table = importNode("table", { className: "import-table" });
  const head = element("thead");
  const row = element("tr");
  for (const heading of headings) row.append(element("th", "", heading));
  head.append(row);
  table.append(head, importNode("tbody", { id }));
  return table;
}

// Build the dialog once; index.html contains only the toolbar button.
function buildImportDialog() {
  const dialog = importNode("dialog", { id: "import", "aria-labelledby": "import-title" });
  const pathInput = importNode("input", { id: "import-path", type: "text", autocomplete: "off", spellcheck: "false" });
  const fileRow = importNode("div", { className: "import-file-row" });
  fileRow.append(
    pathInput,
    button("Scegli…", "", chooseImportFile),
    button("Avanti", "primary", inspectImportFile)
  );
  fileRow.lastChild.id = "import-inspect";
  const progressBar = importNode("progress", { id: "import-progress", max: "1", value: "0" });
  dialog.append(
    importNode("h2", { id: "import-title" }, "Importa clienti"),
    importNode("p", { id: "import-error", className: "error general", role: "alert" }),
    importSection(
      "import-step-file",
      importNode("label", { for: "import-path" }, "File da importare (CSV, testo Unicode o XLSX)"),
      fileRow
    ),
    importSection(
      "import-step-map",
      importNode("p", { id: "import-map-note", className: "note" }),
      importTable("import-columns", ["Colonna", "Esempi", "Campo"]),
      importActions(button("Anteprima", "primary", previewImport))
    ),
    importSection(
      "import-step-preview",
      importNode("ul", { id: "import-counts", className: "import-counts" }),
      importNode("h3", { id: "import-rejected-title" }, "Righe scartate e valori non applicati"),
      importTable("import-rejected", ["Riga", "Campo", "Motivo"]),
      importNode("h3", { id: "import-repairs-title" }, "Correzioni"),
      importTable("import-repairs", ["Riga", "Correzione"]),
      importActions(button("Importa", "primary", confirmImport))
    ),
    importSection(
      "import-step-progress",
      importNode("p", { id: "import-progress-text" }),
      progressBar,
      importActions(button("Annulla importazione", "danger", cancelImport))
    ),
    importSection("import-step-done", importNode("p", { id: "import-result" }))
  );
  dialog.querySelector("#import-step-map .primary").id = "import-preview";
  dialog.querySelector("#import-step-preview .primary").id = "import-confirm";
  dialog.querySelector("#import-step-progress .danger").id = "import-stop";
  const close = button("Chiudi", "", closeImport);
  close.id = "import-close";
  dialog.append(importActions(close));
  dialog.addEventListener("cancel", (event) => {
    event.preventDefault();
    closeImport();
  });
  document.body.append(dialog);
}

function importActions(...buttons) {
  const actions = element("div", "actions");
  actions.append(element("span", "gap"), ...buttons);
  return actions;
}

function showImportStep(name) {
  for (const section of document.querySelectorAll("#import .import-step")) {
    section.hidden = section.id !== `import-step-${name}`;
  }
}

function showImportError(message) {
  const box = $("import-error");
  box.textContent = message || "";
  // The dialog may be scrolled to its buttons: bring the message into view.
  if (message) box.scrollIntoView({ block: "nearest" });
}

function openImport() {
  importView.serial += 1;
  importView.job = null;
  importView.running = false;
  showImportError("");
  $("import-path").value = importView.path;
  $("import-close").disabled = false;
  showImportStep("file");
  $("import").showModal();
  $("import-path").focus();
}

function closeImport() {
  if (importView.running) return;
  importView.serial += 1;
  $("import").close();
}

async function chooseImportFile() {
  try {
    const path = await api("choose_import_file");
    if (path) {
      $("import-path").value = path;
      await inspectImportFile();
    }
  } catch (error) {
    showImportError(error.message);
  }
}

async function inspectImportFile() {
  const path = $("import-path").value.trim();
  showImportError("");
  if (!path) {
    showImportError("Indica il file da importare.");
    return;
  }
  try {
    const layout = await api("import_inspect", path);
    importView.path = layout.path;
    importView.columns = layout.columns;
    importView.fields = layout.fields;
    renderImportColumns(layout);
    showImportStep("map");
  } catch (error) {
    showImportError(error.message);
  }
}

// "1 riga", "2 righe": the count with the noun that agrees with it.
function counted(count, singular, plural) {
  return `${count} ${count === 1 ? singular : plural}`;
}

function renderImportColumns(layout) {
  const unknown = layout.columns.filter((column) => !column.recognised).length;
  let note = `${layout.file}: ${counted(layout.rows, "riga", "righe")}, ${counted(layout.columns.length, "colonna", "colonne")}.`;
  if (unknown) {
    note += ` ${counted(unknown, "colonna non riconosciuta", "colonne non riconosciute")}: scegli il campo di ognuna o «ignora la colonna».`;
  }
  if (layout.remembered) note += " Proposte le scelte dell'ultima importazione di un file con queste colonne.";
  $("import-map-note").textContent = note;
  const rows = layout.columns.map((column) => {
    const row = element("tr", column.recognised ? "import-column" : "import-column import-unknown");
    row.dataset.header = column.header;
    const select = importNode("select", { "aria-label": `campo della colonna ${column.header}` });
    select.append(importNode("option", { value: "" }, "— scegli —"));
    for (const field of layout.fields) select.append(importNode("option", { value: field.value }, field.label));
    select.value = column.field || "";
    let samples = column.samples.join(", ");
    if (column.samples_hidden) samples = "nascosti: potrebbero essere password o PIN";
    const name = element("td", "", column.header);
    if (!column.recognised) name.append(element("span", "note", column.field ? " (scelta ricordata)" : " (non riconosciuta)"));
    const cell = element("td");
    cell.append(select);
    row.append(name, element("td", "import-samples", samples), cell);
    return row;
  });
  $("import-columns").replaceChildren(...rows);
}

// Return header -> field for the columns whose field differs from the recognised one.
function collectImportChoices() {
  const choices = {};
  const missing = [];
  const rows = document.querySelectorAll("#import-columns tr");
  importView.columns.forEach((column, position) => {
    const value = rows[position].querySelector("select").value;
    if (!value) {
      missing.push(`«${column.header}»`);
    } else if (!column.recognised || value !== column.field) {
      choices[column.header] = value;
    }
  });
  if (missing.length) throw new ApiError(`Scegli un campo o «ignora la colonna» per ${missing.join(", ")}.`);
  return choices;
}

async function previewImport() {
  showImportError("");
  let choices;
  try {
    choices = collectImportChoices();
  } catch (error) {
    showImportError(error.message);
    return;
  }
  importView.choices = choices;
  const finished = await runImportJob(true, "Controllo del file");
  if (!finished) {
    showImportStep("map");
    return;
  }
  renderImportPreview(finished.report);
  showImportStep("preview");
}

async function confirmImport() {
  showImportError("");
  const finished = await runImportJob(false, "Importazione");
  if (!finished) {
    showImportStep("preview");
    return;
  }
  const report = finished.report;
  $("import-result").textContent =
    `Importazione completata: ${counted(report.imported, "nuovo cliente", "nuovi clienti")}, ` +
    `${counted(report.updated, "aggiornato", "aggiornati")}, ${counted(report.unchanged, "invariato", "invariati")}, ` +
    `${counted(rejectedRowCount(report), "riga scartata", "righe scartate")}.`;
  showImportStep("done");
  state.lastOwnChange = Date.now();
  await loadClients();
  showStatus(
    `Importazione: ${counted(report.imported, "cliente nuovo", "clienti nuovi")}, ${counted(report.updated, "aggiornato", "aggiornati")}`,
    "ok"
  );
}

function rejectedRowCount(report) {
  return new Set(report.rejected.map((item) => item.row)).size;
}

// Start a job in the tray and poll it; resolve with its final state, or null on failure.
async function runImportJob(dryRun, label) {
  const serial = importView.serial;
  importView.running = true;
  $("import-close").disabled = true;
  $("import-stop").hidden = dryRun;
  $("import-progress").max = 1;
  $("import-progress").value = 0;
  $("import-progress").dataset.percent = "0";
  $("import-progress-text").textContent = `${label}…`;
  showImportStep("progress");
  try {
    importView.job = await api("import_start", importView.path, importView.choices, dryRun);
    for (;;) {
      const progress = await api("import_progress", importView.job);
      if (serial !== importView.serial) return null;
      showImportProgress(progress, label);
      if (progress.state === "done") return progress;
      if (progress.state !== "running") {
        showImportError(progress.error);
        return null;
      }
      await new Promise((resolve) => setTimeout(resolve, IMPORT_POLL_MS));
    }
  } catch (error) {
    showImportError(error.message);
    return null;
  } finally {
    importView.running = false;
    importView.job = null;
    $("import-close").disabled = false;
  }
}

function showImportProgress(progress, label) {
  if (!progress.total) return;
  const bar = $("import-progress");
  bar.max = progress.total;
  bar.value = progress.done;
  const percent = Math.floor((progress.done * 100) / progress.total);
  bar.dataset.percent = String(percent);
  const phase = progress.phase === "write" ? "Importazione" : label;
  const count = (value) => value.toLocaleString("it-IT");
  $("import-progress-text").textContent = `${phase} ${count(progress.done)}/${count(progress.total)} righe (${percent} %)`;
}

async function cancelImport() {
  if (!importView.job) return;
  try {
    await api("import_cancel", importView.job);
  } catch (error) {
    showImportError(error.message);
  }
}

function renderImportPreview(report) {
  const counts = [
    ["imported", report.imported, "nuovo cliente", "nuovi clienti"],
    ["updated", report.updated, "cliente aggiornato", "clienti aggiornati"],
    ["unchanged", report.unchanged, "cliente invariato", "clienti invariati"],
    ["repaired", report.repaired, "riga corretta", "righe corrette"],
    ["rejected", rejectedRowCount(report), "riga scartata", "righe scartate"],
    ["secrets_added", report.secrets_added, "password o PIN nuovo", "password e PIN nuovi"],
    ["secrets_replaced", report.secrets_replaced.length, "password o PIN sostituito", "password e PIN sostituiti"],
    [
      "secrets_kept",
      report.warnings.length,
      "password o PIN tenuto (quello salvato è più recente)",
      "password e PIN tenuti (quelli salvati sono più recenti)",
    ],
  ];
  $("import-counts").replaceChildren(
    ...counts.map(([key, value, singular, plural]) => {
      const item = element("li");
      item.dataset.count = key;
      item.append(element("strong", "import-count", String(value)), ` ${value === 1 ? singular : plural}`);
      return item;
    })
  );
  const labels = new Map(importView.fields.map((field) => [field.value, field.label]));
  const problems = [...report.rejected, ...report.warnings];
  $("import-rejected").replaceChildren(
    ...problems.map((item) => tableRow([item.row, labels.get(item.field) || item.field, item.reason]))
  );
  $("import-rejected-title").hidden = problems.length === 0;
  $("import-rejected").parentNode.hidden = problems.length === 0;
  $("import-repairs").replaceChildren(...report.repairs.map((item) => tableRow([item.row, item.repair])));
  $("import-repairs-title").hidden = report.repairs.length === 0;
  $("import-repairs").parentNode.hidden = report.repairs.length === 0;
}

function tableRow(values) {
  const row = element("tr");
  for (const value of values) row.append(element("td", "", String(value)));
  return row;
}

document.addEventListener("DOMContentLoaded", () => {
  buildImportDialog();
  $("open-import").addEventListener("click", openImport);
});
