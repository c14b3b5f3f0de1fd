"""The module linter's checks, each reported as a Diagnostic with a stable code.

Codes (severity, meaning):

File and front matter
  encoding-invalid              error    the file is not UTF-8 text
  front-matter-missing          error    no `---` YAML block at the top, or it never closes
  front-matter-invalid          error    the YAML cannot be read, or is not a set of `key: value` lines
  front-matter-key-missing      error    a required key (id, title, version, ...) is absent
  front-matter-type             error    a value has the wrong type (text, whole number, list)
  front-matter-range            error    a value is out of range or badly formed (kebab-case id,
                                         semver version, pass_mark 0-100, minutes > 0, language tag)
  front-matter-unknown-key      warning  a key the format does not know (often a typo)
  duplicate-module-id           error    another file uses the same module id

Scenes, choices and questions
  attribute-invalid             error    a `{...}` attribute block cannot be read
  attribute-unknown             error    an attribute or class the format does not know
  id-invalid                    error    an id with characters other than letters, digits, - and _
  scene-id-missing              error    a `##` heading without `{#scene-id}`
  choice-id-missing             error    a choice without `{id=...}`
  question-id-missing           error    a `###` question without `{#question-id}`
  duplicate-scene-id            error    two scenes share an id
  duplicate-choice-id           error    two choices share an id
  duplicate-question-id         error    two questions share an id
  outcome-invalid               error    `outcome=` not good/mixed/poor, or on a scene that is not an ending
  no-scenes                     error    the module has no `##` scene
  start-unknown                 error    `start:` names no scene
  choice-not-link               error    an item in a choice list does not start with `[text](#scene-id)`
  unknown-target                error    a choice leads to a scene that does not exist
  choice-targets-check          error    a choice leads to the knowledge check (it follows an ending)
  loose-end                     error    a scene that is not an ending has no choices
  ending-with-choices           error    an ending has choices
  no-ending                     error    no scene is marked `.end`
  cycle                         error    a choice leads back to an earlier scene (choices lead forward only)
  trap                          error    a reachable scene from which no ending can be reached
  unreachable-scene             warning  no path from the start reaches this scene
  choice-feedback-missing       error    a choice has no blockquote feedback under it
  option-feedback-missing       error    a question option has no blockquote feedback under it
  score-invalid                 error    `score=` is not a whole number >= 0
  points-invalid                error    `points=` is not a whole number >= 0
  rf-unknown                    error    a risk factor code that is not RF1..RF14
  rf-not-listed                 error    an `rf=` code missing from the front matter's risk_factors
  rf-not-exercised              error    a listed risk factor that no choice or question exercises
  check-duplicate               error    more than one `.check` scene
  check-empty                   warning  the `.check` scene has no `###` questions
  option-not-checkbox           error    an option item without `[ ]` or `[x]`
  question-too-few-options      error    a question with fewer than two options
  question-no-correct           error    a question with no `[x]` option

Text and scoring
  raw-html                      error    raw HTML (including `<script>` and comments) in the text
  image-alt-missing             warning  an image without alt text
  todo-left                     warning  TODO or FIXME left in the file
  pass-mark-unreachable         error    no learner can reach the pass mark (the module scores nothing;
                                         since the maximum is the best path, nothing else can cause it)
  pass-mark-not-discriminating  warning  the worst path plus all-correct answers already passes
  good-path-cannot-pass         error    a path to a good ending cannot reach the pass mark even with
                                         every question right (scoring.py)
  best-choice-longest           warning  the best choice is the longest option at more than half of the
                                         decision points (cues.py)
  right-answer-longest          warning  the right answer is the longest option in more than half of the
                                         single-answer questions
  absolute-wrong-option         warning  a wrong choice or option says "never" or "always"
  question-repeated             warning  a scene's text ends with "What do you do?", the legend the player
                                         already puts over its choices (wording.py)
  select-all-repeated           warning  a question with more than one right answer says "select all that
                                         apply", which the player already says
  option-feedback-verdict       warning  feedback on an option of a select-all question starts with Correct,
                                         Incorrect, Right or Wrong (the result page judges each option)
  acronym-not-expanded          warning  an acronym listed in the folder's README.md (`## Acronyms`) is used
                                         before it is spelled out, "In full (ACR)", on some path
  reading-time-mismatch         warning  estimated_minutes is more than 50% away from the reading time
                                         of the longest path at 200 words a minute
  risk-factors-invalid          error    modules/risk-factors.yaml cannot be read

Translations (`<id>.<lang>.md` beside `<id>.md`; see translations.py) and versions
  translation-no-source         error    no `<id>.md` beside the translation, or it has errors
  translation-language          error    `language:` is not set, or is not the file name's tag
  translation-id-mismatch       error    the translation's `id` is not its source's
  translation-structure-mismatch error   scene, choice or question ids, targets, endings, options or start differ
  translation-score-mismatch    error    `score=`, `points=`, pass_mark or the correct answers differ
  translation-rf-mismatch       error    `rf=` codes or the front matter's risk_factors differ
  version-not-bumped            warning  the content changed since its version was published (versions.py)
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from markdown_it.token import Token

from app.content.model import Diagnostic, Question, Scene
from app.content.render import markdown
from app.content.scoring import PathStats, is_whole_number, path_stats

WARNINGS = frozenset(
    {
        "front-matter-unknown-key", "unreachable-scene", "check-empty", "image-alt-missing",
        "todo-left", "pass-mark-not-discriminating", "reading-time-mismatch", "version-not-bumped",
        "best-choice-longest", "right-answer-longest", "absolute-wrong-option", "question-repeated",
        "select-all-repeated", "option-feedback-verdict", "acronym-not-expanded",
    }
)  # fmt: skip
CODES = frozenset(re.findall(r"^  ([a-z][a-z-]+[a-z]) +(?:error|warning) ", __doc__ or "", re.M))
RISK_CODES = frozenset(f"RF{n}" for n in range(1, 15))
REQUIRED_KEYS = ("id", "title", "version", "summary", "risk_factors", "estimated_minutes", "pass_mark")
OPTIONAL_KEYS = ("audience", "start", "language", "shuffle")
KEBAB = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
SEMVER = re.compile(
    r"(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?"
)
LANGUAGE = re.compile(r"[a-zA-Z]{2,3}(?:-[a-zA-Z0-9]{2,8})*")
TODO = re.compile(r"\b(TODO|FIXME)\b")


@dataclass
class Report:
    """Collects diagnostics for one file; the code decides the severity."""

    file: str
    items: list[Diagnostic] = field(default_factory=list)

    def __call__(self, line: int, code: str, message: str) -> None:
        assert code in CODES, code  # every code is documented above
        severity = "warning" if code in WARNINGS else "error"
        self.items.append(Diagnostic(self.file, max(line, 1), severity, code, message))

    @property
    def has_errors(self) -> bool:
        return any(d.severity == "error" for d in self.items)


def check_front_matter(
    meta: Mapping[str, object], lines: Mapping[str, int], codes: frozenset[str], report: Report
) -> None:
    """Check each front-matter key's presence, type and range."""
    line = lambda key: lines.get(key, 1)  # noqa: E731
    for key in REQUIRED_KEYS:
        if key not in meta or meta[key] is None:
            report(1, "front-matter-key-missing", f"add `{key}:` to the front matter")
    for key in meta:
        if key not in REQUIRED_KEYS + OPTIONAL_KEYS:
            report(line(key), "front-matter-unknown-key", f"`{key}` is not a front-matter key; check the spelling")
    for key in ("id", "title", "version", "summary", "start", "language"):
        value = meta.get(key)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            hint = " (write it in quotes, e.g. \"1.0.0\")" if key == "version" else ""
            report(line(key), "front-matter-type", f"`{key}` must be text{hint}")
    if isinstance(meta.get("id"), str) and not KEBAB.fullmatch(meta["id"]):
        report(line("id"), "front-matter-range", "`id` must be kebab-case: lower-case letters, digits and hyphens")
    if isinstance(meta.get("version"), str) and not SEMVER.fullmatch(meta["version"]):
        report(line("version"), "front-matter-range", "`version` must be MAJOR.MINOR.PATCH, e.g. 1.0.0")
    if isinstance(meta.get("language"), str) and not LANGUAGE.fullmatch(meta["language"]):
        report(line("language"), "front-matter-range", "`language` must be a BCP 47 tag such as en or cy")
    for key, low, high in (("estimated_minutes", 1, None), ("pass_mark", 0, 100)):
        value = meta.get(key)
        if value is None:
            continue
        if not is_whole_number(value):
            report(line(key), "front-matter-type", f"`{key}` must be a whole number")
        elif value < low or (high is not None and value > high):
            limits = f"between {low} and {high}" if high is not None else f"at least {low}"
            report(line(key), "front-matter-range", f"`{key}` must be {limits}, not {value}")
    if "shuffle" in meta and not isinstance(meta["shuffle"], bool):
        report(line("shuffle"), "front-matter-type", "`shuffle` must be true or false")
    for key in ("risk_factors", "audience"):
        value = meta.get(key)
        if value is not None and (not isinstance(value, list) or not all(isinstance(v, str) for v in value)):
            report(line(key), "front-matter-type",
                   f"`{key}` must be a list, e.g. [{'RF1, RF8' if key == 'risk_factors' else 'political'}]")
    listed = meta.get("risk_factors")
    if isinstance(listed, list) and all(isinstance(v, str) for v in listed):
        if not listed:
            report(line("risk_factors"), "front-matter-range", "list at least one risk factor the module exercises")
        for code in listed:
            if code not in codes:
                report(line("risk_factors"), "rf-unknown", f"`{code}` is not a risk factor code; use RF1 to RF14")


