"""The module library as served: reloaded when a file changes, keeping the last good version of a broken module."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from app.content.library import RISK_FACTORS_FILE, load_library
from app.content.model import Library, Module

log = logging.getLogger("aptrain.content")

Stamp = frozenset[tuple[str, int, int]]


def stamp(directory: Path) -> Stamp:
    """Name, mtime_ns and size of every `*.md` and the risk factors file: cheap to take on each request."""
    found = set()
    for path in [*directory.glob("*.md"), directory / RISK_FACTORS_FILE]:
        try:
            info = path.stat()
        except OSError:  # deleted between listing and stat, or no risk factors file
            continue
        found.add((path.name, info.st_mtime_ns, info.st_size))
    return frozenset(found)


class LiveLibrary:
    """Holds the current Library for a modules directory; with `reload`, re-reads it when a file changes.

    When a module file that loaded before now has errors, learners keep its last good version (listed in
    `Library.stale`) and the new errors are in `Library.diagnostics` for authors. Safe across threads."""

    def __init__(self, directory: Path, reload: bool = False):
        self.directory = Path(directory)
        self.reload = reload
        self._lock = threading.Lock()
        self._stamp: Stamp | None = None
        self._good: dict[str, Module] = {}  # file path -> the last version of it that loaded
        self._library = Library()
        with self._lock:
            self._refresh()

    def current(self) -> Library:
        """The library to serve now (the same object until a file changes)."""
        if not self.reload:
            return self._library
        with self._lock:
            self._refresh()
            return self._library

    def _refresh(self) -> None:
        now = stamp(self.directory)
        if now == self._stamp:
            return
        first = self._stamp is None
        self._stamp = now
        self._library = self._keep_last_good(load_library(self.directory), self._library)
        self._log(first)

    def _keep_last_good(self, library: Library, previous: Library) -> Library:
        """Put back the last good version of each module whose file now fails."""
        for module in library.modules.values():
            self._good[module.path] = module
        for path in library.rejected:
            good = self._good.get(path)
            if good is not None and good.id not in library.modules:
                library.modules[good.id] = good
                library.stale[good.id] = path
        for path in [p for p in self._good if not Path(p).exists()]:
            del self._good[path]  # a deleted file takes its module with it
        if not library.risk_factors and previous.risk_factors:
            library.risk_factors = previous.risk_factors  # a broken risk-factors.yaml: keep the titles
        return library

    def _log(self, first: bool) -> None:
        library = self._library
        for diagnostic in library.errors:
            log.error("not served: %s", diagnostic)
        for module_id, path in library.stale.items():
            log.warning("serving the last good version of %s: %s has errors", module_id, path)
        verb = "serving" if first else "reloaded: serving"
        log.info("%s %d modules from %s", verb, len(library.modules), self.directory)
