"""The `trayapp` command line, run as a user runs it, on the real keyring."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from desktop_env import find_secrets, register_mailto_handler
from trayapp.domain.credentials import SecretKind
from trayapp.os_errors import REASONS, italian_reason

SAMPLES = Path(__file__).resolve().parent / "data"
HEADER = "Tipo;Ragione sociale;Cognome;Nome;Codice fiscale;Partita IVA;Email\n"


def trayapp(
    *args: str, stdin: str | None = None, env=None
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "trayapp", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


@pytest.fixture
def small_list(tmp_path) -> Path:
    path = tmp_path / "clienti.csv"
    path.write_text(
        HEADER
        + "PG;ALFA & BETA S.R.L.;;;01314440460;01314440460;info@alfabeta.example.it\n"
        + "PF;;ROSSI;MARIO;DNNLSS63C58G224U;;mario.rossi@example.it\n"
        + "PF;;ROSSI;MARIO;CSTPPL57P19L219T;;\n",
        encoding="utf-8",
    )
    return path


def test_paths_json_under_trayapp_home(trayapp_home):
    result = trayapp("paths", "--json")
    assert result.returncode == 0, result.stderr
    paths = json.loads(result.stdout)
    assert paths["index"] == str(trayapp_home / "data" / "clients.json")
    assert paths["config"] == str(trayapp_home / "config")
    assert paths["logs"] == str(trayapp_home / "logs")


def test_list_json_fields_and_no_secrets(trayapp_home, keyring_daemon, small_list):
    assert trayapp("import", str(small_list)).returncode == 0
    stored = trayapp(
        "set-credentials",
        "DNNLSS63C58G224U",
        "--stdin",
        stdin="Segreta1!\n1234 567890\n",
    )
    assert stored.returncode == 0, stored.stderr
    assert "Segreta1!" not in stored.stdout + stored.stderr

    result = trayapp("list", "--json")

    assert result.returncode == 0, result.stderr
    clients = {client["codice_fiscale"]: client for client in json.loads(result.stdout)}
    assert set(clients) == {"01314440460", "DNNLSS63C58G224U", "CSTPPL57P19L219T"}
    rossi = clients["DNNLSS63C58G224U"]
    assert set(rossi) >= {
        "id",
        "kind",
        "name",
        "codice_fiscale",
        "partita_iva",
        "email",
        "pec",
        "linked_to",
        "user_id",
        "has_password",
        "has_pin",
        "password_changed_on",
    }
    assert rossi["kind"] == "persona_fisica"
    assert rossi["name"] == "ROSSI MARIO"
    assert rossi["user_id"] == "DNNLSS63C58G224U"
    assert rossi["has_password"] is True
    assert rossi["has_pin"] is True
    assert rossi["password_changed_on"] is not None
    assert clients["01314440460"]["has_password"] is False
    assert "Segreta1!" not in result.stdout
    assert "1234567890" not in result.stdout
    leaks = find_secrets([trayapp_home], {"Segreta1!", "1234567890"})
    assert leaks == []


def test_invalid_pin_stores_nothing(studio, small_list):
    studio.import_file(small_list)
    result = trayapp(
        "set-credentials",
        "DNNLSS63C58G224U",
        "--stdin",
        stdin="Nuova#Pw9\n12345678AB\n",
    )
    assert result.returncode == 1
    assert "PIN: deve avere 10 cifre" in result.stderr

    client = studio.resolve("DNNLSS63C58G224U")
    assert studio.secrets.get(client.id, SecretKind.PASSWORD) is None
    assert client.has_password is False


def test_bad_pin_changes_nothing(studio, small_list):
    studio.import_file(small_list)
    ok = trayapp(
        "set-credentials", "DNNLSS63C58G224U", "--stdin", stdin="Prima1!x\n1234567890\n"
    )
    assert ok.returncode == 0, ok.stderr

    bad = trayapp(
        "set-credentials", "DNNLSS63C58G224U", "--stdin", stdin="Dopo2!xx\n123\n"
    )

    assert bad.returncode == 1
    assert bad.stderr.strip() == (
        "trayapp: PIN: deve avere 10 cifre (Fisconline) o 8 lettere e cifre (Entratel)"
    )
    client = studio.resolve("DNNLSS63C58G224U")
    assert studio.secrets.get(client.id, SecretKind.PASSWORD) == "Prima1!x"
    assert studio.secrets.get(client.id, SecretKind.PIN) == "1234567890"


def test_password_with_line_break_rejected_without_echo(studio, small_list):
    studio.import_file(small_list)
    result = trayapp(
        "set-credentials", "DNNLSS63C58G224U", "--stdin", stdin="ab\tcd\n1234567890\n"
    )
    assert result.returncode == 1
    assert "Password: contiene caratteri di controllo" in result.stderr
    assert "ab\tcd" not in result.stderr


def test_ambiguous_name_lists_matches_and_exits_2(studio, small_list):
    studio.import_file(small_list)

    result = trayapp("login", "rossi mario")

    assert result.returncode == 2
    assert "«rossi mario» corrisponde a 2 clienti" in result.stderr
    assert "DNNLSS63C58G224U" in result.stderr
    assert "CSTPPL57P19L219T" in result.stderr


def test_unknown_client_exits_2(studio, small_list):
    studio.import_file(small_list)
    result = trayapp("email", "VRDLGU80A01H501X")
    assert result.returncode == 2
    assert "Nessun cliente corrisponde a «VRDLGU80A01H501X»" in result.stderr


def test_login_without_credentials_says_what_to_do(studio, small_list):
    studio.import_file(small_list)
    result = trayapp("login", "01314440460", "--no-wait")
    assert result.returncode == 1
    assert "credenziali mancanti" in result.stderr
    assert "trayapp set-credentials" in result.stderr


def test_email_reaches_mailto_handler(studio, small_list, tmp_path, x_display):
    studio.import_file(small_list)
    mail_env, record = register_mailto_handler(tmp_path / "mail")
    env = dict(os.environ, DISPLAY=x_display, **mail_env)
    env.pop("XDG_CURRENT_DESKTOP", None)

    result = trayapp("email", "01314440460", env=env)

    assert result.returncode == 0, result.stderr
    assert record.read_text(encoding="utf-8").splitlines() == [
        "mailto:info@alfabeta.example.it"
    ]


def test_email_without_handler_says_what_to_do(studio, small_list, tmp_path):
    studio.import_file(small_list)
    env = dict(os.environ, XDG_DATA_HOME=str(tmp_path), XDG_CONFIG_HOME=str(tmp_path))
    env.pop("DISPLAY", None)

    result = trayapp("email", "01314440460", env=env)

    assert result.returncode == 1
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("trayapp: Nessun programma di posta predefinito ha aperto")
    assert line.endswith(
        "Imposta un programma di posta predefinito nelle impostazioni del sistema."
    )


def test_email_without_address_explains(studio, small_list):
    studio.import_file(small_list)
    result = trayapp("email", "CSTPPL57P19L219T")
    assert result.returncode == 1
    assert "nessun indirizzo email in anagrafica" in result.stderr


def test_import_missing_file_names_it(trayapp_home, keyring_daemon, tmp_path):
    missing = tmp_path / "non-esiste.csv"
    result = trayapp("import", str(missing))
    assert result.returncode == 1
    assert result.stderr.strip() == f"trayapp: Il file {missing} non esiste"


def test_import_dry_run_prints_italian_summary(trayapp_home, keyring_daemon):
    result = trayapp("import", str(SAMPLES / "clienti-excel.csv"), "--dry-run")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(
        "Prova (nessun dato salvato): 300 da importare, 0 da aggiornare, 0 invariati"
    )
    assert (
        not (trayapp_home / "data" / "clients.json").exists()
        or json.loads(
            (trayapp_home / "data" / "clients.json").read_text(encoding="utf-8")
        ).get("clients", {})
        == {}
    )


def test_no_keyring_lists_but_refuses_secrets(trayapp_home, small_list, tmp_path):
    env = dict(os.environ, PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    with_secrets = tmp_path / "con-password.csv"
    with_secrets.write_text(
        "Cognome;Nome;Codice fiscale;Password;PIN\n"
        "ROSSI;MARIO;DNNLSS63C58G224U;Segreta1!;1234567890\n",
        encoding="utf-8",
    )

    imported = trayapp("import", str(small_list), env=env)
    listed = trayapp("list", "--json", env=env)
    refused = trayapp(
        "set-credentials",
        "DNNLSS63C58G224U",
        "--stdin",
        stdin="Segreta1!\n1234567890\n",
        env=env,
    )
    refused_import = trayapp("import", str(with_secrets), env=env)

    assert imported.returncode == 0, imported.stderr
    assert len(json.loads(listed.stdout)) == 3
    assert refused.returncode == 1
    assert refused.stderr.startswith(
        "trayapp: Nessun portachiavi di sistema disponibile"
    )
    assert refused_import.returncode == 1
    assert "Nessun portachiavi di sistema disponibile" in refused_import.stderr
    after = {
        c["codice_fiscale"]: c
        for c in json.loads(trayapp("list", "--json", env=env).stdout)
    }
    assert after["DNNLSS63C58G224U"]["has_password"] is False
    assert find_secrets(
        [trayapp_home, tmp_path / "con-password.csv"], {"Segreta1!"}
    ) == [(tmp_path / "con-password.csv", "Segreta1!")]


def test_no_keyring_reads_worded_as_reads(trayapp_home, small_list, tmp_path):
    """Commands that only read secrets report that they cannot read them."""
    env = dict(os.environ, PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)
    cannot_read = (
        "trayapp: Nessun portachiavi di sistema disponibile: password e PIN non "
        "possono essere letti. Su Linux installa e avvia GNOME Keyring o KWallet; "
        "su Windows e macOS il portachiavi di sistema è sempre presente."
    )
    passphrase = "frase di prova lunga\n"
    assert trayapp("import", str(small_list), env=env).returncode == 0

    backup = trayapp(
        "backup",
        str(tmp_path / "copia.bak"),
        "--passphrase-stdin",
        stdin=passphrase,
        env=env,
    )
    export = trayapp(
        "export",
        str(tmp_path / "clienti.kdbx"),
        "--passphrase-stdin",
        stdin=passphrase,
        env=env,
    )
    login = trayapp("login", "DNNLSS63C58G224U", "--no-wait", env=env)
    save = trayapp(
        "set-credentials",
        "DNNLSS63C58G224U",
        "--stdin",
        stdin="Segreta1!\n1234567890\n",
        env=env,
    )

    assert backup.returncode == 1
    assert backup.stderr.strip() == f"{cannot_read} Il backup non è stato scritto."
    assert not (tmp_path / "copia.bak").exists()
    assert export.returncode == 1
    assert export.stderr.strip() == (
        f"{cannot_read} Il file clienti.kdbx non è stato scritto."
    )
    assert not (tmp_path / "clienti.kdbx").exists()
    assert login.returncode == 1
    assert login.stderr.strip() == cannot_read
    # A save reads the current password first but reports that it cannot save.
    assert save.returncode == 1
    assert save.stderr.strip() == (
        "trayapp: Nessun portachiavi di sistema disponibile: password e PIN non "
        "possono essere salvati. Su Linux installa e avvia GNOME Keyring o KWallet; "
        "su Windows e macOS il portachiavi di sistema è sempre presente."
    )


# -- the home folder -------------------------------------------------------------


def test_home_that_is_a_file_refused(tmp_path):
    regular = tmp_path / "note.txt"
    regular.write_text("appunti", encoding="utf-8")
    env = dict(os.environ)
    env.pop("TRAYAPP_HOME", None)

    by_option = trayapp("--home", str(regular), "list", env=env)
    by_variable = trayapp("list", env=dict(env, TRAYAPP_HOME=str(regular)))

    assert by_option.returncode == 1
    assert by_option.stdout == ""
    assert by_option.stderr == (
        f"trayapp: la cartella {regular} non si può usare come home di trayapp: "
        "è un file. Indica con --home un'altra cartella.\n"
    )
    assert by_variable.returncode == 1
    assert by_variable.stderr == (
        f"trayapp: la cartella {regular} non si può usare come home di trayapp: "
        "è un file. Indica con TRAYAPP_HOME un'altra cartella.\n"
    )
    assert regular.read_text(encoding="utf-8") == "appunti"


@pytest.mark.parametrize(
    ("home", "reason"),
    [
        ("note.txt/trayapp", "una parte del percorso è un file, non una cartella"),
        (
            "/proc/trayapp-home",
            "il percorso non esiste e lì non si possono creare cartelle",
        ),
    ],
)
def test_home_that_cannot_be_made_refused(tmp_path, home, reason):
    (tmp_path / "note.txt").write_text("appunti", encoding="utf-8")
    folder = tmp_path / home
    env = dict(os.environ, TRAYAPP_HOME=str(folder))

    result = trayapp("list", env=env)

    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == (
        f"trayapp: la cartella {folder} non si può usare come home di trayapp: "
        f"non si può creare: {reason}. Indica con TRAYAPP_HOME un'altra cartella.\n"
    )


def test_home_logs_file_rejected(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "logs").write_text("", encoding="utf-8")

    result = trayapp("--home", str(home), "paths")

    assert result.returncode == 1
    assert result.stderr == (
        f"trayapp: la cartella {home / 'logs'} non si può usare come home di "
        "trayapp: è un file. Indica con --home un'altra cartella.\n"
    )


# -- set-credentials: the user id ---------------------------------------------------


@pytest.mark.parametrize(
    ("user_id", "error"),
    [
        (
            "abc",
            "trayapp: Utente Fisconline: «abc» non è il codice fiscale dell'utente: "
            "deve avere 16 caratteri (persona fisica) o 11 cifre (società o ente), "
            "ne ha 3",
        ),
        (
            "DNNLSS63C58G224X",
            "trayapp: Utente Fisconline: «DNNLSS63C58G224X» non è il codice fiscale "
            "dell'utente: il carattere di controllo non corrisponde: controlla di "
            "averlo scritto bene",
        ),
        (
            "",
            "trayapp: Utente Fisconline: è vuoto: indica il codice fiscale "
            "dell'utente Fisconline",
        ),
    ],
)
def test_bad_user_id_changes_nothing(studio, small_list, user_id, error):
    studio.import_file(small_list)
    stored = trayapp(
        "set-credentials",
        "DNNLSS63C58G224U",
        "--user-id",
        "CSTPPL57P19L219T",
        "--stdin",
        stdin="Prima1!x\n",
    )
    assert stored.returncode == 0, stored.stderr

    result = trayapp(
        "set-credentials",
        "DNNLSS63C58G224U",
        "--user-id",
        user_id,
        "--stdin",
        stdin="Dopo2!xx\n",
    )

    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == error + "\n"
    client = studio.resolve("DNNLSS63C58G224U")
    assert client.login_user_id == "CSTPPL57P19L219T"
    assert studio.secrets.get(client.id, SecretKind.PASSWORD) == "Prima1!x"


def test_user_id_saved_normalised(studio, small_list):
    studio.import_file(small_list)

    user_only = trayapp(
        "set-credentials",
        "DNNLSS63C58G224U",
        "--user-id",
        " dnnlss63c58g224u ",
        "--stdin",
        stdin="",
    )
    again = trayapp(
        "set-credentials",
        "DNNLSS63C58G224U",
        "--user-id",
        "DNNLSS63C58G224U",
        "--stdin",
        stdin="",
    )
    pin_only = trayapp(
        "set-credentials", "DNNLSS63C58G224U", "--stdin", stdin="\n1234567890\n"
    )
    both = trayapp(
        "set-credentials",
        "DNNLSS63C58G224U",
        "--stdin",
        stdin="Segreta1!\n0987654321\n",
    )

    assert user_only.returncode == 0, user_only.stderr
    assert user_only.stdout == (
        "ROSSI MARIO: utente DNNLSS63C58G224U salvato (credenziali ancora incomplete).\n"
    )
    assert again.stdout == (
        "ROSSI MARIO: l'utente era già DNNLSS63C58G224U, nessuna modifica "
        "(credenziali ancora incomplete).\n"
    )
    assert pin_only.stdout == (
        "ROSSI MARIO: PIN salvato nel portachiavi (credenziali ancora incomplete).\n"
    )
    assert both.stdout == (
        "ROSSI MARIO: password e PIN salvati nel portachiavi (credenziali complete).\n"
    )
    client = studio.resolve("DNNLSS63C58G224U")
    assert client.login_user_id == "DNNLSS63C58G224U"
    assert studio.secrets.get(client.id, SecretKind.PIN) == "0987654321"


# -- set-credentials on a terminal -------------------------------------------------


def test_terminal_asks_password_twice_and_refuses_a_mismatch(
    studio, small_list, trayapp_home
):
    from test_cli_import import Terminal

    studio.import_file(small_list)
    terminal = Terminal("set-credentials", "DNNLSS63C58G224U")
    terminal.expect("Password di ROSSI MARIO (invio: invariata): ")
    terminal.send("Segreta1!")
    terminal.expect("Ripeti: ")
    terminal.send("Segreta2!")
    refused = terminal.expect("modificato")

    assert terminal.finish() == 2
    assert "trayapp: le due password non coincidono: nulla è stato modificato" in (
        refused
    )
    client = studio.resolve("DNNLSS63C58G224U")
    assert studio.secrets.get(client.id, SecretKind.PASSWORD) is None
    assert client.has_password is False
    assert "Segreta" not in terminal.output
    assert find_secrets([trayapp_home], {"Segreta1!", "Segreta2!"}) == []


def test_terminal_asks_pin_twice_and_saves_both(studio, small_list, trayapp_home):
    from test_cli_import import Terminal

    studio.import_file(small_list)
    mismatch = Terminal("set-credentials", "DNNLSS63C58G224U")
    for prompt, answer in (
        ("Password di ROSSI MARIO (invio: invariata): ", "Segreta1!"),
        ("Ripeti: ", "Segreta1!"),
        ("PIN (invio: invariato): ", "1234567890"),
        ("Ripeti: ", "1234567899"),
    ):
        mismatch.expect(prompt)
        mismatch.send(answer)
    refused = mismatch.expect("modificato")
    assert mismatch.finish() == 2
    assert "trayapp: i due PIN non coincidono: nulla è stato modificato" in refused
    client = studio.resolve("DNNLSS63C58G224U")
    assert studio.secrets.get(client.id, SecretKind.PASSWORD) is None
    assert studio.secrets.get(client.id, SecretKind.PIN) is None

    terminal = Terminal("set-credentials", "DNNLSS63C58G224U")
    for prompt, answer in (
        ("Password di ROSSI MARIO (invio: invariata): ", "Segreta1!"),
        ("Ripeti: ", "Segreta1!"),
        ("PIN (invio: invariato): ", "1234567890"),
        ("Ripeti: ", "1234567890"),
    ):
        terminal.expect(prompt)
        terminal.send(answer)
    saved = terminal.expect("(credenziali complete).")

    assert terminal.finish() == 0
    assert "ROSSI MARIO: password e PIN salvati nel portachiavi" in saved
    assert studio.secrets.get(client.id, SecretKind.PASSWORD) == "Segreta1!"
    assert studio.secrets.get(client.id, SecretKind.PIN) == "1234567890"
    assert "Segreta1!" not in terminal.output + mismatch.output
    assert "1234567890" not in terminal.output + mismatch.output
    secrets = {"Segreta1!", "1234567890", "1234567899"}
    assert find_secrets([trayapp_home], secrets) == []


def test_terminal_empty_answers_ask_no_repeat(studio, small_list):
    from test_cli_import import Terminal

    studio.import_file(small_list)
    terminal = Terminal("set-credentials", "DNNLSS63C58G224U")
    terminal.expect("Password di ROSSI MARIO (invio: invariata): ")
    terminal.send("")
    terminal.expect("PIN (invio: invariato): ")
    terminal.send("")
    refused = terminal.expect("modificato")

    assert terminal.finish() == 2
    assert "Ripeti" not in terminal.output
    assert "trayapp: nessuna password, PIN o utente da salvare" in refused


# -- empty results -----------------------------------------------------------------


def test_list_of_an_empty_index_says_so(trayapp_home, keyring_daemon):
    result = trayapp("list")

    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert result.stderr == (
        "Nessun cliente nell'indice: aggiungili con «trayapp import FILE» o dalla "
        "rubrica.\n"
    )


def test_list_counts_one_client_in_the_singular(studio, tmp_path):
    one = tmp_path / "uno.csv"
    one.write_text(HEADER + "PF;;ROSSI;MARIO;DNNLSS63C58G224U;;\n", encoding="utf-8")
    studio.import_file(one)

    result = trayapp("list")

    assert result.returncode == 0, result.stderr
    assert result.stderr == "1 cliente\n"


def test_audit_without_entries_says_so(studio, small_list):
    studio.import_file(small_list)

    by_client = trayapp("audit", "--client", "DNNLSS63C58G224U")
    deleted = trayapp("audit", "--client", "c-eliminato")
    future = trayapp("audit", "--since", "2099-01-31")
    both = trayapp("audit", "--client", "DNNLSS63C58G224U", "--since", "2099-01-31")
    as_json = trayapp("audit", "--since", "2099-01-31", "--json")

    for result in (by_client, deleted, future, both, as_json):
        assert result.returncode == 0, result.stderr
    assert (by_client.stdout, by_client.stderr) == (
        "",
        "Nessuna voce nel registro per ROSSI MARIO.\n",
    )
    assert deleted.stderr == "Nessuna voce nel registro per c-eliminato.\n"
    assert (future.stdout, future.stderr) == (
        "",
        "Nessuna voce nel registro dal 31/01/2099.\n",
    )
    assert both.stderr == "Nessuna voce nel registro per ROSSI MARIO dal 31/01/2099.\n"
    assert (as_json.stdout, as_json.stderr) == ("[]\n", "")


# -- the import summary --------------------------------------------------------------


def test_import_summary_singular_and_preview(studio, tmp_path):
    path = tmp_path / "poche.csv"
    path.write_text(
        HEADER
        + "PF;;ROSSI;MARIO;dnnlss63c58g224u;;\n"
        + "PF;;VERDI;LUCA;NONVALIDO;;\n",
        encoding="utf-8",
    )

    preview = trayapp("import", str(path), "--dry-run")
    done = trayapp("import", str(path))
    again = trayapp("import", str(path))

    assert preview.returncode == 0, preview.stderr
    lines = preview.stdout.splitlines()
    assert lines[:2] == [
        "Prova (nessun dato salvato): 1 da importare, 0 da aggiornare, 0 invariati, "
        "1 riga da correggere, 1 riga da scartare",
        "Password e PIN: 0 da aggiungere, 0 da sostituire, 0 tenuti quelli già salvati",
    ]
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[:2] == [
        "1 importato, 0 aggiornati, 0 invariati, 1 riga corretta, 1 riga scartata",
        "Password e PIN: 0 aggiunti, 0 sostituiti, 0 tenuti quelli già salvati",
    ]
    assert again.stdout.splitlines()[0] == (
        "0 importati, 0 aggiornati, 1 invariato, 1 riga corretta, 1 riga scartata"
    )


def test_export_write_failure_in_italian(trayapp_home, keyring_daemon):
    # /sys takes no new files, so the system's own error text would show.
    result = trayapp("export", "/sys/trayapp-prova.csv")

    assert result.returncode == 1
    prefix = "trayapp: /sys/trayapp-prova.csv: scrittura non riuscita ("
    assert result.stderr.startswith(prefix)
    reason = result.stderr.removeprefix(prefix).rstrip("\n").removesuffix(")")
    assert reason in REASONS.values()


def test_unknown_system_error_keeps_its_text():
    assert italian_reason(OSError(errno.ENOTSUP, "Operation not supported")) == (
        "Operation not supported"
    )
    assert italian_reason(OSError(errno.EISDIR, "Is a directory")) == (
        "è una cartella, non un file"
    )


def test_empty_home_option_refused(tmp_path):
    result = trayapp("--home", "", "list", env=dict(os.environ, HOME=str(tmp_path)))

    assert result.returncode == 2
    assert result.stderr == (
        "trayapp: --home è vuoto: indica la cartella in cui tenere i dati di trayapp.\n"
    )
    assert list(tmp_path.iterdir()) == []
