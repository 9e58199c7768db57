"""The quarterly regulatory report's page and workbook (issue 23): per role, a bad quarter beside its
field, the figures of tests/report_data.build_quarter, the workbook's content, and SQL statements that
do not grow with the data."""
import re
from html import unescape
from io import BytesIO

import pytest
from openpyxl import load_workbook

from app.security import roles as r
from tests import report_data as rd
from tests.conftest import count_queries

PAGE = "/reports/regulatory"
EXPORT = "/reports/regulatory/export"


@pytest.fixture
def quarter(app, users, factory, org, make_complaint, clock, built_once):
    clock["now"] = rd.TODAY
    return built_once("quarter", lambda: rd.build_quarter(users, factory, org, make_complaint), factory)


def table(html, table_id):
    """``{data-code or data-key: [cell texts]}`` of one table of the page."""
    body = re.search(rf'<table[^>]*id="{table_id}".*?</table>', html, re.S).group(0)
    out = {}
    for key, row in re.findall(r'<tr[^>]*data-(?:code|key)="([^"]*)"[^>]*>(.*?)</tr>', body, re.S):
        out[key] = [unescape(re.sub(r"<[^>]+>", "", cell)).strip() for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)]
    return out


@pytest.mark.parametrize("role, status", [
    ("discipline", 200), ("leader", 200), ("branchhead", 200), ("admin", 200),
    ("committee", 403), ("counter", 403), ("reruling", 403),
])
def test_who_opens_the_report(client, login, users, quarter, role, status):
    login(role)
    assert client.get(f"{PAGE}?quarter=2026-Q4").status_code == status
    assert client.get(f"{EXPORT}?quarter=2026-Q4").status_code == status


def test_the_page_shows_the_hand_counted_figures(client, login, quarter):
    login("discipline")
    response = client.get(f"{PAGE}?quarter=2026-Q4")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "监管季度报表(JR/T 0169-2018)" in html and "2026-10-01 至 2026-12-31" in html
    notes = unescape(re.search(r'id="regulatory-notes">(.*?)</div>', html, re.S).group(1))
    assert "计入统计 10 件" in notes and "已确认分类 4 件" in notes and "尚未确认 6 件" in notes
    assert "其中 1 件未在每个维度都有代码" in notes
    assert "另有 1 件重复投诉" in notes and "另有 1 件不予受理的投诉" in notes
    channel = table(html, "dimension-A")
    assert channel["A01"] == ["A01", "前台业务渠道", "9", "4"]
    assert channel["A0101"][2:] == ["6", "1"] and channel["A010303"][2:] == ["1", "1"]
    assert channel["unclassified"][2] == "1" and channel["total"][2] == "10"
    assert table(html, "dimension-B")["B04"][2:] == ["2", "0"]
    cube = table(html, "cube-table")
    assert cube["A0101/B01/C01"] == ["A0101", "营业现场", "B01", "人民币储蓄类", "C01", "服务态度及服务质量", "4", "1"]
    assert cube["A0101/B01"][-3:] == ["小计", "4", "1"] and cube["A0101"][-2:] == ["6", "1"]
    assert cube["total"][-2:] == ["9", "4"]
    handling = unescape(re.search(r'id="handling-table".*?</table>', html, re.S).group(0))
    for caption, value in (("10个工作日内反馈", 1), ("11至20个工作日内反馈", 3), ("尚未反馈", 6),
                           ("超时(逾期反馈或超过时限仍未反馈)", 4), ("平均反馈工作日", "11.5")):
        assert re.search(rf"{re.escape(caption)}</th><td[^>]*>{value}</td>", handling), caption
    assert "张三丰" not in html and "13900000001" not in html  # counts only


def test_the_branch_head_sees_its_branch(client, login, quarter):
    login("branchhead")
    html = client.get(f"{PAGE}?quarter=2026-Q4").get_data(as_text=True)
    assert "甲一分社" in html
    assert table(html, "dimension-A")["total"][2] == "6"
    assert "重复投诉" not in unescape(re.search(r'id="regulatory-notes">(.*?)</div>', html, re.S).group(1))
    assert client.get(f"{PAGE}?quarter=2026-Q4&unit_id={quarter['c5'].branch_id}").status_code == 404