def check_text(
    text: str, body: str, offset: int, tokens: Sequence[Token], report: Report
) -> None:
    """Raw HTML, images without alt text and TODO/FIXME markers anywhere in the file."""
    for number, source_line in enumerate(text.splitlines(), start=1):
        for match in TODO.finditer(source_line):
            report(number, "todo-left", f"{match.group(1)} left in: finish the text or remove the marker")
    for token, line in _with_lines(markdown(html=True).parse(body), offset):
        if token.type in ("html_block", "html_inline"):
            snippet = token.content.strip().splitlines()[0][:40] if token.content.strip() else ""
            kind = "a <script>" if "<script" in token.content.lower() else "raw HTML"
            report(line, "raw-html", f"{kind} is not allowed ({snippet}); write Markdown instead")
    for token, line in _with_lines(tokens, offset):
        if token.type == "image" and not (token.children and "".join(c.content for c in token.children).strip()):
            report(line, "image-alt-missing", "give the image alt text: ![what it shows](file.png)")


def _with_lines(tokens: Sequence[Token], offset: int) -> Iterator[tuple[Token, int]]:
    """Every block and inline token with its 1-based file line."""
    for token in tokens:
        if token.map is None:
            continue
        start = token.map[0] + offset + 1
        yield token, start
        line = start
        for child in token.children or ():
            if child.type in ("softbreak", "hardbreak"):
                line += 1
            yield child, line


