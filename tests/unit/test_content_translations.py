"""Translations (`<id>.<lang>.md`): the same ids, targets, scores, `rf=` codes and answers as the source."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.content import lint_paths, load_library
from tests.unit.test_content_lint import SOURCE, edit, line_of

WELSH = edit("pass_mark: 70", "pass_mark: 70\nlanguage: cy", "Posters in the market", "Posteri yn y farchnad")


def check(tmp_path: Path, translation: str, source: str = SOURCE, name: str = "valid-module.cy.md"):
    """Lint a folder holding the source and one translation; {(code, line): severity} of the translation."""
    (tmp_path / "valid-module.md").write_text(source, encoding="utf-8")
    (tmp_path / name).write_text(translation, encoding="utf-8")
    diagnostics = lint_paths([tmp_path])
    assert all(Path(d.file).name == name for d in diagnostics), [str(d) for d in diagnostics]
    return {(d.code, d.line): d.severity for d in diagnostics}


def test_a_faithful_translation_is_clean_and_not_served(tmp_path):
    assert check(tmp_path, WELSH) == {}
    library = load_library(tmp_path)
    assert list(library.modules) == ["valid-module"]
    assert library.modules["valid-module"].language == "en"


def test_language_must_be_set(tmp_path):
    text = edit("Posters in the market", "Posteri yn y farchnad")
    assert check(tmp_path, text) == {("translation-language", 1): "error"}


def test_language_must_match_the_file_name(tmp_path):
    text = WELSH.replace("language: cy", "language: ga")
    assert check(tmp_path, text) == {("translation-language", line_of(text, "language:")): "error"}


def test_id_must_be_the_sources(tmp_path):
    text = WELSH.replace("id: valid-module", "id: modiwl-dilys")
    assert check(tmp_path, text) == {("translation-id-mismatch", line_of(text, "id: modiwl")): "error"}


def test_no_source(tmp_path):
    (tmp_path / "other.cy.md").write_text(WELSH, encoding="utf-8")
    diagnostics = lint_paths([tmp_path])
    assert [(d.code, d.line) for d in diagnostics] == [("translation-no-source", 1)]


def test_source_with_errors(tmp_path):
    broken = edit("(#end-poor)", "(#nowhere)")
    (tmp_path / "valid-module.md").write_text(broken, encoding="utf-8")
    (tmp_path / "valid-module.cy.md").write_text(WELSH, encoding="utf-8")
    diagnostics = lint_paths([tmp_path / "valid-module.cy.md"])  # the translation on its own
    assert [(Path(d.file).name, d.code, d.line) for d in diagnostics] == [("valid-module.cy.md", "translation-no-source", 1)]


@pytest.mark.parametrize(
    ("old", "new", "code", "needle"),
    [
        ("(#end-good) {id=note", "(#end-poor) {id=note", "translation-structure-mismatch", "id=note"),
        ("{id=wait score=1}", "{id=aros score=1}", "translation-structure-mismatch", "id=aros"),
        ("{id=wait score=1}", "{id=wait score=2}", "translation-score-mismatch", "id=wait"),
        ("{id=wait score=1}", "{id=wait score=1 rf=RF1}", "translation-rf-mismatch", "id=wait"),
        ("points=2 rf=RF8}", "points=1 rf=RF8}", "translation-score-mismatch", "{#q-elections"),
        ("points=2 rf=RF8}", "points=2 rf=RF9}", "translation-rf-mismatch", "{#q-elections"),
        ("- [ ] RF3 Weakness", "- [x] RF3 Weakness", "translation-score-mismatch", "{#q-elections"),
        ("{#q-intent}", "{#q-bwriad}", "translation-structure-mismatch", "{#q-bwriad}"),
        ("pass_mark: 70", "pass_mark: 60", "translation-score-mismatch", "pass_mark:"),
        ("{#end-poor .end outcome=poor}", "{#end-poor .end outcome=mixed}", "translation-structure-mismatch", "{#end-poor"),
    ],
)  # fmt: skip
def test_differences_from_the_source(tmp_path, old, new, code, needle):
    text = WELSH.replace(old, new, 1)
    assert text != WELSH
    diags = check(tmp_path, text)
    assert diags.get((code, line_of(text, needle))) == "error", sorted(diags)


def test_a_missing_choice_is_reported_at_its_scene(tmp_path):
    text = WELSH.replace("- [Wait for the election result](#later) {id=wait score=1}\n  > Waiting loses the time you have.\n", "")
    diags = check(tmp_path, text)
    assert diags == {("translation-structure-mismatch", line_of(text, "{#counsellor}")): "error"}


def test_checking_a_source_file_checks_its_translations(tmp_path):
    (tmp_path / "valid-module.md").write_text(SOURCE, encoding="utf-8")
    (tmp_path / "valid-module.cy.md").write_text(WELSH.replace("{id=wait score=1}", "{id=wait score=3}"), encoding="utf-8")
    diagnostics = lint_paths([tmp_path / "valid-module.md"])
    assert [(Path(d.file).name, d.code) for d in diagnostics] == [("valid-module.cy.md", "translation-score-mismatch")]
