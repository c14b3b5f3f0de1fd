"""Logging: every line carries the id of the request it belongs to; JSON lines in production, text elsewhere.

The id comes from the request's `X-Request-ID` header when it is a plausible one (a load balancer's or another
service's, so one id follows a request through every system), or is made here; app.web.observability puts it in
REQUEST_ID for the request's lifetime (the thread pool's handlers see it too: the context is copied to them) and
sends it back in the response's `X-Request-ID`. `aptrain serve` hands `logging_config()` to uvicorn, which
applies it in every worker process.
"""

from __future__ import annotations

import json
import logging
import logging.config
import re
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime

REQUEST_ID: ContextVar[str | None] = ContextVar("aptrain_request_id", default=None)
REQUEST_ID_HEADER = "X-Request-ID"
# An id sent by a client is kept only if it is short and plain, so it can never forge or break a log line.
_PLAUSIBLE_ID = re.compile(r"[A-Za-z0-9._:-]{8,128}")

# LogRecord's own attributes: anything else on a record came in `extra=` and is written as a field of its own.
_STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime", "taskName"}


def request_id_from(header: str | None) -> str:
    """The caller's request id if it is a plausible one, else a new one (32 hex digits)."""
    if header and _PLAUSIBLE_ID.fullmatch(header):
        return header
    return uuid.uuid4().hex


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC), level, logger, message, request_id, pid, any `extra=` fields, exception."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": REQUEST_ID.get(),
            "pid": record.process,  # which of `aptrain serve --workers N`'s processes
        }
        entry.update({key: value for key, value in vars(record).items() if key not in _STANDARD and key not in entry})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """`2026-12-02 10:00:00,123 INFO aptrain [<request id>] message` (the id is `-` outside a request)."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        record.request_id = REQUEST_ID.get() or "-"
        return super().format(record)


def logging_config(log_format: str, level: str) -> dict:
    """A dictConfig for the root logger and uvicorn's loggers, all through one formatter to stderr."""
    formatter = "json" if log_format == "json" else "text"
    handler = {"class": "logging.StreamHandler", "formatter": formatter, "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "app.logs.JsonFormatter"}, "text": {"()": "app.logs.TextFormatter"}},
        "handlers": {"default": handler},
        "root": {"handlers": ["default"], "level": level.upper()},
        "loggers": {
            # uvicorn's own lines go through the root's handler (no second one of their own).
            "uvicorn": {"handlers": [], "level": level.upper(), "propagate": True},
            "uvicorn.error": {"handlers": [], "level": level.upper(), "propagate": True},
            # Each request is logged once, by app.web.observability, with its route, duration and id.
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": True},
        },
    }


def configure_logging(log_format: str, level: str) -> None:
    logging.config.dictConfig(logging_config(log_format, level))
