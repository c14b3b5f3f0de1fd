"""Load every module in a directory (or lint given paths), with the risk factors they refer to."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path

import yaml

from app.content.lint import RISK_CODES
from app.content.model import Diagnostic, Library, RiskFactor
from app.content.parser import ParseResult, parse_file
from app.content.translations import check_translation, source_path
from app.content.wording import read_acronyms

RISK_FACTORS_FILE = "risk-factors.yaml"
GUIDE_FILE = "README.md"  # the authoring guide: its `## Acronyms` table is checked in every module
TRANSLATION = re.compile(r"[^.]+\.[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*\.md")
RISK_CODE = re.compile(r"RF([1-9]\d*)")
FACTOR_KEYS = ("code", "title", "summary", "group")


def load_risk_factors(path: Path) -> dict[str, RiskFactor]:
    """Read risk-factors.yaml; raises ValueError saying what is wrong with it."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ValueError(f"cannot read it: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("factors"), list):
        raise ValueError("it needs a `factors:` list")
    groups = data.get("groups") or {}
    factors: dict[str, RiskFactor] = {}
    for entry in data["factors"]:
        if not isinstance(entry, dict) or not all(isinstance(entry.get(k), str) for k in FACTOR_KEYS):
            raise ValueError(f"each factor needs text `code`, `title`, `summary` and `group`: {entry!r}")
        match = RISK_CODE.fullmatch(entry["code"])
        if match is None or entry["code"] in factors:
            raise ValueError(f"`{entry['code']}` is not a new code of the form RF1, RF2, ...")
        if groups and entry["group"] not in groups:
            raise ValueError(f"{entry['code']} has group `{entry['group']}`, which `groups:` does not list")
        factors[entry["code"]] = RiskFactor(
            code=entry["code"], number=int(match.group(1)), title=entry["title"].strip(),
            summary=entry["summary"].strip(), group=entry["group"],
        )  # fmt: skip
    return factors


def is_translation(path: Path) -> bool:
    """`<id>.<lang>.md` files are translations of another module."""
    return TRANSLATION.fullmatch(path.name) is not None


def module_files(directory: Path) -> list[Path]:
    """The module files in a directory: every `*.md` but README.md and translations."""
    return sorted(
        p for p in directory.glob("*.md")
        if p.is_file() and p.name.lower() != "readme.md" and not is_translation(p)
    )  # fmt: skip


def translation_files(directory: Path, source: Path | None = None) -> list[Path]:
    """The translations in a directory (only those of `source`, if given)."""
    pattern = f"{source.stem}.*.md" if source is not None else "*.md"
    return sorted(p for p in directory.glob(pattern) if p.is_file() and is_translation(p))


def _risk_factors(directory: Path) -> tuple[dict[str, RiskFactor], list[Diagnostic]]:
    path = directory / RISK_FACTORS_FILE
    if not path.exists():
        return {}, []
    try:
        return load_risk_factors(path), []
    except ValueError as exc:
        return {}, [Diagnostic(str(path), 1, "error", "risk-factors-invalid", f"{RISK_FACTORS_FILE}: {exc}")]


def _parse_all(files: Sequence[tuple[Path, frozenset[str]]]) -> dict[Path, ParseResult]:
    """Parse each file; mark every file sharing a module id; compare translations with their sources."""
    guides = {folder: read_acronyms(folder / GUIDE_FILE) for folder in {path.parent for path, _ in files}}
    results = {path: parse_file(path, codes, guides[path.parent]) for path, codes in files}
    by_id: dict[str, list[Path]] = defaultdict(list)
    for path, result in results.items():
        if result.module_id and not is_translation(path):
            by_id[result.module_id].append(path)
    for module_id, paths in by_id.items():
        for path in paths if len(paths) > 1 else ():
            others = ", ".join(str(p) for p in paths if p != path)
            result = results[path]
            result.diagnostics.append(
                Diagnostic(str(path), result.id_line, "error", "duplicate-module-id",
                           f"module id `{module_id}` is also used by {others}; give each module its own id")
            )  # fmt: skip
            result.module = None
    sources = {path.resolve(): result for path, result in results.items() if not is_translation(path)}
    for path, result in results.items():
        if is_translation(path):
            _check_translation(path, result, sources, dict(files))
    return results


def _check_translation(
    path: Path, result: ParseResult, sources: dict[Path, ParseResult], codes: dict[Path, frozenset[str]]
) -> None:
    origin = source_path(path)
    found = sources.get(origin.resolve())
    if found is None and origin.is_file():
        found = parse_file(origin, codes.get(path, RISK_CODES))  # checking one translation on its own
    problems = check_translation(result.module, found.module if found else None, path)
    result.diagnostics.extend(problems)
    if any(d.severity == "error" for d in problems):
        result.module = None


def _sorted(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    return sorted(diagnostics, key=lambda d: (d.file, d.line, d.code))


def load_library(directory: Path) -> Library:
    """Every clean module in the directory; failed files in `rejected`; every diagnostic.

    Translations are checked (their diagnostics are kept) but not served."""
    return _library([directory], module_files(directory) + translation_files(directory))


def check_paths(paths: Sequence[Path]) -> Library:
    """The given files and directories (a directory means its modules and translations) as a Library.

    A source file brings its translations with it, since changing it can put them out of step."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(module_files(path) + translation_files(path))
        else:
            files.append(path)
            if not is_translation(path):
                files.extend(translation_files(path.parent, path))
    return _library([p if p.is_dir() else p.parent for p in paths], files)


def _library(folders: Sequence[Path], files: Sequence[Path]) -> Library:
    """Parse the files, each against the risk factors of its folder; the first folder's are the library's."""
    library = Library()
    problems: list[Diagnostic] = []
    factors: dict[Path, dict[str, RiskFactor]] = {}
    for folder in [*folders, *(path.parent for path in files)]:
        if folder.resolve() not in factors:
            factors[folder.resolve()], trouble = _risk_factors(folder)
            problems.extend(d for d in trouble if d not in problems)
    library.risk_factors = next(iter(factors.values()), {})
    unique = {path.resolve(): path for path in reversed(files)}  # first mention wins
    parsed = [(path, frozenset(factors[path.parent.resolve()]) or RISK_CODES) for path in unique.values()]
    for path, result in _parse_all(sorted(parsed)).items():
        problems.extend(result.diagnostics)
        if is_translation(path):
            continue
        if result.module is not None:
            library.modules[result.module.id] = result.module
        else:
            library.rejected[str(path)] = result.module_id
    library.diagnostics = _sorted(problems)
    return library


def lint_paths(paths: Sequence[Path]) -> list[Diagnostic]:
    """Diagnostics for the given files and directories (a directory means its modules), sorted."""
    return check_paths(paths).diagnostics
