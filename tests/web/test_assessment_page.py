"""The assessment page (考核表) as leadership reads it: every branch with its rank, the Excel sheet
the same rows in the same order, and the report tables scrolling inside their own box on a phone."""
import re
from io import BytesIO

import pytest
from openpyxl import load_workbook

from tests import report_data as rd

ASSESSMENT = "/reports/assessment"


@pytest.fixture
def cases(users, factory, org, make_complaint, clock, built_once):
    built = built_once("report data", lambda: rd.build(users, factory, org, make_complaint), factory)
    factory.unit("丙一分社", "branch", org["coop_b"], code="B2")  # no complaint
    clock["now"] = rd.TODAY
    return built


def page_rows(html):
    """(rank, branch, points) of the branch table, in the page's order."""
    table = html.split('id="branch-assessment"', 1)[1].split("</table>", 1)[0]
    return [(rank, name, points) for rank, name, points in re.findall(
        r'<tr data-branch="\d+"[^>]*>\s*<td class="num rank">([^<]*)</td><td>([^<]+)</td>.*?'
        r'<td class="num points">([^<]+)</td>', table, re.S)]


def test_leadership_reads_every_branch_with_its_rank(client, login, cases):
    login("leader")
    html = client.get(ASSESSMENT, query_string=rd.PERIOD).get_data(as_text=True)
    assert page_rows(html) == [("1", "甲二分社", "0"), ("1", "丙一分社", "0"), ("3", "乙一分社", "-2"),
                               ("4", "甲一分社", "-7.5")]
    assert "名次" in html and "满分" in html
    assert "13900000001" not in html


def test_the_excel_sheet_lists_the_same_rows_as_the_page(client, login, cases):
    login("leader")
    html = client.get(ASSESSMENT, query_string=rd.PERIOD).get_data(as_text=True)
    book = load_workbook(BytesIO(client.get("/reports/export", query_string=rd.PERIOD).data))
    sheet = book.worksheets[1]
    rows = list(sheet.iter_rows(values_only=True))
    header = next(index for index, row in enumerate(rows) if row and row[0] == "名次")
    assert rows[header][1] == "营业网点" and rows[header][-1] == "得分"
    exported = [(str(row[0]), row[1], f"{row[-1]:g}") for row in rows[header + 1:] if row and row[1]]
    assert exported == page_rows(html)


@pytest.mark.parametrize("url", [ASSESSMENT, "/reports/dashboard"])
def test_report_tables_scroll_inside_their_own_box_on_a_small_screen(client, login, cases, url):
    login("leader")
    html = client.get(url, query_string=rd.PERIOD).get_data(as_text=True)
    tables = re.findall(r"<table [^>]*report-table", html)
    assert tables and html.count('<div class="table-responsive"><table') + html.count(
        '<div class="table-responsive">\n      <table') == len(tables)
