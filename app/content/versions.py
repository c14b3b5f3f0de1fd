"""Published versions: content that changed while its `version:` stayed the same."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from app.content.lint import Report
from app.content.model import Diagnostic, Library


def version_drift(library: Library, recorded: Iterable[tuple[str, str, str]]) -> list[Diagnostic]:
    """A `version-not-bumped` warning for each module whose version was published with other content.

    `recorded` holds (module id, version, content hash) rows, one per version as first served. Any other
    hash under the same version means learners have seen different text under one version number (even
    if this hash was served since: a preview records it too), so only a new version clears the warning."""
    hashes: dict[tuple[str, str], set[str]] = defaultdict(set)
    for module_id, version, content_hash in recorded:
        hashes[(module_id, version)].add(content_hash)
    found: list[Diagnostic] = []
    for module in library.modules.values():
        if hashes.get((module.id, module.version), set()) - {module.content_hash}:
            report = Report(module.path)
            report(
                module.key_lines.get("version", 1), "version-not-bumped",
                f"the content changed since version {module.version} was published; raise `version` "
                "(PATCH for wording, MINOR for new scenes or feedback, MAJOR for scoring)",
            )  # fmt: skip
            found.extend(report.items)
    return sorted(found, key=lambda d: (d.file, d.line))
