"""An official's record and certificates ("Your record"), and checking a certificate's verification code."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response

from app.clock import today
from app.services.learning import certificates
from app.services.learning.certificate_pdf import certificate_pdf
from app.web.deps import CurrentOfficial, SessionDep, SettingsDep, current_official
from app.web.params import Id
from app.web.templating import SERVICE_NAME, render, url_path

router = APIRouter(dependencies=[Depends(current_official)])


def _verify_url(request: Request, settings: SettingsDep, code: str) -> str:
    """Where the certificate can be checked: on the service's own address (APTRAIN_BASE_URL) when set."""
    base = settings.base_url or str(request.base_url).rstrip("/")
    return base + url_path(request, "verify", code=certificates.format_code(code))


def _own(session: SessionDep, official: CurrentOfficial, completion_id: int) -> certificates.Certificate:
    try:
        return certificates.certificate_for(session, official, completion_id)
    except certificates.CertificateNotFound:
        raise HTTPException(404) from None  # another official's certificate is not found, as if it did not exist


@router.get("/record")
def record(request: Request, official: CurrentOfficial, session: SessionDep) -> Response:
    entries = certificates.your_record(session, official)
    return render(request, "learn/record.html", {"entries": entries, "today": today()})


@router.get("/record/{completion_id}/certificate")
def certificate(
    request: Request, completion_id: Id, official: CurrentOfficial, session: SessionDep, settings: SettingsDep
) -> Response:
    found = _own(session, official, completion_id)
    context = {"certificate": found, "today": today(), "verify_url": _verify_url(request, settings, found.code)}
    return render(request, "learn/certificate.html", context)


@router.get("/record/{completion_id}/certificate.pdf")
def certificate_download(
    request: Request, completion_id: Id, official: CurrentOfficial, session: SessionDep, settings: SettingsDep
) -> Response:
    found = _own(session, official, completion_id)
    body = certificate_pdf(found, service_name=SERVICE_NAME, verify_url=_verify_url(request, settings, found.code))
    filename = f"certificate-{found.module_id}-{found.completed_on.isoformat()}.pdf"
    return Response(body, media_type="application/pdf", headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@router.get("/verify/{code}")
def verify(request: Request, code: str, official: CurrentOfficial, session: SessionDep) -> Response:
    """Anyone signed in may check a code: it shows whose certificate it is, for what, and whether it is current."""
    found = certificates.verify(session, code[:100])
    if found is None:
        return render(request, "learn/verify_not_found.html", {}, status_code=404)
    return render(request, "learn/verify.html", {"certificate": found, "today": today()})
