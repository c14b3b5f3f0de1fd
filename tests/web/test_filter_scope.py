"""Every option list and label of the dashboards and exports comes from the viewer's scope: a department or
unit id from outside it in the URL is treated as not found and never named (issue 12, gap 4)."""

from __future__ import annotations

import io
import zipfile

import pytest

from tests.factories import PASSWORD, make_unit

VIEWS = ("officials", "units", "countries", "modules", "department", "central", "team")


def _everything_said(response) -> str:
    """The page or file as text, with its headers (an Excel file's XML parts unzipped)."""
    body = response.text if "spreadsheet" not in response.headers.get("content-type", "") else "".join(
        zipfile.ZipFile(io.BytesIO(response.content)).read(name).decode() for name in
        zipfile.ZipFile(io.BytesIO(response.content)).namelist())
    return body + "\n" + "\n".join(f"{k}: {v}" for k, v in response.headers.items())


@pytest.fixture
def secret(session, populated_org):
    """A MOD unit with a name to look for, and a MOD unit under it."""
    cell = make_unit(session, populated_org["mod"], "Zebra Cell")
    return {"cell": cell, "child": make_unit(session, populated_org["mod"], "Quokka Desk", parent=cell)}


@pytest.mark.parametrize("who", ["dept_admin", "manager"])
def test_another_departments_units_are_never_named(client, populated_org, secret, who):
    client.sign_in(populated_org[who].email, PASSWORD)
    mod, cell, child = populated_org["mod"], secret["cell"], secret["child"]
    queries = [f"department={mod.id}", f"unit={cell.id}", f"department={mod.id}&unit={child.id}",
               f"unit={populated_org['defence'].id}"]
    urls = [f"/compliance/officials?{q}" for q in queries]
    urls += [f"/compliance/team?{q}" for q in queries] + [f"/compliance?{q}" for q in queries]
    urls += [f"/compliance/departments/{populated_org['fcdo'].id}?{q}" for q in queries]
    urls += [f"/compliance/export.{ext}?view={view}&{q}" for ext in ("csv", "xlsx") for view in VIEWS for q in queries]
    for url in urls:
        response = client.get(url, follow_redirects=True)
        assert response.status_code in (200, 404), url
        said = _everything_said(response)
        for name in ("Zebra Cell", "Quokka Desk", "Operations", "zebra", "quokka"):
            assert name not in said, (url, name)
        if "department=" in url:
            assert ">MOD<" not in said and "department MOD" not in said, url


def test_the_department_admins_own_units_are_still_offered_and_named(client, populated_org, secret):
    client.sign_in(populated_org["dept_admin"].email, PASSWORD)
    page = client.get(f"/compliance/officials?department={populated_org['fcdo'].id}").text
    assert "Africa Directorate / Policy team" in page and "Europe Directorate" in page
    team = populated_org["team"]
    response = client.get(f"/compliance/export.csv?view=units&unit={team.id}")
    assert "unit Africa Directorate / Policy team" in response.text and "policy-team" in response.headers["content-disposition"]
    out = client.get(f"/compliance/export.csv?view=units&unit={secret['cell'].id}")
    assert out.status_code == 200 and f"unit {secret['cell'].id} (not found)" in out.text
    assert out.text.splitlines()[1].startswith("Total,0,0")  # narrowed to nothing: no unit, no figures
