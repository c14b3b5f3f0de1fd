"""Version drift: content changed under a version number that was already published."""

from __future__ import annotations

from app.content.versions import version_drift
from tests.unit.test_content_coverage import library
from tests.unit.test_content_lint import SOURCE, line_of


def test_version_drift(tmp_path):
    loaded = library(tmp_path, a=SOURCE)
    module = loaded.modules["valid-module"]
    assert version_drift(loaded, [("valid-module", "1.0.0", module.content_hash)]) == []
    assert version_drift(loaded, [("valid-module", "0.9.0", "old"), ("other", "1.0.0", "x")]) == []
    [found] = version_drift(loaded, [("valid-module", "1.0.0", "old"), ("valid-module", "1.0.0", module.content_hash)])
    assert (found.file, found.line, found.severity, found.code) == (module.path, line_of(SOURCE, "version:"), "warning", "version-not-bumped")
    assert "since version 1.0.0 was published" in found.message and "PATCH" in found.message