def check_ids(scenes: Sequence[Scene], questions: Sequence[Question], report: Report) -> None:
    """Choice and question ids are unique in the module (scene ids are checked while reading)."""
    seen: dict[str, int] = {}
    for choice in (c for s in scenes for c in s.choices):
        if choice.id in seen:
            report(choice.line, "duplicate-choice-id",
                   f"choice id `{choice.id}` is already used on line {seen[choice.id]}")
        seen.setdefault(choice.id, choice.line)
    seen = {}
    for question in questions:
        if question.id in seen:
            report(question.line, "duplicate-question-id",
                   f"question id `{question.id}` is already used on line {seen[question.id]}")
        seen.setdefault(question.id, question.line)


def check_feedback_and_options(scenes: Sequence[Scene], questions: Sequence[Question], report: Report) -> None:
    """Every choice and option has feedback; every question has two options and a right answer."""
    for choice in (c for s in scenes for c in s.choices):
        if not choice.feedback_html:
            report(choice.line, "choice-feedback-missing",
                   f"add feedback to choice `{choice.id}`: a `>` blockquote indented under it")
    for question in questions:
        if len(question.options) < 2:
            report(question.line, "question-too-few-options",
                   f"question `{question.id}` needs at least two `- [ ]` / `- [x]` options")
        elif not question.correct_keys:
            report(question.line, "question-no-correct",
                   f"mark the right answer(s) to question `{question.id}` with `- [x]`")
        for option in question.options:
            if not option.feedback_html:
                report(option.line, "option-feedback-missing",
                       "add feedback to this option: a `>` blockquote indented under it")


