"""Checked import files, held for a short time so the admin who checked one can import it without choosing it again.

A held file is keyed by its SHA-256 and kept in a folder of its own per admin (`<root>/<admin id>/<key>.*`),
so another admin's key finds nothing of theirs. Files are written owner-only. What is held:

- `<key>.csv`   the bytes that were checked;
- `<key>.json`  who checked it, when, what kind of import and its options;
- `<key>.claimed` the bytes while an import of them is under way (a rename: only one request can claim them);
- `<key>.done`  after the import: when, and what it did (a second confirm reads this and imports nothing).

An expired hold loses its bytes at once (`cleanup`) but keeps its small `.json` for a day, so a late confirm
hears that it expired rather than that it never existed. Nothing here touches the database.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

KEY = re.compile(r"^[0-9a-f]{64}$")
TOMBSTONE = timedelta(days=1)  # how long a hold's note outlives it, to say "expired" or "already imported"


class HoldError(Exception):
    """A held file cannot be imported; the message says why, in words for the admin."""


class NotHeld(HoldError):
    pass


class OtherOwner(HoldError):
    pass


class Expired(HoldError):
    pass


@dataclass(frozen=True)
class Done:
    """A held file that was already imported: when, and the counts then."""

    filename: str
    imported_at: datetime
    counts: dict[str, int]


@dataclass(frozen=True)
class Held:
    key: str  # SHA-256 of the bytes, hex
    owner_id: int
    kind: str  # roster | risk
    filename: str
    options: dict[str, object]
    held_at: datetime
    expires_at: datetime
    data: bytes = field(default=b"", repr=False)  # only once claimed


def default_directory(database_url: str) -> Path:
    """A folder per database under the temp directory, so two databases (or test runs) never share holds."""
    namespace = hashlib.sha256(database_url.encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / "aptrain-held-imports" / namespace


class HeldImports:
    def __init__(self, root: Path, minutes: int) -> None:
        self.root = root
        self.lifetime = timedelta(minutes=minutes)

    def _folder(self, owner_id: int, create: bool = False) -> Path:
        folder = self.root / str(int(owner_id))
        if create:
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        return folder

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        """Write all or nothing: a temporary file, owner-only, then renamed into place."""
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".partial-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(temp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise

    def hold(self, owner_id: int, kind: str, filename: str, data: bytes, options: dict[str, object],
             now: datetime) -> Held:  # fmt: skip
        """Hold the checked bytes for their admin; checking the same file again starts the time afresh."""
        self.cleanup(now)
        key = hashlib.sha256(data).hexdigest()
        folder = self._folder(owner_id, create=True)
        held = Held(key, owner_id, kind, filename, options, now, now + self.lifetime)
        with contextlib.suppress(FileNotFoundError):
            (folder / f"{key}.done").unlink()
        self._write(folder / f"{key}.csv", data)
        note = {"owner_id": owner_id, "kind": kind, "filename": filename, "options": options, "held_at": now.isoformat()}
        self._write(folder / f"{key}.json", json.dumps(note).encode())
        return held

    def _note(self, folder: Path, key: str) -> dict | None:
        try:
            return json.loads((folder / f"{key}.json").read_text())
        except (FileNotFoundError, ValueError):
            return None

    def done(self, owner_id: int, key: str) -> Done | None:
        """The import already made of this held file, if it was."""
        if not KEY.match(key or ""):
            return None
        try:
            note = json.loads((self._folder(owner_id) / f"{key}.done").read_text())
        except (FileNotFoundError, ValueError):
            return None
        return Done(note["filename"], datetime.fromisoformat(note["imported_at"]), note["counts"])

    def claim(self, owner_id: int, key: str, now: datetime) -> Held:
        """Take the held bytes for importing. Only one request can: the bytes are renamed to `.claimed`.

        Raises NotHeld (no such key for this admin, or another request has it now), OtherOwner (the key is
        another admin's check) or Expired (held too long: check the file again)."""
        if not KEY.match(key or ""):
            raise NotHeld("There is no checked file to import. Choose the file and check it.")
        folder = self._folder(owner_id)
        note = self._note(folder, key)
        if note is None:
            if any(self.root.glob(f"*/{key}.json")):
                raise OtherOwner("Another admin checked this file. Choose the file and check it yourself before importing it.")
            raise NotHeld("There is no checked file to import. Choose the file and check it.")
        held_at = datetime.fromisoformat(note["held_at"])
        if now - held_at > self.lifetime or not (folder / f"{key}.csv").exists() and not (folder / f"{key}.claimed").exists():
            with contextlib.suppress(FileNotFoundError):
                (folder / f"{key}.csv").unlink()
            minutes = int(self.lifetime.total_seconds() // 60)
            raise Expired(f"The checked file was held for {minutes} minutes and has expired: nothing was imported. "
                          "Choose the file and check it again.")
        try:
            os.rename(folder / f"{key}.csv", folder / f"{key}.claimed")
        except FileNotFoundError:
            raise NotHeld("This file is being imported now. Wait a moment and look at the audit log.") from None
        data = (folder / f"{key}.claimed").read_bytes()
        return Held(key, owner_id, note["kind"], note["filename"], note.get("options") or {}, held_at,
                    held_at + self.lifetime, data)  # fmt: skip

    def finish(self, held: Held, counts: dict[str, int], now: datetime) -> None:
        """The import of a claimed file went through: drop the bytes, remember that it was imported."""
        folder = self._folder(held.owner_id)
        note = {"filename": held.filename, "imported_at": now.isoformat(), "counts": counts}
        self._write(folder / f"{held.key}.done", json.dumps(note).encode())
        for suffix in (".claimed", ".json"):
            with contextlib.suppress(FileNotFoundError):
                (folder / f"{held.key}{suffix}").unlink()

    def drop(self, held: Held) -> None:
        """Forget a claimed file that no longer passes its checks: it must be checked again."""
        folder = self._folder(held.owner_id)
        for suffix in (".claimed", ".json"):
            with contextlib.suppress(FileNotFoundError):
                (folder / f"{held.key}{suffix}").unlink()

    def release(self, held: Held) -> None:
        """Put a claimed file back (the import failed for a reason outside the file, e.g. a busy database)."""
        folder = self._folder(held.owner_id)
        with contextlib.suppress(FileNotFoundError):
            os.rename(folder / f"{held.key}.claimed", folder / f"{held.key}.csv")

    def cleanup(self, now: datetime) -> None:
        """Delete the bytes of every expired hold, and notes older than a day."""
        if not self.root.exists():
            return
        for path in self.root.glob("*/*"):
            try:
                age = now.timestamp() - path.stat().st_mtime
            except FileNotFoundError:
                continue
            expired = path.suffix in (".csv", ".claimed") or path.name.startswith(".partial-")
            limit = self.lifetime if expired else self.lifetime + TOMBSTONE
            if age > limit.total_seconds():
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
