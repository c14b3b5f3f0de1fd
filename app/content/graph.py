"""A module's scene graph for authors: Mermaid text, and every path from the start to an ending."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from app.content.model import Choice, Module, Scene

# GOV.UK tag colours (green, yellow, red, grey), so the map reads like the result page.
OUTCOME_STYLES = {
    "good": "fill:#cce2d8,stroke:#005a30,color:#005a30",
    "mixed": "fill:#fff7bf,stroke:#594d00,color:#594d00",
    "poor": "fill:#f4cdc6,stroke:#942514,color:#942514",
    "ending": "fill:#e5e6e7,stroke:#383f43,color:#383f43",
}
NOT_ID = re.compile(r"[^A-Za-z0-9_]")


@dataclass(frozen=True)
class PathSummary:
    """One way through a module: the choices taken, where it ends, its score and the factors it covers."""

    scenes: tuple[str, ...]  # scene ids from the start to the ending
    choices: tuple[Choice, ...]  # the choice taken in each scene but the last
    score: int
    ending: str
    outcome: str | None
    risk_factors: tuple[str, ...]  # RF codes of the choices taken, in number order

    @property
    def steps(self) -> str:
        """`arrival -(raise)-> counsellor -(note)-> end-good`."""
        parts = [self.scenes[0]]
        for choice, scene in zip(self.choices, self.scenes[1:]):
            parts.append(f"-({choice.id})-> {scene}")
        return " ".join(parts)


def node_ids(module: Module) -> dict[str, str]:
    """A Mermaid-safe node id for each scene (`end` and hyphens would confuse Mermaid)."""
    ids: dict[str, str] = {}
    for index, scene_id in enumerate(module.scenes):
        node = "scene_" + NOT_ID.sub("_", scene_id)
        ids[scene_id] = node if node not in ids.values() else f"{node}_{index}"
    return ids


def _label(text: str) -> str:
    """Text inside a quoted Mermaid label."""
    return text.replace("&", "#amp;").replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;")


def _node(node: str, scene: Scene, start: bool) -> str:
    label = _label(("Start: " if start else "") + scene.title) + f"<br/>({scene.id})"
    if scene.is_end:
        return f'    {node}(["{label}"])'
    return f'    {node}["{label}"]'


def mermaid(module: Module) -> str:
    """The scene graph as a Mermaid `flowchart TD`: scenes as nodes, choices as labelled edges."""
    ids = node_ids(module)
    lines = ["flowchart TD"]
    lines += [_node(ids[s.id], s, s.id == module.start) for s in module.scenes.values()]
    for scene in module.scenes.values():
        for choice in scene.choices:
            label = _label(f"{choice.id} (+{choice.score})")
            lines.append(f'    {ids[scene.id]} -->|"{label}"| {ids[choice.target]}')
    endings = {ids[s.id]: s.outcome or "ending" for s in module.scenes.values() if s.is_end}
    lines += [f"    classDef {name} {style}" for name, style in OUTCOME_STYLES.items() if name in endings.values()]
    lines += [f"    class {node} {style}" for node, style in endings.items()]
    lines.append(f"    style {ids[module.start]} stroke-width:4px")
    return "\n".join(lines) + "\n"


def count_paths(module: Module) -> int:
    """How many paths lead from the start to an ending (without listing them)."""
    memo: dict[str, int] = {}

    def count(scene_id: str) -> int:
        if scene_id not in memo:
            scene = module.scenes[scene_id]
            memo[scene_id] = 1 if scene.is_end else sum(count(c.target) for c in scene.choices)
        return memo[scene_id]

    return count(module.start)


def decision_range(module: Module) -> tuple[int, int]:
    """The fewest and the most decisions on a path from the start to an ending (the player's "Decision 2 of
    about 5"; a learner who rewinds a choice takes it again, so never passes the most)."""
    memo: dict[str, tuple[int, int]] = {}

    def walk(scene_id: str) -> tuple[int, int]:
        if scene_id not in memo:
            scene = module.scenes[scene_id]
            onward = [walk(c.target) for c in scene.choices] if not scene.is_end else []
            memo[scene_id] = (1 + min(o[0] for o in onward), 1 + max(o[1] for o in onward)) if onward else (0, 0)
        return memo[scene_id]

    return walk(module.start)


def _walk(module: Module, scene_id: str) -> Iterator[tuple[tuple[str, ...], tuple[Choice, ...]]]:
    scene = module.scenes[scene_id]
    if scene.is_end:
        yield (scene_id,), ()
        return
    for choice in scene.choices:
        for scenes, choices in _walk(module, choice.target):
            yield (scene_id, *scenes), (choice, *choices)


def all_paths(module: Module, limit: int | None = None) -> list[PathSummary]:
    """Every path from the start to an ending, in file order of the choices (the first `limit`, if given).

    A Module only exists when its graph is sound (no cycles, no traps), so every walk ends."""
    paths: list[PathSummary] = []
    for scenes, choices in _walk(module, module.start):
        if limit is not None and len(paths) >= limit:
            break
        ending = module.scenes[scenes[-1]]
        codes = {code for choice in choices for code in choice.risk_factors}
        paths.append(PathSummary(
            scenes=scenes, choices=choices, score=sum(c.score for c in choices), ending=ending.id,
            outcome=ending.outcome, risk_factors=tuple(sorted(codes, key=_rf_number)),
        ))  # fmt: skip
    return paths


def _rf_number(code: str) -> tuple[int, str]:
    digits = code.removeprefix("RF")
    return (int(digits), code) if digits.isdigit() else (10**6, code)
