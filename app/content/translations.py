"""Translations (`<id>.<lang>.md` beside `<id>.md`): same ids, graph, scores, `rf=` codes and answers."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from app.content.lint import Report
from app.content.model import Diagnostic, Module, Question, Scene


def language_tag(path: Path) -> str:
    """The `<lang>` of `<id>.<lang>.md`."""
    return path.name.split(".")[-2]


def source_path(path: Path) -> Path:
    """The source file a translation belongs to: `<id>.md` in the same folder."""
    return path.with_name(path.name.split(".")[0] + ".md")


def check_translation(translation: Module | None, source: Module | None, path: Path) -> list[Diagnostic]:
    """Compare a translation with its source; nothing to say when the translation itself failed."""
    report = Report(str(path))
    if translation is None:
        return []
    origin = source_path(path)
    if source is None:
        why = "does not exist" if not origin.exists() else "has errors; fix them first"
        report(1, "translation-no-source", f"`{origin.name}`, the file this translates, {why}")
        return report.items
    tag = language_tag(path)
    key = translation.key_lines.get
    if "language" not in translation.key_lines:
        report(1, "translation-language", f"add `language: {tag}` to the front matter")
    elif translation.language.lower() != tag.lower():
        report(key("language", 1), "translation-language",
               f"`language: {translation.language}` differs from the file name's `.{tag}.md`: make them the same")
    if translation.id != source.id:
        report(key("id", 1), "translation-id-mismatch",
               f"`id: {translation.id}` must be the source's id `{source.id}` (completions refer to it)")
    _Compare(translation, source, origin.name, report).run()
    return report.items


class _Compare:
    """Walks the source and the translation side by side, reporting each difference at the translation."""

    def __init__(self, translation: Module, source: Module, origin: str, report: Report):
        self.t, self.s, self.origin, self.report = translation, source, origin, report

    def where(self, line: int) -> str:
        return f"{self.origin}:{line}"

    def run(self) -> None:
        t, s, key = self.t, self.s, self.t.key_lines.get
        first_scene = next(iter(t.scenes.values())).line
        if t.start != s.start:
            self.report(key("start", first_scene), "translation-structure-mismatch",
                        f"the first scene is `{t.start}` but the source starts at `{s.start}`")
        if t.check_id != s.check_id:
            self.report(first_scene, "translation-structure-mismatch",
                        f"the knowledge check's id is `{t.check_id}` but the source's is `{s.check_id}`")
        if t.pass_mark != s.pass_mark:
            self.report(key("pass_mark", 1), "translation-score-mismatch",
                        f"`pass_mark: {t.pass_mark}` but the source has {s.pass_mark}: use the source's")
        if sorted(t.risk_factors) != sorted(s.risk_factors):
            self.report(key("risk_factors", 1), "translation-rf-mismatch",
                        f"risk_factors {_codes(t.risk_factors)} but the source lists {_codes(s.risk_factors)}")
        self.pair(list(s.scenes.values()), list(t.scenes.values()), "scene", self.scene)
        self.pair(list(s.questions), list(t.questions), "question", self.question)

    def pair(self, sources: Sequence, translated: Sequence, kind: str, compare: Callable, at: int = 0) -> None:
        """Report missing and extra ids; compare the items both have."""
        ours = {item.id: item for item in translated}
        theirs = {item.id for item in sources}
        fallback = at or (translated[-1].line if translated else 1)
        for index, item in enumerate(sources):
            if item.id in ours:
                compare(item, ours[item.id])
            else:
                line = translated[index].line if not at and index < len(translated) else fallback
                self.report(line, "translation-structure-mismatch",
                            f"{kind} `{item.id}` ({self.where(item.line)}) is missing: keep every id of the source")
        for item in translated:
            if item.id not in theirs:
                self.report(item.line, "translation-structure-mismatch",
                            f"{kind} `{item.id}` is not in {self.origin}: ids stay as in the source")

    def scene(self, source: Scene, scene: Scene) -> None:
        if (scene.is_end, scene.outcome) != (source.is_end, source.outcome):
            self.report(scene.line, "translation-structure-mismatch",
                        f"scene `{scene.id}` must be marked as in {self.where(source.line)}: "
                        f"{_ending(source)}, not {_ending(scene)}")
        self.pair(source.choices, scene.choices, "choice", self.choice, at=scene.line)

    def choice(self, source, choice) -> None:
        line, name = choice.line, f"choice `{choice.id}`"
        if choice.target != source.target:
            self.report(line, "translation-structure-mismatch",
                        f"{name} leads to `#{choice.target}` but to `#{source.target}` in {self.where(source.line)}")
        if choice.score != source.score:
            self.report(line, "translation-score-mismatch",
                        f"{name} has score={choice.score} but score={source.score} in {self.where(source.line)}")
        if sorted(choice.risk_factors) != sorted(source.risk_factors):
            self.report(line, "translation-rf-mismatch",
                        f"{name} has rf={_codes(choice.risk_factors)} but rf={_codes(source.risk_factors)} "
                        f"in {self.where(source.line)}")

    def question(self, source: Question, question: Question) -> None:
        line, name = question.line, f"question `{question.id}`"
        if len(question.options) != len(source.options):
            self.report(line, "translation-structure-mismatch",
                        f"{name} has {len(question.options)} options but {len(source.options)} in "
                        f"{self.where(source.line)}: translate each option, in the same order")
        elif question.correct_keys != source.correct_keys:
            self.report(line, "translation-score-mismatch",
                        f"{name} marks option(s) {_keys(question)} correct but {self.where(source.line)} "
                        f"marks {_keys(source)}: keep the `[x]` on the same options")
        if question.points != source.points:
            self.report(line, "translation-score-mismatch",
                        f"{name} has points={question.points} but points={source.points} in {self.where(source.line)}")
        if sorted(question.risk_factors) != sorted(source.risk_factors):
            self.report(line, "translation-rf-mismatch",
                        f"{name} has rf={_codes(question.risk_factors)} but rf={_codes(source.risk_factors)} "
                        f"in {self.where(source.line)}")


def _codes(codes: Sequence[str]) -> str:
    return ",".join(sorted(codes, key=lambda c: (len(c), c))) or "(none)"


def _keys(question: Question) -> str:
    return ", ".join(sorted(question.correct_keys, key=int)) or "none"


def _ending(scene: Scene) -> str:
    if not scene.is_end:
        return "not an ending"
    return f"an ending with outcome={scene.outcome}" if scene.outcome else "an ending"
