"""catalogue.learner_status: the one status a learner sees for a module, on every page."""

from __future__ import annotations

import pytest

from app.services.compliance.status import Status
from app.services.learning.catalogue import TrainingStatus as T
from app.services.learning.catalogue import learner_status


@pytest.mark.parametrize(
    ("progress", "required", "shown"),
    [
        (T.FAILED, None, T.FAILED),
        (T.FAILED, Status.NOT_YET_DUE, T.FAILED),  # not "To do"
        (T.FAILED, Status.OVERDUE, T.FAILED),  # overdue is said beside the due date
        (T.IN_PROGRESS, Status.OVERDUE, T.IN_PROGRESS),
        (T.NOT_STARTED, Status.NOT_YET_DUE, T.NOT_STARTED),
        (T.NOT_STARTED, Status.COMPLIANT, T.PASSED),  # a completion recorded elsewhere
        (T.PASSED, Status.COMPLIANT, T.PASSED),
        (T.PASSED, Status.OVERDUE, T.DUE_AGAIN),  # the pass has expired
        (T.PASSED, Status.NOT_YET_DUE, T.DUE_AGAIN),
        (T.FAILED, Status.EXEMPT, T.EXEMPT),
        (T.PASSED, None, T.PASSED),
    ],
)
def test_learner_status(progress, required, shown):
    assert learner_status(progress, required) == shown
