"""`trayapp import` on a pseudo-terminal and from scripts, on the real keyring."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import time

from desktop_env import find_secrets
from import_samples import (
    RENAMED_CHOICES,
    SAMPLE_CSV,
    clients_by_cf,
    keyring_items,
    sample_table,
    write_newer_passwords,
    write_renamed_csv,
    write_renamed_xlsx,
)
from test_import_mapping import baseline  # noqa: F401 - fixture
from trayapp.importing.mapping import field_choices


class Terminal:
    """trayapp run with a pseudo-terminal as its standard input, output and error."""

    def __init__(self, *args: str) -> None:
        master, slave = pty.openpty()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "trayapp", *args],
            stdin=slave,
            stdout=slave,
            stderr=slave,
            start_new_session=True,
        )
        os.close(slave)
        self._master = master
        self.output = ""
        self._seen = 0

    def _read(self, timeout: float) -> bool:
        ready, _, _ = select.select([self._master], [], [], timeout)
        if not ready:
            return True
        try:
            data = os.read(self._master, 65536)
        except OSError:
            data = b""
        self.output += data.decode("utf-8", "replace")
        return bool(data)

    def expect(self, text: str, timeout: float = 90) -> str:
        """Wait for `text` after what was already expected; return the output up to it."""
        deadline = time.monotonic() + timeout
        while text not in self.output[self._seen :]:
            if time.monotonic() > deadline or not self._read(0.2):
                raise AssertionError(f"{text!r} not shown; output:\n{self.output}")
        end = self.output.index(text, self._seen) + len(text)
        shown, self._seen = self.output[self._seen : end], end
        return shown

    def send(self, line: str) -> None:
        os.write(self._master, (line + "\n").encode("utf-8"))

    def finish(self, timeout: float = 120) -> int:
        deadline = time.monotonic() + timeout
        while self._read(0.2) and time.monotonic() < deadline:
            pass
        os.close(self._master)
        return self.process.wait(10)


def trayapp(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "trayapp", *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=180,
    )


def sample_passwords() -> set[str]:
    table = sample_table()
    column = table[0].index("Password")
    return {row[column] for row in table[1:] if row[column]}


def test_terminal_maps_previews_confirms(
    trayapp_home,
    studio,
    baseline,  # noqa: F811
    tmp_path,
):
    path = write_renamed_csv(tmp_path / "altro-programma.csv")
    partita_iva = [value for value, _ in field_choices()].index("partita_iva") + 1
    answers = {
        "Cod. identificativo": "codice_fiscale",
        "Numero IVA": str(partita_iva),
        "Indirizzo posta": "Email",
        "Parola chiave": "password",
        "Codice segreto": "PIN",
    }
    index_before = studio.paths.index_file.read_bytes()
    keyring_before = keyring_items()
    terminal = Terminal("import", str(path))

    terminal.expect("Campi disponibili:")
    for header, answer in answers.items():
        asked = terminal.expect(f"Campo per «{header}» [numero o nome del campo]: ")
        assert f"Colonna «{header}» non riconosciuta" in asked
        if header in ("Parola chiave", "Codice segreto"):
            assert "esempi nascosti" in asked
        terminal.send(answer)
    preview = terminal.expect("Importare questi dati? [s/N] ")
    assert (
        "Anteprima (nessun dato ancora salvato): 300 da importare, 0 da aggiornare"
        in preview
    )
    assert "Controllo 300/300 righe" in preview
    assert "Password e PIN: " in preview
    assert "riga " in preview
    assert studio.paths.index_file.read_bytes() == index_before
    assert keyring_items() == keyring_before
    terminal.send("s")
    imported = terminal.expect("scartat", 180)
    assert "300 importati, 0 aggiornati, 0 invariati" in imported
    assert "Importazione 300/300 righe" in imported
    assert terminal.finish() == 0

    assert clients_by_cf(studio) == baseline
    assert not any(password in terminal.output for password in sample_passwords())
    assert find_secrets([trayapp_home], sample_passwords()) == []


def test_terminal_proposes_remembered_choices(trayapp_home, keyring_daemon, tmp_path):
    first = write_renamed_csv(tmp_path / "gennaio.csv")
    options = [f"--map={header}={field}" for header, field in RENAMED_CHOICES.items()]
    assert trayapp("import", str(first), *options).returncode == 0

    terminal = Terminal("import", str(write_renamed_xlsx(tmp_path / "febbraio.xlsx")))
    terminal.expect("Campo per «Cod. identificativo» [invio: Codice fiscale]: ")
    terminal.send("")
    asked = terminal.expect("Campo per «Numero IVA» [invio: Partita IVA]: ")
    assert "(scelta ricordata: Partita IVA)" in asked
    terminal.send("")
    for header in ("Indirizzo posta", "Parola chiave", "Codice segreto"):
        terminal.expect(f"Campo per «{header}» [invio: ")
        terminal.send("")
    preview = terminal.expect("Importare questi dati? [s/N] ")
    assert "0 da importare, 0 da aggiornare, 300 invariati" in preview
    terminal.send("n")
    assert "Importazione annullata" in terminal.expect("modificato.")
    assert terminal.finish() == 1


def test_cancelled_confirmation_writes_nothing(studio, tmp_path):
    studio.import_file(SAMPLE_CSV)
    path = write_newer_passwords(tmp_path / "nuove-password.txt")
    index_before = studio.paths.index_file.read_bytes()
    keyring_before = keyring_items()

    terminal = Terminal("import", str(path))
    preview = terminal.expect("Importare questi dati? [s/N] ")
    terminal.send("n")
    cancelled = terminal.expect("nessun dato è stato modificato.")
    code = terminal.finish()
    dry_run = trayapp("import", str(path), "--dry-run")
    as_json = trayapp("import", str(path), "--dry-run", "--json")

    assert "Anteprima (nessun dato ancora salvato): 0 da importare, " in preview
    assert " da sostituire, " in preview
    assert "Importazione annullata" in cancelled
    assert code == 1
    assert dry_run.returncode == 0, dry_run.stderr
    assert dry_run.stdout.startswith("Prova (nessun dato salvato): 0 da importare")
    report = json.loads(as_json.stdout)
    assert report["dry_run"] is True
    assert report["updated"] == len(report["secrets_replaced"]) > 0
    assert studio.paths.index_file.read_bytes() == index_before
    assert keyring_items() == keyring_before


def test_script_without_mapping_names_columns(trayapp_home, keyring_daemon, tmp_path):
    path = write_renamed_csv(tmp_path / "altro-programma.csv")

    result = trayapp("import", str(path))

    assert result.returncode == 2
    assert result.stderr.startswith(
        "trayapp: altro-programma.csv: colonne non riconosciute: «Cod. identificativo» "
        "(es. 01314440460, DNNLSS63C58G224U, LMBLSS64D60L736G)"
    )
    assert '--map "Colonna=campo" (ripetibile)' in result.stderr
    assert '--map "Cod. identificativo=ignora" per non importarla' in result.stderr
    assert not any(password in result.stderr for password in sample_passwords())
    assert json.loads(trayapp("list", "--json").stdout) == []


def test_script_map_options_import(trayapp_home, studio, baseline, tmp_path):  # noqa: F811
    path = write_renamed_xlsx(tmp_path / "altro-programma.xlsx")
    options = [f"--map={header}={field}" for header, field in RENAMED_CHOICES.items()]

    result = trayapp("import", str(path), *options, "--json")
    bad = trayapp("import", str(path), "--map", "Numero IVA")

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["imported"] == 300
    assert clients_by_cf(studio) == baseline
    assert bad.returncode == 2
    assert bad.stderr.startswith(
        'trayapp: --map «Numero IVA»: usa --map "Colonna=campo"'
    )


def test_same_field_twice_asked_again():
    import io

    from trayapp.import_command import ask_fields
    from trayapp.importing.mapping import Column

    columns = [
        Column(0, "Mail 1", None, False, (), False),
        Column(1, "Mail 2", None, False, (), False),
    ]
    stderr = io.StringIO()

    answers = ask_fields(columns, io.StringIO("email\nemail\npec\n"), stderr)

    assert answers == {"Mail 1": "email", "Mail 2": "pec"}
    assert "è già scelto per la colonna «Mail 1»" in stderr.getvalue()
