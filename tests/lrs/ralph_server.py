"""Serve Ralph's LRS (ralph-malph, its own virtual environment .venv-ralph) on its file-system backend, for the
tests: `.venv-ralph/bin/python tests/lrs/ralph_server.py PORT`, with RALPH_AUTH_FILE and
RALPH_BACKENDS__LRS__FS__DEFAULT_DIRECTORY_PATH set by the caller (tests/lrs/ralph_lrs.py).

Ralph's fs backend writes every request with CREATE to one file (fs_lrs.jsonl), so a second write to the same
folder fails (500, "already exists and overwrite is not allowed"). Here it writes with APPEND instead, the mode
that backend offers for adding to a file; everything else (auth, validation, the same id twice answering 204 or
409, GET /xAPI/statements) is Ralph's own. This file runs in Ralph's interpreter, never the application's."""

from __future__ import annotations

import sys

import uvicorn
from ralph.backends.data.base import BaseOperationType
from ralph.backends.lrs.fs import FSLRSBackend

FSLRSBackend.default_operation_type = BaseOperationType.APPEND

if __name__ == "__main__":
    uvicorn.run("ralph.api:app", host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
