"""The `backup`, `restore`, `export` and `import-keepass` commands of `trayapp`.

Passphrases are read at a prompt (twice when a file is being encrypted)
or, with --passphrase-stdin, as the first line of standard input. They
are never an argument, because other users can read the process list.
"""

from __future__ import annotations

import getpass
import json
import sys
from pathlib import Path

EXIT_OK = 0

# Commands that change the index or the keyring. While a tray runs, cli.main
# hands them a RemoteStudio, and the tray does the writing.
WRITE_COMMANDS = ("restore", "import-keepass")

_STDIN_HELP = "legge la passphrase dalla prima riga dello standard input"
_FORCE_HELP = "sostituisce FILE se esiste già"


def add_parsers(commands) -> None:
    """Add the exchange subcommands to the `trayapp` parser's subparsers."""
    backup = commands.add_parser(
        "backup",
        help="scrive un backup cifrato di clienti, password e PIN",
        description="Scrive in FILE un backup cifrato con una passphrase di tutti i "
        "clienti, con password e PIN; «trayapp restore» lo rimette.",
    )
    backup.add_argument("file", type=Path, metavar="FILE", help="il file da scrivere")
    backup.add_argument("--passphrase-stdin", action="store_true", help=_STDIN_HELP)
    backup.add_argument("--force", action="store_true", help=_FORCE_HELP)

    restore = commands.add_parser(
        "restore",
        help="ripristina clienti, password e PIN da un backup cifrato",
        description="Ripristina clienti, password e PIN da un backup di «trayapp "
        "backup»; i clienti già presenti restano come sono, salvo --overwrite.",
    )
    restore.add_argument(
        "file", type=Path, metavar="FILE", help="il file scritto da «trayapp backup»"
    )
    restore.add_argument("--passphrase-stdin", action="store_true", help=_STDIN_HELP)
    restore.add_argument(
        "--overwrite",
        action="store_true",
        help="sostituisce i clienti già presenti con lo stesso codice fiscale",
    )

    export = commands.add_parser(
        "export",
        help="esporta l'elenco clienti: .csv o .xlsx (solo anagrafica) o .kdbx "
        "(KeePass, con password e PIN)",
        description="Esporta l'elenco clienti in FILE, nel formato della sua "
        "estensione: .csv o .xlsx con la sola anagrafica, .kdbx (KeePass) con "
        "password e PIN cifrati.",
    )
    export.add_argument(
        "file",
        type=Path,
        metavar="FILE",
        help="il file .csv, .xlsx o .kdbx da scrivere",
    )
    export.add_argument(
        "--passphrase-stdin",
        action="store_true",
        help="per .kdbx: legge la password principale dalla prima riga dello "
        "standard input",
    )
    export.add_argument("--force", action="store_true", help=_FORCE_HELP)

    keepass = commands.add_parser(
        "import-keepass",
        help="importa i clienti da un database KeePass .kdbx",
        description="Importa clienti, password e PIN da un database KeePass .kdbx, "
        "aperto con la sua password principale.",
    )
    keepass.add_argument(
        "file", type=Path, metavar="FILE", help="il database KeePass .kdbx"
    )
    keepass.add_argument(
        "--passphrase-stdin",
        action="store_true",
        help="legge la password principale del database KeePass dalla prima riga "
        "dello standard input",
    )
    keepass.add_argument(
        "--dry-run", action="store_true", help="controlla senza salvare"
    )
    keepass.add_argument(
        "--json", action="store_true", help="stampa il resoconto in JSON"
    )


def read_passphrase(args, prompt: str, *, confirm: bool) -> str:
    """Return the passphrase from standard input or the prompt; raise if there is none."""
    from trayapp.exchange.files import ExchangeError

    if args.passphrase_stdin:
        try:
            text = sys.stdin.buffer.read().decode("utf-8")
        except UnicodeDecodeError:
            raise ExchangeError(
                "lo standard input non è testo UTF-8: nulla è stato modificato"
            ) from None
        passphrase = text.split("\n", 1)[0].removesuffix("\r")
    else:
        if not sys.stdin.isatty():
            raise ExchangeError(
                "nessun terminale per chiedere la passphrase: usa --passphrase-stdin"
            )
        passphrase = getpass.getpass(prompt)
        if confirm and getpass.getpass("Ripeti: ") != passphrase:
            raise ExchangeError(
                "le due passphrase non coincidono: nessun file è stato scritto"
            )
    if not passphrase:
        raise ExchangeError("passphrase vuota: nulla è stato modificato")
    return passphrase


