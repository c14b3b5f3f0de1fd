"""The authors' pages: lint status, module facts, a preview that records nothing, the scene map,
item analysis and risk-factor coverage."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response

from app.content.model import Library, Module, Scene
from app.models import Official, Role
from app.services.audit import Actor
from app.services.authoring import modules as authoring
from app.services.authoring.coverage import coverage_matrix
from app.services.authoring.scene_map import layout
from app.services.learning import item_analysis
from app.services.learning.item_analysis_csv import analysis_csv as analysis_csv_text
from app.services.learning.item_analysis_csv import record_download
from app.web import forms
from app.web.deps import CurrentOfficial, Forbidden, LibraryDep, SessionDep, TransactionsDep
from app.web.downloads import attachment
from app.web.templating import render

AUTHORING_ROLES = (Role.AUTHOR, Role.CENTRAL_ADMIN)


def require_author(official: CurrentOfficial) -> Official:
    """Like `require_role`, for either of the roles that may author: content authors and central admins."""
    if not any(official.has_role(role) for role in AUTHORING_ROLES):
        raise Forbidden()
    return official


router = APIRouter(prefix="/author", dependencies=[Depends(require_author)])


def _module(library: Library, module_id: str) -> Module:
    module = library.get(module_id)
    if module is None:
        raise HTTPException(404)
    return module


def _scene(module: Module, scene_id: str) -> Scene:
    scene = module.scene(scene_id)
    if scene is None:
        raise HTTPException(404)
    return scene


@router.get("")
def index(request: Request, library: LibraryDep) -> Response:
    context = {"entries": authoring.module_entries(library), "unreadable": authoring.unreadable_files(library)}
    return render(request, "author/index.html", context)


@router.get("/coverage")
def coverage(request: Request, library: LibraryDep) -> Response:
    return render(request, "author/coverage.html", {"matrix": coverage_matrix(library)})


@router.get("/modules/{module_id}")
def module_page(request: Request, module_id: str, library: LibraryDep) -> Response:
    overview = authoring.module_overview(library, module_id)
    if overview is None:
        raise HTTPException(404)
    return render(request, "author/module.html", {"overview": overview})


@router.get("/modules/{module_id}/preview")
def preview(request: Request, module_id: str, library: LibraryDep) -> Response:
    return render(request, "author/preview.html", {"module": _module(library, module_id)})


@router.get("/modules/{module_id}/preview/scenes/{scene_id}")
def preview_scene(request: Request, module_id: str, scene_id: str, library: LibraryDep, order: str = "") -> Response:
    module = _module(library, module_id)
    scene = _scene(module, scene_id)
    file_order = order == "file"
    choices = authoring.preview_order(module, scene.id, scene.choices, file_order=file_order)
    context = {"module": module, "scene": scene, "choices": choices, "file_order": file_order}
    return render(request, "author/preview_scene.html", context)


@router.get("/modules/{module_id}/preview/scenes/{scene_id}/feedback")
def preview_feedback(
    request: Request, module_id: str, scene_id: str, library: LibraryDep, choice: str = ""
) -> Response:
    module = _module(library, module_id)
    scene = _scene(module, scene_id)
    chosen = scene.choice(choice)
    if chosen is None:
        choices = authoring.preview_order(module, scene.id, scene.choices, file_order=False)
        context = {"module": module, "scene": scene, "choices": choices, "file_order": False,
                   "errors": {"choice": "Select a choice to see its feedback"}}
        return render(request, "author/preview_scene.html", context, status_code=422)
    context = {"module": module, "scene": scene, "choice": chosen, "target": module.scene(chosen.target)}
    return render(request, "author/preview_feedback.html", context)


@router.get("/modules/{module_id}/preview/check")
def preview_check(request: Request, module_id: str, library: LibraryDep, order: str = "") -> Response:
    module = _module(library, module_id)
    file_order = order == "file"
    options = {q.id: authoring.preview_order(module, q.id, q.options, file_order=file_order) for q in module.questions}
    return render(request, "author/preview_check.html", {"module": module, "options": options, "file_order": file_order})


@router.get("/modules/{module_id}/map")
def scene_map(request: Request, module_id: str, library: LibraryDep) -> Response:
    module = _module(library, module_id)
    return render(request, "author/map.html", {"module": module, "map": layout(module)})


def _analysis(request: Request, module_id: str, session: SessionDep, library: Library):
    """The module, the known versions, the parsed filters and any filter errors."""
    module = _module(library, module_id)
    known = item_analysis.versions(session, module.id)
    filters, errors, given = forms.analysis_filters(request.query_params, known)
    return module, known, filters, errors, given


@router.get("/modules/{module_id}/analysis")
def analysis(request: Request, module_id: str, session: SessionDep, library: LibraryDep) -> Response:
    module, known, filters, errors, given = _analysis(request, module_id, session, library)
    params = request.query_params
    context = {
        "module": module,
        "versions": known,
        "given": given,
        "errors": errors,
        "analysis": None if errors else item_analysis.analyse(session, module, filters),
        "csv_query": str(params),
        "suppressed_text": item_analysis.SUPPRESSED,
    }
    return render(request, "author/analysis.html", context, status_code=422 if errors else 200)


@router.get("/modules/{module_id}/analysis/csv")
def analysis_csv(request: Request, module_id: str, session: SessionDep, library: LibraryDep, official: CurrentOfficial,
                 transactions: TransactionsDep) -> Response:
    module, known, filters, errors, _given = _analysis(request, module_id, session, library)
    if errors:
        return analysis(request, module_id, session, library)
    found = item_analysis.analyse(session, module, filters)
    body, filename = analysis_csv_text(found), f"analysis-{module.id}.csv"
    with transactions.write() as writer:  # recorded before it is sent (its own write: a GET only reads)
        record_download(writer, Actor(official.id, official.full_name), found, filters, filename, body)
    headers = attachment(filename)
    return Response(body, media_type="text/csv; charset=utf-8", headers=headers)
