"""Backup, restore, export and KeePass import on a studio, each recorded in the audit log."""

from __future__ import annotations

import logging
from pathlib import Path

from trayapp.app import Studio
from trayapp.exchange.files import (
    ExchangeError,
    check_new_passphrase,
    read_input_file,
    reject_non_file,
    write_private_file,
)
from trayapp.exchange.snapshot import RestoreReport, restore_snapshot, take_snapshot
from trayapp.importing.service import ImportReport, import_sheet
from trayapp.secretstore.base import reading_secrets

log = logging.getLogger(__name__)

# backup, keepass and plain are imported inside the functions: cryptography,
# pykeepass and openpyxl take a noticeable part of a second to import, and
# the tray starts without them.

EXPORT_FORMATS = {".csv": "CSV", ".xlsx": "XLSX", ".kdbx": "KeePass"}


def _audit(studio: Studio, action: str, outcome: str = "", detail: str = "") -> None:
    if studio.audit is not None:
        studio.audit.record(action, outcome=outcome, detail=detail)


def write_backup(
    studio: Studio, path: Path, passphrase: str, *, overwrite: bool = False
) -> int:
    """Write an encrypted backup of every client and secret; return the client count.

    An existing file at `path` is replaced only with `overwrite`.
    """
    from trayapp.exchange import backup

    checked = check_new_passphrase(passphrase)
    with reading_secrets("Il backup non è stato scritto."):
        snapshot = take_snapshot(studio.index, studio.secrets)
    write_private_file(path, backup.seal(snapshot, checked), overwrite=overwrite)
    count = len(snapshot["clients"])
    log.info("backup of %d clients written to %s", count, path)
    _audit(studio, "backup", detail=f"{path.name}: {count} clienti")
    return count


def restore_backup(
    studio: Studio, path: Path, passphrase: str, *, overwrite: bool = False
) -> RestoreReport:
    """Bring back the clients and secrets of a backup file into this studio."""
    from trayapp.exchange import backup

    try:
        data = read_input_file(path, "di backup")
        snapshot = backup.unseal(data, passphrase, str(path))
        report = restore_snapshot(
            snapshot,
            studio.index,
            studio.secrets,
            overwrite=overwrite,
            source=str(path),
            pending=studio.pending_secrets,
        )
    except ExchangeError:
        log.warning("restore of %s rejected", path)
        _audit(studio, "restore", outcome="non riuscito", detail=path.name)
        raise
    _audit(
        studio,
        "restore",
        detail=f"{path.name}: {report.added} aggiunti, {report.replaced} sostituiti, "
        f"{report.skipped} tenuti",
    )
    return report


def export_suffix(path: Path) -> str:
    """Return the lower-case export suffix of `path`, or raise if it is not one."""
    reject_non_file(path)
    suffix = path.suffix.lower()
    if suffix not in EXPORT_FORMATS:
        raise ExchangeError(
            f"{path.name}: formato non riconosciuto dall'estensione «{path.suffix}»; "
            "usa .csv, .xlsx o .kdbx"
        )
    return suffix


def export_clients(
    studio: Studio,
    path: Path,
    passphrase: str | None = None,
    *,
    overwrite: bool = False,
) -> int:
    """Write the client list as CSV, XLSX or KeePass by the file's suffix.

    Only the KeePass database contains secrets, encrypted with `passphrase`.
    An existing file at `path` is replaced only with `overwrite`. Returns
    the number of clients written.
    """
    from trayapp.exchange import keepass, plain

    suffix = export_suffix(path)
    clients = studio.clients()
    if suffix == ".kdbx":
        if passphrase is None:
            raise ExchangeError(f"{path.name}: manca la password principale KeePass")
        checked = check_new_passphrase(passphrase)
        with reading_secrets(f"Il file {path.name} non è stato scritto."):
            data = keepass.keepass_bytes(clients, studio.secrets, checked)
    elif suffix == ".xlsx":
        data = plain.xlsx_bytes(clients)
    else:
        data = plain.csv_bytes(clients)
    write_private_file(path, data, overwrite=overwrite)
    log.info("%d clients exported to %s", len(clients), path)
    _audit(
        studio,
        "export",
        detail=f"{path.name} ({EXPORT_FORMATS[suffix]}): {len(clients)} clienti",
    )
    return len(clients)


def import_keepass(
    studio: Studio, path: Path, master_password: str, *, dry_run: bool = False
) -> tuple[ImportReport, dict[int, str]]:
    """Import the clients of a KeePass database; return the report and entry titles."""
    from trayapp.exchange import keepass

    data = read_input_file(path, "KeePass")
    read = keepass.read_keepass(data, master_password, str(path))
    report = import_sheet(
        read.sheet,
        path.name,
        studio.index,
        studio.secrets,
        dry_run=dry_run,
        today=studio.today(),
        pending=studio.pending_secrets,
    )
    report.rejected[:0] = read.rejected
    report.rejected.sort(key=lambda rejection: rejection.row)
    if not dry_run and (report.imported or report.updated):
        _audit(
            studio,
            "import",
            detail=f"{path.name} (KeePass): {report.imported} importati, "
            f"{report.updated} aggiornati, {len(report.rejected)} scarti",
        )
    return report, read.titles
