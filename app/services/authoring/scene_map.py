"""A module's scene graph laid out in layers by distance from the start, for the authors' scene map."""

from __future__ import annotations

import textwrap
from collections import deque
from dataclasses import dataclass

from app.content.model import Module

NODE_WIDTH = 220
NODE_HEIGHT = 76
COLUMN_GAP = 60
LAYER_GAP = 130  # room between layers for the arrows' labels
MARGIN = 30
BACK_EDGE_ROOM = 140  # space on the right for arrows that go back up
TITLE_CHARS = 28
TITLE_LINES = 2


@dataclass(frozen=True)
class MapNode:
    """A scene drawn as a box; `x`, `y` are its top-left corner."""

    id: str
    title: str
    lines: tuple[str, ...]  # the title wrapped to fit the box
    label: str  # "Start", "Ending: good outcome", "Not reachable" or ""
    layer: int
    x: int
    y: int
    is_start: bool
    is_end: bool
    outcome: str | None
    reachable: bool

    @property
    def centre_x(self) -> int:
        return self.x + NODE_WIDTH // 2


@dataclass(frozen=True)
class MapEdge:
    """A choice drawn as an arrow from its scene to its target, with its id, score and risk factors."""

    source: str
    target: str
    choice_id: str
    score: int
    risk_factors: tuple[str, ...]
    path: str  # SVG path data
    label: str
    label_x: int
    label_y: int
    back: bool  # leads to an earlier (or the same) layer


@dataclass(frozen=True)
class SceneMap:
    nodes: tuple[MapNode, ...]
    edges: tuple[MapEdge, ...]
    width: int
    height: int
    node_width: int = NODE_WIDTH
    node_height: int = NODE_HEIGHT

    def node(self, scene_id: str) -> MapNode | None:
        return next((n for n in self.nodes if n.id == scene_id), None)


def distances(module: Module) -> dict[str, int]:
    """Each reachable scene's distance (in choices) from the start, by breadth-first search."""
    found = {module.start: 0} if module.start in module.scenes else {}
    queue = deque(found)
    while queue:
        scene = module.scenes[queue.popleft()]
        for choice in scene.choices:
            if choice.target in module.scenes and choice.target not in found:
                found[choice.target] = found[scene.id] + 1
                queue.append(choice.target)
    return found


def _layers(module: Module) -> list[list[str]]:
    """Scene ids per layer; unreachable scenes share one last layer. Each layer ordered to limit crossings."""
    depth = distances(module)
    order = {scene_id: i for i, scene_id in enumerate(module.scenes)}
    count = max(depth.values(), default=-1) + 1
    layers: list[list[str]] = [[] for _ in range(count)]
    for scene_id in module.scenes:
        if scene_id in depth:
            layers[depth[scene_id]].append(scene_id)
    unreachable = [s for s in module.scenes if s not in depth]
    if unreachable:
        layers.append(unreachable)
    parents: dict[str, list[str]] = {}
    for scene in module.scenes.values():
        for choice in scene.choices:
            parents.setdefault(choice.target, []).append(scene.id)
    position: dict[str, float] = {}
    for layer in layers:
        def barycentre(scene_id: str) -> tuple[float, int]:
            placed = [position[p] for p in parents.get(scene_id, []) if p in position]
            return (sum(placed) / len(placed) if placed else float(order[scene_id]), order[scene_id])

        layer.sort(key=barycentre)
        position.update({scene_id: i for i, scene_id in enumerate(layer)})
    return layers


def _label(is_start: bool, is_end: bool, outcome: str | None, reachable: bool) -> str:
    if not reachable:
        return "Not reachable"
    parts = ["Start"] if is_start else []
    if is_end:
        parts.append(f"Ending: {outcome} outcome" if outcome else "Ending")
    return " · ".join(parts)


def _wrap(title: str) -> tuple[str, ...]:
    lines = textwrap.wrap(title, TITLE_CHARS) or [""]
    if len(lines) > TITLE_LINES:
        lines = lines[:TITLE_LINES]
        lines[-1] = lines[-1][: TITLE_CHARS - 1].rstrip() + "…"
    return tuple(lines)


