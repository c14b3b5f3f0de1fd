"""The sign-in forms: a work email address (the first question), then a password where that is the way in."""

from __future__ import annotations

import re

from app.web.forms.common import Parsed

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def parse_email(email: str) -> Parsed[str]:
    """A work email address, normalised; GOV.UK's messages for a blank or malformed one."""
    text = email.strip()
    parsed: Parsed[str] = Parsed(values={"email": text})
    if not text:
        parsed.errors["email"] = "Enter your work email address"
    elif len(text) > 254 or not _EMAIL.match(text):
        parsed.errors["email"] = "Enter an email address in the correct format, like name@example.gov.uk"
    else:
        parsed.data = text.lower()
    return parsed


def parse_password_sign_in(email: str, password: str) -> Parsed[tuple[str, str]]:
    parsed: Parsed[tuple[str, str]] = Parsed(values={"email": email.strip()})
    if not email.strip():
        parsed.errors["email"] = "Enter your email address"
    if not password:
        parsed.errors["password"] = "Enter your password"
    if parsed.ok:
        parsed.data = (email.strip(), password)
    return parsed
