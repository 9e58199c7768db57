"""The Excel export's case list (domain.md §8, §16): the fast path (plain columns, rows rendered as
worksheet XML) lists exactly what the case entities, ``masking.identity``, ``is_overdue`` and the
translated labels give; its cells equal openpyxl's own; the statement count does not grow with the
number of cases; more than ``EXPORT_MAX_CASES`` cases is refused on the page and the API with
nothing written or logged."""
import math
from dataclasses import replace
from datetime import datetime
from io import BytesIO
from tempfile import TemporaryFile

import pytest
from flask import g
from flask_babel import force_locale
from openpyxl import Workbook, load_workbook
from sqlalchemy import update

from app.extensions import db
from app.models.audit import PiiAccess
from app.models.complaint import Complaint
from app.reports import export
from app.reports.period import parse_period
from app.security import roles as r
from app.security.masking import identity, sees_identity
from app.services import complaints as svc
from app.i18n import vocab as c
from tests import report_data as rd
from tests.conftest import count_queries

EXPORT = "/reports/export"
API_EXPORT = "/api/v1/report/export"
TODAY = rd.TODAY.date()


@pytest.fixture
def cases(users, factory, org, make_complaint, clock, built_once):
    built = built_once("report data", lambda: rd.build(users, factory, org, make_complaint), factory)
    clock["now"] = rd.TODAY
    return built


def expected_values(actor, case, today):
    """One case-list row as the export computed it from the case entity before the fast path."""
    who = identity(actor, case)

    def yes_no(value):
        return "" if value is None else ("是" if value else "否")

    values = [
        case.number, case.received_at, str(c.label(c.CHANNELS, case.channel)),
        who["complainant_name"], who["complainant_phone"],
        case.branch.name if case.branch else "",
        case.respondent_staff.name if case.respondent_staff else "",
        str(c.label(c.CATEGORIES, case.category)), c.label(c.STATUSES, case.status), str(c.label(c.LEVELS, case.level)),
        case.handling_unit.name if case.handling_unit else "",
        case.handler.name if case.handler else "",
        case.due_date, str(c.label(c.EXTENSIONS, case.extension_status)), case.replied_at,
        yes_no(svc.is_overdue(case, today)), str(c.label(c.RULING_RESULTS, case.ruling_result)),
        case.ruling_category or "", str(c.label(c.APPEAL_DECISIONS, case.appeal_decision)),
        yes_no(case.follow_up_satisfied),
    ]
    return [export.neutralise(value) for value in values]


def listed(app, user, actor=None, args=rd.PERIOD):
    """``[(case id, shown in full, values)]`` of the case list for ``user`` (as ``actor``), in zh."""
    with app.test_request_context(), force_locale("zh"):
        g.user = user
        period = parse_period(user, args, TODAY)
        return list(export.case_values(actor or svc.actor_for(user), user, period, TODAY))


def check_rows(app, user, actor=None):
    rows = listed(app, user, actor)
    db.session.expire_all()
    with app.test_request_context(), force_locale("zh"):
        g.user = user
        actor = actor or svc.actor_for(user)
        period = parse_period(user, rd.PERIOD, TODAY)
        from sqlalchemy import select

        from app.reports import figures

        entities = db.session.execute(
            select(Complaint).where(*figures.base_conditions(user, period))
            .order_by(Complaint.received_at, Complaint.id)).scalars().all()
        assert [row[0] for row in rows] == [case.id for case in entities]
        for (case_id, full, values), case in zip(rows, entities):
            assert full == sees_identity(actor, case), case.number
            assert values == expected_values(actor, case, TODAY), case.number
    return rows


@pytest.mark.parametrize("role", [r.DISCIPLINE_OFFICE, r.LEADERSHIP, r.BRANCH_HEAD, r.COMMITTEE, r.COUNTER_STAFF])
def test_case_list_equals_the_entities_masking_and_labels(app, users, cases, role):
    rows = check_rows(app, users[role])
    assert rows, role
    shown = {full for _, full, _ in rows}
    if role == r.DISCIPLINE_OFFICE:
        assert shown == {True}
    elif role in (r.LEADERSHIP, r.COMMITTEE):
        assert shown == {False}
    else:  # the cases it handles (counter) or its branch handles (branch head)
        assert shown == {True, False}, role


def test_case_list_hides_identity_from_ruled_and_named_staff(app, users, cases):
    """The staff member a ruling holds responsible, or the complaint names, never sees who
    complained — even with a role that otherwise would (the EXISTS on ruling_staff)."""
    counter2 = cases["counter2"]
    head = users[r.BRANCH_HEAD]
    with app.test_request_context():
        g.user = head
        actor = replace(svc.actor_for(head), staff_id=counter2.staff_records[0].id)
    plain = {case_id for case_id, full, _ in check_rows(app, head) if not full}
    rows = check_rows(app, head, actor)
    hidden = {case_id for case_id, full, _ in rows if not full}
    # c1 names counter2 and (re-)rules on it; c2's ruling holds it responsible.
    assert not plain & {cases["c1"].id, cases["c2"].id}
    assert hidden == plain | {cases["c1"].id, cases["c2"].id}
    c1 = next(values for case_id, _, values in rows if case_id == cases["c1"].id)
    assert c1[4] == "139****0001"


