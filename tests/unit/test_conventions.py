"""House rules from DESIGN.md (Layout) that hold over the source itself: `web/`, `api/` and the CLI hold no SQL
(`session.get`, `select`, `text`); SQL belongs in `services/`."""

from __future__ import annotations

import ast

from app import PROJECT_ROOT

APP = PROJECT_ROOT / "app"
SQL_CALLS = {"select", "text"}


def _http_and_cli_sources() -> list:
    files = sorted((APP / "web").rglob("*.py")) + sorted((APP / "api").rglob("*.py")) + [APP / "cli.py"]
    assert len(files) > 5, "too few files found to mean anything"
    return files


def _sql_calls(path) -> list[str]:
    """Each call of session.get(...), select(...) or text(...) (also as sqlmodel.select, sa.text...), by line."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
        session_get = isinstance(func, ast.Attribute) and func.attr == "get" and isinstance(func.value, ast.Name) \
            and func.value.id in {"session", "db"}
        if name in SQL_CALLS or session_get:
            found.append(f"{path.relative_to(PROJECT_ROOT) if path.is_relative_to(PROJECT_ROOT) else path.name}:{node.lineno}: {ast.unparse(func)}(...)")
    return found


def test_the_checker_finds_what_it_looks_for(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("x = session.get(Official, 1)\ny = select(Official)\nz = sa.text('SELECT 1')\nw = form.get('a')\n")
    assert [line.split(": ")[1] for line in _sql_calls(sample)] == ["session.get(...)", "select(...)", "sa.text(...)"]


def test_web_api_and_cli_hold_no_sql():
    found = [line for path in _http_and_cli_sources() for line in sorted(_sql_calls(path), key=lambda hit: int(hit.split(":")[1]))]
    assert not found, "SQL outside services/ (move it into a service function):\n" + "\n".join(found)
