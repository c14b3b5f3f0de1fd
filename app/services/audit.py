"""The append-only audit log: every change made by a person or an import."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import Enum

from sqlmodel import Session, SQLModel, select

from app.models import AuditEvent, Country, Official, Requirement


@dataclass(frozen=True)
class Actor:
    """Who made a change: an official (id and name) or a process such as an import."""

    id: int | None
    label: str


def snapshot(row: SQLModel | dict | None) -> dict | None:
    """A JSON-ready copy of a row's fields."""
    if row is None:
        return None
    values = row if isinstance(row, dict) else row.model_dump()
    # Not a secret, nor a fact anyone changed: the bucket the maintained compliance counts hold an assignment in.
    return {key: _plain(value) for key, value in values.items() if key not in ("password_hash", "counted_in")}


def _plain(value: object) -> object:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


def record(
    session: Session,
    actor: Actor,
    action: str,
    entity: str,
    entity_id: object,
    *,
    before: SQLModel | dict | None = None,
    after: SQLModel | dict | None = None,
) -> AuditEvent:
    event = AuditEvent(
        actor_id=actor.id,
        actor_label=actor.label[:200],
        action=action,
        entity=entity,
        entity_id=str(entity_id),
        before=json.dumps(snapshot(before), ensure_ascii=False, sort_keys=True) if before is not None else None,
        after=json.dumps(snapshot(after), ensure_ascii=False, sort_keys=True) if after is not None else None,
    )
    session.add(event)
    return event


# --- Reading the log: each event in words, and pages of it filtered by who, what and when ------------------------

# Every kind of event, as the log's "What" column and filter name it.
ACTIONS: dict[str, str] = {
    "api-token.create": "API token created",
    "api-token.revoke": "API token revoked",
    "api-token.use": "API token used",
    "compliance.export": "Compliance data exported",
    "exemption.grant": "Exemption granted",
    "extension.grant": "Extension granted",
    "item-analysis.export": "Item analysis downloaded",
    "official.create": "Official added",
    "official.leave": "Official marked as left",
    "official.update": "Official's details changed",
    "posting.create": "Posting added",
    "posting.end": "Posting ended",
    "posting.update": "Posting changed",
    "requirement.create": "Requirement created",
    "requirement.update": "Requirement changed",
    "risk.assess": "Country risk assessment recorded",
    "session.expire": "Session expired",
    "sign-in.failure": "Sign-in refused",
    "sign-in.success": "Signed in",
    "sign-out": "Signed out",
    "unit.create": "Unit created",
}
# Fields a person would call by another name; the rest read as their names in words ("due_days" → "Due days").
_FIELDS = {
    "at_risk": "At risk", "assessed_on": "Date of the assessment", "completed_on": "Completed on",
    "country_code": "Country", "department_id": "Department", "due_on": "Due date", "due_rule": "Due from",
    "end_on": "End date", "exempt_until": "Exempt until", "expires_on": "Expires on", "extended_to": "Extended to",
    "given_name": "Given name", "family_name": "Family name", "grace_days": "Grace period (days)",
    "line_manager_id": "Line manager", "module_id": "Module", "revoked_at": "Revoked", "start_on": "Start date",
    "unit_id": "Unit", "validity_months": "Valid for (months)",
}
# Bookkeeping that changes with every event and says nothing to a reader.
_QUIET = {"id", "created_at", "updated_at", "superseded_at", "set_by_id", "set_by_label", "unit_path", "grant",
          "token_hash", "password_hash", "last_used_at", "reason"}


@dataclass(frozen=True)
class Change:
    field: str
    before: str
    after: str


@dataclass(frozen=True)
class EventView:
    """One audit event as people read it."""

    id: int
    at: datetime
    actor: str
    what: str  # the kind of event, in words
    summary: str  # the event in a sentence, without who did it
    changes: list[Change]  # field by field, before → after, when the event records both


def _loads(text: str | None) -> dict:
    if not text:
        return {}
    value = json.loads(text)
    return value if isinstance(value, dict) else {}