def test_case_list_labels_and_overdue_flag_in_chinese(app, users, cases):
    rows = {case_id: values for case_id, _, values in listed(app, users[r.DISCIPLINE_OFFICE])}
    c2, c5, c8 = rows[cases["c2"].id], rows[cases["c5"].id], rows[cases["c8"].id]
    with app.test_request_context(), force_locale("zh"):
        assert c2[2] == c.label(c.CHANNELS, "hotline") and c2[7] == c.label(c.CATEGORIES, "fee")
        assert c2[16] == c.label(c.RULING_RESULTS, "responsible") and c2[18] == c.label(c.APPEAL_DECISIONS, "changed")
    assert (c2[15], c5[15], c8[15]) == ("是", "是", "否")  # replied late; processing past due; due later
    assert c2[19] == "否" and rows[cases["c1"].id][19] == "是" and c8[19] == ""
    assert c2[17] == "18.4" and c2[3] == "张三丰"


def workbook_bytes(app, user, monkeypatch, raw=True):
    with app.test_request_context(), force_locale("zh"):
        g.user = user
        period = parse_period(user, rd.PERIOD, TODAY)
        book = Workbook(write_only=True)
        appended = []
        if raw:
            original = export._StreamedSheet.append_xml
            monkeypatch.setattr(export._StreamedSheet, "append_xml",
                                lambda sheet, xml, rows: appended.append(rows) or original(sheet, xml, rows))
        else:  # openpyxl's cells, as under lxml
            monkeypatch.setattr(export._StreamedSheet, "_raw_writer", staticmethod(lambda xf: None))
            monkeypatch.setattr(export._StreamedSheet, "append_xml", None)
        shown = export.write_cases(book, user, svc.actor_for(user), period, TODAY)
        assert sum(appended) == (rd.ALL["received"] if raw else 0)
        with TemporaryFile() as handle:
            book.save(handle)
            handle.seek(0)
            return handle.read(), shown


def sheet_cells(data):
    ws = load_workbook(BytesIO(data)).worksheets[-1]
    cells = [[(cell.value, cell.data_type, cell.number_format, repr(cell.font), repr(cell.border),
               repr(cell.fill), repr(cell.alignment)) for cell in row] for row in ws.iter_rows()]
    return ws.title, ws.freeze_panes, {k: v.width for k, v in ws.column_dimensions.items()}, cells


@pytest.mark.parametrize("role", [r.DISCIPLINE_OFFICE, r.LEADERSHIP])
def test_rendered_rows_equal_openpyxl_cells(app, users, cases, monkeypatch, role):
    """The XML the fast path writes reads back exactly as openpyxl's own cells (values, types,
    formats, borders), including awkward text: a formula, an error code, XML specials, spaces."""
    db.session.execute(update(Complaint).where(Complaint.id == cases["c3"].id)
                       .values(complainant_name=" A&B <x> ", complainant_phone="#N/A"))
    db.session.execute(update(Complaint).where(Complaint.id == cases["c4"].id)
                       .values(complainant_name="@SUM(A1)\x07", ruling_category="-1"))
    db.session.commit()
    fast, shown_fast = workbook_bytes(app, users[role], monkeypatch)
    slow, shown_slow = workbook_bytes(app, users[role], monkeypatch, raw=False)
    assert shown_fast == shown_slow
    title, frozen, widths, cells = sheet_cells(fast)
    assert (title, frozen, widths, cells) == sheet_cells(slow)
    assert title == "投诉清单" and frozen == "B2" and widths["A"] == 18
    assert len(cells) == 1 + rd.ALL["received"]
    by_number = {row[0][0]: row for row in cells[1:]}
    c3, c4 = by_number[cases["c3"].number], by_number[cases["c4"].number]
    if role == r.DISCIPLINE_OFFICE:
        assert c3[3][0] == " A&B <x> " and c3[4][:2] == ("#N/A", "e")
        assert c4[3][0] == "'@SUM(A1)" and c4[17][0] == "'-1"
    received, due = c3[1], c3[12]
    assert isinstance(received[0], datetime) and received[2] == export.MINUTE
    assert isinstance(due[0], datetime) and due[0].date() == cases["c3"].due_date and due[2] == export.DAY
    assert c3[14][2] == export.MINUTE and "thin" in c3[5][4]
    assert all(cell[1] != "f" for row in cells for cell in row)


# --- statements -------------------------------------------------------------------------------

def add_cases(users, make_complaint, org, count, day):
    for i in range(count):
        make_complaint(users[r.DISCIPLINE_OFFICE], now=datetime(2026, 11, day, 9, i),
                       received_at=datetime(2026, 11, day, 9, i).isoformat(),
                       branch_id=(org["a1"] if i % 2 else org["a2"]).id, complainant_phone=f"1380000{i:04d}")


