"""Sign-in throttling: failed attempts counted per account and per client address, in the database so
every server process sees the same counts.

After `free` failures each further failure locks the key for a growing while (5 s, 10 s, 20 s, … doubling
up to the lockout); a locked key is refused before any password is hashed or any provider is called.
Failures older than the lockout period are forgotten; a successful sign-in clears its account's count
(never the address's, or one good account would unlock guessing at others from the same address)."""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, select

from app.clock import utcnow
from app.models import SignInThrottle

FIRST_DELAY_SECONDS = 5


@dataclass(frozen=True)
class Limits:
    account_attempts: int = 5
    address_attempts: int = 50
    lockout: timedelta = timedelta(minutes=15)


@dataclass(frozen=True)
class Keys:
    """The counters one sign-in attempt touches: its account (when known) and its client address."""

    account: str | None
    address: str


def account_key(email: str) -> str:
    """An account's counter, named by a hash of the normalised email (a mistyped email is not stored)."""
    return "account:" + hashlib.sha256(email.strip().lower().encode()).hexdigest()


def address_key(address: str | None) -> str:
    return "address:" + (address or "unknown")[:80]


def keys_for(email: str | None, address: str | None) -> Keys:
    return Keys(account_key(email) if email and email.strip() else None, address_key(address))


def locked_for(session: Session, keys: Keys, now: datetime | None = None) -> int:
    """Seconds until the longer of the two locks ends (0 when neither is locked). Reads only."""
    now = now or utcnow()
    names = [k for k in (keys.account, keys.address) if k]
    rows = session.exec(select(SignInThrottle).where(SignInThrottle.key.in_(names))).all()
    waits = [(row.locked_until - now).total_seconds() for row in rows if row.locked_until and row.locked_until > now]
    return math.ceil(max(waits)) if waits else 0


def lock_seconds(failures: int, free: int, lockout: timedelta) -> float:
    """How long the `failures`-th failure locks its key: nothing up to `free`, then doubling to the lockout."""
    if failures <= free:
        return 0
    return min(FIRST_DELAY_SECONDS * 2 ** (failures - free - 1), lockout.total_seconds())


def _count_failure(session: Session, key: str, free: int, limits: Limits, now: datetime) -> None:
    """One atomic upsert: count the failure (starting afresh when the last one is older than the lockout),
    then set the lock it earns. Concurrent failures from several processes each count."""
    table = SignInThrottle.__table__
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    stale = table.c.last_failed_at < now - limits.lockout
    statement = dialect.insert(table).values(key=key, failures=1, last_failed_at=now, locked_until=None)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.key],
        set_={
            "failures": case((stale, 1), else_=table.c.failures + 1),
            "last_failed_at": now,
            "locked_until": case((stale, None), else_=table.c.locked_until),
        },
    ).returning(table.c.failures)
    failures = session.execute(statement).scalar_one()
    seconds = lock_seconds(failures, free, limits.lockout)
    if seconds:
        session.execute(table.update().where(table.c.key == key).values(locked_until=now + timedelta(seconds=seconds)))


def record_failure(session: Session, keys: Keys, limits: Limits, now: datetime | None = None) -> None:
    """Count a failed sign-in against its account (if known) and its address: a short write."""
    now = now or utcnow()
    if keys.account:
        _count_failure(session, keys.account, limits.account_attempts, limits, now)
    _count_failure(session, keys.address, limits.address_attempts, limits, now)


def record_success(session: Session, keys: Keys) -> None:
    """A successful sign-in clears its account's failures (the address keeps its count)."""
    if keys.account:
        session.execute(delete(SignInThrottle).where(SignInThrottle.key == keys.account))


def minutes_to_wait(seconds: int) -> int:
    return max(1, math.ceil(seconds / 60))
