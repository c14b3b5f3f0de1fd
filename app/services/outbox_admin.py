"""What central admins see of the outbox at /admin/notifications: counts by status, a page of messages
(newest first, filtered by status), one message's rendered email, and retrying a failed one."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlmodel import Session

from app.clock import utcnow
from app.models.outbox import OutboxMessage, OutboxStatus

T = OutboxMessage.__table__
STATUSES = tuple(s.value for s in OutboxStatus)


@dataclass(frozen=True)
class MessageRow:
    id: int
    channel: str
    key: str
    status: str
    attempts: int
    to: str
    subject: str
    kind: str
    body: str
    created_at: datetime
    next_attempt_at: datetime
    sent_at: datetime | None
    last_error: str | None


@dataclass(frozen=True)
class MessagePage:
    rows: list[MessageRow]
    newer: int | None  # the id to pass as `after` for the newer page
    older: int | None  # the id to pass as `before` for the older page


def status_counts(session: Session) -> dict[str, int]:
    counts = dict(session.execute(select(T.c.status, func.count()).group_by(T.c.status)).all())
    return {status: counts.get(status, 0) for status in STATUSES}


def _row(r) -> MessageRow:
    try:
        payload = json.loads(r.payload)
    except ValueError:
        payload = {}
    if not isinstance(payload, dict):
        payload = {}
    return MessageRow(
        id=r.id, channel=r.channel, key=r.key, status=r.status, attempts=r.attempts,
        to=str(payload.get("to", "")), subject=str(payload.get("subject", "")), kind=str(payload.get("kind", "")),
        body=str(payload.get("body", "")) if r.channel == "email" else json.dumps(payload, indent=2, sort_keys=True),
        created_at=r.created_at, next_attempt_at=r.next_attempt_at, sent_at=r.sent_at, last_error=r.last_error,
    )


def message_page(session: Session, status: str | None, *, before: int | None = None, after: int | None = None,
                 per_page: int = 50) -> MessagePage:
    """Messages newest first (keyset paging on id), optionally of one status."""
    query = select(T)
    if status:
        query = query.where(T.c.status == status)
    if after is not None:
        rows = list(reversed(session.execute(query.where(T.c.id > after).order_by(T.c.id).limit(per_page + 1)).all()))
        more_newer = len(rows) > per_page
        rows = rows[-per_page:] if more_newer else rows
        page = [_row(r) for r in rows]
        newer = page[0].id if more_newer and page else None
        older = page[-1].id if page else None
        return MessagePage(page, newer, older)
    if before is not None:
        query = query.where(T.c.id < before)
    rows = session.execute(query.order_by(T.c.id.desc()).limit(per_page + 1)).all()
    page = [_row(r) for r in rows[:per_page]]
    newer = page[0].id if (before is not None and page) else None
    older = page[-1].id if len(rows) > per_page else None
    return MessagePage(page, newer, older)


def message(session: Session, message_id: int) -> MessageRow | None:
    row = session.execute(select(T).where(T.c.id == message_id)).first()
    return _row(row) if row is not None else None


def retry(session: Session, message_id: int) -> bool:
    """Queue a failed message again, due now, with its attempts reset (its last error stays until it is sent)."""
    result = session.execute(
        update(T).where(T.c.id == message_id, T.c.status == OutboxStatus.FAILED.value).values(
            status=OutboxStatus.QUEUED.value, attempts=0, next_attempt_at=utcnow(), claimed_by=None, claimed_until=None,
        )
    )
    return result.rowcount == 1
