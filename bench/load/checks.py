"""After a load run (or a fault test): nothing the service accepted was lost, and nothing was recorded twice.

- Every choice and answer the load generator saw accepted is exactly one attempt event (same attempt, scene or
  question, and choice or answer keys).
- No attempt has two events for one step. Each move advances `attempt.step` by one and records one event of
  its own (a choice, a scene shown, the finish; a rewind records two and advances one), so for every attempt
  started in the run: step = choices + scenes shown + finished - 1 - rewinds, one `started`, at most one
  `finished`, and at most one answer per question.
- Every passed attempt has exactly one completion, and no completion belongs to an attempt that did not pass.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import text

from app.db import make_engine


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


def max_attempt_id(database_url: str) -> int:
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT coalesce(max(id), 0) FROM attempt")).scalar()
    finally:
        engine.dispose()


def _key(kind: str, place: str | None, value: str | None, attempt: int) -> tuple:
    return attempt, kind, place or "", value or ""


def run_checks(database_url: str, accepted: list[dict], after_attempt: int) -> list[Check]:
    """The checks over attempts with ids above `after_attempt` (those the run started)."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            return [
                _accepted_once(conn, accepted),
                _one_event_per_step(conn, after_attempt),
                _one_completion_per_pass(conn),
            ]
    finally:
        engine.dispose()


def _accepted_once(conn, accepted: list[dict]) -> Check:
    seen = Counter(_key(a["kind"], a.get("scene") or a.get("question"), a["value"], a["attempt"]) for a in accepted)
    attempts = sorted({a["attempt"] for a in accepted})
    stored: Counter = Counter()
    for start in range(0, len(attempts), 1000):
        chunk = attempts[start:start + 1000]
        rows = conn.execute(text(
            "SELECT attempt_id, kind, scene_id, question_id, choice_id, answer FROM attempt_event "
            f"WHERE kind IN ('choice-made', 'answer-given') AND attempt_id IN ({', '.join(map(str, chunk))})"
        )).all()
        for attempt_id, kind, scene, question, choice, answer in rows:
            stored[_key(kind, scene if kind == "choice-made" else question,
                        choice if kind == "choice-made" else answer, attempt_id)] += 1
    lost = [k for k, n in seen.items() if stored[k] < n]
    doubled = [k for k, n in seen.items() if stored[k] > n]
    extra = sum(n for k, n in stored.items() if k not in seen)  # accepted, but the generator stopped before it saw so
    ok = not lost and not doubled
    detail = (f"{sum(seen.values())} accepted choices and answers in {len(attempts)} attempts: "
              f"{len(lost)} lost, {len(doubled)} recorded more than once"
              f"{f', {extra} more stored than seen (a press in flight when the run stopped)' if extra else ''}")
    if not ok:
        detail += f"; e.g. lost {lost[:3]}, doubled {doubled[:3]}"
    return Check("every accepted choice and answer is one attempt event", ok, detail)


def _one_event_per_step(conn, after_attempt: int) -> Check:
    rows = conn.execute(text(
        "SELECT a.id, a.step, a.finished_at IS NOT NULL, "
        "  sum(CASE WHEN e.kind = 'started' THEN 1 ELSE 0 END), "
        "  sum(CASE WHEN e.kind = 'choice-made' THEN 1 ELSE 0 END), "
        "  sum(CASE WHEN e.kind = 'scene-shown' THEN 1 ELSE 0 END), "
        "  sum(CASE WHEN e.kind = 'rewound' THEN 1 ELSE 0 END), "
        "  sum(CASE WHEN e.kind = 'finished' THEN 1 ELSE 0 END) "
        "FROM attempt a JOIN attempt_event e ON e.attempt_id = a.id WHERE a.id > :after "
        "GROUP BY a.id, a.step, a.finished_at"
    ), {"after": after_attempt}).all()
    bad = [
        r[0] for r in rows
        if r[3] != 1 or r[7] > 1 or bool(r[7]) != bool(r[2]) or r[1] != r[4] + r[5] + r[7] - 1 - r[6]
    ]
    answered_twice = conn.execute(text(
        "SELECT attempt_id, question_id FROM attempt_event WHERE kind = 'answer-given' AND attempt_id > :after "
        "GROUP BY attempt_id, question_id HAVING count(*) > 1"
    ), {"after": after_attempt}).all()
    ok = not bad and not answered_twice
    detail = f"{len(rows)} attempts: {len(bad)} whose events do not match their steps, {len(answered_twice)} answers twice"
    if not ok:
        detail += f"; e.g. attempts {bad[:5]} {answered_twice[:3]}"
    return Check("no attempt has two events for one step", ok, detail)


def _one_completion_per_pass(conn) -> Check:
    passed = conn.execute(text("SELECT count(*) FROM attempt WHERE passed")).scalar()
    wrong = conn.execute(text(
        "SELECT a.id FROM attempt a LEFT JOIN completion c ON c.attempt_id = a.id "
        "WHERE a.passed GROUP BY a.id HAVING count(c.id) != 1"
    )).all()
    orphans = conn.execute(text(
        "SELECT c.id FROM completion c JOIN attempt a ON a.id = c.attempt_id WHERE a.passed IS NOT TRUE"
    )).all()
    ok = not wrong and not orphans
    detail = f"{passed} passed attempts: {len(wrong)} without exactly one completion, {len(orphans)} completions of attempts not passed"
    return Check("every passed attempt has exactly one completion", ok, detail)


def print_checks(checks: list[Check]) -> bool:
    """Print each check's result; True if all hold."""
    for check in checks:
        print(f"  [{'ok' if check.ok else 'FAILED'}] {check.name}: {check.detail}")
    return all(c.ok for c in checks)
