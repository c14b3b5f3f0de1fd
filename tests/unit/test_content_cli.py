"""`aptrain modules check` and `aptrain modules coverage`: output format, exit codes, graph and paths."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from sqlmodel import Session
from typer.testing import CliRunner

from app.cli import cli
from app.config import get_settings
from app.db import make_engine
from app.models import ModuleVersion
from tests.conftest import TEST_SECRET
from tests.unit.test_content_lint import SOURCE, VALID, edit, line_of

LINE = re.compile(r"^(?P<file>.+):(?P<line>\d+): (?P<severity>error|warning) (?P<code>[a-z-]+) (?P<message>.+)$")


@pytest.fixture(autouse=True)
def environment(monkeypatch, tmp_path):
    """Settings from the environment, with a database file that does not exist (a fresh checkout)."""
    monkeypatch.setenv("APTRAIN_ENVIRONMENT", "test")
    monkeypatch.setenv("APTRAIN_SECRET_KEY", TEST_SECRET)
    monkeypatch.setenv("APTRAIN_DATABASE_URL", f"sqlite:///{tmp_path / 'absent.db'}")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def run(*args: str):
    return CliRunner().invoke(cli, ["modules", *args])


def folder_with(tmp_path: Path, **files: str) -> Path:
    folder = tmp_path / "modules"
    folder.mkdir(exist_ok=True)
    for name, text in files.items():
        (folder / f"{name}.md").write_text(text, encoding="utf-8")
    return folder


def lines(output: str) -> list[dict]:
    return [m.groupdict() for m in map(LINE.match, output.splitlines()) if m]


def test_clean_module_exits_0(tmp_path):
    result = run("check", str(VALID))
    assert result.exit_code == 0, result.output
    assert lines(result.output) == []
    assert not (tmp_path / "absent.db").exists()  # the linter never creates a database


def test_errors_exit_1_with_file_line_severity_code_message(tmp_path):
    text = edit("(#end-poor)", "(#nowhere)")
    folder = folder_with(tmp_path, broken=text)
    result = run("check", str(folder))
    assert result.exit_code == 1
    found = lines(result.output)
    assert {"file": str(folder / "broken.md"), "line": str(line_of(text, "(#nowhere)")), "severity": "error",
            "code": "unknown-target"} == {k: v for k, v in found[0].items() if k != "message"}  # fmt: skip
    assert "no scene has that id" in found[0]["message"]


def test_warnings_exit_0_unless_strict(tmp_path):
    folder = folder_with(tmp_path, todo=edit("The violence spreads.", "The violence spreads. TODO"))
    result = run("check", str(folder))
    assert result.exit_code == 0
    assert [(f["severity"], f["code"]) for f in lines(result.output)] == [("warning", "todo-left")]
    assert run("check", "--strict", str(folder)).exit_code == 1
    assert run("check", "--strict", str(VALID)).exit_code == 0


def test_missing_path_exits_2(tmp_path):
    assert run("check", str(tmp_path / "nothing.md")).exit_code == 2


def test_default_is_the_configured_modules_folder(tmp_path, monkeypatch):
    folder = folder_with(tmp_path, dup=SOURCE, dup2=SOURCE)
    monkeypatch.setenv("APTRAIN_MODULES_DIR", str(folder))
    get_settings.cache_clear()
    result = run("check")
    assert result.exit_code == 1
    assert {f["code"] for f in lines(result.output)} == {"duplicate-module-id"}


def test_lints_without_a_secret(tmp_path, monkeypatch):
    monkeypatch.setenv("APTRAIN_ENVIRONMENT", "production")
    monkeypatch.delenv("APTRAIN_SECRET_KEY")
    get_settings.cache_clear()
    assert run("check", str(VALID)).exit_code == 0


def test_version_not_bumped_from_the_database(tmp_path, monkeypatch, database_url):
    monkeypatch.setenv("APTRAIN_DATABASE_URL", database_url)
    get_settings.cache_clear()
    engine = make_engine(database_url)
    with Session(engine) as session:
        session.add(ModuleVersion(module_id="valid-module", version="1.0.0", content_hash="0" * 64,
                                  title="Early warning", max_score=8, pass_mark=70))  # fmt: skip
        session.commit()
    engine.dispose()
    result = run("check", str(VALID))
    assert result.exit_code == 0
    assert lines(result.output) == [{"file": str(VALID), "line": str(line_of(SOURCE, "version:")), "severity": "warning",
                                     "code": "version-not-bumped", "message": lines(result.output)[0]["message"]}]  # fmt: skip
    assert run("check", "--strict", str(VALID)).exit_code == 1


def test_an_unreachable_database_is_skipped(monkeypatch):
    monkeypatch.setenv("APTRAIN_DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none")
    get_settings.cache_clear()
    assert run("check", str(VALID)).exit_code == 0


def test_graph(tmp_path):
    result = run("check", "--graph", "valid-module", str(VALID.parent))
    assert result.exit_code == 0, result.output
    assert result.output.startswith("flowchart TD\n")
    assert result.output.count("-->") == 5


def test_paths():
    result = run("check", "--paths", "valid-module", str(VALID.parent))
    assert result.exit_code == 0, result.output
    out = result.output.splitlines()
    assert out[0].startswith("valid-module: 3 path(s) from `arrival`")
    assert out[1].startswith("1. score 5, ending end-good (good), risk factors RF1, RF7, RF9;")
    assert "8/8 = 100%, passes" in out[1]
    assert out[2].strip() == "arrival -(raise)-> counsellor -(note)-> end-good"
    assert "4/8 = 50%, fails" in out[5]


def test_graph_of_a_broken_or_unknown_module_exits_1(tmp_path):
    folder = folder_with(tmp_path, broken=edit("(#end-poor)", "(#nowhere)"))
    result = run("check", "--graph", "valid-module", str(folder))
    assert result.exit_code == 1
    assert [f["code"] for f in lines(result.output)] == ["unknown-target"]
    assert run("check", "--paths", "no-such-module", str(folder)).exit_code == 1


def test_coverage(tmp_path):
    other = edit("id: valid-module", "id: other", "{id=wait score=1}", "{id=wait score=1 rf=RF3}", "[RF1, RF7", "[RF1, RF3, RF7")
    folder = folder_with(tmp_path, a=SOURCE, b=other)
    (folder / "risk-factors.yaml").write_bytes((VALID.parents[3] / "modules" / "risk-factors.yaml").read_bytes())
    result = run("coverage", str(folder))
    assert result.exit_code == 0, result.output
    out = result.output.splitlines()
    assert out[0].split()[-3:] == ["other", "valid-module", "modules"]
    rows = {line.split()[0]: line for line in out[1:15]}
    assert list(rows) == [f"RF{n}" for n in range(1, 15)]
    assert rows["RF1"].startswith("RF1 Situations of armed conflict")
    assert rows["RF1"].split()[-3:] == ["x", "x", "2"]
    assert rows["RF3"].split()[-3:] == ["x", ".", "1"]
    assert rows["RF2"].split()[-3:] == [".", ".", "0"]
    assert out[15].startswith("Covered by fewer than 2 modules: RF2, RF3, RF4, RF5, RF6,")


def test_serve_reload_turns_on_module_reload(monkeypatch):
    import uvicorn

    calls = []
    monkeypatch.setenv("APTRAIN_RELOAD_MODULES", "false")  # so monkeypatch restores it afterwards
    monkeypatch.setattr(uvicorn, "run", lambda *a, **k: calls.append(k))
    result = CliRunner().invoke(cli, ["serve", "--reload"])
    assert result.exit_code == 0, result.output
    assert calls[0]["reload"] is True and os.environ["APTRAIN_RELOAD_MODULES"] == "true"
