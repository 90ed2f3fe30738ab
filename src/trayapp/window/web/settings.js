"use strict";

// The settings dialog: "Avvia all'accesso", read and changed through the
// resident process (XDG autostart entry, LaunchAgent or Run key). Uses
// api() from app.js, which loads first.
(() => {
  const dialog = document.getElementById("settings");
  const autostart = document.getElementById("autostart");
  const note = document.getElementById("autostart-note");
  const error = document.getElementById("settings-error");

  function show(status) {
    autostart.checked = status.enabled;
    note.textContent = status.enabled
      ? `All'accesso viene avviato: ${status.command}`
      : "trayapp non si avvia all'accesso.";
    note.title = status.location;
  }

  async function run(call) {
    autostart.disabled = true;
    error.textContent = "";
    try {
      show(await call());
    } catch (failure) {
      error.textContent = failure.message;
      return false;
    } finally {
      autostart.disabled = false;
    }
    return true;
  }

  async function open() {
    note.textContent = "";
    dialog.showModal();
    await run(() => api("autostart_status"));
  }

  async function change() {
    const requested = autostart.checked;
    if (!(await run(() => api("set_autostart", requested)))) {
      autostart.checked = !requested;
    }
  }

  document.getElementById("open-settings").addEventListener("click", open);
  document.getElementById("close-settings").addEventListener("click", () => dialog.close());
  autostart.addEventListener("change", change);
})();
