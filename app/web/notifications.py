"""/admin/notifications: the outbox as central admins see it (queued, sending, sent, failed), each message's
rendered email, and retrying a failed one."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from app.services import outbox_admin
from app.web.deps import CentralAdmin, CsrfProtected, SessionDep, central_admin
from app.web.flash import flash
from app.web.forms.notifications import status_filter
from app.web.templating import render, url_path

router = APIRouter(prefix="/admin/notifications", dependencies=[Depends(central_admin)])
PER_PAGE = 50
MAX_ID = 2**31 - 1
MessageId = Annotated[int, Path(ge=1, le=MAX_ID)]
Cursor = Annotated[int | None, Query(ge=1, le=MAX_ID)]
STATUS_LABELS = {"queued": "Queued", "sending": "Sending", "sent": "Sent", "failed": "Failed"}


@router.get("")
def notifications(request: Request, admin: CentralAdmin, session: SessionDep, before: Cursor = None,
                  after: Cursor = None) -> Response:
    status = status_filter(request.query_params)
    page = outbox_admin.message_page(session, status, before=before, after=after, per_page=PER_PAGE)
    here = url_path(request, "notifications")
    kept = [("status", status)] if status else []
    context = {
        "page": page, "status": status, "counts": outbox_admin.status_counts(session), "labels": STATUS_LABELS,
        "newer_href": f"{here}?{urlencode([*kept, ('after', page.newer)])}" if page.newer else None,
        "older_href": f"{here}?{urlencode([*kept, ('before', page.older)])}" if page.older else None,
    }
    return render(request, "admin/notifications.html", context)


@router.get("/{message_id}")
def notification(request: Request, message_id: MessageId, admin: CentralAdmin, session: SessionDep) -> Response:
    message = outbox_admin.message(session, message_id)
    if message is None:
        raise HTTPException(404)
    return render(request, "admin/notification.html", {"message": message, "labels": STATUS_LABELS})


@router.post("/{message_id}/retry", dependencies=[CsrfProtected])
def retry_notification(request: Request, message_id: MessageId, admin: CentralAdmin, session: SessionDep) -> Response:
    message = outbox_admin.message(session, message_id)
    if message is None:
        raise HTTPException(404)
    target = RedirectResponse(url_path(request, "notification", message_id=message_id), status_code=303)
    if not outbox_admin.retry(session, message_id):
        return flash(request, target, "Nothing to retry", "Only a failed message can be sent again.")
    return flash(request, target, "Queued to send again", f"The worker will try to send it to {message.to or 'its recipient'} shortly.")