def words_for_value(value: object) -> str:
    """A stored value as a person reads it: dates the GOV.UK way, yes/no, "none" for nothing."""
    if value is None or value == "":
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        try:
            if len(value) == 10:
                moment = date.fromisoformat(value)
                return f"{moment.day} {moment:%B %Y}"
            if len(value) > 10 and value[4] == "-" and value[10] == "T":
                moment = datetime.fromisoformat(value)
                return f"{moment.day} {moment:%B %Y}, {moment:%H:%M}"
        except ValueError:
            pass
    return str(value)


def field_label(name: str) -> str:
    return _FIELDS.get(name) or name.replace("_", " ").capitalize()


def changes(before: dict, after: dict) -> list[Change]:
    """The fields whose values differ, before → after, bookkeeping left out."""
    if not before or not after:
        return []
    return [
        Change(field_label(key), words_for_value(before.get(key)), words_for_value(after.get(key)))
        for key in sorted(set(before) | set(after))
        if key not in _QUIET and before.get(key) != after.get(key)
    ]


@dataclass(frozen=True)
class Names:
    """Names for the ids events carry: officials, requirements and countries."""

    officials: dict[int, str]
    requirements: dict[int, str]
    countries: dict[str, str]


def names_for(session: Session, events: list[AuditEvent]) -> Names:
    """The names the events on one page mention, fetched in three queries."""
    officials: set[int] = set()
    requirements: set[int] = set()
    countries: set[str] = set()
    for event in events:
        values = {**_loads(event.before), **_loads(event.after)}
        if isinstance(values.get("official_id"), int):
            officials.add(values["official_id"])
        if isinstance(values.get("requirement_id"), int):
            requirements.add(values["requirement_id"])
        if event.entity == "requirement" and event.entity_id.isdigit():
            requirements.add(int(event.entity_id))
        if event.entity == "official" and event.entity_id.isdigit():
            officials.add(int(event.entity_id))
        if isinstance(values.get("country_code"), str):
            countries.add(values["country_code"])
    return Names(
        officials={o.id: o.full_name for o in session.exec(select(Official).where(Official.id.in_(officials)))}
        if officials else {},
        requirements={r.id: r.name for r in session.exec(select(Requirement).where(Requirement.id.in_(requirements)))}
        if requirements else {},
        countries={c.code: c.name for c in session.exec(select(Country).where(Country.code.in_(countries)))}
        if countries else {},
    )


def _summary(event: AuditEvent, before: dict, after: dict, names: Names) -> str:
    values = after or before
    action = event.action
    person = names.officials.get(values.get("official_id"), "")
    of_person = f" for {person}" if person else ""
    requirement = names.requirements.get(values.get("requirement_id"), "")
    training = f" ({requirement})" if requirement else ""
    country = names.countries.get(values.get("country_code"), values.get("country_code") or "")
    grant = after.get("grant") or {}
    if action == "extension.grant":
        return f"Extension granted to {words_for_value(grant.get('new_due_on') or after.get('extended_to'))}{of_person}{training}"
    if action == "exemption.grant":
        return f"Exemption granted until {words_for_value(grant.get('valid_until') or after.get('exempt_until'))}{of_person}{training}"
    if action.startswith("posting."):
        posting = ", ".join(part for part in (values.get("post"), country) if part)
        start = f" from {words_for_value(values.get('start_on'))}" if values.get("start_on") else ""
        verb = {"posting.create": "added", "posting.end": "ended", "posting.update": "changed"}.get(action, "changed")
        return f"Posting {verb}{of_person}: {posting}{start}"
    if action.startswith("requirement."):
        name = values.get("name") or names.requirements.get(int(event.entity_id) if event.entity_id.isdigit() else 0, "")
        return f"Requirement {'created' if action.endswith('create') else 'changed'}: {name}"
    if action == "risk.assess":
        listed = "lists it as at risk" if after.get("at_risk") else "no longer lists it as at risk"
        return f"{country or event.entity_id}: {after.get('source', 'a source')} {listed}"
    if action == "compliance.export":
        file_format, view = str(after.get("format", "")).upper(), str(after.get("view", "")).replace("-", " ")
        return f"Exported {view} ({file_format}, {after.get('rows', 0)} rows): {after.get('scope', '')}"
    if action == "item-analysis.export":
        return f"Item analysis of {after.get('title') or event.entity_id} downloaded (CSV, {after.get('rows', 0)} rows)"
    if action.startswith("api-token."):
        verb = {"api-token.revoke": "revoked", "api-token.use": "used"}.get(action, "created")
        return f"API token {verb}: {values.get('name', '')}"
    if action.startswith("official."):
        name = " ".join(part for part in (values.get("given_name"), values.get("family_name")) if part)
        if not name and event.entity_id.isdigit():
            name = names.officials.get(int(event.entity_id), "")
        return f"{ACTIONS.get(action, 'Official changed')}: {name}"
    if action.startswith(("sign-in.", "sign-out", "session.")):
        who = person or values.get("email") or values.get("name") or "someone"
        how = f" by {values['method']}" if values.get("method") else ""
        if action == "sign-in.failure":
            return f"Sign-in refused for {who}{how}: {values.get('reason', '')}"
        if action == "session.expire":
            return f"{who}'s session ended after its time limit"
        return f"{who} {'signed out' if action == 'sign-out' else 'signed in'}{how}"
    if action == "unit.create":
        return f"Unit created: {values.get('full_name') or values.get('name', '')}"
    return f"{ACTIONS.get(action) or action.replace('.', ' ').replace('-', ' ').capitalize()}: {event.entity} {event.entity_id}"


