"""The scene map's layered layout: a pure function of the module."""

from __future__ import annotations

from app import PROJECT_ROOT
from app.content import load_library
from app.services.authoring.scene_map import NODE_HEIGHT, NODE_WIDTH, distances, layout


def test_layers_follow_distance_from_the_start(test_library):
    module = test_library.get("checkpoint-visit")
    assert distances(module) == {"start": 0, "corroborate": 1, "later": 1, "end-good": 2, "end-poor": 2}
    scene_map = layout(module)
    layers = {n.id: n.layer for n in scene_map.nodes}
    assert layers == distances(module)
    start = scene_map.node("start")
    assert start.is_start and start.label == "Start"
    assert scene_map.node("end-good").label == "Ending: good outcome"
    assert scene_map.node("end-poor").outcome == "poor"
    # Rows go down the page, one per layer.
    assert scene_map.node("corroborate").y == scene_map.node("later").y > start.y


def test_every_choice_is_an_edge_with_its_id_score_and_risk_factors(test_library):
    module = test_library.get("checkpoint-visit")
    scene_map = layout(module)
    edges = {e.choice_id: e for e in scene_map.edges}
    assert set(edges) == {c.id for s in module.scenes.values() for c in s.choices}
    report = edges["report"]
    assert (report.source, report.target, report.score, report.risk_factors) == ("start", "corroborate", 3, ("RF7",))
    assert report.label == "report (3) RF7"
    assert not any(e.back for e in scene_map.edges)


def test_nodes_do_not_overlap_and_fit_inside_the_drawing():
    library = load_library(PROJECT_ROOT / "modules")
    for module in library.modules.values():
        scene_map = layout(module)
        assert len(scene_map.nodes) == len(module.scenes)
        boxes = [(n.x, n.y) for n in scene_map.nodes]
        for i, (x1, y1) in enumerate(boxes):
            assert 0 <= x1 and x1 + NODE_WIDTH <= scene_map.width
            assert 0 <= y1 and y1 + NODE_HEIGHT <= scene_map.height
            for x2, y2 in boxes[i + 1 :]:
                assert abs(x1 - x2) >= NODE_WIDTH or abs(y1 - y2) >= NODE_HEIGHT, module.id


def test_unreachable_scenes_get_their_own_last_layer_and_long_titles_are_cut(test_library):
    from dataclasses import replace

    from app.content.model import Scene, frozen_mapping

    module = test_library.get("checkpoint-visit")
    orphan = Scene("orphan", "A scene whose title is far too long to fit inside one box on the map",
                   "", (), True, None, 99)  # fmt: skip
    changed = replace(module, scenes=frozen_mapping({**module.scenes, "orphan": orphan}))
    node = layout(changed).node("orphan")
    assert node.layer == 3 and not node.reachable and node.label == "Not reachable"
    assert len(node.lines) == 2 and node.lines[-1].endswith("…")


def test_an_edge_back_to_an_earlier_layer_is_routed_round_the_side(test_library):
    from dataclasses import replace

    from app.content.model import Choice, frozen_mapping

    module = test_library.get("checkpoint-visit")
    later = module.scene("later")
    loop = Choice("go-back", "Go back", "start", 0, (), "", 1)
    changed = replace(module, scenes=frozen_mapping({**module.scenes, "later": replace(later, choices=(*later.choices, loop))}))
    edge = next(e for e in layout(changed).edges if e.choice_id == "go-back")
    assert edge.back and edge.label == "go-back (0)"
