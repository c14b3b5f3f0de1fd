"""Certificates: codes read as people type them, and the PDF prints any name and a long title."""

from __future__ import annotations

from datetime import date

import pytest

from app.models.learning import CODE_ALPHABET, new_verification_code
from app.services.learning.certificate_pdf import DEJAVU, certificate_pdf
from app.services.learning.certificates import Certificate, format_code, normalise_code


def test_codes_are_20_characters_of_crockford_base32():
    codes = {new_verification_code() for _ in range(200)}
    assert len(codes) == 200 and all(len(c) == 20 and set(c) <= set(CODE_ALPHABET) for c in codes)
    assert not set(CODE_ALPHABET) & set("ILOU")


@pytest.mark.parametrize("typed", ["7K3M-QX9D-2HBT-R4WZ-8NPC", "7k3mqx9d2hbtr4wz8npc", " 7K3M QX9D 2HBT R4WZ 8NPC "])
def test_a_code_is_read_whatever_its_case_spaces_or_hyphens(typed):
    assert normalise_code(typed) == "7K3MQX9D2HBTR4WZ8NPC"
    assert format_code("7K3MQX9D2HBTR4WZ8NPC") == "7K3M-QX9D-2HBT-R4WZ-8NPC"


def test_letters_that_look_like_digits_read_as_them():
    assert normalise_code("OK3M-QX9D-2HBT-R4WZ-8NPI") == "0K3MQX9D2HBTR4WZ8NP1"


@pytest.mark.parametrize("typed", ["", "7K3M-QX9D-2HBT-R4WZ", "7K3M-QX9D-2HBT-R4WZ-8NPC-1", "7K3M-QX9D-2HBT-R4WZ-8NP!U"])
def test_anything_else_is_no_code(typed):
    assert normalise_code(typed) is None


def test_the_pdf_prints_any_name_and_a_long_title():
    certificate = Certificate(1, "Łukasz Zoë O'Brien-Nakamura", "m", "A very long module title " * 4, "1.0.0",
                              date(2026, 1, 2), 8, 80, date(2027, 1, 2), "7K3MQX9D2HBTR4WZ8NPC")
    body = certificate_pdf(certificate, service_name="Atrocity Prevention Training",
                           verify_url="https://training.example.gov.uk/verify/7K3M-QX9D-2HBT-R4WZ-8NPC")
    assert body.startswith(b"%PDF-") and b"7K3M-QX9D-2HBT-R4WZ-8NPC" in body
    if (DEJAVU / "DejaVuSans.ttf").exists():
        assert body.count(b"/FontFile2") == 2  # DejaVu Sans, regular and bold, embedded
