"""The tray menu as plain data: the entries the tray shows, built from clients.

This module imports no GUI toolkit, so the menu rules are testable without a
display. `trayapp.tray.icon` turns the entries into pystray items.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Sequence
from functools import partial

from trayapp.domain.client import Client

# Above this many clients the menu groups them under letters, because a flat
# menu taller than the screen needs scrolling.
FLAT_MENU_MAX_CLIENTS = 25
RECENT_MAX_CLIENTS = 10
OTHER_LETTER = "#"
_DIGITS = re.compile(r"\d+")

LOGIN_LABEL = "Login cassetto fiscale"
EMAIL_LABEL = "Invia email"
NO_CREDENTIALS_SUFFIX = "credenziali mancanti"
NO_EMAIL_SUFFIX = "email mancante"
COPY_USER_LABEL = "Copia utente"
COPY_PASSWORD_LABEL = "Copia password"
COPY_PIN_LABEL = "Copia PIN"
NO_PASSWORD_SUFFIX = "password mancante"
NO_PIN_SUFFIX = "PIN mancante"
RECENT_LABEL = "Recenti"
NO_CLIENTS_LABEL = "Nessun cliente in rubrica"
OPEN_WINDOW_LABEL = "Apri rubrica"
EXPIRING_LABEL = "Password in scadenza"
QUIT_LABEL = "Esci"

Action = tuple[str, ...]


class MenuEntry:
    """One menu row: a command, a submenu (with `children`) or a separator.

    A submenu's children may come from `make_children`, called on the first
    read of `children`, so a menu of 10,000 clients costs only its top rows
    until a submenu opens. `signature` then represents the children in
    comparisons: two such entries are equal when their signatures are.
    """

    __slots__ = (
        "text",
        "action",
        "enabled",
        "separator",
        "_children",
        "_make_children",
        "_signature",
    )

    def __init__(
        self,
        text: str = "",
        action: Action | None = None,
        enabled: bool = True,
        children: tuple[MenuEntry, ...] = (),
        separator: bool = False,
        *,
        make_children: Callable[[], Iterable[MenuEntry]] | None = None,
        signature: Hashable = None,
    ) -> None:
        self.text = text
        self.action = action
        self.enabled = enabled
        self.separator = separator
        self._children = children
        self._make_children = make_children
        self._signature = signature if make_children is not None else None

    @property
    def children(self) -> tuple[MenuEntry, ...]:
        """The submenu's entries, made now if they were deferred."""
        make_children = self._make_children
        if make_children is not None:
            # Two threads may both make them; the results are equal.
            self._children = tuple(make_children())
            self._make_children = None
        return self._children

    @property
    def is_submenu(self) -> bool:
        """Whether the entry opens a submenu, checked without making the submenu."""
        return self._make_children is not None or bool(self._children)

    def _key(self) -> tuple[object, ...]:
        content: object
        if self._signature is not None:
            content = ("deferred", self._signature)
        else:
            content = self.children
        return (self.text, self.action, self.enabled, self.separator, content)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, MenuEntry):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        # The children are left out: a signature may hold unhashable clients.
        return hash((self.text, self.action, self.enabled, self.separator))

    def __repr__(self) -> str:
        if self.separator:
            return "MenuEntry(separator=True)"
        kind = "submenu" if self.is_submenu else repr(self.action)
        return f"MenuEntry({self.text!r}, {kind}, enabled={self.enabled})"


SEPARATOR = MenuEntry(separator=True)
LOGIN_UNAVAILABLE = MenuEntry(f"{LOGIN_LABEL} — {NO_CREDENTIALS_SUFFIX}", enabled=False)
EMAIL_UNAVAILABLE = MenuEntry(f"{EMAIL_LABEL} — {NO_EMAIL_SUFFIX}", enabled=False)
COPY_PASSWORD_UNAVAILABLE = MenuEntry(
    f"{COPY_PASSWORD_LABEL} — {NO_PASSWORD_SUFFIX}", enabled=False
)
COPY_PIN_UNAVAILABLE = MenuEntry(f"{COPY_PIN_LABEL} — {NO_PIN_SUFFIX}", enabled=False)


def fold(text: str) -> str:
    """Return `text` without accents and case-folded, for sorting and comparing."""
    if text.isascii():
        return text.casefold().strip()
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(char for char in decomposed if not unicodedata.combining(char))
    return stripped.casefold().strip()


