"""Item analysis as CSV: the same figures as the page, one per row, hidden figures left empty with a note."""

from __future__ import annotations

import io

from sqlmodel import Session

from app.services.audit import Actor, record
from app.services.learning.item_analysis import SUPPRESSED, AnalysisFilters, ItemAnalysis
from app.services.spreadsheet import SafeCsvWriter, neutralise

HEADER = ("section", "subject", "item", "count", "percent", "note")


def _cell(value: object) -> str:
    """A CSV cell as text that a spreadsheet will not run as a formula."""
    return str(neutralise("" if value is None else str(value)))


def percent_text(share: float | None, digits: int = 1) -> str:
    """A share as a percentage that never rounds to 0 or 100 unless it is exactly that, so a rate
    always agrees with the counts it comes from (one fail in 201 is 99.5, not 100)."""
    if share is None:
        return ""
    step = 10.0**-digits
    value = round(share * 100, digits)
    if share < 1 and value >= 100:
        value = 100 - step
    elif share > 0 and value <= 0:
        value = step
    return f"{value:.{digits}f}"


def _note(value: object) -> str:
    return SUPPRESSED if value is None else ""


def analysis_csv(analysis: ItemAnalysis) -> str:
    out = io.StringIO()
    writer = SafeCsvWriter(out)  # neutralises every cell again: nothing reaches the file without it
    rows: list[tuple] = [HEADER]
    o, title = analysis.overview, analysis.module.title
    rows += [
        ("Module", title, "Learners who started", o.learners, "", _note(o.learners)),
        ("Module", title, "Attempts started", o.attempts, "", _note(o.attempts)),
        ("Module", title, "Completion rate (finished / started)", o.finished, percent_text(o.completion_rate), _note(o.finished)),
        ("Module", title, "Passed", o.passed, "", _note(o.passed)),
        ("Module", title, "Failed", o.failed, "", _note(o.failed)),
        ("Module", title, "Pass rate (passed / finished)", "", percent_text(o.pass_rate), _note(o.pass_rate)),
        ("Module", title, "Median time to finish (seconds)",
         "" if o.median_seconds is None else round(o.median_seconds), "", _note(o.median_seconds)),
    ]  # fmt: skip
    rows += [
        ("Score distribution", b.label, "Finished attempts", b.count, percent_text(b.share), _note(b.count))
        for b in analysis.distribution
    ]
    for scene in analysis.scenes:
        rows.append(("Decisions", scene.title, "Attempts that reached it", scene.reached, "", _note(scene.reached)))
        rows += [
            ("Choices", scene.title, f"{c.choice_id}: {c.text}", c.count, percent_text(c.share), _note(c.count))
            for c in scene.choices
        ]
        rows += [
            ("Rewinds", scene.title, f"{c.choice_id}: {c.text}", c.rewinds, "", _note(c.rewinds))
            for c in scene.choices if c.rewinds != 0
        ]  # fmt: skip
    for q in analysis.questions:
        rows.append(("Questions", q.text, "Answered correctly", q.correct, percent_text(q.correct_share), _note(q.correct)))
        wrong = f"Most common wrong answer: {q.common_wrong}" if q.common_wrong else "Most common wrong answer"
        rows.append(("Questions", q.text, wrong, q.common_wrong_count, "", _note(q.common_wrong_count)))
    rows += [
        ("Endings", e.title, f"{e.outcome} outcome" if e.outcome else "Ending", e.count, percent_text(e.share), _note(e.count))
        for e in analysis.endings
    ]
    for row in rows:
        writer.writerow([_cell(v) for v in row])
    return out.getvalue()


def record_download(session: Session, actor: Actor, analysis: ItemAnalysis, filters: AnalysisFilters, filename: str,
                    text: str) -> None:
    """An audit event for the item analysis CSV: who, which module and filters, how many rows (aggregates only)."""
    given = {"version": filters.version, "from": filters.date_from and filters.date_from.isoformat(),
             "to": filters.date_to and filters.date_to.isoformat()}
    record(session, actor, "item-analysis.export", "module", analysis.module.id, after={
        "module": analysis.module.id, "title": analysis.module.title, "format": "csv", "file": filename,
        "rows": max(0, len(text.splitlines()) - 1), "filters": {k: v for k, v in given.items() if v is not None}})
