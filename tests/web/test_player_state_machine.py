"""A Hypothesis state machine plays the test module through the real forms (in-process client): random choices,
double submits, back-button replays of old steps, posts naming a step that is not current, resuming by starting
again, rewinding from a poor ending and answering the check with random options. After every move the player's
invariants hold, and a move that was not the current step's changed nothing at all."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test
from sqlmodel import Session, select

from app.models import Attempt, AttemptEvent, AttemptState, Completion, EventKind
from tests.factories import PASSWORD, make_official

MODULE_ID = "checkpoint-visit"
# Valid orders of an attempt's events: started and its first scene; then moves (a choice and the next scene shown,
# a rewind and the scene it returns to); last, a choice waiting for "Continue", or the check shown, or the check
# shown, its answers and finished.
EVENT_ORDER = re.compile(r"^S V(?: C V| R V)*(?: C| V| V(?: A)+ F| F)?$")
LETTERS = {EventKind.STARTED: "S", EventKind.SCENE_SHOWN: "V", EventKind.CHOICE_MADE: "C", EventKind.REWOUND: "R",
           EventKind.ANSWER_GIVEN: "A", EventKind.FINISHED: "F"}


@dataclass(frozen=True)
class Post:
    url: str
    data: tuple[tuple[str, str], ...]


def snapshot(engine, official_id: int) -> tuple:
    """Everything the player records for one official: attempts, their events and completions."""
    with Session(engine) as session:
        attempts = session.exec(select(Attempt).where(Attempt.official_id == official_id).order_by(Attempt.id)).all()
        ids = [a.id for a in attempts]
        events = session.exec(select(AttemptEvent).where(AttemptEvent.attempt_id.in_(ids))
                              .order_by(AttemptEvent.attempt_id, AttemptEvent.seq)).all()
        completions = session.exec(select(Completion).where(Completion.official_id == official_id)
                                   .order_by(Completion.id)).all()
        return (
            tuple((a.id, a.state, a.current_scene, a.pending_choice, a.step, a.path_score, a.score, a.passed,
                   a.finished_at) for a in attempts),
            tuple((e.attempt_id, e.seq, e.kind, e.scene_id, e.choice_id, e.question_id, e.answer, e.correct, e.score)
                  for e in events),
            tuple((c.id, c.attempt_id, c.score, c.percent) for c in completions),
        )


class PlayerMachine(RuleBasedStateMachine):
    """One new learner per run, signed in on the shared client; `engine`, `client` and `module` are set by the test."""

    engine = client = module = None

    def __init__(self) -> None:
        super().__init__()
        with Session(self.engine, expire_on_commit=False) as session:
            self.official = make_official(session)
        raw = self.client.client
        raw.cookies.clear()
        self.client.sign_in(self.official.email, PASSWORD)
        self.csrf = self.client.csrf_token("/training")
        self.posted: list[Post] = []  # every form sent, for double submits and back-button replays
        self.steps: dict[int, int] = {}  # each attempt's step when last looked at: it never goes back

    # --- helpers -----------------------------------------------------------------------------------------------
    def open_attempt(self) -> Attempt | None:
        with Session(self.engine) as session:
            return session.exec(select(Attempt).where(Attempt.official_id == self.official.id,
                                                      Attempt.module_id == MODULE_ID,
                                                      Attempt.finished_at.is_(None))).first()

    def post(self, url: str, **fields: str | list[str]):
        data = [("csrf_token", self.csrf)]
        for name, value in fields.items():
            data += [(name, v) for v in value] if isinstance(value, list) else [(name, value)]
        post = Post(url, tuple(data))
        self.posted.append(post)
        return self.send(post)

    def send(self, post: Post):
        form: dict[str, list[str]] = {}
        for name, value in post.data:
            form.setdefault(name, []).append(value)
        response = self.client.client.post(post.url, data=form, follow_redirects=False)
        assert response.status_code in (303, 422), (post, response.status_code, response.text[:300])
        return response

    def move(self, kind: str, attempt: Attempt, step: int, **fields):
        return self.post(f"/attempts/{attempt.id}/{kind}", step=str(step), **fields)

    def assert_unchanged(self, before: tuple) -> None:
        assert snapshot(self.engine, self.official.id) == before

    # --- rules ---------------------------------------------------------------------------------------------------
    @rule()
    def start_or_resume(self):
        before, attempt = snapshot(self.engine, self.official.id), self.open_attempt()
        response = self.post(f"/modules/{MODULE_ID}/attempts")
        assert response.status_code == 303
        if attempt is not None:  # resume: the same attempt, nothing recorded
            assert response.headers["location"] == f"/attempts/{attempt.id}"
            self.assert_unchanged(before)
        else:
            started = self.open_attempt()
            assert started is not None and started.step == 0 and started.current_scene == self.module.start
            assert response.headers["location"] == f"/attempts/{started.id}"

    @rule(data=st.data())
    def choose(self, data, valid: bool = False):
        attempt = self.open_attempt()
        if attempt is None:
            return
        scene = self.module.scene(attempt.current_scene)
        ids = [c.id for c in scene.choices] if scene and not scene.is_end else []
        every = sorted({c.id for s in self.module.scenes.values() for c in s.choices} | {"no-such-choice"})
        choice_id = data.draw(st.sampled_from(ids) if ids and (valid or data.draw(st.booleans())) else st.sampled_from(every))
        before = snapshot(self.engine, self.official.id)
        response = self.move("choice", attempt, attempt.step, scene=attempt.current_scene, choice=choice_id)
        after = self.open_attempt()
        if attempt.state == AttemptState.SCENE and choice_id in ids:
            choice = scene.choice(choice_id)
            assert (after.state, after.pending_choice, after.step) == (AttemptState.FEEDBACK, choice_id, attempt.step + 1)
            assert after.path_score == attempt.path_score + choice.score
        else:
            assert response.status_code == 303
            self.assert_unchanged(before)

    @rule(data=st.data(), moves=st.integers(1, 8))
    def play_on(self, data, moves):
        """A few of the moves the page offers (most learners' next clicks), so runs reach endings, rewinds, the
        check and passes, between the odd moves of the other rules."""
        for _ in range(moves):
            attempt = self.open_attempt()
            if attempt is None:
                self.start_or_resume()
            elif attempt.state == AttemptState.SCENE:
                self.choose(data, valid=True)
            elif attempt.state == AttemptState.CHECK:
                self.answer(data, complete=True)
            elif attempt.state == AttemptState.ENDING and self.module.scene(attempt.current_scene).outcome == "poor" \
                    and data.draw(st.booleans()):
                self.rewind()
            else:
                self.proceed()
            self.the_record_is_consistent()

    @rule()
    def choose_nothing(self):
        attempt = self.open_attempt()
        if attempt is None:
            return
        before = snapshot(self.engine, self.official.id)
        response = self.move("choice", attempt, attempt.step, scene=attempt.current_scene)
        assert response.status_code == (422 if attempt.state == AttemptState.SCENE else 303)
        self.assert_unchanged(before)

    @rule()
    def proceed(self):
        attempt = self.open_attempt()
        if attempt is None:
            return
        before = snapshot(self.engine, self.official.id)
        self.move("continue", attempt, attempt.step)
        if attempt.state not in (AttemptState.FEEDBACK, AttemptState.ENDING):
            self.assert_unchanged(before)
            return
        with Session(self.engine) as session:
            after = session.get(Attempt, attempt.id)
        assert after.step == attempt.step + 1
        if attempt.state == AttemptState.FEEDBACK:
            target = self.module.scene(attempt.current_scene).choice(attempt.pending_choice).target
            assert after.current_scene == target and after.pending_choice is None
        else:
            assert after.state == (AttemptState.CHECK if self.module.questions else AttemptState.FINISHED)

    @rule()
    def rewind(self):
        attempt = self.open_attempt()
        if attempt is None:
            return
        before = snapshot(self.engine, self.official.id)
        self.move("rewind", attempt, attempt.step)
        scene = self.module.scene(attempt.current_scene)
        if attempt.state == AttemptState.ENDING and scene.outcome == "poor":
            after = self.open_attempt()
            assert after.state == AttemptState.SCENE and after.step == attempt.step + 1
            assert any(c.target == attempt.current_scene for c in self.module.scene(after.current_scene).choices)
        else:
            self.assert_unchanged(before)

    @rule(data=st.data())
    def answer(self, data, complete: bool = False):
        attempt = self.open_attempt()
        if attempt is None:
            return
        fields = {f"q-{q.id}": data.draw(st.lists(st.sampled_from([o.key for o in q.options] + ([] if complete else ["9"])),
                                                  unique=True, min_size=1 if complete else 0))
                  for q in self.module.questions}
        before = snapshot(self.engine, self.official.id)
        response = self.move("answers", attempt, attempt.step, **fields)
        valid = {q.id: {k for k in fields[f"q-{q.id}"] if q.option(k)} for q in self.module.questions}
        if attempt.state != AttemptState.CHECK:
            assert response.status_code == 303
            self.assert_unchanged(before)
        elif not all(valid.values()):
            assert response.status_code == 422
            self.assert_unchanged(before)
        else:
            assert response.headers["location"] == f"/attempts/{attempt.id}/result"
            with Session(self.engine) as session:
                finished = session.get(Attempt, attempt.id)
            points = sum(q.points for q in self.module.questions if q.is_correct(valid[q.id]))
            assert finished.state == AttemptState.FINISHED and finished.score == attempt.path_score + points

    @precondition(lambda self: self.posted)
    @rule()
    def double_submit(self):
        """The last form again (a double click, a resubmitted form): nothing changes."""
        before = snapshot(self.engine, self.official.id)
        self.send(self.posted[-1])
        self.assert_unchanged(before)

    @precondition(lambda self: any("/attempts/" in p.url and "/modules/" not in p.url for p in self.posted))
    @rule(data=st.data())
    def replay_an_old_step(self, data):
        """The back button, then an old step's form sent again: an attempt's state at a given step never changes,
        so a move already made (or refused) there is stale now."""
        moves = [p for p in self.posted if "/modules/" not in p.url]
        post = data.draw(st.sampled_from(moves))
        before = snapshot(self.engine, self.official.id)
        self.send(post)
        self.assert_unchanged(before)

    @rule(data=st.data(), kind=st.sampled_from(["choice", "continue", "rewind", "answers"]))
    def post_a_step_that_is_not_current(self, data, kind):
        attempt = self.open_attempt()
        if attempt is None:
            return
        step = data.draw(st.integers(-1, attempt.step + 3).filter(lambda n: n != attempt.step))
        scene = self.module.scene(attempt.current_scene)
        choice = scene.choices[0].id if scene and scene.choices else "x"
        before = snapshot(self.engine, self.official.id)
        fields = {"scene": attempt.current_scene, "choice": choice} if kind == "choice" else {}
        if kind == "answers":
            fields = {f"q-{q.id}": sorted(q.correct_keys) for q in self.module.questions}
        self.move(kind, attempt, step, **fields)
        self.assert_unchanged(before)

    # --- invariants ----------------------------------------------------------------------------------------------
    @invariant()
    def the_record_is_consistent(self):
        with Session(self.engine) as session:
            attempts = session.exec(select(Attempt).where(Attempt.official_id == self.official.id)).all()
            assert sum(1 for a in attempts if a.finished_at is None) <= 1  # one open attempt at a time
            for attempt in attempts:
                assert attempt.step >= self.steps.get(attempt.id, 0), "an attempt's step went back"
                self.steps[attempt.id] = attempt.step
                events = session.exec(select(AttemptEvent).where(AttemptEvent.attempt_id == attempt.id)
                                      .order_by(AttemptEvent.seq)).all()
                kinds = [EventKind(e.kind) for e in events]
                assert [e.seq for e in events] == list(range(1, len(events) + 1))  # no two events share a number
                assert EVENT_ORDER.match(" ".join(LETTERS[k] for k in kinds)), kinds
                # Each move is one step with its own events: a choice, a scene shown (after a choice, a rewind or
                # at the check) or the finish; starting shows the first scene at step 0.
                moves = kinds.count(EventKind.CHOICE_MADE) + kinds.count(EventKind.SCENE_SHOWN) - 1 + kinds.count(
                    EventKind.FINISHED)
                assert attempt.step == moves
                assert attempt.path_score == sum(e.score for e in events
                                                 if e.kind in (EventKind.CHOICE_MADE, EventKind.REWOUND))
                completions = session.exec(select(Completion).where(Completion.attempt_id == attempt.id)).all()
                if attempt.finished_at is None:
                    assert attempt.state != AttemptState.FINISHED and attempt.score is None and not completions
                    continue
                assert attempt.state == AttemptState.FINISHED and kinds[-1] == EventKind.FINISHED
                answers = [e for e in events if e.kind == EventKind.ANSWER_GIVEN]
                assert all(e.score == (self.points(e.question_id) if e.correct else 0) for e in answers)
                assert attempt.score == attempt.path_score + sum(e.score for e in answers) == events[-1].score
                outcome = self.module.scene(attempt.current_scene).outcome
                if attempt.passed:
                    assert outcome != "poor" and attempt.percent >= self.module.pass_mark
                    assert len(completions) == 1 and completions[0].score == attempt.score
                else:
                    assert not completions
                    assert outcome == "poor" or attempt.percent < self.module.pass_mark

    def points(self, question_id: str) -> int:
        return next(q.points for q in self.module.questions if q.id == question_id)


def test_the_player_keeps_its_invariants_whatever_is_posted(engine, client, test_library):
    PlayerMachine.engine, PlayerMachine.client = engine, client
    PlayerMachine.module = test_library.get(MODULE_ID)
    run_state_machine_as_test(PlayerMachine, settings=settings(
        max_examples=25, stateful_step_count=30, deadline=None, derandomize=True,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]))


@pytest.fixture(autouse=True)
def _forget_the_fixtures():
    yield
    PlayerMachine.engine = PlayerMachine.client = PlayerMachine.module = None
