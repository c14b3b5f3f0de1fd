"""The HR roster import: validation with line numbers, all-or-nothing, dry run, idempotence, Excel's CSV habits."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import func, select

from app.models import AuditEvent, Department, Official, Posting, Unit
from app.services.organisation.roster import import_roster

TODAY = date(2026, 1, 15)
HEADER = "email,given_name,family_name,department,unit,line_manager_email,roles,country,post,posting_start,posting_end\n"
ROSTER = HEADER + (
    "ann.head@fcdo.gov.uk,Ann,Head,FCDO,Africa Directorate,,manager;department-admin,,,,\n"
    "siobhan@fcdo.gov.uk,Siobhán,O'Brien,FCDO,Africa Directorate / Sudan Team,ann.head@fcdo.gov.uk,,SD,British Embassy Khartoum,2025-09-01,2027-08-31\n"
    "nguyen@fcdo.gov.uk,Nguyễn,Văn An,FCDO,Africa Directorate / Sudan Team,ann.head@fcdo.gov.uk,learner,Chad,British Embassy N'Djamena,01/03/2026,\n"
    "nguyen@fcdo.gov.uk,Nguyễn,Văn An,FCDO,Africa Directorate / Sudan Team,ann.head@fcdo.gov.uk,learner,Sudan,British Embassy Khartoum,01/09/2026,\n"
)


@pytest.fixture
def departments(session):
    session.add_all([Department(code="FCDO", name="Foreign, Commonwealth & Development Office"), Department(code="MOD", name="Ministry of Defence")])
    session.commit()


def run(session, text, **options):
    report = import_roster(session, text, filename="roster.csv", today=TODAY, **options)
    session.commit()
    return report


def count(session, model) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


def officials(session) -> dict[str, Official]:
    session.expire_all()
    return {o.email: o for o in session.exec(select(Official))}


def test_imports_officials_units_managers_and_postings(session, departments):
    report = run(session, ROSTER)
    assert report.errors == [] and report.applied
    people = officials(session)
    assert set(people) == {"ann.head@fcdo.gov.uk", "siobhan@fcdo.gov.uk", "nguyen@fcdo.gov.uk"}
    siobhan, nguyen, ann = people["siobhan@fcdo.gov.uk"], people["nguyen@fcdo.gov.uk"], people["ann.head@fcdo.gov.uk"]
    assert (siobhan.given_name, siobhan.family_name) == ("Siobhán", "O'Brien")
    assert (nguyen.given_name, nguyen.family_name) == ("Nguyễn", "Văn An")
    assert siobhan.line_manager_id == ann.id and nguyen.line_manager_id == ann.id
    assert ann.roles == "learner manager department-admin"
    units = {u.full_name: u for u in session.exec(select(Unit))}
    assert set(units) == {"Africa Directorate", "Africa Directorate / Sudan Team"}
    team, directorate = units["Africa Directorate / Sudan Team"], units["Africa Directorate"]
    assert team.parent_id == directorate.id and team.path == f"/{directorate.id}/{team.id}/"
    assert siobhan.unit_id == team.id and siobhan.unit_path == team.path
    postings = session.exec(select(Posting).where(Posting.official_id == nguyen.id).order_by(Posting.start_on)).all()
    assert [(p.country_code, p.start_on) for p in postings] == [("TD", date(2026, 3, 1)), ("SD", date(2026, 9, 1))]
    # 2 units + 3 officials + 3 postings, one audit event each
    assert count(session, AuditEvent) == 8
    assert report.counts == {"added": 8, "changed": 0, "ended": 0}
    labels = set(session.exec(select(AuditEvent.actor_label)).all())
    assert labels == {"import roster roster.csv"}


def test_reimporting_the_same_file_changes_nothing(session, departments):
    run(session, ROSTER)
    events = count(session, AuditEvent)
    report = run(session, ROSTER)
    assert report.applied and report.unchanged and report.counts == {"added": 0, "changed": 0, "ended": 0}
    assert count(session, AuditEvent) == events


def test_dry_run_reports_but_changes_nothing(session, departments):
    report = run(session, ROSTER, dry_run=True)
    assert not report.applied and report.counts["added"] == 8
    assert any("siobhan@fcdo.gov.uk" in line for line in report.added)
    assert count(session, Official) == count(session, Unit) == count(session, AuditEvent) == 0


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("not-an-email,A,B,FCDO,,,,,,,", "bad email 'not-an-email'"),
        ("x@fcdo.gov.uk,A,B,DFID,,,,,,,", "unknown department 'DFID'"),
        ("x@fcdo.gov.uk,A,B,FCDO,,,,Narnia,Embassy,2026-01-01,", "unknown country 'Narnia'"),
        ("x@fcdo.gov.uk,A,B,FCDO,,,,SD,Embassy,31/02/2026,", "posting_start: bad date '31/02/2026'"),
        ("x@fcdo.gov.uk,A,B,FCDO,,,,SD,Embassy,2026-05-01,2026-04-01", "posting_end 2026-04-01 is before posting_start 2026-05-01"),
        ("x@fcdo.gov.uk,A,B,FCDO,,,spy,,,,", "unknown role(s) spy"),
        ("x@fcdo.gov.uk,A,B,FCDO,,nobody@fcdo.gov.uk,,,,,", "line manager nobody@fcdo.gov.uk is not in the file or the database"),
        ("x@fcdo.gov.uk,A,B,FCDO,,,,SD,,2026-01-01,", "a posting needs country, post and posting_start"),
        ("x@fcdo.gov.uk,A,,FCDO,,,,,,,", "given_name and family_name are required"),
        ("x@fcdo.gov.uk,A,B,FCDO,Africa // Team,,,,,,", "bad unit"),
    ],
)
def test_each_problem_is_reported_with_its_line_and_nothing_changes(session, departments, row, message):
    report = run(session, ROSTER + row + "\n")
    assert [e.line for e in report.errors] == [6], report.errors
    assert message in report.errors[0].message
    assert not report.applied
    assert count(session, Official) == count(session, Unit) == count(session, Posting) == count(session, AuditEvent) == 0


def test_rows_for_one_official_must_agree(session, departments):
    text = HEADER + "a@fcdo.gov.uk,Ann,Able,FCDO,,,,SD,Embassy,2026-01-01,\na@fcdo.gov.uk,Ann,Baker,FCDO,,,,TD,Embassy,2026-09-01,\n"
    report = run(session, text)
    assert [(e.line, e.message) for e in report.errors] == [(3, "rows for a@fcdo.gov.uk disagree on family_name: 'Able' on line 2, 'Baker' here")]


def test_a_line_manager_cycle_is_an_error(session, departments):
    text = HEADER + "a@fcdo.gov.uk,A,A,FCDO,,b@fcdo.gov.uk,,,,,\nb@fcdo.gov.uk,B,B,FCDO,,c@fcdo.gov.uk,,,,,\nc@fcdo.gov.uk,C,C,FCDO,,a@fcdo.gov.uk,,,,,\n"
    report = run(session, text)
    assert len(report.errors) == 1 and report.errors[0].line == 2
    assert report.errors[0].message == "line manager cycle: a@fcdo.gov.uk → b@fcdo.gov.uk → c@fcdo.gov.uk → a@fcdo.gov.uk"


def test_missing_required_column(session, departments):
    report = run(session, "email,given_name,department\na@fcdo.gov.uk,A,FCDO\n")
    assert [(e.line, e.message) for e in report.errors] == [(1, "missing required column(s): family_name")]


def test_manager_may_be_in_the_database_already(session, departments):
    run(session, HEADER + "boss@fcdo.gov.uk,Bo,Ss,FCDO,,,,,,,\n")
    report = run(session, "email,given_name,family_name,department,line_manager_email\nnew@fcdo.gov.uk,N,Ew,FCDO,boss@fcdo.gov.uk\n")
    assert report.errors == []
    people = officials(session)
    assert people["new@fcdo.gov.uk"].line_manager_id == people["boss@fcdo.gov.uk"].id


def test_changes_are_applied_and_audited(session, departments):
    run(session, ROSTER)
    changed = ROSTER.replace("Siobhán,O'Brien,FCDO", "Siobhán,Murphy,MOD").replace("2027-08-31", "2027-12-31")
    report = run(session, changed)
    assert report.errors == []
    assert len(report.changed) == 2 and report.counts["added"] == 2  # its unit path, now under MOD
    siobhan = officials(session)["siobhan@fcdo.gov.uk"]
    assert siobhan.family_name == "Murphy"
    assert session.get(Unit, siobhan.unit_id).full_name == "Africa Directorate / Sudan Team"
    actions = session.exec(select(AuditEvent.action).where(AuditEvent.id > 8)).all()
    assert sorted(actions) == ["official.update", "posting.update", "unit.create", "unit.create"]


def test_a_posting_no_longer_in_the_file_is_ended_or_cancelled(session, departments):
    run(session, ROSTER)
    without_future = "".join(line for line in ROSTER.splitlines(keepends=True) if "01/09/2026" not in line)
    report = run(session, without_future)
    assert len(report.ended) == 1 and "cancelled" in report.ended[0]
    session.expire_all()
    posting = session.exec(select(Posting).where(Posting.start_on == date(2026, 9, 1))).one()
    assert posting.end_on == date(2026, 1, 14)
    assert run(session, without_future).unchanged


def test_full_import_marks_missing_officials_as_left(session, departments):
    run(session, ROSTER)
    shorter = "".join(line for line in ROSTER.splitlines(keepends=True) if "siobhan" not in line)
    assert run(session, shorter).ended == []  # not a full import: nobody leaves
    report = run(session, shorter, full=True)
    assert report.ended == ["official siobhan@fcdo.gov.uk: marked as left"]
    people = officials(session)
    assert not people["siobhan@fcdo.gov.uk"].active and people["nguyen@fcdo.gov.uk"].active
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "official.leave")).one()
    assert run(session, shorter, full=True).unchanged
    back = run(session, ROSTER, full=True)
    assert back.changed == ["official siobhan@fcdo.gov.uk: back (was marked as left)"]


def test_excel_csv_with_bom_crlf_and_semicolons(session, departments):
    text = ROSTER.replace(",", ";").replace("manager;department-admin", '"manager;department-admin"').replace("\n", "\r\n")
    report = run(session, "\ufeff".encode() + text.encode("utf-8"))
    assert report.errors == [] and report.counts["added"] == 8
    assert officials(session)["siobhan@fcdo.gov.uk"].given_name == "Siobhán"


def test_quoted_cells_and_column_order_and_case(session, departments):
    text = 'Family Name,EMAIL,Given_Name,Department,Ignored\n"O\'Brien, Jr",s@fcdo.gov.uk,Seán,fcdo,x\n'
    report = run(session, text)
    assert report.errors == []
    assert officials(session)["s@fcdo.gov.uk"].family_name == "O'Brien, Jr"


def test_cp1252_file(session, departments):
    text = "email,given_name,family_name,department\ns@fcdo.gov.uk,Siobhán,O’Brien,FCDO\n"
    report = run(session, text.encode("cp1252"))
    assert report.errors == []
    assert officials(session)["s@fcdo.gov.uk"].family_name == "O’Brien"


def test_country_by_name_and_british_dates(session, departments):
    text = HEADER + "a@fcdo.gov.uk,A,A,FCDO,,,,Democratic Republic of the Congo,British Embassy Kinshasa,5/1/2026,31/12/2027\n"
    report = run(session, text)
    assert report.errors == []
    posting = session.exec(select(Posting)).one()
    assert (posting.country_code, posting.start_on, posting.end_on) == ("CD", date(2026, 1, 5), date(2027, 12, 31))


def test_departments_by_name_and_roles_as_hr_spells_them(session, departments):
    """HR files carry department names and role spellings such as `department_admin` or `Department admin`."""
    text = HEADER + (
        "a@fcdo.gov.uk,A,A,\"  foreign, commonwealth &  development office \",,,Department admin; MANAGER,,,,\n"
        "b@mod.uk,B,B,Ministry of Defence,,,department_admin,,,,\n"
        "c@mod.uk,C,C, mod ,,,\"Central-Admin, content author\",,,,\n"
        "d@mod.uk,D,D,MOD,,,manager author,,,,\n"
    )
    report = run(session, text)
    assert report.errors == [] and report.applied
    people = officials(session)
    fcdo, mod = (session.exec(select(Department).where(Department.code == code)).one().id for code in ("FCDO", "MOD"))
    assert (people["a@fcdo.gov.uk"].department_id, people["a@fcdo.gov.uk"].roles) == (fcdo, "learner manager department-admin")
    assert (people["b@mod.uk"].department_id, people["b@mod.uk"].roles) == (mod, "learner department-admin")
    assert (people["c@mod.uk"].department_id, people["c@mod.uk"].roles) == (mod, "learner central-admin author")
    assert people["d@mod.uk"].roles == "learner manager author"


def test_a_bad_department_name_or_role_is_still_a_row_error_and_nothing_changes(session, departments):
    session.add(Department(code="HO", name="Ministry of Defence"))  # two departments now share a name
    session.commit()
    text = ROSTER + (
        "x@fcdo.gov.uk,A,B,Foreign Office,,,,,,,\n"
        "y@mod.uk,A,B,ministry of defence,,,,,,,\n"
        "z@fcdo.gov.uk,A,B,FCDO,,,department admins; manager,,,,\n"
    )
    report = run(session, text)
    assert [(e.line, e.message) for e in report.errors] == [
        (6, "unknown department 'Foreign Office' (use a department's code or name)"),
        (7, "department 'ministry of defence' names more than one department: use its code"),
        (8, "unknown role(s) department admins (use learner; manager; department-admin; central-admin; author)"),
    ]
    assert not report.applied and count(session, Official) == 0
