"""One learner's next button press, whatever it is, with a record of what the service accepted.

Shared by the Locust learners (`locustfile.py`) and the database fault test. It drives a `tests.live.Learner`
(or a subclass sending its requests another way): start a module, then post the current step's form (the
best choice or a random one). A press that fails (a 503, no answer) is pressed again with exactly the same
fields, as a person pressing the button again would; the service treats a repeat of a step already taken as
stale. A choice or an answer counts as *accepted* once the attempt is seen to have moved past the step it was
made at: that is what the post-run checks compare with the attempt events in the database.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable

from app.content.model import Module
from tests.live import Form, Learner, best_answers, random_answers

_ATTEMPT = re.compile(r"/attempts/(\d+)")


class Player:
    def __init__(self, learner: Learner, modules: list[Module], rng: random.Random,
                 accepted: Callable[[dict], None], *, best_share: float = 0.5) -> None:
        self.learner, self.modules, self.rng, self.accepted = learner, modules, rng, accepted
        self.best_share = best_share
        self.module: Module | None = None
        self.attempt_url: str | None = None
        self.form: Form | None = None
        self.pending: dict[str, str | list[str]] | None = None  # the fields of a press not yet seen through
        self.pending_form: Form | None = None  # and the form they are for
        self.finished = 0  # attempts played to the result page

    def step(self) -> None:
        """One press (raises `tests.live.StepFailed` if it was not answered as expected; call again to retry)."""
        if self.attempt_url is None:
            if self.module is None:
                self.module = self.rng.choice(self.modules)
            self.attempt_url = self.learner.start(self.module.id)  # a second press resumes the same attempt
            self._read()
            return
        if self.form is None:  # the page was not read after the last press
            self._read()
            return
        if self.pending is None:
            strategy = best_answers if self.rng.random() < self.best_share else random_answers(self.rng)
            self.pending, self.pending_form = strategy(self.module, self.form), self.form
        self.learner.submit(self.pending_form, self.pending)
        self.form = None
        self._read()

    def _read(self) -> None:
        """Read the attempt's page: the press waiting to be seen through is accepted once the attempt has moved on."""
        after = self.learner.current_form(self.attempt_url)
        if self.pending is not None and (after is None or _step(after) > _step(self.pending_form)):
            self._record(self.pending_form, self.pending)
            self.pending = self.pending_form = None
        self.form = after
        if after is None:
            self._finished()

    def _finished(self) -> None:
        self.finished += 1
        self.module = self.attempt_url = self.form = self.pending = self.pending_form = None

    def _record(self, form: Form, data: dict[str, str | list[str]]) -> None:
        attempt_id = int(_ATTEMPT.search(form.action).group(1))
        if form.action.endswith("/choice"):
            self.accepted({"attempt": attempt_id, "kind": "choice-made", "scene": form.hidden.get("scene"),
                           "value": data["choice"]})
        elif form.action.endswith("/answers"):
            for name, value in data.items():
                if name.startswith("q-"):
                    keys = value if isinstance(value, list) else [value]
                    self.accepted({"attempt": attempt_id, "kind": "answer-given", "question": name[2:],
                                   "value": " ".join(sorted(keys))})


def _step(form: Form) -> int:
    return int(form.hidden.get("step", -1))
