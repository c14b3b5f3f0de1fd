"""Parsing a module file into Module objects: structure, lines, scores."""

from __future__ import annotations

import hashlib
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.content import parse_module

VALID = Path(__file__).parents[1] / "fixtures" / "modules" / "valid-module.md"
SOURCE = VALID.read_text(encoding="utf-8")

FRONT = """---
id: branching
title: Branching
version: 2.1.0
summary: Scores along different paths.
risk_factors: [RF1]
estimated_minutes: 1
pass_mark: 60
---
"""


def line_of(text: str, needle: str) -> int:
    hits = [n for n, line in enumerate(text.splitlines(), 1) if needle in line]
    assert len(hits) == 1, (needle, hits)
    return hits[0]


def parse_text(tmp_path: Path, text: str, name: str = "module.md"):
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return parse_module(path)


def test_front_matter_and_intro():
    module, diagnostics = parse_module(VALID)
    assert diagnostics == []
    assert (module.id, module.version, module.major_version) == ("valid-module", "1.0.0", 1)
    assert module.title == "Early warning before an election"
    assert module.audience == ("political", "posted-at-risk")
    assert module.risk_factors == ("RF1", "RF7", "RF8", "RF9")
    assert (module.estimated_minutes, module.pass_mark, module.language) == (1, 70, "en")
    assert module.intro_html.startswith('<p class="govuk-body">You are Second Secretary')
    assert module.content_hash == hashlib.sha256(VALID.read_bytes()).hexdigest()
    assert module.path == str(VALID)


def test_scenes_in_file_order_with_real_lines():
    module, _ = parse_module(VALID)
    assert list(module.scenes) == ["arrival", "counsellor", "later", "end-good", "end-poor"]
    assert module.start == "arrival"
    for scene in module.scenes.values():
        assert scene.line == line_of(SOURCE, f"{{#{scene.id}")
    arrival = module.scene("arrival")
    assert arrival.title == "Posters in the market"
    assert not arrival.is_end and arrival.outcome is None
    assert module.scene("end-good").is_end and module.scene("end-good").outcome == "good"
    assert module.scene("end-poor").outcome == "poor"


def test_choices_are_the_last_link_list_and_leave_the_body():
    module, _ = parse_module(VALID)
    arrival = module.scene("arrival")
    assert [c.id for c in arrival.choices] == ["raise", "ignore"]
    raise_it = arrival.choice("raise")
    assert raise_it.target == "counsellor"
    assert raise_it.score == 2
    assert raise_it.risk_factors == ("RF9", "RF7")
    assert raise_it.text_html == "Record it and raise it at the <em>political</em> team meeting"
    assert raise_it.feedback_html.startswith('<p class="govuk-body">Dehumanising language')
    assert raise_it.line == line_of(SOURCE, "{id=raise")
    assert arrival.choice("ignore").score == 0
    assert "Record it" not in arrival.body_html and "Dehumanising" not in arrival.body_html
    assert arrival.body_html == '<p class="govuk-body">A local staff member shows you photos of posters calling a minority "vermin".</p>'
    assert '<table class="govuk-table">' in module.scene("counsellor").body_html
    assert module.scene("end-good").choices == ()


def test_knowledge_check_is_kept_apart_from_the_scenes():
    module, _ = parse_module(VALID)
    assert "check" not in module.scenes
    assert module.check_id == "check"
    assert module.check_title == "Knowledge check"
    assert module.check_intro_html == '<p class="govuk-body">Answer both questions.</p>'
    elections, intent = module.questions
    assert (elections.id, elections.points, elections.risk_factors) == ("q-elections", 2, ("RF8",))
    assert elections.text == "Which risk factor do elections most often act as?"
    assert elections.line == line_of(SOURCE, "{#q-elections")
    assert [(o.key, o.correct) for o in elections.options] == [("1", False), ("2", True)]
    assert elections.options[1].text_html == "RF8 Triggering factors"
    assert elections.options[1].feedback_html.startswith('<p class="govuk-body">Right: events')
    assert elections.options[0].line == line_of(SOURCE, "- [ ] RF3")
    assert not elections.multiple and elections.is_correct({"2"})
    assert intent.points == 1 and intent.multiple
    assert intent.correct_keys == frozenset({"1", "2"})
    assert intent.body_html == '<p class="govuk-body">Think about what each one shows.</p>'


def test_max_score_is_best_path_plus_all_points():
    module, _ = parse_module(VALID)
    # raise (2) -> counsellor -> note (3) -> end-good; questions 2 + 1.
    assert (module.max_path_score, module.max_score) == (5, 8)