def describe(event: AuditEvent, names: Names) -> EventView:
    """An event in words: what happened, to whom, and each field's before → after."""
    before, after = _loads(event.before), _loads(event.after)
    return EventView(
        id=event.id,
        at=event.at,
        actor=event.actor_label,
        what=ACTIONS.get(event.action) or event.action,
        summary=_summary(event, before, after, names),
        changes=changes(before, after),
    )


def describe_all(session: Session, events: list[AuditEvent]) -> list[EventView]:
    names = names_for(session, events)
    return [describe(event, names) for event in events]


@dataclass(frozen=True)
class AuditFilter:
    """Which events to list: who made them (part of the name), what kind, and a date range (inclusive)."""

    who: str = ""
    action: str = ""
    start: date | None = None
    end: date | None = None


@dataclass(frozen=True)
class AuditPage:
    events: list[EventView]
    newer: int | None  # the id to pass as `after` for the page of newer events, when there is one
    older: int | None  # the id to pass as `before` for the page of older events, when there is one


def _filtered(query, given: AuditFilter):
    if given.who.strip():
        query = query.where(AuditEvent.actor_label.icontains(given.who.strip(), autoescape=True))
    if given.action:
        query = query.where(AuditEvent.action == given.action)
    if given.start is not None:
        query = query.where(AuditEvent.at >= datetime.combine(given.start, time.min, tzinfo=UTC))
    if given.end is not None:
        query = query.where(AuditEvent.at < datetime.combine(given.end + timedelta(days=1), time.min, tzinfo=UTC))
    return query


def audit_page(session: Session, given: AuditFilter, *, before: int | None = None, after: int | None = None,
               per_page: int = 50) -> AuditPage:
    """One page of matching events, newest first, by keyset on the id (`before`: older than that id; `after`:
    newer than it), so a page deep in a long log costs the same as the first."""
    query = _filtered(select(AuditEvent), given)
    if after is not None:
        rows = list(session.exec(query.where(AuditEvent.id > after).order_by(AuditEvent.id.asc()).limit(per_page + 1)))
        more_newer = len(rows) > per_page
        rows = list(reversed(rows[:per_page]))
        more_older = bool(rows) and _exists(session, given, AuditEvent.id < rows[-1].id)
    else:
        if before is not None:
            query = query.where(AuditEvent.id < before)
        rows = list(session.exec(query.order_by(AuditEvent.id.desc()).limit(per_page + 1)))
        more_older = len(rows) > per_page
        rows = rows[:per_page]
        more_newer = bool(rows) and before is not None and _exists(session, given, AuditEvent.id > rows[0].id)
    return AuditPage(
        events=describe_all(session, rows),
        newer=rows[0].id if more_newer else None,
        older=rows[-1].id if more_older else None,
    )


def _exists(session: Session, given: AuditFilter, condition) -> bool:
    return session.exec(_filtered(select(AuditEvent.id), given).where(condition).limit(1)).first() is not None

