"""A certificate as a one-page PDF (A4 landscape), drawn with ReportLab (BSD licence)."""

from __future__ import annotations

from datetime import date
from io import BytesIO

from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from app.services.learning.certificates import Certificate

_BLACK = HexColor("#0b0c0c")
_GREY = HexColor("#505a5f")
_BLUE = HexColor("#1d70b8")


def _day(value: date) -> str:
    return f"{value.day} {value:%B %Y}"


def certificate_pdf(certificate: Certificate, *, service_name: str, verify_url: str) -> bytes:
    """The certificate's PDF: who, what, when, the score, the expiry and the verification code with where to check it."""
    buffer = BytesIO()
    width, height = landscape(A4)
    pdf = Canvas(buffer, pagesize=(width, height), pageCompression=0)
    pdf.setTitle(f"Certificate: {certificate.title}")
    pdf.setAuthor(service_name)
    pdf.setSubject(f"Verification code {certificate.code_display}")
    pdf.setStrokeColor(_BLUE)
    pdf.setLineWidth(3)
    pdf.rect(15 * mm, 15 * mm, width - 30 * mm, height - 30 * mm)

    def line(text: str, y: float, size: int, *, font: str = "Helvetica", colour=_BLACK) -> None:
        pdf.setFont(font, size)
        pdf.setFillColor(colour)
        pdf.drawCentredString(width / 2, y, text)

    line(service_name, height - 40 * mm, 14, colour=_GREY)
    line("Certificate of completion", height - 58 * mm, 30, font="Helvetica-Bold")
    line("This certifies that", height - 78 * mm, 14, colour=_GREY)
    line(certificate.official_name, height - 92 * mm, 24, font="Helvetica-Bold")
    line("completed the module", height - 106 * mm, 14, colour=_GREY)
    line(certificate.title, height - 120 * mm, 20, font="Helvetica-Bold")
    line(f"Version {certificate.version}, on {_day(certificate.completed_on)}, with a score of {certificate.percent}%",
         height - 133 * mm, 14)
    expiry = f"Valid until {_day(certificate.expires_on)}" if certificate.expires_on else "Does not expire"
    line(expiry, height - 145 * mm, 14)
    line(f"Verification code: {certificate.code_display}", 42 * mm, 16, font="Courier-Bold")
    line(f"Anyone signed in to the service can check it at {verify_url}", 32 * mm, 11, colour=_GREY)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
