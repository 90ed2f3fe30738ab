"""Tray menu model: the labels, groups and disabled commands shown."""

from __future__ import annotations

import string
import subprocess
import sys

from trayapp.domain.client import Client, Kind
from trayapp.tray import menu
from trayapp.tray.icon import linux_backend_candidates, tooltip_text
from trayapp.tray.menu import (
    SEPARATOR,
    MenuEntry,
    build_menu,
    menu_text,
)


def person(
    client_id: str,
    cognome: str,
    nome: str,
    *,
    codice_fiscale: str = "RSSMRA80A01H501U",
    email: str = "cliente@example.it",
    credentials: bool = True,
) -> Client:
    return Client(
        id=client_id,
        kind=Kind.PERSONA_FISICA,
        codice_fiscale=codice_fiscale,
        cognome=cognome,
        nome=nome,
        email=email,
        has_password=credentials,
        has_pin=credentials,
    )


def texts(entries: list[MenuEntry] | tuple[MenuEntry, ...]) -> list[str]:
    return ["---" if entry.separator else entry.text for entry in entries]


def many_clients(count: int) -> list[Client]:
    """Return `count` clients spread over all letters, with a few digit names."""
    clients = []
    for number in range(count):
        letter = string.ascii_uppercase[number % 26]
        cognome = f"{letter}COGNOME{number:05d}"
        if number % 97 == 0:
            cognome = f"{number:05d} SRL"
        clients.append(person(f"id{number:05d}", cognome, "NOME"))
    return clients


def test_menu_without_clients():
    entries = build_menu([], [], window_available=True)
    assert texts(entries) == [
        "Nessun cliente in rubrica",
        "---",
        "Apri rubrica",
        "Esci",
    ]
    assert entries[0].enabled is False
    assert entries[0].action is None


def test_menu_one_client_commands():
    rossi = person("c1", "ROSSI", "MARIO")
    entries = build_menu([rossi], [], window_available=False)

    assert texts(entries) == ["ROSSI MARIO", "---", "Esci"]
    assert texts(entries[0].children) == [
        "Login cassetto fiscale",
        "Invia email",
        "---",
        "Copia utente",
        "Copia password",
        "Copia PIN",
    ]
    login, email, _, copy_user, copy_password, copy_pin = entries[0].children
    assert login.action == ("login", "c1")
    assert login.enabled is True
    assert email.action == ("email", "c1")
    assert email.enabled is True
    assert copy_user.action == ("copy", "c1", "user_id")
    assert copy_password.action == ("copy", "c1", "password")
    assert copy_pin.action == ("copy", "c1", "pin")
    assert entries[-1].action == ("quit",)


def test_menu_open_window_only_when_available():
    rossi = person("c1", "ROSSI", "MARIO")
    with_window = build_menu([rossi], [], window_available=True)
    without_window = build_menu([rossi], [], window_available=False)

    assert texts(with_window)[-2:] == ["Apri rubrica", "Esci"]
    assert with_window[-2].action == ("open_window",)
    assert "Apri rubrica" not in texts(without_window)


def test_menu_disabled_commands_say_why():
    client = person("c1", "BIANCHI", "LUCIA", email="", credentials=False)
    children = build_menu([client], [], window_available=False)[0].children
    login, email, _, copy_user, copy_password, copy_pin = children

    assert login.text == "Login cassetto fiscale — credenziali mancanti"
    assert login.enabled is False
    assert login.action is None
    assert email.text == "Invia email — email mancante"
    assert email.enabled is False
    assert email.action is None
    assert copy_user.enabled is True
    assert copy_password.text == "Copia password — password mancante"
    assert copy_password.enabled is False
    assert copy_password.action is None
    assert copy_pin.text == "Copia PIN — PIN mancante"
    assert copy_pin.enabled is False
    assert copy_pin.action is None


def test_menu_password_without_pin_disables_login():
    client = Client(
        id="c1",
        kind=Kind.PERSONA_FISICA,
        codice_fiscale="BNCLCU75B42F205X",
        cognome="BIANCHI",
        nome="LUCIA",
        email="lucia@example.it",
        has_password=True,
        has_pin=False,
    )
    children = build_menu([client], [], window_available=False)[0].children
    login, email, _, _, copy_password, copy_pin = children

    assert login.enabled is False
    assert login.text.endswith("credenziali mancanti")
    assert email.enabled is True
    assert copy_password.enabled is True
    assert copy_pin.enabled is False


