"""The linter's scoring and timing checks: the best and worst paths through a module, whether the pass
mark can be reached and whether it separates learners, and the reading time (codes in lint.py)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.content.model import Question, Scene
from app.content.render import word_count

if TYPE_CHECKING:
    from app.content.lint import Report

WORDS_PER_MINUTE = 200


def is_whole_number(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True)
class PathStats:
    """Over all paths from the start to an ending: best and worst score, most words read."""

    best: int
    worst: int
    longest_words: int
    worst_good: int | None = None  # the lowest score of a path that ends at a `good` ending (None: no such path)


def path_stats(start: str, by_id: Mapping[str, Scene], edges: Mapping[str, list], can_end: set[str]) -> PathStats:
    """Best and worst score and most words over the (acyclic) paths from start to an ending."""
    memo: dict[str, tuple[int, int, int]] = {}

    def visit(sid: str) -> tuple[int, int, int]:
        if sid not in memo:
            scene = by_id[sid]
            words = len(scene.title.split()) + word_count(scene.body_html)
            words += sum(word_count(c.text_html) for c in scene.choices)
            if scene.is_end:
                memo[sid] = (0, 0, words)
            else:
                onward = [
                    (c.score + best, c.score + worst, word_count(c.feedback_html) + most)
                    for c in edges[sid]
                    if c.target in can_end
                    for best, worst, most in [visit(c.target)]
                ]
                memo[sid] = (max(o[0] for o in onward), min(o[1] for o in onward), words + max(o[2] for o in onward))
        return memo[sid]

    good: dict[str, int | None] = {}

    def worst_to_good(sid: str) -> int | None:
        if sid not in good:
            scene = by_id[sid]
            if scene.is_end:
                good[sid] = 0 if scene.outcome == "good" else None
            else:
                scores = [c.score + rest for c in edges[sid] if c.target in can_end
                          for rest in [worst_to_good(c.target)] if rest is not None]
                good[sid] = min(scores) if scores else None
        return good[sid]

    best, worst, words = visit(start)
    return PathStats(best, worst, words, worst_to_good(start))


def check_scoring(
    stats: PathStats, question_points: int, pass_mark: object, pass_line: int, report: Report
) -> None:
    """The pass mark can be reached, and reaching it depends on the choices made."""
    if not is_whole_number(pass_mark):
        return
    maximum = stats.best + question_points
    if maximum == 0:
        report(pass_line, "pass-mark-unreachable",
               "nothing in this module scores, so no learner can pass: give choices `score=` or add questions")
        return
    if stats.worst_good is not None and (stats.worst_good + question_points) * 100 < pass_mark * maximum:
        lowest = stats.worst_good + question_points
        report(
            pass_line, "good-path-cannot-pass",
            f"a path to a good ending scores {stats.worst_good}, so even with every question right it reaches "
            f"{lowest * 100 // maximum}%, below the pass mark of {pass_mark}%: a learner who chose well would fail. "
            "Rebalance the scores or lower the pass mark (`--paths` lists the paths)",
        )
    floor = stats.worst + question_points
    if floor * 100 >= pass_mark * maximum:
        report(
            pass_line, "pass-mark-not-discriminating",
            f"the worst path ({stats.worst}) plus every question right scores {floor * 100 // maximum}%, "
            f"which already passes {pass_mark}%: raise the pass mark or score the choices so they matter",
        )


def question_words(questions: Sequence[Question]) -> int:
    """Words read in the knowledge check: each question, its options and the longest feedback."""
    total = 0
    for question in questions:
        total += len(question.text.split()) + word_count(question.body_html)
        total += sum(word_count(o.text_html) for o in question.options)
        total += max((word_count(o.feedback_html) for o in question.options), default=0)
    return total


def check_reading_time(words: int, minutes: object, minutes_line: int, report: Report) -> None:
    """estimated_minutes is within 50% of the longest path's reading time."""
    # estimated_minutes is whole minutes, so compare with reading time rounded up to a whole minute.
    reading = max(1, math.ceil(words / WORDS_PER_MINUTE))
    if is_whole_number(minutes) and words > 0 and abs(minutes - reading) > 0.5 * reading:
        report(
            minutes_line, "reading-time-mismatch",
            f"the longest path takes about {reading} min to read ({words} words at "
            f"{WORDS_PER_MINUTE} a minute) but estimated_minutes is {minutes}: adjust one or the other",
        )
