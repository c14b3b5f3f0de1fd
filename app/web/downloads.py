"""The Content-Disposition of a download: a file name that cannot break out of the header (RFC 6266)."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote


def attachment(filename: str) -> dict[str, str]:
    """`attachment; filename="…"; filename*=UTF-8''…`: the plain name keeps only ASCII letters, digits and
    . _ - (anything else, quotes, backslashes and line breaks included, becomes _); the UTF-8 name is
    percent-encoded, so neither can end the header or add another."""
    name = "".join(ch for ch in unicodedata.normalize("NFC", filename) if unicodedata.category(ch)[0] != "C")
    name = name.strip().strip(".") or "download"
    plain = re.sub(r"[^A-Za-z0-9._-]", "_", unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
                   or name)[:150] or "download"
    return {"Content-Disposition": f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(name[:150], safe='')}"}
