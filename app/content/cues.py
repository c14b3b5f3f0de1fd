"""The linter's answer-cue checks: nothing in how options are written should give the answer away."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from app.content.model import Question, Scene

if TYPE_CHECKING:
    from app.content.lint import Report

ABSOLUTE = re.compile(r"\b(never|always)\b", re.I)
TAG = re.compile(r"<[^>]+>")


def plain(text_html: str) -> str:
    return " ".join(html.unescape(TAG.sub("", text_html)).split())


def _longest_is(texts: list[str], chosen: set[int]) -> bool:
    """Whether one of `chosen` is strictly longer than every other option."""
    lengths = [len(t) for t in texts]
    top = max(lengths)
    return lengths.count(top) == 1 and lengths.index(top) in chosen


def check_cues(scenes: Sequence[Scene], questions: Sequence[Question], report: Report) -> None:
    decisions = [s for s in scenes if not s.is_end and len(s.choices) > 1]
    longest_best = []
    for scene in decisions:
        best = max(c.score for c in scene.choices)
        texts = [plain(c.text_html) for c in scene.choices]
        if _longest_is(texts, {i for i, c in enumerate(scene.choices) if c.score == best}):
            longest_best.append(scene)
        for choice in scene.choices:
            word = ABSOLUTE.search(plain(choice.text_html))
            if choice.score < best and word:
                report(choice.line, "absolute-wrong-option",
                       f"choice `{choice.id}` is not the best and says \"{word.group(0)}\": absolute words mark "
                       "wrong options; reword it")
    if decisions and len(longest_best) * 2 > len(decisions):
        report(longest_best[0].line, "best-choice-longest",
               f"the best choice is the longest option at {len(longest_best)} of {len(decisions)} decision points: "
               "vary the lengths so length is no clue")
    single = [q for q in questions if len(q.correct_keys) == 1 and len(q.options) > 1]
    longest_right = [q for q in single
                     if _longest_is([plain(o.text_html) for o in q.options],
                                    {i for i, o in enumerate(q.options) if o.correct})]
    if single and len(longest_right) * 2 > len(single):
        report(longest_right[0].line, "right-answer-longest",
               f"the right answer is the longest option in {len(longest_right)} of {len(single)} single-answer "
               "questions: vary the lengths so length is no clue")
    for question in questions:
        for option in question.options:
            word = ABSOLUTE.search(plain(option.text_html))
            if not option.correct and word:
                report(option.line, "absolute-wrong-option",
                       f"a wrong option of `{question.id}` says \"{word.group(0)}\": absolute words mark wrong "
                       "options; reword it")
