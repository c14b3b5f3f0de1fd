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


def test_the_authoring_guide_lists_every_diagnostic_code():
    from app.content import lint

    guide = (MODULES / "README.md").read_text(encoding="utf-8")
    missing = sorted(code for code in lint.CODES if f"| `{code}` |" not in guide)
    assert not missing, f"add these codes to modules/README.md: {missing}"


def test_the_authoring_guides_example_is_a_clean_module(tmp_path):
    import re

    from app.content import parse_module

    guide = (MODULES / "README.md").read_text(encoding="utf-8")
    example = re.search(r"```markdown\n(.*?)```", guide, re.S).group(1)
    path = tmp_path / "checkpoint-visit.md"
    path.write_text(example, encoding="utf-8")
    module, diagnostics = parse_module(path)
    assert diagnostics == [], "\n".join(str(d) for d in diagnostics)
    assert module is not None
