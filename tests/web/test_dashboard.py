"""Report pages per role (issue 7): the dashboard as landing page, scope, no identity, CSP-safe
charts, the assessment page and its rules, Excel download, bad periods, statement count."""
import os
import re
from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import load_workbook

from app.extensions import db
from app.models.assessment import AssessmentRule
from app.security import roles as r
from tests.conftest import zh_role
from tests import report_data as rd
from tests.conftest import count_queries, csrf_token

DASHBOARD = "/reports/dashboard"
ASSESSMENT = "/reports/assessment"


@pytest.fixture
def cases(users, factory, org, make_complaint, clock, built_once):
    built = built_once("report data", lambda: rd.build(users, factory, org, make_complaint), factory)
    clock["now"] = rd.TODAY
    return built


def figure(html, name):
    match = re.search(rf'id="{name}">\s*<div class="figure-value">([^<]*)<', html)
    assert match, name
    return match.group(1).strip()


def branch_rows(html):
    return re.findall(r'<tr data-branch="\d+">\s*<td>([^<]+)</td><td class="num">(\d+)</td>', html)


@pytest.mark.parametrize("username", ["discipline", "leader"])
def test_dashboard_is_the_landing_page(client, login, cases, username):
    login(username)
    html = client.get("/", query_string=rd.PERIOD).get_data(as_text=True)
    assert 'id="dashboard"' in html
    assert figure(html, "fig-received") == "9"
    assert figure(html, "fig-on-time") == "50.0%"
    assert figure(html, "fig-days") == "11.5"
    assert figure(html, "fig-overdue") == "2"
    assert figure(html, "fig-fees") == "90.00"
    assert figure(html, "fig-repeat") == "1"
    assert figure(html, "fig-overdue-now") == "2"
    assert dict(branch_rows(html)) == {name: str(n) for name, n in rd.ALL["by_branch"].items()}
    role = r.DISCIPLINE_OFFICE if username == "discipline" else r.LEADERSHIP
    assert zh_role(role) in html


def test_other_roles_do_not_land_on_the_dashboard(client, login, cases):
    login("branchhead")
    html = client.get("/", follow_redirects=True).get_data(as_text=True)
    assert 'id="dashboard"' not in html and "我的待办" in html


def test_branch_head_dashboard_covers_its_branch_only(client, login, cases, org):
    login("branchhead")
    html = client.get(DASHBOARD, query_string=rd.PERIOD).get_data(as_text=True)
    assert figure(html, "fig-received") == "6"
    assert dict(branch_rows(html)) == {"甲一分社": "6"}
    assert "乙一分社" not in html and cases["c5"].number not in html
    assert cases["c8"].number in html  # due soon
    options = re.findall(r'<option value="(\d+)"', html)
    assert options == [str(org["a1"].id)]  # the unit picker offers its own scope only


def test_dashboard_shows_no_complainant_identity(client, login, cases):
    login("discipline")
    html = client.get(DASHBOARD, query_string=rd.PERIOD).get_data(as_text=True)
    assert cases["c5"].number in html and cases["c9"].number in html  # overdue list
    for secret in ("13900000001", "张三丰", "张**", "330102199001011234", "139****0001"):
        assert secret not in html


def test_charts_are_local_and_csp_safe(client, login, cases):
    login("discipline")
    response = client.get(DASHBOARD, query_string=rd.PERIOD)
    html = response.get_data(as_text=True)
    nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"]).group(1)
    for tag in re.findall(r"<script[^>]*>", html):
        assert f'nonce="{nonce}"' in tag, tag
    assert "/static/vendor/chartjs/chart.umd.min.js" in html and "/static/reports.js" in html
    assert 'id="report-data"' in html and "http" not in re.search(r'id="report-data"[^>]*>([^<]*)<', html).group(1)
    assert client.get("/static/vendor/chartjs/chart.umd.min.js").status_code == 200
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    assert os.path.exists(os.path.join(root, "app", "static", "vendor", "chartjs", "LICENSE.md"))
    assert "@media print" in client.get("/static/reports.css").get_data(as_text=True)


@pytest.mark.parametrize("query", [
    {"start": "2026-11-31", "end": "2026-11-30"},
    {"start": "2026-11-30", "end": "2026-11-01"},
    {"start": "2020-01-01", "end": "2026-11-30"},
    {"start": "<script>", "end": "2026-11-30"},
])
def test_bad_period_shows_the_form_with_an_error(client, login, users, query):
    login("discipline")
    for path in (DASHBOARD, "/reports/export", ASSESSMENT, "/"):
        response = client.get(path, query_string=query)
        assert response.status_code == 400, path
        html = response.get_data(as_text=True)
        assert 'id="period-error"' in html and "<script>" not in html.split('id="period-error"')[1][:200]


