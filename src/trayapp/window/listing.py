"""The rubrica's client list as one JSON text, rebuilt only where clients changed.

The list goes to the page as {"columns": [...], "rows": [[...], ...]}:
without the field names repeated on every row, 10,000 clients make about
half the bytes. Each row's JSON is kept with the client object it came
from, and the index hands out the same object until that client changes,
so a refresh of an unchanged list only joins the kept texts.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import date
from typing import Any

from trayapp.domain.client import Client

RowMaker = Callable[[Client, dict[str, str]], dict[str, Any]]


class ClientListText:
    """Cache of the encoded rubrica rows, by client object and day."""

    def __init__(self, make_row: RowMaker, today: Callable[[], date]) -> None:
        self._make_row = make_row
        self._today = today
        self._lock = threading.Lock()
        self._columns: list[str] | None = None
        # client id -> (client object, linked name, day, encoded row)
        self._rows: dict[str, tuple[Client, str, date, str]] = {}

    def encode(self, clients: list[Client]) -> str:
        """Return the JSON text of the rows of `clients`, in their order."""
        names = {client.id: client.name for client in clients}
        today = self._today()
        with self._lock:
            kept = self._rows
            fresh: dict[str, tuple[Client, str, date, str]] = {}
            encoded = []
            for client in clients:
                linked = names.get(client.linked_to, "")
                entry = kept.get(client.id)
                if entry is None or not (
                    entry[0] is client and entry[1] == linked and entry[2] == today
                ):
                    entry = (client, linked, today, self._encode_row(client, names))
                fresh[client.id] = entry
                encoded.append(entry[3])
            self._rows = fresh
            columns = json.dumps(self._columns or [], separators=(",", ":"))
        return f'{{"columns":{columns},"rows":[{",".join(encoded)}]}}'

    def _encode_row(self, client: Client, names: dict[str, str]) -> str:
        row = self._make_row(client, names)
        if self._columns is None:
            self._columns = list(row)
        values = [row[column] for column in self._columns]
        return json.dumps(values, ensure_ascii=False, separators=(",", ":"))
