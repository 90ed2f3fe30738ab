"""Import a client list into the index and the secret store.

Rows are matched to existing clients by codice fiscale, so importing the
same file twice adds nothing. Secrets are written before the index points
to them. If the secret store fails part way, the index is not touched and
the secrets already written are put back as they were; the same happens
when the user cancels the import while it writes. When the store stops
responding, the error message gives how many could not be put back.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from trayapp.domain.client import Client, Kind, new_client_id
from trayapp.domain.credentials import SecretKind
from trayapp.domain.validation import (
    FieldError,
    fold_name,
    normalize_codice_fiscale,
    normalize_partita_iva,
    shown,
)
from trayapp.importing.columns import fold_header
from trayapp.importing.mapping import (
    MappingStore,
    UnmappedColumns,
    missing_fields,
    normalize_choices,
    resolve_columns,
)
from trayapp.importing.readers import ImportFileError, Sheet, read_sheet
from trayapp.importing.rows import Candidate, Rejection, parse_row
from trayapp.secretstore.base import SecretStore, SecretStoreError
from trayapp.secretstore.pending import PendingSecretWrites
from trayapp.storage.base import ClientIndex

log = logging.getLogger(__name__)

ANAGRAFICA_FIELDS = (
    "kind",
    "denominazione",
    "cognome",
    "nome",
    "partita_iva",
    "comune",
    "email",
    "pec",
    "telefono",
    "note",
    "role",
    "codice_studio",
    "user_id",
)

CHECK = "check"
WRITE = "write"


class ImportCancelled(Exception):
    """The user cancelled the import before it finished; nothing was stored."""


@dataclass(frozen=True)
class ImportProgress:
    """How far an import is: `done` of `total` rows in the CHECK or WRITE phase."""

    phase: str
    done: int
    total: int


ProgressCallback = Callable[[ImportProgress], None]


@dataclass
class ImportReport:
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    repaired: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    warnings: list[Rejection] = field(default_factory=list)
    """Values of rows that were imported but not applied, with the reason."""
    repairs: list[dict[str, object]] = field(default_factory=list)
    dry_run: bool = False
    secrets_added: int = 0
    """Passwords and PINs stored where the client had none."""
    secrets_replaced: list[dict[str, object]] = field(default_factory=list)
    """{row, field} of each stored password or PIN that the file replaces."""
    choices: dict[str, str] = field(default_factory=dict)
    """The column choices applied: folded header -> field or "ignora"."""

    @classmethod
    def from_dict(cls, data: Mapping[str, object]) -> ImportReport:
        """Rebuild a report from `as_dict`, as it arrives over the instance channel."""
        values = dict(data)
        for name in ("rejected", "warnings"):
            values[name] = [Rejection(**item) for item in values.get(name, [])]  # type: ignore[attr-defined]
        return cls(**values)  # type: ignore[arg-type]

    def as_dict(self) -> dict[str, object]:
        return {
            "imported": self.imported,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "repaired": self.repaired,
            "rejected": [rejection.as_dict() for rejection in self.rejected],
            "warnings": [warning.as_dict() for warning in self.warnings],
            "repairs": self.repairs,
            "dry_run": self.dry_run,
            "secrets_added": self.secrets_added,
            "secrets_replaced": self.secrets_replaced,
            "choices": self.choices,
        }


@dataclass
class _Plan:
    client: Client
    candidate: Candidate
    is_new: bool
    secret_writes: dict[SecretKind, str]


def import_file(
    path: Path,
    index: ClientIndex,
    secrets: SecretStore,
    *,
    dry_run: bool = False,
    today: date | None = None,
    choices: Mapping[str, str] | None = None,
    mappings: MappingStore | None = None,
    progress: ProgressCallback | None = None,
    pending: PendingSecretWrites | None = None,
) -> ImportReport:
    """Read, check and store a client list; return what happened to each row.

    `choices` maps headers to fields (or "ignora") for the columns the
    aliases do not recognise, over the choices `mappings` remembers for this
    header set. A written import remembers the choices it used. `progress`
    is called after each row; an ImportCancelled it raises stops the import
    with nothing stored.
    """
    return import_sheet(
        read_sheet(path),
        path.name,
        index,
        secrets,
        dry_run=dry_run,
        today=today,
        choices=choices,
        mappings=mappings,
        progress=progress,
        pending=pending,
    )


def import_sheet(
    sheet: Sheet,
    source: str,
    index: ClientIndex,
    secrets: SecretStore,
    *,
    dry_run: bool = False,
    today: date | None = None,
    choices: Mapping[str, str] | None = None,
    mappings: MappingStore | None = None,
    progress: ProgressCallback | None = None,
    pending: PendingSecretWrites | None = None,
) -> ImportReport:
    """Check and store the rows of a sheet read from `source` (a file name).

    `pending`, when given, records the new clients' ids while their secrets
    are in the keyring ahead of the index.
    """
    effective = _effective_choices(source, sheet, choices, mappings)
    try:
        columns = resolve_columns(sheet.header, effective)
    except UnmappedColumns as error:
        raise UnmappedColumns(source, error.columns) from None
    except ImportFileError as error:
        raise ImportFileError(f"{source}: {error}") from None
    missing = missing_fields(columns)
    if missing:
        raise ImportFileError(
            f"{source}: nessuna colonna {' né '.join(missing)} tra le intestazioni "
            f"({', '.join(h for h in sheet.header if h) or 'nessuna'}); associa a "
            "questi campi le colonne che li contengono"
        )
    report = ImportReport(dry_run=dry_run, choices=effective)
    candidates: list[Candidate] = []
    for number, cells in sheet.rows:
        if number == sheet.cut_row:
            report.rejected.append(_cut_row_rejection(number, cells, columns, sheet))
            continue
        formula_columns = frozenset(
            column for row, column in sheet.formula_cells if row == number
        )
        parsed = parse_row(number, cells, columns, formula_columns)
        if isinstance(parsed, list):
            report.rejected.extend(parsed)
        else:
            candidates.append(parsed)

    log.debug(
        "import of %s: columns %s, %d candidate rows",
        source,
        sorted(columns),
        len(candidates),
    )
    existing = {client.codice_fiscale: client for client in index.all()}
    plans = _plan(
        candidates,
        existing,
        secrets,
        report,
        today or date.today(),
        progress,
        present=frozenset(columns),
    )
    _link(plans, existing, report)
    kept = [plan for plan in plans if plan is not None]
    for plan in kept:
        if plan.candidate.repairs:
            report.repaired += 1
            report.repairs.extend(
                {"row": plan.candidate.row, "repair": text}
                for text in plan.candidate.repairs
            )
    changed = [plan for plan in kept if plan.is_new or _differs(plan, existing)]
    report.imported = sum(1 for plan in changed if plan.is_new)
    report.updated = len(changed) - report.imported
    report.unchanged = len(kept) - len(changed)
    if not dry_run and changed:
        _write(changed, index, secrets, progress, pending)
    if not dry_run and mappings is not None:
        mappings.save(sheet.header, effective)
    log.info(
        "import of %s: %d imported, %d updated, %d unchanged, %d rejected%s",
        source,
        report.imported,
        report.updated,
        report.unchanged,
        len(report.rejected),
        " (dry run)" if dry_run else "",
    )
    return report


def _cut_row_rejection(
    number: int, cells: list[object], columns: Mapping[str, int], sheet: Sheet
) -> Rejection:
    last = len(cells) - 1
    field = next((name for name, index in columns.items() if index == last), "")
    return Rejection(
        number,
        field,
        f"il file finisce a metà di questa riga ({len(cells)} colonne su "
        f"{len(sheet.header)}): sembra troncato, la riga è stata ignorata",
    )


def _effective_choices(
    source: str,
    sheet: Sheet,
    choices: Mapping[str, str] | None,
    mappings: MappingStore | None,
) -> dict[str, str]:
    """Return the remembered choices for this header set, overridden by `choices`."""
    try:
        given = normalize_choices(choices or {})
    except ValueError as error:
        raise ImportFileError(f"{source}: {error}") from None
    remembered = mappings.load(sheet.header) if mappings is not None else {}
    present = {fold_header(title) for title in sheet.header}
    unknown = sorted(set(given) - present)
    if unknown:
        raise ImportFileError(
            f"{source}: nessuna colonna {', '.join(f'«{k}»' for k in unknown)} "
            "tra le intestazioni del file"
        )
    return {
        key: value for key, value in {**remembered, **given}.items() if key in present
    }


def _report_progress(
    progress: ProgressCallback | None, phase: str, done: int, total: int
) -> None:
    if progress is not None:
        progress(ImportProgress(phase, done, total))


def _plan(
    candidates: list[Candidate],
    existing: dict[str, Client],
    secrets: SecretStore,
    report: ImportReport,
    today: date,
    progress: ProgressCallback | None = None,
    *,
    present: frozenset[str] = frozenset(ANAGRAFICA_FIELDS),
) -> list[_Plan | None]:
    """Turn checked rows into new or updated clients and the secrets to write.

    An existing client takes only the values the file has: a column the file
    lacks (or that the user chose to ignore) and an empty cell leave the
    stored value as it is.
    """
    plans: list[_Plan | None] = []
    seen: dict[str, int] = {}
    for done, candidate in enumerate(candidates, start=1):
        _report_progress(progress, CHECK, done, len(candidates))
        cf = str(candidate.fields["codice_fiscale"])
        if cf in seen:
            report.rejected.append(
                Rejection(
                    candidate.row,
                    "codice_fiscale",
                    f"{cf} compare già alla riga {seen[cf]}: la riga è stata ignorata",
                )
            )
            continue
        seen[cf] = candidate.row
        previous = existing.get(cf)
        values = {name: candidate.fields.get(name, "") for name in ANAGRAFICA_FIELDS}
        if previous is None:
            client = Client(id=new_client_id(), codice_fiscale=cf, **values)  # type: ignore[arg-type]
        else:
            given = {
                name: value
                for name, value in values.items()
                if name in present and value not in ("", None)
            }
            client = previous.replace(**given)
        writes = _secret_writes(candidate, previous, client.id, secrets, report)
        changed_on = candidate.fields.get("password_changed_on")
        # A newer row whose password is not written has it stored already
        # (typed in by hand, or an import cut short after its keyring
        # writes), so only the index's date is behind.
        already_stored = (
            previous is not None
            and bool(candidate.password)
            and SecretKind.PASSWORD not in writes
            and isinstance(changed_on, date)
            and (
                previous.password_changed_on is None
                or changed_on > previous.password_changed_on
            )
        )
        if (
            SecretKind.PASSWORD in writes
            or previous is None
            or not previous.has_password
            or already_stored
        ):
            if isinstance(changed_on, date):
                client = client.replace(password_changed_on=changed_on)
        if writes:
            client = client.replace(
                has_password=client.has_password or SecretKind.PASSWORD in writes,
                has_pin=client.has_pin or SecretKind.PIN in writes,
            )
        plans.append(_Plan(client, candidate, previous is None, writes))
    return plans


def _secret_writes(
    candidate: Candidate,
    previous: Client | None,
    client_id: str,
    secrets: SecretStore,
    report: ImportReport,
) -> dict[SecretKind, str]:
    """Return the secrets of a row that should replace what the keyring holds.

    A row replaces stored secrets only when nothing is stored yet or when
    its "Data cambio password" is later than the stored change date; an
    older list imported again must not bring back an old password. Each
    secret kept this way is reported as a warning.
    """
    row_secrets = {
        SecretKind.PASSWORD: candidate.password,
        SecretKind.PIN: candidate.pin,
    }
    row_secrets = {kind: value for kind, value in row_secrets.items() if value}
    if previous is None:
        report.secrets_added += len(row_secrets)
        return row_secrets
    row_date = candidate.fields.get("password_changed_on")
    stored_date = previous.password_changed_on
    row_is_newer = isinstance(row_date, date) and (
        stored_date is None or row_date > stored_date
    )
    writes = {}
    for kind, value in row_secrets.items():
        stored = secrets.get(client_id, kind)
        if stored == value:
            continue
        if stored is None or row_is_newer:
            writes[kind] = value
            if stored is None:
                report.secrets_added += 1
            else:
                report.secrets_replaced.append(
                    {"row": candidate.row, "field": kind.value}
                )
            continue
        label = "password" if kind is SecretKind.PASSWORD else "pin"
        stored_on = (
            stored_date.strftime("%d/%m/%Y") if stored_date else "data sconosciuta"
        )
        report.warnings.append(
            Rejection(
                candidate.row,
                label,
                f"diverso da quello già salvato (cambio password del {stored_on}) e "
                "il file non ha una data di cambio più recente: tenuto quello salvato",
            )
        )
    return writes


def _link(
    plans: list[_Plan | None], existing: dict[str, Client], report: ImportReport
) -> None:
    """Resolve "Collegato a" (codice fiscale, partita IVA or name of a company)."""
    companies: dict[str, Client] = {}
    for client in list(existing.values()) + [p.client for p in plans if p is not None]:
        if client.kind is Kind.SOCIETA:
            companies[client.codice_fiscale] = client
            if client.partita_iva:
                companies.setdefault(client.partita_iva, client)
            companies.setdefault("name:" + fold_name(client.denominazione), client)
    for position, plan in enumerate(plans):
        if plan is None or not plan.candidate.linked_to_key:
            continue
        key = plan.candidate.linked_to_key
        company = companies.get(_company_key(key)) or companies.get(
            "name:" + fold_name(key)
        )
        if company is None:
            report.rejected.append(
                Rejection(
                    plan.candidate.row,
                    "linked_to",
                    f"nessuna società «{shown(key)}» nel file o tra i clienti già presenti",
                )
            )
            plans[position] = None
            continue
        if company.codice_fiscale == plan.client.codice_fiscale:
            report.rejected.append(
                Rejection(
                    plan.candidate.row,
                    "linked_to",
                    "un soggetto non può essere collegato a sé stesso",
                )
            )
            plans[position] = None
            continue
        # NOTE: a client has one link; a person who represents two companies
        # keeps the link of the last row that names them.
        plan.client = plan.client.replace(linked_to=company.id)


def _company_key(raw: str) -> str:
    for normalize in (normalize_codice_fiscale, normalize_partita_iva):
        try:
            return normalize(raw).value
        except FieldError:
            continue
    return raw


def _differs(plan: _Plan, existing: dict[str, Client]) -> bool:
    previous = existing.get(plan.client.codice_fiscale)
    return bool(plan.secret_writes) or previous != plan.client


def _write(
    plans: list[_Plan],
    index: ClientIndex,
    secrets: SecretStore,
    progress: ProgressCallback | None,
    pending: PendingSecretWrites | None,
) -> None:
    new_ids = [plan.client.id for plan in plans if plan.is_new and plan.secret_writes]
    with contextlib.nullcontext() if pending is None else pending.recorded(new_ids):
        _write_secrets_then_index(plans, index, secrets, progress)


def _write_secrets_then_index(
    plans: list[_Plan],
    index: ClientIndex,
    secrets: SecretStore,
    progress: ProgressCallback | None,
) -> None:
    undo: list[tuple[str, SecretKind, str | None]] = []
    try:
        for done, plan in enumerate(plans):
            _report_progress(progress, WRITE, done, len(plans))
            for kind, value in plan.secret_writes.items():
                previous = None if plan.is_new else secrets.get(plan.client.id, kind)
                # Listed before the write, so a write cut short by Ctrl+C is
                # undone too. A write the keyring rejected stored nothing.
                undo.append((plan.client.id, kind, previous))
                try:
                    secrets.set(plan.client.id, kind, value)
                except SecretStoreError:
                    undo.pop()
                    raise
        _report_progress(progress, WRITE, len(plans), len(plans))
    except SecretStoreError as error:
        log.error(
            "import stopped by the secret store after %d writes; undoing them",
            len(undo),
        )
        _raise_after_undo(error, undo, secrets)
    except (ImportCancelled, KeyboardInterrupt) as error:
        log.info("import cancelled after %d secret writes; undoing them", len(undo))
        _raise_after_undo(error, undo, secrets)
    try:
        index.put_many(plan.client for plan in plans)
    except Exception as error:
        log.exception(
            "import could not write the index; undoing %d secret writes", len(undo)
        )
        _raise_after_undo(error, undo, secrets)


def _raise_after_undo(
    error: BaseException,
    undo: list[tuple[str, SecretKind, str | None]],
    secrets: SecretStore,
) -> None:
    """Put back the secrets already written, then raise one message saying how it went."""
    failed = undo_secret_writes(undo, secrets)
    if not failed:
        raise error
    log.error("%d of %d secret writes could not be undone", failed, len(undo))
    raise SecretStoreError(
        "Importazione interrotta dal portachiavi di sistema. L'indice clienti non è "
        "stato modificato, "
        f"ma {failed} password o PIN già scritti nel portachiavi non si sono potuti "
        "togliere perché il portachiavi non risponde più. Quando funziona di nuovo, "
        "ripeti l'importazione: i clienti avranno le credenziali del file."
    ) from error


def undo_secret_writes(
    undo: list[tuple[str, SecretKind, str | None]], secrets: SecretStore
) -> int:
    """Restore the secrets in `undo`; return how many could not be restored."""
    failed = 0
    for client_id, kind, previous in reversed(undo):
        try:
            if previous is None:
                secrets.delete(client_id, kind)
            else:
                secrets.set(client_id, kind, previous)
        except SecretStoreError:
            failed += 1
    return failed
