"""Save clients to an index in a loop, printing each save once it returned.

Run as `python index_writer.py INDEX_FILE`; the kill tests stop it with
SIGKILL at a random moment and check that every printed save is there.
The journal is folded into the TinyDB file every few saves, so kills
also land in the middle of folds and backups.
"""

from __future__ import annotations

import sys
from itertools import count
from pathlib import Path

from trayapp.domain.client import Client, Kind
from trayapp.storage.tinydb_index import TinyDBClientIndex

CLIENTS = 40
FOLD_EVERY = 7


def client(number: int, sequence: int) -> Client:
    return Client(
        id=f"c{number:03d}",
        kind=Kind.PERSONA_FISICA,
        codice_fiscale="",
        cognome=f"CLIENTE {number}",
        nome="PROVA",
        note=str(sequence),
    )


def main() -> None:
    index = TinyDBClientIndex(
        Path(sys.argv[1]), backups=3, fold_after_entries=FOLD_EVERY
    )
    # Start after the highest sequence saved by an earlier, killed run.
    start = max((int(c.note) for c in index.all()), default=-1) + 1
    print("ready", flush=True)
    for sequence in count(start):
        number = sequence % CLIENTS
        print(f"saving {number} {sequence}", flush=True)
        index.put(client(number, sequence))
        print(f"saved {number} {sequence}", flush=True)


if __name__ == "__main__":
    main()
