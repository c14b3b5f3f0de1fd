"""What authors see of the module library: each file's lint status, a module's facts and its diagnostics."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TypeVar

import yaml

from app import PROJECT_ROOT
from app.content.model import Diagnostic, Library, Module, RiskFactor
from app.content.shuffle import in_order

T = TypeVar("T")


@dataclass(frozen=True)
class LintStatus:
    """A module file's linter result, and whether the platform serves the module."""

    errors: int
    warnings: int
    served: bool

    @property
    def label(self) -> str:
        if self.errors:
            noun = "error" if self.errors == 1 else "errors"
            return f"{self.errors} {noun} — " + ("previous version served" if self.served else "not served")
        if self.warnings:
            return f"{self.warnings} warning" + ("" if self.warnings == 1 else "s")
        return "No problems"

    @property
    def colour(self) -> str:
        """A GOV.UK tag class; the label always says the same thing in words."""
        if self.errors:
            return "govuk-tag--red"
        return "govuk-tag--yellow" if self.warnings else "govuk-tag--green"


@dataclass(frozen=True)
class ModuleEntry:
    """One row of the authoring overview: a served module or a file that failed."""

    module_id: str | None  # None when the file could not be read far enough to find its id
    title: str
    version: str
    file: str  # shown relative to the project when possible
    status: LintStatus


@dataclass(frozen=True)
class ModuleOverview:
    """A module's page: its facts (when served), its file's diagnostics and lint status."""

    module_id: str
    module: Module | None  # None when the module has errors and no version is served
    file: str
    status: LintStatus
    diagnostics: tuple[Diagnostic, ...]
    risk_factors: tuple[str, ...]  # "RF7 Preparatory action", or the bare code if risk-factors.yaml lacks it
    title: str = ""  # the module's title, or the failing file's front-matter title, or its id
    version: str = ""  # likewise; "" when not even the front matter says

    @property
    def short_hash(self) -> str:
        return self.module.content_hash[:12] if self.module else ""


def display_path(path: str) -> str:
    """A file's path relative to the project, as authors see it in the repository."""
    try:
        return str(Path(path).resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return path


def diagnostics_for(library: Library, file: str) -> tuple[Diagnostic, ...]:
    """A file's diagnostics, sorted by line, with the file named as authors see it."""
    target = display_path(file)
    found = (replace(d, file=target) for d in library.diagnostics if display_path(d.file) == target)
    return tuple(sorted(found, key=lambda d: (d.line, d.code)))


def _status(library: Library, file: str, served: bool) -> LintStatus:
    found = diagnostics_for(library, file)
    errors = sum(1 for d in found if d.severity == "error")
    return LintStatus(errors=errors, warnings=len(found) - errors, served=served)


def _rejected_file(library: Library, module_id: str) -> str | None:
    """The failing file with this module id; with hot reload, `stale` names it for a module still served."""
    stale = getattr(library, "stale", None) or {}
    if module_id in stale:
        return stale[module_id]
    return next((path for path, rejected_id in library.rejected.items() if rejected_id == module_id), None)


def front_matter_facts(path: str) -> tuple[str, str]:
    """The title and version a failing file's front matter gives, where they can be read ("" where not).

    A file can fail anywhere after its front matter (a broken link, a scoring error); authors should
    still see it listed by the title and version they wrote."""
    try:
        text = Path(path).read_text(encoding="utf-8").removeprefix("\ufeff")
    except (OSError, UnicodeDecodeError):
        return "", ""
    lines = text.splitlines()
    if not lines or lines[0].rstrip() != "---":
        return "", ""
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() in ("---", "...")), None)
    try:
        meta = yaml.safe_load("\n".join(lines[1:end])) if end is not None else None
    except yaml.YAMLError:
        return "", ""
    if not isinstance(meta, dict):
        return "", ""

    def text_of(key: str) -> str:
        value = meta.get(key)
        return str(value).strip() if isinstance(value, str | int | float) and not isinstance(value, bool) else ""

    return text_of("title"), text_of("version")


def module_entries(library: Library) -> list[ModuleEntry]:
    """Every served module and every file that failed, by title; a served module whose new file failed shows its errors."""
    entries = []
    for module in library.modules.values():
        file = _rejected_file(library, module.id) or module.path  # hot reload may keep serving a previous version
        entries.append(
            ModuleEntry(module.id, module.title, module.version, display_path(file), _status(library, file, served=True))
        )
    for path, module_id in library.rejected.items():
        if module_id is not None and module_id in library.modules:
            continue
        title, version = front_matter_facts(path)
        entries.append(
            ModuleEntry(module_id, title or module_id or Path(path).name, version, display_path(path),
                        _status(library, path, served=False))
        )  # fmt: skip
    return sorted(entries, key=lambda e: (e.title.lower(), e.file))


def module_overview(library: Library, module_id: str) -> ModuleOverview | None:
    """The module's page, for a served module or a file that failed with this id; None if neither."""
    module = library.get(module_id)
    file = _rejected_file(library, module_id) or (module.path if module else None)
    if file is None:
        return None
    codes = module.risk_factors if module else ()
    title, version = (module.title, module.version) if module else front_matter_facts(file)
    return ModuleOverview(
        module_id=module_id,
        module=module,
        file=display_path(file),
        status=_status(library, file, served=module is not None),
        diagnostics=diagnostics_for(library, file),
        risk_factors=tuple(_risk_label(library.risk_factors.get(c), c) for c in codes),
        title=title or module_id,
        version=version,
    )


def _risk_label(factor: RiskFactor | None, code: str) -> str:
    return f"{factor.code} {factor.title}" if factor else code


def unreadable_files(library: Library) -> list[tuple[str, tuple[Diagnostic, ...]]]:
    """Files that failed before their module id could be read, with their diagnostics."""
    return [(display_path(p), diagnostics_for(library, p)) for p, module_id in library.rejected.items() if module_id is None]


def preview_order(module: Module, part: str, items: Sequence[T], *, file_order: bool) -> list[T]:
    """Choices or options as a learner might see them (a fixed shuffle for the preview), or in file order."""
    if file_order:
        return list(items)
    return in_order(items, f"preview:{module.content_hash}:{part}", shuffle=module.shuffle)
