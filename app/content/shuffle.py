"""The order a learner sees choices and answer options in: fixed by a seed, so one attempt shows the same
order on every load, on any device, with or without JavaScript, while another attempt shows a new one.
Items pinned last (`{pin=last}`, e.g. "None of these") follow the shuffled ones in file order."""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Protocol, TypeVar


class Pinnable(Protocol):
    pin_last: bool


T = TypeVar("T", bound=Pinnable)


def in_order(items: Sequence[T], seed: str, *, shuffle: bool = True) -> list[T]:
    """`items` in the order fixed by `seed` (file order when `shuffle` is off)."""
    free = [item for item in items if not item.pin_last]
    pinned = [item for item in items if item.pin_last]
    if shuffle:
        random.Random(seed).shuffle(free)  # a str seed is hashed with SHA-512: the same in every process
    return free + pinned
