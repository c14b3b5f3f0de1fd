"""Request bodies are capped before anything reads them: an ordinary form may send APTRAIN_MAX_FORM_KB, the two
import uploads APTRAIN_MAX_UPLOAD_MB (plus room for the form's other fields). A declared `Content-Length` over
the limit is refused before a single byte is read; a streamed (chunked) body is counted as it arrives and refused
as soon as it passes the limit. Either way the request answers 413 with a GOV.UK page, and nothing is written
to disk beyond the limit.

Routes check who is signed in and their role before they read a body (the role dependencies are resolved before
the CSRF check that parses the form; tests/web/test_request_limits.py checks every route), so an anonymous or
unprivileged request is refused without its body being read at all."""

from __future__ import annotations

from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

BODYLESS_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
UPLOAD_FORM_ROOM = 1024 * 1024  # an upload form's other fields and multipart framing, beside the file itself


class BodyTooLarge(StarletteHTTPException):
    """The request body is (or says it is) larger than its route accepts."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"The request body is larger than {limit} bytes")
        self.limit = limit


def readable_size(limit: int) -> str:
    """1 MB, 51 MB, 512 KB: how the 413 page names a limit."""
    mb = 1024 * 1024
    return f"{limit // mb} MB" if limit >= mb else f"{max(1, limit // 1024)} KB"


class BodyLimitMiddleware:
    """Caps each request's body by its path: `upload_paths` get `upload_limit`, every other path `form_limit`."""

    def __init__(self, app: ASGIApp, *, form_limit: int, upload_limit: int, upload_paths: frozenset[str]) -> None:
        self.app = app
        self.form_limit = form_limit
        self.upload_limit = upload_limit
        self.upload_paths = upload_paths

    def limit_for(self, scope: Scope) -> int:
        path = scope["path"].removeprefix(scope.get("root_path", "")) or "/"
        return self.upload_limit if path in self.upload_paths else self.form_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in BODYLESS_METHODS:
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope)
        scope.setdefault("state", {})["body_limit"] = limit  # for the 413 page
        declared = _content_length(scope)
        refused = declared is not None and declared > limit
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            if refused:
                raise BodyTooLarge(limit)  # said too much: read nothing
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        await self.app(scope, limited_receive, send)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the server refuses a malformed one; otherwise the body is counted as it comes
    return None