def layout(module: Module) -> SceneMap:
    """Place every scene in a layer (rows, top to bottom) and route every choice between them."""
    layers = _layers(module)
    reachable = distances(module)
    widest = max((len(layer) for layer in layers), default=1)
    content_width = widest * NODE_WIDTH + (widest - 1) * COLUMN_GAP
    nodes: dict[str, MapNode] = {}
    for depth, layer in enumerate(layers):
        row_width = len(layer) * NODE_WIDTH + (len(layer) - 1) * COLUMN_GAP
        left = MARGIN + (content_width - row_width) // 2
        for i, scene_id in enumerate(layer):
            scene = module.scenes[scene_id]
            is_start = scene_id == module.start
            nodes[scene_id] = MapNode(
                id=scene_id,
                title=scene.title,
                lines=_wrap(scene.title),
                label=_label(is_start, scene.is_end, scene.outcome, scene_id in reachable),
                layer=depth,
                x=left + i * (NODE_WIDTH + COLUMN_GAP),
                y=MARGIN + depth * (NODE_HEIGHT + LAYER_GAP),
                is_start=is_start,
                is_end=scene.is_end,
                outcome=scene.outcome,
                reachable=scene_id in reachable,
            )
    right_edge = MARGIN + content_width
    edges = [edge for scene in module.scenes.values() for edge in _edges(scene, nodes, right_edge)]
    width = MARGIN * 2 + content_width + BACK_EDGE_ROOM
    height = MARGIN * 2 + len(layers) * NODE_HEIGHT + max(len(layers) - 1, 0) * LAYER_GAP
    return SceneMap(nodes=tuple(nodes.values()), edges=tuple(edges), width=width, height=height)


def _on_curve(p0: tuple[int, int], p1: tuple[int, int], p2: tuple[int, int], p3: tuple[int, int], t: float) -> tuple[int, int]:
    """The point at `t` on a cubic Bézier curve, where an arrow's label sits."""
    u = 1 - t
    x = u**3 * p0[0] + 3 * u * u * t * p1[0] + 3 * u * t * t * p2[0] + t**3 * p3[0]
    y = u**3 * p0[1] + 3 * u * u * t * p1[1] + 3 * u * t * t * p2[1] + t**3 * p3[1]
    return round(x), round(y)


def _route(source: MapNode, target: MapNode, k: int, siblings: int, right_edge: int) -> tuple[tuple[int, int], ...]:
    """The four control points of a choice's arrow: down to a later layer, across within a layer,
    or round the right of the drawing back up to an earlier one."""
    if target.layer > source.layer:
        x1, y1 = source.x + NODE_WIDTH * (k + 1) // (siblings + 1), source.y + NODE_HEIGHT
        x2, y2 = target.centre_x, target.y - 6
        bend = LAYER_GAP // 2
        return (x1, y1), (x1, y1 + bend), (x2, y2 - bend), (x2, y2)
    if target.layer == source.layer and target.id != source.id:
        # A dip under the row, from the bottom of one box up into the bottom of the other.
        x1, y1 = source.x + NODE_WIDTH * (k + 1) // (siblings + 1), source.y + NODE_HEIGHT
        x2, y2 = target.centre_x + (12 if target.x > source.x else -12), target.y + NODE_HEIGHT + 6
        dip = y1 + 34
        return (x1, y1), (x1, dip), (x2, dip), (x2, y2)
    x1, y1 = source.x + NODE_WIDTH, source.y + NODE_HEIGHT * (k + 1) // (siblings + 1)
    x2, y2 = target.x + NODE_WIDTH + 6, target.y + NODE_HEIGHT // 2
    bend = right_edge + 40 + 20 * k
    return (x1, y1), (bend, y1), (bend, y2), (x2, y2)


def _edges(scene, nodes: dict[str, MapNode], right_edge: int) -> list[MapEdge]:
    source = nodes[scene.id]
    choices = [c for c in scene.choices if c.target in nodes]
    found = []
    for k, choice in enumerate(choices):
        target = nodes[choice.target]
        points = _route(source, target, k, len(choices), right_edge)
        (x1, y1), (cx1, cy1), (cx2, cy2), (x2, y2) = points
        # Siblings' labels sit at different points along their own arrows, so they do not stack up.
        label_x, label_y = _on_curve(*points, t=0.45 + 0.15 * (k % 3) if target.layer > source.layer else 0.5)
        label = f"{choice.id} ({choice.score})" + (" " + ",".join(choice.risk_factors) if choice.risk_factors else "")
        found.append(
            MapEdge(
                source=scene.id,
                target=choice.target,
                choice_id=choice.id,
                score=choice.score,
                risk_factors=choice.risk_factors,
                path=f"M {x1} {y1} C {cx1} {cy1}, {cx2} {cy2}, {x2} {y2}",
                label=label,
                label_x=label_x,
                label_y=label_y + 14 if target.layer == source.layer else label_y,
                back=target.layer <= source.layer,
            )
        )
    return found
