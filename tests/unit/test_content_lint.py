"""Each linter check: its code, severity and line, starting from a module that is clean."""

from __future__ import annotations

from pathlib import Path

import pytest

from app import PROJECT_ROOT
from app.content import lint, lint_paths, load_library, load_risk_factors, parse_module, wording

VALID = Path(__file__).parents[1] / "fixtures" / "modules" / "valid-module.md"
SOURCE = VALID.read_text(encoding="utf-8")


def line_of(text: str, needle: str) -> int:
    """1-based line of the only line containing `needle`."""
    hits = [n for n, line in enumerate(text.splitlines(), 1) if needle in line]
    assert len(hits) == 1, (needle, hits)
    return hits[0]


def edit(*pairs: str) -> str:
    """The valid module with each (old, new) replacement applied once."""
    text = SOURCE
    for old, new in zip(pairs[::2], pairs[1::2]):
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


def found(tmp_path: Path, text: str, name: str = "module.md"):
    """Parse `text` as a file; return (module, {(code, line): severity})."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    module, diagnostics = parse_module(path)
    assert all(d.file == str(path) for d in diagnostics)
    return module, {(d.code, d.line): d.severity for d in diagnostics}


def assert_error(tmp_path: Path, text: str, code: str, needle: str) -> None:
    module, diags = found(tmp_path, text)
    assert diags.get((code, line_of(text, needle))) == "error", sorted(diags)
    assert module is None


def assert_warning(tmp_path: Path, text: str, code: str, needle: str) -> None:
    module, diags = found(tmp_path, text)
    assert diags == {(code, line_of(text, needle)): "warning"}
    assert module is not None  # warnings never stop a module loading


def test_valid_fixture_is_clean(tmp_path):
    module, diags = found(tmp_path, SOURCE)
    assert diags == {}
    assert module is not None


def test_every_code_is_documented_with_its_severity():
    documented = dict(
        line.split()[:2] for line in (lint.__doc__ or "").splitlines() if line.startswith("  ") and line.split()[1:2] in (["error"], ["warning"])
    )
    assert set(documented) == lint.CODES
    assert {c for c, s in documented.items() if s == "warning"} == lint.WARNINGS


# Front matter -------------------------------------------------------------------------------


def test_front_matter_missing(tmp_path):
    text = SOURCE.split("---\n", 2)[2]
    module, diags = found(tmp_path, text)
    assert diags[("front-matter-missing", 1)] == "error"
    assert module is None


def test_front_matter_unclosed(tmp_path):
    text = SOURCE.replace("pass_mark: 70\n---\n", "pass_mark: 70\n")
    _, diags = found(tmp_path, text)
    assert ("front-matter-missing", 1) in diags


def test_front_matter_invalid_yaml(tmp_path):
    assert_error(tmp_path, edit("audience: [political, posted-at-risk]", "audience: [political"), "front-matter-invalid", "audience:")


@pytest.mark.parametrize("key", ["summary", "pass_mark", "risk_factors"])
def test_front_matter_key_missing(tmp_path, key):
    text = "".join(line for line in SOURCE.splitlines(keepends=True) if not line.startswith(f"{key}:"))
    _, diags = found(tmp_path, text)
    assert diags[("front-matter-key-missing", 1)] == "error"


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("estimated_minutes: 1", "estimated_minutes: twenty"),
        ("version: 1.0.0", "version: 1.0"),
        ("pass_mark: 70", "pass_mark: 70.5"),
        ("audience: [political, posted-at-risk]", "audience: political"),
        ("risk_factors: [RF1, RF7, RF8, RF9]", "risk_factors: RF1"),
        ("title: Early warning before an election", "title: [a, b]"),
    ],
)
def test_front_matter_type(tmp_path, old, new):
    assert_error(tmp_path, edit(old, new), "front-matter-type", new)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("id: valid-module", "id: Valid_Module"),
        ("version: 1.0.0", "version: v1"),
        ("pass_mark: 70", "pass_mark: 101"),
        ("estimated_minutes: 1", "estimated_minutes: 0"),
        ("pass_mark: 70", "pass_mark: 70\nlanguage: english!"),
    ],
)
def test_front_matter_range(tmp_path, old, new):
    assert_error(tmp_path, edit(old, new), "front-matter-range", new.splitlines()[-1])


def test_front_matter_unknown_key_is_a_warning(tmp_path):
    assert_warning(tmp_path, edit("pass_mark: 70", "pass_mark: 70\npasmark: 80"), "front-matter-unknown-key", "pasmark")


def test_start_unknown(tmp_path):
    assert_error(tmp_path, edit("pass_mark: 70", "pass_mark: 70\nstart: nowhere"), "start-unknown", "start:")


def test_encoding_invalid(tmp_path):
    path = tmp_path / "latin.md"
    path.write_bytes(SOURCE.replace("Varessa", "Var\xe9ssa").encode("latin-1"))
    module, diagnostics = parse_module(path)
    assert module is None
    assert [(d.code, d.line) for d in diagnostics] == [("encoding-invalid", 1)]


# Scenes and ids ------------------------------------------------------------------------------


def test_no_scenes(tmp_path):
    text = SOURCE.split("## Posters")[0]
    module, diags = found(tmp_path, text)
    assert diags == {("no-scenes", line_of(text, "pass_mark") + 2): "error"}  # the body's first line
    assert module is None


def test_scene_id_missing(tmp_path):
    assert_error(tmp_path, edit("## Too late {#end-poor .end outcome=poor}", "## Too late"), "scene-id-missing", "## Too late")


def test_duplicate_scene_id(tmp_path):
    text = edit("## Your report reaches London in time {#end-good .end outcome=good}", "## Your report reaches London in time {#later .end}")
    assert_error(tmp_path, text, "duplicate-scene-id", "{#later .end}")


def test_duplicate_choice_id(tmp_path):
    assert_error(tmp_path, edit("{id=wait score=1}", "{id=note score=1}"), "duplicate-choice-id", "[Wait for")


def test_duplicate_question_id(tmp_path):
    assert_error(tmp_path, edit("{#q-intent}", "{#q-elections}"), "duplicate-question-id", "Which of these are")


def test_choice_and_question_ids_missing(tmp_path):
    text = edit("(#later) {id=ignore score=0 rf=RF8}", "(#later) {score=0 rf=RF8}", "{#q-intent}", "")
    assert_error(tmp_path, text, "choice-id-missing", "[Leave it")
    assert_error(tmp_path, text, "question-id-missing", "Which of these are")


def test_id_invalid(tmp_path):
    assert_error(tmp_path, edit("{id=wait score=1}", "{id=wait! score=1}"), "id-invalid", "[Wait for")


def test_attribute_unknown_and_invalid(tmp_path):
    text = edit("{id=wait score=1}", "{id=wait scroe=1}", "{#end-poor .end outcome=poor}", "{#end-poor .ending}")
    assert_error(tmp_path, text, "attribute-unknown", "[Wait for")
    assert_error(tmp_path, text, "attribute-unknown", "{#end-poor .ending}")
    assert_error(tmp_path, edit("{id=wait score=1}", "{id=wait =1}"), "attribute-invalid", "[Wait for")


def test_outcome_invalid(tmp_path):
    assert_error(tmp_path, edit("outcome=poor", "outcome=bad"), "outcome-invalid", "## Too late")
    assert_error(tmp_path, edit("{#later}", "{#later outcome=poor}"), "outcome-invalid", "{#later")


# The scene graph ------------------------------------------------------------------------------


def test_unknown_target(tmp_path):
    assert_error(tmp_path, edit("(#end-poor)", "(#end-pour)"), "unknown-target", "[Report it now]")


def test_choice_targets_check(tmp_path):
    assert_error(tmp_path, edit("(#end-poor)", "(#check)"), "choice-targets-check", "[Report it now]")


def test_choice_not_link(tmp_path):
    text = edit("- [Wait for the election result](#later)", "- Wait for the election result (#later)")
    assert_error(tmp_path, text, "choice-not-link", "- Wait for the election")


def test_loose_end(tmp_path):
    text = edit("- [Report it now](#end-poor) {id=late-report score=1}\n  > Better late than never, but the window has closed.\n", "")
    assert_error(tmp_path, text, "loose-end", "{#later}")


def test_ending_with_choices(tmp_path):
    text = edit("London funds a monitoring mission.\n", "London funds a monitoring mission.\n\n- [Again](#arrival) {id=again}\n  > Once more.\n")
    assert_error(tmp_path, text, "ending-with-choices", "{#end-good")


def test_no_ending(tmp_path):
    text = edit("{#end-good .end outcome=good}", "{#end-good}", "{#end-poor .end outcome=poor}", "{#end-poor}")
    assert_error(tmp_path, text, "no-ending", "{#arrival}")


def test_cycle_is_reported_at_the_choice_that_loops(tmp_path):
    text = edit("(#end-poor) {id=late-report", "(#arrival) {id=late-report")
    module, diags = found(tmp_path, text)
    assert diags[("cycle", line_of(text, "id=late-report"))] == "error"
    assert module is None


def test_trap(tmp_path):
    text = edit(
        "- [Report it now](#end-poor)", "- [Report it now](#limbo)",
        "## Too late", "## Limbo {#limbo}\n\nNothing.\n\n- [Back](#later) {id=back}\n  > Round again.\n\n## Too late",
    )  # fmt: skip
    module, diags = found(tmp_path, text)
    assert diags[("trap", line_of(text, "{#later}"))] == "error"
    assert diags[("trap", line_of(text, "{#limbo}"))] == "error"
    assert ("cycle", line_of(text, "{id=back}")) in diags


def test_unreachable_scene_is_a_warning(tmp_path):
    text = edit("## Too late", "## Nobody comes here {#orphan .end}\n\nAlone.\n\n## Too late")
    assert_warning(tmp_path, text, "unreachable-scene", "{#orphan")


# Feedback, scores, questions ---------------------------------------------------------------------


def test_choice_feedback_missing(tmp_path):
    assert_error(tmp_path, edit("  > Waiting loses the time you have.\n", ""), "choice-feedback-missing", "[Wait for")


def test_feedback_not_indented_is_missing(tmp_path):
    text = edit("  > Waiting loses the time you have.", "> Waiting loses the time you have.")
    assert_error(tmp_path, text, "choice-feedback-missing", "[Wait for")


def test_option_feedback_missing(tmp_path):
    assert_error(tmp_path, edit("  > No.\n", ""), "option-feedback-missing", "A free press")


@pytest.mark.parametrize("score", ["-1", "two", "1.5"])
def test_score_invalid(tmp_path, score):
    assert_error(tmp_path, edit("{id=wait score=1}", f"{{id=wait score={score}}}"), "score-invalid", "[Wait for")


def test_points_invalid(tmp_path):
    assert_error(tmp_path, edit("{#q-intent}", "{#q-intent points=lots}"), "points-invalid", "{#q-intent")


def test_question_too_few_options(tmp_path):
    text = edit("- [ ] RF3 Weakness of State structures\n  > State weakness matters, but an election is an event.\n", "")
    assert_error(tmp_path, text, "question-too-few-options", "{#q-elections")


def test_question_no_correct(tmp_path):
    assert_error(tmp_path, edit("- [x] RF8 Triggering", "- [ ] RF8 Triggering"), "question-no-correct", "{#q-elections")


def test_option_not_checkbox(tmp_path):
    assert_error(tmp_path, edit("- [ ] A free press", "- A free press"), "option-not-checkbox", "A free press")


def test_check_duplicate(tmp_path):
    text = SOURCE + "\n## More questions {#check-2 .check}\n\n### Q {#q3}\n- [x] a\n  > a\n- [ ] b\n  > b\n"
    assert_error(tmp_path, text, "check-duplicate", "{#check-2 .check}")


def test_check_empty_is_a_warning(tmp_path):
    text = SOURCE.split("## Knowledge check")[0] + "## Knowledge check {#check .check}\n\nNothing yet.\n"
    assert_warning(tmp_path, text, "check-empty", "{#check .check}")


# Risk factors --------------------------------------------------------------------------------


def test_rf_unknown(tmp_path):
    assert_error(tmp_path, edit("{id=wait score=1}", "{id=wait score=1 rf=RF15}"), "rf-unknown", "[Wait for")
    assert_error(tmp_path, edit("[RF1, RF7, RF8, RF9]", "[RF1, RF7, RF8, RF9, RF0]"), "rf-unknown", "risk_factors:")


def test_rf_not_listed(tmp_path):
    assert_error(tmp_path, edit("{id=wait score=1}", "{id=wait score=1 rf=RF2}"), "rf-not-listed", "[Wait for")


def test_rf_not_exercised(tmp_path):
    assert_error(tmp_path, edit("[RF1, RF7, RF8, RF9]", "[RF1, RF3, RF7, RF8, RF9]"), "rf-not-exercised", "risk_factors:")


def test_question_rf_counts_as_exercised(tmp_path):
    # RF8 is exercised both by the `ignore` choice and by q-elections: dropping one keeps it covered.
    module, diags = found(tmp_path, edit("{id=ignore score=0 rf=RF8}", "{id=ignore score=0}"))
    assert diags == {} and module is not None
    _, diags = found(tmp_path, edit("{id=ignore score=0 rf=RF8}", "{id=ignore score=0}", "points=2 rf=RF8}", "points=2}"))
    assert ("rf-not-exercised", line_of(SOURCE, "risk_factors:")) in diags


# Text ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "needle"),
    [
        ("The violence spreads.", "The violence <b>spreads</b>.", "<b>spreads"),
        ("The violence spreads.", "The violence spreads.\n\n<script>alert(1)</script>", "<script>"),
        ("The violence spreads.", "The violence\nspreads <img src=x onerror=alert(1)>.", "onerror"),
        ("  > No.", "  > No <span>really</span>.", "<span>"),
        ("The violence spreads.", "The violence spreads.\n\n<!-- note to self -->", "<!--"),
    ],
)
def test_raw_html_rejects_the_module(tmp_path, old, new, needle):
    assert_error(tmp_path, edit(old, new), "raw-html", needle)


def test_html_in_code_is_not_raw_html(tmp_path):
    module, diags = found(tmp_path, edit("The violence spreads.", "The violence spreads: `<b>`."))
    assert diags == {} and module is not None


def test_image_without_alt_is_a_warning(tmp_path):
    text = edit("The violence spreads.", "The violence spreads.\nSee the map:\n![](map.png)")
    assert_warning(tmp_path, text, "image-alt-missing", "![](map.png)")


def test_todo_left_is_a_warning(tmp_path):
    assert_warning(tmp_path, edit("The violence spreads.", "The violence spreads. FIXME check this."), "todo-left", "FIXME")


# Scoring -------------------------------------------------------------------------------------


def test_pass_mark_unreachable_when_nothing_scores(tmp_path):
    text = edit("score=2", "score=0", "score=3", "score=0", "{id=wait score=1}", "{id=wait}", "{id=late-report score=1}", "{id=late-report}")
    text = text.replace("points=2", "points=0").replace("{#q-intent}", "{#q-intent points=0}")
    module, diags = found(tmp_path, text)
    assert diags[("pass-mark-unreachable", line_of(text, "pass_mark"))] == "error"
    assert module is None


def test_pass_mark_not_discriminating(tmp_path):
    # Worst path scores 1, questions 3, maximum 8: 50% passes a 50% mark but not 51%.
    assert_warning(tmp_path, edit("pass_mark: 70", "pass_mark: 50"), "pass-mark-not-discriminating", "pass_mark")
    module, diags = found(tmp_path, edit("pass_mark: 70", "pass_mark: 51"))
    assert diags == {}


def test_reading_time_mismatch(tmp_path):
    assert_warning(tmp_path, edit("estimated_minutes: 1", "estimated_minutes: 5"), "reading-time-mismatch", "estimated_minutes")


# Library and paths ---------------------------------------------------------------------------


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def test_duplicate_module_id_rejects_every_file_using_it(tmp_path):
    write(tmp_path, "a.md", SOURCE)
    write(tmp_path, "b.md", SOURCE)
    library = load_library(tmp_path)
    assert library.modules == {}
    assert library.rejected == {str(tmp_path / "a.md"): "valid-module", str(tmp_path / "b.md"): "valid-module"}
    assert [(Path(d.file).name, d.line, d.code) for d in library.errors] == [
        ("a.md", 2, "duplicate-module-id"), ("b.md", 2, "duplicate-module-id"),
    ]  # fmt: skip


def test_library_skips_readme_and_translations_and_keeps_good_modules(tmp_path):
    write(tmp_path, "valid-module.md", SOURCE)
    write(tmp_path, "valid-module.cy.md", edit("pass_mark: 70", "pass_mark: 70\nlanguage: cy"))  # same id: a translation
    write(tmp_path, "README.md", "# How to write modules\n<b>not a module</b>\n")
    write(tmp_path, "broken.md", edit("id: valid-module", "id: broken", "(#end-poor)", "(#nowhere)"))
    library = load_library(tmp_path)
    assert list(library.modules) == ["valid-module"]
    assert library.rejected == {str(tmp_path / "broken.md"): "broken"}
    # The scene behind the broken link is not also called a trap; the ending it cut off is unreachable.
    assert {(Path(d.file).name, d.code) for d in library.diagnostics} == {
        ("broken.md", "unknown-target"), ("broken.md", "unreachable-scene"),
    }  # fmt: skip


def test_library_reads_risk_factors_and_limits_codes_to_them(tmp_path):
    write(tmp_path, "risk-factors.yaml", (
        "groups:\n  common: Common\n  genocide: Genocide\nfactors:\n"
        "  - {code: RF1, title: Conflict, summary: War., group: common}\n"
        "  - {code: RF9, title: Tensions, summary: Hate., group: genocide}\n"
    ))  # fmt: skip
    write(tmp_path, "m.md", SOURCE)
    library = load_library(tmp_path)
    assert library.risk_factors["RF9"].number == 9
    assert library.risk_factors["RF9"].group == "genocide"
    assert {d.code for d in library.errors} == {"rf-unknown"}  # RF7 and RF8 are not in this file
    assert library.rejected == {str(tmp_path / "m.md"): "valid-module"}


@pytest.mark.parametrize(
    "yaml_text",
    ["factors: [", "groups: {}\n", "factors:\n  - {code: RFX, title: t, summary: s, group: common}\n",
     "groups: {common: C}\nfactors:\n  - {code: RF1, title: t, summary: s, group: other}\n"],
)  # fmt: skip
def test_risk_factors_invalid(tmp_path, yaml_text):
    path = write(tmp_path, "risk-factors.yaml", yaml_text)
    with pytest.raises(ValueError):
        load_risk_factors(path)
    library = load_library(tmp_path)
    assert [(d.file, d.code) for d in library.errors] == [(str(path), "risk-factors-invalid")]


def test_lint_paths_mixes_files_and_folders_sorted(tmp_path):
    folder = tmp_path / "modules"
    folder.mkdir()
    write(folder, "b.md", edit("id: valid-module", "id: other", "The violence spreads.", "TODO"))
    write(folder, "a.md", edit("id: valid-module", "id: first", "{id=wait score=1}", "{id=wait score=x}"))
    loose = write(tmp_path, "loose.md", edit("id: valid-module", "id: first"))
    diagnostics = lint_paths([loose, folder, folder / "a.md"])
    assert [(Path(d.file).name, d.code) for d in diagnostics] == [
        ("loose.md", "duplicate-module-id"),  # tmp/loose.md sorts before tmp/modules/...
        ("a.md", "duplicate-module-id"), ("a.md", "score-invalid"), ("b.md", "todo-left"),
    ]  # fmt: skip
    assert diagnostics == sorted(diagnostics, key=lambda d: (d.file, d.line))


# Cues and harm (issue: training that cannot be clicked through) ------------------------------


def test_a_good_path_that_cannot_reach_the_pass_mark_is_an_error(tmp_path):
    # ignore (0) -> late-report (1) -> a good ending: 1 + 3 question points = 4/8 = 50%, under 70%.
    text = edit("## Too late {#end-poor .end outcome=poor}", "## Too late {#end-poor .end outcome=good}")
    module, diags = found(tmp_path, text)
    assert diags[("good-path-cannot-pass", line_of(text, "pass_mark"))] == "error"
    assert module is None


def test_best_choice_longest_at_most_decision_points_is_a_warning(tmp_path):
    text = edit("[Leave it for now: the campaign here is heated and loud](#later)", "[Leave it](#later)")
    assert_warning(tmp_path, text, "best-choice-longest", "{#arrival}")


def test_right_answer_longest_in_most_single_answer_questions_is_a_warning(tmp_path):
    text = edit("- [x] RF8 Triggering factors", "- [x] RF8 Triggering factors, such as elections and anniversaries")
    assert_warning(tmp_path, text, "right-answer-longest", "{#q-elections")


def test_never_or_always_in_a_wrong_option_is_a_warning(tmp_path):
    text = edit("[Wait for the election result](#later)", "[Always wait for the election result](#later)")
    assert_warning(tmp_path, text, "absolute-wrong-option", "Always wait")
    text = edit("- [ ] RF3 Weakness of State structures", "- [ ] RF3 State structures never weaken before elections")
    assert_warning(tmp_path, text, "absolute-wrong-option", "never weaken")


def test_pin_last_and_shuffle_false_are_read_and_checked(tmp_path):
    text = edit("- [ ] RF3 Weakness of State structures", "- [ ] RF3 Weakness of State structures {pin=last}",
                "pass_mark: 70", "pass_mark: 70\nshuffle: false")
    module, diags = found(tmp_path, text)
    assert diags == {} and module is not None and module.shuffle is False
    question = module.question("q-elections")
    assert question.options[0].pin_last and question.options[0].text_html == "RF3 Weakness of State structures"
    module, diags = found(tmp_path, edit("{id=wait score=1}", "{id=wait score=1 pin=first}"))
    assert diags[("attribute-invalid", line_of(SOURCE, "{id=wait score=1}"))] == "error"
    module, diags = found(tmp_path, edit("pass_mark: 70", "pass_mark: 70\nshuffle: sometimes"))
    assert diags[("front-matter-type", line_of(SOURCE, "pass_mark") + 1)] == "error"


# Wording (issue 11: said once, no contradictions, acronyms spelled out) ---------------------------


def test_scene_ending_with_the_players_legend_is_a_warning(tmp_path):
    text = edit('calling a minority "vermin".\n', 'calling a minority "vermin".\n\nWhat do you do?\n')
    assert_warning(tmp_path, text, "question-repeated", "{#arrival}")
    text = edit('calling a minority "vermin".\n', 'calling a minority "vermin". What do you do with them?\n')
    assert found(tmp_path, text)[1] == {}  # another question is not the legend
    scene_template = (PROJECT_ROOT / "templates" / "components" / "scene.html").read_text(encoding="utf-8")
    assert f'"text": "{wording.CHOICE_LEGEND}"' in scene_template


def test_select_all_that_apply_in_a_multiple_answer_question_is_a_warning(tmp_path):
    assert_warning(tmp_path, edit("Think about what each one shows.", "Select all that apply."),
                   "select-all-repeated", "{#q-intent")
    text = edit("indicators of intent? {#q-intent}", "indicators of intent? Select all that apply. {#q-intent}")
    assert_warning(tmp_path, text, "select-all-repeated", "{#q-intent")
    player = (PROJECT_ROOT / "templates" / "learn" / "attempt.html").read_text(encoding="utf-8")
    assert wording.SELECT_ALL.search(player)  # the player says it instead


@pytest.mark.parametrize("verdict", ["Correct.", "Incorrect:", "Not correct.", "Right,", "Wrong.", "correct -"])
def test_a_verdict_word_opening_select_all_option_feedback_is_a_warning(tmp_path, verdict):
    text = edit("- [x] Lists of members of a group\n  > Yes.", f"- [x] Lists of members of a group\n  > {verdict} Lists")
    assert_warning(tmp_path, text, "option-feedback-verdict", "- [x] Lists of members")


def test_verdict_words_are_fine_in_single_answer_questions_and_later_in_the_text(tmp_path):
    # The valid module's single-answer option says "Right: events such as elections ...".
    text = edit("- [ ] A free press\n  > No.", "- [ ] A free press\n  > A free press is not wrong or right here.")
    assert found(tmp_path, text)[1] == {}


GUIDE = """# Writing modules

