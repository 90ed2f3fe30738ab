"""Every client record and every secret as one snapshot, and its restore.

A snapshot is a JSON-ready dict: {"snapshot": 1, "clients": [record, ...],
"secrets": {client id: {secret kind: value}}}. It lives only in memory;
`trayapp.exchange.backup` encrypts it before anything is written.

Restoring matches clients by codice fiscale. A client the index does not
have yet is added, keeping the id from the backup unless this index uses
it for another client. A client the index already has is kept as it is,
or with `overwrite` replaced by the backup's record and secrets under
its local id. Links (`linked_to`) follow the ids as they end up here.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from typing import Any

from trayapp.domain.client import Client, new_client_id
from trayapp.domain.credentials import SecretKind
from trayapp.exchange.files import ExchangeError
from trayapp.importing.service import undo_secret_writes
from trayapp.secretstore.base import SecretStore, SecretStoreError
from trayapp.secretstore.pending import PendingSecretWrites
from trayapp.storage.base import ClientIndex

log = logging.getLogger(__name__)

SNAPSHOT_VERSION = 1


def take_snapshot(index: ClientIndex, secrets: SecretStore) -> dict[str, Any]:
    """Return every client record and every secret the keyring holds for them."""
    records = []
    stored: dict[str, dict[str, str]] = {}
    for client in sorted(index.all(), key=lambda client: client.id):
        records.append(client.to_record())
        values = {}
        for kind in SecretKind:
            value = secrets.get(client.id, kind)
            if value:
                values[kind.value] = value
        if values:
            stored[client.id] = values
    return {"snapshot": SNAPSHOT_VERSION, "clients": records, "secrets": stored}


@dataclass
class RestoreReport:
    added: int = 0
    replaced: int = 0
    skipped: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"added": self.added, "replaced": self.replaced, "skipped": self.skipped}


@dataclass(frozen=True)
class _Target:
    client: Client
    secrets: dict[SecretKind, str]
    replaces: bool


def restore_snapshot(
    snapshot: dict[str, Any],
    index: ClientIndex,
    secrets: SecretStore,
    *,
    overwrite: bool,
    source: str,
    pending: PendingSecretWrites | None = None,
) -> RestoreReport:
    """Write a snapshot's clients and secrets here; return how many were added,
    replaced and skipped.

    The whole snapshot is checked before the first write. Secrets are
    written before the index points to them, and a failed write of either
    puts back the secrets already written.
    """
    clients, stored = _read_snapshot(snapshot, source)
    report = RestoreReport()
    targets = _plan(clients, stored, index.all(), overwrite, report)
    if targets:
        new_ids = [t.client.id for t in targets if not t.replaces and t.secrets]
        with contextlib.nullcontext() if pending is None else pending.recorded(new_ids):
            _write(targets, index, secrets)
    log.info(
        "restore of %s: %d added, %d replaced, %d skipped",
        source,
        report.added,
        report.replaced,
        report.skipped,
    )
    return report


def _read_snapshot(
    snapshot: dict[str, Any], source: str
) -> tuple[list[Client], dict[str, dict[SecretKind, str]]]:
    invalid = (
        f"{source}: il contenuto del backup non è valido, nulla è stato modificato"
    )
    if snapshot.get("snapshot") != SNAPSHOT_VERSION:
        raise ExchangeError(invalid)
    try:
        clients = [Client.from_record(record) for record in snapshot["clients"]]
        stored = {
            str(client_id): {SecretKind(kind): value for kind, value in values.items()}
            for client_id, values in snapshot["secrets"].items()
        }
    except (KeyError, TypeError, ValueError, AttributeError):
        raise ExchangeError(invalid) from None
    codici = [client.codice_fiscale for client in clients]
    ids = [client.id for client in clients]
    values_ok = all(
        isinstance(value, str) and value
        for values in stored.values()
        for value in values.values()
    )
    if len(set(codici)) != len(codici) or len(set(ids)) != len(ids) or not values_ok:
        raise ExchangeError(invalid)
    return clients, stored


def _plan(
    clients: list[Client],
    stored: dict[str, dict[SecretKind, str]],
    existing: list[Client],
    overwrite: bool,
    report: RestoreReport,
) -> list[_Target]:
    by_codice = {client.codice_fiscale: client for client in existing}
    taken = {client.id for client in existing}
    local_ids: dict[str, str] = {}
    chosen: list[tuple[Client, str, bool]] = []
    for client in clients:
        local = by_codice.get(client.codice_fiscale)
        if local is not None:
            local_ids[client.id] = local.id
            if overwrite:
                chosen.append((client, local.id, True))
                report.replaced += 1
            else:
                report.skipped += 1
            continue
        local_id = client.id if client.id not in taken else new_client_id()
        taken.add(local_id)
        local_ids[client.id] = local_id
        chosen.append((client, local_id, False))
        report.added += 1
    targets = []
    for client, local_id, replaces in chosen:
        linked_to = local_ids.get(client.linked_to, "") if client.linked_to else ""
        restored = client.replace(
            id=local_id,
            linked_to=linked_to,
            role=client.role if linked_to else "",
        )
        targets.append(_Target(restored, stored.get(client.id, {}), replaces))
    return targets


def _write(targets: list[_Target], index: ClientIndex, secrets: SecretStore) -> None:
    undo: list[tuple[str, SecretKind, str | None]] = []
    try:
        for target in targets:
            for kind, value in target.secrets.items():
                client_id = target.client.id
                previous = secrets.get(client_id, kind) if target.replaces else None
                # Listed before the write, so a write cut short by Ctrl+C is
                # undone too. A write the keyring rejected stored nothing.
                undo.append((client_id, kind, previous))
                try:
                    secrets.set(client_id, kind, value)
                except SecretStoreError:
                    undo.pop()
                    raise
        index.put_many(target.client for target in targets)
    except (Exception, KeyboardInterrupt) as error:
        log.exception("restore stopped; undoing %d secret writes", len(undo))
        failed = undo_secret_writes(undo, secrets)
        if failed:
            raise ExchangeError(
                "Ripristino interrotto: l'indice clienti non è stato modificato, ma "
                f"{failed} password o PIN già scritti nel portachiavi non si sono "
                "potuti togliere. Ripeti il ripristino con --overwrite quando il "
                "portachiavi funziona di nuovo."
            ) from error
        raise
    for target in targets:
        if not target.replaces:
            continue
        for kind in SecretKind:
            if kind in target.secrets:
                continue
            try:
                secrets.delete(target.client.id, kind)
            except SecretStoreError:
                log.exception(
                    "keyring entry %s of replaced client %s left behind",
                    kind,
                    target.client.id,
                )
