"""Learning records: every attempt event becomes an xAPI statement, written to the outbox (channel "xapi") in
the transaction that records the event, and delivered to the Learning Record Store by the worker.

Verbs are ADL's: launched (started), experienced (a scene shown), answered (a choice made; a knowledge-check
answer), completed plus passed or failed (finished); going back from a poor ending has no ADL verb and uses
one under the activity base (`<base>/verbs/rewound`). Activity ids sit under the configured base IRI:
`<base>/modules/<module>`, `…/versions/<version>` (the grouping; also `context.revision`), `…/scenes/<scene>`
and `…/questions/<question>`. The official is an `account` on the configured home page (their id here, or a
keyed pseudonym), or their email only when APTRAIN_XAPI_ACTOR=email.

Statement ids are UUID5s of (attempt, event, verb) in a namespace of the activity base: building a statement
again gives the same id and content, so a resend or a backfill is harmless (the LRS answers 204 to the same
statement, 409 to different content under a known id)."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from sqlmodel import Session, select

from app.models import Attempt, AttemptEvent, EventKind, ModuleVersion, Official
from app.services import outbox

CHANNEL = "xapi"
ADL = "http://adlnet.gov/expapi/verbs/"
ACTIVITY_TYPES = "http://adlnet.gov/expapi/activities/"
PLATFORM = "Atrocity Prevention Training"
LANGUAGE = "en-GB"


@dataclass(frozen=True)
class XapiConfig:
    activity_base: str  # no trailing slash
    home_page: str
    actor: str = "id"  # "id" | "pseudonym" | "email"
    pseudonym_key: bytes | None = None

    @property
    def namespace(self) -> uuid.UUID:
        return uuid.uuid5(uuid.NAMESPACE_URL, self.activity_base)


_config: XapiConfig | None = None


def config_from(settings) -> XapiConfig | None:
    """The xAPI configuration the settings give; None when no LRS is configured (then no statements are made)."""
    if not settings.xapi_lrs_url:
        return None
    base = settings.xapi_activity_base or f"{settings.base_url or 'http://localhost'}/xapi"
    key = settings.xapi_pseudonym_key.get_secret_value().encode() if settings.xapi_pseudonym_key else None
    return XapiConfig(activity_base=base.rstrip("/"), home_page=settings.xapi_account_home_page or settings.base_url
                      or "http://localhost", actor=settings.xapi_actor, pseudonym_key=key)


def configure(config: XapiConfig | None) -> None:
    """Turn statements on (for this process) with `config`, or off with None."""
    global _config
    _config = config


def current_config() -> XapiConfig | None:
    return _config


def setup(settings) -> XapiConfig | None:
    """From the settings: configure statements and register (or remove) the LRS sender for the "xapi" channel.
    Called by create_app and by the commands that make or deliver statements."""
    from app.services.learning.lrs import LrsSender

    config = config_from(settings)
    configure(config)
    if config is None:
        outbox.unregister_sender(CHANNEL)
    else:
        outbox.register_sender(CHANNEL, LrsSender(settings.xapi_lrs_url, settings.xapi_lrs_username,
                                                  settings.xapi_lrs_password.get_secret_value(),
                                                  timeout=settings.xapi_lrs_timeout_seconds))
    return config


# --- Building statements (pure: the same rows always give the same statements) -------------------------------


def _verb(config: XapiConfig, name: str) -> dict:
    iri = f"{config.activity_base}/verbs/{name}" if name == "rewound" else ADL + name
    return {"id": iri, "display": {LANGUAGE: name}}


def actor(config: XapiConfig, official: Official) -> dict:
    if config.actor == "email":
        return {"objectType": "Agent", "name": official.full_name, "mbox": f"mailto:{official.email}"}
    if config.actor == "pseudonym":
        name = hmac.new(config.pseudonym_key or b"", str(official.id).encode(), hashlib.sha256).hexdigest()[:32]
    else:
        name = str(official.id)
    return {"objectType": "Agent", "account": {"homePage": config.home_page, "name": name}}


def _activity(iri: str, kind: str, name: str | None = None, **definition: Any) -> dict:
    body: dict[str, Any] = {"type": ACTIVITY_TYPES + kind, **definition}
    if name:
        body["name"] = {LANGUAGE: name}
    return {"objectType": "Activity", "id": iri, "definition": body}


def module_iri(config: XapiConfig, module_id: str) -> str:
    return f"{config.activity_base}/modules/{module_id}"


def _timestamp(at: datetime) -> str:
    return at.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _duration(start: datetime, end: datetime) -> str:
    return f"PT{max((end - start).total_seconds(), 0):.2f}S"


def statement_id(config: XapiConfig, attempt_id: int, seq: int, verb: str) -> str:
    return str(uuid.uuid5(config.namespace, f"attempt/{attempt_id}/event/{seq}/{verb}"))


def statements_for(config: XapiConfig, event: AttemptEvent, attempt: Attempt, version: ModuleVersion,
                   official: Official) -> list[dict]:
    """The statements one attempt event makes (two for a finish: completed, then passed or failed)."""
    module = module_iri(config, version.module_id)
    version_iri = f"{module}/versions/{version.version}"
    module_activity = _activity(module, "module", version.title)
    context = {
        "registration": str(uuid.uuid5(config.namespace, f"attempt/{attempt.id}")),
        "revision": version.version,
        "platform": PLATFORM,
        "language": LANGUAGE,
        "contextActivities": {"grouping": [_activity(version_iri, "module", f"{version.title}, version {version.version}")]},
    }
    in_module = {**context, "contextActivities": {**context["contextActivities"], "parent": [_activity(module, "module")]}}
    scene = _activity(f"{module}/scenes/{event.scene_id}", "interaction") if event.scene_id else None

    def make(verb: str, obj: dict, ctx: dict, result: dict | None = None) -> dict:
        statement = {"id": statement_id(config, attempt.id, event.seq, verb), "actor": actor(config, official),
                     "verb": _verb(config, verb), "object": obj, "context": ctx, "timestamp": _timestamp(event.created_at)}
        if result is not None:
            statement["result"] = result
        return statement

    kind = event.kind
    if kind == EventKind.STARTED:
        return [make("launched", module_activity, context)]
    if kind == EventKind.SCENE_SHOWN and scene:
        return [make("experienced", scene, in_module)]
    if kind == EventKind.CHOICE_MADE and scene:
        choice = _activity(scene["id"], "cmi.interaction", interactionType="choice")
        return [make("answered", choice, in_module, {"response": event.choice_id or "", "score": {"raw": event.score or 0}})]
    if kind == EventKind.REWOUND and scene:
        return [make("rewound", scene, in_module, {"response": event.choice_id or ""})]
    if kind == EventKind.ANSWER_GIVEN and event.question_id:
        question = _activity(f"{module}/questions/{event.question_id}", "cmi.interaction", interactionType="choice")
        response = "[,]".join((event.answer or "").split())
        return [make("answered", question, in_module, {"response": response, "success": bool(event.correct),
                                                         "score": {"raw": event.score or 0}})]
    if kind == EventKind.FINISHED:
        raw = event.score or 0
        top = max(attempt.max_score, 1)
        score = {"raw": raw, "min": 0, "max": attempt.max_score, "scaled": round(max(min(raw / top, 1), -1), 4)}
        passed = bool(event.correct)
        done = {"score": score, "completion": True, "duration": _duration(attempt.started_at, event.created_at)}
        return [make("completed", module_activity, context, done),
                make("passed" if passed else "failed", module_activity, context, {"score": score, "success": passed})]
    return []


def _messages(config: XapiConfig, event: AttemptEvent, attempt: Attempt, version: ModuleVersion,
              official: Official) -> list[tuple[str, dict]]:
    return [(f"xapi:{s['id']}", s) for s in statements_for(config, event, attempt, version, official)]


# --- Enqueueing -----------------------------------------------------------------------------------------------


def enqueue_event(session: Session, attempt: Attempt, event: AttemptEvent) -> int:
    """Write the event's statements to the outbox in the caller's transaction; nothing when no LRS is configured."""
    config = _config
    if config is None:
        return 0
    version = session.get(ModuleVersion, attempt.module_version_id)
    official = session.get(Official, attempt.official_id)
    return outbox.enqueue_many(session, CHANNEL, _messages(config, event, attempt, version, official))


def backfill(session: Session, config: XapiConfig, since: date | None = None, batch: int = 1000) -> tuple[int, int]:
    """Enqueue the statements of every recorded event (from `since`, a date), oldest first, in the caller's
    transaction. Returns (statements made, of which new to the outbox): a key already there is skipped."""
    made = new = 0
    last_id = 0
    while True:
        query = (
            select(AttemptEvent, Attempt, ModuleVersion, Official)
            .join(Attempt, Attempt.id == AttemptEvent.attempt_id)
            .join(ModuleVersion, ModuleVersion.id == Attempt.module_version_id)
            .join(Official, Official.id == Attempt.official_id)
            .where(AttemptEvent.id > last_id)
            .order_by(AttemptEvent.id)
            .limit(batch)
        )
        if since is not None:
            query = query.where(AttemptEvent.created_at >= datetime.combine(since, time(0), UTC))
        rows = session.exec(query).all()
        if not rows:
            return made, new
        messages = [m for event, attempt, version, official in rows for m in _messages(config, event, attempt, version, official)]
        made += len(messages)
        new += outbox.enqueue_many(session, CHANNEL, messages)
        last_id = rows[-1][0].id