def test_export_statement_count_does_not_grow_with_the_cases(client, api, users, org, make_complaint, clock,
                                                             monkeypatch):
    monkeypatch.setattr(export, "CHUNK", 4)  # several chunks even with a few cases
    clock["now"] = rd.TODAY
    headers = api("discipline")
    args = {"start": "2026-11-01", "end": "2026-11-30"}
    add_cases(users, make_complaint, org, 3, 2)
    client.get(API_EXPORT, query_string=args, headers=headers)
    with count_queries() as small:
        assert client.get(API_EXPORT, query_string=args, headers=headers).status_code == 200
    add_cases(users, make_complaint, org, 30, 3)
    with count_queries() as large:
        response = client.get(API_EXPORT, query_string=args, headers=headers)
    assert response.status_code == 200
    rows = list(load_workbook(BytesIO(response.data)).worksheets[-1].iter_rows(values_only=True))
    assert len(rows) == 1 + 33
    # Chunked reads may cost one statement per chunk, never one per case (the PII log inserts
    # up to 1000 rows a statement).
    allowed = math.ceil(33 / export.CHUNK) - math.ceil(3 / export.CHUNK)
    assert large.count - small.count <= allowed, (small.count, large.count)
    print(f"export API: {small.count} statements for 3 cases, {large.count} for 33")


# --- the cap ----------------------------------------------------------------------------------

def nothing_written(monkeypatch):
    """Fail if the export starts to build a workbook."""
    def refuse(*args, **kwargs):
        raise AssertionError("a workbook was built")

    monkeypatch.setattr(export, "Workbook", refuse)


def test_web_export_above_the_cap_is_refused_with_a_message(app, client, login, cases, monkeypatch):
    app.config["EXPORT_MAX_CASES"] = rd.ALL["received"] - 1
    nothing_written(monkeypatch)
    login("discipline")
    response = client.get(EXPORT, query_string=rd.PERIOD)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/reports/dashboard?")
    assert "start=2026-11-01" in response.headers["Location"] and "end=2026-11-30" in response.headers["Location"]
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    count, limit = rd.ALL["received"], rd.ALL["received"] - 1
    message = f"本次导出将包含 {count} 件投诉,超过单次导出上限 {limit} 件。请缩短统计期间或选择单位后重新导出。"
    assert message in html
    assert db.session.query(PiiAccess).count() == 0


def test_api_export_above_the_cap_is_a_400_with_the_message(app, client, api, cases, monkeypatch):
    app.config["EXPORT_MAX_CASES"] = 2
    nothing_written(monkeypatch)
    response = client.get(API_EXPORT, query_string=rd.PERIOD, headers=api("discipline"))
    assert response.status_code == 400
    body = response.get_json()
    assert set(body) == {"message"} and isinstance(body["message"], str)
    assert f"{rd.ALL['received']} 件投诉" in body["message"] and "上限 2 件" in body["message"]
    assert db.session.query(PiiAccess).count() == 0


def test_export_at_the_cap_is_written_and_logged(app, client, api, cases):
    app.config["EXPORT_MAX_CASES"] = rd.ALL["received"]
    response = client.get(API_EXPORT, query_string=rd.PERIOD, headers=api("discipline"))
    assert response.status_code == 200
    assert len(list(load_workbook(BytesIO(response.data)).worksheets[-1].iter_rows())) == 1 + rd.ALL["received"]
    assert db.session.query(PiiAccess).filter_by(channel="export").count() == rd.ALL["received"]


def test_the_cap_counts_the_callers_scope_and_unit(app, users, cases, org):
    app.config["EXPORT_MAX_CASES"] = rd.BRANCH_A1["received"]
    with app.test_request_context():
        head = users[r.BRANCH_HEAD]
        assert export.check_size(head, parse_period(head, rd.PERIOD, TODAY)) == rd.BRANCH_A1["received"]
        office = users[r.DISCIPLINE_OFFICE]
        unit = parse_period(office, {**rd.PERIOD, "unit_id": org["a1"].id}, TODAY)
        assert export.check_size(office, unit) == rd.BRANCH_A1["received"]
        with pytest.raises(export.TooManyCases) as refused:
            export.check_size(office, parse_period(office, rd.PERIOD, TODAY))
        assert refused.value.count == rd.ALL["received"] and refused.value.status == 400


def test_the_cap_defaults_to_300000(app):
    assert app.config["EXPORT_MAX_CASES"] == 300000
    with app.app_context():
        assert export.max_cases() == 300000


def test_export_of_an_empty_period_is_the_header_alone(client, api, cases):
    response = client.get(API_EXPORT, query_string={"start": "2025-01-01", "end": "2025-01-31"},
                          headers=api("discipline"))
    assert response.status_code == 200
    rows = list(load_workbook(BytesIO(response.data)).worksheets[-1].iter_rows(values_only=True))
    assert len(rows) == 1 and rows[0][0]
    assert db.session.query(PiiAccess).count() == 0
