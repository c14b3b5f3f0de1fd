"""A certificate as a one-page PDF (A4 landscape), drawn with ReportLab (BSD licence).

Names and titles are set in DejaVu Sans where the system has it (Debian's fonts-dejavu-core: every European
letter, so "Łukasz" or "Zoë" print as written), embedded in the file; otherwise in Helvetica, which covers
Western European letters only. The verification code is in Courier (letters and digits only)."""

from __future__ import annotations

from datetime import date
from functools import cache
from io import BytesIO
from pathlib import Path

from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from app.services.learning.certificates import Certificate

_BLACK = HexColor("#0b0c0c")
_GREY = HexColor("#505a5f")
_BLUE = HexColor("#1d70b8")


DEJAVU = Path("/usr/share/fonts/truetype/dejavu")


@cache
def _fonts() -> tuple[str, str]:
    """(regular, bold): DejaVu Sans, registered once, when the system has it; else Helvetica."""
    regular, bold = DEJAVU / "DejaVuSans.ttf", DEJAVU / "DejaVuSans-Bold.ttf"
    if regular.exists() and bold.exists():
        try:
            pdfmetrics.registerFont(TTFont("AppSans", str(regular)))
            pdfmetrics.registerFont(TTFont("AppSans-Bold", str(bold)))
            return "AppSans", "AppSans-Bold"
        except Exception:  # an unreadable font file: the standard font will do
            pass
    return "Helvetica", "Helvetica-Bold"


def _day(value: date) -> str:
    return f"{value.day} {value:%B %Y}"


def certificate_pdf(certificate: Certificate, *, service_name: str, verify_url: str) -> bytes:
    """The certificate's PDF: who, what, when, the score, the expiry and the verification code with where to check it."""
    buffer = BytesIO()
    width, height = landscape(A4)
    pdf = Canvas(buffer, pagesize=(width, height), pageCompression=0)
    regular, bold = _fonts()
    pdf.setTitle(f"Certificate of completion: {certificate.title}")
    pdf.setAuthor(service_name)
    pdf.setSubject(f"{certificate.official_name} completed {certificate.title} (version {certificate.version}) on "
                   f"{_day(certificate.completed_on)}. Verification code {certificate.code_display}")
    pdf.setStrokeColor(_BLUE)
    pdf.setLineWidth(3)
    pdf.rect(15 * mm, 15 * mm, width - 30 * mm, height - 30 * mm)

    def line(text: str, y: float, size: int, *, font: str | None = None, colour=_BLACK) -> None:
        font = font or regular
        room = width - 50 * mm
        while size > 8 and pdfmetrics.stringWidth(text, font, size) > room:  # a long title or name: smaller, not cut
            size -= 1
        pdf.setFont(font, size)
        pdf.setFillColor(colour)
        pdf.drawCentredString(width / 2, y, text)

    line(service_name, height - 40 * mm, 14, colour=_GREY)
    line("Certificate of completion", height - 58 * mm, 30, font=bold)
    line("This certifies that", height - 78 * mm, 14, colour=_GREY)
    line(certificate.official_name, height - 92 * mm, 24, font=bold)
    line("completed the module", height - 106 * mm, 14, colour=_GREY)
    line(certificate.title, height - 120 * mm, 20, font=bold)
    line(f"Version {certificate.version}, on {_day(certificate.completed_on)}, with a score of {certificate.percent}%",
         height - 133 * mm, 14)
    expiry = f"Valid until {_day(certificate.expires_on)}" if certificate.expires_on else "Does not expire"
    line(expiry, height - 145 * mm, 14)
    line(f"Verification code: {certificate.code_display}", 42 * mm, 16, font="Courier-Bold")
    line(f"Anyone signed in to the service can check it at {verify_url}", 32 * mm, 11, colour=_GREY)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
