"""Read one module file (SCENARIO_FORMAT.md) into a Module, with every diagnostic the linter finds."""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from markdown_it.token import Token

from app.content import cues, lint, scoring, wording
from app.content.lint import Report
from app.content.model import OUTCOMES, Choice, Diagnostic, Module, Option, Question, Scene, frozen_mapping
from app.content.render import inline_plain_text, markdown, render_tokens, word_count

# The attrs plugin's grammar (djot) forbids the comma in `rf=RF1,RF7` and needs the block to touch
# the link, so the trailing `{...}` of headings and choices is read here from the token's source.
TRAILING_ATTRS = re.compile(r"\s*\{([^{}]*)\}\s*$")
ATTR_PIECE = re.compile(r'(?:[^\s"]+|"[^"]*")+')
ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")
COUNT = re.compile(r"\d+")
Codes = frozenset[str] | None
Acronyms = Mapping[str, str] | None  # acronym -> words in full, from the authoring guide


@dataclass
class ParseResult:
    """Everything known about one file, even when it failed."""

    module: Module | None
    diagnostics: list[Diagnostic]
    module_id: str | None = None
    id_line: int = 1


@dataclass
class _Attrs:
    values: dict[str, str] = field(default_factory=dict)
    classes: list[str] = field(default_factory=list)


def parse_module(path: Path, risk_codes: Codes = None) -> tuple[Module | None, list[Diagnostic]]:
    """Parse and lint one module file; the Module is None when there is any error."""
    result = parse_file(path, risk_codes)
    return result.module, result.diagnostics


def parse_file(path: Path, risk_codes: Codes = None, acronyms: Acronyms = None) -> ParseResult:
    """Parse and lint one module file, keeping its id even when it fails (for duplicate checks)."""
    return parse_bytes(path.read_bytes(), path, risk_codes, acronyms)


def parse_bytes(data: bytes, path: Path, risk_codes: Codes = None, acronyms: Acronyms = None) -> ParseResult:
    """Parse and lint a module's bytes (a file's, or a version's source kept in the database)."""
    report = Report(str(path))
    try:
        text = data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        report(1, "encoding-invalid", f"save the file as UTF-8 (byte {exc.start} is not UTF-8)")
        return ParseResult(None, report.items)
    reader = _Reader(path, text, report, risk_codes or lint.RISK_CODES, acronyms or {})
    module, module_id, id_line = reader.read(hashlib.sha256(data).hexdigest())
    if module is not None:
        module = dataclasses.replace(module, source=text)
    return ParseResult(None if report.has_errors else module, report.items, module_id, id_line)


def _split_front_matter(text: str, report: Report) -> tuple[str | None, str, int]:
    """Front matter text, body text, and the number of file lines before the body."""
    lines = text.splitlines(keepends=True)
    if not lines or lines[0].rstrip() != "---":
        report(1, "front-matter-missing", "start the file with a `---` line, the front matter, and another `---` line")
        return None, text, 0
    for index in range(1, len(lines)):
        if lines[index].rstrip() in ("---", "..."):
            return "".join(lines[1:index]), "".join(lines[index + 1 :]), index + 1
    report(1, "front-matter-missing", "the front matter never ends: add a `---` line after it")
    return None, text, 0


def _read_yaml(source: str, report: Report) -> tuple[dict | None, dict[str, int]]:
    """Front-matter values and the file line of each key."""
    try:
        node = yaml.compose(source, Loader=yaml.SafeLoader)
        meta = yaml.safe_load(source)
    except yaml.YAMLError as exc:
        # An unclosed bracket is reported where the parser gave up; where it opened helps more.
        mark = getattr(exc, "context_mark", None) or getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 1
        report(line, "front-matter-invalid", f"the front matter is not valid YAML: {getattr(exc, 'problem', exc)}")
        return None, {}
    if not isinstance(meta, dict) or not isinstance(node, yaml.MappingNode):
        report(2, "front-matter-invalid", "the front matter must be `key: value` lines")
        return None, {}
    lines = {str(key.value): key.start_mark.line + 2 for key, _ in node.value}
    return {str(k): v for k, v in meta.items()}, lines


def _blocks(tokens: Sequence[Token]) -> list[list[Token]]:
    """Split a balanced token run into its top-level blocks."""
    out: list[list[Token]] = []
    current: list[Token] = []
    depth = 0
    for token in tokens:
        current.append(token)
        depth += token.nesting
        if depth == 0:
            out.append(current)
            current = []
    return out


def _is_heading(block: list[Token], tag: str) -> bool:
    return block[0].type == "heading_open" and block[0].tag == tag


