"""The player's forms: a move (choose, continue, rewind) and the knowledge check's answers."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.datastructures import FormData

from app.web.forms.common import parse_int, texts


@dataclass(frozen=True)
class Move:
    step: int  # the step the form was shown at (-1 if missing: a stale or forged form)
    scene: str = ""
    choice: str = ""


def move(form: FormData) -> Move:
    values = texts(form, "scene", "choice")
    return Move(step=parse_int(form.get("step"), -1), scene=values["scene"], choice=values["choice"])


def answers(form: FormData, question_ids: list[str]) -> dict[str, set[str]]:
    """The options ticked for each question (field `q-<id>`)."""
    return {qid: {str(v) for v in form.getlist(f"q-{qid}")} for qid in question_ids}
