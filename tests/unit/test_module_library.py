"""Convention: every module in modules/ passes the linter, with no errors and no warnings."""

from __future__ import annotations

from app import PROJECT_ROOT
from app.content import lint_paths, load_library

MODULES = PROJECT_ROOT / "modules"


def test_every_module_passes_the_linter_cleanly():
    diagnostics = lint_paths([MODULES])
    assert diagnostics == [], "\n".join(str(d) for d in diagnostics)


def test_every_module_file_loads():
    library = load_library(MODULES)
    assert library.modules, "modules/ has no modules"
    assert library.rejected == {}
    assert len(library.risk_factors) == 14