BRANCHING = FRONT + """
Intro.

## Start {#start}

Pick.

- [Greedy](#greedy) {id=greedy score=3 rf=RF1}
  > Three now.
- [Patient](#patient) {id=patient score=0}
  > Nothing now.

## Greedy {#greedy}

- [Finish](#end-a) {id=finish-a score=1}
  > One.

## Patient {#patient}

- [Finish well](#end-b) {id=finish-b score=10}
  > Ten.
- [Finish badly](#end-a) {id=finish-c score=2}
  > Two.

## A {#end-a .end outcome=mixed}

A.

## B {#end-b .end}

B.

## Check {#check .check}

### Q {#q points=4}
- [x] yes
  > Yes.
- [ ] not so
  > No.
"""


def test_best_path_is_not_the_greedy_one(tmp_path):
    module, diagnostics = parse_text(tmp_path, BRANCHING)
    assert [d for d in diagnostics if d.severity == "error"] == []
    assert module.max_path_score == 10  # patient (0) + finish-b (10), not greedy (3) + 1
    assert module.max_score == 14
    assert module.scene("end-b").outcome is None
    assert module.passes(9) and not module.passes(8)  # 60% of 14 is 8.4


def test_start_from_front_matter(tmp_path):
    text = BRANCHING.replace("pass_mark: 60", "pass_mark: 60\nstart: patient")
    module, diagnostics = parse_text(tmp_path, text)
    assert module.start == "patient"
    assert module.max_path_score == 10
    assert {d.code for d in diagnostics} == {"unreachable-scene"}  # start and greedy


def test_attributes_touching_the_link_and_quoted_values(tmp_path):
    text = BRANCHING.replace("(#greedy) {id=greedy score=3 rf=RF1}", '(#greedy){id="greedy" score=3 rf="RF1"}')
    module, diagnostics = parse_text(tmp_path, text)
    assert module is not None, diagnostics
    choice = module.scene("start").choice("greedy")
    assert (choice.score, choice.risk_factors, choice.text_html) == (3, ("RF1",), "Greedy")


def test_an_earlier_link_list_stays_in_the_body(tmp_path):
    text = BRANCHING.replace("Pick.\n", "Pick.\n\n- [See the map](#start) first\n- [Read more](https://example.org)\n\nThen choose.\n")
    module, diagnostics = parse_text(tmp_path, text)
    start = module.scene("start")
    assert [c.id for c in start.choices] == ["greedy", "patient"]
    assert 'href="#start"' in start.body_html and "Then choose." in start.body_html


def test_lines_survive_crlf_and_a_byte_order_mark(tmp_path):
    text = "\ufeff" + SOURCE.replace("\n", "\r\n")
    module, diagnostics = parse_text(tmp_path, text)
    assert diagnostics == []
    assert module.scene("later").line == line_of(SOURCE, "{#later}")
    assert module.scene("later").choices[0].line == line_of(SOURCE, "{id=late-report")


def test_language_and_title_markup(tmp_path):
    text = BRANCHING.replace("pass_mark: 60", "pass_mark: 60\nlanguage: cy").replace("## Start {#start}", "## The *first* `step` {#start}")
    module, _ = parse_text(tmp_path, text)
    assert module.language == "cy"
    assert module.scene("start").title == "The first step"


def test_module_is_none_on_any_error(tmp_path):
    module, diagnostics = parse_text(tmp_path, BRANCHING.replace("score=10", "score=ten"))
    assert module is None
    assert [(d.code, d.line) for d in diagnostics] == [("score-invalid", line_of(BRANCHING, "{id=finish-b"))]


PIECES = [
    "---\n", "id: m\n", "pass_mark: 50\n", "## ", "### ", "Title ", "{#a}", "{#b .end}", "{#c .check}", "{#q points=2}",
    "\n", "\n\n", "- ", "  ", "> ", "[go](#a)", "[go](#b)", " {id=x score=1 rf=RF1,RF2}", "- [x] ", "- [ ] ",
    "text ", "<b>", "{", "}", "`", "|a|\n|-|\n", "![](i.png)", "1. ", "\r\n", "\ufeff",
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(PIECES), max_size=60).map("".join))
def test_any_text_parses_without_crashing(tmp_path, text):
    module, diagnostics = parse_text(tmp_path, FRONT + text)
    errors = [d for d in diagnostics if d.severity == "error"]
    assert (module is None) == bool(errors)
    assert all(d.line >= 1 for d in diagnostics)
    if module is not None:
        assert module.start in module.scenes and module.max_score >= module.max_path_score