def test_menu_duplicate_names_show_codice_fiscale():
    clients = [
        person("c1", "ROSSI", "MARIO", codice_fiscale="RSSMRA80A01H501U"),
        person("c2", "Rossi", "Mario", codice_fiscale="RSSMRA85M12F205Z"),
        person("c3", "NICOLÒ", "ANNA", codice_fiscale="NCLNNA70A41H501A"),
        person("c4", "NICOLO", "ANNA", codice_fiscale="NCLNNA71A41H501B"),
        person("c5", "VERDI", "LUCA", codice_fiscale="VRDLCU80A01H501C"),
    ]
    labels = texts(build_menu(clients, [], window_available=False))

    assert "ROSSI MARIO (RSSMRA80A01H501U)" in labels
    assert "Rossi Mario (RSSMRA85M12F205Z)" in labels
    assert "NICOLÒ ANNA (NCLNNA70A41H501A)" in labels
    assert "NICOLO ANNA (NCLNNA71A41H501B)" in labels
    assert "VERDI LUCA" in labels


def test_menu_flat_list_sorted_without_accents():
    clients = [
        person("c1", "ZANI", "PIA"),
        person("c2", "ÉRCOLI", "ADA"),
        person("c3", "bassi", "ugo"),
        person("c4", "ARMANI", "EVA"),
        person("c5", "Esposito", "Rita"),
    ]
    entries = build_menu(clients, [], window_available=False)

    assert texts(entries) == [
        "ARMANI EVA",
        "bassi ugo",
        "ÉRCOLI ADA",
        "Esposito Rita",
        "ZANI PIA",
        "---",
        "Esci",
    ]


def test_menu_numbers_in_names_by_value():
    clients = [
        person(f"d{number}", "DITTA", str(number), codice_fiscale=f"CF{number}")
        for number in (100, 20, 3)
    ]

    labels = texts(build_menu(clients, [], window_available=False))

    assert labels[:3] == ["DITTA 3", "DITTA 20", "DITTA 100"]


def test_menu_25_clients_stay_flat():
    entries = build_menu(many_clients(25), ["id00003"], window_available=False)

    assert len(entries) == 27
    assert "Recenti" not in texts(entries)
    assert all(len(entry.children) == 6 for entry in entries[:25])


def test_menu_30_clients_grouped_by_letter():
    clients = many_clients(30)
    recent = ["id00007", "missing", "id00002", "id00007", "id00029"]
    entries = build_menu(clients, recent, window_available=True)
    labels = texts(entries)

    assert labels[:5] == [
        "Recenti",
        "HCOGNOME00007 NOME",
        "CCOGNOME00002 NOME",
        "DCOGNOME00029 NOME",
        "---",
    ]
    assert entries[0].enabled is False
    assert entries[1].children[0].action == ("login", "id00007")

    letters = labels[5:-3]
    # Client 0 is "00000 SRL", the only one whose name starts with a digit.
    assert letters == list("ABCDEFGHIJKLMNOPQRSTUVWXYZ") + ["#"]
    assert labels[-3:] == ["---", "Apri rubrica", "Esci"]

    by_letter = {entry.text: entry for entry in entries[5:-3]}
    assert texts(by_letter["A"].children) == ["ACOGNOME00026 NOME"]
    assert texts(by_letter["B"].children) == [
        "BCOGNOME00001 NOME",
        "BCOGNOME00027 NOME",
    ]
    assert texts(by_letter["#"].children) == ["00000 SRL NOME"]


def test_menu_grouped_omits_empty_letters():
    clients = [person(f"a{n}", f"ALFA{n:02d}", "X") for n in range(20)]
    clients += [person(f"e{n}", f"ÈSSE{n:02d}", "X") for n in range(10)]
    labels = texts(build_menu(clients, [], window_available=False))

    assert labels == ["A", "E", "---", "Esci"]


def test_menu_2000_clients_recent_and_letters():
    clients = many_clients(2000)
    recent = [f"id{number:05d}" for number in range(100, 130)]
    entries = build_menu(clients, recent, window_available=False)
    labels = texts(entries)

    assert labels[0] == "Recenti"
    assert labels[1:11] == [
        f"{string.ascii_uppercase[number % 26]}COGNOME{number:05d} NOME"
        for number in range(100, 110)
    ]
    assert labels[11] == "---"
    assert labels[12:-2] == list("ABCDEFGHIJKLMNOPQRSTUVWXYZ") + ["#"]

    letter_groups = entries[12:-2]
    grouped = sum(len(group.children) for group in letter_groups)
    assert grouped == 2000
    for group in letter_groups:
        names = texts(group.children)
        assert names == sorted(names, key=str.casefold)
        for child in group.children:
            assert texts(child.children)[:2] == [
                "Login cassetto fiscale",
                "Invia email",
            ]