@pytest.mark.parametrize("text", ["2026-Q5", "2026年第四季度", "x" * 300])
def test_a_bad_quarter_is_shown_beside_the_field(client, login, quarter, text):
    login("discipline")
    for url in (PAGE, EXPORT):
        response = client.get(url, query_string={"quarter": text})
        assert response.status_code == 400
        html = response.get_data(as_text=True)
        block = re.search(r'data-field="quarter".*?</div>', html, re.S).group(0)
        assert "has-error" in html[html.index('data-field="quarter"') - 40:html.index('data-field="quarter"')]
        assert "请按“年份-Q季度”填写季度,例如 2026-Q3。" in unescape(block)
        assert 'id="cube-table"' not in html


def test_without_a_quarter_the_last_whole_one(client, login, quarter):
    login("discipline")
    html = client.get(PAGE).get_data(as_text=True)
    assert 'value="2026-Q3"' in html and "2026-07-01 至 2026-09-30" in html


def test_the_workbook_holds_the_same_figures(client, login, quarter):
    login("discipline")
    response = client.get(f"{EXPORT}?quarter=2026-Q4")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert "2026-Q4" in response.headers["Content-Disposition"]
    book = load_workbook(BytesIO(response.data))
    assert [sheet.title for sheet in book.worksheets] == ["季度报表", "A×B×C"]
    first = [row for row in book.worksheets[0].iter_rows(values_only=True)]
    assert first[0][0] == "金融消费者投诉统计季度报表(JR/T 0169-2018)"
    assert ("季度", "2026-Q4 (2026-10-01 — 2026-12-31)") == first[1][:2]
    by_code = {row[0]: row for row in first if row and row[0] and re.fullmatch(r"[ABC][0-9]+", str(row[0]))}
    assert by_code["A01"][1:] == ("前台业务渠道", 9, 4) and by_code["A010303"][1:] == ("　　移动客户端", 1, 1)
    assert by_code["C03"][2:] == (2, 0)
    handling = {row[0]: row[2] for row in first if row and row[0] and len(row) > 2 and isinstance(row[2], int)
                and not re.fullmatch(r"[ABC][0-9]+", str(row[0]))}
    assert handling["10个工作日内反馈"] == 1 and handling["超时(逾期反馈或超过时限仍未反馈)"] == 4
    totals = [row for row in first if row and row[1] == "合计"]
    assert [row[2] for row in totals] == [10, 10, 10]
    cube = [row for row in book.worksheets[1].iter_rows(values_only=True)]
    assert ("A0101", "营业现场", "B01", "人民币储蓄类", "C01", "服务态度及服务质量", 4, 1) in cube
    assert ("A0101", "营业现场", "", "小计", "", "", 6, 1) in [tuple("" if v is None else v for v in row)
                                                           for row in cube]
    assert [row for row in cube if row and row[1] == "合计"][0][-2:] == (9, 4)
    for sheet in book.worksheets:  # nothing a spreadsheet would evaluate
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f"


def _count(client, url):
    client.get(url)
    with count_queries() as q:
        response = client.get(url)
    assert response.status_code == 200
    return q.count


@pytest.mark.parametrize("role", ["discipline", "branchhead"])
def test_the_page_statement_count_does_not_grow_with_the_data(client, login, users, make_complaint, org, role):
    from app.services import complaints as svc

    def grow(n):
        for i in range(n):
            case = make_complaint(users[r.DISCIPLINE_OFFICE], branch_id=(org["a1"] if i % 2 else org["b1"]).id,
                                  category=("fee", "other", "attitude")[i % 3])
            if i % 3 == 0:
                svc.apply(users[r.DISCIPLINE_OFFICE], case.id, "accept", {"level": "branch"})
                svc.apply(users[r.DISCIPLINE_OFFICE], case.id, "classify",
                          {"channel_code": ("A0102", "A010301", "A0104")[i % 3], "business_code": "B02",
                           "reason_code": ("C05", "C06", "C07")[i % 3]})

    grow(4)
    login(role)
    url = f"{PAGE}?quarter=2026-Q4"
    few = _count(client, url)
    grow(20)
    assert _count(client, url) == few
    assert few <= 16, few