## Acronyms

| acronym | in full |
|---|---|
| FCDO | Foreign, Commonwealth and Development Office |
| NGO | non-governmental organisation |

## Another section

| FCDX | not an acronym table |
"""


def acronym_warnings(tmp_path: Path, text: str) -> list[tuple[int, str]]:
    write(tmp_path, "README.md", GUIDE)
    write(tmp_path, "module.md", text)
    return [(d.line, d.message.split()[4]) for d in lint_paths([tmp_path]) if d.code == "acronym-not-expanded"]


def test_the_acronym_list_is_read_from_the_guide(tmp_path):
    write(tmp_path, "README.md", GUIDE)
    assert wording.read_acronyms(tmp_path / "README.md") == {
        "FCDO": "Foreign, Commonwealth and Development Office", "NGO": "non-governmental organisation"}
    assert wording.read_acronyms(tmp_path / "missing.md") == {}


def test_an_acronym_used_before_it_is_spelled_out_is_a_warning(tmp_path):
    text = edit("fictional country.", "fictional country. Report to the FCDO desk, as the FCDO asks.")
    assert acronym_warnings(tmp_path, text) == [(line_of(text, "FCDO desk"), "FCDO")]  # once, at the first use
    text = edit("fictional country.", "fictional country. Report to the Foreign, Commonwealth & Development "
                "Office (FCDO) desk, and to the FCDO team.")
    assert acronym_warnings(tmp_path, text) == []
    text = edit("fictional country.", "fictional country. Local non-governmental organisations (NGOs) help.",
                "Violence breaks out", "NGOs say violence breaks out")
    assert acronym_warnings(tmp_path, text) == []  # plurals count
    assert found(tmp_path, edit("fictional country.", "fictional country. Tell the FCDO."))[1] == {}  # no guide
    text = edit("summary: A political officer sees", "summary: An FCDO officer sees",
                "fictional country.", "fictional country, for the Foreign, Commonwealth and Development Office (FCDO).")
    assert acronym_warnings(tmp_path, text) == [(line_of(text, "summary:"), "FCDO")]  # the summary is read first


def test_an_acronym_spelled_out_on_only_some_paths_is_a_warning_where_the_others_meet_it(tmp_path):
    # `later` is reached after the `raise` feedback (which spells it out) or after `ignore` (which does not).
    text = edit("(RF9) and can be preparatory action (RF7).",
                "(RF9) and can be preparatory action (RF7). Tell the Foreign, Commonwealth and Development Office (FCDO).",
                "Violence breaks out in the north.", "Violence breaks out in the north. The FCDO asks why.")
    assert acronym_warnings(tmp_path, text) == [(line_of(text, "The FCDO asks why"), "FCDO")]
    text = edit("(RF9) and can be preparatory action (RF7).",
                "(RF9) and can be preparatory action (RF7). Tell the Foreign, Commonwealth and Development Office (FCDO).",
                "London funds a monitoring mission.", "The FCDO funds a monitoring mission.")
    assert acronym_warnings(tmp_path, text) == []  # every path to that ending passes the `raise` feedback


def test_acronyms_in_shuffled_options_count_only_once_the_options_are_read(tmp_path):
    text = edit("- [x] Dehumanising posters", "- [x] Dehumanising posters, says a non-governmental organisation (NGO)",
                "- [ ] A free press\n  > No.", "- [ ] A free press, says an NGO\n  > No.")
    assert acronym_warnings(tmp_path, text) == [(line_of(text, "says an NGO"), "NGO")]
    text = edit("Answer both questions.", "Answer both questions, as a non-governmental organisation (NGO) would.",
                "- [ ] A free press\n  > No.", "- [ ] A free press, says an NGO\n  > No.")
    assert acronym_warnings(tmp_path, text) == []
