"""The learner's pages: "Your training", a module's introduction, the player and the result."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from app.clock import today
from app.content.graph import decision_range
from app.content.model import Library, Module
from app.models import Attempt, AttemptState, Official
from app.services.learning import catalogue, player
from app.services.learning.results import result_of
from app.web import forms
from app.web.deps import CsrfProtected, CurrentOfficial, FormDep, LibraryDep, SessionDep, current_official
from app.web.params import Id
from app.web.templating import render, wants_fragment

# Checked first, so a request from anyone else is refused before its body is read (app/web/limits.py).
router = APIRouter(dependencies=[Depends(current_official)])


def _module(library: Library, module_id: str) -> Module:
    module = library.get(module_id)
    if module is None:
        raise HTTPException(404)
    return module


def _attempt(session: SessionDep, official: Official, library: Library, attempt_id: int) -> tuple[Attempt, Module]:
    try:
        attempt = player.get_attempt(session, official, attempt_id)
    except player.AttemptNotFound:
        raise HTTPException(404) from None
    module = player.module_for_attempt(session, attempt, library)
    if module is None:
        raise HTTPException(404)
    return attempt, module


def _to_attempt(attempt: Attempt, request: Request | None = None, module: Module | None = None,
                session: Session | None = None) -> Response:
    """After a move: POST-then-redirect for plain forms; for htmx, the new step's fragment at once."""
    target = f"/attempts/{attempt.id}"
    if attempt.state == AttemptState.FINISHED:
        target += "/result"
    if request is not None and wants_fragment(request):
        if attempt.state == AttemptState.FINISHED:
            return Response(status_code=204, headers={"HX-Redirect": target})
        return _player_page(request, session, attempt, module)
    return RedirectResponse(target, status_code=303)


@router.get("/")
def home(official: CurrentOfficial) -> Response:
    return RedirectResponse("/training", status_code=303)


@router.get("/training")
def training(request: Request, official: CurrentOfficial, session: SessionDep, library: LibraryDep) -> Response:
    training = catalogue.your_training(session, official, library, today())
    return render(request, "learn/training.html", {"training": training})


@router.get("/modules/{module_id}")
def module_intro(
    request: Request, module_id: str, official: CurrentOfficial, session: SessionDep, library: LibraryDep
) -> Response:
    module = _module(library, module_id)
    entry = catalogue.entry_for(session, official, module, today())
    history = player.finished_attempts(session, official, module.id)
    risk_factors = [library.risk_factors[c] for c in module.risk_factors if c in library.risk_factors]
    context = {"module": module, "entry": entry, "history": history, "risk_factors": risk_factors}
    return render(request, "learn/module.html", context)


@router.post("/modules/{module_id}/attempts", dependencies=[CsrfProtected])
def start(module_id: str, official: CurrentOfficial, session: SessionDep, library: LibraryDep) -> Response:
    attempt = player.start_attempt(session, official, _module(library, module_id))
    return _to_attempt(attempt)


def _player_page(request: Request, session: Session, attempt: Attempt, module: Module, *, errors: dict | None = None,
                 given: dict | None = None, status_code: int = 200) -> Response:
    scene = module.scene(attempt.current_scene)
    choice = scene.choice(attempt.pending_choice) if scene and attempt.pending_choice else None
    context = {
        "attempt": attempt,
        "module": module,
        "scene": scene,
        "choice": choice,
        "verdict": player.verdict(scene, choice) if choice else None,
        "verdicts": player.VERDICTS,
        "errors": errors or {},
        "given": given or {},
        "decision_number": player.decision_number(session, attempt),
        "decisions": decision_range(module),  # fewest and most on a path: "Decision 2 of about 5"
        "choices": player.choices_in_order(attempt, module, scene) if scene and not scene.is_end else [],
        "options": {q.id: player.options_in_order(attempt, module, q) for q in module.questions},
        "can_rewind": player.can_rewind(attempt, module),
        "heading": _heading(attempt, module),
    }
    return render(request, "learn/attempt.html", context, fragment="player", status_code=status_code)


def _heading(attempt: Attempt, module: Module) -> str:
    """The player's <h1> (and page title) for the attempt's current step."""
    if attempt.state == AttemptState.FEEDBACK:
        return "Feedback on your decision"
    if attempt.state == AttemptState.CHECK:
        return module.check_title or "Knowledge check"
    scene = module.scene(attempt.current_scene)
    return scene.title if scene else module.title


@router.get("/attempts/{attempt_id}")
def show_attempt(
    request: Request, attempt_id: Id, official: CurrentOfficial, session: SessionDep, library: LibraryDep
) -> Response:
    attempt, module = _attempt(session, official, library, attempt_id)
    if attempt.state == AttemptState.FINISHED:
        return _to_attempt(attempt)
    return _player_page(request, session, attempt, module)


@router.post("/attempts/{attempt_id}/choice", dependencies=[CsrfProtected])
def make_choice(
    request: Request, form: FormDep, attempt_id: Id, official: CurrentOfficial, session: SessionDep, library: LibraryDep
) -> Response:
    attempt, module = _attempt(session, official, library, attempt_id)
    move = forms.move(form)
    if not move.choice and attempt.step == move.step and attempt.state == AttemptState.SCENE:
        errors = {"choice": "Select what you would do"}
        return _player_page(request, session, attempt, module, errors=errors, status_code=422)
    player.choose(session, attempt, module, step=move.step, scene_id=move.scene, choice_id=move.choice)
    return _to_attempt(attempt, request, module, session)


@router.post("/attempts/{attempt_id}/continue", dependencies=[CsrfProtected])
def proceed(
    request: Request, form: FormDep, attempt_id: Id, official: CurrentOfficial, session: SessionDep, library: LibraryDep
) -> Response:
    attempt, module = _attempt(session, official, library, attempt_id)
    player.proceed(session, attempt, module, step=forms.move(form).step)
    return _to_attempt(attempt, request, module, session)


@router.post("/attempts/{attempt_id}/rewind", dependencies=[CsrfProtected])
def rewind(
    request: Request, form: FormDep, attempt_id: Id, official: CurrentOfficial, session: SessionDep, library: LibraryDep
) -> Response:
    """From a poor ending, back to the decision that led there."""
    attempt, module = _attempt(session, official, library, attempt_id)
    player.rewind(session, attempt, module, step=forms.move(form).step)
    return _to_attempt(attempt, request, module, session)


@router.post("/attempts/{attempt_id}/answers", dependencies=[CsrfProtected])
def submit_answers(
    request: Request, form: FormDep, attempt_id: Id, official: CurrentOfficial, session: SessionDep, library: LibraryDep
) -> Response:
    attempt, module = _attempt(session, official, library, attempt_id)
    answers = forms.answers(form, [q.id for q in module.questions])
    outcome = player.answer(session, attempt, module, step=forms.move(form).step, answers=answers)
    if outcome.missing:
        errors = {f"q-{q.id}": f"Answer the question: {q.text}" for q in outcome.missing}
        return _player_page(request, session, attempt, module, errors=errors, given=answers, status_code=422)
    return _to_attempt(attempt, request, module, session)


@router.get("/attempts/{attempt_id}/result")
def result(
    request: Request, attempt_id: Id, official: CurrentOfficial, session: SessionDep, library: LibraryDep
) -> Response:
    attempt, module = _attempt(session, official, library, attempt_id)
    if attempt.state != AttemptState.FINISHED:
        return _to_attempt(attempt)
    outcome = result_of(session, attempt, module, library.risk_factors)
    return render(request, "learn/result.html", {"result": outcome, "module": module})

