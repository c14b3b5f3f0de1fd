"""The linter's wording checks: what the player already says is not said twice, option feedback does not
contradict the result page, and acronyms are spelled out the first time a learner meets them (codes in lint.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from graphlib import TopologicalSorter
from pathlib import Path
from typing import TYPE_CHECKING

from app.content.cues import plain
from app.content.model import Question, Scene

if TYPE_CHECKING:
    from app.content.lint import Report

# The legend the player puts over every scene's choices (templates/components/scene.html).
CHOICE_LEGEND = "What do you do?"
# The hint the player gives every question with more than one right answer (templates/learn/attempt.html).
SELECT_ALL = re.compile(r"select all that apply", re.I)
# A verdict about the learner, which the result page gives per option ("You selected this, rightly").
VERDICT = re.compile(r"^(?:(?:in|not )?correct|right|wrong|well done)\b", re.I)
ACRONYMS_HEADING = re.compile(r"^##\s+Acronyms\s*$")
ACRONYM_ROW = re.compile(r"^\|\s*`?([A-Z][A-Za-z0-9]*[A-Z0-9])`?\s*\|\s*([^|]+?)\s*\|")


def check_wording(scenes: Sequence[Scene], questions: Sequence[Question], report: Report) -> None:
    """The scene legend and "Select all that apply" said once; no verdict words in select-all option feedback."""
    for scene in scenes:
        if scene.choices and plain(scene.body_html).endswith(CHOICE_LEGEND):
            report(scene.line, "question-repeated",
                   f"scene `{scene.id}` ends with \"{CHOICE_LEGEND}\", which the player already asks above its "
                   "choices: remove it from the text")
    for question in (q for q in questions if q.multiple):
        if SELECT_ALL.search(question.text) or SELECT_ALL.search(plain(question.body_html)):
            report(question.line, "select-all-repeated",
                   f"question `{question.id}` says \"select all that apply\", which the player already says "
                   "(and explains that it is all or nothing): remove it from the text")
        for option in question.options:
            word = VERDICT.match(plain(option.feedback_html))
            if word:
                report(option.line, "option-feedback-verdict",
                       f"feedback on an option of select-all question `{question.id}` starts with \"{word.group(0)}\": "
                       "the result page says whether the learner was right about each option, so say why it "
                       "applies or not instead")


def read_acronyms(readme: Path) -> dict[str, str]:
    """The `## Acronyms` table of the authoring guide: acronym -> words in full (empty when there is none)."""
    try:
        lines = readme.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return {}
    found: dict[str, str] = {}
    inside = False
    for line in lines:
        if line.startswith("## "):
            inside = ACRONYMS_HEADING.match(line) is not None
        elif inside and (match := ACRONYM_ROW.match(line)) and not set(match.group(2)) <= set("-: "):
            found[match.group(1)] = " ".join(match.group(2).split())
    return found


def _normal(text: str) -> str:
    return " ".join(text.replace("&", "and").split()).lower()


class _Acronyms:
    """Finds each listed acronym in a piece of text, and whether that use spells it out."""

    def __init__(self, acronyms: Mapping[str, str]):
        self.acronyms = acronyms
        self.patterns = {a: re.compile(rf"\b{re.escape(a)}s?\b") for a in acronyms}

    def uses(self, text: str) -> Iterator[tuple[str, bool]]:
        """(acronym, spelled out here) for each acronym in `text`, in the order they first appear."""
        hits = sorted((m.start(), a, m) for a, p in self.patterns.items() if (m := p.search(text)))
        for _, acronym, match in hits:
            before = _normal(text[: match.start()])
            full = _normal(self.acronyms[acronym])
            expanded = before.endswith("(") and re.search(rf"{re.escape(full)}s? \($", before) is not None
            yield acronym, expanded


def check_acronyms(
    acronyms: Mapping[str, str], text: str, opening: Sequence[tuple[str, int]], scenes: Sequence[Scene], start: str,
    check: tuple[str, int] | None, questions: Sequence[Question], report: Report,
) -> None:
    """An acronym from the guide's list is spelled out before its first use on every path a learner can take.

    The learner reads the summary and the introduction (`opening`), then each scene (title, text, choices)
    and the feedback on the choice taken, then the knowledge check (questions, options) and last the options'
    feedback. `opening` and `check` hold (text HTML, file line); the graph must be sound (no cycles)."""
    if not acronyms:
        return
    finder = _Acronyms(acronyms)
    file_lines = text.splitlines()
    reported: set[tuple[str, int]] = set()

    def read(html: str, line: int, known: set[str]) -> set[str]:
        """`known` after reading `html` (which starts at file line `line`), reporting unexpanded uses."""
        known = set(known)
        for acronym, expanded in finder.uses(plain(html)):
            if acronym in known:
                continue
            if not expanded:
                at = _line_of(file_lines, finder.patterns[acronym], line)
                if (acronym, at) not in reported:
                    reported.add((acronym, at))
                    report(at, "acronym-not-expanded",
                           f"a learner can meet {acronym} here before it is spelled out: write "
                           f"\"{acronyms[acronym]} ({acronym})\" the first time it is used on every path")
            known.add(acronym)
        return known

    def read_all(pieces: list[tuple[str, int]], known: set[str]) -> set[str]:
        """Choices and options are shown in an order shuffled per attempt: none counts as read before another."""
        return known.union(*(read(html, line, known) for html, line in pieces))

    by_id = {s.id: s for s in scenes}
    known: set[str] = set()
    for html, line in opening:
        known = read(html, line, known)
    arriving: dict[str, set[str]] = {start: known}
    order = TopologicalSorter({s.id: {p.id for p in scenes for c in p.choices if c.target == s.id} for s in scenes})
    ending_known: list[set[str]] = []
    for scene_id in order.static_order():
        if scene_id not in arriving:
            continue  # unreachable
        scene = by_id[scene_id]
        known = read(scene.title, scene.line, arriving[scene_id])
        known = read(scene.body_html, scene.line, known)
        known = read_all([(c.text_html, c.line) for c in scene.choices], known)
        if scene.is_end:
            ending_known.append(known)
        for choice in scene.choices:
            after = read(choice.feedback_html, choice.line, known)
            target = choice.target
            arriving[target] = arriving[target] & after if target in arriving else after
    if check is None or not ending_known:
        return
    known = read(*check, set.intersection(*ending_known))
    for question in questions:
        known = read(question.text, question.line, known)
        known = read(question.body_html, question.line, known)
        known = read_all([(o.text_html, o.line) for o in question.options], known)
    for question in questions:
        for option in question.options:
            known = read(option.feedback_html, option.line, known)


def _line_of(lines: Sequence[str], pattern: re.Pattern, start: int) -> int:
    """The first file line at or after `start` where `pattern` occurs (`start` if none does)."""
    for number in range(max(start, 1), len(lines) + 1):
        if pattern.search(lines[number - 1]):
            return number
    return start
