"""The `trayapp` command: the tray by default, and subcommands for scripts."""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import multiprocessing
import os
import sys
from pathlib import Path
from typing import Any

from trayapp import __version__
from trayapp.cli_texts import ItalianArgumentParser, italian_argparse_messages
from trayapp.domain.client import KIND_LABELS, Client
from trayapp.domain.validation import FieldError
from trayapp.exchange import commands as exchange_commands

log = logging.getLogger(__name__)

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2

TARGET_CHOICES = ("cassetto", "fatture", "area-riservata")
CLIENT_HELP = "codice fiscale, partita IVA, id di «trayapp list» o nome"


def _integer(text: str) -> int:
    """Convert an option value to int, with an Italian message for other text.

    With type=int, argparse would report an "invalid int value".
    """
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"non è un numero intero: {text!r}") from None


def build_parser() -> argparse.ArgumentParser:
    parser = ItalianArgumentParser(
        prog="trayapp",
        description="Clienti dello studio, accesso al cassetto fiscale ed email dalla tray.",
    )
    parser.add_argument("--version", action="version", version=f"trayapp {__version__}")
    parser.add_argument(
        "--debug", action="store_true", help="log dettagliato di trayapp"
    )
    parser.add_argument(
        "--home",
        metavar="CARTELLA",
        help="tieni indice, configurazione e log in CARTELLA (come TRAYAPP_HOME)",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMANDO")

    commands.add_parser(
        "tray",
        help="avvia l'icona nella tray (predefinito)",
        description="Avvia l'icona nella tray, con i clienti nel menu. È il comando "
        "predefinito: «trayapp» da solo fa lo stesso.",
    )
    commands.add_parser(
        "rubrica",
        help="apre la rubrica clienti (avvia la tray se serve)",
        description="Apre la finestra della rubrica clienti; se la tray non è in "
        "esecuzione, la avvia.",
    )

    listing = commands.add_parser(
        "list",
        help="elenca i clienti",
        description="Elenca i clienti dell'indice, in ordine di nome, con id, codice "
        "fiscale e stato delle credenziali.",
    )
    listing.add_argument("--json", action="store_true", help="stampa un array JSON")

    importing = commands.add_parser(
        "import",
        help="importa un elenco clienti CSV, testo Unicode di Excel o XLSX",
        description="Importa un elenco clienti da un file CSV, testo Unicode di "
        "Excel (UTF-16) o XLSX: mostra l'anteprima e chiede conferma prima di "
        "salvare.",
    )
    importing.add_argument(
        "file", type=Path, metavar="FILE", help="il file .csv, .txt o .xlsx"
    )
    importing.add_argument(
        "--dry-run",
        action="store_true",
        help="mostra solo l'anteprima: cosa sarebbe importato, corretto e scartato",
    )
    importing.add_argument(
        "--json", action="store_true", help="stampa il resoconto in JSON, senza domande"
    )
    importing.add_argument(
        "--map",
        action="append",
        metavar='"COLONNA=CAMPO"',
        help="associa una colonna non riconosciuta a un campo, o a «ignora» (ripetibile)",
    )
    importing.add_argument(
        "--yes",
        action="store_true",
        help="importa senza chiedere conferma dopo l'anteprima",
    )

    login = commands.add_parser(
        "login",
        help="accede al portale come il cliente",
        description="Accede al portale dell'Agenzia delle Entrate con le credenziali "
        "del cliente, in un browser aperto da trayapp.",
    )
    login.add_argument("client", metavar="CLIENTE", help=CLIENT_HELP)
    login.add_argument(
        "--target",
        choices=TARGET_CHOICES,
        default=None,
        help="pagina da aprire dopo l'accesso: cassetto fiscale (predefinito), "
        "fatture e corrispettivi o area riservata",
    )
    login.add_argument(
        "--no-wait",
        action="store_true",
        help="esce subito dopo l'esito, chiudendo il browser",
    )

    unblock = commands.add_parser(
        "unblock",
        help="riattiva il Login dopo accessi rifiutati o un'utenza bloccata",
        description="Azzera il contatore degli accessi rifiutati del cliente e "
        "riattiva il Login, dopo aver sistemato le credenziali o sbloccato l'utenza.",
    )
    unblock.add_argument("client", metavar="CLIENTE", help=CLIENT_HELP)

    renewal = commands.add_parser(
        "new-password",
        help="genera una nuova password valida per il portale e la salva dopo conferma",
        description="Genera una nuova password valida per il portale e la mostra; "
        "dopo che l'hai impostata sul portale e confermato nel terminale, la salva "
        "e tiene la precedente.",
    )
    renewal.add_argument("client", metavar="CLIENTE", help=CLIENT_HELP)
    renewal.add_argument(
        "--length",
        type=_integer,
        default=12,
        metavar="N",
        help="lunghezza, da 8 a 15 caratteri (12)",
    )
    restore = commands.add_parser(
        "restore-password",
        help="rimette la password precedente, qualunque modifica l'abbia sostituita",
        description="Rimette la password precedente del cliente, se sul portale vale "
        "ancora quella, qualunque modifica l'abbia sostituita: «trayapp "
        "new-password», «trayapp set-credentials» o la scheda della rubrica. La "
        "password attuale diventa la precedente, quindi ripetere il comando annulla "
        "il ripristino.",
    )
    restore.add_argument("client", metavar="CLIENTE", help=CLIENT_HELP)

    audit = commands.add_parser(
        "audit",
        help="mostra il registro delle operazioni",
        description="Mostra il registro delle operazioni: accessi, modifiche, "
        "importazioni, backup ed esportazioni, con data, utente ed esito.",
    )
    audit.add_argument(
        "--client",
        metavar="CLIENTE",
        default=None,
        help="solo le voci di questo cliente (anche se è stato eliminato: usa l'id)",
    )
    audit.add_argument("--since", metavar="AAAA-MM-GG", default=None, help="dal giorno")
    audit.add_argument("--json", action="store_true", help="stampa un array JSON")

    email = commands.add_parser(
        "email",
        help="nuovo messaggio al cliente",
        description="Apre un nuovo messaggio all'email del cliente nel programma di "
        "posta predefinito.",
    )
    email.add_argument("client", metavar="CLIENTE", help=CLIENT_HELP)

    credentials = commands.add_parser(
        "set-credentials",
        help="salva password e PIN del cliente nel portachiavi",
        description="Salva password e PIN del cliente nel portachiavi del sistema e, "
        "con --user-id, l'utente Fisconline/Entratel. In un terminale password e PIN "
        "si scrivono due volte, senza mostrarli.",
    )
    credentials.add_argument("client", metavar="CLIENTE", help=CLIENT_HELP)
    credentials.add_argument(
        "--stdin",
        action="store_true",
        help="legge password e PIN da due righe dello standard input (riga vuota: invariato)",
    )
    credentials.add_argument(
        "--user-id",
        default=None,
        metavar="UTENTE",
        help="utente Fisconline/Entratel: il codice fiscale del titolare",
    )
    credentials.add_argument(
        "--remove-password",
        action="store_true",
        help="rimuove la password salvata, che resta come precedente per "
        "«trayapp restore-password»",
    )
    credentials.add_argument(
        "--remove-pin", action="store_true", help="rimuove il PIN salvato"
    )

    exchange_commands.add_parsers(commands)

    paths = commands.add_parser(
        "paths",
        help="mostra dove sono indice, configurazione e log",
        description="Mostra le cartelle e i file dove trayapp tiene indice, "
        "configurazione e log.",
    )
    paths.add_argument("--json", action="store_true", help="stampa un oggetto JSON")

    autostart = commands.add_parser(
        "autostart",
        help="attiva, disattiva o mostra l'avvio all'accesso",
        description="Attiva (on) o disattiva (off) l'avvio di trayapp all'accesso "
        "al computer, o ne mostra lo stato (status).",
    )
    autostart.add_argument(
        "action",
        choices=("on", "off", "status"),
        metavar="on|off|status",
        help="attiva, disattiva o mostra lo stato",
    )
    commands.add_parser(
        "self-test",
        help="controlla icone, portachiavi, pagine della rubrica, profilo di "
        "accesso, browser per il login e processi figli",
        description="Controlla icone, portachiavi, pagine della rubrica, profilo di "
        "accesso, browser per il login e avvio dei processi figli, e stampa l'esito "
        "di ogni controllo.",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    multiprocessing.freeze_support()
    if os.name == "posix":
        # Index, logs, audit and backups name clients: keep every file private.
        os.umask(0o077)
    parser = build_parser()
    with italian_argparse_messages():
        args = parser.parse_args(argv)
    command = args.command or "tray"
    if args.home is not None and not args.home.strip():
        _fail("--home è vuoto: indica la cartella in cui tenere i dati di trayapp.")
        return EXIT_USAGE
    home_option = "--home" if args.home else "TRAYAPP_HOME"
    if args.home:
        os.environ["TRAYAPP_HOME"] = str(Path(args.home).expanduser().resolve())

    from trayapp.logs import configure_logging
    from trayapp.paths import folder_error_reason, home_problem, resolve_paths

    if os.environ.get("TRAYAPP_HOME"):
        problem = home_problem(Path(os.environ["TRAYAPP_HOME"]).expanduser().resolve())
        if problem:
            _fail(f"{problem}. Indica con {home_option} un'altra cartella.")
            return EXIT_FAILED
    paths = resolve_paths()
    try:
        configure_logging(
            paths.log_file, debug=args.debug, to_stderr=args.debug and command != "tray"
        )
    except OSError as error:
        _fail(
            f"la cartella dei log {paths.log_dir} non si può usare: "
            f"{folder_error_reason(error)}"
        )
        return EXIT_FAILED
    if command == "paths":
        return _paths(args, paths)
    if command == "autostart":
        return _autostart(args)
    if command == "self-test":
        from trayapp.selftest import run_checks

        checks = run_checks()
        for check in checks:
            print(check.line())
        return EXIT_OK if all(check.ok for check in checks) else EXIT_FAILED
    from trayapp import instance

    lock = None
    channel = None
    if command in ("tray", "rubrica"):
        if _hand_over_to_running_instance(paths):
            return EXIT_OK
        lock = instance.acquire_lock(paths.data_dir)
        if lock is None:
            # Another start holds the lock but has not published its channel yet.
            if _wait_for_instance(paths):
                return EXIT_OK
            _fail("un'altra istanza di trayapp si sta avviando: riprova tra poco")
            return EXIT_FAILED
    elif command in WRITE_COMMANDS:
        lock, channel = _writer_access(paths)
        if lock is None and channel is None:
            _fail(
                "un'altra istanza di trayapp sta modificando i dati da più di "
                f"{WRITER_WAIT_SECONDS // 60} minuti: riprova quando ha finito"
            )
            return EXIT_FAILED

    from trayapp.app import (
        AmbiguousClient,
        ClientNotFound,
        LoginRefused,
        MissingCredentials,
        open_studio,
    )
    from trayapp.config import ConfigError
    from trayapp.exchange.files import ExchangeError
    from trayapp.importing.readers import ImportFileError
    from trayapp.ipc import ChannelClosed, RpcError
    from trayapp.secretstore.base import SecretStoreError
    from trayapp.storage.base import IndexStorageError

    try:
        studio = open_studio()
    except (SecretStoreError, IndexStorageError, ConfigError) as error:
        _fail(str(error))
        return EXIT_FAILED
    if studio.index.recovery_notice:
        _fail(studio.index.recovery_notice)
    if lock is not None and command in WRITE_COMMANDS:
        studio.remove_interrupted_secrets()
    if channel is not None:
        from trayapp.remote import RemoteStudio

        if command == "login":
            different = _settings_unlike_tray(channel)
            if different:
                _fail(
                    f"la tray in esecuzione ha {different} diverso da questo comando, "
                    "e il Login lo farebbe la tray con il proprio valore. Esci dalla "
                    "tray, oppure avviala con la stessa impostazione, e riprova."
                )
                studio.close()
                return EXIT_FAILED
        studio = RemoteStudio(studio, channel)  # type: ignore[assignment]
    try:
        handler = _HANDLERS[command]
        return handler(args, studio)
    except AmbiguousClient as error:
        _fail(str(error))
        for client in error.matches:
            print(
                f"  {client.id}  {client.codice_fiscale}  {client.name}",
                file=sys.stderr,
            )
        return EXIT_USAGE
    except ClientNotFound as error:
        _fail(str(error))
        return EXIT_USAGE
    except (
        ExchangeError,
        FieldError,
        ImportFileError,
        LoginRefused,
        MissingCredentials,
        SecretStoreError,
    ) as error:
        _fail(str(error))
        return EXIT_FAILED
    except IndexStorageError as error:
        _fail(str(error))
        return EXIT_FAILED
    except KeyboardInterrupt:
        return EXIT_FAILED
    except ChannelClosed as error:
        log.warning("the running tray closed the channel during %s: %r", command, error)
        _fail(TRAY_CLOSED_MESSAGE)
        return EXIT_FAILED
    except BrokenPipeError:
        # The reader of our output (head, less) went away: nothing to report.
        sys.stderr.close()
        return EXIT_OK
    except RpcError as error:
        _fail(error.message)
        return EXIT_FAILED
    except (EOFError, ConnectionResetError, ConnectionAbortedError) as error:
        if channel is None:
            raise
        log.warning("the running tray closed the channel during %s: %r", command, error)
        _fail(TRAY_CLOSED_MESSAGE)
        return EXIT_FAILED
    finally:
        studio.close()
        if lock is not None:
            lock.release()


# Commands that change the index or the keyring. While a tray runs they go
# through it, so there is only ever one writer.
WRITE_COMMANDS = (
    "import",
    "set-credentials",
    "unblock",
    "new-password",
    "restore-password",
    "login",
    "email",
    *exchange_commands.WRITE_COMMANDS,
)
INSTANCE_WAIT_SECONDS = 15
# Another command may be importing a long list into a slow keyring.
WRITER_WAIT_SECONDS = 600
WRITER_NOTICE_SECONDS = 2
TRAY_CLOSED_MESSAGE = (
    "la tray di trayapp si è chiusa mentre eseguiva il comando. Riavviala e "
    "controlla con «trayapp list» che cosa è stato salvato prima di riprovare."
)


def _settings_unlike_tray(channel) -> str:
    """Return the login variables whose value here differs from the tray's, joined."""
    from trayapp.ipc import RpcError
    from trayapp.remote import LOGIN_SETTINGS

    try:
        tray_values = channel.call("login_settings")
    except RpcError:
        # A tray of an older version: it cannot tell, so nothing is compared.
        return ""
    different = [
        name
        for name in LOGIN_SETTINGS
        if os.environ.get(name, "") != tray_values.get(name, "")
    ]
    return ", ".join(different)


def _writer_access(paths):
    """Return (lock, None) to write here, (None, channel) to write through the tray.

    Another command that holds the lock is waited for, with a notice on
    stderr; (None, None) means it still held the lock after WRITER_WAIT_SECONDS.
    """
    import time

    from trayapp import instance

    started = time.monotonic()
    noticed = False
    while True:
        lock = instance.acquire_lock(paths.data_dir)
        if lock is not None:
            return lock, None
        channel = instance.connect(paths.data_dir)
        if channel is not None:
            return None, channel
        waited = time.monotonic() - started
        if waited > WRITER_WAIT_SECONDS:
            return None, None
        if not noticed and waited > WRITER_NOTICE_SECONDS:
            _fail(
                "un'altra istanza di trayapp sta modificando i dati: attendo che finisca"
            )
            noticed = True
        time.sleep(0.2)


def _wait_for_instance(paths) -> bool:
    import time

    deadline = time.monotonic() + INSTANCE_WAIT_SECONDS
    while time.monotonic() < deadline:
        if _hand_over_to_running_instance(paths):
            return True
        time.sleep(0.2)
    return False


def _hand_over_to_running_instance(paths) -> bool:
    """Ask a running tray to show the rubrica; return whether one replied."""
    from trayapp import instance
    from trayapp.ipc import RpcError

    client = instance.connect(paths.data_dir)
    if client is None:
        return False
    try:
        client.call("open_window")
    except (RpcError, OSError, EOFError) as error:
        log.warning("the running instance did not open the window: %s", error)
        return False
    finally:
        client.close()
    print("trayapp è già in esecuzione: aperta la rubrica.", file=sys.stderr)
    return True


def _fail(message: str) -> None:
    print(f"trayapp: {message}", file=sys.stderr)


def _paths(args, paths) -> int:
    if args.json:
        print(json.dumps(paths.as_dict(), ensure_ascii=False))
    else:
        for key, value in paths.as_dict().items():
            print(f"{key:8} {value}")
    return EXIT_OK


def _autostart(args) -> int:
    from trayapp.desktop import autostart

    try:
        entry = autostart.autostart_for()
        if args.action == "on":
            status = autostart.enable(entry)
        elif args.action == "off":
            status = autostart.disable(entry)
        else:
            status = entry.status()
    except autostart.AutostartError as error:
        _fail(str(error))
        return EXIT_FAILED
    print(status.describe())
    return EXIT_OK


def client_summary(client: Client, studio) -> dict[str, Any]:
    """Return the fields `trayapp list --json` prints for a client; never a secret."""
    changed = client.password_changed_on
    status, days_left = studio.password_status(client)
    return {
        "id": client.id,
        "kind": client.kind.value,
        "name": client.name,
        "codice_fiscale": client.codice_fiscale,
        "partita_iva": client.partita_iva,
        "email": client.email,
        "pec": client.pec,
        "linked_to": client.linked_to or None,
        "role": client.role,
        "user_id": client.login_user_id,
        "has_password": client.has_password,
        "has_pin": client.has_pin,
        "password_changed_on": changed.isoformat() if changed else None,
        "password_status": status.value,
        "password_days_left": days_left,
        "pin_lapses_on": client.pin_lapses_on.isoformat()
        if client.pin_lapses_on
        else None,
        "login_failures": client.login_failures,
        "account_locked": client.account_locked,
        "last_login_at": client.last_login_at or None,
        "last_login_outcome": client.last_login_outcome or None,
    }


def _list(args, studio) -> int:
    clients = sorted(studio.clients(), key=lambda client: client.name.casefold())
    if args.json:
        print(
            json.dumps(
                [client_summary(c, studio) for c in clients],
                ensure_ascii=False,
                indent=1,
            )
        )
        return EXIT_OK
    names = {client.id: client.name for client in clients}
    for client in clients:
        link = (
            f"  → {names.get(client.linked_to, '?')} ({client.role})"
            if client.linked_to
            else ""
        )
        credentials = "credenziali" if client.has_credentials else "senza credenziali"
        print(
            f"{client.id}  {client.codice_fiscale:16}  {KIND_LABELS[client.kind]:14}  "
            f"{client.name}  [{credentials}]{link}"
        )
    if not clients:
        print(
            "Nessun cliente nell'indice: aggiungili con «trayapp import FILE» o "
            "dalla rubrica.",
            file=sys.stderr,
        )
    elif len(clients) == 1:
        print("1 cliente", file=sys.stderr)
    else:
        print(f"{len(clients)} clienti", file=sys.stderr)
    return EXIT_OK


def _import(args, studio) -> int:
    from trayapp.import_command import run_import

    return run_import(args, studio)


def _login(args, studio) -> int:
    from trayapp.login.browser import BrowserNotFound
    from trayapp.login.profile import ProfileError

    client = studio.resolve(args.client)
    try:
        result = studio.login(client.id, args.target)
    except (BrowserNotFound, ProfileError, ValueError) as error:
        _fail(str(error))
        return EXIT_FAILED
    print(f"{client.name}: {result.message}")
    if not result.ok:
        return EXIT_FAILED
    if not args.no_wait:
        print(
            "Il browser resta aperto: chiudi la finestra per terminare.",
            file=sys.stderr,
        )
        studio.wait_for_browser()
    return EXIT_OK


def _unblock(args, studio) -> int:
    client = studio.resolve(args.client)
    studio.unblock(client.id)
    print(f"{client.name}: Login di nuovo attivo (contatore dei tentativi azzerato).")
    return EXIT_OK


def _new_password(args, studio) -> int:
    from trayapp.domain.passwords import MAX_LENGTH, MIN_LENGTH, generate_password

    client = studio.resolve(args.client)
    if not MIN_LENGTH <= args.length <= MAX_LENGTH:
        _fail(
            f"--length: la password deve avere da {MIN_LENGTH} a {MAX_LENGTH} caratteri"
        )
        return EXIT_USAGE
    if not sys.stdin.isatty():
        _fail(
            "nessun terminale per confermare che la nuova password è stata impostata "
            "sul portale: esegui «trayapp new-password» in un terminale"
        )
        return EXIT_USAGE
    password = generate_password(args.length)
    # Showing the new password is the point of this command: the user types
    # it on the portal. It goes to the terminal only, never to the log.
    print(f"Nuova password per {client.name}: {password}")
    print(
        "Impostala sul portale (Profilo utente > Cambia password), poi conferma qui.",
        file=sys.stderr,
    )
    print("L'hai impostata sul portale? [s/N] ", end="", file=sys.stderr, flush=True)
    answer = sys.stdin.readline().strip().lower()
    if answer not in ("s", "si", "sì", "y", "yes"):
        print(
            "Nessuna modifica: la password salvata resta quella di prima.",
            file=sys.stderr,
        )
        return EXIT_FAILED
    studio.renew_password(client.id, password)
    print(
        f"Nuova password di {client.name} salvata; la precedente resta nel portachiavi "
        f"(«trayapp restore-password {client.codice_fiscale}» per tornare indietro).",
        file=sys.stderr,
    )
    return EXIT_OK


def _restore_password(args, studio) -> int:
    client = studio.resolve(args.client)
    studio.restore_previous_password(client.id)
    print(f"{client.name}: ripristinata la password precedente.")
    return EXIT_OK


def _audit(args, studio) -> int:
    from datetime import date

    from trayapp.app import ClientNotFound
    from trayapp.audit import ACTION_LABELS, outcome_label

    client_id = ""
    client_name = ""
    if args.client:
        try:
            client = studio.resolve(args.client)
            client_id, client_name = client.id, client.name
        except ClientNotFound:
            # A deleted client is no longer in the index but still in the log.
            client_id = client_name = args.client.strip()
    since = None
    if args.since:
        try:
            since = date.fromisoformat(args.since)
        except ValueError:
            _fail(f"--since: «{args.since}» non è una data AAAA-MM-GG")
            return EXIT_USAGE
    entries = studio.audit.entries(client_id, since) if studio.audit else []
    if args.json:
        print(json.dumps(entries, ensure_ascii=False))
        return EXIT_OK
    if not entries:
        scope = f" per {client_name}" if client_name else ""
        if since is not None:
            scope += f" dal {since:%d/%m/%Y}"
        print(f"Nessuna voce nel registro{scope}.", file=sys.stderr)
        return EXIT_OK
    for entry in entries:
        action = ACTION_LABELS.get(entry["action"], entry["action"])
        outcome = outcome_label(entry["outcome"])
        extra = " ".join(part for part in (outcome, entry["detail"]) if part)
        print(
            f"{entry['at']}  {entry['user']}  {action}  "
            f"{entry['client_name'] or '-'}  {extra}".rstrip()
        )
    return EXIT_OK


def _email(args, studio) -> int:
    from trayapp.desktop.mailto import MailtoError
    from trayapp.desktop.opener import OpenError

    client = studio.resolve(args.client)
    try:
        studio.send_email(client.id)
    except (MailtoError, OpenError) as error:
        _fail(str(error))
        return EXIT_FAILED
    print(f"Nuovo messaggio a {client.email} aperto nel programma di posta.")
    return EXIT_OK


def _set_credentials(args, studio) -> int:
    from trayapp.domain.credentials import SecretKind
    from trayapp.domain.validation import check_user_id

    client = studio.resolve(args.client)
    removals = [
        kind
        for kind, chosen in (
            (SecretKind.PASSWORD, args.remove_password),
            (SecretKind.PIN, args.remove_pin),
        )
        if chosen
    ]
    if removals:
        if args.stdin or args.user_id is not None:
            _fail(
                "--remove-password e --remove-pin non si combinano con --stdin o "
                "--user-id: nulla è stato modificato"
            )
            return EXIT_USAGE
        updated = studio.remove_secrets(client.id, removals)
        if len(removals) == 2:
            removed = "password e PIN rimossi"
        elif removals[0] is SecretKind.PASSWORD:
            removed = "password rimossa"
        else:
            removed = "PIN rimosso"
        state = "complete" if updated.has_credentials else "incomplete"
        print(f"{client.name}: {removed} dal portachiavi (credenziali {state}).")
        return EXIT_OK
    if args.user_id is not None:
        # Checked before the prompts, so a mistyped user id costs no typing.
        check_user_id(args.user_id)
    if args.stdin:
        read = _read_secret_lines(sys.stdin.buffer.read())
        if isinstance(read, str):
            _fail(read)
            return EXIT_USAGE
        password, pin = read
    else:
        if not sys.stdin.isatty():
            _fail("nessun terminale per chiedere la password: usa --stdin")
            return EXIT_USAGE
        typed_password = _ask_twice(f"Password di {client.name} (invio: invariata): ")
        if typed_password is None:
            _fail("le due password non coincidono: nulla è stato modificato")
            return EXIT_USAGE
        typed_pin = _ask_twice("PIN (invio: invariato): ")
        if typed_pin is None:
            _fail("i due PIN non coincidono: nulla è stato modificato")
            return EXIT_USAGE
        password, pin = typed_password, typed_pin
    if not password and not pin and args.user_id is None:
        _fail("nessuna password, PIN o utente da salvare: nulla è stato modificato")
        return EXIT_USAGE
    updated = studio.set_credentials(
        client.id,
        password=password or None,
        pin=pin or None,
        user_id=args.user_id,
    )
    print(_credentials_saved(client, updated, password, pin))
    return EXIT_OK


def _ask_twice(prompt: str) -> str | None:
    """Prompt for a hidden value and, unless it is left empty, for it again.

    Returns the value, "" when left empty, or None when the two differ.
    """
    value = getpass.getpass(prompt)
    if value and getpass.getpass("Ripeti: ") != value:
        return None
    return value


def _read_secret_lines(data: bytes) -> tuple[str, str] | str:
    """Split standard input into password and PIN, or return the Italian error.

    Lines end with LF or CRLF only, so a carriage return or another Unicode
    line break inside a value stays in it and is rejected by the field check.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return "lo standard input non è testo UTF-8: nulla è stato modificato"
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    lines = [line[:-1] if line.endswith("\r") else line for line in lines]
    if len(lines) > 2:
        return (
            f"attese al massimo due righe (password, poi PIN), ricevute {len(lines)}: "
            "nulla è stato modificato"
        )
    lines += [""] * (2 - len(lines))
    return lines[0], lines[1]


def _credentials_saved(client: Client, updated: Client, password: str, pin: str) -> str:
    """Return the Italian line that reports what set-credentials changed."""
    parts = []
    if password and pin:
        parts.append("password e PIN salvati nel portachiavi")
    elif password:
        parts.append("password salvata nel portachiavi")
    elif pin:
        parts.append("PIN salvato nel portachiavi")
    if updated.user_id != client.user_id:
        parts.append(f"utente {updated.user_id} salvato")
    elif not parts:
        parts.append(f"l'utente era già {updated.user_id}, nessuna modifica")
    state = "complete" if updated.has_credentials else "ancora incomplete"
    return f"{client.name}: {'; '.join(parts)} (credenziali {state})."


def _tray(args, studio) -> int:
    from trayapp.resident import run_tray

    return run_tray(studio, open_window=args.command == "rubrica")


_HANDLERS = {
    "tray": _tray,
    "rubrica": _tray,
    "list": _list,
    "import": _import,
    "login": _login,
    "email": _email,
    "unblock": _unblock,
    "new-password": _new_password,
    "restore-password": _restore_password,
    "audit": _audit,
    "set-credentials": _set_credentials,
    **exchange_commands.HANDLERS,
}