def natural_key(folded_name: str) -> str:
    """Return an already folded name with each number padded to 12 digits.

    Comparing the results puts "Ditta 20" before "Ditta 100", as the
    rubrica's list does.
    """
    if _DIGITS.search(folded_name) is None:
        return folded_name
    return _DIGITS.sub(lambda digits: digits.group().zfill(12), folded_name)


def letter_of(folded_name: str) -> str:
    """Return the A–Z group of an already folded name, or "#" for anything else."""
    first = folded_name[:1]
    if "a" <= first <= "z":
        return first.upper()
    return OTHER_LETTER


def menu_text(label: str, platform: str) -> str:
    """Return `label` as the menu must receive it on `platform` (a sys.platform value).

    Win32 menus read "&" as the mark of a keyboard mnemonic and pystray passes
    the text through unchanged, so a literal ampersand is written "&&" there.
    GTK needs nothing: pystray 0.19.5 makes plain labels (no mnemonic, no
    markup), and libdbusmenu-gtk doubles their "_" before AppIndicator
    exports them, so "_" and "&" show as typed.
    """
    if platform == "win32":
        return label.replace("&", "&&")
    return label


class NameCache:
    """Each client's name, folded name and sort key, kept between menu builds.

    The index hands out the same Client object until that client changes.
    An entry is reused while its client is that same object, so a rebuild
    after one edit folds one name instead of all of them.
    """

    def __init__(self) -> None:
        # client id -> (client object, name, folded name, sort key)
        self._entries: dict[str, tuple[Client, str, str, tuple[str, str]]] = {}

    def update(
        self, clients: Sequence[Client]
    ) -> tuple[dict[str, str], dict[str, str], dict[str, tuple[str, str]]]:
        """Return names, folded names and sort keys of `clients`, by client id."""
        previous = self._entries
        fresh: dict[str, tuple[Client, str, str, tuple[str, str]]] = {}
        for client in clients:
            entry = previous.get(client.id)
            if entry is None or entry[0] is not client:
                name = client.name
                folded_name = fold(name)
                entry = (
                    client,
                    name,
                    folded_name,
                    (natural_key(folded_name), client.id),
                )
            fresh[client.id] = entry
        self._entries = fresh
        names = {client_id: entry[1] for client_id, entry in fresh.items()}
        folded = {client_id: entry[2] for client_id, entry in fresh.items()}
        keys = {client_id: entry[3] for client_id, entry in fresh.items()}
        return names, folded, keys


def build_menu(
    clients: Sequence[Client],
    recent_ids: Sequence[str],
    *,
    window_available: bool,
    expiring: Sequence[tuple[str, str]] = (),
    name_cache: NameCache | None = None,
) -> list[MenuEntry]:
    """Build the tray menu entries for `clients`, most recent first when grouped.

    `expiring` lists (client id, state text such as "scade tra 5 giorni") of
    the passwords expiring or expired; they get a submenu of their own first.
    `name_cache`, kept by the caller from one build to the next, saves
    folding the names of clients that did not change.
    """
    cache = name_cache if name_cache is not None else NameCache()
    names, folded, keys = cache.update(clients)
    ordered = sorted(clients, key=lambda client: keys[client.id])
    labels = _Labels(names, folded)

    entries: list[MenuEntry] = []
    if expiring:
        entries.append(_expiring_submenu(clients, expiring, labels))
        entries.append(SEPARATOR)
    if not ordered:
        entries.append(MenuEntry(NO_CLIENTS_LABEL, enabled=False))
    elif len(ordered) <= FLAT_MENU_MAX_CLIENTS:
        entries.extend(_client_entry(client, labels.of(client)) for client in ordered)
    else:
        entries.extend(_recent_section(clients, recent_ids, labels))
        entries.extend(_letter_submenus(ordered, folded, labels))

    entries.append(SEPARATOR)
    if window_available:
        entries.append(MenuEntry(OPEN_WINDOW_LABEL, action=("open_window",)))
    entries.append(MenuEntry(QUIT_LABEL, action=("quit",)))
    return entries


class _Labels:
    """Client labels: the name, with the codice fiscale added to shared names."""

    def __init__(self, names: dict[str, str], folded: dict[str, str]) -> None:
        self._names = names
        self._folded = folded
        counts = Counter(folded.values())
        self.shared = {name for name, count in counts.items() if count > 1}

    def is_shared(self, client: Client) -> bool:
        return self._folded[client.id] in self.shared

    def of(self, client: Client) -> str:
        name = self._names[client.id]
        if self.is_shared(client):
            return f"{name} ({client.codice_fiscale})"
        return name


