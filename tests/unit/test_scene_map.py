"""The scene map's layered layout: a pure function of the module."""

from __future__ import annotations

from app import PROJECT_ROOT
from app.content import load_library
from app.services.authoring.scene_map import FIT_WIDTH, _overlap, distances, layout


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
        width, height = scene_map.node_width, scene_map.node_height
        assert len(scene_map.nodes) == len(module.scenes)
        boxes = [(n.x, n.y) for n in scene_map.nodes]
        for i, (x1, y1) in enumerate(boxes):
            assert 0 <= x1 and x1 + width <= scene_map.width
            assert 0 <= y1 and y1 + height <= scene_map.height
            for x2, y2 in boxes[i + 1 :]:
                assert abs(x1 - x2) >= width or abs(y1 - y2) >= height, module.id


def test_every_module_map_fits_the_page_column_and_no_label_hides_another_or_a_box():
    """Issue 11 (16): maps were drawn up to 1,540 px wide in a 960 px column, with arrow labels on top of each other."""
    library = load_library(PROJECT_ROOT / "modules")
    for module in library.modules.values():
        scene_map = layout(module)
        assert scene_map.width <= FIT_WIDTH, module.id
        labels = scene_map.label_boxes
        boxes = [(n.x, n.y, n.x + scene_map.node_width, n.y + scene_map.node_height) for n in scene_map.nodes]
        for i, label in enumerate(labels):
            assert 0 <= label[0] and label[2] <= scene_map.width, (module.id, scene_map.edges[i].label)
            assert not any(_overlap(label, other) for other in labels[i + 1 :]), (module.id, scene_map.edges[i].label)
            assert not any(_overlap(label, box) for box in boxes), (module.id, scene_map.edges[i].label)
        for node in scene_map.nodes:
            assert all(len(line) * 7 <= scene_map.node_width - 20 for line in node.meta), (module.id, node.meta)


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
