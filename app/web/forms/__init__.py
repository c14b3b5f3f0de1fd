"""The one place a request becomes typed values plus GOV.UK error messages.

Each parser takes what the browser sent (a form or query mapping) and returns the typed values a service
takes, and a dict of errors keyed by the field's id (the error summary links to it). Services never see a
raw request; handlers never parse.

One module per audience; this package exposes them all, so a router writes `forms.posting(form)`.
"""

from app.web.forms.admin import TokenInput, api_token, country_assessment, token_day_choices
from app.web.forms.author import analysis_filters
from app.web.forms.common import Parsed, back_path, parse_date, parse_int, texts
from app.web.forms.dashboards import dashboard_query, export_query
from app.web.forms.imports import UploadInput, held_key, risk_upload, roster_upload
from app.web.forms.manage import (
    GrantInput,
    PostingInput,
    RequirementForm,
    grant,
    posting,
    posting_end,
    requirement,
)
from app.web.forms.player import Move, answers, move

__all__ = [
    "GrantInput", "Move", "Parsed", "PostingInput", "RequirementForm", "TokenInput", "UploadInput", "analysis_filters",
    "answers", "api_token", "back_path", "country_assessment", "dashboard_query", "export_query", "grant", "held_key", "move",
    "parse_date", "parse_int", "posting", "posting_end", "requirement", "risk_upload", "roster_upload", "texts",
    "token_day_choices",
]
