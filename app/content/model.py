"""Parsed scenario modules: plain, immutable objects that know nothing of the database."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

OUTCOMES = ("good", "mixed", "poor")


@dataclass(frozen=True)
class Choice:
    """One choice in a scene: it leads to `target` and carries its feedback."""

    id: str
    text_html: str  # inline HTML, sanitised
    target: str
    score: int
    risk_factors: tuple[str, ...]
    feedback_html: str  # block HTML, sanitised ("" when missing: the linter reports it)
    line: int
    pin_last: bool = False  # `{pin=last}`: shown last whatever the shuffle


@dataclass(frozen=True)
class Scene:
    """A `##` section: a decision point, an ending (`.end`) or the knowledge check (`.check`)."""

    id: str
    title: str
    body_html: str
    choices: tuple[Choice, ...]
    is_end: bool
    outcome: str | None  # good | mixed | poor, endings only
    line: int

    def choice(self, choice_id: str) -> Choice | None:
        return next((c for c in self.choices if c.id == choice_id), None)


@dataclass(frozen=True)
class Option:
    """An answer option in a knowledge-check question; `key` is its 1-based position."""

    key: str
    text_html: str
    correct: bool
    feedback_html: str
    line: int
    pin_last: bool = False  # `{pin=last}`, e.g. "None of these"


@dataclass(frozen=True)
class Question:
    id: str
    text: str  # the `###` heading text, plain
    body_html: str  # any Markdown between the heading and the options
    points: int
    risk_factors: tuple[str, ...]
    options: tuple[Option, ...]
    line: int

    @property
    def multiple(self) -> bool:
        """More than one correct option: 'select all that apply', all-or-nothing."""
        return sum(1 for o in self.options if o.correct) > 1

    @property
    def correct_keys(self) -> frozenset[str]:
        return frozenset(o.key for o in self.options if o.correct)

    def is_correct(self, keys: frozenset[str] | set[str]) -> bool:
        return frozenset(keys) == self.correct_keys

    def option(self, key: str) -> Option | None:
        return next((o for o in self.options if o.key == key), None)


@dataclass(frozen=True)
class Module:
    """A whole module as learners take it. Built only by the parser."""

    id: str
    title: str
    version: str
    summary: str
    audience: tuple[str, ...]
    risk_factors: tuple[str, ...]
    estimated_minutes: int
    pass_mark: int
    language: str
    start: str
    intro_html: str
    scenes: Mapping[str, Scene]  # in file order; read-only
    check_title: str | None
    check_intro_html: str
    questions: tuple[Question, ...]
    max_path_score: int  # best score over all paths from start to an ending
    max_score: int  # max_path_score + all question points
    content_hash: str  # sha256 of the file's bytes
    path: str
    check_id: str | None = None  # id of the `.check` scene (not in `scenes`), if the module has one
    shuffle: bool = True  # choices and options shown in an order fixed per attempt; `shuffle: false` keeps file order
    source: str = field(default="", repr=False, compare=False)  # the file's text, kept with each version served
    # front-matter key -> file line, so later checks (translations, versions) can point at the key
    key_lines: Mapping[str, int] = field(default_factory=lambda: frozen_mapping({}), repr=False, compare=False)

    def scene(self, scene_id: str) -> Scene | None:
        return self.scenes.get(scene_id)

    def question(self, question_id: str) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)

    @property
    def major_version(self) -> int:
        return int(self.version.split(".")[0])

    def percent(self, score: int) -> int:
        """Result in whole percent, rounded down so a pass is never rounded up into being."""
        if self.max_score <= 0:
            return 0
        return (score * 100) // self.max_score

    def passes(self, score: int, outcome: str | None = None) -> bool:
        """Harm is decisive: an attempt that ends at a `poor` ending fails whatever its score."""
        if outcome == "poor":
            return False
        return self.max_score > 0 and score * 100 >= self.pass_mark * self.max_score


def frozen_mapping(items: dict) -> Mapping:
    return MappingProxyType(dict(items))


@dataclass(frozen=True)
class Diagnostic:
    """One linter finding, printed as `file:line: severity CODE message`."""

    file: str
    line: int
    severity: str  # "error" | "warning"
    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.severity} {self.code} {self.message}"


@dataclass(frozen=True)
class RiskFactor:
    code: str  # RF1..RF14
    number: int
    title: str
    summary: str
    group: str  # common | genocide | crimes-against-humanity | war-crimes


@dataclass
class Library:
    """Every module that loaded cleanly, plus every diagnostic from every file."""

    modules: dict[str, Module] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    risk_factors: dict[str, RiskFactor] = field(default_factory=dict)
    # file path -> module id for files that failed (id may be None if unreadable)
    rejected: dict[str, str | None] = field(default_factory=dict)
    # module id -> file path, for a module whose file now has errors: learners get its last good version
    stale: dict[str, str] = field(default_factory=dict)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]

    def get(self, module_id: str) -> Module | None:
        return self.modules.get(module_id)
