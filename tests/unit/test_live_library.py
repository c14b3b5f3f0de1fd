"""LiveLibrary: re-reads changed module files, keeps the last good version of a broken one."""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path

import pytest

from app.content import live
from app.content.live import LiveLibrary
from tests.unit.test_content_lint import SOURCE, edit

BROKEN = edit("(#end-poor)", "(#nowhere)")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "valid-module.md").write_text(SOURCE, encoding="utf-8")
    return tmp_path


def rewrite(path: Path, text: str) -> None:
    """Write and move the mtime on, so the change shows even on a coarse clock."""
    before = path.stat().st_mtime_ns if path.exists() else 0
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(before + 10**9, before + 10**9))


def test_an_unchanged_folder_gives_the_same_library_without_parsing(folder, monkeypatch):
    library = LiveLibrary(folder, reload=True)
    first = library.current()
    monkeypatch.setattr(live, "load_library", lambda _d: pytest.fail("re-parsed an unchanged folder"))
    assert library.current() is first


def test_an_edit_is_seen_on_the_next_call(folder):
    library = LiveLibrary(folder, reload=True)
    rewrite(folder / "valid-module.md", SOURCE.replace("Early warning before an election", "Early warning"))
    assert library.current().modules["valid-module"].title == "Early warning"
    (folder / "second.md").write_text(SOURCE.replace("id: valid-module", "id: second"), encoding="utf-8")
    assert set(library.current().modules) == {"valid-module", "second"}
    (folder / "second.md").unlink()
    assert set(library.current().modules) == {"valid-module"}


def test_a_broken_edit_keeps_the_last_good_version_and_shows_the_errors(folder, caplog):
    library = LiveLibrary(folder, reload=True)
    good = library.current().modules["valid-module"]
    with caplog.at_level(logging.ERROR, logger="aptrain.content"):
        rewrite(folder / "valid-module.md", BROKEN)
        broken = library.current()
        assert broken.modules["valid-module"] is good
        assert broken.stale == {"valid-module": str(folder / "valid-module.md")}
        assert [d.code for d in broken.errors] == ["unknown-target"]
        assert library.current() is broken  # logged once per change, not on every request
    assert sum("unknown-target" in r.getMessage() for r in caplog.records) == 1
    rewrite(folder / "valid-module.md", SOURCE.replace("Varessa", "Norvale"))
    fixed = library.current()
    assert fixed.stale == {} and fixed.errors == []
    assert fixed.modules["valid-module"].content_hash != good.content_hash


def test_a_module_broken_from_the_start_is_not_served(folder):
    rewrite(folder / "valid-module.md", BROKEN)
    library = LiveLibrary(folder, reload=True).current()
    assert library.modules == {} and library.stale == {}
    assert library.rejected == {str(folder / "valid-module.md"): "valid-module"}


def test_risk_factors_file_change_reloads(folder):
    library = LiveLibrary(folder, reload=True)
    assert library.current().risk_factors == {}
    rewrite(folder / "risk-factors.yaml", "factors:\n" + "".join(
        f"  - {{code: RF{n}, title: T{n}, summary: S., group: common}}\n" for n in range(1, 15)
    ))  # fmt: skip
    assert library.current().risk_factors["RF9"].title == "T9"


def test_without_reload_it_loads_once(folder):
    library = LiveLibrary(folder, reload=False)
    first = library.current()
    rewrite(folder / "valid-module.md", BROKEN)
    assert library.current() is first and first.errors == []


def test_threads_see_one_consistent_library(folder):
    library = LiveLibrary(folder, reload=True)
    rewrite(folder / "valid-module.md", SOURCE.replace("Varessa", "Norvale"))
    seen: list = []
    threads = [threading.Thread(target=lambda: seen.append(library.current())) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(found) for found in seen}) == 1


def test_reload_setting_defaults_on_in_development_only(monkeypatch):
    from app.config import Settings

    monkeypatch.delenv("APTRAIN_RELOAD_MODULES", raising=False)
    assert Settings(environment="development").reload_modules is True
    assert Settings(environment="test").reload_modules is False
    monkeypatch.setenv("APTRAIN_RELOAD_MODULES", "true")
    assert Settings(environment="test").reload_modules is True
    assert Settings(environment="development", reload_modules=False).reload_modules is False


def test_the_app_serves_the_live_library(folder, database_url):
    from types import SimpleNamespace

    from app.main import create_app
    from app.web.deps import get_library
    from tests.conftest import make_settings

    app = create_app(make_settings(database_url, modules_dir=folder, reload_modules=True))
    request = SimpleNamespace(app=app)
    try:
        assert isinstance(app.state.library, LiveLibrary)
        assert list(get_library(request).modules) == ["valid-module"]
        (folder / "second.md").write_text(SOURCE.replace("id: valid-module", "id: second"), encoding="utf-8")
        assert set(get_library(request).modules) == {"valid-module", "second"}
    finally:
        app.state.engine.dispose()
