"""The studio: the one object the tray, the window and the CLI act through.

It owns the client index, the secret store and the login engine, and is
built in one place (`open_studio`). Every method is safe to call from any
thread: the index serialises its own access and the login engine runs
the browser on its own thread.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from trayapp.audit import AuditLog
from trayapp.config import load_settings
from trayapp.desktop.mailto import MailtoError, build_mailto
from trayapp.desktop.opener import open_uri
from trayapp.domain.client import Client, Kind, new_client_id
from trayapp.domain.credentials import PASSWORD_HISTORY, Credentials, SecretKind
from trayapp.domain.expiry import PasswordStatus, password_status
from trayapp.domain.validation import (
    FieldError,
    check_user_id,
    fold_name,
    linked_count,
    normalize_codice_fiscale,
    normalize_partita_iva,
    normalize_pin,
    shown,
    validate_password,
)
from trayapp.editing import FormErrors, check_form
from trayapp.importing.mapping import MappingStore
from trayapp.importing.service import (
    ANAGRAFICA_FIELDS,
    ImportReport,
    ProgressCallback,
    import_file,
)
from trayapp.paths import AppPaths, resolve_paths
from trayapp.secretstore.base import (
    SecretStore,
    SecretStoreError,
    reading_secrets,
)
from trayapp.secretstore.pending import PENDING_FILE, PendingSecretWrites
from trayapp.storage.base import ClientIndex

if TYPE_CHECKING:
    from trayapp.login.embedded import EmbeddedLoginEngine
    from trayapp.login.engine import LoginEngine
    from trayapp.login.outcome import LoginResult
    from trayapp.login.profile import LoginProfile

log = logging.getLogger(__name__)

RECENT_CLIENTS = 10


def recent_client_ids(clients: list[Client], limit: int = RECENT_CLIENTS) -> list[str]:
    """Return the ids of the clients last used for a login or an email, newest first."""
    used = [client for client in clients if client.last_used_at]
    used.sort(key=lambda client: client.last_used_at, reverse=True)
    return [client.id for client in used[:limit]]


def _words_match(words: list[str], name: str) -> bool:
    name_words = fold_name(name).split()
    return all(any(part.startswith(word) for part in name_words) for word in words)


class ClientNotFound(LookupError):
    """No client matches what the user typed; the message is Italian."""


class AmbiguousClient(LookupError):
    """Several clients match a name; `matches` lists them."""

    def __init__(self, query: str, matches: list[Client]) -> None:
        self.matches = matches
        super().__init__(
            f"«{shown(query)}» corrisponde a {len(matches)} clienti: indica il codice fiscale, "
            "la partita IVA o l'id"
        )


class MissingCredentials(LookupError):
    """The client has no password or no PIN in the keyring; the message is Italian."""


class LoginRefused(PermissionError):
    """trayapp will not try a login that the portal would count against the client."""


@dataclass(frozen=True)
class EmailResult:
    uri: str


class Studio:
    """Clients, their secrets, logins and email, behind one lock-free facade."""

    def __init__(
        self,
        index: ClientIndex,
        secrets: SecretStore,
        paths: AppPaths,
        *,
        environ: Mapping[str, str] = os.environ,
        uri_opener: Callable[[str], None] = open_uri,
        today: Callable[[], date] = date.today,
        audit: AuditLog | None = None,
    ) -> None:
        self.index = index
        self.audit = audit
        self.secrets = secrets
        self.paths = paths
        self._environ = environ
        self._open_uri = uri_opener
        self._today = today
        self._listeners: list[Callable[[], None]] = []
        self._engine: LoginEngine | EmbeddedLoginEngine | None = None
        self._engine_lock = threading.Lock()
        self.settings = load_settings(paths.config_dir)
        self.pending_secrets = PendingSecretWrites(paths.data_dir / PENDING_FILE)

    # -- change notification -------------------------------------------------

    def add_listener(self, callback: Callable[[], None]) -> None:
        """Call `callback` (from the changing thread) after every change of data."""
        self._listeners.append(callback)

    def _audit(self, action: str, client: Client | None = None, **fields: str) -> None:
        if self.audit is not None:
            self.audit.record(action, client, **fields)

    def _changed(self) -> None:
        for callback in list(self._listeners):
            try:
                callback()
            except Exception:
                log.exception("change listener %r failed", callback)

    # -- reading ---------------------------------------------------------------

    def clients(self) -> list[Client]:
        return self.index.all()

    def get(self, client_id: str) -> Client:
        client = self.index.get(client_id)
        if client is None:
            raise ClientNotFound(f"Nessun cliente con id {client_id}")
        return client

    def recent_ids(self) -> list[str]:
        return recent_client_ids(self.index.all())

    def resolve(self, query: str) -> Client:
        """Find one client by id, codice fiscale, partita IVA or name."""
        text = query.strip()
        if not text:
            raise ClientNotFound(
                "Indica un cliente: codice fiscale, partita IVA, id o nome"
            )
        clients = self.index.all()
        for client in clients:
            if client.id == text:
                return client
        for normalize, attribute in (
            (normalize_codice_fiscale, "codice_fiscale"),
            (normalize_partita_iva, "partita_iva"),
        ):
            try:
                key = normalize(text).value
            except FieldError:
                continue
            matches = [c for c in clients if getattr(c, attribute) == key]
            if len(matches) == 1:
                return matches[0]
            if len(matches) > 1:
                raise AmbiguousClient(text, matches)
        folded = fold_name(text)
        words = folded.split()
        exact = [c for c in clients if fold_name(c.name) == folded]
        # Every typed word starts a word of the name, in any order: "mario ross"
        # finds ROSSI MARIO.
        matches = exact or [c for c in clients if _words_match(words, c.name)]
        if len(matches) == 1:
            return matches[0]
        if matches:
            raise AmbiguousClient(text, matches)
        raise ClientNotFound(
            f"Nessun cliente corrisponde a «{shown(text)}» (cerca per codice fiscale, "
            "partita IVA, id o nome)"
        )

    def credentials(self, client_id: str) -> Credentials:
        """Read the client's secrets from the keyring; raise if any is missing."""
        client = self.get(client_id)
        with reading_secrets():
            password = self.secrets.get(client.id, SecretKind.PASSWORD)
            pin = self.secrets.get(client.id, SecretKind.PIN)
        missing = [
            label
            for label, value in (("password", password), ("PIN", pin))
            if not value
        ]
        if missing:
            self._note_missing_secrets(client, password=bool(password), pin=bool(pin))
            raise MissingCredentials(
                f"{client.name}: credenziali mancanti ({' e '.join(missing)} non "
                f"{'presenti' if len(missing) > 1 else 'presente'} nel portachiavi). "
                "Inseriscile con «trayapp set-credentials» "
                "o nella sezione Servizi telematici."
            )
        assert password is not None and pin is not None
        return Credentials(client.login_user_id, password, pin)

    # -- writing ---------------------------------------------------------------

    def _password_writes(
        self, client_id: str, new_password: str
    ) -> list[tuple[SecretKind, str, str | None]]:
        """Return (kind, new value, old value) for storing `new_password`.

        The current password becomes the first previous one and the older
        ones shift down, the oldest dropping out. Nothing is listed when
        the password is already the stored one.
        """
        chain = [SecretKind.PASSWORD, *PASSWORD_HISTORY]
        stored = [self.secrets.get(client_id, kind) for kind in chain]
        if stored[0] == new_password:
            return []
        shifted = [new_password, *stored[:-1]]
        return [
            (kind, value, old)
            for kind, value, old in zip(chain, shifted, stored, strict=True)
            if value and value != old
        ]

    def _removal_writes(
        self, client_id: str, kind: SecretKind
    ) -> list[tuple[SecretKind, str | None, str | None]]:
        """Return (kind, new value or None to delete, old value) for removing `kind`.

        A removed password becomes the first previous one and the older ones
        shift down, as when a new password replaces it, so restore-password
        can bring it back. Nothing is listed when there is nothing stored.
        """
        if kind is SecretKind.PIN:
            old = self.secrets.get(client_id, kind)
            return [] if old is None else [(kind, None, old)]
        chain = [SecretKind.PASSWORD, *PASSWORD_HISTORY]
        stored = [self.secrets.get(client_id, entry) for entry in chain]
        if stored[0] is None:
            return []
        shifted: list[str | None] = [None, *stored[:-1]]
        return [
            (entry, value, old)
            for entry, value, old in zip(chain, shifted, stored, strict=True)
            if value != old and (value or old)
        ]

    def _apply_writes(
        self,
        client_id: str,
        writes: Sequence[tuple[SecretKind, str | None, str | None]],
        undo: list[tuple[SecretKind, str | None]],
    ) -> None:
        """Apply `writes` oldest entry first, recording in `undo` how to revert each."""
        for kind, value, old in reversed(writes):
            undo.append((kind, old))
            if value is None:
                self.secrets.delete(client_id, kind)
            else:
                self.secrets.set(client_id, kind, value)

    def _undo_writes(
        self, client_id: str, undo: list[tuple[SecretKind, str | None]]
    ) -> None:
        for kind, old in reversed(undo):
            if old is None:
                self.secrets.delete(client_id, kind)
            else:
                self.secrets.set(client_id, kind, old)

    def _remove_secret(
        self,
        client: Client,
        kind: SecretKind,
        undo: list[tuple[SecretKind, str | None]],
    ) -> Client:
        """Remove the password or PIN from the keyring; return the client without it."""
        self._apply_writes(client.id, self._removal_writes(client.id, kind), undo)
        if kind is SecretKind.PASSWORD:
            return client.replace(
                has_password=False, password_changed_on=None, password_expired=False
            )
        return client.replace(has_pin=False)

    def remove_secrets(self, client_id: str, kinds: Collection[SecretKind]) -> Client:
        """Remove the client's password, PIN or both from the keyring.

        The removed password is kept as the previous one (see
        `_removal_writes`). When the index write fails, the keyring is put
        back as it was.
        """
        unknown = set(kinds) - {SecretKind.PASSWORD, SecretKind.PIN}
        if unknown or not kinds:
            raise ValueError(f"only password and PIN can be removed, not {unknown}")
        updated = self.get(client_id)
        undo: list[tuple[SecretKind, str | None]] = []
        try:
            for kind in (SecretKind.PASSWORD, SecretKind.PIN):
                if kind in kinds:
                    updated = self._remove_secret(updated, kind, undo)
            self.index.put(updated)
        except BaseException:
            self._undo_writes(updated.id, undo)
            raise
        removed = ", ".join(kind.value for kind in sorted(kinds, key=str))
        log.info("credentials of client %s removed (%s)", updated.id, removed)
        self._audit("edit", updated, detail=f"credenziali rimosse: {removed}")
        self._changed()
        return updated

    def set_credentials(
        self,
        client_id: str,
        *,
        password: str | None = None,
        pin: str | None = None,
        user_id: str | None = None,
    ) -> Client:
        """Check and store new secrets, then mark the client as having them.

        Every value is checked before anything is written. A changed
        password sets the change date to today.
        """
        client = self.get(client_id)
        checked_password = validate_password(password) if password is not None else None
        checked_pin = normalize_pin(pin).value if pin is not None else None
        checked_user = check_user_id(user_id) if user_id is not None else None
        if password is not None and not checked_password:
            raise FieldError("password", "è vuota")
        if pin is not None and not checked_pin:
            raise FieldError("pin", "è vuoto")
        changes: dict[str, object] = {}
        if checked_password is not None:
            writes = self._password_writes(client.id, checked_password)
            # The oldest first, so the new password is written last.
            for kind, value, _ in reversed(writes):
                self.secrets.set(client.id, kind, value)
            if writes:
                changes["password_changed_on"] = self._today()
                changes["password_expired"] = False
            changes["has_password"] = True
        if checked_pin is not None:
            self.secrets.set(client.id, SecretKind.PIN, checked_pin)
            changes["has_pin"] = True
        if checked_password is not None or checked_pin is not None:
            changes.update(login_failures=0, account_locked=False)
        if checked_user is not None:
            changes["user_id"] = checked_user
        updated = client.replace(**changes)
        self.index.put(updated)
        log.info(
            "credentials of client %s updated (%s)",
            client.id,
            ", ".join(sorted(changes)),
        )
        self._audit("edit", updated, detail="credenziali")
        self._changed()
        return updated

    def save_client(self, data: dict[str, Any], client_id: str | None = None) -> Client:
        """Add or edit a client from the anagrafica form's values.

        Empty password or PIN leaves the stored one as it is. Every field is
        checked first, and FormErrors lists all that failed. Then the secrets
        are written, then the index. A failed index write puts the previous
        secrets back.
        """
        checked = check_form(data)
        previous = self.get(client_id) if client_id else None
        errors: dict[str, str] = {}
        cf = str(checked.fields["codice_fiscale"])
        for other in self.index.all():
            if other.codice_fiscale == cf and other.id != client_id:
                errors["codice_fiscale"] = f"{cf} appartiene già a {other.name}"
        linked_to = str(data.get("linked_to") or "")
        if linked_to:
            company = self.index.get(linked_to)
            if company is None or company.kind is not Kind.SOCIETA:
                errors["linked_to"] = "la società collegata non esiste più"
            elif company.id == client_id:
                errors["linked_to"] = "un soggetto non può essere collegato a sé stesso"
        removals = [
            kind
            for kind, flag in (
                (SecretKind.PASSWORD, "remove_password"),
                (SecretKind.PIN, "remove_pin"),
            )
            if previous is not None and data.get(flag) is True
        ]
        for kind, value in (
            (SecretKind.PASSWORD, checked.password),
            (SecretKind.PIN, checked.pin),
        ):
            if kind in removals and value:
                errors[kind.value] = (
                    "scegli se sostituirla o rimuoverla, non entrambe le cose"
                    if kind is SecretKind.PASSWORD
                    else "scegli se sostituirlo o rimuoverlo, non entrambe le cose"
                )
        if errors:
            raise FormErrors(errors)
        values = {name: checked.fields.get(name, "") for name in ANAGRAFICA_FIELDS}
        values["linked_to"] = linked_to
        if not linked_to:
            values["role"] = ""
        if previous is None:
            client = Client(id=new_client_id(), codice_fiscale=cf, **values)
        else:
            client = previous.replace(codice_fiscale=cf, **values)
        undo: list[tuple[SecretKind, str | None]] = []
        for kind, value in (
            (SecretKind.PASSWORD, checked.password),
            (SecretKind.PIN, checked.pin),
        ):
            if not value:
                continue
            writes: list[tuple[SecretKind, str, str | None]]
            if previous is None:
                writes = [(kind, value, None)]
            elif kind is SecretKind.PASSWORD:
                writes = self._password_writes(client.id, value)
            else:
                old = self.secrets.get(client.id, kind)
                writes = [] if old == value else [(kind, value, old)]
            if not writes:
                continue
            self._apply_writes(client.id, writes, undo)
            if kind is SecretKind.PASSWORD:
                client = client.replace(
                    has_password=True,
                    password_changed_on=self._today(),
                    password_expired=False,
                )
            else:
                client = client.replace(has_pin=True)
            # New credentials are the way out of a lockout, see check_login_allowed.
            client = client.replace(login_failures=0, account_locked=False)
        try:
            for kind in removals:
                client = self._remove_secret(client, kind, undo)
            self.index.put(client)
        except BaseException:
            self._undo_writes(client.id, undo)
            raise
        log.info("client %s %s", client.id, "added" if previous is None else "edited")
        changed_secrets = ", ".join(
            kind.value
            for kind, _ in undo
            if kind not in PASSWORD_HISTORY and kind not in removals
        )
        details = []
        if changed_secrets:
            details.append(f"credenziali cambiate: {changed_secrets}")
        if removals:
            removed = ", ".join(kind.value for kind in removals)
            details.append(f"credenziali rimosse: {removed}")
        self._audit(
            "edit",
            client,
            outcome="nuovo" if previous is None else "modificato",
            detail="; ".join(details),
        )
        self._changed()
        return client

    def linked_subjects(self, company_id: str) -> list[Client]:
        return [client for client in self.index.all() if client.linked_to == company_id]

    def delete_client(self, client_id: str, linked: str = "") -> list[str]:
        """Delete a client and its keyring entries; return the ids removed.

        A company's linked subjects are detached (`linked="detach"`) or
        deleted with it (`linked="delete"`); with neither, a company that
        has any is not deleted.
        """
        client = self.get(client_id)
        subjects = self.linked_subjects(client.id)
        if subjects and linked not in ("detach", "delete"):
            raise FormErrors(
                {
                    "linked_to": f"{client.name} ha {linked_count(len(subjects))}: "
                    "scegli se scollegarli o eliminarli insieme alla società"
                }
            )
        removed_clients = [client]
        if linked == "delete":
            removed_clients += subjects
        removed = [client.id]
        if linked == "delete":
            removed += [subject.id for subject in subjects]
        elif subjects:
            self.index.put_many(
                subject.replace(linked_to="", role="") for subject in subjects
            )
        self.index.delete(removed)
        for removed_id in removed:
            for kind in SecretKind:
                try:
                    self.secrets.delete(removed_id, kind)
                except SecretStoreError:
                    log.exception(
                        "keyring entry %s of deleted client %s left behind",
                        kind,
                        removed_id,
                    )
        log.info("deleted clients %s", ", ".join(removed))
        for gone in removed_clients:
            self._audit("delete", gone)
        self._changed()
        return removed

    def reveal_secret(
        self, client_id: str, kind: SecretKind, purpose: str = "reveal"
    ) -> str:
        """Read one secret for the user to see ("reveal") or to "copy"; raise if missing."""
        client = self.get(client_id)
        with reading_secrets():
            value = self.secrets.get(client.id, kind)
        if not value and kind in (SecretKind.PASSWORD, SecretKind.PIN):
            self._note_missing_secrets(
                client,
                password=kind is not SecretKind.PASSWORD and client.has_password,
                pin=kind is not SecretKind.PIN and client.has_pin,
            )
        if not value:
            label = "password" if kind is SecretKind.PASSWORD else "PIN"
            raise MissingCredentials(f"{client.name}: credenziali mancanti ({label})")
        log.info("%s of client %s read for the user (%s)", kind, client.id, purpose)
        self._audit(purpose, client, detail=kind.value)
        return value

    def _note_missing_secrets(
        self, client: Client, *, password: bool, pin: bool
    ) -> None:
        """Record that the keyring lacks a secret the index lists for the client.

        The menu and the rubrica then show the client as "credenziali
        mancanti" instead of offering a login that cannot work.
        """
        if (client.has_password, client.has_pin) == (password, pin):
            return
        log.warning("client %s: the keyring lacks a secret the index listed", client.id)
        self.index.put(
            client.replace(
                has_password=client.has_password and password,
                has_pin=client.has_pin and pin,
            )
        )
        self._changed()

    def copy_user_id(self, client_id: str) -> str:
        """Return the client's portal user id for the clipboard, recording the copy."""
        client = self.get(client_id)
        log.info("user id of client %s read for the user (copy)", client.id)
        self._audit("copy", client, detail="user_id")
        return client.login_user_id

    def renew_password(self, client_id: str, new_password: str) -> Client:
        """Store a password the user has just set on the portal, keeping the last 3.

        The current password moves to the first history entry and the older
        ones shift down, so `restore_previous_password` can undo a renewal
        that was typed wrong on the portal.
        """
        checked = validate_password(new_password)
        if not checked:
            raise FieldError("password", "è vuota")
        client = self.get(client_id)
        for kind, value, _ in reversed(self._password_writes(client.id, checked)):
            self.secrets.set(client.id, kind, value)
        renewed = client.replace(
            has_password=True,
            password_changed_on=self._today(),
            password_expired=False,
            login_failures=0,
            account_locked=False,
        )
        self.index.put(renewed)
        log.info("password of client %s renewed", client.id)
        self._audit("new-password", renewed)
        self._changed()
        return renewed

    def restore_previous_password(self, client_id: str) -> Client:
        """Put back the previous password, whichever change replaced it.

        The current password takes its place as the previous one, so a
        restore made by mistake is undone by restoring again.
        """
        client = self.get(client_id)
        current = self.secrets.get(client.id, SecretKind.PASSWORD)
        previous = self.secrets.get(client.id, PASSWORD_HISTORY[0])
        if not previous:
            raise MissingCredentials(
                f"{client.name}: nessuna password precedente nel portachiavi"
            )
        self.secrets.set(client.id, SecretKind.PASSWORD, previous)
        if current:
            self.secrets.set(client.id, PASSWORD_HISTORY[0], current)
        else:
            # A removed password comes back, and the older ones move up.
            older = [self.secrets.get(client.id, kind) for kind in PASSWORD_HISTORY[1:]]
            for kind, value in zip(PASSWORD_HISTORY, [*older, None], strict=True):
                if value is None:
                    self.secrets.delete(client.id, kind)
                else:
                    self.secrets.set(client.id, kind, value)
        if not client.has_password:
            client = client.replace(has_password=True)
            self.index.put(client)
        self._audit("edit", client, detail="ripristinata la password precedente")
        log.info("previous password of client %s restored", client.id)
        self._changed()
        return client

    def import_file(
        self,
        path: Path,
        *,
        dry_run: bool = False,
        choices: Mapping[str, str] | None = None,
        progress: ProgressCallback | None = None,
    ) -> ImportReport:
        """Import a client list; see `trayapp.importing.service.import_file`."""
        report = import_file(
            path,
            self.index,
            self.secrets,
            dry_run=dry_run,
            today=self._today(),
            choices=choices,
            mappings=MappingStore(self.paths.config_dir),
            progress=progress,
            pending=self.pending_secrets,
        )
        if not dry_run and (report.imported or report.updated):
            self._audit(
                "import",
                detail=f"{path.name}: {report.imported} importati, "
                f"{report.updated} aggiornati, {len(report.rejected)} scarti",
            )
            self._changed()
        return report

    def remove_interrupted_secrets(self) -> int:
        """Remove the secrets an interrupted import or restore left; return the count.

        Only the writer holding the instance lock may call it.
        """
        return self.pending_secrets.sweep(self.index, self.secrets)

    def today(self) -> date:
        return self._today()

    def password_status(self, client: Client) -> tuple[PasswordStatus, int | None]:
        return password_status(
            client.password_changed_on,
            self._today(),
            self.settings.expiry_rules,
            marked_expired=client.password_expired,
        )

    def mark_used(self, client_id: str) -> None:
        client = self.get(client_id)
        stamp = datetime.now(UTC).isoformat(timespec="seconds")
        self.index.put(client.replace(last_used_at=stamp))
        self._changed()

    # -- actions ---------------------------------------------------------------

    def send_email(self, client_id: str) -> EmailResult:
        """Open a new message to the client in the default mail program."""
        client = self.get(client_id)
        if not client.email:
            raise MissingCredentials(
                f"{client.name}: nessun indirizzo email in anagrafica"
            )
        try:
            uri = build_mailto(client.email)
        except MailtoError:
            log.error(
                "client %s has an email address that cannot go in a mailto URI",
                client.id,
            )
            raise
        self._open_uri(uri)
        log.info("email to client %s handed to the mail program", client.id)
        self._audit("email", client)
        self.mark_used(client.id)
        return EmailResult(uri)

    def login(self, client_id: str, target: str | None = None) -> LoginResult:
        """Log the client in on the portal in a browser window; return the LoginResult.

        The guard runs first: a locked account, or as many refused logins in
        a row as the settings allow, raises LoginRefused without contacting
        the portal. The outcome is recorded in the index, never the secrets.
        """
        from trayapp.login.profile import load_profile

        client = self.get(client_id)
        try:
            self.check_login_allowed(client)
        except LoginRefused:
            self._audit("login", client, outcome="rifiutato da trayapp")
            raise
        profile = load_profile(self.paths.config_dir, self._environ)
        credentials = self.credentials(client.id)
        engine = self._login_engine(profile)
        log.info(
            "login of client %s to %s started", client.id, target or "default target"
        )
        result = engine.login(
            credentials, target or profile.default_target, profile=profile
        )
        log.info("login of client %s ended: %s", client.id, result.outcome)
        self._audit("login", client, outcome=result.outcome.value)
        self._record_login(client.id, result.outcome.value)
        return result

    def check_login_allowed(self, client: Client) -> None:
        """Raise LoginRefused for a locked account or too many refused logins."""
        unblock = (
            "Correggi le credenziali in Servizi telematici, oppure, se sono giuste, "
            f"sblocca il cliente con «trayapp unblock {client.codice_fiscale}»."
        )
        if client.account_locked:
            raise LoginRefused(
                f"{client.name}: il portale ha bloccato l'utenza all'ultimo accesso, "
                f"quindi trayapp non riprova. {unblock}"
            )
        limit = self.settings.max_login_failures
        if client.login_failures >= limit:
            raise LoginRefused(
                f"{client.name}: {client.login_failures} accessi rifiutati di seguito "
                f"per credenziali errate; trayapp non riprova per non far bloccare "
                f"l'utenza (il portale la blocca dopo 8 tentativi). {unblock}"
            )

    def _record_login(self, client_id: str, outcome: str) -> None:
        from trayapp.login.outcome import login_record

        client = self.get(client_id)
        now = datetime.now(UTC).isoformat(timespec="seconds")
        changes = login_record(client, outcome, now, self._today())
        self.index.put(client.replace(**changes))
        self._changed()

    def unblock(self, client_id: str) -> Client:
        """Clear the failure count and the locked mark, so Login is tried again."""
        client = self.get(client_id).replace(login_failures=0, account_locked=False)
        self.index.put(client)
        log.info("client %s unblocked", client.id)
        self._audit("unblock", client)
        self._changed()
        return client

    def _login_engine(self, profile: LoginProfile) -> LoginEngine | EmbeddedLoginEngine:
        from trayapp.login.choice import open_login_engine

        with self._engine_lock:
            if self._engine is None:
                self._engine = open_login_engine(profile, self._environ)
            return self._engine

    def wait_for_browser(self) -> None:
        """Block until the user has closed every login window."""
        if self._engine is not None:
            self._engine.wait_until_closed()

    def close(self) -> None:
        if self._engine is not None:
            self._engine.close()
            self._engine = None
        self.secrets.close()
        self.index.close()
        if self.audit is not None:
            self.audit.close()


def _open_keyring() -> SecretStore:
    # The keyring library is imported only here, on the first secret's use.
    # After a failed open the next use calls this again, and the backend is
    # chosen anew, in case a keyring daemon has started since.
    from trayapp.secretstore.keyring_store import open_secret_store

    return open_secret_store(redetect=True)


def open_studio(environ: Mapping[str, str] = os.environ) -> Studio:
    """Build the studio on this machine's folders, TinyDB index and OS keyring."""
    from trayapp.secretstore.deferred import DeferredSecretStore
    from trayapp.storage.tinydb_index import TinyDBClientIndex

    paths = resolve_paths(environ)
    for folder in (paths.data_dir, paths.config_dir, paths.log_dir):
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    settings = load_settings(paths.config_dir)
    index = TinyDBClientIndex(paths.index_file, backups=settings.index_backups)
    if index.recovery_notice:
        log.warning("index recovered on open: %s", index.recovery_notice)
    secrets = DeferredSecretStore(_open_keyring)
    return Studio(
        index, secrets, paths, environ=environ, audit=AuditLog(paths.data_dir)
    )