def _expiring_submenu(
    clients: Sequence[Client],
    expiring: Sequence[tuple[str, str]],
    labels: _Labels,
) -> MenuEntry:
    """Return the "Password in scadenza" submenu, whose rows are made when it opens."""
    by_id = {client.id: client for client in clients}
    members = [
        (by_id[client_id], f"{labels.of(by_id[client_id])} — {state}")
        for client_id, state in expiring
        if client_id in by_id
    ]
    return MenuEntry(
        f"{EXPIRING_LABEL} ({len(members)})",
        make_children=partial(_labelled_client_rows, members),
        signature=tuple(members),
    )


def _labelled_client_rows(
    members: Sequence[tuple[Client, str]],
) -> Iterable[MenuEntry]:
    return (_client_entry(client, label) for client, label in members)


def _client_entry(client: Client, label: str) -> MenuEntry:
    """Return a client's submenu row, whose commands are made when it opens."""
    return MenuEntry(
        label,
        make_children=partial(_client_commands, client),
        signature=_client_signature(client),
    )


def _client_signature(client: Client) -> tuple[object, ...]:
    """Return what the client's submenu depends on, besides its label."""
    return (
        client.id,
        client.has_password,
        client.has_pin,
        bool(client.email.strip()),
    )


def _client_commands(client: Client) -> tuple[MenuEntry, ...]:
    """Return a client's submenu: login, email, then the copy commands."""
    if client.has_credentials:
        login = MenuEntry(LOGIN_LABEL, action=("login", client.id))
    else:
        login = LOGIN_UNAVAILABLE

    if client.email.strip():
        email = MenuEntry(EMAIL_LABEL, action=("email", client.id))
    else:
        email = EMAIL_UNAVAILABLE

    # The user id falls back to the codice fiscale, so it is always there.
    copy_user = MenuEntry(COPY_USER_LABEL, action=("copy", client.id, "user_id"))
    if client.has_password:
        copy_password = MenuEntry(
            COPY_PASSWORD_LABEL, action=("copy", client.id, "password")
        )
    else:
        copy_password = COPY_PASSWORD_UNAVAILABLE
    if client.has_pin:
        copy_pin = MenuEntry(COPY_PIN_LABEL, action=("copy", client.id, "pin"))
    else:
        copy_pin = COPY_PIN_UNAVAILABLE

    return (login, email, SEPARATOR, copy_user, copy_password, copy_pin)


def _recent_section(
    clients: Sequence[Client], recent_ids: Sequence[str], labels: _Labels
) -> Iterable[MenuEntry]:
    """Yield the "Recenti" header, its clients in `recent_ids` order and a separator."""
    by_id = {client.id: client for client in clients}
    recent: list[Client] = []
    seen: set[str] = set()
    for client_id in recent_ids:
        client = by_id.get(client_id)
        if client is None or client_id in seen:
            continue
        seen.add(client_id)
        recent.append(client)
        if len(recent) == RECENT_MAX_CLIENTS:
            break

    if not recent:
        return
    yield MenuEntry(RECENT_LABEL, enabled=False)
    for client in recent:
        yield _client_entry(client, labels.of(client))
    yield SEPARATOR


def _letter_submenus(
    ordered: Sequence[Client], folded: dict[str, str], labels: _Labels
) -> Iterable[MenuEntry]:
    """Yield one submenu per initial letter in use, A to Z and then "#".

    A letter's client rows are made when its submenu opens. Its signature
    is its clients, which the index hands out as the same objects until they
    change, and those with shared names, whose labels depend on the others.
    """
    groups: dict[str, list[Client]] = {}
    for client in ordered:
        groups.setdefault(letter_of(folded[client.id]), []).append(client)

    shared_by_letter: dict[str, list[str]] = {}
    if labels.shared:
        for client in ordered:
            if labels.is_shared(client):
                letter = letter_of(folded[client.id])
                shared_by_letter.setdefault(letter, []).append(client.id)

    for letter in sorted(groups, key=lambda letter: (letter == OTHER_LETTER, letter)):
        members = groups[letter]
        shared = tuple(shared_by_letter.get(letter, ()))
        yield MenuEntry(
            letter,
            make_children=partial(_client_rows, members, labels),
            signature=(tuple(members), shared),
        )


def _client_rows(members: Sequence[Client], labels: _Labels) -> Iterable[MenuEntry]:
    return (_client_entry(client, labels.of(client)) for client in members)