def _through_tray(studio) -> bool:
    """Return whether `studio` sends its changes to a running tray."""
    from trayapp.remote import RemoteStudio

    return isinstance(studio, RemoteStudio)


def run_backup(args, studio) -> int:
    from trayapp.exchange.files import (
        check_new_passphrase,
        refuse_existing,
        reject_non_file,
    )
    from trayapp.exchange.service import write_backup

    # refuse_existing also rejects a folder, device or pipe.
    if args.force:
        reject_non_file(args.file)
    else:
        refuse_existing(args.file)
    passphrase = read_passphrase(args, "Passphrase del backup: ", confirm=True)
    check_new_passphrase(passphrase)
    count = write_backup(studio, args.file, passphrase, overwrite=args.force)
    print(f"Backup cifrato di {count} clienti scritto in {args.file}.")
    return EXIT_OK


def run_restore(args, studio) -> int:
    from trayapp.exchange.service import restore_backup

    passphrase = read_passphrase(args, "Passphrase del backup: ", confirm=False)
    if _through_tray(studio):
        report = studio.restore_backup(args.file, passphrase, overwrite=args.overwrite)
    else:
        report = restore_backup(studio, args.file, passphrase, overwrite=args.overwrite)
    print(
        f"Ripristino da {args.file}: {report.added} clienti aggiunti, "
        f"{report.replaced} sostituiti, {report.skipped} già presenti e tenuti."
    )
    if report.skipped and not args.overwrite:
        print(
            "I clienti già presenti hanno tenuto anagrafica e credenziali di questo "
            "computer; «--overwrite» li sostituisce con quelli del backup.",
            file=sys.stderr,
        )
    return EXIT_OK


def run_export(args, studio) -> int:
    from trayapp.exchange.files import check_new_passphrase, refuse_existing
    from trayapp.exchange.service import export_clients, export_suffix

    export_suffix(args.file)
    if not args.force:
        refuse_existing(args.file)
    passphrase = None
    if args.file.suffix.lower() == ".kdbx":
        passphrase = read_passphrase(
            args, "Password principale del database KeePass: ", confirm=True
        )
        check_new_passphrase(passphrase)
    count = export_clients(studio, args.file, passphrase, overwrite=args.force)
    secrets = (
        "con password e PIN" if passphrase else "solo anagrafica, senza password né PIN"
    )
    print(f"{count} clienti esportati in {args.file} ({secrets}).")
    return EXIT_OK


def run_import_keepass(args, studio) -> int:
    from trayapp.domain.validation import FIELD_LABELS, shown
    from trayapp.exchange.service import import_keepass
    from trayapp.import_command import secrets_line, summary_line

    password = read_passphrase(
        args, "Password principale del database KeePass: ", confirm=False
    )
    if _through_tray(studio):
        report, titles = studio.import_keepass(
            args.file, password, dry_run=args.dry_run
        )
    else:
        report, titles = import_keepass(
            studio, args.file, password, dry_run=args.dry_run
        )
    if args.json:
        print(json.dumps(report.as_dict(), ensure_ascii=False))
        return EXIT_OK
    print(summary_line(report, entry=("voce", "voci")))
    print(secrets_line(report))
    for rejection in [*report.rejected, *report.warnings]:
        label = FIELD_LABELS.get(rejection.field, rejection.field)
        title = shown(titles.get(rejection.row, ""))
        print(f"  voce {rejection.row} «{title}», {label}: {rejection.reason}")
    return EXIT_OK


HANDLERS = {
    "backup": run_backup,
    "restore": run_restore,
    "export": run_export,
    "import-keepass": run_import_keepass,
}