def _first_blockquote(item: list[Token]) -> list[Token] | None:
    """The inside of the first blockquote directly in a list item (its feedback)."""
    for block in _blocks(item[1:-1]):
        if block[0].type == "blockquote_open":
            return block[1:-1]
    return None


class _Reader:
    """One pass over one file's tokens, reporting as it goes."""

    def __init__(self, path: Path, text: str, report: Report, codes: frozenset[str], acronyms: Mapping[str, str]):
        self.path, self.text, self.report, self.codes, self.acronyms = path, text, report, codes, acronyms
        self.offset = 0

    def line(self, token: Token) -> int:
        return (token.map[0] if token.map else 0) + self.offset + 1

    def read(self, content_hash: str) -> tuple[Module | None, str | None, int]:
        """Build the module (if possible) and return it with its front-matter id and that id's line."""
        fm, body, self.offset = _split_front_matter(self.text, self.report)
        read, key_lines = _read_yaml(fm, self.report) if fm is not None else (None, {})
        meta = read or {}
        if read is not None:
            lint.check_front_matter(meta, key_lines, self.codes, self.report)
        tokens = markdown().parse(body)
        lint.check_text(self.text, body, self.offset, tokens, self.report)
        sections = self._sections(_blocks(tokens))
        intro = sections.pop(0)
        scenes, check = self._scenes(sections)
        title, check_intro_html, questions = check[:3] if check else (None, "", [])
        module_id = meta.get("id") if isinstance(meta.get("id"), str) else None
        id_line = key_lines.get("id", 1)
        if not scenes:
            self.report(self.offset + 1, "no-scenes", "add at least one scene: a `## Title {#scene-id}` heading")
            return None, module_id, id_line
        start = meta.get("start") if isinstance(meta.get("start"), str) else scenes[0].id
        if start not in {s.id for s in scenes}:
            self.report(key_lines.get("start", 1), "start-unknown",
                        f"`start: {start}` names no scene; use a scene's {{#id}}")
        lint.check_ids(scenes, questions, self.report)
        lint.check_feedback_and_options(scenes, questions, self.report)
        cues.check_cues(scenes, questions, self.report)
        wording.check_wording(scenes, questions, self.report)
        listed = meta.get("risk_factors")
        if not (isinstance(listed, list) and all(isinstance(code, str) for code in listed)):
            listed = None  # already reported; checking codes against it would only add noise
        lint.check_risk_factors(listed, key_lines.get("risk_factors", 1), scenes, questions, self.codes, self.report)
        stats = lint.check_graph(scenes, start, check[3] if check else None, self.report)
        points = sum(q.points for q in questions)
        intro_html = render_tokens(intro)
        if stats is not None:
            scoring.check_scoring(stats, points, meta.get("pass_mark"), key_lines.get("pass_mark", 1), self.report)
            words = stats.longest_words + word_count(intro_html) + scoring.question_words(questions)
            minutes = meta.get("estimated_minutes")
            scoring.check_reading_time(words, minutes, key_lines.get("estimated_minutes", 1), self.report)
            opening = [(str(meta.get("summary") or ""), key_lines.get("summary", 1)), (intro_html, self.offset + 1)]
            wording.check_acronyms(self.acronyms if (meta.get("language") or "en") == "en" else {}, self.text, opening,
                                   scenes, start, (check_intro_html, check[4]) if check else None, questions, self.report)
        if self.report.has_errors or stats is None:
            return None, module_id, id_line
        module = Module(
            id=meta["id"], title=meta["title"], version=meta["version"], summary=meta["summary"],
            audience=tuple(meta.get("audience") or ()), risk_factors=tuple(meta["risk_factors"]),
            estimated_minutes=meta["estimated_minutes"], pass_mark=meta["pass_mark"],
            language=meta.get("language") or "en", start=start, intro_html=intro_html,
            scenes=frozen_mapping({s.id: s for s in scenes}), check_title=title,
            check_intro_html=check_intro_html, questions=tuple(questions),
            max_path_score=stats.best, max_score=stats.best + points,
            content_hash=content_hash, path=str(self.path), check_id=check[3] if check else None,
            shuffle=meta.get("shuffle", True) is not False,
            key_lines=frozen_mapping(key_lines),
        )  # fmt: skip
        return module, module_id, id_line

    def _sections(self, blocks: list[list[Token]]) -> list[list[Token]]:
        """The intro's tokens, then one token run per `##` heading (heading included)."""
        sections: list[list[Token]] = [[]]
        for block in blocks:
            if _is_heading(block, "h2"):
                sections.append([])
            sections[-1].extend(block)
        return sections

    def _attrs(self, raw: str, line: int) -> tuple[str, _Attrs]:
        """Split `text {#id .class key=value}` into the text and its attributes."""
        match = TRAILING_ATTRS.search(raw)
        attrs = _Attrs()
        if match is None:
            return raw.strip(), attrs
        for piece in ATTR_PIECE.findall(match.group(1)):
            if piece.startswith("#") and len(piece) > 1:
                attrs.values["id"] = piece[1:]
            elif piece.startswith(".") and len(piece) > 1:
                attrs.classes.append(piece[1:])
            elif "=" in piece and not piece.startswith("="):
                key, value = piece.split("=", 1)
                attrs.values[key] = value[1:-1] if value.startswith('"') and value.endswith('"') else value
            else:
                self.report(line, "attribute-invalid",
                            f"cannot read `{piece}` in `{{{match.group(1)}}}`: write #id, .class or key=value")
        return raw[: match.start()].strip(), attrs

    def _take(self, attrs: _Attrs, line: int, allowed: Sequence[str], classes: Sequence[str] = ()) -> None:
        """Report attributes and classes the format does not know for this element."""
        for key in attrs.values:
            if key not in allowed:
                self.report(line, "attribute-unknown", f"unknown attribute `{key}`; allowed here: {', '.join(allowed)}")
        for name in attrs.classes:
            if name not in classes:
                known = ", ".join(f".{c}" for c in classes) or "none"
                self.report(line, "attribute-unknown", f"unknown class `.{name}`; allowed here: {known}")

    def _id(self, attrs: _Attrs, line: int, missing_code: str, hint: str) -> str:
        value = attrs.values.get("id", "")
        if not value:
            self.report(line, missing_code, f"give it a stable id: {hint}")
        elif not ID.fullmatch(value):
            self.report(line, "id-invalid", f"id `{value}` may only use letters, digits, - and _")
        return value

    def _count(self, attrs: _Attrs, key: str, default: int, line: int, code: str) -> int:
        raw = attrs.values.get(key)
        if raw is None:
            return default
        if not COUNT.fullmatch(raw):
            self.report(line, code, f"`{key}={raw}` must be a whole number of 0 or more")
            return default
        return int(raw)

    def _rf(self, attrs: _Attrs) -> tuple[str, ...]:
        return tuple(code.strip() for code in attrs.values.get("rf", "").split(",") if code.strip())

    def _scenes(self, sections: list[list[Token]]) -> tuple[list[Scene], tuple | None]:
        """Scenes in file order, and the knowledge check (title, intro, questions, id) if any."""
        scenes: list[Scene] = []
        check: tuple | None = None
        seen: dict[str, int] = {}
        for section in sections:
            line = self.line(section[0])
            title, attrs = self._attrs(section[1].content, line)
            scene_id = self._id(attrs, line, "scene-id-missing", f"## {title} {{#scene-id}}")
            self._take(attrs, line, ("id", "outcome"), ("end", "check"))
            if scene_id in seen:
                self.report(line, "duplicate-scene-id",
                            f"scene id `{scene_id}` is already used on line {seen[scene_id]}")
            elif scene_id:
                seen[scene_id] = line
            body = _blocks(section[3:])
            if "check" in attrs.classes:
                if check is not None:
                    self.report(line, "check-duplicate",
                                "a module has at most one `.check` scene: merge the questions into the first")
                    continue
                check = (inline_plain_text(title), *self._check(body, line), scene_id, line)
                continue
            is_end = "end" in attrs.classes
            outcome = attrs.values.get("outcome")
            if outcome is not None and (outcome not in OUTCOMES or not is_end):
                where = "an ending" if is_end else "scenes marked `.end`"
                self.report(line, "outcome-invalid", f"`outcome={outcome}`: use good, mixed or poor, on {where}")
            choices, rest = self._choices(body)
            scenes.append(Scene(
                id=scene_id, title=inline_plain_text(title), body_html=render_tokens(rest), choices=tuple(choices),
                is_end=is_end, outcome=outcome if is_end else None, line=line,
            ))  # fmt: skip
        return [s for s in scenes if s.id], check

    def _choices(self, body: list[list[Token]]) -> tuple[list[Choice], list[Token]]:
        """The choices (the last bullet list led by `#` links) and the scene's other tokens."""
        chosen = None
        for index, block in enumerate(body):
            items = _blocks(block[1:-1]) if block[0].type == "bullet_list_open" else []
            if items and self._link(items[0]) is not None:
                chosen = index
        if chosen is None:
            return [], [t for block in body for t in block]
        choices = [c for item in _blocks(body[chosen][1:-1]) if (c := self._choice(item)) is not None]
        return choices, [t for i, block in enumerate(body) if i != chosen for t in block]

    def _link(self, item: list[Token]) -> Token | None:
        """The list item's leading paragraph, if it starts with a link to `#scene-id`."""
        first = _blocks(item[1:-1])
        if not first or first[0][0].type != "paragraph_open":
            return None
        inline = first[0][1]
        children = inline.children or []
        if children and children[0].type == "link_open" and str(children[0].attrGet("href") or "").startswith("#"):
            return inline
        return None

    def _choice(self, item: list[Token]) -> Choice | None:
        line = self.line(item[0])
        inline = self._link(item)
        if inline is None:
            self.report(line, "choice-not-link",
                        "every item in a choice list starts with a link: - [text](#scene-id) {id=...}")
            return None
        children = inline.children or []
        close = next(i for i, t in enumerate(children) if t.type == "link_close")
        _, attrs = self._attrs(inline.content, line)
        self._take(attrs, line, ("id", "score", "rf", "pin"))
        choice_id = self._id(attrs, line, "choice-id-missing", "[text](#scene-id) {id=choice-id}")
        feedback = _first_blockquote(item)
        return Choice(
            id=choice_id,
            text_html=render_tokens(children[1:close]),
            target=str(children[0].attrGet("href"))[1:],
            score=self._count(attrs, "score", 0, line, "score-invalid"),
            risk_factors=self._rf(attrs),
            feedback_html=render_tokens(feedback) if feedback else "",
            line=line,
            pin_last=self._pin(attrs, line),
        )

    def _pin(self, attrs: _Attrs, line: int) -> bool:
        """`{pin=last}` keeps an item last when the order is shuffled."""
        value = attrs.values.get("pin")
        if value is not None and value != "last":
            self.report(line, "attribute-invalid", f"`pin={value}`: the only pin is `pin=last`")
        return value == "last"

    def _check(self, body: list[list[Token]], line: int) -> tuple[str, list[Question]]:
        """The knowledge check's intro and its `###` questions."""
        groups: list[list[list[Token]]] = [[]]
        for block in body:
            if _is_heading(block, "h3"):
                groups.append([])
            groups[-1].append(block)
        intro = render_tokens([t for block in groups.pop(0) for t in block])
        if not groups:
            self.report(line, "check-empty",
                        "the knowledge check has no questions: add `### Question {#question-id}` headings")
        return intro, [self._question(group) for group in groups]

    def _question(self, group: list[list[Token]]) -> Question:
        heading, body = group[0], group[1:]
        line = self.line(heading[0])
        text, attrs = self._attrs(heading[1].content, line)
        self._take(attrs, line, ("id", "points", "rf"))
        question_id = self._id(attrs, line, "question-id-missing", f"### {text} {{#question-id}}")
        chosen = None
        for index, block in enumerate(body):
            if block[0].type == "bullet_list_open" and "contains-task-list" in str(block[0].attrGet("class") or ""):
                chosen = index
        items = [] if chosen is None else _blocks(body[chosen][1:-1])
        options = [self._option(item, n) for n, item in enumerate(items, 1)]
        rest = [t for i, block in enumerate(body) if i != chosen for t in block]
        return Question(
            id=question_id,
            text=inline_plain_text(text),
            body_html=render_tokens(rest),
            points=self._count(attrs, "points", 1, line, "points-invalid"),
            risk_factors=self._rf(attrs),
            options=tuple(o for o in options if o is not None),
            line=line,
        )

    def _option(self, item: list[Token], position: int) -> Option | None:
        line = self.line(item[0])
        first = _blocks(item[1:-1])
        if "task-list-item" not in str(item[0].attrGet("class") or "") or not first:
            self.report(line, "option-not-checkbox",
                        "start each option with `[ ]` (wrong) or `[x]` (right): - [x] text")
            return None
        inline = first[0][1]
        children = inline.children or []
        _, attrs = self._attrs(inline.content, line)
        self._take(attrs, line, ("pin",))
        if attrs.values and children and children[-1].type == "text":  # the `{...}` block is not option text
            children[-1].content = TRAILING_ATTRS.sub("", children[-1].content).rstrip()
        feedback = _first_blockquote(item)
        return Option(
            key=str(position),
            text_html=render_tokens(children[1:]),
            correct='checked="checked"' in children[0].content,
            feedback_html=render_tokens(feedback) if feedback else "",
            line=line,
            pin_last=self._pin(attrs, line),
        )
