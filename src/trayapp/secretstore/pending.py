"""A record of new clients' secrets written before the index names them.

An import or a restore writes each new client's password and PIN to the
keyring first and the index last. When the process ends between the two
(a kill, a power cut, the tray closed mid-import), the keyring keeps
secrets under ids the index never got. The record lists those ids, and
only ids, so the next writer can remove what they left behind.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from trayapp.atomicfile import write_atomically
from trayapp.domain.credentials import SecretKind
from trayapp.secretstore.base import SecretStore, SecretStoreError

if TYPE_CHECKING:
    from trayapp.storage.base import ClientIndex

log = logging.getLogger(__name__)

PENDING_FILE = "pending-secrets.json"


class PendingSecretWrites:
    """Ids of new clients whose secrets are in the keyring ahead of the index.

    Only the process holding the instance lock may call `sweep`, because
    an import running elsewhere has its own ids in the record.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    def ids(self) -> set[str]:
        """Return the recorded ids; an unreadable record counts as empty."""
        try:
            record = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return set()
        except (OSError, ValueError) as error:
            log.warning("pending secret record %s unreadable: %s", self.path, error)
            return set()
        ids = record.get("ids") if isinstance(record, dict) else None
        if not isinstance(ids, list):
            return set()
        return {item for item in ids if isinstance(item, str)}

    @contextlib.contextmanager
    def recorded(self, client_ids: Collection[str]) -> Iterator[None]:
        """Keep `client_ids` in the record while the block writes their secrets.

        The record is removed when the block ends normally. After an error it
        stays: the block has undone its writes, and when the keyring failed
        to undo some, the next `sweep` removes them.
        """
        if not client_ids:
            yield
            return
        # Ids a crashed writer left are kept until a sweep has handled them.
        ids = sorted(self.ids() | set(client_ids))
        write_atomically(self.path, json.dumps({"ids": ids}).encode("utf-8"))
        yield
        self.path.unlink(missing_ok=True)

    def sweep(self, index: ClientIndex, secrets: SecretStore) -> int:
        """Remove the secrets of recorded ids the index lacks; return how many ids.

        The record is removed once every secret is gone. When the keyring
        fails, the record stays for the next sweep and nothing is raised.
        """
        ids = self.ids()
        if not ids:
            self.path.unlink(missing_ok=True)
            return 0
        orphans = ids - {client.id for client in index.all()}
        try:
            for client_id in sorted(orphans):
                for kind in SecretKind:
                    secrets.delete(client_id, kind)
        except SecretStoreError as error:
            log.warning(
                "removing secrets of %d interrupted new clients failed: %s",
                len(orphans),
                error,
            )
            return 0
        self.path.unlink(missing_ok=True)
        if orphans:
            log.info(
                "removed the secrets of %d new clients an interrupted write left "
                "in the keyring",
                len(orphans),
            )
        return len(orphans)
