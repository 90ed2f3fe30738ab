"""The tray's "Password in scadenza" section, icon mark and daily notice."""

from datetime import date, timedelta

from PIL import Image

from trayapp.app import Studio
from trayapp.domain.client import Client, Kind
from trayapp.paths import resolve_paths
from trayapp.resident import TrayActions, expiry_text
from trayapp.secretstore.base import UnavailableSecretStore
from trayapp.storage.tinydb_index import TinyDBClientIndex
from trayapp.tray.icon import badge_icon
from trayapp.tray.menu import SEPARATOR, build_menu

TODAY = date(2026, 12, 4)


def person(client_id: str, surname: str, changed_days_ago: int | None) -> Client:
    changed = (
        TODAY - timedelta(days=changed_days_ago)
        if changed_days_ago is not None
        else None
    )
    return Client(
        id=client_id,
        kind=Kind.PERSONA_FISICA,
        codice_fiscale=f"CF{client_id}",
        cognome=surname,
        nome="ANNA",
        email="a@example.it",
        has_password=True,
        has_pin=True,
        password_changed_on=changed,
    )


def studio_with(tmp_path, clients: list[Client]) -> Studio:
    paths = resolve_paths({"TRAYAPP_HOME": str(tmp_path)})
    paths.data_dir.mkdir(parents=True)
    index = TinyDBClientIndex(paths.index_file)
    index.put_many(clients)
    return Studio(index, UnavailableSecretStore("-"), paths, today=lambda: TODAY)


def test_expiry_text():
    assert expiry_text(None) == "scaduta"
    assert expiry_text(-3) == "scaduta"
    assert expiry_text(0) == "scade oggi"
    assert expiry_text(1) == "scade domani"
    assert expiry_text(15) == "scade tra 15 giorni"


def test_expiring_lists_soonest_first(tmp_path):
    studio = studio_with(
        tmp_path,
        [
            person("a", "ALFA", 10),
            person("b", "BETA", 80),
            person("c", "GAMMA", 95),
            person("d", "DELTA", 89),
            person("e", "EPSILON", None),
        ],
    )
    actions = TrayActions(studio, notify=lambda *_: None, open_window=lambda: None)
    assert actions.expiring() == [
        ("c", "scaduta"),
        ("d", "scade domani"),
        ("b", "scade tra 10 giorni"),
    ]


def test_menu_section_first_with_count(tmp_path):
    clients = [person("a", "ALFA", 10), person("c", "GAMMA", 95)]
    entries = build_menu(
        clients, [], window_available=True, expiring=[("c", "scaduta")]
    )
    assert entries[0].text == "Password in scadenza (1)"
    assert [child.text for child in entries[0].children] == ["GAMMA ANNA — scaduta"]
    assert [c.text for c in entries[0].children[0].children][:2] == [
        "Login cassetto fiscale",
        "Invia email",
    ]
    assert entries[1] == SEPARATOR
    assert entries[2].text == "ALFA ANNA"


def test_no_section_without_expiring(tmp_path):
    entries = build_menu([person("a", "ALFA", 10)], [], window_available=False)
    assert entries[0].text == "ALFA ANNA"


def test_notice_once_a_day(tmp_path):
    studio = studio_with(tmp_path, [person("c", "GAMMA", 95), person("d", "DELTA", 80)])
    shown: list[tuple[str, str]] = []
    actions = TrayActions(
        studio, notify=lambda *args: shown.append(args), open_window=lambda: None
    )

    actions.notify_expiring_once_a_day()
    actions.notify_expiring_once_a_day()

    assert shown == [
        (
            "Password in scadenza",
            "2 password da rinnovare: le trovi nel menu «Password in scadenza».",
        )
    ]


def test_badge_marks_lower_right_corner():
    plain = Image.new("RGBA", (64, 64), (31, 95, 168, 255))
    badged = badge_icon(plain)
    assert badged.size == plain.size
    assert badged.getpixel((50, 50))[:3] == (214, 40, 40)
    assert badged.getpixel((10, 10)) == plain.getpixel((10, 10))
