"use strict";

// "Backup cifrato…", "Ripristina backup…" and "Esporta…". The native file
// dialog runs in the window process and the resident tray checks the chosen
// path, then writes or reads the file. A passphrase stays in its password
// input only until the call that uses it returns. Uses $, api, showStatus,
// showError, loadClients and state from app.js, which loads first.
(() => {
  const dialog = $("exchange");
  const passphrase = $("exchange-passphrase");
  const confirmation = $("exchange-confirmation");
  const overwrite = $("exchange-overwrite");
  const runButton = $("exchange-run");

  const KINDS = {
    backup: {
      title: "Backup cifrato",
      intro: "Il backup contiene ogni cliente con password, PIN e password precedenti, cifrati con la passphrase. Senza la passphrase non si può ripristinare.",
      secret: "passphrase",
      secrets: "passphrase",
      label: "Passphrase del backup",
      confirm: true,
      run: "Scrivi il backup",
    },
    restore: {
      title: "Ripristina backup",
      intro: "I clienti del backup che la rubrica non ha vengono aggiunti. Quelli già presenti (stesso codice fiscale) restano come sono, a meno di sostituirli.",
      secret: "passphrase",
      label: "Passphrase del backup",
      confirm: false,
      run: "Ripristina",
    },
    kdbx: {
      title: "Esporta in KeePass",
      intro: "Il database KeePass contiene anagrafica, utente, password e PIN di ogni cliente, cifrati con la password principale.",
      secret: "password principale",
      secrets: "password principali",
      label: "Password principale KeePass",
      confirm: true,
      run: "Esporta",
    },
  };

  let current = null;

  function clearSecrets() {
    passphrase.value = "";
    confirmation.value = "";
  }

  function showFieldErrors(errors) {
    for (const [input, slot] of [
      [passphrase, "error-exchange-passphrase"],
      [confirmation, "error-exchange-confirmation"],
    ]) {
      const message = errors[slot] || "";
      $(slot).textContent = message;
      input.setAttribute("aria-invalid", message ? "true" : "false");
    }
  }

  function formatLabel(file) {
    const labels = {
      backup: "backup cifrato",
      csv: "CSV, solo anagrafica",
      xlsx: "Excel, solo anagrafica",
      kdbx: "KeePass, con password e PIN",
    };
    return labels[file.format] || file.format;
  }

  function openDialog(action, file) {
    const kind = KINDS[action === "export" ? "kdbx" : action];
    current = { action, file, kind };
    clearSecrets();
    showFieldErrors({});
    $("exchange-error").textContent = "";
    $("exchange-title").textContent = kind.title;
    $("exchange-file").textContent = `File: ${file.path} (${formatLabel(file)})`;
    $("exchange-intro").textContent = kind.intro;
    $("exchange-passphrase-label").textContent = kind.label;
    $("exchange-confirmation-label").textContent = `Ripeti la ${kind.secret}`;
    $("exchange-confirmation-field").hidden = !kind.confirm;
    $("exchange-overwrite-field").hidden = action !== "restore";
    overwrite.checked = false;
    runButton.textContent = kind.run;
    runButton.disabled = false;
    dialog.showModal();
    passphrase.focus();
  }

  function closeDialog() {
    clearSecrets();
    current = null;
    dialog.close();
  }

  // Check in the page what the tray checks again, so the message shows next
  // to the field before anything is sent.
  function checkInputs() {
    const { kind, file } = current;
    const errors = {};
    const length = [...passphrase.value.normalize("NFC")].length;
    if (!passphrase.value) {
      errors["error-exchange-passphrase"] = `Scrivi la ${kind.secret}.`;
    } else if (kind.confirm && length < file.min_passphrase_length) {
      errors["error-exchange-passphrase"] =
        `La ${kind.secret} è troppo corta (${length} ${length === 1 ? "carattere" : "caratteri"}): ne servono almeno ${file.min_passphrase_length}.`;
    } else if (kind.confirm && confirmation.value !== passphrase.value) {
      errors["error-exchange-confirmation"] = `Le due ${kind.secrets} non coincidono: scrivile di nuovo.`;
    }
    showFieldErrors(errors);
    return Object.keys(errors).length === 0;
  }

  function restoredMessage(path, report, replacing) {
    let message =
      `Ripristino da ${path}: ${report.added} clienti aggiunti, ` +
      `${report.replaced} sostituiti, ${report.skipped} già presenti e tenuti.`;
    if (report.skipped && !replacing) {
      message += " I clienti già presenti hanno tenuto anagrafica e credenziali di questo computer.";
    }
    return message;
  }

  function exportedMessage(result) {
    const content = result.secrets ? "con password e PIN" : "solo anagrafica, senza password né PIN";
    return `${result.count} clienti esportati in ${result.path} (${content}).`;
  }

  async function send(action, path) {
    if (action === "backup") {
      const result = await api("write_backup", path, passphrase.value, confirmation.value);
      return () => showStatus(`Backup cifrato di ${result.count} clienti scritto in ${result.path}.`, "ok");
    }
    if (action === "restore") {
      const replacing = overwrite.checked;
      const report = await api("restore_backup", path, passphrase.value, replacing);
      state.lastOwnChange = Date.now();
      return async () => {
        await loadClients();
        showStatus(restoredMessage(path, report, replacing), "ok");
      };
    }
    const result = await api("export_clients", path, passphrase.value, confirmation.value);
    return () => showStatus(exportedMessage(result), "ok");
  }

  async function run() {
    if (!current || runButton.disabled || !checkInputs()) return;
    const { action, file } = current;
    runButton.disabled = true;
    $("exchange-error").textContent = "";
    showStatus(`${current.kind.title} in corso…`);
    let done;
    try {
      done = await send(action, file.path);
    } catch (error) {
      $("exchange-error").textContent = error.message;
      showError(error);
      return;
    } finally {
      clearSecrets();
      runButton.disabled = false;
    }
    closeDialog();
    await done();
  }

  async function exportPlain(file) {
    showStatus("Esportazione in corso…");
    try {
      showStatus(exportedMessage(await api("export_clients", file.path)), "ok");
    } catch (error) {
      showError(error);
    }
  }

  async function start(action) {
    let file;
    try {
      file = await api("choose_exchange_file", action);
    } catch (error) {
      showError(error);
      return;
    }
    if (!file) return;
    if (action === "export" && !file.secrets) {
      await exportPlain(file);
    } else {
      openDialog(action, file);
    }
  }

  $("exchange-form").addEventListener("submit", (event) => {
    event.preventDefault();
    run();
  });
  dialog.addEventListener("cancel", (event) => {
    event.preventDefault();
    closeDialog();
  });
  $("exchange-cancel").addEventListener("click", closeDialog);
  $("open-backup").addEventListener("click", () => start("backup"));
  $("open-restore").addEventListener("click", () => start("restore"));
  $("open-export").addEventListener("click", () => start("export"));
})();
