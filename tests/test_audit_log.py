"""The audit log file: append-only JSON lines, rotated by size, owner-only."""

import json
import stat

from trayapp.audit import AuditLog
from trayapp.domain.client import Client, Kind

CLIENT = Client(
    id="c0ffee000001",
    kind=Kind.PERSONA_FISICA,
    codice_fiscale="X",
    cognome="ROSSI",
    nome="ANNA",
)


def test_rotation_keeps_every_entry_in_order(tmp_path):
    audit = AuditLog(tmp_path, max_bytes=600, kept=20)
    for number in range(30):
        audit.record("reveal", CLIENT, detail=f"pin {number}")
    audit.close()

    assert (tmp_path / "audit.log.1").exists()
    details = [entry["detail"] for entry in AuditLog(tmp_path).entries()]
    assert details == [f"pin {number}" for number in range(30)]


def test_entries_filter_by_client(tmp_path):
    audit = AuditLog(tmp_path)
    audit.record("import", detail="clienti.csv")
    audit.record("login", CLIENT, outcome="success")
    entries = audit.entries(client_id=CLIENT.id)
    assert [(entry["action"], entry["outcome"]) for entry in entries] == [
        ("login", "success")
    ]
    assert entries[0]["client_name"] == "ROSSI ANNA"


def test_file_is_owner_only_and_lines_are_json(tmp_path):
    audit = AuditLog(tmp_path)
    audit.record("copy", CLIENT, detail="password")
    audit.close()
    path = tmp_path / "audit.log"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    (line,) = path.read_text(encoding="utf-8").splitlines()
    assert json.loads(line)["action"] == "copy"