def test_unit_outside_the_scope_is_404(client, login, cases, org):
    login("branchhead")
    for path in (DASHBOARD, "/reports/export"):
        assert client.get(path, query_string={**rd.PERIOD, "unit_id": org["b1"].id}).status_code == 404


@pytest.mark.parametrize("username, dashboard, assessment, export", [
    ("discipline", 200, 200, 200),
    ("leader", 200, 200, 200),
    ("branchhead", 200, 403, 200),
    ("committee", 200, 403, 403),
    ("counter", 403, 403, 403),
    ("reruling", 403, 403, 403),
])
def test_report_permissions_per_role(client, login, users, username, dashboard, assessment, export):
    login(username)
    assert client.get(DASHBOARD).status_code == dashboard
    assert client.get(ASSESSMENT).status_code == assessment
    assert client.get("/reports/export").status_code == export


def test_assessment_page(client, login, cases):
    login("discipline")
    html = client.get(ASSESSMENT, query_string=rd.PERIOD).get_data(as_text=True)
    points = dict(re.findall(r'<tr data-branch="\d+"[^>]*>\s*<td class="num rank">[^<]*</td><td>([^<]+)</td>'
                             r'.*?<td class="num points">([^<]+)</td>',
                             html, re.S))
    assert points == {"甲一分社": "-7.5", "甲二分社": "0", "乙一分社": "-2"}
    assert "钱二" in html and 'data-rule="responsible_18_4"' in html
    assert "13900000001" not in html


def test_web_export_button_downloads_the_workbook(client, login, cases):
    login("discipline")
    html = client.get(DASHBOARD, query_string=rd.PERIOD).get_data(as_text=True)
    href = re.search(r'id="export-button" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    response = client.get(href)
    assert response.status_code == 200
    book = load_workbook(BytesIO(response.data))
    assert len(list(book.worksheets[-1].iter_rows())) == 1 + rd.ALL["received"]


def test_admin_edits_the_scoring_rules(client, login, users):
    login("admin")
    html = client.get("/assessmentruleview/list/").get_data(as_text=True)
    assert html.count("§18(") == 5
    rule = db.session.query(AssessmentRule).filter_by(key="responsible_18_2").one()
    token = csrf_token(client, f"/assessmentruleview/edit/{rule.id}")
    response = client.post(f"/assessmentruleview/edit/{rule.id}", data={
        "label": rule.label, "basis": rule.basis, "points": "-5", "active": "y", "csrf_token": token})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(AssessmentRule, rule.id).points == Decimal("-5")
    assert db.session.get(AssessmentRule, rule.id).key == "responsible_18_2"
    assert client.get("/assessmentruleview/add").status_code == 404
    assert client.get(f"/assessmentruleview/delete/{rule.id}").status_code in (404, 405)


def test_opening_the_rule_and_assessment_pages_writes_no_rule(client, login, users):
    """Defaults are written by ``flask deploy``: a GET never brings back a rule that is gone."""
    db.session.delete(db.session.query(AssessmentRule).filter_by(key="appeal_changed").one())
    db.session.commit()
    login("admin")
    assert client.get("/assessmentruleview/list/").status_code == 200
    assert client.get(ASSESSMENT).status_code == 200
    db.session.expire_all()
    assert db.session.query(AssessmentRule).filter_by(key="appeal_changed").count() == 0


def test_only_admin_edits_rules(client, login, users):
    login("discipline")
    assert client.get("/assessmentruleview/list/").status_code == 403


def _more(users, factory, org, make_complaint, n):
    from tests.api.test_report_api import more_case

    more_case(users, factory, org, make_complaint, n)


@pytest.mark.parametrize("path", [DASHBOARD, ASSESSMENT])
def test_page_statement_count_is_constant(client, login, users, factory, org, make_complaint, clock, path):
    args = {"start": "2026-01-01", "end": "2026-11-30"}
    _more(users, factory, org, make_complaint, 0)
    clock["now"] = rd.TODAY
    login("discipline")
    client.get(path, query_string=args)
    with count_queries() as small:
        assert client.get(path, query_string=args).status_code == 200
    for n in range(1, 6):
        _more(users, factory, org, make_complaint, n)
    with count_queries() as large:
        assert client.get(path, query_string=args).status_code == 200
    assert large.count == small.count, (small.count, large.count)
    print(f"{path}: {small.count} statements")