def test_submenus_made_on_first_read(monkeypatch):
    made = []
    commands = menu._client_commands
    monkeypatch.setattr(
        menu,
        "_client_commands",
        lambda client: made.append(client.id) or commands(client),
    )
    clients = many_clients(2000)
    entries = build_menu(clients, [], window_available=False)
    letter_b = next(entry for entry in entries if entry.text == "B")
    b_names = sum(client.cognome.startswith("B") for client in clients)

    assert made == []
    assert letter_b.is_submenu

    first = letter_b.children[0]

    assert len(letter_b.children) == b_names
    assert made == []

    assert texts(first.children)[:2] == ["Login cassetto fiscale", "Invia email"]
    assert made == ["id00001"]


def test_menus_compare_without_making_submenus(monkeypatch):
    clients = many_clients(2000)
    before = build_menu(clients, [], window_available=False)
    made = []
    monkeypatch.setattr(menu, "_client_rows", lambda *args: made.append(args) or ())

    same = build_menu(list(clients), [], window_available=False)
    clients[27] = clients[27].replace(has_pin=False)
    pin_removed = build_menu(clients, [], window_available=False)

    assert same == before
    assert pin_removed != before
    assert made == []


def test_name_cache_folds_only_edited(monkeypatch):
    clients = many_clients(200)
    cache = menu.NameCache()
    build_menu(clients, [], window_available=False, name_cache=cache)
    folded: list[str] = []
    real_fold = menu.fold
    monkeypatch.setattr(
        menu, "fold", lambda text: folded.append(text) or real_fold(text)
    )
    clients[5] = clients[5].replace(cognome="AAA PRIMO")

    entries = build_menu(clients, [], window_available=False, name_cache=cache)

    assert folded == ["AAA PRIMO NOME"]
    letter_a = next(entry for entry in entries if entry.text == "A")
    assert texts(letter_a.children)[0] == "AAA PRIMO NOME"


def test_shared_name_changes_other_label():
    clients = many_clients(60)
    before = build_menu(clients, [], window_available=False)
    clients[27] = clients[27].replace(cognome="BCOGNOME00001", codice_fiscale="X")
    after = build_menu(clients, [], window_available=False)
    letter_b = next(entry for entry in after if entry.text == "B")

    assert after != before
    assert texts(letter_b.children)[:2] == [
        "BCOGNOME00001 NOME (RSSMRA80A01H501U)",
        "BCOGNOME00001 NOME (X)",
    ]


def test_menu_entries_are_data():
    entries = build_menu([person("c1", "ROSSI", "MARIO")], [], window_available=True)

    assert entries[1] == SEPARATOR
    assert entries[1].separator is True
    assert hash(entries[0]) == hash(entries[0])


def test_menu_text_ampersand_on_windows():
    assert menu_text("VERDI & FIGLI SRL", "win32") == "VERDI && FIGLI SRL"
    assert menu_text("A&B && C", "win32") == "A&&B &&&& C"


def test_menu_text_ampersand_elsewhere():
    assert menu_text("VERDI & FIGLI SRL", "linux") == "VERDI & FIGLI SRL"
    assert menu_text("VERDI & FIGLI SRL", "darwin") == "VERDI & FIGLI SRL"


def test_tray_import_needs_no_display():
    code = (
        "import sys, trayapp.tray, trayapp.tray.icon, trayapp.tray.menu\n"
        "assert 'pystray' not in sys.modules, 'pystray imported'\n"
        "assert 'gi' not in sys.modules, 'gi imported'\n"
    )
    env = {"PATH": "/usr/bin:/bin"}
    completed = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True
    )
    assert completed.returncode == 0, completed.stderr


def test_tooltip_cut_to_127_characters():
    assert tooltip_text("trayapp") == "trayapp"
    assert tooltip_text("x" * 127) == "x" * 127
    cut = tooltip_text("x" * 300)
    assert len(cut) == 127
    assert cut.endswith("…")


def test_backend_requested_gtk_is_kept():
    assert linux_backend_candidates({"PYSTRAY_BACKEND": "gtk"}) == ["gtk"]
    assert linux_backend_candidates({"PYSTRAY_BACKEND": "appindicator"}) == [
        "appindicator"
    ]


def test_backend_xorg_request_replaced(monkeypatch):
    # No session bus address, so no StatusNotifierWatcher can be found.
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    assert linux_backend_candidates({"PYSTRAY_BACKEND": "xorg"}) == ["gtk"]
    assert linux_backend_candidates({}) == ["gtk"]
