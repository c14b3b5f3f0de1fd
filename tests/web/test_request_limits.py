"""Request bodies are capped before anything reads them, and who may send one is checked first (issue 12, gap 1):
an anonymous or unprivileged upload is refused without its body being read; a body past its route's limit answers
413, whether it declares its length or streams it."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.routing import APIRoute, iter_route_contexts

from app.web.deps import central_admin, current_official, manager_scope, parsed_form
from tests.conftest import check_page, make_settings
from tests.factories import PASSWORD, make_official

CHUNK = 64 * 1024
BIG = 210 * 1024 * 1024  # the review's 210 MB upload
FILE_PART = b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="roster.csv"\r\nContent-Type: text/csv\r\n\r\n'


def raw_post(app, path: str, *, total: int, cookies: dict[str, str] | None = None, declare_length: bool = False,
             content_type: str = "multipart/form-data; boundary=xyz", prefix: bytes = b"") -> tuple[int | None, int]:
    """POST `total` bytes to the ASGI app in 64 KB chunks, as a server would hand them over, and return the status
    and how many bytes the app pulled. Without `declare_length` the body is streamed (chunked): only counting it
    as it arrives can stop it. The body starts with `prefix` (say, a multipart part's headers), then x's."""
    pulled = 0
    status: int | None = None

    async def run() -> None:
        headers = [(b"host", b"testserver"), (b"content-type", content_type.encode())]
        if cookies:
            headers.append((b"cookie", "; ".join(f"{k}={v}" for k, v in cookies.items()).encode()))
        if declare_length:
            headers.append((b"content-length", str(total).encode()))
        else:
            headers.append((b"transfer-encoding", b"chunked"))
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
                 "path": path, "raw_path": path.encode(), "root_path": "", "query_string": b"", "headers": headers,
                 "client": ("127.0.0.1", 50000), "server": ("testserver", 80)}

        async def receive() -> dict:
            nonlocal pulled
            if pulled >= total:
                return {"type": "http.disconnect"}
            size = min(CHUNK, total - pulled)
            body = (prefix + b"x" * size)[:size] if pulled == 0 else b"x" * size
            pulled += size
            return {"type": "http.request", "body": body, "more_body": pulled < total}

        async def send(message: dict) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]

        await app(scope, receive, send)

    # In a thread of its own: the browser tests' Playwright keeps an event loop running in this one.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, run()).result()
    return status, pulled


def session_cookie(client) -> dict[str, str]:
    return {"aptrain_session": client.cookies.get("aptrain_session")}


@pytest.fixture
def small_app(database_url, test_library):
    """An app whose limits are small enough to pass quickly: forms 16 KB, uploads 1 MB (+1 MB for the form)."""
    from app.main import create_app

    application = create_app(make_settings(database_url, max_form_kb=16, max_upload_mb=1), library=test_library)
    yield application
    application.state.engine.dispose()


@pytest.mark.parametrize("path", ["/admin/imports/roster", "/admin/imports/risk", "/admin/imports/confirm"])
@pytest.mark.parametrize("declare_length", [True, False])
def test_an_anonymous_upload_is_refused_without_reading_its_body(app, path, declare_length):
    status, pulled = raw_post(app, path, total=BIG, declare_length=declare_length)
    assert status == 303  # to the sign-in page
    assert pulled == 0  # not one byte read, let alone written to a temporary file


@pytest.mark.parametrize("path", ["/admin/imports/roster", "/admin/imports/risk", "/admin/api-tokens",
                                  "/admin/countries/assessments", "/manage/requirements"])
def test_a_signed_in_official_without_the_role_is_refused_without_reading_the_body(app, client, session, path):
    learner = make_official(session, roles="learner manager")  # a manager: signed in, not a central admin
    client.sign_in(learner.email, PASSWORD)
    status, pulled = raw_post(app, path, total=BIG, cookies=session_cookie(client))
    assert status == 403
    assert pulled == 0


def test_an_ordinary_form_past_its_limit_answers_413_declared_or_streamed(small_app, session):
    from fastapi.testclient import TestClient

    from tests.conftest import HtmlClient

    admin = make_official(session, roles="learner central-admin")
    with TestClient(small_app, follow_redirects=False) as raw:
        client = HtmlClient(raw)
        client.sign_in(admin.email, PASSWORD)
        # Declared: refused on its Content-Length, before a byte is read.
        status, pulled = raw_post(small_app, "/admin/api-tokens", total=5 * 1024 * 1024, cookies=session_cookie(client),
                                  declare_length=True, content_type="application/x-www-form-urlencoded")
        assert (status, pulled) == (413, 0)
        # Streamed: read only until it passes the limit.
        status, pulled = raw_post(small_app, "/admin/api-tokens", total=5 * 1024 * 1024, cookies=session_cookie(client),
                                  content_type="application/x-www-form-urlencoded")
        assert status == 413 and pulled <= 16 * 1024 + CHUNK
        # The page says what happened, as a GOV.UK page with the limit.
        token = client.csrf_token("/admin/api-tokens")
        response = client.post("/admin/api-tokens", data={"csrf_token": token, "name": "x" * (20 * 1024)})
        assert response.status_code == 413
        page = check_page(response.text)
        assert page.h1.text.strip() == "What you sent is too large" and "at most 16 KB" in page.text
        # An upload past APTRAIN_MAX_UPLOAD_MB (+1 MB for the form) is stopped too, streamed or declared.
        status, pulled = raw_post(small_app, "/admin/imports/roster", total=BIG, cookies=session_cookie(client),
                                  prefix=FILE_PART)
        assert status == 413 and pulled <= 2 * 1024 * 1024 + CHUNK
        # A file under the upload limit, though past the form limit, is checked as before.
        body = "email,given_name,family_name,department,unit\n" + "".join(
            f"person{i}@example.gov.uk,Given,Family,NOPE,Somewhere\n" for i in range(8000))
        assert 16 * 1024 < len(body) < 1024 * 1024
        response = client.post("/admin/imports/roster", data={"csrf_token": client.csrf_token("/admin/imports")},
                               files={"file": ("roster.csv", body.encode(), "text/csv")})
        assert response.status_code == 422 and "NOPE" in response.text  # read and checked: unknown department
        # A file over the upload limit but within the body cap gets the form's own error.
        response = client.post("/admin/imports/roster", data={"csrf_token": client.csrf_token("/admin/imports")},
                               files={"file": ("roster.csv", b"x" * (1024 * 1024 + 10), "text/csv")})
        assert response.status_code == 422 and "The file must be smaller than 1 MB" in response.text


def test_an_admins_import_under_the_limit_still_works(client, session):
    from tests.factories import make_department

    make_department(session, "FCDO")
    admin = make_official(session, roles="learner central-admin")
    client.sign_in(admin.email, PASSWORD)
    roster = "email,given_name,family_name,department,unit\nsiobhan@example.gov.uk,Siobhán,O'Brien,FCDO,Sudan Team\n"
    response = client.post("/admin/imports/roster", data={"csrf_token": client.csrf_token("/admin/imports")},
                           files={"file": ("roster.csv", roster.encode(), "text/csv")})
    assert response.status_code == 200, response.text
    assert "siobhan@example.gov.uk" in response.text


def _resolution_order(dependant, seen: list) -> list:
    """The calls in the order FastAPI resolves them: each dependency's own dependencies first, in declaration order."""
    for sub in dependant.dependencies:
        _resolution_order(sub, seen)
    if dependant.call is not None:
        seen.append(dependant.call)
    return seen


def _needs_an_official(call) -> bool:
    from app.web.author import require_author

    return call in {current_official, manager_scope, central_admin, require_author} or getattr(
        call, "__qualname__", "").startswith("require_role.")


def test_every_route_checks_who_is_signed_in_and_their_role_before_it_reads_a_body(app):
    routes = [c.route for c in iter_route_contexts(app.routes) if isinstance(c.route, APIRoute)]
    reading = [r for r in routes if parsed_form in _resolution_order(r.dependant, [])]
    assert len(reading) > 10, "the route walk found too few routes that read a form to mean anything"
    for route in reading:
        order = _resolution_order(route.dependant, [])
        body = order.index(parsed_form)
        for call in order:
            if _needs_an_official(call):
                assert order.index(call) < body, f"{route.path}: {call.__name__} is checked after the body is read"
