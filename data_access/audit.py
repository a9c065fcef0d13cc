"""The audit log: who imported or exported what, and when (table `audit_log`).

One implementation for every caller: imports (data_access.ingest, inside the import's own
transaction), table downloads (ui/downloads.py), the briefing pack (the meeting page).
"""

from __future__ import annotations

import json
from datetime import datetime

import pandas as pd

from data_access.frames import rows_frame
from sqlalchemy import insert, select
from sqlalchemy.engine import Engine

from data_access import schema


def record_audit(connection_or_engine, actor: str, action: str, what: str, details: dict | None = None) -> None:
    """Append one row to audit_log: who (actor: the signed-in user name), what (action
    "import"/"export" and a short description: source or file name, rows), when (now), and
    details as JSON text."""
    row = {
        "at": datetime.now(),
        "actor": (actor or "unknown")[:100],
        "action": action[:16],
        "what": what,
        "details": json.dumps(details or {}, ensure_ascii=False, default=str),
    }
    if isinstance(connection_or_engine, Engine):
        with connection_or_engine.begin() as connection:
            connection.execute(insert(schema.audit_log), [row])
    else:
        connection_or_engine.execute(insert(schema.audit_log), [row])


def audit_entries(engine: Engine, limit: int = 50) -> pd.DataFrame:
    """The latest audit rows, newest first."""
    a = schema.audit_log.c
    with engine.connect() as connection:
        rows = connection.execute(select(a.at, a.actor, a.action, a.what).order_by(a.id.desc()).limit(limit)).all()
    return rows_frame(rows, columns=["at", "actor", "action", "what"])