def check_risk_factors(
    listed: Sequence[str] | None, listed_line: int, scenes: Sequence[Scene], questions: Sequence[Question],
    codes: frozenset[str], report: Report,
) -> None:
    """`rf=` codes are known and listed; every listed factor is exercised. `listed` None: unreadable."""
    used: set[str] = set()
    uses = [(c.line, c.risk_factors) for s in scenes for c in s.choices]
    uses += [(q.line, q.risk_factors) for q in questions]
    for line, factors in uses:
        for code in factors:
            used.add(code)
            if code not in codes:
                report(line, "rf-unknown", f"`{code}` is not a risk factor code; use RF1 to RF14")
            elif listed is not None and code not in listed:
                report(line, "rf-not-listed", f"`{code}` is not in the front matter's risk_factors; add it there")
    for code in listed or ():
        if code in codes and code not in used:
            report(listed_line, "rf-not-exercised",
                   f"no choice or question has rf={code}; exercise it or remove it from risk_factors")


def check_graph(scenes: Sequence[Scene], start: str, check_id: str | None, report: Report) -> PathStats | None:
    """Structure of the scene graph; returns path statistics when it is sound enough to score."""
    by_id = {s.id: s for s in scenes}
    errors_before = sum(d.severity == "error" for d in report.items)
    for scene in scenes:
        if scene.is_end and scene.choices:
            report(scene.line, "ending-with-choices", f"ending `{scene.id}` has choices: remove them or remove `.end`")
        if not scene.is_end and not scene.choices:
            report(scene.line, "loose-end",
                   f"scene `{scene.id}` has no choices: add `- [text](#scene-id) {{id=...}}` items or mark it `.end`")
        for choice in scene.choices:
            if check_id is not None and choice.target == check_id:
                report(choice.line, "choice-targets-check",
                       f"choice `{choice.id}` leads to the knowledge check, which follows an ending; lead to a scene")
            elif choice.target not in by_id:
                report(choice.line, "unknown-target",
                       f"choice `{choice.id}` leads to `#{choice.target}`, but no scene has that id")
    ends = [s.id for s in scenes if s.is_end]
    if not ends:
        report(scenes[0].line, "no-ending", "no scene is an ending: mark at least one heading `{#scene-id .end}`")
    edges = {s.id: [] if s.is_end else [c for c in s.choices if c.target in by_id] for s in scenes}
    _report_cycles(scenes, edges, report)
    if start not in by_id:
        return None
    reachable = _reach([start], lambda sid: [c.target for c in edges[sid]])
    back: dict[str, list[str]] = {sid: [] for sid in by_id}
    for sid, choices in edges.items():
        for choice in choices:
            back[choice.target].append(sid)
    can_end = _reach(ends, lambda sid: back[sid])
    for scene in scenes:
        if scene.id not in reachable:
            report(scene.line, "unreachable-scene",
                   f"no path from the start reaches scene `{scene.id}`: add a choice leading to it or remove it")
        elif ends and len(edges[scene.id]) == len(scene.choices) > 0 and scene.id not in can_end:
            # A scene with a broken link is not called a trap too: the broken link is the problem.
            report(scene.line, "trap", f"from scene `{scene.id}` no ending can be reached: give it a way to an ending")
    if sum(d.severity == "error" for d in report.items) > errors_before or start not in can_end:
        return None  # scores over a broken graph would only mislead
    return path_stats(start, by_id, edges, can_end)


def _reach(roots: Sequence[str], neighbours) -> set[str]:
    """Every scene reachable from the roots."""
    seen, stack = set(roots), list(roots)
    while stack:
        for nxt in neighbours(stack.pop()):
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return seen


def _report_cycles(scenes: Sequence[Scene], edges: Mapping[str, list], report: Report) -> None:
    """Report each choice that leads back onto the path taken to reach it."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = finished

    def visit(sid: str, path: list[str]) -> None:
        state[sid] = 1
        for choice in edges[sid]:
            if state.get(choice.target) == 1:
                loop = " -> ".join(path[path.index(choice.target) :] + [choice.target])
                report(choice.line, "cycle",
                       f"choice `{choice.id}` leads back to `{choice.target}` ({loop}); choices lead forward only")
            elif choice.target not in state:
                visit(choice.target, path + [choice.target])
        state[sid] = 2

    for scene in scenes:
        if scene.id not in state:
            visit(scene.id, [scene.id])
