"""The risk factor by module matrix behind `aptrain modules coverage`."""

from __future__ import annotations

from app import PROJECT_ROOT
from app.content import load_library
from app.content.coverage import coverage
from tests.unit.test_content_lint import SOURCE, edit


def library(tmp_path, **files: str):
    (tmp_path / "risk-factors.yaml").write_bytes((PROJECT_ROOT / "modules" / "risk-factors.yaml").read_bytes())
    for name, text in files.items():
        (tmp_path / f"{name}.md").write_text(text, encoding="utf-8")
    loaded = load_library(tmp_path)
    assert not loaded.errors, [str(d) for d in loaded.errors]
    return loaded


def test_coverage_matrix(tmp_path):
    other = edit("id: valid-module", "id: other", "{id=wait score=1}", "{id=wait score=1 rf=RF3}", "[RF1, RF7", "[RF1, RF3, RF7")
    matrix = coverage(library(tmp_path, a=SOURCE, b=other))
    assert [f.code for f in matrix.factors] == [f"RF{n}" for n in range(1, 15)]
    assert matrix.factors[0].title.startswith("Situations of armed conflict")
    assert matrix.modules == ["other", "valid-module"]
    assert matrix.cells[("RF3", "other")] and not matrix.cells[("RF3", "valid-module")]
    assert matrix.cells[("RF8", "valid-module")]  # exercised by a choice and a question
    assert (matrix.count("RF1"), matrix.count("RF3"), matrix.count("RF2")) == (2, 1, 0)
    assert [f.code for f in matrix.thin()][:3] == ["RF2", "RF3", "RF4"]
    assert "RF1" not in [f.code for f in matrix.thin()]


def test_coverage_counts_question_rf(tmp_path):
    text = edit("{id=ignore score=0 rf=RF8}", "{id=ignore score=0}")
    assert coverage(library(tmp_path, a=text)).cells[("RF8", "valid-module")]


def test_coverage_without_risk_factors_file(tmp_path):
    (tmp_path / "a.md").write_text(SOURCE, encoding="utf-8")
    matrix = coverage(load_library(tmp_path))
    assert len(matrix.factors) == 14 and matrix.count("RF9") == 1
