"""Password guessing, slowed per account name and per client address (table sign_in_throttle).

Kept in the database, not in the browser session: a reload, a new tab, a restart or another
app process sees the same counts. Each failed sign-in counts against the account name typed
(known or not, so a lock says nothing about which names exist) and against the client
address. After ACCOUNT_FREE failures in a row an account name is locked, first for
FIRST_LOCK, each further failure doubling it up to MAX_LOCK; an address after ADDRESS_FREE
failures, by the same rule (many people may share one office address). A success clears the
account's count. Counts older than FORGET_AFTER without a new failure start again.

An unknown address (None: a connection from the machine itself with no X-Forwarded-For
from a trusted proxy, a malformed header...; ui.auth.client_address, domain/client_address.py)
is not counted: one shared "unknown" count would let 20 failures of anyone lock everyone out.
Such sign-ins are limited per account name only.

The administrator sees and clears locks: python -m data_access.accounts locks | unlock NAME
| unlock --address IP.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd

from data_access.frames import rows_frame
from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from data_access.schema import sign_in_throttle

ACCOUNT_FREE = 5
ADDRESS_FREE = 20
FIRST_LOCK = timedelta(seconds=30)
MAX_LOCK = timedelta(minutes=15)
FORGET_AFTER = timedelta(hours=1)


def account_key(username: str) -> str:
    return "account:" + (username or "").strip().lower()[:100]


def address_key(address: str | None) -> str:
    return "address:" + ((address or "").strip() or "unknown")[:100]


def _now() -> datetime:
    return datetime.now().replace(microsecond=0)


def locked_until(engine: Engine, username: str, address: str | None, now: datetime | None = None) -> datetime | None:
    """When the later of the account's and the address's locks ends, or None if neither is locked."""
    now = now or _now()
    t = sign_in_throttle.c
    with engine.connect() as connection:
        ends = connection.execute(select(t.locked_until).where(t.key.in_(_keys(username, address)), t.locked_until > now)).scalars().all()
    return max(ends) if ends else None


def _known(address: str | None) -> bool:
    return bool((address or "").strip())


def _keys(username: str, address: str | None) -> list[str]:
    """The counts a sign-in is held to: its account name, and its address when known."""
    return [account_key(username)] + ([address_key(address)] if _known(address) else [])


def _lock_for(failures: int, free: int) -> timedelta | None:
    if failures < free:
        return None
    return min(MAX_LOCK, FIRST_LOCK * 2 ** min(failures - free, 16))


def record_failure(engine: Engine, username: str, address: str | None, now: datetime | None = None) -> None:
    now = now or _now()
    for key, free in zip(_keys(username, address), (ACCOUNT_FREE, ADDRESS_FREE)):
        for _attempt in range(3):  # another process may insert the same key first: count again
            try:
                _count(engine, key, free, now)
                break
            except IntegrityError:
                continue


def _count(engine: Engine, key: str, free: int, now: datetime) -> None:
    t = sign_in_throttle.c
    with engine.begin() as connection:
        row = connection.execute(select(t.failures, t.last_failure_at).where(t.key == key)).first()
        failures = 1 if row is None or now - row.last_failure_at > FORGET_AFTER else row.failures + 1
        lock = _lock_for(failures, free)
        values = {"failures": failures, "last_failure_at": now, "locked_until": now + lock if lock else None}
        if row is None:
            connection.execute(insert(sign_in_throttle).values(key=key, **values))
        else:
            connection.execute(update(sign_in_throttle).where(t.key == key).values(**values))


def record_success(engine: Engine, username: str) -> None:
    with engine.begin() as connection:
        connection.execute(delete(sign_in_throttle).where(sign_in_throttle.c.key == account_key(username)))


def locks(engine: Engine, now: datetime | None = None) -> pd.DataFrame:
    """Every account name and address with recent failures, locked ones first."""
    now = now or _now()
    t = sign_in_throttle.c
    with engine.connect() as connection:
        rows = connection.execute(
            select(t.key, t.failures, t.last_failure_at, t.locked_until)
            .where(or_(t.locked_until > now, t.last_failure_at > now - FORGET_AFTER))
            .order_by(t.locked_until.desc(), t.key)
        ).all()
    frame = rows_frame(rows, columns=["key", "failures", "last_failure_at", "locked_until"])
    frame["locked"] = [bool(u is not None and u > now) for u in frame["locked_until"]]
    return frame


def unlock(engine: Engine, username: str | None = None, address: str | None = None) -> int:
    """Clear the count and lock of an account name or an address; how many rows were cleared."""
    keys = ([account_key(username)] if username else []) + ([address_key(address)] if address else [])
    with engine.begin() as connection:
        return connection.execute(delete(sign_in_throttle).where(sign_in_throttle.c.key.in_(keys))).rowcount
