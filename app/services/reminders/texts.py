"""The reminder emails, in English. Each kind renders a subject and a plain-text body (GOV.UK Notify's generic
template shows them as ((subject)) and ((body))); the README lists them all.

Dates are written as GOV.UK writes them (2 December 2026). The body ends with where to go: the service's
address (APTRAIN_BASE_URL) and the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


def day(value: date) -> str:
    return f"{value.day} {value:%B %Y}"


@dataclass(frozen=True)
class Email:
    subject: str
    body: str


# kind -> (subject, first paragraph); {title}, {due}, {expires}, {name}, {days} are filled in.
ASSIGNMENT_TEXTS: dict[str, tuple[str, str]] = {
    "assigned": ("You must complete {title} by {due}", "You must complete {title} by {due}{because}"),
    "due-30": ("{title}: due in 30 days, on {due}", "You must complete {title} by {due}, 30 days from now."),
    "due-7": ("{title}: due in 7 days, on {due}", "You must complete {title} by {due}, 7 days from now."),
    "due-1": ("{title}: due tomorrow", "You must complete {title} by tomorrow, {due}."),
    "due-today": ("{title}: due today", "You must complete {title} today, {due}."),
    "overdue": ("{title} is overdue", "You had to complete {title} by {due}. It is now {days} overdue: "
                                      "please complete it as soon as you can."),
    "expiring": ("{title}: your completion expires on {expires}",
                 "Your completion of {title} expires on {expires}. Complete it again before then to stay up to date."),
    "retake": ("{title}: a new version asks you to retake it",
               "A new major version of {title} has been published. Your earlier completion no longer counts: "
               "please complete the new version by {due}."),
}
KINDS = ("assigned", "due-30", "due-7", "due-1", "due-today", "overdue", "expiring", "retake", "manager-digest",
         "department-summary")


def because(reason: str) -> str:
    """The assignment's reason after "You must complete X by D": "because you are posted to …, which …" when it
    speaks of the official, else as a sentence of its own ("Required for everyone in FCDO.")."""
    reason = reason.strip()
    if not reason:
        return "."
    if reason.startswith("You "):
        return " because you " + reason.removeprefix("You ")
    return ". " + reason


def _days(n: int) -> str:
    return "1 day" if n == 1 else f"{n} days"


def assignment_email(kind: str, *, given_name: str, title: str, due: date, reason: str, expires: date | None,
                     days_overdue: int, link: str) -> Email:
    subject, first = ASSIGNMENT_TEXTS[kind]
    values = {"title": title, "due": day(due), "expires": day(expires) if expires else "", "because": because(reason),
              "days": _days(days_overdue)}
    body = "\n\n".join([
        f"Dear {given_name},",
        first.format(**values),
        f"Start or continue the training: {link}",
        "Atrocity Prevention Training",
    ])
    return Email(subject.format(**values), body)


@dataclass(frozen=True)
class TeamLine:
    name: str
    title: str
    due: date
    overdue: bool


def manager_digest(*, given_name: str, week_of: date, lines: list[TeamLine], total: int, link: str) -> Email:
    overdue = [line for line in lines if line.overdue]
    soon = [line for line in lines if not line.overdue]
    parts = [f"Dear {given_name},",
             f"This is the weekly summary for the people you line manage, for the week of {day(week_of)}."]
    if overdue:
        parts.append("Overdue:\n" + "\n".join(f"* {x.name}: {x.title}, due {day(x.due)}" for x in overdue))
    if soon:
        parts.append("Due in the next 30 days:\n" + "\n".join(f"* {x.name}: {x.title}, due {day(x.due)}" for x in soon))
    if total > len(lines):
        parts.append(f"And {total - len(lines)} more: see them all on the service.")
    parts += [f"See your team's training: {link}", "Atrocity Prevention Training"]
    count = sum(1 for x in lines if x.overdue) if total == len(lines) else None
    subject = "Your team's training this week"
    if count:
        subject += f": {count} overdue"
    return Email(subject, "\n\n".join(parts))


def department_summary(*, given_name: str, department: str, month: date, figures: dict[str, int],
                       percent: float | None, link: str) -> Email:
    rate = f"{percent:.1f}%" if percent is not None else "no one is due to train yet"
    body = "\n\n".join([
        f"Dear {given_name},",
        f"This is the monthly training summary for {department}, as at {day(month)}.",
        "\n".join([
            f"* Compliance: {rate}",
            f"* Assigned: {figures['assigned']}",
            f"* Compliant: {figures['compliant']}",
            f"* Overdue: {figures['overdue']}",
            f"* Not yet due: {figures['not_yet_due']}",
            f"* Exempt: {figures['exempt']}",
            f"* Expiring soon: {figures['expiring_soon']}",
        ]),
        f"See the dashboard: {link}",
        "Atrocity Prevention Training",
    ])
    return Email(f"{department}: training summary for {month:%B %Y}", body)
