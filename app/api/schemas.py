"""The API's response models: what /api/v1 promises its clients, documented in its OpenAPI schema."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field, create_model

from app.services.compliance.counts import Counts

# What each of the figures means, for the OpenAPI documentation; the fields and their order are `Counts`'s own.
FIGURE_DESCRIPTIONS = {
    "assigned": "Active officials with an assignment active at the as-at date",
    "exempt": "Of those, with an exemption valid at the as-at date",
    "compliant": "Not exempt, with an unexpired completion on or before the as-at date",
    "overdue": "Not exempt, not compliant, effective due date before the as-at date",
    "not_yet_due": "The rest",
    "expiring_soon": "Compliant and expiring within 30 days or the recertification window",
}

Figures = create_model(
    "Figures",
    __doc__="Compliance figures for one group, or in total, as DESIGN.md defines them.",
    __module__=__name__,
    **{name: (int, Field(description=FIGURE_DESCRIPTIONS[name])) for name in Counts.FIELDS},
    compliance_percent=(float | None, Field(description="compliant / (assigned - exempt) x 100; null when nobody is due")),
)


class Group(Figures):
    key: str = Field(description="Department id, unit id, module id or country code")
    label: str = Field(description="The group's name")


class Summary(BaseModel):
    as_at: date
    scope: str = Field(description="The token's scope, in words")
    by: str | None = Field(description="What the groups are: department, unit, module or country")
    groups: list[Group]
    total: Figures


class AssignmentOut(BaseModel):
    """One official's assignment to one requirement, with its status at the as-at date."""

    assignment_id: int
    official_id: int
    name: str
    email: str
    department: str | None
    unit: str | None
    requirement: str
    module_id: str
    country_code: str | None = Field(description="The posting's country, when the assignment comes from a posting")
    status: str = Field(description="exempt, compliant, overdue or not-yet-due")
    expiring_soon: bool
    assigned_on: date
    due_on: date = Field(description="The effective due date, extension included")
    completed_on: date | None
    expires_on: date | None
    exempt_until: date | None


class AssignmentPage(BaseModel):
    as_at: date
    scope: str
    data: list[AssignmentOut]
    next: str | None = Field(description="The URL of the next page, or null on the last page")


class Problem(BaseModel):
    """Every error: a sentence saying what is wrong (or, for 422, the list of invalid parameters)."""

    detail: str | list
