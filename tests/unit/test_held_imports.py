"""Held import files: keyed by SHA-256 per admin, claimed once, expired and cleaned up."""

from __future__ import annotations

import hashlib
import os
from datetime import UTC, datetime, timedelta

import pytest

from app.services.organisation.held_imports import Expired, HeldImports, NotHeld, OtherOwner, default_directory

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
DATA = b"email,given_name,family_name,department\na@x.gov.uk,A,B,FCDO\n"
KEY = hashlib.sha256(DATA).hexdigest()


@pytest.fixture
def store(tmp_path) -> HeldImports:
    return HeldImports(tmp_path / "held", minutes=30)


def test_a_held_file_is_claimed_once_by_its_owner(store, tmp_path):
    held = store.hold(7, "roster", "roster.csv", DATA, {"full": True}, NOW)
    assert held.key == KEY and held.expires_at == NOW + timedelta(minutes=30)
    assert oct((tmp_path / "held" / "7").stat().st_mode & 0o777) == "0o700"
    assert oct((tmp_path / "held" / "7" / f"{KEY}.csv").stat().st_mode & 0o777) == "0o600"
    with pytest.raises(OtherOwner):
        store.claim(8, KEY, NOW)
    claimed = store.claim(7, KEY, NOW + timedelta(minutes=29))
    assert (claimed.data, claimed.kind, claimed.options) == (DATA, "roster", {"full": True})
    with pytest.raises(NotHeld, match="being imported now"):
        store.claim(7, KEY, NOW)  # a second click while the first is importing
    store.finish(claimed, {"added": 1, "changed": 0, "ended": 0}, NOW)
    assert store.done(7, KEY).counts["added"] == 1 and store.done(8, KEY) is None
    assert not list((tmp_path / "held" / "7").glob("*.csv")) and not list((tmp_path / "held" / "7").glob("*.claimed"))


def test_release_puts_a_claimed_file_back_and_drop_forgets_it(store):
    store.hold(7, "roster", "roster.csv", DATA, {}, NOW)
    store.release(store.claim(7, KEY, NOW))
    claimed = store.claim(7, KEY, NOW)
    store.drop(claimed)
    with pytest.raises(NotHeld):
        store.claim(7, KEY, NOW)


def test_expired_holds_say_so_and_cleanup_removes_their_bytes(store, tmp_path):
    store.hold(7, "roster", "roster.csv", DATA, {}, NOW)
    with pytest.raises(Expired, match="held for 30 minutes and has expired"):
        store.claim(7, KEY, NOW + timedelta(minutes=31))
    store.hold(7, "roster", "roster.csv", DATA, {}, NOW)  # checked again: held afresh
    folder = tmp_path / "held" / "7"
    old = (NOW - timedelta(minutes=31)).timestamp()
    os.utime(folder / f"{KEY}.csv", (old, old))
    os.utime(folder / f"{KEY}.json", (NOW.timestamp(), NOW.timestamp()))
    store.cleanup(NOW)
    assert not (folder / f"{KEY}.csv").exists() and (folder / f"{KEY}.json").exists()
    with pytest.raises(Expired):  # the note outlives the bytes, so a late click hears why
        store.claim(7, KEY, NOW)
    older = (NOW - timedelta(days=2)).timestamp()
    os.utime(folder / f"{KEY}.json", (older, older))
    store.cleanup(NOW)
    assert not list(folder.iterdir())


def test_keys_are_checked_and_databases_do_not_share_holds(store):
    for key in ("", "../../etc/passwd", KEY.upper()[:-1], "g" * 64):
        with pytest.raises(NotHeld):
            store.claim(7, key, NOW)
    assert default_directory("sqlite:///a.db") != default_directory("sqlite:///b.db")
