"""A module's scene graph laid out in layers by distance from the start, for the authors' scene map."""

from __future__ import annotations

import textwrap
from collections import deque
from dataclasses import dataclass

from app.content.model import Module

FIT_WIDTH = 960  # the GOV.UK page column: the map is laid out to fit it
NODE_WIDTH = 220  # the widest a box gets; narrower when a row holds many scenes
NODE_MIN_WIDTH = 120
NODE_HEIGHT = 76  # the height of a box with a two-line title and one line of detail
COLUMN_GAP = 60
NARROW_COLUMN_GAP = 30
LAYER_GAP = 130  # room between layers for the arrows' labels; grows until no two labels overlap
MARGIN = 30
BACK_EDGE_ROOM = 110  # space on the right for arrows that go back up (only when there are some)
TITLE_LINES = 2  # in a full-width box; a narrower box gives its title a third line
TITLE_CHAR_PX = 8.5  # average advance of a character at the box titles' size (15 px bold)
META_CHAR_PX = 7.0  # at the detail and arrow labels' size (13 px)
LINE_HEIGHT = 18
LABEL_HEIGHT = 16


@dataclass(frozen=True)
class Geometry:
    """Sizes chosen for one module so that its widest row fits the page column."""

    node_width: int = NODE_WIDTH
    node_height: int = NODE_HEIGHT
    column_gap: int = COLUMN_GAP
    layer_gap: int = LAYER_GAP
    back_room: int = 0

    @property
    def title_lines(self) -> int:
        return TITLE_LINES if self.node_width >= NODE_WIDTH else TITLE_LINES + 1

    @property
    def title_chars(self) -> int:
        return int((self.node_width - 20) // TITLE_CHAR_PX)

    @property
    def meta_chars(self) -> int:
        return int((self.node_width - 20) // META_CHAR_PX)


@dataclass(frozen=True)
class MapNode:
    """A scene drawn as a box; `x`, `y` are its top-left corner."""

    id: str
    title: str
    lines: tuple[str, ...]  # the title wrapped to fit the box
    label: str  # "Start", "Ending: good outcome", "Not reachable" or ""
    meta: tuple[str, ...]  # the id and label, on one line or two as the box's width allows
    layer: int
    x: int
    y: int
    is_start: bool
    is_end: bool
    outcome: str | None
    reachable: bool

    node_width: int = NODE_WIDTH

    @property
    def centre_x(self) -> int:
        return self.x + self.node_width // 2


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

    @property
    def label_boxes(self) -> list[tuple[float, float, float, float]]:
        """Each arrow label's box (left, top, right, bottom), as drawn centred on its point."""
        return [_label_box(e.label, e.label_x, e.label_y) for e in self.edges]

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


def _wrap(title: str, chars: int, most: int = TITLE_LINES) -> tuple[str, ...]:
    lines = textwrap.wrap(title, chars) or [""]
    if len(lines) > most:
        lines = lines[:most]
        lines[-1] = lines[-1][: chars - 1].rstrip() + "…"
    return tuple(lines)


def _meta(scene_id: str, label: str, chars: int) -> tuple[str, ...]:
    one = f"{scene_id} · {label}" if label else scene_id
    if len(one) <= chars:
        return (one,)
    return (*textwrap.wrap(scene_id, chars), *textwrap.wrap(label, chars))  # long ids break at hyphens


def _label_box(text: str, x: float, y: float) -> tuple[float, float, float, float]:
    half = len(text) * META_CHAR_PX / 2
    return x - half, y - LABEL_HEIGHT + 4, x + half, y + 4


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def geometry(module: Module, layers: list[list[str]], layer_gap: int = LAYER_GAP) -> Geometry:
    """Box width and gaps for the widest row to fit FIT_WIDTH (down to NODE_MIN_WIDTH; wider still scrolls)."""
    widest = max((len(layer) for layer in layers), default=1)
    depth = {scene_id: d for d, layer in enumerate(layers) for scene_id in layer}
    back = any(depth.get(c.target, -1) <= depth[s.id] for s in module.scenes.values() for c in s.choices
               if c.target in depth)
    back_room = BACK_EDGE_ROOM if back else 0
    gap = COLUMN_GAP if widest <= 3 else NARROW_COLUMN_GAP
    room = FIT_WIDTH - 2 * MARGIN - back_room - (widest - 1) * gap
    width = max(NODE_MIN_WIDTH, min(NODE_WIDTH, room // widest))
    probe = Geometry(node_width=width)
    meta_lines = max((len(_meta(s, _label(s == module.start, module.scenes[s].is_end, module.scenes[s].outcome,
                                          s in depth), probe.meta_chars)) for s in module.scenes), default=1)
    height = NODE_HEIGHT + LINE_HEIGHT * (meta_lines - 1 + probe.title_lines - TITLE_LINES)
    return Geometry(node_width=width, node_height=height, column_gap=gap, layer_gap=layer_gap, back_room=back_room)


def layout(module: Module) -> SceneMap:
    """Place every scene in a layer (rows, top to bottom) and route every choice between them, widening the
    gaps between rows until no two arrow labels overlap (or the gap reaches three times its start)."""
    layers = _layers(module)
    best: tuple[int, SceneMap] | None = None
    for layer_gap in range(LAYER_GAP, 3 * LAYER_GAP + 1, 20):
        found = _layout(module, layers, geometry(module, layers, layer_gap))
        boxes = found.label_boxes
        overlaps = sum(_overlap(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1:])
        if best is None or overlaps < best[0]:
            best = (overlaps, found)
        if not overlaps:
            break
    return best[1]


def _layout(module: Module, layers: list[list[str]], g: Geometry) -> SceneMap:
    reachable = distances(module)
    widest = max((len(layer) for layer in layers), default=1)
    content_width = widest * g.node_width + (widest - 1) * g.column_gap
    nodes: dict[str, MapNode] = {}
    for depth, layer in enumerate(layers):
        row_width = len(layer) * g.node_width + (len(layer) - 1) * g.column_gap
        left = MARGIN + (content_width - row_width) // 2
        for i, scene_id in enumerate(layer):
            scene = module.scenes[scene_id]
            is_start = scene_id == module.start
            label = _label(is_start, scene.is_end, scene.outcome, scene_id in reachable)
            nodes[scene_id] = MapNode(
                id=scene_id,
                title=scene.title,
                lines=_wrap(scene.title, g.title_chars, g.title_lines),
                label=label,
                meta=_meta(scene_id, label, g.meta_chars),
                layer=depth,
                x=left + i * (g.node_width + g.column_gap),
                y=MARGIN + depth * (g.node_height + g.layer_gap),
                is_start=is_start,
                is_end=scene.is_end,
                outcome=scene.outcome,
                reachable=scene_id in reachable,
                node_width=g.node_width,
            )
    right_edge = MARGIN + content_width
    width = MARGIN * 2 + content_width + g.back_room
    height = MARGIN * 2 + len(layers) * g.node_height + max(len(layers) - 1, 0) * g.layer_gap
    placed: list[tuple[float, float, float, float]] = [
        (n.x, n.y, n.x + g.node_width, n.y + g.node_height) for n in nodes.values()]
    edges = [edge for scene in module.scenes.values() for edge in _edges(scene, nodes, right_edge, g, placed, width)]
    return SceneMap(nodes=tuple(nodes.values()), edges=tuple(edges), width=width, height=height,
                    node_width=g.node_width, node_height=g.node_height)


def _on_curve(p0: tuple[int, int], p1: tuple[int, int], p2: tuple[int, int], p3: tuple[int, int], t: float) -> tuple[int, int]:
    """The point at `t` on a cubic Bézier curve, where an arrow's label sits."""
    u = 1 - t
    x = u**3 * p0[0] + 3 * u * u * t * p1[0] + 3 * u * t * t * p2[0] + t**3 * p3[0]
    y = u**3 * p0[1] + 3 * u * u * t * p1[1] + 3 * u * t * t * p2[1] + t**3 * p3[1]
    return round(x), round(y)


def _route(source: MapNode, target: MapNode, k: int, siblings: int, right_edge: int, g: Geometry) -> tuple[tuple[int, int], ...]:
    """The four control points of a choice's arrow: down to a later layer, across within a layer,
    or round the right of the drawing back up to an earlier one."""
    if target.layer > source.layer:
        x1, y1 = source.x + g.node_width * (k + 1) // (siblings + 1), source.y + g.node_height
        x2, y2 = target.centre_x, target.y - 6
        bend = g.layer_gap // 2
        return (x1, y1), (x1, y1 + bend), (x2, y2 - bend), (x2, y2)
    if target.layer == source.layer and target.id != source.id:
        # A dip under the row, from the bottom of one box up into the bottom of the other.
        x1, y1 = source.x + g.node_width * (k + 1) // (siblings + 1), source.y + g.node_height
        x2, y2 = target.centre_x + (12 if target.x > source.x else -12), target.y + g.node_height + 6
        dip = y1 + 34
        return (x1, y1), (x1, dip), (x2, dip), (x2, y2)
    x1, y1 = source.x + g.node_width, source.y + g.node_height * (k + 1) // (siblings + 1)
    x2, y2 = target.x + g.node_width + 6, target.y + g.node_height // 2
    bend = right_edge + 30 + 20 * k
    return (x1, y1), (bend, y1), (bend, y2), (x2, y2)


# Where along an arrow its label may sit, best first: siblings start at different points so they do not stack up.
LABEL_POINTS = (0.45, 0.6, 0.75, 0.3, 0.85, 0.2, 0.5, 0.65, 0.35, 0.8, 0.25, 0.1, 0.9, 0.15)


def _edges(scene, nodes: dict[str, MapNode], right_edge: int, g: Geometry,
           placed: list[tuple[float, float, float, float]], width: int) -> list[MapEdge]:
    """The scene's choices as arrows, each label put at the first point along its arrow where it overlaps no
    box and no label already placed (`placed` grows as labels are put down), and kept inside the drawing."""
    source = nodes[scene.id]
    choices = [c for c in scene.choices if c.target in nodes]
    found = []
    for k, choice in enumerate(choices):
        target = nodes[choice.target]
        points = _route(source, target, k, len(choices), right_edge, g)
        (x1, y1), (cx1, cy1), (cx2, cy2), (x2, y2) = points
        label = f"{choice.id} ({choice.score})" + (" " + ",".join(choice.risk_factors) if choice.risk_factors else "")
        down = target.layer > source.layer
        candidates = [LABEL_POINTS[(k + i) % len(LABEL_POINTS)] for i in range(len(LABEL_POINTS))]
        half = len(label) * META_CHAR_PX / 2
        best = None
        for t in candidates:
            x, y = _on_curve(*points, t=t)
            y = y if down or target.layer != source.layer else y + 14
            x = min(max(x, half + 2), width - half - 2)
            box = _label_box(label, x, y)
            if best is None:
                best = (x, y, box)
            if not any(_overlap(box, other) for other in placed):
                best = (x, y, box)
                break
        label_x, label_y, box = best
        placed.append(box)
        found.append(
            MapEdge(
                source=scene.id,
                target=choice.target,
                choice_id=choice.id,
                score=choice.score,
                risk_factors=choice.risk_factors,
                path=f"M {x1} {y1} C {cx1} {cy1}, {cx2} {cy2}, {x2} {y2}",
                label=label,
                label_x=round(label_x),
                label_y=round(label_y),
                back=target.layer <= source.layer,
            )
        )
    return found
