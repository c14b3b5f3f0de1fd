"""The folder prometheus-client's multiprocess mode shares between `aptrain serve`'s workers. Kept apart from
app/metrics.py: importing that creates the metrics, whose files in this folder must not exist before it is emptied."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def prepare_multiprocess(workers: int) -> Path | None:
    """Before the workers start: with more than one, give them a shared, empty metrics folder (the one in
    PROMETHEUS_MULTIPROC_DIR, emptied, or a new temporary one). Files of an earlier run would count again."""
    folder = os.environ.get(MULTIPROC_ENV)
    if not folder and workers <= 1:
        return None
    if folder:
        path = Path(folder)
        path.mkdir(parents=True, exist_ok=True)
        for stale in path.glob("*.db"):
            stale.unlink()
    else:
        path = Path(tempfile.mkdtemp(prefix="aptrain-metrics-"))
        os.environ[MULTIPROC_ENV] = str(path)
    return path


def remove_multiprocess(path: Path | None) -> None:
    """After the workers stop: the temporary folder `prepare_multiprocess` made."""
    if path is not None and path.name.startswith("aptrain-metrics-") and path.parent == Path(tempfile.gettempdir()):
        shutil.rmtree(path, ignore_errors=True)
