"""The scene graph for authors: Mermaid text and every path with its score, ending and risk factors."""

from __future__ import annotations

from pathlib import Path

from app.content import parse_module
from app.content.graph import all_paths, count_paths, decision_range, mermaid, node_ids
from tests.unit.test_content_lint import VALID, edit


def module(tmp_path: Path | None = None, text: str | None = None):
    path = VALID
    if text is not None:
        path = tmp_path / "module.md"
        path.write_text(text, encoding="utf-8")
    parsed, diagnostics = parse_module(path)
    assert parsed is not None, [str(d) for d in diagnostics]
    return parsed


def test_mermaid_has_every_scene_and_every_edge():
    valid = module()
    text = mermaid(valid)
    assert text.startswith("flowchart TD\n")
    ids = node_ids(valid)
    for scene in valid.scenes.values():
        assert f'{ids[scene.id]}["' in text or f'{ids[scene.id]}(["' in text
        assert scene.title in text
        for choice in scene.choices:
            assert f'{ids[scene.id]} -->|"{choice.id} (+{choice.score})"| {ids[choice.target]}' in text
    edges = sum(len(s.choices) for s in valid.scenes.values())
    assert text.count("-->") == edges == 5


def test_mermaid_styles_endings_by_outcome_and_marks_the_start():
    text = mermaid(module())
    assert 'scene_end_good(["Your report reaches London in time<br/>(end-good)"])' in text
    assert "class scene_end_good good" in text and "class scene_end_poor poor" in text
    assert "classDef good " in text and "classDef poor " in text and "classDef mixed" not in text
    assert 'scene_arrival["Start: Posters in the market' in text


def test_mermaid_node_ids_are_safe_and_labels_escaped(tmp_path):
    text = edit("{#end-poor .end outcome=poor}", "{#end .end}", "(#end-poor)", "(#end)", "## Too late", '## "Too" late')
    graph = mermaid(module(tmp_path, text))
    assert "scene_end([" in graph  # `end` alone is a Mermaid keyword
    assert "#quot;Too#quot; late" in graph
    assert "class scene_end ending" in graph


def test_all_paths_with_scores_endings_and_risk_factors():
    paths = all_paths(module())
    assert [(p.score, p.ending, p.outcome, p.risk_factors) for p in paths] == [
        (5, "end-good", "good", ("RF1", "RF7", "RF9")),
        (4, "end-poor", "poor", ("RF7", "RF9")),
        (1, "end-poor", "poor", ("RF8",)),
    ]  # fmt: skip
    assert paths[1].scenes == ("arrival", "counsellor", "later", "end-poor")
    assert [c.id for c in paths[1].choices] == ["raise", "wait", "late-report"]
    assert paths[0].steps == "arrival -(raise)-> counsellor -(note)-> end-good"


def test_best_path_is_the_modules_maximum_and_count_matches():
    valid = module()
    paths = all_paths(valid)
    assert max(p.score for p in paths) == valid.max_path_score
    assert count_paths(valid) == len(paths) == 3
    assert len(all_paths(valid, limit=2)) == 2


def test_risk_factors_sort_by_number(tmp_path):
    text = edit("{id=note score=3 rf=RF1}", "{id=note score=3 rf=RF1,RF10}", "[RF1, RF7, RF8, RF9]", "[RF1, RF7, RF8, RF9, RF10]")
    assert all_paths(module(tmp_path, text))[0].risk_factors == ("RF1", "RF7", "RF9", "RF10")


def test_decision_range_is_the_fewest_and_most_decisions_to_an_ending():
    assert decision_range(module()) == (2, 3)  # arrival -> later -> end-poor; arrival -> counsellor -> later -> end-poor
    checkpoint, _ = parse_module(Path(__file__).parents[1] / "fixtures" / "library" / "checkpoint-visit.md")
    assert decision_range(checkpoint) == (2, 2)
